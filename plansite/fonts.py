"""The PDF's font: which characters it can draw. A character the font lacks is a problem at the
plan's line, found while the plan is read, because WeasyPrint would drop it silently.

This module imports nothing heavy (fontTools loads only when the font's characters are read,
once per font version), so a build without downloads still checks every plan can be printed.
"""

from __future__ import annotations

from . import model as m
from .cache import Store, fingerprint
from .errors import Problem
from .formats import PDF

FONT_FILES = PDF.fonts
FONT_NAME = "Noto Sans CJK TC"


DRAWABLE: list[frozenset[int]] = []
"""The font's code points, once read (see :func:`drawable`)."""


def drawable(store: Store | None = None) -> frozenset[int]:
    """The code points the embedded font (Noto Sans CJK TC, regular and bold) can draw. Reading
    the fonts' character maps takes over half a second, so with a ``store`` the set is kept
    there (under :func:`drawable_key`)."""
    if not DRAWABLE:
        DRAWABLE.append(store.get_or_make(drawable_key(), font_points) if store else font_points())
    return DRAWABLE[0]


def drawable_key() -> str:
    """The key of the font's code points in a store: the font files (by path and size), and
    the code and tools reading them."""
    return f"font-{fingerprint(*font_sizes())}"


def font_sizes() -> list[str]:
    """The PDF's font files by path and size: checks and PDFs depend on the installed font."""
    return PDF.font_sizes()


def font_points() -> frozenset[int]:
    from fontTools.ttLib import TTCollection  # only when the font's characters are not kept yet

    points: set[int] = set()
    for path in FONT_FILES:
        if not path.exists():
            continue
        for font in TTCollection(str(path), lazy=True).fonts:
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" TC"):
                points.update(font.getBestCmap())
    return frozenset(points)


def uncovered_characters(plan: m.Plan, extra: str = "") -> list[Problem]:
    """One problem per character the PDF's font cannot draw, at the first line that uses it."""
    font = drawable()
    if not font:
        return [Problem(plan.loc.path, 1, f"the font {FONT_NAME} is not installed, so the PDF cannot show "
                        "Chinese text", "run ./setup, or: sudo apt-get install -y fonts-noto-cjk")]
    lines = list(texts(plan))
    if all(ord(char) in font or char.isspace() for char in set(extra).union(*(text for _, text in lines))):
        return []  # the usual case, told at once: every character of the plan is in the font
    problems: list[Problem] = []
    seen: set[str] = set()  # most characters recur: each is looked up in the font once
    for line, text in lines:
        text += extra if line == 1 else ""
        new = set(text) - seen
        seen |= new
        for char in sorted(new, key=text.index):
            if ord(char) not in font and not char.isspace():
                problems.append(Problem(plan.loc.path, line,
                                        f"the PDF font {FONT_NAME} cannot show the character '{char}' "
                                        f"(U+{ord(char):04X})", "replace it with a common character"))
    return problems


def texts(plan: m.Plan):
    """(line, text) of everything the PDF prints from the plan, each at its own line."""
    yield 1, f"{plan.title}{plan.agency.zh}{plan.agency.en}{plan.issued_ref or ''}"
    for basis in plan.basis:
        yield basis.loc.line, basis.authority + basis.title + (basis.ref or "")
    for item in m.items(plan):
        yield item.loc.line, m.numbered(item.number, m.plain_text(item.title)) if not isinstance(
            item, m.Action) else (item.number or "")
        if isinstance(item, m.Section):
            yield from block_texts(b for b in item.blocks if not isinstance(b, m.ActionTable))
        elif isinstance(item, m.Group):
            yield from block_texts(item.description)
        else:
            yield from block_texts(item.body)
            deadline = item.deadline.text if item.deadline else ""
            extra = [*item.units, *(f.value for f in item.fields), deadline]
            yield item.loc.line, "".join(extra)


def block_texts(blocks):
    for block in blocks:
        if isinstance(block, m.Paragraph):
            yield block.loc.line, m.plain_text(block.inlines)
        elif isinstance(block, m.ListBlock):
            for item in block.items:
                yield item.loc.line, item.number or ""
                yield from block_texts(item.blocks)
