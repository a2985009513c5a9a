"""The plan model: the contract between reading content and every renderer.

Plain frozen dataclasses, nothing else (only their pickled form is made quicker: see the
end). Every node records where it came from (:class:`Location`), so later stages
(translation checks, link checks) can point a user back to the exact line. Renderers read
this model and never the Markdown.
"""

from __future__ import annotations

import gc
import pickle
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date

# ---------------------------------------------------------------- where things come from


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file."""

    path: str
    """The source file, relative to the project."""
    line: int
    """1-based line number."""


# ---------------------------------------------------------------- inline text


@dataclass(frozen=True, slots=True)
class Text:
    """Plain text."""

    text: str


@dataclass(frozen=True, slots=True)
class Strong:
    """Bold text (``**…**``)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Emphasis:
    """Emphasised text (``*…*``)."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    """A code span (``…``), e.g. a form number."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link to an ``http:``, ``https:`` or ``mailto:`` address."""

    href: str
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A hard line break inside a paragraph."""


@dataclass(frozen=True, slots=True)
class Note:
    """An editorial note (〔編註：…〕): text the editors added, never the plan's own words."""

    text: str
    """The note as written, brackets included."""


Inline = Text | Strong | Emphasis | Code | Link | LineBreak | Note

NOTE_PATTERN = re.compile(r"〔(?:編註|Editor's note)[:：][^〕]*〕")


def spans(text: str) -> tuple[Inline, ...]:
    """Split plain text (a unit, a deadline, a title) into text and editorial notes."""
    out: list[Inline] = []
    pos = 0
    for match in NOTE_PATTERN.finditer(text):
        if match.start() > pos:
            out.append(Text(text[pos : match.start()]))
        out.append(Note(match.group()))
        pos = match.end()
    if pos < len(text):
        out.append(Text(text[pos:]))
    return tuple(out)


def numbered(number: str | None, text: str) -> str:
    """A printed number before its text: 壹、 and 一、 join directly, 1. and (一) take a space."""
    if not number:
        return text
    return f"{number}{text}" if number.endswith("、") else f"{number} {text}"


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """The text of inline content without markup, e.g. for titles and JSON."""
    parts: list[str] = []
    for node in inlines:
        if isinstance(node, Text | Code | Note):
            parts.append(node.text)
        elif isinstance(node, LineBreak):
            parts.append("\n")
        else:
            parts.append(plain_text(node.children))
    return "".join(parts)


# ---------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of prose."""

    inlines: tuple[Inline, ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class ListItem:
    """One item of a list."""

    number: str | None
    """The item's number as printed (一、 (一) 1. A.), or None for a plain item."""
    blocks: tuple[Block, ...]
    """The item's content: paragraphs and nested lists."""
    loc: Location


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A list. Numbered when every item carries its printed number."""

    ordered: bool
    """True for a numbered list (printed numbers, or Markdown ``1.``)."""
    start: int | None
    """The first number of a Markdown ``1.`` list; None when items carry their numbers."""
    items: tuple[ListItem, ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class TableColumns:
    """The column labels an action table is printed with, as the plan names them."""

    groups: tuple[str, ...]
    """One label per group level, outermost first (may repeat, may be empty)."""
    action: str
    """The label of the action column (推動作法, 具體作法, 執行重點 …)."""
    deadline: str | None
    """The label of the deadline column, or None when the table has none."""
    units: str | None
    """The label of the responsible-units column, or None when the table has none."""
    fields: tuple[str, ...]
    """Labels of further, optional columns."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """When an action is due: the printed text and what it means."""

    text: str
    """The deadline as printed, e.g. 隨時辦理 or 105.5.1~105.5.31."""
    kind: str
    """ongoing, as-needed, recurring, date, month, range, or unknown (an editorial note)."""
    start: date | None
    """First day of the period the deadline names (date, month, range), else None."""
    end: date | None
    """Last day of that period, else None."""
    every: str | None
    """For recurring deadlines: day, week, month, quarter or year."""


@dataclass(frozen=True, slots=True)
class Field:
    """The value of a further column of an action (declared under ``fields``)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class SharedCell:
    """A field an action shares with the actions next to it, written once after their run
    (docs/format.md, 'Fields shared by several actions'): tables print one merged cell. The
    action's own ``deadline``, ``units`` or ``fields`` still hold the value, so nothing that
    reads values needs to know about sharing."""

    column: str
    """The column's label, as this edition's table declares it."""
    rows: int
    """How many rows the merged cell spans from this action down; 0 when the cell of an action
    above spans this one."""


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an action table: what the agency will do, by when, and who."""

    id: str
    number: str | None
    """The action's number as printed (1. 1.1 (1)), if any."""
    body: tuple[Block, ...]
    """The action text: one or more paragraphs and lists."""
    deadline: Deadline | None
    """None only when the table has no deadline column."""
    units: tuple[str, ...]
    """Responsible units in printed order (empty only when the table has no units column)."""
    fields: tuple[Field, ...]
    loc: Location
    translates: str | None = None
    """In an English plan: the fingerprint of the Chinese text this translates ({src=…})."""
    shared: tuple[SharedCell, ...] = ()
    """The columns whose value this action shares with the actions next to it."""

    def rows(self, column: str) -> int:
        """How many table rows this action's cell in ``column`` spans: 1 when not shared, more
        for the first action of a shared cell, 0 when a cell above covers it."""
        return next((cell.rows for cell in self.shared if cell.column == column), 1)


@dataclass(frozen=True, slots=True)
class Group:
    """A grouping row of an action table (實施要項, 執行策略 …), as a heading."""

    id: str
    number: str | None
    """The group's number as printed (壹、 一、 (一)), if any."""
    title: tuple[Inline, ...]
    level: int
    """1 for the outermost group level."""
    label: str
    """The column label of this level (e.g. 實施要項)."""
    description: tuple[Block, ...]
    """Text that describes the group (e.g. the criteria of an 評核項目)."""
    children: tuple[Group | Action, ...]
    loc: Location
    translates: str | None = None
    """In an English plan: the fingerprint of the Chinese text this translates ({src=…})."""


@dataclass(frozen=True, slots=True)
class ActionTable:
    """An action table: a tree of groups whose leaves are actions."""

    name: str
    """The table's name as declared under ``tables:`` (used in derived ids)."""
    columns: TableColumns
    children: tuple[Group | Action, ...]
    loc: Location


Block = Paragraph | ListBlock | ActionTable


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level section of the plan (壹、計畫依據 …)."""

    id: str
    number: str | None
    title: tuple[Inline, ...]
    blocks: tuple[Block, ...]
    loc: Location
    translates: str | None = None
    """In an English plan: the fingerprint of the Chinese text this translates ({src=…})."""


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Agency:
    """The agency that issued the plan."""

    zh: str
    en: str
    line: int = field(default=0, compare=False, repr=False)
    """Where its plan file gives its English name (for messages); not part of what it is."""


@dataclass(frozen=True, slots=True)
class Basis:
    """A document the plan rests on (計畫依據)."""

    authority: str
    """Who issued it (行政院, 財政部 …)."""
    title: str
    date: date | None
    ref: str | None
    """Its 字號, e.g. 院授發社字第1061300008號."""
    loc: Location


@dataclass(frozen=True, slots=True)
class Classification:
    """Government metadata classification codes (Category.Service/Theme/Cake)."""

    service: str
    theme: str | None
    cake: str | None


@dataclass(frozen=True, slots=True)
class Mapping:
    """How a plan's action groups map onto the measures of a framework (front matter
    ``framework:``), so that plans can be compared measure by measure."""

    framework: str
    """The framework's id in content/frameworks.yml."""
    groups: tuple[tuple[str, str, int], ...]
    """(group id, measure id, line): every action under the group counts for the measure."""
    unmapped: tuple[tuple[str, str, int], ...]
    """(group id, why it maps onto no measure, line)."""
    note: str | None
    """Said on the comparison page, e.g. why a plan has no groups to map."""
    loc: Location
    english: tuple[tuple[str, str], ...] = ()
    """The English of the note (under the key '') and of each group's why (under its id),
    where the editors gave one; the English page shows the Chinese, said to be so, otherwise."""


@dataclass(frozen=True, slots=True)
class Measure:
    id: str
    zh: str
    en: str
    line: int = 0
    """Where content/frameworks.yml defines it (0 when unknown)."""


@dataclass(frozen=True, slots=True)
class Framework:
    """A set of measures plans are organised by (the six measures of 政府服務躍升方案 …)."""

    id: str
    name_zh: str
    name_en: str
    source_zh: str
    """Where the measures are defined, in words."""
    source_en: str
    measures: tuple[Measure, ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class Period:
    """When a plan is carried out (執行期程): its first and last day."""

    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Attachment:
    """A 附件 or 附表 of the plan: a file published beside it (``file``), or a section of the
    plan written as a table (``section``). The file's format, size and digest are filled in
    when the file is checked (``attachments.check_files``), after the plan file is read."""

    title: str
    file: str | None
    """The file's name in content/plans/ID/ (and in site/downloads/ID/)."""
    section: str | None
    """The id of the section that holds the attachment, written in the plan."""
    alt: str | None
    """The alternative text of an image (required for images)."""
    loc: Location
    kind: str | None = None
    """The file's format (formats.ATTACHMENTS: pdf, odt, ods, png, jpeg), once checked."""
    size: int = 0
    digest: str = ""
    """A hash of the file's bytes: the plan's outputs depend on it."""
    lang: str | None = None
    """The language of the file (an English edition may reuse the Chinese file)."""
    title_lang: str | None = None
    """The language of the title and alt text, when not the plan's (an English edition that
    did not translate its attachments shows the Chinese ones)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """One plan in one language."""

    id: str
    lang: str
    title: str
    agency: Agency
    year: int | None
    """The plan year in the ROC calendar (民國); None for a standing document (a regulation
    that holds until it is amended: front matter ``year: standing``)."""
    issued: date | None
    issued_ref: str | None
    basis: tuple[Basis, ...]
    classification: Classification
    sections: tuple[Section, ...]
    loc: Location
    framework: Mapping | None = None
    amended: tuple[date, ...] = ()
    """The dates the plan was amended (修正日期), oldest first."""
    period: Period | None = None
    """When the plan is carried out (執行期程), if it says."""
    attachments: tuple[Attachment, ...] = ()
    """附件 and 附表, in the order the plan lists them."""

    @property
    def year_ad(self) -> int | None:
        return None if self.year is None else self.year + 1911

    @property
    def coverage(self) -> tuple[date, date] | None:
        """The days the plan covers: its period, else its year; None for a standing document
        that gives no period."""
        if self.period:
            return self.period.start, self.period.end
        if self.year_ad is None:
            return None
        return date(self.year_ad, 1, 1), date(self.year_ad, 12, 31)

    @property
    def standing(self) -> bool:
        """A standing document: no plan year."""
        return self.year is None

    def tables(self) -> Iterator[ActionTable]:
        for section in self.sections:
            yield from (b for b in section.blocks if isinstance(b, ActionTable))

    def actions(self) -> Iterator[tuple[tuple[Group, ...], Action]]:
        """Every action in document order, with its ancestor groups (outermost first)."""
        for table in self.tables():
            yield from walk_actions(table.children, ())

    def groups(self) -> Iterator[Group]:
        for table in self.tables():
            yield from walk_groups(table.children)


def walk_actions(
    nodes: tuple[Group | Action, ...], ancestors: tuple[Group, ...]
) -> Iterator[tuple[tuple[Group, ...], Action]]:
    for node in nodes:
        if isinstance(node, Action):
            yield ancestors, node
        else:
            yield from walk_actions(node.children, (*ancestors, node))


def action_count(group: Group) -> int:
    """How many actions a group holds, at any depth."""
    return sum(1 for _ in walk_actions(group.children, ()))


def respan(kept: tuple[Group | Action, ...], siblings: tuple[Group | Action, ...]
           ) -> tuple[Group | Action, ...]:
    """The actions ``kept`` of ``siblings`` (a narrowed view keeps some) with their merged cells
    cut to the kept actions: kept neighbours that shared one cell still share one, an action
    kept alone has a cell of its own. (A table drawn from stale row counts would lose cells.)"""
    owners: dict[tuple[str, str], str] = {}  # (action, column) → the action whose cell holds it
    opened: dict[str, str] = {}
    for node in siblings:
        for cell in node.shared if isinstance(node, Action) else ():
            if cell.rows:
                opened[cell.column] = node.id
            owners[node.id, cell.column] = opened.get(cell.column, node.id) if not cell.rows else node.id
    out = list(kept)
    for column in dict.fromkeys(c.column for a in kept if isinstance(a, Action) for c in a.shared):
        first = 0
        while first < len(out):
            owner = owners.get((out[first].id, column)) if isinstance(out[first], Action) else None
            end = first + 1
            while owner and end < len(out) and owners.get((out[end].id, column)) == owner:
                end += 1
            for index in range(first, end if owner else first):
                rows = end - first if index == first else 0
                action = out[index]
                out[index] = evolve(action, shared=tuple(SharedCell(column, rows) if c.column == column else c
                                                         for c in action.shared))
            first = end
    return tuple(out)


def walk_groups(nodes: tuple[Group | Action, ...]) -> Iterator[Group]:
    for node in nodes:
        if isinstance(node, Group):
            yield node
            yield from walk_groups(node.children)


def items(plan: Plan) -> Iterator[Section | Group | Action]:
    """Every section, group and action in document order: the units a translation tracks."""
    for section in plan.sections:
        yield section
        for block in section.blocks:
            if isinstance(block, ActionTable):
                yield from walk_items(block.children)


def walk_items(nodes: tuple[Group | Action, ...]) -> Iterator[Group | Action]:
    for node in nodes:
        yield node
        if isinstance(node, Group):
            yield from walk_items(node.children)


def blocks_text(blocks: tuple[Block, ...], indent: str = "") -> str:
    """Prose blocks as plain text: paragraphs apart by a blank line, list items one a line.
    Action tables are left out: their groups and actions are items of their own."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(indent + plain_text(block.inlines))
        elif isinstance(block, ListBlock):
            lines = []
            for position, item in enumerate(block.items, start=block.start or 1):
                marker = item.number or (f"{position}." if block.ordered else "-")
                lines.append(f"{indent}{marker} {blocks_text(item.blocks, indent + '  ').lstrip()}")
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


EXCERPT_WIDTH = 40
"""How wide the opening words that stand for an untitled point may be, counting a Chinese
character as two columns and a Latin letter as one: about 20 characters, or 6 to 8 English words."""


PAUSES = ",.;:，、。；：！？"
"""Punctuation an excerpt is best cut at, and never ends with before its ellipsis."""


def excerpt(blocks: tuple[Block, ...], width: int = EXCERPT_WIDTH) -> str:
    """The opening words of a point's text, for a contents entry or an outline of a point that
    is numbered but has no title (一、 in a regulation): cut between two Chinese characters or at
    a space, never inside an English word, with an ellipsis when something is left out."""
    text = " ".join(blocks_text(blocks).split())
    used, end, cut, pause = 0, 0, 0, 0
    for index, char in enumerate(text):
        used += 2 if "\u2e80" <= char <= "\uffef" else 1
        if used > width:
            break
        end = index + 1
        after = text[index + 1 : index + 2]
        if not after or after == " " or char == " " or "\u2e80" <= char <= "\uffef" \
                or "\u2e80" <= after <= "\uffef":
            cut = end
        if char in PAUSES and used >= width // 2:  # a clause that ends well into the room
            pause = index
    else:
        return text
    shown = text[: pause or cut or end].rstrip(" " + PAUSES)
    return shown + "…"


def heading_label(section: Section) -> str:
    """What a section is called in a contents list, a PDF's bookmarks and an ODT's outline: its
    number and title, or for a point that has only a number, the number and its opening words."""
    if section.title:
        return numbered(section.number, plain_text(section.title))
    return numbered(section.number, excerpt(section.blocks))


def shared_notes(plan: Plan) -> dict[str, int]:
    """Editorial notes that fill a cell alone (a deadline, a unit, a further field) and stand in
    more than one row, numbered in document order: each is said once, and its cells say "not
    stated" and point to it, instead of the same long note in every row. The web page, the PDF
    and the ODT number them alike."""
    counts: Counter[str] = Counter()
    for _, action in plan.actions():
        cells = [*action.units, *(f.value for f in action.fields)]
        if action.deadline:
            cells.append(action.deadline.text)
        counts.update(c for c in dict.fromkeys(cells) if NOTE_PATTERN.fullmatch(c))
    shared = [text for text, count in counts.items() if count > 1]  # first seen first: document order
    return {text: number for number, text in enumerate(shared, start=1)}


def own_text(item: Section | Group | Action) -> str:
    """The text a translator translates for one item, without the items nested in it."""
    title = (numbered(item.number, plain_text(item.title)) if not isinstance(item, Action)
             else item.number or "")
    if isinstance(item, Section):
        body = blocks_text(item.blocks)
    elif isinstance(item, Group):
        body = blocks_text(item.description)
    else:
        deadline = item.deadline.text if item.deadline and item.deadline.kind == "unknown" else ""
        fields = [f"{f.label}: {f.value}" for f in item.fields]
        body = "\n".join([blocks_text(item.body), "; ".join(item.units), deadline, *fields])
    return f"{title}\n{body}"


# ---------------------------------------------------------------- glossary and translations


@dataclass(frozen=True, slots=True)
class Term:
    """A glossary entry: the one English term for a Chinese term."""

    zh: tuple[str, ...]
    """The Chinese term, in every way it is written (e.g. 臺/台)."""
    en: str
    note: str | None
    loc: Location


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """How current the English translation of one section, group or action is."""

    id: str
    state: str
    """translated, stale (the Chinese changed since it was reviewed, or it never was), missing."""
    fingerprint: str
    """The fingerprint of the Chinese text as it is now."""


@dataclass(frozen=True, slots=True)
class Edition:
    """A plan in both languages: the Chinese original and its English translation."""

    zh: Plan
    en: Plan | None
    """The English plan, or None when the plan has not been translated."""
    status: dict[str, ItemStatus]
    """By item id; empty when there is no English plan."""
    source_updated: date
    """When the Chinese original last changed (shown in stale notices)."""

    @property
    def stale(self) -> set[str]:
        return {i for i, s in self.status.items() if s.state != "translated"}


# ---------------------------------------------------------------- pickling (caches and workers)


def _quick_pickling(cls: type) -> None:
    """Give a frozen, slotted dataclass a pickled state that is the tuple of its fields.
    Models are pickled into the build's cache and across worker processes; the state that
    dataclasses give slotted classes looks the fields up again for every object, which made
    loading a thousand cached plans a quarter slower. Restoring sets each slot through its
    descriptor (as frozen dataclasses' own __init__ may not): a third quicker than setting
    attributes by name. The state is the slots' own values: a plan's sections still packed
    (:class:`Packed`) stay packed."""
    names = tuple(f.name for f in fields(cls))
    getters = tuple(cls.__dict__[name].__get__ for name in names)  # the slots themselves
    setters = tuple(cls.__dict__[name].__set__ for name in names)

    def state(self) -> tuple:
        return tuple([get(self) for get in getters])

    def restore(self, values: tuple) -> None:
        for set_slot, value in zip(setters, values):  # our own state: always one value per field
            set_slot(self, value)

    cls.__getstate__, cls.__setstate__ = state, restore
    FIELD_NAMES[cls] = names
    STATES[cls] = state


FIELD_NAMES: dict[type, tuple[str, ...]] = {}
STATES: dict[type, Callable[[object], tuple]] = {}
"""Each model class's fields as its slots hold them (a plan's sections possibly packed)."""


def evolve(node, **changes):
    """A copy of a model node with some fields changed, like dataclasses.replace but without
    its checks, which the model does not need (it has no __post_init__ and no init=False
    fields): completing a thousand English plans made 186,000 copies, 3 s with replace."""
    copy = object.__new__(type(node))
    copy.__setstate__(tuple([changes.pop(name) if name in changes else value
                             for name, value in zip(FIELD_NAMES[type(node)], STATES[type(node)](node))]))
    if changes:
        raise TypeError(f"{type(node).__name__} has no fields {sorted(changes)}")
    return copy


for _model in [v for v in globals().values() if isinstance(v, type) and is_dataclass(v)
               and v.__module__ == __name__]:
    _quick_pickling(_model)


# ---------------------------------------------------------------- a plan's sections, unpickled when used


@dataclass(frozen=True, slots=True)
class Packed:
    """A plan's sections as pickled, with the two facts the pages about all plans and the
    build's summary ask of every plan. A pickled plan carries its sections so; they are
    unpickled the first time anything reads ``plan.sections`` (:class:`Unpacked`). A rebuild
    after one plan changed loads every plan from the cache, yet reads the sections of only
    the plans it renders again: unpickling a thousand plans' sections was most of loading
    them (docs/performance.md)."""

    data: bytes
    actions: int
    """How many actions the sections hold."""
    units: bool
    """Whether any of those actions names a responsible unit."""

    @staticmethod
    def of(plan: Plan) -> Packed:
        actions = [action for _, action in plan.actions()]
        return Packed(pickle.dumps(plan.sections, pickle.HIGHEST_PROTOCOL), len(actions),
                      any(action.units for action in actions))


class Unpacked:
    """``Plan.sections``: the slot's value, unpickled first when it is still :class:`Packed`
    (with the garbage collector paused, as :func:`sources.lasting_objects` does for whole
    plans: it would scan the new objects again and again as they pile up)."""

    def __init__(self, slot):
        self.slot = slot

    def __get__(self, plan, owner=None):
        if plan is None:
            return self
        value = self.slot.__get__(plan, owner)
        if value.__class__ is Packed:
            enabled = gc.isenabled()
            gc.disable()
            try:
                value = pickle.loads(value.data)
            finally:
                if enabled:
                    gc.enable()
            self.slot.__set__(plan, value)
        return value

    def __set__(self, plan, value) -> None:
        self.slot.__set__(plan, value)


_sections = FIELD_NAMES[Plan].index("sections")


def _packed_state(plan: Plan) -> tuple:
    values = list(STATES[Plan](plan))
    if values[_sections].__class__ is not Packed:  # still packed: pickled again as it came
        values[_sections] = Packed.of(plan)
    return tuple(values)


Plan.__getstate__ = _packed_state
Plan.sections = Unpacked(Plan.__dict__["sections"])


def packed(plan: Plan) -> Packed | None:
    """The plan's sections as still packed, or None once they were read (or never packed)."""
    value = STATES[Plan](plan)[_sections]
    return value if value.__class__ is Packed else None


def plan_actions(plan: Plan) -> int:
    """How many actions ``plan`` holds, without unpacking its sections."""
    if (still := packed(plan)) is not None:
        return still.actions
    return sum(1 for _ in plan.actions())


def names_units(plan: Plan) -> bool:
    """Whether any action of ``plan`` names a responsible unit, without unpacking its sections."""
    if (still := packed(plan)) is not None:
        return still.units
    return any(action.units for _, action in plan.actions())
