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
    """A paragraph while it is being read: lines of inline nodes (fields are cut from the end)."""

    lines: list[list[m.Inline]]
    line: int
    end: int = 0
    """Its last source line (0: not known). A code span or link may run over two source lines
    and still be one of ``lines``, so the lines at its end are counted from here."""

    def line_of(self, index: int) -> int:
        """The source line of ``lines[index]``, counted from the paragraph's end when it is known
        (field lines and what follows them are at the end)."""
        return self.end - (len(self.lines) - 1 - index) if self.end else self.line + index


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
    if not blocks or not isinstance(blocks[0], Para) or not blocks[0].lines[0]:
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
