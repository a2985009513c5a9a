"""The structure tree of a tagged PDF: repaired after WeasyPrint, and audited from both ends.

WeasyPrint 70 tags each page on its own (a table over three pages becomes three Tables, each
with its header row), tags the running title and page numbers as content that no element of
the tree reaches (its issues #1836, #2902, #2903), gives a list item an LBody only in some
layouts (#1837, #2497) and writes two items for each term of a ``dl``. Nothing in its options
or in CSS changes that, so :func:`repair` rebuilds the tree with pikepdf:

- content whose element the root cannot reach (the page's margin boxes) becomes a pagination
  artifact, in the content stream itself;
- the pieces of one HTML element on consecutive pages become one element again, and so do the
  lines of a link (each piece carries the number of its HTML element, see
  :func:`element_numbers`);
- a table's header row repeated on a later page becomes an artifact;
- every list item is Lbl (its printed number, if any) + LBody; a ``dl``'s term and
  description are one item;
- a link annotation made for an image says what the image says.

:func:`audit` then reads the result the way a checker that follows the parent tree does: every
piece of marked content, every parent-tree entry and every annotation, against the tree as
read from the root.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pikepdf

NUMBER = "/PlansiteElement"
"""The key under which each structure element carries its HTML element's number while the PDF
is repaired. It never stays in a published file."""

PAGINATION = pikepdf.Dictionary(Type=pikepdf.Name.Pagination)
SILENT = pikepdf.Dictionary(ActualText=pikepdf.String(""))
PAINTING = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh", "BI"}
"""Operators that put something on the page: each must be inside marked content."""


@contextmanager
def element_numbers() -> Iterator[dict[int, object]]:
    """While WeasyPrint writes a PDF in this block, every structure element it makes from an
    HTML element carries that element's number (:data:`NUMBER`); the dictionary yielded maps
    numbers to the HTML elements. It wraps WeasyPrint's tree builder, which calls itself by its
    module-level name for every child box."""
    from weasyprint.pdf import tags  # half a second to import: only when a PDF is made

    original = getattr(tags, "_build_box_tree", None)
    if original is None:  # WeasyPrint 70's tree builder; requirements.txt pins that release
        raise RuntimeError("this WeasyPrint has no weasyprint.pdf.tags._build_box_tree: plansite's PDF "
                           "repair needs WeasyPrint 70 (run ./setup)")
    elements: dict[int, object] = {}
    numbers: dict[int, int] = {}

    def build(box, *args):
        html = getattr(box, "element", None)
        for element in original(box, *args):
            if html is not None:
                number = numbers.setdefault(id(html), len(numbers))
                elements[number] = html
                element[NUMBER[1:]] = number
            yield element

    tags._build_box_tree = build
    try:
        yield elements
    finally:
        tags._build_box_tree = original


# ---------------------------------------------------------------- reading the tree


def kids(element) -> list:
    """An element's /K as a list (it may be one object, an array, or missing)."""
    k = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def is_element(node) -> bool:
    return isinstance(node, pikepdf.Dictionary) and "/S" in node


def elements_below(node) -> Iterator[pikepdf.Dictionary]:
    """Every structure element below a node, in reading order."""
    for kid in kids(node):
        if is_element(kid):
            yield kid
            yield from elements_below(kid)


def role(element) -> str:
    return str(element.get("/S", ""))[1:]


def content_refs(element) -> Iterator[tuple[tuple, int]]:
    """(page, MCID) of the marked content an element holds itself."""
    for kid in kids(element):
        if isinstance(kid, int):
            yield element.Pg.objgen, int(kid)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            yield kid.get("/Pg", element.get("/Pg")).objgen, int(kid.MCID)


def parent_tree(root) -> dict[int, object]:
    """The parent tree's entries (a flat /Nums array, as WeasyPrint writes it)."""
    nums = root.ParentTree.Nums
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def page_entries(document: pikepdf.Pdf) -> dict[int, pikepdf.Array]:
    """Page index → its parent-tree array (MCID → element)."""
    entries = parent_tree(document.Root.StructTreeRoot)
    found = {}
    for index, page in enumerate(document.pages):
        entry = entries.get(int(page.get("/StructParents", -1)))
        if isinstance(entry, pikepdf.Array):
            found[index] = entry
    return found


# ---------------------------------------------------------------- repair


@dataclass
class _Tree:
    document: pikepdf.Pdf
    elements: dict[int, object]
    pages: dict[tuple, int] = field(default_factory=dict)
    artifacts: dict[int, set[int]] = field(default_factory=dict)
    """page index → MCIDs that become artifacts."""
    dropped: set[tuple] = field(default_factory=set)
    """Annotations that go (duplicates)."""


def repair(document: pikepdf.Pdf, elements: dict[int, object]) -> None:
    """Rebuild WeasyPrint's structure tree as the module docstring says."""
    root = document.Root.StructTreeRoot
    tree = _Tree(document, elements, {page.obj.objgen: i for i, page in enumerate(document.pages)})
    reachable = {e.objgen for e in elements_below(root)}
    for index, entry in page_entries(document).items():
        for mcid, owner in enumerate(entry):
            if isinstance(owner, pikepdf.Dictionary) and owner.objgen not in reachable:
                tree.artifacts.setdefault(index, set()).add(mcid)  # the margin boxes
    for top in kids(root):
        _join_pieces(tree, top)
    for element in list(elements_below(root)):
        if role(element) == "L":
            _list_items(tree, element)
        elif role(element) == "Link":
            _link(tree, element)
        elif role(element) == "TD" and "/Headers" in element.get("/A", {}):
            del element.A["/Headers"]  # they name each page's own header cells; every TH has /Scope
    for element in elements_below(root):
        if NUMBER in element:
            del element[NUMBER]
    _mark_artifacts(tree)
    _rebuild_parent_tree(tree)


def _html(tree: _Tree, element):
    number = element.get(NUMBER)
    return tree.elements.get(int(number)) if number is not None else None


def _first_page(tree: _Tree, element) -> int:
    return tree.pages.get(element.Pg.objgen, -1) if "/Pg" in element else -1


def _same_element(tree: _Tree, a, b) -> bool:
    """Two sibling elements are pieces of one HTML element cut by a page break (WeasyPrint
    makes one piece per page, so a later piece starts on a later page), or the lines of one
    link or span."""
    return (is_element(a) and is_element(b) and NUMBER in a and a.get(NUMBER) == b.get(NUMBER)
            and role(a) == role(b) and (role(a) in ("Link", "Span")
                                        or _first_page(tree, b) > _first_page(tree, a) >= 0))


def _join_pieces(tree: _Tree, node) -> None:
    """Join the pieces of every element below ``node``, outermost first, so that the pieces
    of their children become neighbours and are joined in turn."""
    _join_neighbours(tree, node)
    if role(node) == "Table":
        _drop_repeated_heads(tree, node)
        _join_neighbours(tree, node)
    for kid in kids(node):
        if is_element(kid):
            _join_pieces(tree, kid)


def _join_neighbours(tree: _Tree, node) -> None:
    joined: list = []
    for kid in kids(node):
        if joined and _same_element(tree, joined[-1], kid):
            _absorb(joined[-1], kid)
        else:
            joined.append(kid)
    if is_element(node) or "/K" in node:
        node.K = pikepdf.Array(joined)


def _absorb(first, later) -> None:
    """Move the content of ``later`` (a piece on another page) to the end of ``first``."""
    moved = content(later)
    for kid in moved:
        if is_element(kid):
            kid.P = first
    first.K = pikepdf.Array(kids(first) + moved)


def content(element) -> list:
    """An element's kids, an MCID as a marked-content reference naming its page, so that the
    kids can move to an element on another page."""
    return [pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=element.Pg, MCID=kid) if isinstance(kid, int)
            else kid
            for kid in kids(element)]


def _drop_repeated_heads(tree: _Tree, table) -> None:
    """The header row WeasyPrint repeats on each later page is page furniture: an artifact."""
    seen: set = set()
    kept = []
    for kid in kids(table):
        if is_element(kid) and role(kid) in ("THead", "TFoot"):
            number = kid.get(NUMBER)
            if number in seen:
                for element in [kid, *elements_below(kid)]:
                    for page, mcid in content_refs(element):
                        tree.artifacts.setdefault(tree.pages[page], set()).add(mcid)
                continue
            seen.add(number)
        kept.append(kid)
    table.K = pikepdf.Array(kept)


def _list_items(tree: _Tree, lst) -> None:
    """Every LI is [Lbl] LBody. WeasyPrint writes LI > LBody, LI > Lbl + P…, LI > LBody > Lbl…
    and, for a printed number in a span of its own, LI > LBody > Span + Div. A ``dl`` comes as
    one LI per term and one per description: they become one LI, the term as its Lbl."""
    html = _html(tree, lst)
    items = [kid for kid in kids(lst) if is_element(kid)]
    if html is not None and tag(html) == "dl":
        _definition_items(tree, lst, items)
        return
    for item in items:
        if role(item) != "LI":
            continue
        parts = []
        for kid in content(item):
            parts.extend(content(kid) if is_element(kid) and role(kid) == "LBody" else [kid])
        label = None
        if parts and is_element(parts[0]):
            first = parts[0]
            number = _html(tree, first)
            if role(first) == "Lbl" or (number is not None and "ps-list__num" in (number.get("class") or "")):
                label = parts.pop(0)
                label.S = pikepdf.Name.Lbl
        body = _new_element(tree.document, "LBody", item, parts)
        item.K = pikepdf.Array([label, body] if label is not None else [body])
        if label is not None:
            label.P = item


def _definition_items(tree: _Tree, lst, items) -> None:
    merged = []
    for item in items:
        html = _html(tree, item)
        parts = [part for kid in content(item) for part in (content(kid) if role(kid) == "LBody" else [kid])]
        if not merged or (html is not None and tag(html) == "dt"):
            entry = _new_element(tree.document, "LI", lst, [])
            label = _new_element(tree.document, "Lbl", entry, parts)
            entry.K = pikepdf.Array([label])
            merged.append(entry)
        else:
            entry = merged[-1]
            bodies = [k for k in kids(entry) if role(k) == "LBody"]
            if bodies:
                for part in parts:
                    if is_element(part):
                        part.P = bodies[0]
                bodies[0].K = pikepdf.Array(kids(bodies[0]) + parts)
            else:
                entry.K = pikepdf.Array([*kids(entry), _new_element(tree.document, "LBody", entry, parts)])
    lst.K = pikepdf.Array(merged)


def _new_element(document: pikepdf.Pdf, name: str, parent, content: list):
    element = document.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.StructElem, S=pikepdf.Name("/" + name), P=parent))
    for part in content:
        if is_element(part):
            part.P = element
    pg = next((p.Pg for p in content if isinstance(p, pikepdf.Dictionary) and "/Pg" in p), None)
    if pg is not None:
        element.Pg = pg
    element.K = pikepdf.Array(content)
    return element


def tag(html) -> str:
    """An HTML element's name without its namespace."""
    return str(html.tag).rsplit("}", 1)[-1]


def _link(tree: _Tree, link) -> None:
    """A Link element holds its link annotations. WeasyPrint also makes an annotation for an
    image inside a link, held by the Figure: it is joined to the link's own annotation on that
    page (the clickable area becomes both areas). A link round an image is described by the
    image's alternate text, a link within the document by its own text (WeasyPrint writes only
    the address, or the target's id such as "note-1", as the annotation's /Contents)."""
    held = [kid for kid in kids(link) if _is_objr(kid)]
    html = tree.elements.get(int(link[NUMBER])) if NUMBER in link else None
    for element in list(elements_below(link)):
        for kid in [k for k in kids(element) if _is_objr(k)]:
            element.K = pikepdf.Array([k for k in kids(element)
                                       if not (_is_objr(k) and k.Obj.objgen == kid.Obj.objgen)])
            same = next((h for h in held if _target(h.Obj) == _target(kid.Obj)
                         and h.Pg.objgen == kid.Pg.objgen), None)
            if same is None:
                held.append(kid)
                link.K = pikepdf.Array([*kids(link), kid])
            else:
                xs = [float(r[i]) for r in (same.Obj.Rect, kid.Obj.Rect) for i in (0, 2)]
                ys = [float(r[i]) for r in (same.Obj.Rect, kid.Obj.Rect) for i in (1, 3)]
                same.Obj.Rect = pikepdf.Array([min(xs), min(ys), max(xs), max(ys)])
                tree.dropped.add(kid.Obj.objgen)
    figures = [e for e in elements_below(link) if role(e) == "Figure" and "/Alt" in e]
    if figures and not any(isinstance(kid, int) or _is_mcr(kid) for kid in kids(link)):
        link.Alt = figures[0].Alt  # a link with no text of its own is named by its image
    for kid in held:
        kid.Obj.F = 4  # printed, like the page it is on
        if figures:
            kid.Obj.Contents = figures[0].Alt
        elif "/Dest" in kid.Obj and html is not None:
            kid.Obj.Contents = " ".join("".join(html.itertext()).split())


def _is_mcr(node) -> bool:
    return isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/MCR"


def _is_objr(node) -> bool:
    return isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/OBJR"


def _target(annotation) -> tuple[str, str]:
    return str(annotation.get("/A", {}).get("/URI", "")), str(annotation.get("/Dest", ""))


def _mark_artifacts(tree: _Tree) -> None:
    """Turn the marked content of the given MCIDs into pagination artifacts, in each page's
    content stream. Inside each, a Span with an empty /ActualText: poppler (pdftotext, and the
    viewers built on it) extracts artifacts' text as if it were content, so without it the
    running title and page number would cut every sentence that runs on to the next page."""
    begin, end = pikepdf.Operator("BDC"), pikepdf.Operator("EMC")
    for index, mcids in tree.artifacts.items():
        page = tree.document.pages[index]
        instructions: list = []
        open_marks: list[int] = []  # per open marked-content sequence: how many EMC close it
        for instruction in pikepdf.parse_content_stream(page):
            name = str(instruction.operator)
            if name == "BDC":
                operands = instruction.operands
                if (len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary)
                        and int(operands[1].get("/MCID", -1)) in mcids):
                    instructions.append(([pikepdf.Name.Artifact, PAGINATION], begin))
                    instructions.append(([pikepdf.Name.Span, SILENT], begin))
                    open_marks.append(2)
                    continue
                open_marks.append(1)
            elif name == "BMC":
                open_marks.append(1)
            elif name == "EMC" and open_marks:
                instructions.extend(([], end) for _ in range(open_marks.pop() - 1))
            instructions.append(instruction)
        page.Contents = tree.document.make_stream(pikepdf.unparse_content_stream(instructions))


def _rebuild_parent_tree(tree: _Tree) -> None:
    """Point every parent-tree entry at the element that now holds its content (joined pieces,
    moved list items), with null where content became an artifact."""
    root = tree.document.Root.StructTreeRoot
    owners: dict[tuple, dict[int, object]] = {}  # page → MCID → element
    annotations: dict[tuple, object] = {}
    for element in elements_below(root):
        for page, mcid in content_refs(element):
            owners.setdefault(page, {})[mcid] = element
        for kid in kids(element):
            if _is_objr(kid):
                annotations[kid.Obj.objgen] = element
    entries = {}
    for page in tree.document.pages:
        key = int(page.get("/StructParents", -1))
        if key >= 0:
            marked = owners.get(page.obj.objgen, {})
            entries[key] = pikepdf.Array([marked.get(mcid) for mcid in range(max(marked, default=-1) + 1)])
        if "/Annots" in page:
            page.Annots = pikepdf.Array([a for a in page.Annots if a.objgen not in tree.dropped])
            for annotation in page.Annots:
                if "/StructParent" in annotation and annotation.objgen in annotations:
                    entries[int(annotation.StructParent)] = annotations[annotation.objgen]
    nums = pikepdf.Array([x for key in sorted(entries) for x in (key, entries[key])])
    root.ParentTree = tree.document.make_indirect(pikepdf.Dictionary(Nums=nums))


# ---------------------------------------------------------------- audit


@dataclass
class Audit:
    """What :func:`audit` found: problems, and what the tree holds, to compare with the HTML."""

    problems: list[str] = field(default_factory=list)
    roles: Counter = field(default_factory=Counter)
    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)


def audit(document: pikepdf.Pdf, texts: dict[tuple, str]) -> Audit:
    """Follow the tree from the root and from the content: ``texts`` is (page, MCID) → text.

    Checks that every piece of content on every page is an artifact or marked content whose
    parent-tree entry is an element the root reaches and that holds it; that nothing is painted
    outside marked content and no MCID is inside an artifact; that every parent-tree entry and
    every annotation's /StructParent point at such an element; no heading inside a heading;
    every LI is [Lbl] LBody; every table's rows are TR of TH/TD, every TH has /Scope; every
    link annotation has /Contents and a Link element that holds it and has text or /Alt; every
    Figure has /Alt."""
    result = Audit()
    problems = result.problems
    root = document.Root.StructTreeRoot
    reachable = {}
    for element in elements_below(root):
        reachable[element.objgen] = element
    holders: dict[tuple, object] = {}
    for element in reachable.values():
        for ref in content_refs(element):
            if ref in holders:
                problems.append(f"content {ref} is held by two elements")
            holders[ref] = element
    entries = parent_tree(root)
    page_numbers = {page.obj.objgen: i + 1 for i, page in enumerate(document.pages)}
    for index, page in enumerate(document.pages):
        where = f"page {index + 1}"
        marks: list[str] = []  # 'A' artifact, 'M' marked content with an MCID, 'O' other
        seen: set[int] = set()
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name in ("BDC", "BMC"):
                tag = str(operands[0])
                properties = operands[1] if name == "BDC" and len(operands) > 1 else None
                mcid = properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
                if tag == "/Artifact":
                    marks.append("A")
                elif mcid is not None:
                    if "A" in marks:
                        problems.append(f"{where}: MCID {mcid} is inside an artifact")
                    marks.append("M")
                    mcid = int(mcid)
                    seen.add(mcid)
                    ref = (page.obj.objgen, mcid)
                    entry = entries.get(int(page.get("/StructParents", -1)))
                    owner = entry[mcid] if isinstance(entry, pikepdf.Array) and mcid < len(entry) else None
                    if not isinstance(owner, pikepdf.Dictionary):
                        problems.append(f"{where}: MCID {mcid} has no parent-tree entry "
                                        f"({texts.get(ref, '')!r})")
                    elif owner.objgen not in reachable:
                        problems.append(f"{where}: MCID {mcid} belongs to {owner.get('/S')}, which the root "
                                        f"does not reach ({texts.get(ref, '')!r})")
                    elif ref not in holders or holders[ref].objgen != owner.objgen:
                        problems.append(f"{where}: MCID {mcid}'s parent-tree entry is not the element "
                                        "holding it")
                else:
                    marks.append("O")
            elif name == "EMC" and marks:
                marks.pop()
            elif name in PAINTING and not ({"A", "M"} & set(marks)):
                problems.append(f"{where}: '{name}' paints outside marked content")
        for page_ref, mcid in holders:
            if page_ref == page.obj.objgen and mcid not in seen:
                problems.append(f"{where}: the tree holds MCID {mcid}, which the page does not mark")
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link":
                continue
            owner = entries.get(int(annotation.get("/StructParent", -1)))
            if not is_element(owner) or owner.objgen not in reachable or role(owner) != "Link":
                problems.append(f"{where}: a link annotation has no Link element in the tree")
            elif not any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                         and k.Obj.objgen == annotation.objgen for k in kids(owner)):
                problems.append(f"{where}: a Link element does not hold its annotation")
            else:
                text = "".join(texts.get(ref, "") for e in [owner, *elements_below(owner)]
                               for ref in content_refs(e))
                if not text.strip() and not str(owner.get("/Alt", "")).strip():
                    problems.append(f"{where}: a Link element has no text and no /Alt")
            if not str(annotation.get("/Contents", "")).strip():
                problems.append(f"{where}: a link annotation has no /Contents")
    for element in reachable.values():
        name = role(element)
        result.roles[name] += 1
        if name in ("H1", "H2", "H3", "H4", "H5", "H6"):
            text = "".join(texts.get(ref, "") for e in [element, *elements_below(element)]
                           for ref in content_refs(e))
            result.headings.append((int(name[1]), text))
            if any(role(e).startswith("H") and role(e)[1:].isdigit() for e in elements_below(element)):
                problems.append(f"a heading inside the heading {text!r}")
        elif name == "LI":
            parts = [role(k) for k in kids(element) if is_element(k)]
            if parts not in (["LBody"], ["Lbl", "LBody"]):
                problems.append(f"an LI holds {parts}, not [Lbl] LBody")
        elif name == "Figure" and not str(element.get("/Alt", "")).strip():
            problems.append("a Figure has no /Alt")
        elif name == "Table":
            result.tables.append(_table_summary(element, texts, page_numbers, problems))
    return result


def _table_summary(table, texts, page_numbers, problems) -> dict:
    parts = [role(k) for k in kids(table) if is_element(k)]
    rows = [e for e in elements_below(table) if role(e) == "TR"]
    caption = next((e for e in kids(table) if is_element(e) and role(e) == "Caption"), None)
    for row in rows:
        cells = [role(k) for k in kids(row) if is_element(k)]
        if not cells or set(cells) - {"TH", "TD"}:
            problems.append(f"a TR holds {cells}")
    for cell in (e for e in elements_below(table) if role(e) == "TH"):
        if "/A" not in cell or cell.A.get("/Scope") not in ("/Column", "/Row", "/Both"):
            problems.append("a TH has no /Scope")
    if parts.count("THead") > 1:
        problems.append("a Table holds more than one THead")
    pages = {page_numbers.get(e.Pg.objgen) for e in elements_below(table) if "/Pg" in e}
    text = "".join(texts.get(ref, "") for e in ([caption, *elements_below(caption)] if caption else [])
                   for ref in content_refs(e))
    return {"caption": text, "rows": len(rows), "pages": sorted(p for p in pages if p)}
