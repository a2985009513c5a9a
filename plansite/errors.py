"""One error type for everything a user can get wrong, reported as ``path:line: message — hint``.

Problems are collected rather than raised one by one, so a build reports every mistake in
every file at once; only when collection is finished does :class:`ContentError` carry them
all out to the command line.
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from dataclasses import dataclass, field

UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
"""Characters a message never shows as they are: controls (a terminal acts on them), the line and
paragraph separators, bidirectional controls and marks (they reorder the rest of the line),
surrogates and noncharacters."""


def printable(text: str) -> str:
    """``text`` as a terminal may show it: every control, bidirectional control, line or paragraph
    separator, surrogate, noncharacter or unassigned code point written as an escape (\\u202E),
    so nothing a user wrote (quoted in a message, or named in a flag) can act on a terminal."""
    if text.isprintable() and not UNSHOWN.search(text):
        return text
    return "".join(f"\\u{ord(c):04X}" if UNSHOWN.match(c)
                   or unicodedata.category(c) in ("Cc", "Cs", "Cn", "Zl", "Zp")
                   else c for c in text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one place of a source file."""

    path: str
    """The file, as the user would type it (relative to the project when possible)."""
    line: int
    """1-based line number of the offending text."""
    message: str
    """What is wrong."""
    hint: str = ""
    """How to fix it."""
    warning: bool = False
    """A warning (a stale translation, a missed glossary term) publishes unless --strict."""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"
        return printable(f"{text} — {self.hint}" if self.hint else text)


class ContentError(Exception):
    """Raised once, at the end of a stage, with every problem that stage found."""

    def __init__(self, problems: list[Problem]):
        # each once: a fault met by every plan (a translation an English plan's completion
        # cannot fill in) was printed once a plan
        self.problems = sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        """Rebuilt from its problems, so it crosses from a worker process intact."""
        return ContentError, (self.problems,)


@dataclass
class Report:
    """Collects problems for one file; ``fail`` is the single way to record one."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def fail(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, max(line, 1), message, hint))

    def warn(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, max(line, 1), message, hint, warning=True))


class MachineError(Exception):
    """The machine stops a build: a folder plansite may not replace, a full disk, a file it may
    not read or write. One line, ``path: what is wrong — how to fix it``, and nothing changed."""

    def __init__(self, path, message: str, hint: str):
        self.path, self.message, self.hint = str(path), message, hint
        super().__init__(printable(f"{self.path}: {message} — {hint}"))


OS_FAULTS = {
    errno.ENOSPC: ("the disk is full",
                   "free some space on it (df -h shows how much is left), then build again"),
    errno.EDQUOT: ("your disk quota is used up", "free some space, then build again"),
    errno.EROFS: ("is on a read-only file system",
                  ("make it writable, or give plansite another folder "
                   "(--output; PLANSITE_CACHE for the cache)")),
    errno.EACCES: ("permission denied",
                   ("give your user access to it (ls -ld shows its owner and mode), "
                    "or give plansite another folder")),
    errno.EPERM: ("cannot be changed (operation not permitted)",
                  ("check its owner and mode (ls -ld) and whether it is immutable "
                   "(lsattr -d; chattr -i undoes it)")),
    errno.ENOENT: ("does not exist, or nothing can be made in it (was it removed while plansite ran?)",
                   "check the path, then run again"),
    errno.ENOTDIR: ("a part of this path is a file, not a folder",
                    "move that file away, or use another path"),
    errno.EISDIR: ("is a folder where plansite expects a file", "move the folder away"),
    errno.ELOOP: ("has symbolic links that point at each other", "fix or remove the links"),
    errno.ENAMETOOLONG: ("the path is too long", "use a shorter one"),
    errno.EIO: ("could not be read or written (input/output error)", "check the disk (dmesg shows why)"),
}
"""What a failing operating-system call means to the user, by errno: only errors the machine
causes (anything else is a bug in plansite and keeps its traceback)."""


def machine_error(error: OSError) -> MachineError | None:
    """The one line for an operating-system error the machine caused, or None for any other.
    A full disk is the destination's (``filename2``, when a copy names both files)."""
    known = OS_FAULTS.get(error.errno)
    if known is None:
        return None
    target = error.filename2 if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else None
    path = target or error.filename or "plansite"
    return MachineError(os.fsdecode(path) if isinstance(path, bytes) else path, *known)
