"""PDF renderer: the print edition of a plan → a tagged PDF/UA-1 document.

WeasyPrint renders ``templates/print.html`` with ``pdf_variant="pdf/ua-1"`` (structure tree,
marked content, catalog /Lang, DisplayDocTitle, XMP pdfuaid). pikepdf then repairs its structure
tree (``pdf_tags.repair``: page furniture as artifacts, one element per HTML element across
pages, list items, links) and adds what WeasyPrint leaves out: /Scope on every table header
cell, /Lang on spans in the other language, and dc:language in the XMP metadata. WeasyPrint
only logs PDF/UA problems, so its ERROR lines are collected and fail the build. Before any
rendering, ``fonts.uncovered_characters`` makes sure the embedded font can draw every character
of the plan, because WeasyPrint would otherwise drop such a character silently.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from pathlib import Path

import pikepdf
from pikepdf.models.metadata import PdfMetadata

from . import model as m
from .config import SiteConfig
from .formats import DocumentError
from .languages import CHINESE
from .pdf_tags import content_refs, element_numbers, repair
from .render_html import Page, environment, render_print
from .site_paths import language, plan_page

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
"""In a Chinese PDF, a text run with a Latin word and no Chinese (one line of a wrapped English
name) is English."""


PAGED_TEXT = "http://ns.adobe.com/xap/1.0/t/pg/"
"""XMP's paged-text schema: its NPages states the page count where the site can read it
without parsing the PDF (the XMP stream is never compressed or in an object stream)."""


class PdfError(DocumentError):
    """WeasyPrint reported a PDF/UA problem (or failed); the message lists its log lines."""

    hint = "this is a bug in plansite's print template; please report it"


def source(plan: m.Plan, project: Path, config: SiteConfig, stamp: datetime) -> tuple[tuple, tuple]:
    """What the plan's PDF is made from: its print HTML and the print stylesheet (see
    :mod:`plansite.formats`)."""
    page = Page(plan.lang, plan_page(plan.id, language(plan.lang)), "", False, config, stamp.date())
    html = render_print(environment(project, plan.lang), plan, page, stamp)
    stylesheet = project / "templates" / "print.css"
    return (html, stylesheet, plan.lang), (html, stylesheet.read_bytes())


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
            meta["dc:language"] = [language(lang).document_code]
            meta["xmpTPg:NPages"] = str(len(document.pages))
        output = io.BytesIO()
        document.save(output, deterministic_id=True)
    return output.getvalue()


def mark_span_languages(document: pikepdf.Pdf, lang: str) -> None:
    """WeasyPrint tags every text run as a /Span but drops the HTML's lang on inline elements.
    Read each span's text back (marked content through the fonts' ToUnicode maps) and give the
    spans in the document's other language their /Lang, by the rule the HTML uses."""
    texts = marked_texts(document)
    own = language(lang)
    english = own.english
    for element in structure(document.Root.StructTreeRoot):
        if element.get("/S") != "/Span" or "/Pg" not in element:
            continue
        text = "".join(texts.get(ref, "") for ref in content_refs(element))
        if (CHINESE.search(text) if english else LATIN_WORD.search(text) and not CHINESE.search(text)):
            element.Lang = pikepdf.String(own.other.document_code)


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
