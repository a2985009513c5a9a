"""Ids and anchors: explicit '{#id}' (and an English item's '{src=fingerprint}'), the ids the
page keeps for itself, and every id of a plan used once. Derived ids are positional (s3,
main-1-2, main-1-2-a3), so both languages' editions line up."""

from __future__ import annotations

import re

from . import model as m
from .errors import Report

ID = re.compile(r"^[a-z][a-z0-9-]*$")
ATTRIBUTES = re.compile(r"\{((?:#[^}\s]*)?(?:\s*src=[^}\s]*)?)\}\s*$")
"""A trailing '{#id src=…}'; the spaces before it are stripped after (a leading \\s* made a
search try a long run of spaces from each of its characters)."""
"""A trailing '{#id}', '{src=fingerprint}' or '{#id src=fingerprint}'."""
FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")
RESERVED_IDS = {"main", "content", "toc", "top", "header", "footer", "search", "plan-meta", "summary",
                "ps-menu", "attachments"}
"""Ids the page templates use themselves; an explicit id may not take them."""

RESERVED_ID = re.compile(r"^note-\d+$")
"""The ids of the notes many rows share (note-1 …), said once in the plan's summary."""

RESERVED_TABLES = {"note"}
"""Table names whose derived group ids (NAME-1 …) would be ids of the page itself."""


def take_attributes(lines: list[list[m.Inline]], line: int, report: Report, english: bool
                    ) -> tuple[str | None, str | None]:
    """Cut a trailing '{#id src=fingerprint}' from the first line: (id, fingerprint). Before a
    hard break ending the line (two spaces, or a backslash), too: behind one, the id and the
    translation's fingerprint were shown as text, the action's links broke and its English
    was "never marked as reviewed"."""
    first = lines[0] if lines else []
    last = len(first) - 1 - (1 if first and isinstance(first[-1], m.LineBreak) else 0)
    if last < 0 or not isinstance(first[last], m.Text):
        return None, None
    match = ATTRIBUTES.search(first[last].text)
    if not match or not match[1].strip():
        return None, None
    first[last] = m.Text(first[last].text[: match.start()].rstrip())
    value = source = None
    for word in match[1].split():
        if word.startswith("#"):
            value = word[1:]
            if not ID.match(value):
                report.fail(line, f"'{{#{value}}}' is not a valid id",
                            "use lower-case ASCII letters, digits and '-', starting with a letter")
            elif value in RESERVED_IDS or RESERVED_ID.match(value):
                report.fail(line, f"the id '{value}' is used by the page itself", "choose another id")
        else:
            source = word.removeprefix("src=")
            if not english:
                report.fail(line, "'src=' belongs in English files only", "remove it")
            elif not FINGERPRINT.match(source):
                report.fail(line, f"'src={source}' is not a fingerprint written by plansite",
                            "run 'python build.py reviewed PLAN ID' to write it")
    return value, source


def check_unique_ids(sections: tuple[m.Section, ...], report: Report) -> None:
    seen: dict[str, int] = {}
    nodes: list = list(sections)
    for section in sections:
        for block in section.blocks:
            if isinstance(block, m.ActionTable):
                nodes += list(walk_tree(block.children))
    for node in sorted(nodes, key=lambda n: n.loc.line):
        if node.id in seen:
            report.fail(node.loc.line, f"duplicate id '{node.id}' (first used at line {seen[node.id]})",
                        "give one of them another id")
        else:
            seen[node.id] = node.loc.line


def walk_tree(nodes):
    for node in nodes:
        yield node
        if isinstance(node, m.Group):
            yield from walk_tree(node.children)
