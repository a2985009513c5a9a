"""Action tables ('::: actions NAME'): group headings, descriptions, and actions with their
fields (deadline, units, …) cut from their last lines."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from markdown_it.tree import SyntaxTreeNode

from . import model as m
from .dates import DEADLINE_FORMS, parse_deadline
from .drafts import Item, Lst, Para, first_number, last_paragraph, take_number, unbroken
from .ids import take_attributes
from .text import wordless

# Patterns here read text a plan author wrote, of any length: none may try a run of spaces
# from each of its characters (a line of 40,000 spaces took 13 s to check, a 2 MB one hours).
UNIT_SEPARATOR = re.compile(r"[、/／，,;；]")  # the parts are stripped
ENGLISH_UNIT_SEPARATOR = re.compile(r"[;；]")
# The colon as typed: full-width, ASCII, or the look-alikes of Big5-era text (︰ ﹕).
COLON = "：:︰﹕"
FIELD_LINE = re.compile(rf"^\s*(?P<label>[^{COLON}\s][^{COLON}]{{0,39}}?)\s*[{COLON}]"
                        r"\s*(?P<value>(?:.*\S)?)\s*$")


PLAIN = (m.Text, m.Note)
"""What a field line is made of: no code, emphasis, link or tag."""


def field_parts(text: str) -> tuple[str, str] | None:
    """(label, value) if a line of text reads 'label：value'. A backslash ending the value is
    Markdown's hard break where it cannot be one (a paragraph's last line): not the value's."""
    match = FIELD_LINE.match(text)
    return (match["label"], match["value"].rstrip("\\").rstrip()) if match else None


class TableReader:
    """Reads the inside of '::: actions NAME': group headings, descriptions and actions.
    ``body`` is the section's :class:`~plansite.sections.BodyReader` (not imported here: it
    imports this module), which reads the paragraphs and lists inside the table."""

    def __init__(self, body, name: str, columns: m.TableColumns):
        self.body, self.report, self.name, self.columns = body, body.report, name, columns
        self.labels = {c for c in (columns.deadline, columns.units, *columns.fields) if c}
        """The table's declared columns' labels."""
        # English deadlines are written from the Chinese ones; only a note may be translated.
        required = (columns.units,) if body.english else (columns.deadline, columns.units)
        self.required = tuple(c for c in required if c)
        """The columns every action must give (or share)."""
        # a field line as the file's language writes it, in messages: '承辦單位：…', 'Responsible units: …'
        self.colon, self.joiner = (": ", ", ") if body.english else ("：", "、")

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
                                     "use one more '#' than the group it belongs to" if len(stack) > 1
                                     else "a table's outermost groups are '## …' headings")
                    continue
                if level > len(self.columns.groups):
                    self.report.fail(line, f"the table '{self.name}' declares {len(self.columns.groups)} "
                                     f"group level(s), but this heading is level {level}",
                                     "add a label to 'groups:' in the table's declaration, "
                                     "or use fewer '#'")
                    continue
                del stack[level:]
                number, title, (explicit, source) = self.body.heading_parts(node, group=True)
                group = GroupDraft(explicit, level, self.columns.groups[level - 1], number, title, line,
                                   source)
                stack[-1].children.append(group)
                stack.append(group)
            elif node.type == "bullet_list":
                for item in node.children:
                    stack[-1].children.append(self.body.item(item))
            elif node.type in ("paragraph", "ordered_list"):
                group = stack[-1]
                draft = self.body.draft(node)  # read once: reading it reports a bad link or an image
                # before the group's first action, lines merely like fields ('完成目標：…') describe it
                fields = isinstance(draft, Para) and self.shared_lines(draft, exact=not group.children)
                if fields:
                    self.shared_fields(group, fields, line)
                elif group.children and isinstance(draft, Para) and (almost := self.almost_shared(draft)):
                    fields, at, message, hint = almost
                    self.report.fail(at, message, hint)
                    self.shared_fields(group, fields, line, whole=False)
                elif group is root and not group.children:
                    self.report.fail(line, "text stands in the table before any group or action",
                                     "start the table with a group heading '## …' or an action '- …'")
                elif group.children:
                    self.report.fail(line, "text follows the group's actions or sub-groups",
                                     "indent it by two spaces to make it part of the action above, or move "
                                     "it right after the group heading to describe the group")
                elif draft is not None:
                    self.description_fields(draft)
                    group.description.append(draft)
            else:
                self.body.block_allowed(node)
        return self.freeze(root, ())

    def description_fields(self, draft: Para | Lst) -> None:
        """A group's description with a field line in it: actions written as a numbered list
        ('1. 辦理宣導。' with its fields under it) or as paragraphs ('(一) …'). The plan was
        published with no actions, their text and fields shown as the group's description."""
        paras, lists = ([draft], []) if isinstance(draft, Para) else ([], [draft])
        while lists:  # the paragraphs of the list's items, nested lists too
            for entry in lists.pop().items:
                paras += [b for b in entry.blocks if isinstance(b, Para)]
                lists += [b for b in entry.blocks if isinstance(b, Lst)]
        for para in sorted(paras, key=lambda para: para.line):
            for index, line in enumerate(para.lines):
                if found := field_line(line, self.labels):
                    label, value = found
                    self.report.fail(para.line_of(index), f"the group's description has the field line "
                                     f"'{label}{self.colon}{value}', which only an action has",
                                     "write each action as a '- ' item ('- 1. …'), its fields indented under "
                                     "it; a group's description is text before its first action")
                    return

    def freeze(self, group: GroupDraft, path: tuple[int, ...]) -> tuple[m.Group | m.Action, ...]:
        out: list[m.Group | m.Action] = []
        groups = actions = 0
        for run, shared in self.runs(group):
            if isinstance(run, GroupDraft):
                groups += 1
                out.append(self.group(run, (*path, groups)))
                continue
            given = [self.own_labels(item, set(shared.lines) if shared else set()) for item in run]
            shared = self.unparted_shared(run, given, self.indented_shared(run, given, shared))
            # a field that one action of the run gives and two or more lack was likely meant for all
            once = {label: givers[0] for label in self.labels
                    if len(givers := [fields[label] for fields in given if label in fields]) == 1
                    and len(run) - 1 >= 2}
            made: list[tuple[m.Action, list[str]]] = []
            for item in run:
                actions += 1
                base = "-".join((self.name, *map(str, path)))
                made.append(self.action(item, f"{base}-a{actions}", shared.values if shared else {}, once,
                                        group.early, quiet=bool(shared and not shared.complete)))
            if shared:
                made = self.share(made, shared)
            out += [action for action, _ in made]
        return tuple(out)

    def indented_shared(self, run: list[Item], given: list[dict[str, tuple[str, int]]],
                        shared: SharedDraft | None) -> SharedDraft | None:
        """Fields meant as shared by the run but indented (a tab, or spaces), so Markdown reads
        them as the last action's own paragraph, while other actions lack what they give: said
        once, at the fields, and read as shared (with the run's ``shared`` fields, if any).
        Each action was said to lack them, and the last one that an empty line parted its
        fields, naming neither the indent nor the line."""
        last = run[-1]
        para = last.blocks[-1] if len(run) > 1 and len(last.blocks) > 1 else None
        lines = self.shared_lines(para, exact=True) if isinstance(para, Para) else None
        taken = set(shared.lines) if shared else set()
        lacked = self.lacked([label for label, _, _ in lines or ()], taken, given)
        if not lacked:
            return shared
        text = "', '".join(f"{label}{self.colon}{value}" for label, value, _ in lines[:3])
        text += "', …" if len(lines) > 3 else "'"
        one = len(lines) == 1
        word, be, they, them = ("line", "is", "it", "it") if one else ("lines", "are", "they", "them")
        self.report.fail(para.line, f"the field {word} '{text} {be} indented, so Markdown reads {them} as "
                         f"the last action's own (line {last.line}), and {lacking(run, given, lacked[0])}",
                         f"if {they} {be} shared by the run of actions above, write {them} at the start of "
                         f"the {word}, with no spaces or tab before {them}; if {they} {be} that action's "
                         "own, give the other actions theirs")
        last.blocks.pop()
        return joined(shared, self.shared_draft(lines, len(run), whole=False))

    def unparted_shared(self, run: list[Item], given: list[dict[str, tuple[str, int]]],
                        shared: SharedDraft | None) -> SharedDraft | None:
        """Fields meant as shared by the run, at the start of their lines, but with no empty line
        before them: Markdown reads them as the last action's own, while other actions lack what
        they give. Said once, at the fields, and read as shared (with ``shared``, if any). Each
        other action was said to lack them, with a hint to write a numbered list."""
        taken = set(shared.lines) if shared else set()
        last = run[-1]
        read = self.trailing(last, taken) if len(run) > 1 else []
        found = [(index, label, value, at) for index, label, value, at, meant in read if meant is None]
        if not found or len(found) < len(read):
            return shared
        # '- 承辦單位：服務科' after the run: an action of field lines alone
        whole = at_item_start(last, read[-1][0]) and len(last.blocks) == 1
        indented = any(self.body.indented(at) for *_, at in found)
        if not whole and (at_item_start(last, read[-1][0]) or indented):
            return shared
        lacked = self.lacked([label for _, label, _, _ in found], taken, given)
        if not lacked:
            return shared
        first = min(at for _, _, _, at in found)
        if whole:
            what = "the field at line" if len(found) == 1 else "the fields from line"
            self.report.fail(first, f"{what} {first} {'is' if len(found) == 1 else 'are'} written as an "
                             f"action ('- '), and {lacking(run, given, lacked[0])}",
                             "if they are shared by the run of actions above, write them without '- ', after "
                             "an empty line; if they are an action's own, indent them under its text")
            run.pop()  # no action of its own: its fields are the run's
            given.pop()
            lines = [(label, value, at) for _, label, value, at in reversed(found)]
            return joined(shared, self.shared_draft(lines, len(run), whole=False))
        self.report.fail(first, f"no empty line stands before the fields at line {first}, so Markdown reads "
                         f"them as the last action's own (line {last.line}), and "
                         f"{lacking(run, given, lacked[0])}",
                         "if they are shared by the run of actions above, put an empty line before them; "
                         "if they are that action's own, indent them like its text and give the other "
                         "actions theirs")
        para = last_paragraph(last.blocks)
        del para.lines[min(index for index, _, _, _ in found):]
        lines = [(label, value, at) for _, label, value, at in reversed(found)]
        return joined(shared, self.shared_draft(lines, len(run), whole=False))

    def lacked(self, labels: list[str], taken: set[str],
               given: list[dict[str, tuple[str, int]]]) -> list[str]:
        """Of ``labels``, the columns every action must give that the run's shared fields
        (``taken``) do not, and that some action of the run but its last does not give itself."""
        return [label for label in labels if label in self.required and label not in taken
                and any(label not in fields for fields in given[:-1])]

    def runs(self, group: GroupDraft) -> list[tuple[GroupDraft | list[Item], SharedDraft | None]]:
        """The group's children cut into sub-groups and runs of actions, each run with the
        shared-fields paragraph that ends it (or None)."""
        ends = {shared.end: shared for shared in group.shared}
        out: list[tuple[GroupDraft | list[Item], SharedDraft | None]] = []
        run: list[Item] = []
        for index, child in enumerate(group.children):
            if isinstance(child, GroupDraft):
                if run:
                    out.append((run, None))
                    run = []
                out.append((child, None))
                continue
            run.append(child)
            if index + 1 in ends:
                out.append((run, ends[index + 1]))
                run = []
        if run:
            out.append((run, None))
        return out

    def share(self, made: list[tuple[m.Action, list[str]]], shared: SharedDraft
              ) -> list[tuple[m.Action, list[str]]]:
        """Record which actions took each shared field: adjacent ones make one merged cell."""
        cells: list[list[m.SharedCell]] = [[] for _ in made]
        for label, (_, at) in shared.lines.items():
            taking = [label in inherited for _, inherited in made]
            if not any(taking):
                self.report.fail(at, f"every action above already gives its own '{label}', so this shared "
                                 "line applies to none of them",
                                 f"remove this line, or remove the actions' own '{label}{self.colon}…' lines "
                                 "so that they share it")
                continue
            position = 0
            while position < len(made):
                if not taking[position]:
                    position += 1
                    continue
                end = position
                while end < len(made) and taking[end]:
                    end += 1
                cells[position].append(m.SharedCell(label, end - position))
                cells[position + 1 : end] = [[*c, m.SharedCell(label, 0)] for c in cells[position + 1 : end]]
                position = end
        return [(m.evolve(action, shared=tuple(c)) if c else action, inherited)
                for (action, inherited), c in zip(made, cells, strict=True)]

    def shared_lines(self, para: Para, exact: bool = False) -> list[tuple[str, str, int]] | None:
        """(label, value, line) of each line when the paragraph is a shared-fields paragraph:
        every line 'label：value' and at least one label a column's (or, not ``exact``, close
        to one)."""
        found = []
        for index, line in enumerate(para.lines):
            if not (parts := plain_field(line)):
                return None
            found.append((*parts, para.line_of(index)))
        labels = self.labels
        if not any(label in labels or (not exact and difflib.get_close_matches(label, list(labels), n=1,
                                                                               cutoff=0.5))
                   for label, _, _ in found):
            return None
        return found

    def almost_shared(self, para: Para) -> tuple[list[tuple[str, str, int]], int, str, str] | None:
        """A paragraph meant as fields shared by a run of actions, that is not quite one: its
        lines start 'label：value', one with a column's label, but one has formatting, or text
        follows them. Then (its field lines as (label, value, line), the line at fault, what is
        wrong, the fix); else None. Told only as text where none may stand, these named neither
        the line nor why, and each action of the run was said to lack the fields."""
        found: list[tuple[str, str, int]] = []
        formatted = after = None
        for index, inlines in enumerate(map(unbroken, para.lines)):
            text, at = m.plain_text(tuple(inlines)), para.line_of(index)
            if not (parts := field_parts(text)):
                after = (text, at)
                break
            found.append((*parts, at))
            if formatted is None and not all(isinstance(x, PLAIN) for x in inlines):
                formatted = (text, at)
        if not any(label in self.labels for label, _, _ in found):
            return None
        if formatted is not None:
            text, at = formatted
            why = (f"the line '{text}' would be a field shared by the run of actions above, but has "
                   "formatting (code, emphasis, a link or a tag)")
            return found, at, why, "a field is plain text; remove the formatting"
        if after is not None:
            text, at = after
            return found, at, f"the line '{text}' follows the fields shared by the run of actions above", (
                "the shared fields are their paragraph's last lines: move the line into an action's text "
                "(indented under it), or remove it")
        return None

    def shared_fields(self, group: GroupDraft, lines: list[tuple[str, str, int]], line: int,
                      whole: bool = True) -> None:
        """Read a shared-fields paragraph: it ends the run of actions above it. Not ``whole``:
        a line of it was reported, so the actions' lacking fields are not reported again."""
        if group.shared and group.shared[-1].end == len(group.children) and group.children:
            self.parted_shared_fields(group.shared[-1], lines, line)
            return
        start = group.shared[-1].end if group.shared else 0
        run = group.children[start:]
        if not run or any(isinstance(child, GroupDraft) for child in run):
            where = "the table's first action" if not group.children and group.level == 0 else "its actions"
            hint = ("write the shared fields after the run of actions they apply to, separated from "
                    "the last action by an empty line; a field of one action is indented under it")
            if not group.children and not any(label in self.required for label, _, _ in lines):
                # where a group's description stands, and no column every action needs: maybe one
                hint += ("; if the line describes the group, write it as a sentence: a line "
                         f"'label{self.colon}value' with a column's label is a field")
            self.report.fail(line, "fields shared by a run of actions stand before " + where, hint)
            group.early.update({label: (value, at) for label, value, at in lines})
            return
        group.shared.append(self.shared_draft(lines, len(group.children), whole))

    def shared_draft(self, lines: list[tuple[str, str, int]], end: int, whole: bool) -> SharedDraft:
        """Shared fields' lines read, each mistake reported at its line."""
        labels = self.labels
        fields: dict[str, tuple[str, int]] = {}
        for label, value, at in lines:
            if label not in labels:
                near = difflib.get_close_matches(label, sorted(labels), n=1, cutoff=0.5)
                self.report.fail(at, f"'{label}' is not a column of the table '{self.name}'",
                                 f"did you mean '{near[0]}'?" if near else
                                 "write one of: "
                                 + self.joiner.join(f"'{c}{self.colon}…'" for c in sorted(labels)))
            elif label in fields:
                self.report.fail(at, f"the shared fields give '{label}' twice", "keep one line per column")
            elif not value:
                self.report.fail(at, f"'{label}' is empty", f"write the {label} after '{label}{self.colon}'")
            else:
                fields[label] = (value, at)
        values = self.values(dict(fields))
        return SharedDraft(end, fields, values, whole and len(fields) == len(lines))

    def parted_shared_fields(self, shared: SharedDraft, lines: list[tuple[str, str, int]], line: int) -> None:
        """A second paragraph of shared fields right after the first, with no action between:
        an empty line parts them. Said once, at the second, and read as one, so the actions are
        not said to lack what the second gives (it was taken for fields standing before a run)."""
        first = min((at for _, at in shared.lines.values()), default=line)
        self.report.fail(line, f"an empty line parts the fields shared by the run of actions above (lines "
                         f"{first} and {line})", "write the shared fields one per line, with no empty line "
                         "between them")
        added = {label: (value, at) for label, value, at in lines if label in self.labels
                 and label not in shared.lines}
        shared.lines.update(added)
        shared.values.update(self.values(dict(added)))
        shared.complete = False

    def group(self, draft: GroupDraft, path: tuple[int, ...]) -> m.Group:
        children = self.freeze(draft, path)
        description = tuple(b for b in (self.body.finish(d) for d in draft.description) if b)
        if not children and not description:
            self.report.fail(draft.line, "the group has no actions, sub-groups or description",
                             "add its actions as '- …' items, or remove the heading")
        if not m.plain_text(draft.title).strip() and draft.number:  # its heading, links, PDF bookmark: bare
            self.report.fail(draft.line, f"the group heading '{draft.number}' has no words after its number",
                             "write its words after the number, as the plan prints them")
        elif not m.plain_text(draft.title).strip():
            self.report.fail(draft.line, "the group heading has no title", "write the group's number and "
                             "title as the plan prints them (e.g. '## 貳、運用多元策略')")
        return m.Group(
            id=draft.explicit or "-".join((self.name, *map(str, path))),
            number=draft.number, title=draft.title, level=draft.level, label=draft.label,
            description=description, children=children, loc=self.body.loc(draft.line),
            translates=draft.source,
        )

    def action(self, item: Item, derived: str, shared: dict | None = None,
               neighbours: dict[str, tuple[str, int]] | None = None,
               early: dict[str, tuple[str, int]] | None = None, quiet: bool = False
               ) -> tuple[m.Action, list[str]]:
        """The action, and the labels of the shared fields it takes (``shared``: label → value
        read by :meth:`values`). For the hint when it lacks a field: ``neighbours``, fields that
        only one other action of its run gives; ``early``, shared fields written before the
        actions. ``quiet``: its shared fields have a mistake already reported (a lacking field
        is likely the one misspelt there)."""
        line = item.line
        explicit = source = number = None
        if item.blocks and isinstance(item.blocks[0], Para):
            explicit, source = take_attributes(item.blocks[0].lines, line, self.report, self.body.english)
            number = take_number(item.blocks[0].lines)
        if number:
            self.numbered_paragraphs(item, number)
        fields, misspelt = self.take_fields(item, set(shared or {}), quiet)
        body = tuple(b for b in (self.body.finish(d) for d in item.blocks) if b)
        if not body and any(at == line for _, at in fields.values()):
            label, value = next((label, value) for label, (value, at) in fields.items() if at == line)
            self.report.fail(line, f"the action has no text: its first line is the field "
                             f"'{label}{self.colon}{value}'",
                             f"write the {self.columns.action} after '- ', then its fields; if the field is "
                             "shared by the actions above, write it without '- ', after an empty line")
        elif not body:
            self.report.fail(line, "the action has no text",
                             f"write the {self.columns.action} after '- ', then its fields")
        elif isinstance(body[0], m.Paragraph) and wordless(text := m.plain_text(body[0].inlines)):
            self.report.fail(line, f"the action's text '{text.strip()}' has no words, only punctuation or "
                             "symbols",
                             f"write the {self.columns.action} after '- ', then its fields")
        inherited = [label for label in shared or {} if label not in fields]
        missing = [c for c in self.required if c not in fields and c not in inherited and c not in misspelt]
        if missing and not quiet:
            self.missing(item, missing, line, neighbours or {}, early or {})
        values = {**self.values(fields), **{label: (shared or {})[label] for label in inherited}}
        deadline = values.get(self.columns.deadline) if self.columns.deadline else None
        units = values.get(self.columns.units, ()) if self.columns.units else ()
        extra = tuple(m.Field(label, values[label]) for label in self.columns.fields if label in values)
        loc = self.body.loc(line)
        return m.Action(explicit or derived, number, body, deadline, units, extra, loc, source), inherited

    def values(self, fields: dict[str, tuple[str, int]]) -> dict:
        """Each field's value as the model holds it (a Deadline, a tuple of units, a text),
        its mistakes reported at its line."""
        values: dict = {}
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
            values[self.columns.deadline] = deadline
        if self.columns.units in fields:
            text, at = fields.pop(self.columns.units)
            units = split_units(text, english=self.body.english)
            if text and not units:  # only separators: an empty value is reported by take_fields
                self.report.fail(at, f"'{self.columns.units}' names no unit, only separators ('{text}')",
                                 f"write the units' names after '{self.columns.units}{self.colon}', "
                                 "separated by " + ("';'" if self.body.english else "'、'"))
            values[self.columns.units] = units
        for label in self.columns.fields:
            if label in fields:
                values[label] = fields[label][0]
        return values

    def numbered_paragraphs(self, item: Item, number: str) -> None:
        """'- 1. …' followed, inside the same bullet, by '2. …': Markdown reads one action whose
        text goes on with numbered paragraphs, which is never what a plan printing numbered
        actions means (the next one was meant as an action of its own). A list in the action's
        own style that starts anew (1. 2. under action 1.) is the action's text."""
        following = next_number(number)
        if following is None:
            return
        for found, at in numbers_inside(item):
            if same_number(style(found), style(number)) and not same_number(found, following):
                return  # a list of its own in the action's style (1. 2. under action 1.): not the next action
            if same_number(found, following):
                example = self.columns.units or self.columns.deadline or "…"
                self.report.fail(at, f"the action '{number}' goes on with the numbered paragraph "
                                 f"'{found}', which Markdown reads as part of its text",
                                 f"start it with '- ' as an action of its own ('- {found} …'); if the "
                                 "actions share a field, write it once after the last of them, after an "
                                 f"empty line and not indented (e.g. '{example}{self.colon}…')")
                return

    def trailing(self, item: Item, shared: set[str], quiet: bool = False
                 ) -> list[tuple[int, str, str, int, str | None]]:
        """The action's field lines, read up from its last line, as (index in its last paragraph,
        label, value, line, meant). ``meant`` is None for a column's label; else the line is
        like a field with a label no column has, and ``meant`` names the column it likely
        misspells, or is '' for a column not declared.

        Such a line counts when a field line stands above it (the fields are the last lines:
        text does not stand there), or, above them all, when it is close to a column the action
        does not give itself and must give (unless ``quiet``: a mistake in the shared fields was
        told); otherwise it is the action's text ('附註：…', '協辦單位：…', 'Hotline: …'), even
        one like a column it takes from the ``shared`` fields ('協辦單位' is a word of its own).
        Never an item's first line, nor a line starting with a note 〔…〕. Read from the end, a
        misspelt last line hid the correct fields above it."""
        owner = item.blocks  # the blocks of the item (the action, or its list's last point) holding it
        while owner and isinstance(owner[-1], Lst) and owner[-1].items:
            owner = owner[-1].items[-1].blocks
        para = owner[-1] if owner and isinstance(owner[-1], Para) else None
        lines = para.lines if para is not None else []
        first = para is not None and para is owner[0]  # its first line is its item's own
        found: list[tuple[int, str, str, int, bool]] = []
        for index in range(len(lines) - 1, -1, -1):
            parts = plain_field(lines[index])
            declared = parts is not None and parts[0] in self.labels
            if (not parts or (first and index == 0 and (owner is not item.blocks or not declared))
                    or (not declared and not isinstance(lines[index][0], m.Text))):
                break  # an item's first line (an action's may be a field: it is said to have no text),
                # or a line starting with a note 〔…〕, is text
            found.append((index, *parts, para.line_of(index), declared))
        own = {label for _, label, _, _, declared in found if declared}
        columns = [None if declared else self.near_column(label, value)
                   for _, label, value, _, declared in found]
        misspelt = [bool(column) and column not in own and column in self.required and column not in shared
                    and not quiet for column in columns]
        # the upmost field line, a misspelt one too: a line like a field below it is no text
        top = max((position for position, entry in enumerate(found) if entry[4] or misspelt[position]),
                  default=-1)
        out: list[tuple[int, str, str, int, str | None]] = []
        for position, (index, label, value, at, declared) in enumerate(found):
            column = columns[position]
            if declared:
                meant = None
            elif misspelt[position] or (position < top and column not in own):
                meant = column
            elif position < top:
                meant = ""
            else:
                break
            own.add(meant or label)
            out.append((index, label, value, at, meant))
        return out

    def near_column(self, label: str, value: str) -> str:
        """The declared column a label not declared is closest to, or ''. An English file's
        deadline is only ever an editor's note, so 'Hotline' is not its deadline misspelt."""
        columns = sorted(c for c in self.labels if not (self.body.english and c == self.columns.deadline
                                                         and not value.startswith("〔")))
        near = difflib.get_close_matches(label, columns, n=1, cutoff=0.5)
        return near[0] if near else ""

    def own_labels(self, item: Item, shared: set[str]) -> dict[str, tuple[str, int]]:
        """The columns the action gives itself (label → (value, line)), read without cutting
        them; a misspelt one counts (it is reported)."""
        if listed := self.listed_fields(item):
            return {label: (value, at) for label, value, at, _ in listed}
        found: dict[str, tuple[str, int]] = {}
        for _, label, value, at, meant in self.trailing(item, shared):
            if meant != "":
                found.setdefault(meant or label, (value, at))
        return found

    def take_fields(self, item: Item, shared: set[str], quiet: bool = False
                    ) -> tuple[dict[str, tuple[str, int]], set[str]]:
        """Cut the trailing field lines (:meth:`trailing`) off the action: (label → (value,
        line), the columns whose line is misspelt). A line like a field that no column has is
        reported at its line, and the lines above it are still read."""
        if (bulleted := self.bulleted_fields(item)) is not None:
            return bulleted, set()
        found = self.trailing(item, shared, quiet)
        para = last_paragraph(item.blocks)
        fields: dict[str, tuple[str, int]] = {}
        misspelt: set[str] = set()
        giving = {label: at for _, label, _, at, meant in found if meant is None}
        undeclared = [at for *_, at, meant in found if meant == ""]  # told at the first (upmost) alone
        for _, label, value, at, meant in found:
            if meant:
                misspelt.add(meant)
                hint = (f"did you mean '{meant}'? write the label exactly as declared; if '{label}' is a "
                        "column of its own, declare it under 'fields:'")
                if meant in self.required and meant not in shared:
                    hint += f"; if the line is the action's text, the action still lacks its {meant}"
                self.report.fail(at, f"'{label}' is not a column of the table '{self.name}'", hint)
            elif meant == "":
                if at != undeclared[-1]:
                    continue
                near = self.near_column(label, value)
                more = len(undeclared) - 1
                self.report.fail(at, f"'{label}' is not a column of the table '{self.name}'"
                                 + (f" (nor are the labels of {more} more lines after it)" if more else ""),
                                 "declare it under 'fields:' in the table's declaration, or, if the line is "
                                 "the action's text, move it before the fields"
                                 + (f"; line {giving[near]} gives '{near}'" if near in giving else ""))
            elif label in fields:  # read from the end: the later line is the one kept
                again = fields[label][1]
                self.report.fail(at, f"the action gives '{label}' twice (again at line {again})",
                                 "keep one line per column")
            else:
                if not value:
                    self.report.fail(at, f"'{label}' is empty",
                                     f"write the {label} after '{label}{self.colon}'")
                fields[label] = (value, at)
        if found:
            del para.lines[found[-1][0]:]
            if para.lines:  # a hard break before the fields ends nothing now
                para.lines[-1] = unbroken(para.lines[-1])
        return fields, misspelt

    def bulleted_fields(self, item: Item) -> dict[str, tuple[str, int]] | None:
        """An action whose fields are written as a list of its own ('  - 完成期限：…'): said
        once, and read as its fields. Cut from the list's last item, they left it empty, and
        the build stopped with a traceback."""
        taken = self.listed_fields(item)
        if not taken:
            return None
        points = item.blocks[-1]
        del points.items[len(points.items) - len({point for *_, point in taken}):]
        if not points.items:
            item.blocks.pop()
        label, value, at, _ = taken[0]
        self.report.fail(at, f"the field '{label}{self.colon}{value}' is written as an item of a list",
                         "write the action's fields as lines of their own, without '- ' or a number, "
                         "indented like its text")
        return {label: (value, at) for label, value, at, _ in taken}  # a label twice: the later line

    def listed_fields(self, item: Item) -> list[tuple[str, str, int, int]]:
        """The fields written as the last items of the action's list, as (label, value, line, the
        item's line), read without cutting them."""
        points = item.blocks[-1] if item.blocks and isinstance(item.blocks[-1], Lst) else None
        taken: list[tuple[str, str, int, int]] = []
        for entry in reversed(points.items if points is not None else []):
            para = entry.blocks[0] if len(entry.blocks) == 1 and isinstance(entry.blocks[0], Para) else None
            # a numbered point ('(2) 承辦單位：承辦科室名稱及聯絡電話。') is the action's text
            fields = [field_line(line, self.labels) for line in para.lines] if para else []
            if not fields or not all(fields):
                break
            taken[:0] = [(label, value, para.line_of(index), entry.line)
                         for index, (label, value) in enumerate(fields)]
        return taken

    def missing(self, item: Item, labels: list[str], line: int,
                neighbours: dict[str, tuple[str, int]], early: dict[str, tuple[str, int]]) -> None:
        lines = self.joiner.join(f"'{label}{self.colon}…'" for label in labels)
        hint = f"add {lines} at the end of the action, one per line, indented like its text"
        para = last_paragraph(item.blocks)
        given = [(label, neighbours[label]) for label in labels if label in neighbours]
        ahead = [(label, early[label]) for label in labels if label in early]
        declared = self.labels
        written = [(text, FIELD_LINE.match(text), all(isinstance(x, PLAIN) for x in inlines))
                   for inlines in map(unbroken, para.lines if para else [])
                   for text in [m.plain_text(tuple(inlines))]]
        exact = [i for i, (_, match, _) in enumerate(written) if match and match["label"] in declared]
        formatted = [(written[i][0], i) for i in exact if not written[i][2]]
        misspelt = [(text, i) for i, (text, match, _) in enumerate(written) if match
                    and match["label"] not in declared
                    and difflib.get_close_matches(match["label"], labels, n=1, cutoff=0.5)]
        after = [(text, i) for i, (text, _, _) in enumerate(written) if exact and i > exact[-1]]
        apart = self.fields_apart(item) if not exact else None
        if formatted and para:
            text, at = formatted[0]
            hint = (f"the line '{text}' (line {para.line_of(at)}) is one, but with formatting (code, "
                    "emphasis, a link or a tag): a field is plain text; remove the formatting")
        elif misspelt and para:
            text, at = misspelt[0]
            hint = (f"the line '{text}' (line {para.line_of(at)}) looks like one: write the label exactly as "
                    f"declared ({lines})")
        elif after and para:
            text, at = after[0]
            hint = (f"the fields must be the action's last lines, and the line '{text}' (line "
                    f"{para.line_of(at)}) follows them: move it into the action's text, before the fields")
        elif apart:
            hint = apart
        elif ahead:
            label, (value, at) = ahead[0]
            hint = (f"the shared '{label}{self.colon}{value}' at line {at} stands before the actions: move "
                    "it after the last of them, after an empty line and not indented")
        elif given:
            label, (value, at) = given[0]
            hint += (f"; or, if the '{label}{self.colon}{value}' of the action at line {at} is meant for "
                     "this action too, write it once after the run of actions, after an empty line and not "
                     "indented, instead of under one of them")
        elif self.columns.groups:
            hint += ("; if this list describes the group rather than listing actions, write it "
                     "as a numbered Markdown list (1. 2. …) instead of bullets")
        self.report.fail(line, f"the action has no {' and no '.join(labels)}", hint)


    def fields_apart(self, item: Item) -> str | None:
        """Why an action's field lines were not taken when they stand in a paragraph of its own
        before the last one (an empty line after them, then text or more fields), or None."""
        for index, para in enumerate(item.blocks[:-1]):
            if not isinstance(para, Para):
                continue
            fields = [i for i, inlines in enumerate(map(unbroken, para.lines))
                      if (match := FIELD_LINE.match(m.plain_text(tuple(inlines))))
                      and match["label"] in self.labels]
            if not fields:
                continue
            following = item.blocks[index + 1]
            if isinstance(following, Lst):  # the list of the action's points, written after its fields
                at = para.line_of(fields[0])
                return (f"the list at line {following.line} follows the fields (line {at}): the "
                        "fields must be the action's last lines; move them after the list, indented "
                        "like the action's text")
            if all(field_line(inlines, self.labels) for inlines in following.lines):
                return (f"an empty line parts the fields at lines {para.line_of(fields[0])} and "
                        f"{following.line}: write an action's fields one per line, with no empty line "
                        "between them")
            text = m.plain_text(tuple(following.lines[0])) if following.lines else ""
            return (f"the fields must be the action's last lines, and the line '{text}' (line "
                    f"{following.line}) follows them: move it into the action's text, before the fields")
        return None


def at_item_start(item: Item, index: int) -> bool:
    """Whether ``index`` in the action's last paragraph is its first line, the action's text."""
    return bool(item.blocks) and item.blocks[0] is last_paragraph(item.blocks) and index == 0


def lacking(run: list[Item], given: list[dict[str, tuple[str, int]]], label: str) -> str:
    """'the action at line 25 lacks 完成期限', or 'the actions at lines 25, 26, 27 and 4 more lack
    …': the actions of the run but its last that do not give ``label`` (a run of 15,000 made a
    message of 94 KB)."""
    lines = [str(item.line) for item, fields in zip(run, given[:-1]) if label not in fields]
    named = ", ".join(lines[:3]) + (f" and {len(lines) - 3} more" if len(lines) > 3 else "")
    return (f"the action at line {named} lacks {label}" if len(lines) == 1
            else f"the actions at lines {named} lack {label}")


def joined(shared: SharedDraft | None, draft: SharedDraft) -> SharedDraft:
    """``draft`` (incomplete: fields read as shared though Markdown did not read them so, a
    mistake reported), with the run's own ``shared`` fields if it has them (theirs first)."""
    if shared is None:
        return draft
    added = {label: read for label, read in draft.lines.items() if label not in shared.lines}
    shared.lines.update(added)
    shared.values.update({label: draft.values[label] for label in added if label in draft.values})
    shared.complete = False
    return shared


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
    shared: list[SharedDraft] = field(default_factory=list)
    early: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Shared fields written before the group's actions (reported; named in hints)."""


@dataclass
class SharedDraft:
    """A shared-fields paragraph: it ends the run of actions before ``end`` (a child index)."""

    end: int
    lines: dict[str, tuple[str, int]]
    """label → (value as written, line)."""
    values: dict
    """label → value as the model holds it (see :meth:`TableReader.values`)."""
    complete: bool
    """False when a line was wrong (reported): the actions' lacking fields are not reported again."""


CHINESE_NUMERALS = "一二三四五六七八九十"


def next_number(number: str) -> str | None:
    """The number printed after this one in the same style: 1. → 2., (一) → (二), 1.1 → 1.2."""
    match = re.fullmatch(r"(.*?)(\d+)(\D*)", number)
    if match:
        return f"{match[1]}{int(match[2]) + 1}{match[3]}"
    match = re.fullmatch(r"(\D*?)([一二三四五六七八九])(\D*)", number)
    if match:
        return f"{match[1]}{CHINESE_NUMERALS[CHINESE_NUMERALS.index(match[2]) + 1]}{match[3]}"
    return None


def style(number: str) -> str:
    """A printed number's style, whatever its value: 1. and 12. alike, (一) and (三) alike."""
    return re.sub(r"[一二三四五六七八九十]+", "一", re.sub(r"\d+", "1", number))


def same_number(a: str, b: str) -> bool:
    """Printed numbers alike but for full-width or half-width marks and spaces."""
    def plain(text: str) -> str:
        return re.sub(r"\s+", "", text.translate(str.maketrans("（）．", "()."))).rstrip(".")
    return plain(a) == plain(b)


def numbers_inside(item: Item) -> list[tuple[str, int]]:
    """Printed numbers that start a line, a paragraph or a list item in the action's text
    (not its first line), with their lines."""
    found: list[tuple[str, int]] = []
    for position, block in enumerate(item.blocks):
        if isinstance(block, Para):
            for offset, line in enumerate(block.lines):
                if (position or offset) and (number := first_number([Para([line], 0)])):
                    found.append((number, block.line_of(offset)))
        elif isinstance(block, Lst):
            for index, entry in enumerate(block.items):
                if block.ordered:
                    found.append((f"{(block.start or 1) + index}.", entry.line))
                elif number := first_number(entry.blocks):
                    found.append((number, entry.line))
    return found


def plain_field(line: list[m.Inline]) -> tuple[str, str] | None:
    """(label, value) if the line, plain text (no code, emphasis, link or tag), reads
    'label：value', whatever its label; a hard break ending it does not count."""
    line = unbroken(line)
    if not line or not all(isinstance(x, PLAIN) for x in line):
        return None
    return field_parts(m.plain_text(tuple(line)))


def field_line(line: list[m.Inline], labels: set[str]) -> tuple[str, str] | None:
    """(label, value) if the line is 'label：value' for a declared column label."""
    parts = plain_field(line)
    return parts if parts and parts[0] in labels else None


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
