"""``python build.py import PLAN.odt``: a draft plan file from the document an agency already has.

The agency's ODF text document (or a Word file, which LibreOffice converts to ODF first: one
parser only) is read with odfdo into a flat list of headings, paragraphs and tables, then
written as plansite Markdown (docs/import.md):

- level-1 headings, and paragraphs numbered 壹、貳、…, start sections; numbered paragraphs
  (一、 (一) 1. (1) …) become nested lists, nested by the order their kinds first appear;
- a table whose header names the columns of an action table becomes ``::: actions``: its
  leading row-spanning columns are the group levels, a cell that spans several actions in the
  deadline or units column becomes the fields shared by a run of actions; groups written as
  headings between flat tables (as plansite's own ODT prints them) are read too.

Nothing is guessed: every cell or paragraph the importer cannot place is kept with a visible
〔編註：…〕 and named in the report, and metadata the document does not state is left empty with
a comment, so the build names each at its line.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .drafts import NUMBER
from .errors import OS_FAULTS, MachineError
from .workers import STOPS, ctrl_c_held

WORD_SUFFIXES = {".docx", ".doc", ".rtf"}
"""Files LibreOffice converts to ODT before they are read."""
CONVERT_SECONDS = 120

# ---------------------------------------------------------------- the document, read


@dataclass
class Para:
    """A paragraph of the document: its text as Markdown and as plain text."""

    markdown: str
    plain: str
    style: str = ""
    list_depth: int | None = None
    """Its depth in an ODF list (0 outermost), or None outside lists."""
    list_item: bool = False
    """The first paragraph of an ODF list item (later ones continue it)."""
    bookmarks: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    numbered_list: bool = False
    """In an ODF list that numbers its items itself (the numbers are not in the text)."""


@dataclass
class Heading:
    level: int
    para: Para
    in_numbered_list: bool = False
    """In a list that numbers it (Word's outline numbering): its number is not in its text."""


@dataclass(eq=False)
class Cell:
    """A cell of a table, where it starts and how far it spans (one object for all the slots a
    merged cell covers: compared by identity)."""

    paras: list[Para]
    row: int
    column: int
    rows: int = 1
    columns: int = 1

    @property
    def plain(self) -> str:
        return "".join(p.plain for p in self.paras).strip()


@dataclass
class Grid:
    """A table as a grid: each slot holds the cell that covers it (a merged cell covers many)."""

    slots: list[list[Cell | None]]
    header_rows: int = 1


Block = Para | Heading | Grid


class ImportFailed(MachineError):
    """The input cannot be read as a document: one line, no traceback."""


# ---------------------------------------------------------------- opening the file


def open_document(path: Path, workdir: Path, timeout: float = CONVERT_SECONDS):
    """The document at ``path`` as an odfdo Document; a Word file is converted with LibreOffice
    first (into ``workdir``, with its own profile, so it never touches the user's)."""
    from odfdo import Document

    if not path.exists():
        raise ImportFailed(path, "there is no such file", "check the path")
    if not path.is_file():
        raise ImportFailed(path, "is not a file", "name the .odt or .docx file of the plan")
    suffix = path.suffix.lower()
    if suffix == ".docx" and not zipped(path) and not word_or_web(path):  # else LibreOffice reads it as text
        raise ImportFailed(path, "is not a Word document (a .docx file is a ZIP package, and this one "
                           "is not)", "open it in LibreOffice or Word and save it as .docx or .odt, then "
                           "import that")
    if suffix in WORD_SUFFIXES:
        path = convert_to_odt(path, workdir, timeout)
    elif suffix not in (".odt", ".fodt", ".ott"):
        raise ImportFailed(path, f"'{path.suffix or path.name}' is not a document plansite can import",
                           "give an ODF text document (.odt) or a Word document (.docx)")
    if suffix != ".fodt" and not zipped(path):
        raise ImportFailed(path, "is not an ODF document (it is not a ZIP package)",
                           "open it in LibreOffice and save it as .odt, then import that")
    try:
        document = Document(path)
        mimetype = document.mimetype
        body = document.body
    except Exception as error:  # odfdo raises many kinds for a broken package  # noqa: BLE001
        raise ImportFailed(path, f"cannot be read as an ODF document ({type(error).__name__})",
                           "open it in LibreOffice and save it as .odt, then import that") from None
    if "opendocument.text" not in (mimetype or "") or body is None or body.tag != "office:text":
        raise ImportFailed(path, f"is not a text document ({mimetype or 'no mimetype'})",
                           "import the plan's text document (.odt or .docx), not a spreadsheet or "
                           "presentation")
    return document


def zipped(path: Path) -> bool:
    """True for a ZIP package (as .docx and .odt files are). A file that cannot be read raises
    its error (permission denied, say), rather than being called something else."""
    with open(path, "rb") as file:
        return zipfile.is_zipfile(file)


def word_or_web(path: Path) -> bool:
    """True for a file that starts as a Word 97 document, RTF or a web page does: Word and
    LibreOffice open those whatever their name says, so a .doc renamed .docx still converts."""
    with open(path, "rb") as file:
        start = file.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf", b"<!doctype html", b"<html",
                             b"<?xml"))


def convert_to_odt(path: Path, workdir: Path, timeout: float) -> Path:
    """``path`` converted to ODT by LibreOffice, killed (with its children) after ``timeout``."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ImportFailed(path, "LibreOffice is needed to read a Word document and is not installed",
                           "run ./setup (or: sudo apt-get install libreoffice-writer-nogui)")
    source = workdir / f"source{path.suffix.lower()}"  # a plain name: LibreOffice names its output after it
    try:
        shutil.copyfile(path, source)
    except OSError as error:
        raise unwritable(error, workdir.parent, TEMPORARY_FULL) from None
    # coreutils' timeout bounds LibreOffice (with its children: its process group) even when
    # plansite itself is killed with SIGKILL and can stop nothing: a document it hangs on would
    # otherwise keep it running for good. plansite stops it first, at ``timeout``.
    bound = shutil.which("timeout")
    limit = [bound, "--kill-after=5", f"{int(timeout) + 5}"] if bound else []
    command = [*limit, soffice, profile_option(workdir), "--headless",
               "--norestore", "--convert-to", "odt", "--outdir", str(workdir / "out"), str(source)]
    (workdir / "tmp").mkdir()  # LibreOffice's own temporary files go with the working folder
    environment = os.environ | {"HOME": str(workdir), "TMPDIR": str(workdir / "tmp")}
    process = None
    try:
        with ctrl_c_held(STOPS, block=False):  # a stop as it starts comes once it can be stopped
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       env=environment, start_new_session=True)
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with ctrl_c_held(STOPS):  # stopped meanwhile, it is stopped all the same
            stop_office(process.pid)
            process.communicate()
        raise ImportFailed(path, f"LibreOffice did not convert it within {timeout:.0f} s",
                           "open it in LibreOffice, save it as .odt, and import that") from None
    except BaseException:  # stopped (Ctrl-C, a kill): LibreOffice, in a session of its own, goes too
        if process is not None:
            with ctrl_c_held(STOPS):  # a second stop (the terminal closed after Ctrl-C) waits for it
                stop_office(process.pid)
                process.wait()
        raise
    converted = workdir / "out" / "source.odt"
    if process.returncode != 0 or not converted.is_file():
        stats = os.statvfs(workdir)  # root may use the blocks kept back for it
        free = (stats.f_bfree if os.geteuid() == 0 else stats.f_bavail) * stats.f_frsize
        if free < ROOM_TO_CONVERT:  # LibreOffice says nothing of it: its profile alone takes megabytes
            raise MachineError(workdir.parent, f"has too little free space for LibreOffice to convert the "
                               f"document ({free // 1024:,} kB free)", TEMPORARY_FULL)
        raise ImportFailed(path, "LibreOffice could not convert it to ODT (is it a Word document?)",
                           "open it in LibreOffice, save it as .odt, and import that")
    return converted


def profile_option(workdir: Path) -> str:
    """LibreOffice's profile in the working folder, never the user's (and how its processes are
    told from others': :func:`converting_in`)."""
    return f"-env:UserInstallation={(workdir / 'profile').as_uri()}"


def stop_office(group: int) -> None:
    """Kill LibreOffice (process group ``group``: its timeout, itself and all its children), and
    remove the socket its first process listens on for others (/tmp/OSL_PIPE_…, wherever
    TMPDIR is), which it removes only when it ends by itself."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGSTOP)  # held still: no socket or file made meanwhile
    sockets = listening_sockets(group)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    deadline = time.monotonic() + 5  # gone before the working folder is removed
    while members(group) and time.monotonic() < deadline:
        time.sleep(0.01)
    for path in sockets:
        with contextlib.suppress(OSError):
            if Path(path).name.startswith("OSL_PIPE_"):
                os.unlink(path)


def members(group: int) -> list[int]:
    """The processes of process group ``group`` that still run (not zombies awaiting a parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                state = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(state[2]) == group and state[0] != "Z":  # state, ppid, pgrp
                    found.append(int(entry.name))
    return found


def listening_sockets(group: int) -> list[str]:
    """The paths of the Unix sockets the processes of process group ``group`` hold."""
    held = set()
    for pid in members(group):
        with contextlib.suppress(OSError):
            held |= {os.readlink(fd)[8:-1] for fd in Path(f"/proc/{pid}/fd").iterdir()
                     if os.readlink(fd).startswith("socket:[")}
    paths = []
    with contextlib.suppress(OSError), open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
        for line in itertools.islice(table, 1, None):  # Num RefCount Protocol Flags Type St Inode Path
            fields = line.split(maxsplit=7)
            if len(fields) == 8 and fields[6] in held:
                paths.append(fields[7].strip())
    return paths


# ---------------------------------------------------------------- reading the body


class Reader:
    """Reads the body of an odfdo Document into blocks, keeping bold text and links."""

    def __init__(self, document, notes: list[str]):
        self.document = document
        self.styles_seen: dict[tuple[str, str, str], bool] = {}
        self.notes = notes
        """What the reader could not keep (pictures, comments), for the report."""

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        self.walk(self.document.body, out, None)
        return out

    def walk(self, element, out: list[Block], depth: int | None, list_style: str = "",
             numbered: bool = False) -> None:
        """``depth``: the depth in ODF lists (None outside); ``list_style``: the style of the list
        around (a nested list inherits it); ``numbered``: whether that list numbers its items."""
        for child in element.children:
            tag = child.tag
            if tag == "text:h":
                level = child.get_attribute_integer("text:outline-level") or 1
                lines = self.paras(child, None, heading=True)
                if lines:  # a line break in a heading is a space: its words all belong to it
                    first = lines[0]
                    first.markdown = joined([p.markdown for p in lines])
                    first.plain = joined([p.plain for p in lines])
                    out.append(Heading(level, first, numbered))
            elif tag == "text:p":
                out.extend(self.paras(child, depth))
            elif tag == "text:list":
                inner = 0 if depth is None else depth + 1
                style = child.get_attribute_string("text:style-name") or list_style
                numbers = self.numbers_itself(style, inner + 1)
                for item in child.children:
                    if item.tag in ("text:list-item", "text:list-header"):
                        first = len(out)
                        self.walk(item, out, inner, style, numbers)
                        for block in out[first:first + 1]:
                            if isinstance(block, Para) and block.list_depth == inner:
                                block.list_item = item.tag == "text:list-item"
                                block.numbered_list = numbers
            elif tag == "table:table":
                out.append(self.grid(child))
            elif tag in ("text:section", "text:soft-page-break"):
                self.walk(child, out, depth, list_style, numbered)
            # generated tables of contents and indexes repeat the headings: left out

    def paras(self, element, depth: int | None, heading: bool = False) -> list[Para]:
        """One ODF paragraph as Markdown paragraphs: a line break starts a new one. A heading's
        style makes it bold: that is not emphasis to keep."""
        markdown, plain, bookmarks, links = self.inline(element)
        own_style = element.get_attribute_string("text:style-name") or ""
        style = self.named_style(own_style)
        whole_bold = not heading and self.is_bold("paragraph", own_style)
        out = []
        for md_line, plain_line in zip(markdown.split("\n"), plain.split("\n"), strict=True):
            if not plain_line.strip():
                continue
            md_line = md_line.strip()
            if whole_bold:
                md_line = bolden(md_line, plain_line.strip(), alone=True)
            out.append(Para(md_line, plain_line.strip(), style, depth, False, tuple(bookmarks), tuple(links)))
        if not out and bookmarks:  # an empty paragraph that only marks a place (plansite's notes)
            out.append(Para("", "", style, depth, False, tuple(bookmarks), tuple(links)))
        return out

    def inline(self, element) -> tuple[str, str, list[str], list[str]]:
        md: list[str] = []
        plain: list[str] = []
        bookmarks: list[str] = []
        links: list[str] = []

        def add(text: str | None) -> None:
            if text:
                text = re.sub(r"[ \t\r\n]+", " ", text)
                md.append(escape(text))
                plain.append(text)

        add(element.text)
        for child in element.children:
            tag = child.tag
            if tag == "text:span" and self.style_sets(
                    "text", child.get_attribute_string("text:style-name") or "", "text:display", ("none",)):
                pass  # hidden text is not printed (e.g. words a heading carries for the outline only)
            elif tag == "text:span":
                inner_md, inner_plain, marks, hrefs = self.inline(child)
                bookmarks += marks
                links += hrefs
                style = child.get_attribute_string("text:style-name") or ""
                md.append(bolden(inner_md, inner_plain) if self.is_bold("text", style) else inner_md)
                plain.append(inner_plain)
            elif tag == "text:a":
                inner_md, inner_plain, marks, hrefs = self.inline(child)
                href = child.get_attribute_string("xlink:href") or ""
                links.append(href)
                bookmarks += marks
                web = re.match(r"(https?:|mailto:)[^<>\s]*$", href) and inner_plain.strip()
                md.append(f"[{inner_md}](<{href}>)" if web else inner_md)
                plain.append(inner_plain)
            elif tag == "text:s":
                add(" " * (child.get_attribute_integer("text:c") or 1))
            elif tag == "text:tab":
                add(" ")
            elif tag == "text:line-break":
                md.append("\n")
                plain.append("\n")
            elif tag in ("text:bookmark", "text:bookmark-start"):
                bookmarks.append(child.get_attribute_string("text:name") or "")
            elif tag == "text:note":
                body = " ".join(p.plain for p in self.paras_of(child, "text:note-body"))
                note = f"{FOOTNOTE}{escape(body.replace('〕', '）'))}〕"
                md.append(note)
                plain.append(note)
            elif tag == "draw:frame":
                md.append(PICTURE)
                plain.append(PICTURE)
            elif tag in ("office:annotation", "office:annotation-end", "text:bookmark-end",
                         "text:hidden-text", "text:soft-page-break", "text:note-citation",
                         "text:reference-mark-start", "text:reference-mark-end"):
                pass
            else:
                inner_md, inner_plain, marks, hrefs = self.inline(child)
                md.append(inner_md)
                plain.append(inner_plain)
                bookmarks += marks
                links += hrefs
            add(child.tail)
        return "".join(md), "".join(plain), bookmarks, links

    def numbers_itself(self, name: str, level: int) -> bool:
        """Whether a list style numbers the items of ``level`` (1. 2. …) rather than bulleting them."""
        style = self.document.get_style("list", name) if name else None
        if style is None:
            return False
        for child in style.children:
            if child.tag.startswith("text:list-level-style") and (
                    child.get_attribute_integer("text:level") or 1) == level:
                return child.tag == "text:list-level-style-number" and bool(
                    child.get_attribute_string("style:num-format"))
        return False

    def paras_of(self, element, tag: str) -> list[Para]:
        out: list[Block] = []
        for child in element.children:
            if child.tag == tag:
                self.walk(child, out, None)
        return [b for b in out if isinstance(b, Para)]

    def named_style(self, name: str) -> str:
        """The paragraph style a paragraph is in: an automatic style (P1 …, as LibreOffice writes
        for direct formatting, e.g. in a converted Word file) stands for its parent."""
        style = self.document.get_style("paragraph", name) if name else None
        if style is not None and style.parent is not None and style.parent.tag == "office:automatic-styles":
            return style.get_attribute_string("style:parent-style-name") or name
        return name

    def is_bold(self, family: str, name: str) -> bool:
        return self.style_sets(family, name, "fo:font-weight", ("bold", "600", "700", "800", "900"))

    def style_sets(self, family: str, name: str, prop: str, values: tuple[str, ...]) -> bool:
        """Whether the style (or the nearest style it inherits from that says) sets the text
        property ``prop`` to one of ``values`` (bold, hidden …)."""
        if not name:
            return False
        key = (family, name, prop)
        if key not in self.styles_seen:
            self.styles_seen[key] = False  # a loop of parents ends here
            style = self.document.get_style(family, name)
            found = False
            if style is not None:
                value = (style.get_properties(area="text") or {}).get(prop, "")
                parent = style.get_attribute_string("style:parent-style-name") or ""
                found = value in values or (not value and self.style_sets(family, parent, prop, values))
            self.styles_seen[key] = found
        return self.styles_seen[key]

    def grid(self, table) -> Grid:
        rows: list = []
        header_rows = 0
        for child in table.children:
            if child.tag == "table:table-header-rows":
                found = [r for r in child.children if r.tag == "table:table-row"]
                header_rows += len(found)
                rows += found
            elif child.tag == "table:table-row":
                rows.append(child)
            elif child.tag in ("table:table-rows", "table:table-row-group"):
                rows += [r for r in child.children if r.tag == "table:table-row"]
        slots: list[list[Cell | None]] = []

        def place(r: int, c: int, cell: Cell | None) -> None:
            while len(slots) <= r:
                slots.append([])
            while len(slots[r]) <= c:
                slots[r].append(None)
            if slots[r][c] is None:
                slots[r][c] = cell

        for r, row in enumerate(rows):
            c = 0
            for element in row.children:
                if element.tag not in ("table:table-cell", "table:covered-table-cell"):
                    continue
                repeat = element.get_attribute_integer("table:number-columns-repeated") or 1
                for _ in range(min(repeat, 64)):  # a covered cell holds the place a merged cell covers
                    if element.tag == "table:table-cell":
                        paras: list[Block] = []
                        self.walk(element, paras, None)
                        cell = Cell([p for p in paras if isinstance(p, Para)], r, c,
                                    element.get_attribute_integer("table:number-rows-spanned") or 1,
                                    element.get_attribute_integer("table:number-columns-spanned") or 1)
                        if any(isinstance(p, Grid) for p in paras):
                            self.notes.append("a table inside a table cell was read as text")
                            cell.paras += [para for b in paras if isinstance(b, Grid) for rw in b.slots
                                           for s in rw if s for para in s.paras]
                        for dr in range(cell.rows):
                            for dc in range(cell.columns):
                                place(r + dr, c + dc, cell)
                    c += 1
        width = max((len(r) for r in slots), default=0)
        for row in slots:
            row += [None] * (width - len(row))
        return Grid(slots, max(header_rows, 1))


def joined(lines: list[str]) -> str:
    """Lines of one heading as one: Chinese runs on without a space, other text with one."""
    text = lines[0]
    for line in lines[1:]:
        wide = text[-1:] > "\u2e7f" and line[:1] > "\u2e7f"  # CJK punctuation and ideographs
        text += line if wide else " " + line
    return text


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&{])")


def escape(text: str) -> str:
    """Plain text as Markdown that reads back as the same text."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def bolden(markdown: str, plain: str, alone: bool = False) -> str:
    """Bold Markdown for ``markdown``, keeping a printed number outside the bold, and no bold
    where Markdown would not read it as such (it must not start or end at a space or
    punctuation next to other text)."""
    stripped = markdown.strip()
    if not stripped or stripped.startswith("**"):
        return markdown
    number = NUMBER.match(plain)
    lead = ""
    if number and markdown.startswith(escape(number.group())):
        lead = escape(number.group())
        stripped = markdown[len(lead):].strip()
        lead = lead.rstrip() + " "
    if not stripped or not alone and (punctuation(stripped[0]) or punctuation(stripped[-1])):
        return markdown
    return f"{lead}**{stripped}**"


def punctuation(character: str) -> bool:
    return unicodedata.category(character)[0] in "PZS" or character == "\\"


# ---------------------------------------------------------------- the draft, written

SECTION_NUMBER = re.compile(r"^\s*[壹貳參叁肆伍陸柒捌玖拾]+、")
NUMBER_LABELS = re.compile(r"^(項次|編號|序號|序|No\.?)$", re.IGNORECASE)
DEADLINE_LABEL = re.compile(r"期限|期程|時程|完成日期|完成時間|辦理時間|deadline", re.IGNORECASE)
UNITS_LABEL = re.compile(r"單位|responsible", re.IGNORECASE)
ACTION_LABEL = re.compile(r"作法|做法|措施|重點|方法|內容|measure|action", re.IGNORECASE)
PLACE_NOTE = "〔編註：{}〕"
PICTURE = "〔編註：原文此處有圖片，未匯入〕"
FOOTNOTE = "〔編註：原文附註："
WRITTEN_NOTES = {PICTURE: "a picture was not imported: add it to the plan if it needs it",
                 PLACE_NOTE.format("原文此段在前一表格之後："): (
                     "text that stood between two parts of the action table, moved to the next group's "
                     "description or after the table: move it where it belongs"),
                 FOOTNOTE: "a footnote, kept where it was referenced: check it reads well there"}
"""Notes the reader writes into the text, and what the report says at their line."""
EMPTY_CELL = "〔編註：原文此格空白〕"


def number_kind(number: str) -> str:
    """The kind of a printed number (一、 and 二、 are one kind, (一) another), for nesting."""
    text = number.strip()
    for kind, pattern in (("zh-upper", r"[壹貳參叁肆伍陸柒捌玖拾]"), ("zh", r"[一二三四五六七八九十]+、"),
                          ("zh-paren", r"[（(]\s*[一二三四五六七八九十]"), ("decimal", r"\d+(\.\d+)+"),
                          ("arabic-paren", r"[（(]\s*\d"), ("arabic", r"\d"), ("roman", r"[IVXLC]+\."),
                          ("latin", r"[A-Z]")):
        if re.match(pattern, text):
            return kind + ("" if kind != "arabic" else text[-1:].replace(".", "").replace("．", ""))
    return text


def printed_number(plain: str) -> str | None:
    match = NUMBER.match(plain)
    return match.group().strip() if match else None


@dataclass
class Columns:
    """What each column of an action table holds."""

    labels: list[str]
    groups: list[int]
    action: int
    number: int | None = None
    deadline: int | None = None
    units: int | None = None
    fields: list[int] = field(default_factory=list)

    def key(self) -> tuple:
        """Tables with the same key continue one action table (a run split by headings)."""
        label = self.labels.__getitem__
        return (label(self.action), self.deadline is not None and label(self.deadline),
                self.units is not None and label(self.units), tuple(map(label, self.fields)))


def header_labels(grid: Grid) -> list[str]:
    labels = []
    for column in range(len(grid.slots[0]) if grid.slots else 0):
        label = ""
        for row in grid.slots[:grid.header_rows]:
            cell = row[column]
            if cell is not None and cell.plain and cell.plain != label:
                label = cell.plain  # the deepest header row names the column
        labels.append(re.sub(r"\s+", "", label))
    return labels


def action_columns(grid: Grid) -> Columns | None:
    """The roles of the columns of an action table, or None when the table is not one."""
    if not grid.slots or len(grid.slots[0]) < 2 or len(grid.slots) <= grid.header_rows:
        return None
    labels = header_labels(grid)
    number = next((c for c, label in enumerate(labels) if NUMBER_LABELS.match(label)), None)
    deadline = next((c for c, label in enumerate(labels) if DEADLINE_LABEL.search(label)), None)
    units = next((c for c, label in enumerate(labels) if UNITS_LABEL.search(label)), None)
    roles = {number, deadline, units}
    action = next((c for c, label in enumerate(labels) if c not in roles and ACTION_LABEL.search(label)),
                  None)
    if action is None:
        if deadline is None and units is None:
            return None
        spanning = {cell.column for row in grid.slots[grid.header_rows:] for cell in row
                    if cell is not None and cell.rows > 1}
        action = 0
        while action in roles or action in spanning:
            action += 1
        if action >= len(labels):
            return None
    groups = [c for c in range(action) if c not in roles]
    fields = [c for c in range(action + 1, len(labels)) if c not in roles]
    return Columns(labels, groups, action, number, deadline, units, fields)


@dataclass
class ActionRow:
    """One action read from a table row (a cell of 1. 2. 3. gives several)."""

    paras: list[Para]
    row: int
    cells: dict[int, Cell | None]
    """Column → the cell giving this action's deadline, units and fields."""


class Draft:
    """The Markdown being written, with the report of what needs the author's eye."""

    def __init__(self):
        self.lines: list[str] = []
        self.notes: list[tuple[int, str]] = []
        """(line of the body, what to check)."""
        self.tables: dict[str, Columns] = {}
        self.group_labels: dict[str, list[str]] = {}
        self.note_texts: dict[str, str] = {}
        """plansite's own ODT says a note many cells share once (bookmark note-1 …)."""

    def add(self, line: str = "") -> None:
        if line or (self.lines and self.lines[-1]):
            self.lines.append(line)
        for note, message in WRITTEN_NOTES.items():
            if note in line:
                self.notes.append((len(self.lines), message))

    def note(self, message: str, line: int | None = None) -> None:
        self.notes.append((line if line is not None else len(self.lines) + 1, message))

    def shared_note(self, para: Para) -> str | None:
        """A cell of plansite's own ODT that links to a shared note (未載明（註1）) holds that note."""
        for href in para.links:
            if href.startswith("#") and href[1:] in self.note_texts:
                return self.note_texts[href[1:]]
        return None


def write_prose(draft: Draft, paras: list[Para], indent: str = "") -> None:
    """Paragraphs of a section (or of an action, indented): numbered ones as nested lists, the
    rest as paragraphs. A list the word processor numbers itself is written 1. 2. 3. (its numbers
    are not in the text; the report says so)."""
    kinds: list[str] = []
    in_list = False
    widths: list[int] = []  # the width of the list marker at each depth of an ODF list
    counters: list[int] = []
    for para in paras:
        if not para.markdown:
            continue
        number = printed_number(para.plain)
        if para.list_depth is not None:
            depth = para.list_depth
            del widths[depth + 1:], counters[depth + 1:]
            while len(widths) <= depth:
                widths.append(2)
                counters.append(0)
            inner = indent + " " * sum(widths[:depth])
            if para.list_item or not in_list:
                if not in_list:
                    draft.add()
                marker = "- "
                if para.numbered_list and not number:
                    counters[depth] += 1
                    marker = f"{counters[depth]}. "
                    if counters[depth] == 1:
                        draft.note("the document numbers this list itself (the numbers are not in its "
                                   "text): written 1. 2. 3. — write the numbers as printed (一、 (一) …) if "
                                   "they differ")
                widths[depth] = len(marker)
                draft.add(inner + marker + para.markdown)
                in_list = True
            else:
                draft.add()
                draft.add(inner + " " * widths[depth] + para.markdown)
            continue
        widths, counters = [], []
        if number:
            kind = number_kind(number)
            if kind in kinds:
                del kinds[kinds.index(kind) + 1:]
            else:
                kinds.append(kind)
            if not in_list:
                draft.add()
            draft.add(indent + "  " * (len(kinds) - 1) + "- " + para.markdown)
            in_list = True
        else:
            kinds = []
            in_list = False
            draft.add()
            draft.add(indent + plain_paragraph(para.markdown))


def plain_paragraph(markdown: str) -> str:
    """A paragraph that Markdown must not read as a list, heading or quote."""
    if re.match(r"^(\d+)([.)])(\s|$)", markdown):
        return re.sub(r"^(\d+)([.)])", r"\1\\\2", markdown)
    if re.match(r"^([-+=>#|~:])", markdown):
        return "\\" + markdown
    return markdown


def write_description(draft: Draft, paras: list[Para]) -> None:
    """A group's description: paragraphs, and 1. 2. items as a numbered Markdown list with
    their sub-items nested (a bullet list there would be read as actions)."""
    in_item = False
    counter = 0
    for para in paras:
        number = printed_number(para.plain)
        top = re.fullmatch(r"(\d+)[.．]", number or "")
        if not number and para.list_depth == 0 and para.list_item and para.numbered_list:
            counter += 1  # numbered by the list itself: the same numbers, in Markdown
            draft.add() if not in_item else None
            draft.add(f"{counter}. {para.markdown}")
            in_item = True
            continue
        if top and (para.list_depth in (None, 0)):
            if not in_item:
                draft.add()
            rest = para.markdown[len(escape(number)):].lstrip() if para.markdown.startswith(
                escape(number)) else para.markdown
            draft.add(f"{top.group(1)}. {rest}")
            in_item = True
        elif in_item and (number or (para.list_depth or 0) > 0):
            draft.add("   - " + para.markdown)
        else:
            in_item = False
            draft.add()
            draft.add(plain_paragraph(para.markdown))
    draft.add()


class ActionsWriter:
    """One ``::: actions NAME`` block: group headings, actions, their fields, and the fields a
    merged cell shares among several actions."""

    def __init__(self, draft: Draft, name: str, columns: Columns, section_level: int):
        self.draft, self.name, self.columns = draft, name, columns
        self.section_level = section_level
        self.depth = 0  # the level of the last group heading
        self.levels = 0  # the deepest group level written
        self.labels: dict[int, str] = {}
        self.action_notes: dict[int, list[str]] = {}
        """Notes for the report, by the action (of the table being written) they concern."""

    # groups -----------------------------------------------------------------
    def heading(self, level: int, title: Para | None, description: list[Para], label: str = "") -> None:
        if level > 3:
            self.draft.note(f"a group at level {level}: a table has at most 3 group levels; written as "
                            "level 3, check it")
            level = 3
        if level > self.depth + 1:
            self.draft.note(f"a group at level {level} follows one at level {self.depth}: the levels "
                            "between are empty in the document; check the groups")
        if label:
            self.labels.setdefault(level, label)
        self.draft.add()
        text = title.markdown if title is not None and title.markdown else ""
        if not text:
            self.draft.note("an empty group cell: the group has no title in the document")
            text = PLACE_NOTE.format("原文此格空白")
        self.draft.add("#" * (level + 1) + " " + text)
        self.depth = level
        self.levels = max(self.levels, level)
        if description:
            write_description(self.draft, description)

    # rows -------------------------------------------------------------------
    def grid(self, grid: Grid, columns: Columns) -> None:
        base = self.depth
        self.action_notes = {}
        actions: list[ActionRow] = []
        breaks: list[int] = []  # before which action a group heading stands
        events: list = []
        last_group: list[Cell | None] = [None] * len(columns.groups)
        labels = [re.sub(r"\s+", "", c.plain) if c else "" for c in grid.slots[0]]
        for r in range(grid.header_rows, len(grid.slots)):
            row = grid.slots[r]
            if [re.sub(r"\s+", "", c.plain) if c else "" for c in row] == labels:
                continue  # the header row typed again where a page began
            started = False
            for index, column in enumerate(columns.groups):
                cell = row[column]
                new = cell is not None and (cell is not last_group[index] or started)
                if cell is not None and cell.column != column:
                    new = False  # a group cell spanning deeper levels: no group at this level
                if new:
                    if cell is last_group[index]:
                        self.draft.note(f"the {columns.labels[column]} cell '{cell.plain[:20]}' spans "
                                        "rows of two different outer groups: written under each")
                    started = True
                    events.append(("group", base + 1 + index, cell, columns.labels[column]))
                    breaks.append(len(actions))
                last_group[index] = cell
            cell = row[columns.action]
            if cell is None or cell.row != r:  # the action cell above spans this row too
                stray = [c for c in dict.fromkeys(row) if c is not None and c.row == r and c.plain
                         and c.column not in columns.groups]
                if stray and actions:
                    self.action_notes.setdefault(len(actions) - 1, []).append(
                        f"row {r + 1} of the table has no {columns.labels[columns.action]} of its own (the "
                        "cell above spans it): its other cells are kept as notes in the action above")
                    for c in stray:
                        text = f"原文此列另有「{columns.labels[c.column]}」：{c.plain.replace('〕', '）')}"
                        actions[-1].paras.append(Para(PLACE_NOTE.format(escape(text)), text))
                elif stray:
                    self.draft.note(f"row {r + 1} of the table has cells but no "
                                    f"{columns.labels[columns.action]}: not imported, add them by hand")
                continue
            if not cell.plain and not any(c is not None and c.row == r and c.plain for c in
                                          (row[i] for i in [columns.deadline, columns.units, *columns.fields]
                                           if i is not None)):
                continue
            numbered = columns.number is not None and row[columns.number]
            number = row[columns.number].plain if numbered else ""
            for paras in split_actions(cell.paras, number):
                cells = {c: row[c] for c in (columns.deadline, columns.units, *columns.fields)
                         if c is not None}
                actions.append(ActionRow(paras, r, cells))
                events.append(("action", len(actions) - 1))
        self.write(events, actions, breaks, columns)

    def write(self, events: list, actions: list[ActionRow], breaks: list[int], columns: Columns) -> None:
        shared = self.shared_spans(actions, breaks, columns)
        ends: dict[int, list[int]] = {}
        for (column, first, last) in shared:
            ends.setdefault(last, []).append(column)
        in_span = {(column, i) for (column, first, last) in shared for i in range(first, last + 1)}
        for event in events:
            if event[0] == "group":
                _, level, cell, label = event
                self.heading(level, cell.paras[0] if cell.paras else None, cell.paras[1:], label)
                continue
            index = event[1]
            action = actions[index]
            self.action(action, columns, {c for c in action.cells if (c, index) not in in_span},
                        self.action_notes.pop(index, []))
            if index in ends:
                self.draft.add()
                for column in sorted(ends[index]):
                    value = self.value(action.cells[column], column, columns)
                    self.draft.add(f"{columns.labels[column]}：{value}")

    def shared_spans(self, actions: list[ActionRow], breaks: list[int], columns: Columns) -> list[tuple]:
        """(column, first action, last action) of each deadline or units cell several actions
        share and the shared-fields construct can say: one that crosses a group heading or
        another shared cell's end is written under each action instead (and reported)."""
        spans = []
        for column in (columns.deadline, columns.units):
            if column is None:
                continue
            index = 0
            while index < len(actions):
                cell = actions[index].cells[column]
                last = index
                while last + 1 < len(actions) and actions[last + 1].cells[column] is cell:
                    last += 1
                if cell is not None and last > index and cell.plain:
                    spans.append((column, index, last))
                index = last + 1
        changed = True
        while changed:
            changed = False
            ends = {last for (_, _, last) in spans}
            for span in list(spans):
                column, first, last = span
                crossing = any(first < b <= last for b in breaks) or any(first <= e < last for e in ends)
                if crossing:
                    spans.remove(span)
                    cell = actions[first].cells[column]
                    self.action_notes.setdefault(first, []).append(
                        f"the {columns.labels[column]} cell '{cell.plain[:20]}' is shared by actions "
                        f"{first + 1}–{last + 1} of the table across a group or another shared cell: written "
                        "under each of them")
                    changed = True
                    break
        return spans

    def action(self, action: ActionRow, columns: Columns, own: set[int], notes: list[str]) -> None:
        draft = self.draft
        draft.add()
        for note in notes:
            draft.note(note)
        first, *rest = action.paras
        draft.add("- " + first.markdown)
        write_prose(draft, rest, "  ")
        for column in [c for c in (columns.deadline, columns.units, *columns.fields) if c in own]:
            cell = action.cells.get(column)
            if column in columns.fields and (cell is None or not cell.plain or cell.column != column):
                continue  # further columns are optional (and a cell merged into one is another's)
            draft.add(f"  {columns.labels[column]}：{self.value(cell, column, columns)}")

    def value(self, cell: Cell | None, column: int, columns: Columns) -> str:
        from .dates import parse_deadline

        if cell is not None and cell.column != column:  # merged across from another column
            other = columns.labels[cell.column] if cell.column < len(columns.labels) else ""
            self.draft.note(f"the {columns.labels[column]} cell is merged with the {other} cell beside it "
                            f"('{cell.plain[:30]}'): write the {columns.labels[column]} this action has")
            return f"〔編註：原文此格與「{other}」欄合併〕"
        texts = [self.draft.shared_note(p) or p.plain.strip()
                 for p in (cell.paras if cell else []) if p.plain.strip()]
        if not texts:
            self.draft.note(f"an empty {columns.labels[column]} cell: fill it in, or keep the note")
            return EMPTY_CELL
        if column == columns.units:
            return "、".join(texts)
        text = "".join(texts) if column == columns.deadline else " ".join(texts)
        if column == columns.deadline and parse_deadline(text) is None:
            self.draft.note(f"the deadline '{text}' is not a form the build reads: write it as "
                            "docs/format.md lists, or as 〔編註：…〕")
        return text


def split_actions(paras: list[Para], number: str) -> list[list[Para]]:
    """The actions of one action cell: a cell holding 1. … 2. … 3. … (numbers of one kind at
    its top level) holds as many actions. A separate number column's number goes first."""
    paras = [p for p in paras if p.markdown]
    if not paras:
        return [[Para(EMPTY_CELL, EMPTY_CELL)]]
    if re.fullmatch(r"\d+", number):
        number += "."  # a 項次 column's bare 1, 2, 3: the format reads 1. 2. 3. as numbers
    if number and not paras[0].plain.startswith(number):
        first = paras[0]
        paras = [Para(f"{escape(number)} {first.markdown}", f"{number} {first.plain}", first.style,
                      first.list_depth, first.list_item, first.bookmarks, first.links), *paras[1:]]
    lead = printed_number(paras[0].plain)
    if lead is None or number:
        return [paras]
    kind = number_kind(lead)
    out: list[list[Para]] = []
    for para in paras:
        here = printed_number(para.plain)
        if here and number_kind(here) == kind and para.list_depth in (None, paras[0].list_depth):
            out.append([para])
        else:
            out[-1].append(para)
    return out


TABLE_NAMES = ("main", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def write_body(draft: Draft, blocks: list[Block]) -> list[Para]:
    """The sections of the document into ``draft``; returns what stands before the first one."""
    kept: list[Block] = []
    for index, block in enumerate(blocks):
        marks = [b for b in block.bookmarks if re.fullmatch(r"note-\d+", b)] if isinstance(
            block, Para) else []
        if marks:
            found = re.search(r"〔編註[:：][^〕]*〕", block.plain)
            draft.note_texts[marks[0]] = found.group() if found else block.plain
            if kept and isinstance(kept[-1], Para) and len(kept[-1].plain) <= 6 and not any(
                    re.fullmatch(r"note-\d+", b) for b in blocks[index - 1].bookmarks):
                kept.pop()  # the lead line 編註 before them
            continue
        kept.append(block)
    headings = [b for b in kept if isinstance(b, Heading)]
    numbered = [h.level for h in headings if SECTION_NUMBER.match(h.para.plain)]
    section_level = min(numbered) if numbered else min((h.level for h in headings), default=1)
    heading_numbers = {id(h.para): h.in_numbered_list for h in headings}
    sections: list[tuple[Para | None, list[Block]]] = []
    before: list[Para] = []
    for block in kept:
        if isinstance(block, Heading) and block.level <= section_level and (
                block.level == section_level or sections):
            sections.append((block.para, []))
        elif (not numbered and isinstance(block, Para) and block.list_depth is None
              and SECTION_NUMBER.match(block.plain) and len(block.plain) <= 40):
            sections.append((block, []))
        elif sections:
            sections[-1][1].append(block)
        elif isinstance(block, Heading):
            before.append(block.para)
        elif isinstance(block, Para):
            before.append(block)
        else:
            sections.append((None, [block]))
    names = iter(TABLE_NAMES)
    for heading, items in sections:
        draft.add()
        if heading is None:
            draft.note("content before the first section heading: give this section its title")
            draft.add("# " + PLACE_NOTE.format("原文此處無章節標題"))
        else:
            if heading_numbers.get(id(heading)) and not printed_number(heading.plain):
                draft.note("the document numbers this heading itself (the number is not in its text): "
                           "write it as printed, e.g. # 壹、計畫依據")
            draft.add("# " + heading.markdown)
        write_section(draft, items, section_level, names)
    return before


def write_section(draft: Draft, items: list[Block], section_level: int, names) -> None:
    columns = [action_columns(b) if isinstance(b, Grid) else None for b in items]
    flat = [i for i, c in enumerate(columns) if c is not None and not c.groups]
    region = None
    if flat:
        first = next((i for i, b in enumerate(items[:flat[0]]) if isinstance(b, Heading)), flat[0])
        while first > 0 and isinstance(items[first - 1], Para) and label_style(items[first - 1]):
            first -= 1  # the label plansite prints above a group heading
        last = flat[-1]
        if any(isinstance(b, Heading) for b in items[last + 1:]):
            last = len(items) - 1  # groups after the last table (descriptions only) belong to it too
        region = (first, last)
    writer: ActionsWriter | None = None
    prose: list[Para] = []
    pending: list = []  # [level, title, label, description] of a group heading not yet written
    orphans: list[Para] = []  # text between tables, for the next group's description or after the table
    label = ""

    def flush_prose() -> None:
        if prose:
            write_prose(draft, prose)
            draft.add()
            prose.clear()

    def flush_heading() -> None:
        if pending and writer is not None:
            writer.heading(*pending[:2], pending[3], pending[2])
            pending.clear()

    def close() -> None:
        nonlocal writer
        if writer is not None:
            flush_heading()
            draft.add()
            draft.add(":::")
            draft.add()
            depth = writer.levels
            draft.group_labels[writer.name] = [writer.labels.get(level, "") for level in range(1, depth + 1)]
            writer = None
            prose[:0] = orphans
            orphans.clear()

    def open_block(cols: Columns) -> None:
        nonlocal writer
        flush_prose()
        name = next(names, None) or f"table{len(draft.tables) + 1}"
        draft.tables[name] = cols
        draft.add()
        draft.add(f"::: actions {name}")
        writer = ActionsWriter(draft, name, cols, section_level)

    for index, item in enumerate(items):
        cols = columns[index]
        in_region = region is not None and region[0] <= index <= region[1]
        if isinstance(item, Grid) and cols is not None:
            if writer is not None and writer.columns.key() != cols.key():
                close()
            if writer is None:
                open_block(cols)
            flush_heading()
            if cols.groups:
                writer.depth = 0
            writer.grid(item, cols)
            continue
        if in_region:
            if writer is None:
                open_block(next(c for c in columns[index:] if c is not None and not c.groups))
            if isinstance(item, Heading):
                flush_heading()
                pending[:] = [item.level - section_level, item.para, label, orphans[:]]
                orphans.clear()
                label = ""
            elif label_style(item):
                label = item.plain
            elif item.style.replace("_20_", " ") == "Table Caption":
                continue  # the caption plansite prints above each table: it says the groups again
            elif pending:
                pending[3].append(item)
            else:  # text after a table's actions: the format has no place for it there
                text = PLACE_NOTE.format("原文此段在前一表格之後：") + item.markdown
                orphans.append(Para(text, text))
            continue
        close()
        if isinstance(item, Heading):
            prose.append(item.para)
        elif isinstance(item, Para):
            prose.append(item)
        else:
            flush_prose()
            write_table_as_text(draft, item)
    close()
    flush_prose()


def label_style(para: Para) -> bool:
    return para.style.replace("_20_", " ") == "Group Label"


def write_table_as_text(draft: Draft, grid: Grid) -> None:
    """A table that is not an action table: each row as one paragraph, with a note (a plan has
    no other kind of table yet)."""
    draft.add()
    draft.note("a table that is not an action table (its header names no action, deadline or units "
               "column): each row written as a paragraph")
    draft.add(PLACE_NOTE.format("以下原為表格，每列一段，欄位以「｜」分隔"))
    for row in grid.slots:
        seen: list[Cell] = []
        for cell in row:
            if cell is not None and cell not in seen:
                seen.append(cell)
        text = "｜".join(" ".join(p.markdown for p in cell.paras) for cell in seen)
        if text.strip("｜ "):
            draft.add()
            draft.add(plain_paragraph(text))
    draft.add()


# ---------------------------------------------------------------- front matter and the command

AGENCY_END = re.compile(r"(局|處|部|署|會|院|府|所|館|室|中心|公司|隊|廳|庫|分署|分局)$")
PLAIN_YAML = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^#:\n]*$")


def scalar(value: str) -> str:
    """A YAML scalar that reads back as ``value``."""
    plain = PLAIN_YAML.match(value) and not value.endswith(" ")
    return value if plain else json.dumps(value, ensure_ascii=False)


ROC_YEAR = re.compile(r"(?<!\d)(\d{2,3})(?!\d)")
"""The year in a line 年度 (民國 105 年（西元 2016 年）, 105, 105年度): its first two or three digits."""

STATED = ("機關", "年度", "發布日期", "修正日期", "執行期程", "網頁", "計畫依據")
"""The metadata lines a plan's own ODT prints before its first section (and agencies write)."""


def front_matter(draft: Draft, plan_id: str, before: list[Para],
                 user_fields: dict) -> tuple[list[str], list]:
    """The metadata: what the document states, empty values (with a comment saying what to
    fill) where it does not, so the build names each at its line."""
    from .dates import parse_date, parse_period

    title = next((p.plain for p in before if p.style == "Title"), None)
    title = title or next((p.plain for p in before if "計畫" in p.plain and "：" not in p.plain[:6]), None)
    title = title or next((p.plain for p in before if p.plain), "")
    stated: dict[str, str] = {}
    unplaced: list[str] = []
    for para in before:
        if para.plain == title:
            continue
        label, colon, value = para.plain.partition("：")
        if colon and label.strip() in STATED:
            stated.setdefault(label.strip(), value.strip())
        else:
            unplaced.append(para.plain)
    notes: list[tuple[int, str]] = []
    lines = ["---", f"id: {plan_id}", "lang: zh-Hant-TW"]

    def ask(key: str, what: str, indent: str = "") -> None:
        notes.append((len(lines) + 1, f"'{key}' is not stated in the document: {what}"))
        lines.append(f"{indent}{key.split('.')[-1]}:    # 待填 to fill: {what}")

    if title:
        lines.append(f"title: {scalar(title)}")
    else:
        ask("title", "the plan's title as printed")
    agency = stated.get("機關")
    by_title = re.match(r"^(.{2,30}?)\s*(?:\d{2,3}|[一二三四五六七八九十〇零百]+)\s*年度", title or "")
    if not agency and by_title and AGENCY_END.search(by_title.group(1)):
        agency = by_title.group(1)
        notes.append((len(lines) + 2, f"the agency '{agency}' was read from the title: check it"))
    lines.append("agency:")
    if agency:
        lines.append(f"  zh: {scalar(agency)}")
    else:
        ask("agency.zh", "the agency's Chinese name", "  ")
    ask("agency.en", "the agency's official English name", "  ")
    year = re.search(ROC_YEAR, stated.get("年度", "")) or re.search(
        r"(\d{2,3})\s*年度", title or "")
    by_line = re.search(ROC_YEAR, stated.get("年度", ""))
    titled = re.search(r"(\d{2,3})\s*年度", title or "")
    if re.search(r"不分年度|常設", stated.get("年度", "")):
        if titled:
            notes.append((len(lines) + 1, (f"the title says {titled.group(1)}年度 but the line 年度 says "
                          "不分年度: check the year")))
        lines.append("year: standing")
    elif year:
        if by_line and titled and int(by_line.group(1)) != int(titled.group(1)):
            notes.append((len(lines) + 1, (f"the title says {titled.group(1)}年度 but the line 年度 says "
                          f"{by_line.group(1)}: check the year")))
        lines.append(f"year: {int(year.group(1))}")
    else:
        ask("year", "the plan year in the ROC calendar (民國), e.g. 113")
    if stated.get("年度") and not by_line and "standing" not in lines[-1]:
        notes.append((len(lines) + 1, "the line 年度 could not be read: check 'year'"))
        lines.append(f"# 原文 年度：{stated['年度']}")
    issued = stated.get("發布日期", "")
    day, _, ref = issued.partition(" ")
    if issued and parse_date(issued):
        lines.append(f"issued: {scalar(issued)}")
    elif day and parse_date(day) and re.fullmatch(r"\S+字第\s*\S+\s*號", ref.strip()):
        lines.append(f"issued: {scalar(day)}")  # 「113年1月5日 府授字第1130000001號」: the date and its 字號
        lines.append(f"issued_ref: {scalar(ref.strip())}")
    elif issued:
        notes.append((len(lines) + 1, ("the 發布日期 could not be read: write the date under 'issued:' (and "
                      "its 字號 under 'issued_ref:')")))
        lines.append(f"# 原文 發布日期：{issued}")
    amended = [day.strip() for day in re.split(r"[、，,；;]", stated.get("修正日期", "")) if day.strip()]
    if amended and all(parse_date(day) for day in amended):
        lines.append(f"amended: [{', '.join(scalar(day) for day in amended)}]" if len(amended) > 1
                     else f"amended: {scalar(amended[0])}")
    elif amended:
        notes.append((len(lines) + 1, "the 修正日期 could not be read: write the dates under 'amended:'"))
        lines.append(f"# 原文 修正日期：{stated['修正日期']}")
    period = stated.get("執行期程")
    if period and parse_period(period):
        lines.append(f"period: {scalar(period)}")
    elif period:
        notes.append((len(lines) + 1, "the period (執行期程) could not be read: write it under 'period:'"))
        lines.append(f"# 原文 執行期程：{period}")
    lines.append("classification:")
    if user_fields.get("Category.Service"):
        lines.append(f"  service: {scalar(str(user_fields['Category.Service']))}")
    else:
        ask("classification.service", "the 服務分類 code (docs/format.md lists them), e.g. I00", "  ")
    for key in ("Theme", "Cake"):
        if user_fields.get(f"Category.{key}"):
            lines.append(f"  {key.lower()}: {json.dumps(str(user_fields[f'Category.{key}']))}")
    if draft.tables:
        lines.append("tables:")
    for name, columns in draft.tables.items():
        groups = draft.group_labels.get(name, [])
        lines.append(f"  {name}:")
        if "" in groups:
            notes.append((len(lines) + 1, "a group level's column label is not in the document: write it"))
        labels = ", ".join(scalar(g) if g else '""' for g in groups)
        lines.append(f"    groups: [{labels}]"
                     + ("    # 待填 to fill: each group level's column label" if "" in groups else ""))
        lines.append(f"    action: {scalar(columns.labels[columns.action])}")
        if columns.deadline is not None:
            lines.append(f"    deadline: {scalar(columns.labels[columns.deadline])}")
        if columns.units is not None:
            lines.append(f"    units: {scalar(columns.labels[columns.units])}")
        if columns.fields:
            lines.append(f"    fields: [{', '.join(scalar(columns.labels[c]) for c in columns.fields)}]")
    for key, value in stated.items():
        if key in ("計畫依據",):
            notes.append((len(lines) + 1,
                          "the plan's basis (計畫依據) is not imported: write it under 'basis:'"))
            lines.append(f"# 原文 {key}：{value}")
    for text in unplaced:
        notes.append((len(lines) + 1, "text before the first section, kept as a comment: place it"))
        lines.append(f"# 原文：{text}")
    lines.append("---")
    return lines, notes


@dataclass(frozen=True)
class Imported:
    text: str
    notes: list[tuple[int, str]]
    """(line, what the author should check) for the report."""
    actions: int
    """How many actions the draft's action tables hold."""


def import_document(path: Path, plan_id: str, timeout: float = CONVERT_SECONDS) -> Imported:
    """The draft plan (Markdown text) made from the document at ``path``. The working folder
    holds a copy of the document: it is removed however the import ends, a SIGTERM, SIGHUP or
    SIGQUIT included when run in :func:`stopped_as_interrupt` (as the import command is)."""
    sweep_working_folders()
    with working_folder() as work:
        document = open_document(path, work, timeout)
        reader_notes: list[str] = []
        blocks = Reader(document, reader_notes).blocks()
        try:
            user_fields = document.meta.get_user_defined_metadata() or {}
        except Exception:  # noqa: BLE001 - a document without usable metadata states none
            user_fields = {}
    draft = Draft()
    before = write_body(draft, blocks)
    head, head_notes = front_matter(draft, plan_id, before, user_fields)
    body = draft.lines
    while body and not body[-1]:
        body.pop()
    offset = len(head)
    notes = head_notes + [(line + offset, message) for line, message in draft.notes]
    notes += [(1, message) for message in reader_notes]
    inside, actions = False, 0
    for line in body:
        inside = line.startswith("::: actions") or (inside and line != ":::")
        actions += inside and line.startswith("- ")
    return Imported("\n".join(head + body) + "\n", sorted(notes), actions)


ROOM_TO_CONVERT = 16 * 1024 * 1024
"""Free space below which a conversion that failed is put down to the disk of the working folder."""
TEMPORARY_FULL = ("free some space on it (df -h shows how much is left), or set TMPDIR to a folder on "
                  "another disk, then import again")


WORKING = "plansite-import-"
"""The working folders' names start so, then the importing process's id."""


@contextlib.contextmanager
def working_folder() -> Iterator[Path]:
    """A folder of this import's own, removed however the import ends. A stop in the instant
    after it is made, or while it is removed, waits until that is done: else the folder, with
    the copy of the document, would stay (CI once caught a stop in the removal)."""
    folder = None
    try:
        with ctrl_c_held(STOPS):
            try:
                folder = tempfile.TemporaryDirectory(prefix=f"{WORKING}{os.getpid()}-")
            except OSError as error:
                if tempfile.tempdir is None:  # Python found no folder it could write a file in
                    raise MachineError(os.environ.get("TMPDIR") or "/tmp", "is full or may not be written, "
                                       "and so are /tmp, /var/tmp and the current folder",
                                       TEMPORARY_FULL) from None
                raise unwritable(error, Path(tempfile.tempdir), TEMPORARY_FULL) from None
        yield Path(folder.name)
    finally:
        if folder is not None:
            with ctrl_c_held(STOPS):
                folder.cleanup()


def sweep_working_folders() -> None:
    """Remove the working folders of imports that were killed outright (SIGKILL: nothing ran
    after it), each holding a copy of a document: those of this user whose process is gone."""
    try:
        root = Path(tempfile.gettempdir())
    except OSError:  # no folder for temporary files: the working folder says so
        return
    with contextlib.suppress(OSError):
        for folder in root.iterdir():
            found = re.match(rf"{WORKING}(\d+)-", folder.name)
            if not found or folder.is_symlink() or not folder.is_dir():
                continue
            with contextlib.suppress(OSError):
                if folder.stat().st_uid == os.getuid() and not alive(int(found[1])):
                    for group in converting_in(folder):  # its LibreOffice, still converting for no one
                        with contextlib.suppress(PermissionError):
                            stop_office(group)
                    shutil.rmtree(folder, ignore_errors=True)


def converting_in(folder: Path) -> set[int]:
    """The process groups of the processes that run in ``folder``: a killed import's LibreOffice
    (under its timeout, up to 125 s more), which would write into the folder while it is removed
    and make it again."""
    profile = os.fsencode(profile_option(folder)) + b"\0"
    groups = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if profile in (entry / "cmdline").read_bytes():
                    groups.add(os.getpgid(int(entry.name)))
    return groups - {os.getpgrp()}  # its own session; never this import's group


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or a number no process can have
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def stopped_as_interrupt() -> Iterator[None]:
    """Ctrl-C, SIGTERM, SIGHUP and SIGQUIT (Ctrl-\\) raise KeyboardInterrupt meanwhile, so that the
    clean-ups run (Python's default for the last three ends the process at once). While an
    exception is handled (the clean-up of an error or of an earlier stop: the terminal closed
    after Ctrl-C) a stop is only noted, so that it never cuts that clean-up short; noted, it
    is raised when the block ends, however it ends. A stop raised where Python drops the
    exception (a weak reference's callback, a module's set-up in C) is so not taken for a
    clean-up. One ignored when the import started (nohup, a script's job in the background)
    stays ignored. The import command runs in it (``cli.run_import``). Only in the main
    thread, where signals are handled."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []

    def interrupt(number, frame):
        if sys.exc_info()[1] is None:
            raise KeyboardInterrupt
        noted.append(number)

    previous = {}
    try:
        for number in STOPS:
            if signal.getsignal(number) is not signal.SIG_IGN:
                previous[number] = signal.signal(number, interrupt)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if noted:  # the import ends as interrupted, whatever else ended it
            raise KeyboardInterrupt


UNWRITABLE = ("make it writable (ls -ld shows its owner and mode; lsattr -d shows chattr +i), "
              "then import again")


def writable(folder: Path) -> None:
    """Check that ``folder`` (or, while it does not exist, the folder it would be made in) can
    be written, making nothing: else MachineError naming the folder, not the temporary file
    that could not be made in it."""
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():  # a file where a folder of the path should be
        raise MachineError(existing, *OS_FAULTS[errno.ENOTDIR])
    with ctrl_c_held(STOPS):  # a stop waits: never a probe left among the plans
        try:
            handle, probe = tempfile.mkstemp(prefix=".plansite-probe-", dir=existing)
        except OSError as error:
            raise unwritable(error, existing) from None
        os.close(handle)
        os.unlink(probe)


def unwritable(error: OSError, folder: Path, full: str | None = None) -> MachineError | OSError:
    """The one line for an error writing in ``folder`` (not in a file there, which may be gone
    by the time it is read), with what to do for an import, ``full`` for a full disk; ``error``
    itself when the machine did not cause it."""
    known = OS_FAULTS.get(error.errno or 0)
    if known is None:
        return error
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = UNWRITABLE
    elif error.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = full or FULL
    else:
        hint = known[1]
    return MachineError(folder, known[0], hint)


FULL = "free some space on it (df -h shows how much is left), then import again"


EXISTS = "import with another --id, or add --force to replace it (the old file is lost)"


def write_new(target: Path, text: str, replace: bool = False) -> None:
    """``text`` written to ``target`` whole or not at all: into a file beside it, then put in
    place. Without ``replace``, a file that appeared there meanwhile (another import, an editor
    saving while LibreOffice converted) is kept: the new file is linked in only if there is
    none, never renamed over one. Ctrl-C or a kill meanwhile comes after the draft is in place
    or gone."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where a folder of the path should be
        raise MachineError(target.parent, *OS_FAULTS[errno.ENOTDIR]) from None
    except OSError as error:
        raise unwritable(error, Path(error.filename or target.parent)) from None
    with ctrl_c_held(STOPS):  # a stop waits (milliseconds): never a temporary file left beside the plans
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        except OSError as error:
            raise unwritable(error, target.parent) from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644 & ~current_umask())
            if replace:
                os.replace(temporary, target)
            else:
                put_in_place(temporary, target)
        except FileExistsError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise MachineError(target, "exists already (it was written while the document was converted)",
                               EXISTS) from None
        except IsADirectoryError:  # a folder made at the target meanwhile: name it, not the temporary file
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise MachineError(target, *OS_FAULTS[errno.EISDIR]) from None
        except OSError as error:  # a full disk, as the draft is written: the folder, not "plansite"
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise unwritable(error, target.parent) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def put_in_place(temporary: str, target: Path) -> None:
    """Rename ``temporary`` to ``target`` unless something is there (FileExistsError): a hard
    link fails rather than replace, then the temporary name goes. A file system without hard
    links gets the check and the rename, a moment apart."""
    try:
        os.link(temporary, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(temporary, target)
        return
    os.unlink(temporary)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
