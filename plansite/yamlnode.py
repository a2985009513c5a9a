"""YAML read with the line of every value, so metadata mistakes point at their line.

PyYAML's composed node tree keeps source marks and the raw text of each scalar; the small
:class:`Node` wrapper turns it into typed values and reports wrong types, unknown keys (with a
suggestion) and missing keys through the file's :class:`~plansite.errors.Report`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

import yaml

from .dates import parse_date
from .errors import Report
from .inputs import FORBIDDEN, MAX_REPORTED, offence


@dataclass(frozen=True, slots=True)
class Node:
    """One YAML value, where it stands, and the report to tell problems to."""

    node: yaml.Node
    report: Report
    offset: int
    """Line number of the YAML text's first line in the file, minus one."""
    name: str
    """How to call this value in a message, e.g. 'agency.zh'."""
    guide: str = ""
    """Where a settings file is described (its whole is 'the file', not a plan's 'metadata')."""

    @property
    def whole(self) -> str:
        """How a message calls this value: by its name, or, for the whole YAML text, what it is."""
        if self.name:
            return f"'{self.name}'"
        return "the file" if self.guide else "the metadata"

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1 + self.offset

    def fail(self, message: str, hint: str = "") -> None:
        self.report.fail(self.line, message, hint)

    # -- mappings and lists

    def keys(self, required: tuple[str, ...], optional: tuple[str, ...] = (),
             misplaced: dict[str, str] | None = None) -> dict[str, Node] | None:
        """The mapping's values by key; unknown and missing keys are reported.
        ``misplaced`` names keys that are known elsewhere but not here, with the reason."""
        if not isinstance(self.node, yaml.MappingNode):
            example = (f"write one 'key: value' line for each of {', '.join(required)}; see {self.guide}"
                       if self.guide and not self.name else _example(self.name))
            self.fail(f"{self.whole} must be a set of 'key: value' lines", example)
            return None
        known = required + optional
        found: dict[str, Node] = {}
        misspelt: set[str] = set()
        for key_node, value_node in self.node.value:
            key = str(key_node.value)
            child = Node(value_node, self.report, self.offset, _join(self.name, key))
            if not plain_key(key_node, self.report, self.offset):
                continue
            if misplaced and key in misplaced:
                Node(key_node, self.report, self.offset, key).fail(
                    f"'{_join(self.name, key)}' does not belong here", misplaced[key])
            elif key not in known:
                near = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(known)}"
                misspelt.update(near)
                Node(key_node, self.report, self.offset, key).fail(
                    f"unknown key '{_join(self.name, key)}'", hint
                )
            elif key in found:
                Node(key_node, self.report, self.offset, key).fail(
                    f"'{_join(self.name, key)}' is given twice (first at line {found[key].line})",
                    "keep one of them",
                )
            else:
                found[key] = child
        for key in required:
            if key not in found and key not in misspelt:  # a misspelt key is reported once
                self.fail(f"{self.whole} has no '{key}'", f"add a line '{key}: …'")
        return found

    def items(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            self.fail(f"{self.whole} must be a list", "write each entry on its own line starting with '- '")
            return []
        return [
            Node(item, self.report, self.offset, f"{self.name}[{i + 1}]")
            for i, item in enumerate(self.node.value)
        ]

    def pairs(self) -> list[tuple[str, Node]]:
        """A mapping with free keys (ids), as (key, value) in written order."""
        if not isinstance(self.node, yaml.MappingNode):
            self.fail(f"'{self.name}' must be a set of 'key: value' lines", _example(self.name))
            return []
        return [(str(k.value), Node(v, self.report, self.offset, _join(self.name, str(k.value))))
                for k, v in self.node.value if plain_key(k, self.report, self.offset)]

    # -- scalars

    def text(self) -> str | None:
        """A non-empty line of text (numbers are taken as their written digits)."""
        if not isinstance(self.node, yaml.ScalarNode):
            self.fail(f"'{self.name}' must be a line of text", f"write '{self.name.split('.')[-1]}: …'")
            return None
        if not str(self.node.value).strip():
            last = self.name.split(".")[-1]
            self.fail(f"'{self.name}' is empty", "write its text in the list" if last.endswith("]")
                      else f"write its text after '{last}:'")
            return None
        return str(self.node.value).strip()

    def integer(self) -> int | None:
        raw = self.text()
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit():
            self.fail(f"'{self.name}' must be a whole number, not '{raw}'", "write digits only, e.g. 112")
            return None
        return int(raw)

    def day(self) -> date | None:
        raw = self.text()
        if raw is None:
            return None
        parsed = parse_date(raw)
        if parsed is None:
            early = re.match(r"\s*(\d{4})\s*[./-]", raw)  # a Western year: before 民國元年?
            why = " (before 1912, 民國元年)" if early and int(early[1]) <= 1911 else ""
            self.fail(
                f"'{self.name}' is not a date{why}: '{raw}'",
                "write it as 113年1月15日, 113.1.15 or 2024-01-15",
            )
        return parsed

    def text_list(self) -> list[str]:
        values = [item.text() for item in self.items()]
        return [v for v in values if v is not None]


def read_yaml(text: str, report: Report, first_line: int = 1, guide: str = "") -> Node | None:
    """Compose YAML text into a :class:`Node`; a syntax error is reported at its line. A
    settings file names the ``guide`` that describes it; without, the text is a plan's metadata."""
    offset = first_line - 1
    whole, guide_or_format = ("the file", guide) if guide else ("the metadata", "docs/format.md")
    try:
        deep = too_deep(text)
        if deep is not None:  # the composer is recursive: hundreds of '[' would end in a RecursionError
            report.fail(deep + offset, f"{whole} is nested too deeply (more than {MAX_DEPTH} levels)",
                        f"write the keys and lists described in {guide_or_format}; none needs more than a "
                        "few levels")
            return None
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        problem = error.problem or "cannot be read"
        report.fail(
            line,
            f"{whole} is not valid YAML: {problem}",
            "check the indentation and that each line reads 'key: value'; "
            "quote values that start with a special character",
        )
        return None
    except yaml.reader.ReaderError as error:  # a control character YAML does not allow
        line = text[: error.position].count("\n") + 1 + offset
        code = error.character if isinstance(error.character, int) else ord(error.character)
        report.fail(line, f"{whole} contains a character YAML does not allow (U+{code:04X})",
                    "delete it; it is invisible in most editors")
        return None
    if node is None:
        report.fail(first_line, f"{whole} is empty", f"write what {guide_or_format} describes")
        return None
    if not values_fit(node, report, offset):
        return None
    return Node(node, report, offset, "", guide)


SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 50
"""Lists and mappings inside one another: plansite's settings need four or five levels."""


def too_deep(text: str) -> int | None:
    """The line where lists and mappings nest more than :data:`MAX_DEPTH` deep, or None. Read
    from the parser's events, which (unlike composing) uses no recursion."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark.line + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def values_fit(root: yaml.Node, report: Report, offset: int) -> bool:
    """Check every key and value before any is read, so no message ever quotes a bad one: a
    quoted YAML string can write, with escapes ("\\x1b", "\\u202e", "\\ud800", "\\n"), characters
    the file itself does not hold. No output can carry those (see inputs.FORBIDDEN), and every
    setting is a single line: a line break in one could add lines to robots.txt or a feed."""
    problems = len(report.problems)
    seen: set[int] = set()  # an alias repeats a node: each is checked once (and a cycle ends)
    todo: list[tuple[yaml.Node, str, bool]] = [(root, "", False)]
    while todo and len(report.problems) - problems < MAX_REPORTED:
        node, name, is_key = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        line = node.start_mark.line + 1 + offset
        if isinstance(node, yaml.ScalarNode):
            value = str(node.value)
            if SURROGATE.search(value):  # "\\ud83d\\ude00" is one character in JSON and YAML 1.2: PyYAML
                node.value = value = value.encode("utf-16-le", "surrogatepass").decode(  # reads two halves
                    "utf-16-le", "surrogatepass")
            what = "a key" if is_key else f"'{name}'" if name else "the value"
            if FORBIDDEN.search(value):
                for char in list(dict.fromkeys(FORBIDDEN.findall(value)))[:3]:  # each once, in order
                    found, hint = offence(char)
                    report.fail(line, f"{what} contains {found}", hint)
            elif "\n" in value.strip():
                report.fail(line, f"{what} holds a line break",
                            "write it on one line (a '|' or '>' block, a \\n in quotes, or an empty line "
                            "inside the value makes a line break)")
        elif isinstance(node, yaml.MappingNode):
            for key, child in reversed(node.value):
                clean = isinstance(key, yaml.ScalarNode) and not FORBIDDEN.search(str(key.value)) \
                    and "\n" not in str(key.value)
                todo += [(child, _join(name, str(key.value)) if clean else name, False), (key, name, True)]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(item, f"{name}[{i + 1}]", False) for i, item in reversed(list(enumerate(node.value)))]
    return len(report.problems) == problems


def plain_key(key: yaml.Node, report: Report, offset: int) -> bool:
    """True for a key that is a word; a list or mapping as a key ('? [a, b]') is reported."""
    if isinstance(key, yaml.ScalarNode):
        return True
    report.fail(key.start_mark.line + 1 + offset, "a key must be a plain word, not a list or a mapping",
                "write 'key: value'; a line starting with '?' makes a complex key")
    return False


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _example(name: str) -> str:
    if not name:  # the front matter itself
        return "write one 'key: value' line for each of id, lang, title …; see docs/format.md"
    return f"write '{name}:' and, on the lines below, indented 'key: value' lines"
