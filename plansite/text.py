"""The text of a plan as it is read: source lines joined (no space where a line break meets
Chinese text), and titles that have no words."""

from __future__ import annotations

import unicodedata

from . import model as m


def wordless(text: str) -> bool:
    """True when ``text`` has no letter and no digit: a title of only punctuation or symbols
    ("……", "——") names nothing, in the contents, the search results or a screen reader."""
    return not any(unicodedata.category(c)[0] in "LN" for c in text)


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def join_lines(lines: list[list[m.Inline]]) -> tuple[m.Inline, ...]:
    """One inline sequence from source lines: no space where a line break meets Chinese text."""
    out: list[m.Inline] = []
    for line in lines:
        if not line:
            continue
        if out and not isinstance(out[-1], m.LineBreak):  # a hard break ends the line before
            before, after = m.plain_text(tuple(out))[-1:], m.plain_text(tuple(line))[:1]
            if before and after and not (is_wide(before) or is_wide(after)):
                out.append(m.Text(" "))
        out += line
    return tuple(strip_ends(merge_text(out)))


def merge_text(nodes: list[m.Inline]) -> list[m.Inline]:
    out: list[m.Inline] = []
    for node in nodes:
        if isinstance(node, m.Text) and out and isinstance(out[-1], m.Text):
            out[-1] = m.Text(out[-1].text + node.text)
        else:
            out.append(node)
    return [m.Text(n.text.replace("\n", "")) if isinstance(n, m.Text) else n for n in out if not empty(n)]


def strip_ends(nodes: list[m.Inline]) -> list[m.Inline]:
    if nodes and isinstance(nodes[0], m.Text):
        nodes[0] = m.Text(nodes[0].text.lstrip())
    if nodes and isinstance(nodes[-1], m.Text):
        nodes[-1] = m.Text(nodes[-1].text.rstrip())
    return [n for n in nodes if not empty(n)]


def empty(node: m.Inline) -> bool:
    """An empty text (asked of every node: comparing each with ``m.Text("")`` took a fifth of
    reading a plan's sections)."""
    return isinstance(node, m.Text) and not node.text
