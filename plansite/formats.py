"""The formats every plan is published in besides its web page: one entry per download.

A format says what its file is (suffix, MIME type), what the plan page's link says, which plans
it applies to, the module that makes it, and what its files depend on beyond the plan (code,
tools, fonts). The downloads, their cache, the plan page, the catalogue and the build stamp
all read this list, so a new format is one module (with ``source`` and ``render`` functions)
and one line in :data:`FORMATS` (see docs/architecture.md, "Adding an output format").

This module imports nothing heavy: the stamp reads it before the renderers load, and a
format's module (WeasyPrint, pikepdf, odfdo: a third of plansite's import time) is imported
only when one of its files is made.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import fingerprint
from .site_paths import download, language

if TYPE_CHECKING:
    from datetime import datetime

    from . import model as m
    from .config import SiteConfig


def N_(message: str) -> str:
    """Marks a string for the catalogs (pybabel knows ``N_``); the plan page translates it."""
    return message


def every_plan(plan: m.Plan) -> bool:
    """Every plan is published in the format (both formats today)."""
    return True


class DocumentError(Exception):
    """A format's renderer found the file it made wrong: a bug in plansite, never in a plan."""

    hint = "this is a bug in plansite; please report it"


@dataclass(frozen=True)
class Format:
    """One kind of download, made for every plan it applies to, in the plan's language."""

    kind: str
    """The file's suffix, and its name among a plan's addresses in the catalogue: 'pdf'."""
    media_type: str
    """The MIME type the plan page's link states."""
    label: str
    """What the plan page's link says: a catalog message with %(language)s and %(size)s."""
    module: str
    """The module making the files: its ``source(plan, project, config, stamp)`` says what a
    plan's file is made from, as (what ``render`` takes, what else its key must cover);
    ``render(*payload)`` makes the file's bytes, in a worker."""
    render: str = "render"
    """The name of the module's function making the file."""
    label_paged: str | None = None
    """What the link says when the file states its page count (%(pages)s too)."""
    pages: Callable[[bytes], int | None] | None = None
    """Reads the page count a file of this format states, if it states one."""
    tools: tuple[str, ...] = ()
    """The Python distributions the files are made with: a new version makes them again."""
    code: tuple[str, ...] = ()
    """plansite's modules the files are made by, besides ``module``."""
    fonts: tuple[Path, ...] = ()
    """The font files it embeds."""
    plans: Callable[[m.Plan], bool] = every_plan
    """Which plans are published in it."""

    def path(self, plan: m.Plan) -> str:
        """Where a plan's file goes in site/, e.g. 'downloads/mof-2017.en.pdf'."""
        return download(plan.id, language(plan.lang), self.kind)

    def source(self, plan: m.Plan, project: Path, config: SiteConfig, stamp: datetime) -> tuple[tuple, tuple]:
        """What the plan's file is made from, and what else its key covers: the module's
        ``source`` (imported now, so only a build that makes a file loads it)."""
        return function(self.module, "source")(plan, project, config, stamp)

    def renderer(self) -> str:
        """The function making the files, as 'module:function' (a worker imports it by that name)."""
        return f"{self.module}:{self.render}"

    def font_sizes(self) -> list[str]:
        """The embedded font files by path and size (the files installed are what it embeds)."""
        return [f"{p}:{p.stat().st_size}" for p in self.fonts if p.exists()]

    def fingerprint(self) -> str:
        """What every file of this format, and every link to one, depends on beyond its plan:
        :func:`cache.fingerprint` with this entry, the code that makes the files (a format's
        module need not be plansite's), its tools' versions and the fonts. (Reads the code
        without importing it: the stamp asks before anything heavy loads.)"""
        code = []
        for name in (self.module, *self.code):
            origin = importlib.util.find_spec(name).origin
            code.append(Path(origin).read_bytes() if origin else name.encode())
        entry = (self.kind, self.media_type, self.label, self.label_paged, self.module, self.render)
        tools = [f"{tool} {version(tool)}" for tool in self.tools]
        return fingerprint(repr((entry, tools, self.font_sizes())), *code)


def function(module: str, name: str) -> Callable:
    """A function of a format's module, imported now."""
    return getattr(importlib.import_module(module), name)


def render(renderer: str, *payload) -> bytes:
    """The file ``renderer`` ('module:function', see :meth:`Format.renderer`) makes of ``payload``."""
    module, _, name = renderer.partition(":")
    return function(module, name)(*payload)


PAGE_COUNT = re.compile(rb'xmpTPg:NPages(?:="|(?:\s[^>]*)?>)(\d+)')
"""The page count in a PDF's XMP metadata (``render_pdf.finish`` writes it; the XMP stream is
never compressed or in an object stream, so it is read without parsing the PDF)."""


def pdf_pages(pdf: bytes) -> int | None:
    """The page count a PDF made here states in its XMP metadata."""
    found = PAGE_COUNT.search(pdf)
    return int(found.group(1)) if found else None


ODT = Format(
    kind="odt",
    media_type="application/vnd.oasis.opendocument.text",
    label=N_("Download the ODF document (%(language)s, editable, %(size)s)"),
    module="plansite.render_odt",
    render="render_plan_odt",
    tools=("odfdo", "segno", "lxml"),
)
PDF = Format(
    kind="pdf",
    media_type="application/pdf",
    label=N_("Download the PDF document (%(language)s, %(size)s)"),
    label_paged=N_("Download the PDF document (%(language)s, %(pages)s, %(size)s)"),
    pages=pdf_pages,
    module="plansite.render_pdf",
    render="render_plan_pdf",
    tools=("weasyprint", "pydyf", "fonttools", "pikepdf"),
    code=("plansite.pdf_tags",),
    fonts=(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
           Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")),
)
FORMATS: tuple[Format, ...] = (ODT, PDF)
"""Every download, in the order the plan page and the catalogue list them. Read it as
``formats.FORMATS`` when it is needed, not imported by name: a test adds a format to it."""


def page_count(path: str, data: bytes) -> int | None:
    """The page count the download at ``path`` states, if its format states one."""
    for format in FORMATS:
        if format.pages and path.endswith(f".{format.kind}"):
            return format.pages(data)
    return None


@dataclass(frozen=True)
class AttachmentFormat:
    """A kind of file a plan may attach (附件): known by its content, not only its name."""

    kind: str
    media_type: str
    label: str
    """What the plan page calls it: a catalog message ("PDF document")."""
    suffixes: tuple[str, ...]
    """The file names it may have, lower case."""
    signature: tuple[tuple[int, bytes], ...]
    """(offset, bytes) its files hold, every one."""
    image: bool = False
    """Shown on the page as an image, so it needs alternative text."""

    def matches(self, data: bytes) -> bool:
        return all(data[at:at + len(part)] == part for at, part in self.signature)


def odf(media_type: str) -> tuple[tuple[int, bytes], ...]:
    """An ODF package's signature: a zip whose first member is 'mimetype', stored uncompressed
    with no extra field, holding exactly the MIME type (ODF 1.2 part 3, 3.3), then the next member."""
    name = b"mimetype" + media_type.encode("ascii")
    return ((0, b"PK\x03\x04"), (30, name), (30 + len(name), b"PK\x03\x04"))


ATTACHMENTS: tuple[AttachmentFormat, ...] = (
    AttachmentFormat("pdf", "application/pdf", N_("PDF document"), (".pdf",), ((0, b"%PDF-"),)),
    AttachmentFormat("odt", ODT.media_type, N_("ODF text document"), (".odt",), odf(ODT.media_type)),
    AttachmentFormat("ods", "application/vnd.oasis.opendocument.spreadsheet", N_("ODF spreadsheet"),
                     (".ods",), odf("application/vnd.oasis.opendocument.spreadsheet")),
    AttachmentFormat("png", "image/png", N_("PNG image"), (".png",), ((0, b"\x89PNG\r\n\x1a\n"),),
                     image=True),
    AttachmentFormat("jpeg", "image/jpeg", N_("JPEG image"), (".jpg", ".jpeg"), ((0, b"\xff\xd8\xff"),),
                     image=True),
)
"""The formats a plan may attach, by content: what the plan page, the ODT and the PDF call
each attachment, and its MIME type."""

ATTACHMENT_KINDS = {format.kind: format for format in ATTACHMENTS}
