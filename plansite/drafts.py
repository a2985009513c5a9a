"""Paragraphs, lists and items while they are read: mutable, so that printed numbers and an
action's fields can be cut off before they are frozen into the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import model as m

NUMBER = re.compile(
    r"^\s*("
    r"[壹貳參叁肆伍陸柒捌玖拾]+、"  # 壹、
    r"|[一二三四五六七八九十]+、"  # 一、
    r"|[（(]\s*[一二三四五六七八九十]+\s*[)）]"  # (一)
    r"|\d+(?:\.\d+)+\.?"  # 1.1
    r"|\d+[.．、]"  # 1.  1、
    r"|[（(]\s*\d+\s*[)）]"  # (1)
    r"|[IVXLC]+\."  # I. II. (English section numbers)
    r"|[A-Z][.．、]"  # A.
    r")\s*"
)


@dataclass
class Para:
    """A paragraph while it is being read: lines of inline nodes (fields are cut from the end).
    A line ends where the source line does, or after a hard break (two spaces or a backslash
    at the end of a source line), which it keeps at its end (:func:`unbroken`)."""

    lines: list[list[m.Inline]]
    line: int
    starts: list[int] | None = None
    """The source line each of ``lines`` starts on (None: one a line from ``line``): a code
    span, link or emphasis may run over two source lines and still be one of ``lines``. Lines
    are only ever cut from the end, so the index of a line left is its index here."""

    def line_of(self, index: int) -> int:
        """The source line ``lines[index]`` starts on."""
        return self.starts[index] if self.starts else self.line + index


def unbroken(line: list[m.Inline]) -> list[m.Inline]:
    """A line without the hard break that ends it, if it has one: a field line is 'label：value'
    however the line before or it itself ends (trailing spaces are invisible in an editor)."""
    return line[:-1] if line and isinstance(line[-1], m.LineBreak) else line


@dataclass
class Item:
    blocks: list
    line: int


@dataclass
class Lst:
    ordered: bool
    start: int | None
    items: list[Item]
    line: int


def take_number(lines: list[list[m.Inline]]) -> str | None:
    """Cut the printed number (壹、 一、 (一) 1. 1.1 (1) A.) from the start of the first line."""
    if not lines or not lines[0] or not isinstance(lines[0][0], m.Text):
        return None
    match = NUMBER.match(lines[0][0].text)
    if not match:
        return None
    rest = lines[0][0].text[match.end() :]
    if rest:
        lines[0][0] = m.Text(rest)
    else:
        lines[0].pop(0)
    return re.sub(r"\s+", "", match[1])


def first_number(blocks: list) -> str | None:
    """The printed number an item starts with, without cutting it off."""
    if not blocks or not isinstance(blocks[0], Para) or not blocks[0].lines or not blocks[0].lines[0]:
        return None
    first = blocks[0].lines[0][0]
    match = NUMBER.match(first.text) if isinstance(first, m.Text) else None
    return re.sub(r"\s+", "", match[1]) if match else None


def last_paragraph(blocks: list) -> Para | None:
    """The paragraph that ends an item, looking into a trailing list's last item."""
    while blocks:
        last = blocks[-1]
        if isinstance(last, Para):
            return last
        if isinstance(last, Lst) and last.items:
            blocks = last.items[-1].blocks
        else:
            return None
    return None
