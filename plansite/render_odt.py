"""ODF renderer: the plan model → a strictly valid ODF 1.2 text document (.odt).

The document is built with odfdo from the model (never converted from HTML): the title and a
metadata block, headings as text:h with outline levels (LibreOffice's Navigator shows them),
lists as lists, and each run of actions as a table with a repeated header row. odfdo writes
ODF 1.4 with LibreOffice extensions, so ``strict_package`` rewrites its output as ODF 1.2
(Taiwan's CNS 15251): only the standard parts, no vendor namespaces, version 1.2 everywhere,
fixed timestamps so the same plan always gives the same bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import segno
from lxml import etree
from odfdo import (
    Cell,
    Document,
    Element,
    Header,
    LineBreak,
    Link,
    List,
    ListItem,
    Paragraph,
    Row,
    Span,
    Style,
    Table,
)

from . import model as m
from .config import SiteConfig
from .i18n import catalog
from .render_html import attachment_rows, environment
from .site_paths import EN, ZH, address, language, plan_page

ODF_VERSION = "1.2"
CJK_FONT = "Noto Sans CJK TC"
WESTERN_FONT = "DejaVu Sans"
"""English documents set Western text in DejaVu Sans: every Debian has it (fontconfig depends on
it) and LibreOffice ships it on Windows and macOS. A CJK font draws Western quotes and dashes
full-width, so it sets only the Asian text there. Chinese documents keep one font for all, as
the Chinese PDF does: their quotes sit in Chinese text, where full width is right."""

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
ODF_NAMESPACES = {
    "urn:oasis:names:tc:opendocument:xmlns:" + name
    for name in ("office:1.0", "style:1.0", "text:1.0", "table:1.0", "drawing:1.0", "xsl-fo-compatible:1.0",
                 "svg-compatible:1.0", "meta:1.0", "number:1.0", "presentation:1.0", "chart:1.0", "dr3d:1.0",
                 "form:1.0", "script:1.0", "config:1.0", "datastyle:1.0", "animation:1.0",
                 "smil-compatible:1.0",
                 "manifest:1.0", "of:1.2", "db:1.0")
} | {"http://purl.org/dc/elements/1.1/", "http://www.w3.org/1999/xlink", "http://www.w3.org/1998/Math/MathML",
     "http://www.w3.org/2002/xforms", "http://www.w3.org/1999/xhtml", "http://www.w3.org/XML/1998/namespace",
     "http://www.w3.org/2003/g/data-view#"}
"""The namespaces ODF 1.2 defines or uses; anything else is a vendor extension and is dropped."""
ODF_1_3_ONLY = {f"{{{'urn:oasis:names:tc:opendocument:xmlns:style:1.0'}}}contextual-spacing"}
"""Attributes newer ODF versions added to standard namespaces; ODF 1.2 does not know them."""
PARTS = ("content.xml", "styles.xml", "meta.xml")


def source(plan: m.Plan, project: Path, config: SiteConfig, stamp: datetime) -> tuple[tuple, tuple]:
    """What the plan's ODT is made from: the plan, the interface words it prints, and the
    document date (see :mod:`plansite.formats`)."""
    url = config.base_url + address(plan_page(plan.id, language(plan.lang)))
    labels = document_labels(project, environment(project, plan.lang), plan, url, config.base_url)
    payload = (plan, labels, stamp)
    return payload, (repr(payload),)


def document_labels(project: Path, env, plan: m.Plan, url: str | None = None, base_url: str = ""
                    ) -> dict[str, str]:
    """The interface words the ODT prints, in the plan's language, with the dates it prints and
    the plan's web address (and its QR code's alternative text), and what it says of each
    attachment ('attachment-N', its address 'attachment-N-href': as the plan page says it)."""
    strings = catalog(project, plan.lang)
    _ = strings.text  # filled in as the templates' _() fills in (a translation's %% is one %)
    words = {word: _(word) for word in ("Agency", "Year", "Issued", "Amended", "Period", "Basis", "No.",
                                        "Web page", "document no.", "Editor's notes", "Not stated")}
    # filled in with each note's number where it is written
    words |= {word: strings.gettext(word) for word in ("(note %(number)s)", "Note %(number)s:")}
    words["lang"] = plan.lang
    words["year"] = (_("Standing (no plan year)") if plan.standing
                     else _("ROC %(year)s (%(ad)s)", year=plan.year, ad=plan.year_ad))
    words["issued"] = env.filters["long_date"](plan.issued) if plan.issued else ""
    words["amended"] = ("、" if plan.lang == ZH.code else ", ").join(
        env.filters["long_date"](day) for day in plan.amended)
    if plan.period:
        words["period"] = _("%(start)s to %(end)s", start=env.filters["long_date"](plan.period.start),
                            end=env.filters["long_date"](plan.period.end))
    for index, basis in enumerate(plan.basis):
        if basis.date:
            words[f"basis-date-{index}"] = env.filters["long_date"](basis.date)
    if url:
        words["url"] = url
        words["qr"] = _("QR code linking to this plan on the web: %(url)s", url=url)
    words["Attachments"] = _("Attachments")
    for index, row in enumerate(attachment_rows(plan, plan.lang, base_url)):
        if row["section"]:
            what = _("(a table in this plan)")
        else:
            label = row["label"]  # a message of formats.ATTACHMENTS (a literal here would be extracted)
            said = {"format": _(label), "size": row["size"]}
            what = (_("(%(format)s, %(size)s, in Chinese)", **said) if row["hreflang"] == ZH.code
                    else _("(%(format)s, %(size)s)", **said))
        gap = " " if language(plan.lang).english else ""  # （…） brings its own space in Chinese
        words[f"attachment-{index}"] = f"{row['title']}{gap}{what}"
        words[f"attachment-{index}-href"] = row["href"]
    return words


def render_plan_odt(plan: m.Plan, labels: dict[str, str], stamp: datetime) -> bytes:
    """The plan as .odt bytes. ``labels`` are the interface words in the plan's language
    (Agency, Year …); ``stamp`` is the document date, fixed so output is reproducible."""
    doc = Document("text")
    doc.body.clear()
    english = language(plan.lang).english
    add_styles(doc, WESTERN_FONT if english else CJK_FONT)
    add_page_furniture(doc, plan.title)
    body = doc.body
    body.append(Paragraph(plan.title, style="Title"))
    if labels.get("url"):
        body.append(qr_code(labels["url"], labels["qr"]))
    for label, value in metadata_lines(plan, labels):
        line = Paragraph(style="Plan_20_Metadata")
        line.append(Span(f"{label}: " if english else f"{label}：", style="Strong"))
        if value == labels.get("url"):
            line.append(link(value, value))
        else:
            line.append_plain_text(value)
        body.append(line)
    notes = m.shared_notes(plan)
    add_notes(body, notes, labels)
    tables: list[str] = []
    for section in plan.sections:
        body.append(heading(1, section))
        for block in section.blocks:
            add_block(body, block, 1, labels, tables, notes)
    add_attachments(body, labels)
    set_metadata(doc, plan, stamp)
    same_size_for_every_script(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    pictures = {QR_PICTURE: qr_png(labels["url"])} if labels.get("url") else {}
    return strict_package(buffer.getvalue(), stamp, pictures)


QR_PICTURE = "Pictures/qr.png"


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=0)
    return buffer.getvalue()


def qr_code(url: str, description: str) -> Paragraph:
    """The QR code of the plan's web page, as a picture with its alternative text (svg:title),
    linking there."""
    paragraph = Paragraph(style="Plan_20_QR")
    paragraph.append(Element.from_tag(
        f'<text:a xlink:type="simple" xlink:href={quoteattr(url)}><draw:frame draw:name="QR" '
        'text:anchor-type="as-char" svg:width="2.5cm" svg:height="2.5cm">'
        f'<draw:image xlink:href="{QR_PICTURE}" xlink:type="simple" xlink:show="embed" '
        'xlink:actuate="onLoad"/>'
        f"<svg:title>{escape(description)}</svg:title></draw:frame></text:a>"))
    return paragraph


def link(href: str, text: str) -> Link:
    element = Link(href, text=text)
    element.set_attribute("xlink:type", "simple")
    return element


def metadata_lines(plan: m.Plan, labels: dict[str, str]) -> list[tuple[str, str]]:
    english = language(plan.lang).english
    lines = [
        (labels["Agency"], plan.agency.en if english else plan.agency.zh),
        (labels["Year"], labels["year"]),
    ]
    if plan.issued:
        lines.append((labels["Issued"], labels["issued"]))
    if plan.amended:
        lines.append((labels["Amended"], labels["amended"]))
    if plan.period:
        lines.append((labels["Period"], labels["period"]))
    for index, basis in enumerate(plan.basis):
        date, ref = labels.get(f"basis-date-{index}", ""), basis.ref or ""
        if english:
            lines.append((labels["Basis"],
                          f"{basis.authority}, “{basis.title}”" + (f", {date}" if date else "")
                          + (f", {labels['document no.']} {ref}" if ref else "")))  # a Chinese 字號, labelled
        else:
            said = " ".join(part for part in (basis.authority, date, ref) if part)
            lines.append((labels["Basis"], f"{said}「{basis.title}」"))
    if labels.get("url"):
        lines.append((labels["Web page"], labels["url"]))
    return lines


def add_attachments(body, labels: dict[str, str]) -> None:
    """The attachments, as the plan page lists them: a heading, then a linked line each (a file
    at its web address, printed below it; a table written in the plan at its section's bookmark)."""
    if "attachment-0" not in labels:
        return
    header = styled_heading(1)
    header.append(Element.from_tag('<text:bookmark text:name="attachments"/>'))
    header.append_plain_text(labels["Attachments"])
    body.append(header)
    index = 0
    while f"attachment-{index}" in labels:
        paragraph = Paragraph(style="Text_20_body")
        href = labels[f"attachment-{index}-href"]
        paragraph.append(link(href, labels[f"attachment-{index}"]))
        if not href.startswith("#"):  # a file: its address, for a reader of the printed document
            paragraph.append(LineBreak())
            paragraph.append_plain_text(href)
        body.append(paragraph)
        index += 1


def add_notes(body, notes: dict[str, int], labels: dict[str, str]) -> None:
    """The notes many rows share, said once before the tables as on the web page, each with a
    bookmark (note-1 …) that its cells link to."""
    if not notes:
        return
    lead = Paragraph(style="Text_20_body")
    lead.append(Span(labels["Editor's notes"], style="Strong"))
    body.append(lead)
    for text, number in notes.items():
        paragraph = Paragraph(style="Text_20_body")
        paragraph.append(Element.from_tag(f'<text:bookmark text:name="note-{number}"/>'))
        paragraph.append_plain_text(labels["Note %(number)s:"] % {"number": number} + " ")
        add_inlines(paragraph, m.spans(text))
        body.append(paragraph)


def styled_heading(level: int) -> Header:
    """An empty heading of its outline level, in its Heading style. odfdo's Header ignores its
    ``style`` argument, and only LibreOffice styles an unstyled heading by its level: other
    word processors would show it as body text."""
    header = Header(min(level, 10))
    header.set_attribute("text:style-name", f"Heading_20_{min(level, 4)}")
    return header


def heading(level: int, node: m.Section | m.Group) -> Header:
    """A heading with its outline level, its printed number and an anchor (bookmark) id."""
    header = styled_heading(level)
    header.append(Element.from_tag(f'<text:bookmark text:name="{node.id}"/>'))
    add_inlines(header, (m.Text(m.numbered(node.number, "")), *node.title))
    if isinstance(node, m.Section) and not node.title:
        header.append(Span(m.excerpt(node.blocks), style="Outline_20_Words"))
    return header


def add_block(parent, block: m.Block, level: int, labels: dict[str, str], tables: list[str],
              notes: dict[str, int]) -> None:
    if isinstance(block, m.Paragraph):
        paragraph = Paragraph(style="Text_20_body")
        add_inlines(paragraph, block.inlines)
        parent.append(paragraph)
    elif isinstance(block, m.ListBlock):
        parent.append(odf_list(block, labels))
    else:
        add_children(parent, block, block.children, level, labels, tables, [], notes)


def odf_list(block: m.ListBlock, labels: dict[str, str]) -> List:
    """A list; items that carry the plan's printed numbers show them as text (the list style
    adds no numbers of its own), plain items get a bullet or a generated number."""
    style = "Printed_20_Numbers" if block.items and block.items[0].number else (
        "Numbering_20_123" if block.ordered else "List_20_Bullet")
    odf = List(style=style)
    for item in block.items:
        entry = ListItem()
        for index, child in enumerate(item.blocks):
            if isinstance(child, m.Paragraph):
                paragraph = Paragraph(style="List_20_Contents")
                prefix = (m.Text(m.numbered(item.number, "")),) if item.number and index == 0 else ()
                add_inlines(paragraph, (*prefix, *child.inlines))
                entry.append(paragraph)
            elif isinstance(child, m.ListBlock):
                entry.append(odf_list(child, labels))
        if not item.blocks:
            entry.append(Paragraph(item.number or "", style="List_20_Contents"))
        odf.append(entry)
    return odf


def add_children(parent, table: m.ActionTable, nodes, level: int, labels: dict[str, str], tables: list[str],
                 path: list[m.Group], notes: dict[str, int]) -> None:
    run: list[m.Action] = []
    for node in (*nodes, None):
        if isinstance(node, m.Action):
            run.append(node)
            continue
        if run:
            caption = table_caption(table, path, labels)
            tables.append(caption)
            parent.append(Paragraph(caption, style="Table_20_Caption"))
            parent.append(action_table(table, run, labels, table_name(caption, len(tables)), notes))
            run = []
        if isinstance(node, m.Group):
            if node.label:
                parent.append(Paragraph(node.label, style="Group_20_Label"))
            parent.append(heading(level + 1, node))
            for block in node.description:
                add_block(parent, block, level + 1, labels, tables, notes)
            add_children(parent, table, node.children, level + 1, labels, tables, [*path, node], notes)


def table_caption(table: m.ActionTable, path: list[m.Group], labels: dict[str, str]) -> str:
    """The caption the web page gives the table: its groups, then the action column's label."""
    groups = " / ".join(m.numbered(g.number, m.plain_text(g.title)) for g in path)
    separator = ": " if labels.get("lang") == EN.code else "："
    return f"{groups}{separator}{table.columns.action}" if groups else table.columns.action


def table_name(caption: str, number: int) -> str:
    """A unique table name that says what the table holds (LibreOffice's Navigator lists tables
    by name), without the characters a table name may not hold (spaces, dots, / \\ * ? : [ ] ')."""
    return f"{number}_" + re.sub(r"[\s.\\/*?:\[\]']+", "_", caption)[:60].strip("_")


def action_table(table: m.ActionTable, actions: list[m.Action], labels: dict[str, str], name: str,
                 notes: dict[str, int]) -> Table:
    """One run of actions as a table whose header row repeats on every page and whose rows
    are never split by a page break. A cell that holds a shared note says "not stated" and
    links to it (``notes``: see :func:`model.shared_notes`); a value several actions share is
    one cell spanning their rows (:class:`model.SharedCell`)."""
    columns = table.columns
    numbered = all(a.number for a in actions)
    heads = ([labels["No."]] if numbered else []) + [columns.action]
    heads += [c for c in (columns.deadline, columns.units) if c] + list(columns.fields)
    grid = Table(name, style="Action_20_Table")
    widths = (["Column_20_Number"] if numbered else []) + ["Column_20_Action"]
    widths += ["Column_20_Short"] * (len(heads) - len(widths))
    for width in widths:
        grid.append(Element.from_tag(f'<table:table-column table:style-name="{width}"/>'))
    header_rows = Element.from_tag("<table:table-header-rows/>")
    header = Row(style="Table_20_Row")
    for head in heads:
        cell = Cell(style="Table_20_Cell")
        cell.append(Paragraph(head, style="Table_20_Heading"))
        header.append(cell)
    header_rows.append(header)
    grid.append(header_rows)
    for action in actions:
        row = Row(style="Table_20_Row")
        cells: list[list] = []
        if numbered:
            cells.append([Paragraph(action.number or "", style="Table_20_Contents")])
        body: list = []
        for index, block in enumerate(action.body):
            if isinstance(block, m.Paragraph):
                paragraph = Paragraph(style="Table_20_Contents")
                prefix = ((m.Text(m.numbered(action.number, "")),)
                          if index == 0 and action.number and not numbered else ())
                if index == 0:
                    paragraph.append(Element.from_tag(f'<text:bookmark text:name="{action.id}"/>'))
                add_inlines(paragraph, (*prefix, *block.inlines))
                body.append(paragraph)
            elif isinstance(block, m.ListBlock):
                body.append(odf_list(block, labels))
        cells.append(body)
        spans = [1] * len(cells)
        if columns.deadline:
            cells.append([text_paragraph(action.deadline.text if action.deadline else "", notes, labels)])
            spans.append(action.rows(columns.deadline))
        if columns.units:
            cells.append([text_paragraph(unit, notes, labels) for unit in action.units])
            spans.append(action.rows(columns.units))
        for label in columns.fields:
            value = next((f.value for f in action.fields if f.label == label), "")
            cells.append([text_paragraph(value, notes, labels)])
            spans.append(action.rows(label))
        for content, rows in zip(cells, spans, strict=True):
            if rows == 0:  # a shared value: the cell of an action above spans this row
                row.append(Element.from_tag('<table:covered-table-cell table:style-name="Table_20_Cell"/>'))
                continue
            cell = Cell(style="Table_20_Cell")
            if rows > 1:
                cell.set_attribute("table:number-rows-spanned", str(rows))
                cell.set_attribute("table:number-columns-spanned", "1")
            for element in content or [Paragraph("", style="Table_20_Contents")]:
                cell.append(element)
            row.append(cell)
        grid.append(row)
    return grid


def text_paragraph(text: str, notes: dict[str, int], labels: dict[str, str]) -> Paragraph:
    paragraph = Paragraph(style="Table_20_Contents")
    if text in notes:
        number = notes[text]
        reference = labels["(note %(number)s)"] % {"number": number}
        wide = unicodedata.east_asian_width(reference[:1]) in "FW"  # no space before 「（」, as in print
        paragraph.append_plain_text(labels["Not stated"] + ("" if wide else " "))
        paragraph.append(link(f"#note-{number}", reference))
    else:
        add_inlines(paragraph, m.spans(text))
    return paragraph


def add_inlines(paragraph, nodes: tuple[m.Inline, ...], style: str | None = None) -> None:
    """Inline content as spans: bold, emphasis, links, and editorial notes highlighted."""
    for node in nodes:
        if isinstance(node, m.Text | m.Code):
            if style:
                paragraph.append(Span(node.text, style=style))
            else:
                paragraph.append_plain_text(node.text)
        elif isinstance(node, m.Note):
            paragraph.append(Span(node.text, style="Editorial_20_Note"))
        elif isinstance(node, m.Strong):
            add_inlines(paragraph, node.children, "Strong")
        elif isinstance(node, m.Emphasis):
            add_inlines(paragraph, node.children, "Emphasis")
        elif isinstance(node, m.Link):
            paragraph.append(link(node.href, m.plain_text(node.children)))
        elif isinstance(node, m.LineBreak):
            paragraph.append(Element.from_tag("<text:line-break/>"))


# ---------------------------------------------------------------- styles


def add_styles(doc: Document, western_font: str) -> None:
    """Named styles for what things are (Title, Heading 1–4, Table Heading, Editorial Note),
    with ``western_font`` as the Western font, Noto Sans CJK TC as the Asian one and the
    document languages set."""
    styles = doc.get_part("styles.xml")
    for element in styles.get_elements("//style:font-face"):
        element.delete()
    faces = styles.get_element("//office:font-face-decls")
    for font in dict.fromkeys((western_font, CJK_FONT)):
        faces.append(Element.from_tag(
            f'<style:font-face style:name="{font}" svg:font-family="&apos;{font}&apos;" '
            'style:font-family-generic="swiss" style:font-pitch="variable"/>'))
    for properties in styles.get_elements("//style:text-properties"):  # the template's fonts are gone
        for attribute in list(properties.attributes):
            if attribute.startswith(("style:font-name", "style:font-family", "fo:font-family",
                                     "style:font-pitch")):
                properties.del_attribute(attribute)
    content_faces = doc.get_part("content.xml").get_element("//office:font-face-decls")
    if content_faces is not None:
        for element in content_faces.children:
            element.delete()
    # Every document: Western text is English, Asian text is Chinese (Taiwan) in the CJK font.
    (western, western_country), (asian, asian_country) = EN.odt_code.split("-"), ZH.odt_code.split("-")
    for properties in styles.get_elements(
            "//style:default-style[@style:family='paragraph']/style:text-properties"):
        for attribute in list(properties.attributes):
            if attribute.startswith(("fo:language", "fo:country", "style:language", "style:country")):
                properties.del_attribute(attribute)
        for key, value in (("style:font-name", western_font), ("style:font-name-asian", CJK_FONT),
                           ("style:font-name-complex", western_font), ("fo:language", western),
                           ("fo:country", western_country),
                           ("style:language-asian", asian), ("style:country-asian", asian_country)):
            properties.set_attribute(key, value)
    outline = styles.get_element("//text:outline-style")
    if outline is not None:
        for level in outline.get_elements("text:outline-level-style"):
            level.set_attribute("style:num-format", "")
            for attribute in ("style:num-suffix", "style:num-prefix", "text:display-levels"):
                if level.get_attribute(attribute) is not None:
                    level.del_attribute(attribute)
    bold = {"fo:font-weight": "bold", "style:font-weight-asian": "bold", "style:font-weight-complex": "bold"}
    definitions = [
        ("paragraph", "Title", "Title", "Standard", {"fo:font-size": "20pt", **bold},
         {"fo:margin-bottom": "0.4cm", "fo:text-align": "start"}),
        ("paragraph", "Plan_20_Metadata", "Plan Metadata", "Standard", {"fo:font-size": "10pt"},
         {"fo:margin-bottom": "0.1cm", "fo:line-height": "150%"}),
        ("paragraph", "Text_20_body", "Text body", "Standard", {"fo:font-size": "11pt"},
         {"fo:margin-top": "0cm", "fo:margin-bottom": "0.25cm", "fo:line-height": "150%"}),
        ("paragraph", "List_20_Contents", "List Contents", "Standard", {"fo:font-size": "11pt"},
         {"fo:margin-bottom": "0.1cm", "fo:line-height": "150%"}),
        ("paragraph", "Table_20_Contents", "Table Contents", "Standard", {"fo:font-size": "10pt"},
         {"fo:line-height": "140%"}),
        ("paragraph", "Table_20_Heading", "Table Heading", "Table_20_Contents",
         {"fo:font-size": "10pt", **bold},
         {}),
    ]
    quiet = {"fo:font-size": "8pt", "fo:color": "#444444"}
    definitions += [
        ("paragraph", "Header", "Header", "Standard", quiet, {"fo:text-align": "center"}),
        ("paragraph", "Footer", "Footer", "Standard", quiet, {"fo:text-align": "center"}),
        ("paragraph", "Group_20_Label", "Group Label", "Standard", quiet,
         {"fo:margin-top": "0.3cm", "fo:margin-bottom": "0cm", "fo:keep-with-next": "always"}),
        ("paragraph", "Table_20_Caption", "Table Caption", "Caption",
         {"fo:font-size": "9pt", "fo:color": "#444444"},
         {"fo:margin-top": "0.1cm", "fo:margin-bottom": "0.1cm", "fo:keep-with-next": "always"}),
        ("paragraph", "Plan_20_QR", "Plan QR Code", "Standard", {}, {"fo:margin-bottom": "0.2cm"}),
    ]
    for level, size in ((1, "16pt"), (2, "14pt"), (3, "12pt"), (4, "11pt")):
        definitions.append(("paragraph", f"Heading_20_{level}", f"Heading {level}", "Standard",
                            {"fo:font-size": size, **bold},
                            {"fo:margin-top": "0.4cm", "fo:margin-bottom": "0.2cm",
                             "fo:keep-with-next": "always"},
                            ))
    for family, name, display, parent, text_properties, paragraph_properties in definitions:
        style = Style(family, name=name, display_name=display, parent_style=parent)
        if paragraph_properties:
            style.append(Element.from_tag("<style:paragraph-properties/>"))
            for key, value in paragraph_properties.items():
                style.get_element("style:paragraph-properties").set_attribute(key, value)
        style.append(Element.from_tag("<style:text-properties/>"))
        for key, value in text_properties.items():
            style.get_element("style:text-properties").set_attribute(key, value)
        if name.startswith("Heading_20_"):
            style.set_attribute("style:default-outline-level", name[-1])
        replace_style(doc, style)
    for name, display, properties in (
        ("Strong", "Strong Emphasis", bold),
        ("Emphasis", "Emphasis", {"fo:font-style": "italic"}),
        ("Editorial_20_Note", "Editorial Note", {"fo:background-color": "#fff4cc"}),
        # the opening words that name an untitled point (一、) in the Navigator, not on the page
        ("Outline_20_Words", "Outline Words", {"text:display": "none"}),
    ):
        style = Style("text", name=name, display_name=display)
        style.append(Element.from_tag("<style:text-properties/>"))
        for key, value in properties.items():
            style.get_element("style:text-properties").set_attribute(key, value)
        replace_style(doc, style)
    for name, width in (("Column_20_Number", "1.6cm"), ("Column_20_Action", "9.4cm"),
                        ("Column_20_Short", "3cm")):
        style = Style("table-column", name=name)
        style.append(Element.from_tag(f'<style:table-column-properties style:column-width="{width}"/>'))
        doc.insert_style(style, automatic=True)
    table_style = Style("table", name="Action_20_Table")
    table_style.append(Element.from_tag(
        '<style:table-properties style:width="17cm" table:align="left" fo:margin-bottom="0.3cm" '
        'style:may-break-between-rows="true"/>'))
    doc.insert_style(table_style, automatic=True)
    row = Style("table-row", name="Table_20_Row")  # a row is never split by a page break
    row.append(Element.from_tag('<style:table-row-properties fo:keep-together="always"/>'))
    doc.insert_style(row, automatic=True)
    cell = Style("table-cell", name="Table_20_Cell")
    cell.append(Element.from_tag(
        '<style:table-cell-properties fo:padding="0.1cm" fo:border="0.5pt solid #000000"/>'))
    doc.insert_style(cell, automatic=True)
    for name, number_format in (("Printed_20_Numbers", ""), ("Numbering_20_123", "1")):
        styles.get_element("//office:styles").append(Element.from_tag(
            f'<text:list-style style:name="{name}">'
            + "".join(f'<text:list-level-style-number text:level="{level}" style:num-format="{number_format}"'
                      f'{chr(32) + "style:num-suffix=" + chr(34) + "." + chr(34) if number_format else ""}>'
                      f'<style:list-level-properties text:space-before="{(level - 1) * 0.6:.1f}cm" '
                      'text:min-label-width="0.6cm"/></text:list-level-style-number>'
                      for level in range(1, 11))
            + "</text:list-style>"))


def add_page_furniture(doc: Document, title: str) -> None:
    """The plan's title as running header and "page / pages" as footer, on every page."""
    styles = doc.get_part("styles.xml")
    layout = styles.get_element("//style:page-layout")
    for part, margin in (("header", "fo:margin-bottom"), ("footer", "fo:margin-top")):
        for old in layout.get_elements(f"style:{part}-style"):
            old.delete()
        layout.append(Element.from_tag(
            f'<style:{part}-style><style:header-footer-properties fo:min-height="0.6cm" {margin}="0.3cm"/>'
            f"</style:{part}-style>"))
    master = styles.get_element("//style:master-page")
    for child in master.children:
        child.delete()
    master.append(Element.from_tag(
        f'<style:header><text:p text:style-name="Header">{escape(title)}</text:p></style:header>'))
    master.append(Element.from_tag(
        '<style:footer><text:p text:style-name="Footer"><text:page-number text:select-page="current">1'
        '</text:page-number> / <text:page-count>1</text:page-count></text:p></style:footer>'))


SCRIPT_TWINS = (("fo:font-size", "style:font-size-asian", "style:font-size-complex"),
                ("fo:font-weight", "style:font-weight-asian", "style:font-weight-complex"))
"""ODF sets size, weight and font for Western, Asian and complex text apart: a heading set only
in the Western size shows its Chinese at body size."""


def same_size_for_every_script(doc: Document) -> None:
    """Every style that sets a Western size or weight sets the Asian and complex ones to the
    same, and one that sets a Western font sets the CJK font as its Asian font; no style names
    a language but the default one (the template's names French)."""
    for part in ("styles.xml", "content.xml"):
        for properties in doc.get_part(part).get_elements("//style:text-properties"):
            for western, asian, complex_ in SCRIPT_TWINS:
                value = properties.get_attribute(western)
                if value is not None:
                    properties.set_attribute(asian, value)
                    properties.set_attribute(complex_, value)
            font = properties.get_attribute("style:font-name")
            if font is not None:
                properties.set_attribute("style:font-name-asian", CJK_FONT)
                properties.set_attribute("style:font-name-complex", font)
            if properties.parent is not None and properties.parent.tag != "style:default-style":
                for attribute in ("fo:language", "fo:country"):
                    if properties.get_attribute(attribute) is not None:
                        properties.del_attribute(attribute)


def replace_style(doc: Document, style: Style) -> None:
    existing = doc.get_style(style.family, style.name)
    if existing is not None:
        existing.delete()
    doc.insert_style(style)


def set_metadata(doc: Document, plan: m.Plan, stamp: datetime) -> None:
    meta = doc.meta
    meta.set_title(plan.title)
    meta.set_subject(plan.title)
    english = language(plan.lang).english
    agency = plan.agency.en if english else plan.agency.zh
    meta.set_description(f"{agency} {plan.year_ad}" if plan.year_ad else agency)
    keywords = ["service quality improvement" if english else "提升服務品質", agency,
                *([str(plan.year_ad)] if plan.year_ad else [])]
    meta.set_keywords(keywords[0])
    for keyword in keywords[1:]:  # ODF allows one meta:keyword element per keyword
        element = Element.from_tag("<meta:keyword/>")
        element.text = keyword
        meta.get_element("//office:meta").append(element)
    meta.set_language(language(plan.lang).odt_code)
    creator = plan.agency.en if english else plan.agency.zh
    meta.set_creator(creator)
    meta.set_initial_creator(creator)
    meta.set_creation_date(stamp)
    meta.set_modification_date(stamp)
    meta.set_generator("plansite")
    meta.set_editing_cycles(1)
    meta.set_user_defined_metadata("Publisher", creator)
    meta.set_user_defined_metadata("Category.Service", plan.classification.service)
    if plan.classification.theme:
        meta.set_user_defined_metadata("Category.Theme", plan.classification.theme)
    if plan.classification.cake:
        meta.set_user_defined_metadata("Category.Cake", plan.classification.cake)
    meta.set_user_defined_metadata("Plan", plan.id)


# ---------------------------------------------------------------- strict ODF 1.2


def strict_package(odt: bytes, stamp: datetime, pictures: dict[str, bytes] | None = None) -> bytes:
    """Rewrite an .odt as strict ODF 1.2: standard parts only, vendor namespaces removed,
    office:version 1.2 everywhere, a manifest listing exactly what is in the package (with the
    ``pictures``, PNG files by path), and every zip entry dated ``stamp`` (mimetype first and
    stored, as the standard requires)."""
    source = zipfile.ZipFile(io.BytesIO(odt))
    pictures = pictures or {}
    parts: dict[str, bytes] = {name: clean_xml(source.read(name)) for name in PARTS}
    parts.update(pictures)
    parts["META-INF/manifest.xml"] = manifest(list(PARTS), list(pictures))
    when = stamp.astimezone(UTC).timetuple()[:6]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as package:
        mimetype = zipfile.ZipInfo("mimetype", date_time=when)
        package.writestr(mimetype, b"application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        for name, data in parts.items():
            package.writestr(zipfile.ZipInfo(name, date_time=when), data,
                             zipfile.ZIP_STORED if name in pictures else zipfile.ZIP_DEFLATED)
    return output.getvalue()


def clean_xml(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        namespace = etree.QName(element).namespace
        if namespace not in ODF_NAMESPACES:
            element.getparent().remove(element)
            continue
        for attribute in list(element.attrib):
            if etree.QName(attribute).namespace not in ODF_NAMESPACES or attribute in ODF_1_3_ONLY:
                del element.attrib[attribute]
    root.set(f"{{{NS['office']}}}version", ODF_VERSION)
    etree.cleanup_namespaces(root, top_nsmap={k: v for k, v in root.nsmap.items() if v in ODF_NAMESPACES})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def manifest(parts: list[str], pictures: list[str] = ()) -> bytes:
    entries = "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
                      for name in parts)
    entries += "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="image/png"/>'
                       for name in pictures)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<manifest:manifest xmlns:manifest="{NS["manifest"]}" manifest:version="{ODF_VERSION}">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        f"{entries}</manifest:manifest>"
    ).encode()
