"""PDF renderer: the print edition of a plan → a tagged PDF/UA-1 document.

WeasyPrint renders ``templates/print.html`` with ``pdf_variant="pdf/ua-1"`` (structure tree,
marked content, catalog /Lang, DisplayDocTitle, XMP pdfuaid). pikepdf then repairs its structure
tree (``pdf_tags.repair``: page furniture as artifacts, one element per HTML element across
pages, list items, links) and adds what WeasyPrint leaves out: /Scope on every table header
cell, /Lang on spans in the other language, and dc:language in the XMP metadata. WeasyPrint
only logs PDF/UA problems, so its ERROR lines are collected and fail the build. Before any
rendering, ``uncovered_characters`` makes sure the embedded font can draw every character of
the plan, because WeasyPrint would otherwise drop such a character silently.
"""

from __future__ import annotations

import io
import logging
import pickle
import re
from importlib.metadata import version
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTCollection
from pikepdf.models.metadata import PdfMetadata

from . import model as m
from .errors import Problem
from .languages import CHINESE
from .pdf_tags import content_refs, element_numbers, repair
from .publish import digest, write_atomically

FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
FONT_NAME = "Noto Sans CJK TC"
PDF_LANGUAGES = {"zh-Hant-TW": "zh-TW", "en": "en"}
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
"""In a Chinese PDF, a text run with a Latin word and no Chinese (one line of a wrapped English
name) is English."""


PAGED_TEXT = "http://ns.adobe.com/xap/1.0/t/pg/"
"""XMP's paged-text schema: its NPages states the page count where the site can read it
without parsing the PDF (the XMP stream is never compressed or in an object stream)."""
PAGE_COUNT = re.compile(rb'xmpTPg:NPages(?:="|(?:\s[^>]*)?>)(\d+)')


def page_count(pdf: bytes) -> int | None:
    """The page count a PDF made here states in its XMP metadata."""
    found = PAGE_COUNT.search(pdf)
    return int(found.group(1)) if found else None


class PdfError(Exception):
    """WeasyPrint reported a PDF/UA problem (or failed); the message lists its log lines."""


def render_plan_pdf(print_html: str, stylesheet: Path, lang: str) -> bytes:
    """The print HTML as PDF/UA-1 bytes, finished with pikepdf."""
    errors: list[str] = []
    handler = _Collect(errors)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        from weasyprint import CSS, HTML  # half a second to import: only when a PDF is made

        with element_numbers() as elements:
            pdf = HTML(string=print_html, base_url=str(stylesheet.parent)).write_pdf(
                stylesheets=[CSS(filename=str(stylesheet))], pdf_variant="pdf/ua-1")
    finally:
        logger.removeHandler(handler)
    if errors:
        raise PdfError("; ".join(errors))
    return finish(pdf, lang, elements)


class _Collect(logging.Handler):
    def __init__(self, errors: list[str]):
        super().__init__(logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


def finish(pdf: bytes, lang: str, elements: dict[int, object]) -> bytes:
    """Repair the structure tree; add /Scope to every TH, /Lang to every text span in the other
    language, and dc:language and the page count to the XMP; save with a content-derived /ID."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        repair(document, elements)
        mark_span_languages(document, lang)
        for element in structure(document.Root.StructTreeRoot):
            if element.get("/S") == "/TH":
                group = element.get("/P", {}).get("/P", {})
                scope = "/Column" if group.get("/S") == "/THead" else "/Row"
                attributes = element.get("/A")
                if not isinstance(attributes, pikepdf.Dictionary):
                    attributes = pikepdf.Dictionary(O=pikepdf.Name("/Table"))
                    element.A = attributes
                attributes.Scope = pikepdf.Name(scope)
        PdfMetadata.register_xml_namespace(PAGED_TEXT, "xmpTPg")
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:language"] = [PDF_LANGUAGES.get(lang, lang)]
            meta["xmpTPg:NPages"] = str(len(document.pages))
        output = io.BytesIO()
        document.save(output, deterministic_id=True)
    return output.getvalue()


def mark_span_languages(document: pikepdf.Pdf, lang: str) -> None:
    """WeasyPrint tags every text run as a /Span but drops the HTML's lang on inline elements.
    Read each span's text back (marked content through the fonts' ToUnicode maps) and give the
    spans in the document's other language their /Lang, by the rule the HTML uses."""
    texts = marked_texts(document)
    english = lang == "en"
    for element in structure(document.Root.StructTreeRoot):
        if element.get("/S") != "/Span" or "/Pg" not in element:
            continue
        text = "".join(texts.get(ref, "") for ref in content_refs(element))
        if english and CHINESE.search(text):
            element.Lang = pikepdf.String("zh-TW")
        elif not english and LATIN_WORD.search(text) and not CHINESE.search(text):
            element.Lang = pikepdf.String("en")


def marked_texts(document: pikepdf.Pdf) -> dict[tuple, str]:
    """(page, MCID) → the text shown inside that marked content."""
    texts: dict[tuple, str] = {}
    for page in document.pages:
        maps = {str(name): unicode_map(font) for name, font in page.Resources.get("/Font", {}).items()}
        marks: list[int | None] = []
        font: dict[int, str] = {}
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name == "BDC":
                properties = operands[1] if len(operands) > 1 else None
                marks.append(int(properties.MCID) if isinstance(properties, pikepdf.Dictionary)
                             and "/MCID" in properties else None)
            elif name == "BMC":
                marks.append(None)
            elif name == "EMC" and marks:
                marks.pop()
            elif name == "Tf":
                font = maps.get(str(operands[0]), {})
            elif name in ("Tj", "TJ") and marks and marks[-1] is not None:
                strings = operands[0] if name == "TJ" else [operands[0]]
                shown = "".join(decode(bytes(part), font) for part in strings
                                if isinstance(part, pikepdf.String))
                key = (page.obj.objgen, marks[-1])
                texts[key] = texts.get(key, "") + shown
    return texts


def unicode_map(font) -> dict[int, str]:
    """A font's ToUnicode CMap as code → text (its bfchar and bfrange entries)."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    cmap = stream.read_bytes().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
        for source, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(source, 16)] = bytes.fromhex(target).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
        for first, last, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>",
                                              block):
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = chr(int(target, 16) + offset)
    return mapping


def decode(data: bytes, font: dict[int, str]) -> str:
    """Two-byte (Identity-H) character codes → text."""
    return "".join(font.get(int.from_bytes(data[i : i + 2], "big"), "") for i in range(0, len(data) - 1, 2))


def structure(node):
    """Every structure element below a node of the structure tree."""
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from structure(kid)


# ---------------------------------------------------------------- every character drawable


DRAWABLE: list[frozenset[int]] = []
"""The font's code points, once read (see :func:`drawable`)."""


def drawable(cache: Path | None = None) -> frozenset[int]:
    """The code points the embedded font (Noto Sans CJK TC, regular and bold) can draw. Reading
    the fonts' character maps takes over half a second, so with a ``cache`` folder the set is
    kept there under the font files' paths and sizes and fontTools' version."""
    if not DRAWABLE:
        key = digest(*font_sizes(), version("fonttools"))
        entry = cache / f"font-{key}.pickle" if cache else None
        try:
            points = pickle.loads(entry.read_bytes()) if entry else None
        except (OSError, pickle.UnpicklingError, EOFError):  # not kept yet
            points = None
        if points is None:
            points = font_points()
            if entry:
                entry.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(entry, pickle.dumps(points, pickle.HIGHEST_PROTOCOL))
        DRAWABLE.append(points)
    return DRAWABLE[0]


def font_sizes() -> list[str]:
    """The PDF's font files by path and size: checks and PDFs depend on the installed font."""
    return [f"{p}:{p.stat().st_size}" for p in FONT_FILES if p.exists()]


def font_points() -> frozenset[int]:
    points: set[int] = set()
    for path in FONT_FILES:
        if not path.exists():
            continue
        for font in TTCollection(str(path), lazy=True).fonts:
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" TC"):
                points.update(font.getBestCmap())
    return frozenset(points)


def uncovered_characters(plan: m.Plan, extra: str = "") -> list[Problem]:
    """One problem per character the PDF's font cannot draw, at the first line that uses it."""
    font = drawable()
    if not font:
        return [Problem(plan.loc.path, 1, f"the font {FONT_NAME} is not installed, so the PDF cannot show "
                        "Chinese text", "run ./setup, or: sudo apt-get install -y fonts-noto-cjk")]
    lines = list(texts(plan))
    if all(ord(char) in font or char.isspace() for char in set(extra).union(*(text for _, text in lines))):
        return []  # the usual case, told at once: every character of the plan is in the font
    problems: list[Problem] = []
    seen: set[str] = set()  # most characters recur: each is looked up in the font once
    for line, text in lines:
        text += extra if line == 1 else ""
        new = set(text) - seen
        seen |= new
        for char in sorted(new, key=text.index):
            if ord(char) not in font and not char.isspace():
                problems.append(Problem(plan.loc.path, line,
                                        f"the PDF font {FONT_NAME} cannot show the character '{char}' "
                                        f"(U+{ord(char):04X})", "replace it with a common character"))
    return problems


def texts(plan: m.Plan):
    """(line, text) of everything the PDF prints from the plan, each at its own line."""
    yield 1, f"{plan.title}{plan.agency.zh}{plan.agency.en}{plan.issued_ref or ''}"
    for basis in plan.basis:
        yield basis.loc.line, basis.authority + basis.title + (basis.ref or "")
    for item in m.items(plan):
        yield item.loc.line, m.numbered(item.number, m.plain_text(item.title)) if not isinstance(
            item, m.Action) else (item.number or "")
        if isinstance(item, m.Section):
            yield from block_texts(b for b in item.blocks if not isinstance(b, m.ActionTable))
        elif isinstance(item, m.Group):
            yield from block_texts(item.description)
        else:
            yield from block_texts(item.body)
            extra = [*item.units, *(f.value for f in item.fields), item.deadline.text if item.deadline
                     else ""]
            yield item.loc.line, "".join(extra)


def block_texts(blocks):
    for block in blocks:
        if isinstance(block, m.Paragraph):
            yield block.loc.line, m.plain_text(block.inlines)
        elif isinstance(block, m.ListBlock):
            for item in block.items:
                yield item.loc.line, item.number or ""
                yield from block_texts(item.blocks)
