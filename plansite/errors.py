"""One error type for everything a user can get wrong, reported as ``path:line: message — hint``.

Problems are collected rather than raised one by one, so a build reports every mistake in
every file at once; only when collection is finished does :class:`ContentError` carry them
all out to the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        return f"{text} — {self.hint}" if self.hint else text


class ContentError(Exception):
    """Raised once, at the end of a stage, with every problem that stage found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line))
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
