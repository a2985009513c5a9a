"""What an input must be before plansite reads it: an ordinary file, inside the project, of a
sane size, holding only characters that every output can carry.

A named pipe would make a build wait forever, a device would never end, and a folder or a
dangling link cannot be read; so a file is checked (without following it anywhere) before it is
opened, and opened without waiting. Characters that no page, feed, ODT or PDF can carry, or
that make text display in another order than it is stored, are refused at their line. Imports
nothing heavy: the build stamp reads files through it too.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import Problem, Report

MAX_SETTINGS_BYTES = 2_000_000
"""The largest settings file read (site.yml, the glossary, the frameworks): the real ones are a
few KB; even a glossary of ten thousand terms is well under this."""


class Unreadable(OSError):
    """A file that is not read, and why: ``what`` completes "the file …"."""

    def __init__(self, what: str, hint: str):
        super().__init__(what)
        self.what, self.hint = what, hint


class TooBig(Unreadable):
    """A file bigger than its kind of file can be; refused before it is read."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"is {size / 1_000_000:.1f} MB", "")
        self.size, self.limit = size, limit


KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFDIR: "a folder", stat.S_IFCHR: "a device",
         stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}
REPLACE = "replace it with an ordinary file, or remove it"


def check_regular(path: Path) -> None:
    """Raise :class:`Unreadable` unless ``path`` (after its links) is an ordinary file this
    process may read. Nothing is opened, so a pipe or a device is never waited on."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable("is a link to a file that does not exist",
                             "make the link point at an existing file, or put the file itself here") from None
        raise Unreadable("does not exist", "check the name") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        raise unreadable(error if isinstance(error, OSError) else OSError(str(error))) from None
    if not stat.S_ISREG(info.st_mode):
        kind = KINDS.get(stat.S_IFMT(info.st_mode), "not an ordinary file")
        raise Unreadable(f"is {kind}, not a file", REPLACE)
    if not os.access(path, os.R_OK, effective_ids=os.access in os.supports_effective_ids):
        raise unreadable(PermissionError())


def unreadable(error: OSError) -> Unreadable:
    if isinstance(error, Unreadable):
        return error
    if isinstance(error, PermissionError):
        return Unreadable("cannot be read (permission denied)",
                          "let the user who builds the site read it, e.g. with chmod a+r")
    if error.errno == errno.ELOOP:
        return Unreadable("is a link that leads round in a loop", "make the link point at an existing file")
    return Unreadable(f"cannot be read ({error.strerror or type(error).__name__})",
                      "check the file and the disk")


@contextmanager
def open_regular(path: Path) -> Iterator[BinaryIO]:
    """An ordinary file, opened for reading without ever waiting: checked before it is opened,
    opened non-blocking (a file swapped for a pipe in between cannot hold the build), and checked
    again once open. Raises :class:`Unreadable` (an OSError) otherwise."""
    check_regular(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise unreadable(error) from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise Unreadable("is not an ordinary file", REPLACE)
        os.set_blocking(descriptor, True)
        yield file


def read_source(path: Path, limit: int) -> bytes:
    """The bytes of an ordinary file of at most ``limit`` bytes; a bigger one is refused unread
    (:class:`TooBig`), anything else that is not a file with :class:`Unreadable`."""
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            raise TooBig(size, limit)
        try:
            data = file.read(limit + 1)
        except OSError as error:
            raise unreadable(error) from None
    if len(data) > limit:  # it grew since
        raise TooBig(len(data), limit)
    return data


def inside(project: Path, path: Path) -> bool:
    """True when ``path``, after every link, lies in ``project`` (a link loop never raises)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(project))


def hidden(name: str) -> bool:
    """Whether a file or folder beside the project's inputs is hidden, so never read nor
    published: an editor's lock (Emacs's dangling link .#base.html, which failed builds) or
    what macOS leaves (.DS_Store, ._site.css, which was published). No plan, template, catalog
    or asset is named so."""
    return name.startswith(".")


def read_setting(project: Path, relative: str, report: Report) -> str | None:
    """The text of a settings file (site.yml, the glossary, the frameworks), or None when it
    cannot be used: a problem at ``relative``:1 says why (a link out of the project, a pipe, a
    folder, too big, not UTF-8, a character no output can carry). An absent file is None with
    no problem: the caller knows whether it is required."""
    path = project / relative
    if not os.path.lexists(path):
        if (misnamed := misnamed_setting(path)) is not None:  # read as if absent, its settings unseen
            report.fail(1, f"the file is missing, but {Path(relative).parent / misnamed} is there",
                        f"rename it to {path.name}: plansite reads the file of that name only")
        return None
    if not inside(project, path):
        report.fail(1, "the file is a link to a file outside the project",
                    "copy the file into the project instead of linking to it")
        return None
    try:
        data = read_source(path, MAX_SETTINGS_BYTES)
    except TooBig as error:
        report.fail(1, f"the file {error.what}; a settings file may be at most "
                       f"{MAX_SETTINGS_BYTES // 1_000_000} MB", "check it is the right file")
        return None
    except Unreadable as error:
        report.fail(1, f"the file {error.what}", error.hint)
        return None
    text = decode(data, report)
    return text if text is not None and check_characters(text, report) else None


def misnamed_setting(path: Path) -> str | None:
    """The name of a file beside a missing settings file that is surely it misnamed:
    glossary.yaml, Glossary.yml, glossary.yml.txt (a missing glossary turned its checks off
    without a word)."""
    stem = path.name.removesuffix(".yml").lower()
    try:
        names = os.listdir(path.parent)
    except OSError:
        return None
    return next((name for name in sorted(names) if name != path.name and (
        name.lower() in (f"{stem}.yml", f"{stem}.yaml", f"{stem}.yml.txt", f"{stem}.yaml.txt"))), None)


def decode(data: bytes, report: Report, nul_hint: str = "remove it; the file must be plain text"
           ) -> str | None:
    """UTF-8 text with a leading BOM dropped and line ends made '\\n': a CR LF pair (Windows) or a
    lone CR (old Mac editors) is a line end, as in Markdown and YAML."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        report.fail(line, "the file is not valid UTF-8 text", "save the file as UTF-8 in your editor")
        return None
    if "\x00" in text:
        report.fail(text[: text.index("\x00")].count("\n") + 1, "the file contains a NUL character", nul_hint)
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- characters

BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane + end) for plane in range(0, 0x110000, 0x10000)
                                          for end in (0xFFFE, 0xFFFF))
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff"
                       f"{NONCHARACTERS}]")
"""Characters no input may hold: C0 and C1 controls but tab and line feed (a carriage return is
one when a value holds it; in a file, line ends are made line feeds first), DEL, the Unicode line
and paragraph separators (outputs disagree on whether they end a line), bidirectional embedding,
override and isolate controls (they make text display in another order than it is stored),
surrogates (a YAML escape can write half a pair; no UTF-8 output can carry it) and
noncharacters."""
CONTROL_NAMES = {"\x00": "NULL", "\x07": "BELL", "\x08": "BACKSPACE", "\x0b": "LINE TABULATION",
                 "\x0c": "FORM FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x1c": "FILE SEPARATOR",
                 "\x1d": "GROUP SEPARATOR", "\x1e": "RECORD SEPARATOR", "\x1f": "UNIT SEPARATOR",
                 "\x7f": "DELETE", "\x85": "NEXT LINE"}
"""Names of the controls people meet (Unicode gives controls no name of their own, only aliases)."""
MAX_REPORTED = 10
"""Problems reported for forbidden characters in one text before the rest are summed up."""


def offence(char: str) -> tuple[str, str]:
    """(what the character is, how to fix it), for a character :data:`FORBIDDEN` matches."""
    point = ord(char)
    name = unicodedata.name(char, "") or CONTROL_NAMES.get(char, "")
    label = f"U+{point:04X} {name}".rstrip()
    if 0xD800 <= point <= 0xDFFF:
        return (f"half of a surrogate pair, which is no character ({label})",
                "write the character itself (or as one escape with eight digits, e.g. \\U0001F600)")
    if unicodedata.category(char) == "Cn":
        return f"a code point that is not a character ({label})", "delete it"
    if char in "\u2028\u2029":
        return (f"an invisible {name.lower()} ({label})",
                "delete it; it is invisible in most editors, and outputs disagree on whether it ends a line")
    if re.match(f"[{BIDI_CONTROLS}]", char):
        return (f"an invisible control character ({label})",
                "delete it; it makes text display in another order than it is stored")
    return (f"an invisible control character ({label})",
            "delete it; it is invisible in most editors, and no page, feed or document can carry it")


NOT_IN_NAMES = re.compile(f"[\t\n{FORBIDDEN.pattern[1:-1]}]")
"""What a file name may hold but a message should not show as it is (a surrogate stands for a
byte that is not UTF-8)."""


def shown(path: str) -> str:
    """A path as a message can show it: bytes that are not UTF-8 as \\xFF, invisible characters as
    \\uXXXX (a file name may hold anything but '/' and NUL)."""
    def escape(match: re.Match) -> str:
        point = ord(match[0])
        return f"\\x{point - 0xDC00:02X}" if 0xDC80 <= point <= 0xDCFF else f"\\u{point:04X}"

    return NOT_IN_NAMES.sub(escape, path)


def check_characters(text: str, report: Report, first_line: int = 1, subject: str = "the text") -> bool:
    """Report the characters of ``text`` that no output can carry, each at its line (one problem
    per character and line, the first few only); True when there is none."""
    found = FORBIDDEN.search(text)
    if found is None:
        return True
    seen: set[tuple[int, str]] = set()
    line, counted = first_line, 0
    for match in FORBIDDEN.finditer(text, found.start()):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        if (line, match[0]) in seen:
            continue
        if len(seen) == MAX_REPORTED:
            rest = sorted({m[0] for m in FORBIDDEN.finditer(text, match.start())})
            codes = ", ".join(f"U+{ord(c):04X}" for c in rest[:5]) + (", …" if len(rest) > 5 else "")
            report.fail(line, f"{subject} contains more such characters from here on ({codes})",
                        "delete them; an editor's search for the code point finds them")
            break
        seen.add((line, match[0]))
        what, hint = offence(match[0])
        report.fail(line, f"{subject} contains {what}", hint)
    return False


# ---------------------------------------------------------------- folders read or published as they are


def unusable_files(project: Path, folder: Path) -> list[Problem]:
    """Everything in a folder the build reads or copies into the site as it is (templates/,
    locales/) that is not an ordinary file or folder of the project: a link leading out of it
    (its target would be read, or published), a pipe (reading it would wait forever), a device,
    a dangling link, a name that is no text. Links inside the project are followed, once."""
    problems: list[Problem] = []
    seen: set[str] = set()
    todo = [project / folder] if os.path.lexists(project / folder) else []
    while todo:
        current = todo.pop()
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as error:
            entries, error = [], unreadable(error)
            problems.append(Problem(shown(current.relative_to(project).as_posix()), 1,
                                    f"the folder {error.what}", error.hint))
        for entry in entries:
            if hidden(entry.name):
                continue
            path = Path(entry.path)
            where = shown(path.relative_to(project).as_posix())
            if where != path.relative_to(project).as_posix():
                problems.append(Problem(where, 1, "the file name holds a character that is not text, or an "
                                        "invisible one", "rename it: its name becomes a web address"))
            elif not inside(project, path):
                problems.append(Problem(where, 1, "the file is a link to a file outside the project",
                                        "copy the file itself into the project instead of linking to it"))
            elif entry.is_dir():  # after links: a link to a folder of the project is read as that folder
                todo.append(path)
            else:
                try:
                    check_regular(path)
                except Unreadable as error:
                    problems.append(Problem(where, 1, f"the file {error.what}", error.hint))
    return problems
