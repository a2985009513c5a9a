"""Action tables ('::: actions NAME'): group headings, descriptions, and actions with their
fields (deadline, units, …) cut from their last lines."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from markdown_it.tree import SyntaxTreeNode

from . import model as m
from .dates import DEADLINE_FORMS, parse_deadline
from .drafts import Item, Para, last_paragraph, take_number
from .ids import take_attributes
from .text import wordless

UNIT_SEPARATOR = re.compile(r"\s*[、/／，,;；]\s*")
ENGLISH_UNIT_SEPARATOR = re.compile(r"\s*[;；]\s*")
FIELD_LINE = re.compile(r"^\s*(?P<label>[^：:]{1,40}?)\s*[：:]\s*(?P<value>.*?)\s*$")


class TableReader:
    """Reads the inside of '::: actions NAME': group headings, descriptions and actions.
    ``body`` is the section's :class:`~plansite.sections.BodyReader` (not imported here: it
    imports this module), which reads the paragraphs and lists inside the table."""

    def __init__(self, body, name: str, columns: m.TableColumns):
        self.body, self.report, self.name, self.columns = body, body.report, name, columns

    def read(self, container: SyntaxTreeNode) -> tuple[m.Group | m.Action, ...]:
        root = GroupDraft(None, 0, "", None, (), 0, None)
        stack = [root]
        for node in container.children:
            line = self.body.line(node)
            if node.type == "heading":
                level = int(node.tag[1]) - 1
                if level == 0:
                    self.report.fail(line, "a section heading stands inside an action table",
                                     "close the table with a line ':::' before the next section")
                    continue
                if level > len(stack):
                    self.report.fail(line, f"the heading skips a level ({'#' * len(stack)}#"
                                     f" expected, found {'#' * (level + 1)})",
                                     "use one more '#' than the group it belongs to")
                    continue
                if level > len(self.columns.groups):
                    self.report.fail(line, f"the table '{self.name}' declares {len(self.columns.groups)} "
                                     f"group level(s), but this heading is level {level}",
                                     "add a label to 'groups:' in the table's declaration, "
                                     "or use fewer '#'")
                    continue
                del stack[level:]
                number, title, (explicit, source) = self.body.heading_parts(node)
                group = GroupDraft(explicit, level, self.columns.groups[level - 1], number, title, line,
                                   source)
                stack[-1].children.append(group)
                stack.append(group)
            elif node.type == "bullet_list":
                for item in node.children:
                    stack[-1].children.append(self.body.item(item))
            elif node.type in ("paragraph", "ordered_list"):
                group = stack[-1]
                if group is root:
                    self.report.fail(line, "text stands in the table before any group or action",
                                     "start the table with a group heading '## …' or an action '- …'")
                elif group.children:
                    self.report.fail(line, "text follows the group's actions or sub-groups",
                                     "indent it by two spaces to make it part of the action above, or move "
                                     "it right after the group heading to describe the group")
                elif (draft := self.body.draft(node)) is not None:
                    group.description.append(draft)
            else:
                self.body.block_allowed(node)
        return self.freeze(root, ())

    def freeze(self, group: GroupDraft, path: tuple[int, ...]) -> tuple[m.Group | m.Action, ...]:
        out: list[m.Group | m.Action] = []
        groups = actions = 0
        for child in group.children:
            if isinstance(child, GroupDraft):
                groups += 1
                out.append(self.group(child, (*path, groups)))
            else:
                actions += 1
                base = "-".join((self.name, *map(str, path)))
                out.append(self.action(child, f"{base}-a{actions}"))
        return tuple(out)

    def group(self, draft: GroupDraft, path: tuple[int, ...]) -> m.Group:
        children = self.freeze(draft, path)
        description = tuple(b for b in (self.body.finish(d) for d in draft.description) if b)
        if not children and not description:
            self.report.fail(draft.line, "the group has no actions, sub-groups or description",
                             "add its actions as '- …' items, or remove the heading")
        return m.Group(
            id=draft.explicit or "-".join((self.name, *map(str, path))),
            number=draft.number, title=draft.title, level=draft.level, label=draft.label,
            description=description, children=children, loc=self.body.loc(draft.line),
            translates=draft.source,
        )

    def action(self, item: Item, derived: str) -> m.Action:
        line = item.line
        explicit = source = number = None
        if item.blocks and isinstance(item.blocks[0], Para):
            explicit, source = take_attributes(item.blocks[0].lines, line, self.report, self.body.english)
            number = take_number(item.blocks[0].lines)
        fields = self.take_fields(item)
        body = tuple(b for b in (self.body.finish(d) for d in item.blocks) if b)
        if not body:
            self.report.fail(line, "the action has no text",
                             f"write the {self.columns.action} after '- ', then its fields")
        elif isinstance(body[0], m.Paragraph) and wordless(text := m.plain_text(body[0].inlines)):
            self.report.fail(line, f"the action's text '{text.strip()}' has no words, only punctuation or "
                             "symbols",
                             f"write the {self.columns.action} after '- ', then its fields")
        # English deadlines are written from the Chinese ones; only a note may be translated.
        required = (self.columns.units,) if self.body.english else (self.columns.deadline, self.columns.units)
        missing = [c for c in required if c and c not in fields]
        if missing:
            self.missing(item, missing, line)
        deadline = None
        if self.columns.deadline in fields:
            text, at = fields.pop(self.columns.deadline)
            deadline = parse_deadline(text)
            if not text:
                pass  # reported as empty by take_fields
            elif self.body.english and (deadline is None or deadline.kind != "unknown"):
                self.report.fail(at, "English files give no deadlines (the English page states the Chinese "
                                 "one)",
                                 "remove the line, or write only an editorial note 〔Editor's note: …〕")
            elif deadline is None:
                self.report.fail(at, f"unrecognised deadline '{text}'", f"write one of: {DEADLINE_FORMS}")
        units: tuple[str, ...] = ()
        if self.columns.units in fields:
            text, at = fields.pop(self.columns.units)
            units = split_units(text, english=self.body.english)
            if text and not units:  # only separators: an empty value is reported by take_fields
                self.report.fail(at, f"'{self.columns.units}' names no unit, only separators ('{text}')",
                                 f"write the units' names after '{self.columns.units}：', separated by "
                                 + ("';'" if self.body.english else "'、'"))
        extra = tuple(m.Field(label, fields[label][0]) for label in self.columns.fields if label in fields)
        return m.Action(explicit or derived, number, body, deadline, units, extra, self.body.loc(line),
                        source)

    def take_fields(self, item: Item) -> dict[str, tuple[str, int]]:
        """Cut the trailing 'label：value' lines off the action; label → (value, line)."""
        labels = {c for c in (self.columns.deadline, self.columns.units, *self.columns.fields) if c}
        fields: dict[str, tuple[str, int]] = {}
        para = last_paragraph(item.blocks)
        while para is not None and para.lines:
            line_no = para.line + len(para.lines) - 1
            found = field_line(para.lines[-1], labels)
            if found is None:
                break
            label, value = found
            if label in fields:
                self.report.fail(line_no, f"the action gives '{label}' twice", "keep one line per column")
            elif not value:
                self.report.fail(line_no, f"'{label}' is empty", f"write the {label} after '{label}：'")
            fields.setdefault(label, (value, line_no))
            para.lines.pop()
        return fields

    def missing(self, item: Item, labels: list[str], line: int) -> None:
        lines = "、".join(f"'{label}：…'" for label in labels)
        hint = f"add {lines} at the end of the action, one per line, indented like its text"
        para = last_paragraph(item.blocks)
        for text in [m.plain_text(tuple(x)) for x in para.lines] if para else []:
            written = FIELD_LINE.match(text)
            if written and difflib.get_close_matches(written["label"], labels, n=1, cutoff=0.5):
                hint = f"the line '{text}' looks like one: write the label exactly as declared ({lines})"
                break
        else:
            if self.columns.groups:
                hint += ("; if this list describes the group rather than listing actions, write it "
                         "as a numbered Markdown list (1. 2. …) instead of bullets")
        self.report.fail(line, f"the action has no {' and no '.join(labels)}", hint)


@dataclass
class GroupDraft:
    explicit: str | None
    level: int
    label: str
    number: str | None
    title: tuple[m.Inline, ...]
    line: int
    source: str | None = None
    description: list = field(default_factory=list)
    children: list = field(default_factory=list)


def field_line(line: list[m.Inline], labels: set[str]) -> tuple[str, str] | None:
    """(label, value) if the line is 'label：value' for a declared column label."""
    if not line or not all(isinstance(x, m.Text | m.Note) for x in line):
        return None
    match = FIELD_LINE.match(m.plain_text(tuple(line)))
    if not match or match["label"] not in labels:
        return None
    return match["label"], match["value"]


def split_units(text: str, english: bool = False) -> tuple[str, ...]:
    """Units as printed, separated by 、 / ， ; (in English only by ';'); notes stay whole."""
    separator = ENGLISH_UNIT_SEPARATOR if english else UNIT_SEPARATOR
    parts: list[str] = []
    pos = 0
    for note in m.NOTE_PATTERN.finditer(text):
        parts += separator.split(text[pos : note.start()])
        parts.append(note.group())
        pos = note.end()
    parts += separator.split(text[pos:])
    return tuple(p for p in (x.strip() for x in parts) if p)
