"""PDF renderer: the print edition of a plan → a tagged PDF/UA-1 document.

WeasyPrint renders ``templates/print.html`` with ``pdf_variant="pdf/ua-1"`` (structure tree,
marked content, catalog /Lang, DisplayDocTitle, XMP pdfuaid). pikepdf then adds what WeasyPrint
leaves out: /Scope on every table header cell and dc:language in the XMP metadata. WeasyPrint
only logs PDF/UA problems, so its ERROR lines are collected and fail the build. Before any
rendering, ``uncovered_characters`` makes sure the embedded font can draw every character of
the plan, because WeasyPrint would otherwise drop such a character silently.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTCollection
from weasyprint import CSS, HTML

from . import model as m
from .errors import Problem

FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
FONT_NAME = "Noto Sans CJK TC"
PDF_LANGUAGES = {"zh-Hant-TW": "zh-TW", "en": "en"}


class PdfError(Exception):
    """WeasyPrint reported a PDF/UA problem (or failed); the message lists its log lines."""


def render_plan_pdf(print_html: str, stylesheet: Path, lang: str) -> bytes:
    """The print HTML as PDF/UA-1 bytes, finished with pikepdf."""
    errors: list[str] = []
    handler = _Collect(errors)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        pdf = HTML(string=print_html, base_url=str(stylesheet.parent)).write_pdf(
            stylesheets=[CSS(filename=str(stylesheet))], pdf_variant="pdf/ua-1")
    finally:
        logger.removeHandler(handler)
    if errors:
        raise PdfError("; ".join(errors))
    return finish(pdf, lang)


class _Collect(logging.Handler):
    def __init__(self, errors: list[str]):
        super().__init__(logging.ERROR)
        self.errors = errors

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


def finish(pdf: bytes, lang: str) -> bytes:
    """Add /Scope to every TH and dc:language to the XMP; save with a content-derived /ID."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for element in structure(document.Root.StructTreeRoot):
            if element.get("/S") == "/TH":
                group = element.get("/P", {}).get("/P", {})
                scope = "/Column" if group.get("/S") == "/THead" else "/Row"
                attributes = element.get("/A")
                if not isinstance(attributes, pikepdf.Dictionary):
                    attributes = pikepdf.Dictionary(O=pikepdf.Name("/Table"))
                    element.A = attributes
                attributes.Scope = pikepdf.Name(scope)
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:language"] = [PDF_LANGUAGES.get(lang, lang)]
        output = io.BytesIO()
        document.save(output, deterministic_id=True)
    return output.getvalue()


def structure(node):
    """Every structure element below a node of the structure tree."""
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from structure(kid)


# ---------------------------------------------------------------- every character drawable


@functools.cache
def drawable() -> frozenset[int]:
    """The code points the embedded font (Noto Sans CJK TC, regular and bold) can draw."""
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
    problems: list[Problem] = []
    reported: set[str] = set()
    for line, text in texts(plan):
        for char in text + (extra if line == 1 else ""):
            if char not in reported and ord(char) not in font and not char.isspace():
                reported.add(char)
                problems.append(Problem(plan.loc.path, line,
                                        f"the PDF font {FONT_NAME} cannot show the character '{char}' "
                                        f"(U+{ord(char):04X})", "replace it with a common character"))
    return problems


def texts(plan: m.Plan):
    """(line, text) of everything the PDF prints from the plan."""
    yield 1, f"{plan.title}{plan.agency.zh}{plan.agency.en}{plan.issued_ref or ''}"
    for basis in plan.basis:
        yield basis.loc.line, basis.authority + basis.title + (basis.ref or "")
    for item in m.items(plan):
        yield item.loc.line, m.own_text(item)
        if isinstance(item, m.Action) and item.deadline:
            yield item.loc.line, item.deadline.text
