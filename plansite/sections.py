"""The body of a plan: Markdown → sections of paragraphs, lists and action tables.

markdown-it-py parses it with raw HTML off (plus the container plugin for '::: actions'), and
:class:`BodyReader` reads the syntax tree into the model, reporting each problem at its line."""

from __future__ import annotations

import difflib
import re
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.container import container_plugin

from . import model as m
from .actions import TableReader
from .drafts import Item, Lst, Para, first_number, take_number
from .errors import Report
from .ids import take_attributes
from .inputs import FORBIDDEN, check_characters, offence
from .text import join_lines, merge_text, wordless

LINK_SCHEMES = ("http://", "https://", "mailto:")


MARKDOWN = MarkdownIt("commonmark", {"html": False}).use(container_plugin, "actions")
# markdown-it quietly leaves javascript:, data: and vbscript: links as plain text; let every
# link through, so the reader can say which link is refused and why (only web and mail links)
MARKDOWN.validateLink = lambda url: True
# an escaped character (\{, &amp; …) stays a text node of its own, so a heading written
# '… \{#x}' ends in text, not in an id the reader would take off (ids.take_attributes)
MARKDOWN.disable("text_join")


MAX_INLINE_DEPTH = 20
"""Emphasis and links inside one another: a plan needs two or three; the syntax tree is built
recursively, so hundreds of '*' would end in a RecursionError."""


def decoded_text_fits(tokens: list, report: Report, first_line: int) -> bool:
    """Check what Markdown makes of the text: a character reference (&#x0C;, &#x202E;) or a
    backslash escape writes a character the file's bytes do not hold, so the refused characters
    (inputs.FORBIDDEN) are looked for again in the decoded text, each at its line. Inline nesting
    is bounded too, before the syntax tree (built recursively) is made of it."""
    found = len(report.problems)
    for token in tokens:
        # only a reference writes a character the file (checked whole before) does not hold: a
        # backslash escapes ASCII punctuation alone; so a token without '&' is not read again
        written = "&" in token.content + token.info or any("&" in str(v) for v in token.attrs.values())
        line = first_line + (token.map[0] if token.map else 0)
        texts: dict[int, list[str]] = {line: [token.info, *map(str, token.attrs.values())]} if written else {}
        depth = 0
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            depth += child.nesting
            if depth > MAX_INLINE_DEPTH:
                report.fail(line, f"emphasis or links are nested more than {MAX_INLINE_DEPTH} deep",
                            "remove the extra '*' or '_' marks (a plan needs two or three levels at most)")
                break
            if written:
                values = map(str, child.attrs.values())
                texts.setdefault(line, []).extend([child.content, child.info, *values])
        if not written:
            continue
        decoded = "".join(x for c in token.children or () if c.type != "code_inline"
                          for x in (c.content, *map(str, c.attrs.values())))
        if not refused_references(token, decoded, report, first_line):
            continue  # each once: by the reference that wrote it
        for at, parts in texts.items():
            check_characters(" ".join(parts).replace("\n", " "), report, at)
    return len(report.problems) == found


REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


def refused_references(token, decoded: str, report: Report, first_line: int) -> bool:
    """Report each numeric character reference in an inline token's text (outside code) that
    writes a refused character, at its line, naming it; True when there is none. Markdown turns
    &#0;, &#x7F; or &#xFFFF; into U+FFFD, so such a reference counts when U+FFFD appears that the
    source did not hold."""
    if token.type != "inline" or "&#" not in token.content:
        return True
    clean = True
    replaced = "\ufffd" in decoded and "\ufffd" not in token.content
    source = token.content
    if any(c.type == "code_inline" for c in token.children or ()):  # a reference in code is code
        source = CODE_SPAN.sub(lambda code: re.sub("[^\n]", " ", code[0]), source)
    for match in REFERENCE.finditer(source):
        point = int(match[1], 16) if match[1] else int(match[2])
        char = chr(point) if 0 < point < 0x110000 else "\x00"
        if not (FORBIDDEN.match(char) and (char in decoded or replaced)):
            continue
        what, hint = offence(char)
        line = first_line + token.map[0] + token.content.count("\n", 0, match.start())
        report.fail(line, f"the character reference '{match[0]}' writes {what}", hint)
        clean = False
    return clean


class BodyReader:
    """Reads the Markdown syntax tree of a plan's body into sections."""

    def __init__(self, report: Report, first_line: int, tables: dict[str, tuple[m.TableColumns, int]],
                 english: bool = False, source: list[str] | None = None):
        self.english = english
        self.report = report
        self.first_line = first_line
        self.source = source or []
        """The body's lines as written, from ``first_line``: where Markdown's tree hides how a
        line was indented."""
        self.tables = tables
        self.used_tables: set[str] = set()

    def indented(self, line: int) -> bool:
        """Whether the body's source line ``line`` starts with a space or a tab."""
        index = line - self.first_line
        text = self.source[index] if 0 <= index < len(self.source) else ""
        return text[:1] in (" ", "\t")

    def line(self, node: SyntaxTreeNode) -> int:
        return self.first_line + (node.map[0] if node.map else 0)

    def loc(self, line: int) -> m.Location:
        return m.Location(self.report.path, line)

    # -- sections

    def sections(self, root: SyntaxTreeNode) -> tuple[m.Section, ...]:
        sections: list[m.Section] = []
        current: tuple[SyntaxTreeNode, list] | None = None
        for node in root.children:
            if node.type == "heading" and node.tag == "h1":
                if current:
                    sections.append(self.section(len(sections) + 1, *current))
                current = (node, [])
            elif current is None:
                if self.block_allowed(node):
                    self.report.fail(self.line(node), "text stands before the first section",
                                     "start each section with a heading line such as '# 壹、計畫依據'")
            else:
                current[1].append(node)
        if current:
            sections.append(self.section(len(sections) + 1, *current))
        elif not self.report.problems:
            self.report.fail(self.first_line, "the plan has no sections",
                             "write each section as a heading line '# 壹、…' followed by its text")
        return tuple(sections)

    def section(self, position: int, heading: SyntaxTreeNode, nodes: list) -> m.Section:
        line = self.line(heading)
        number, title, (explicit, source) = self.heading_parts(heading)
        blocks: list[m.Block] = []
        for node in nodes:
            if node.type == "container_actions":
                if table := self.table(node):
                    blocks.append(table)
            elif node.type == "heading":
                self.report.fail(self.line(node), "a sub-heading stands outside an action table",
                                 "use '#' headings for sections; write a section's sub-items as a list "
                                 "('- 一、…'); '##' headings are only for groups inside '::: actions'")
            elif (block := self.block(node)) is not None:
                blocks.append(block)
        if number and not title and not any(isinstance(b, m.Paragraph | m.ListBlock) for b in blocks):
            self.report.fail(line, f"the point '{number}' has neither a title nor text of its own",
                             f"write its text below the heading '# {number}', or a title after the number")
        return m.Section(explicit or f"s{position}", number, title, tuple(blocks), self.loc(line), source)

    def heading_parts(self, heading: SyntaxTreeNode, group: bool = False
                      ) -> tuple[str | None, tuple[m.Inline, ...], tuple]:
        """(number, title, (explicit id, fingerprint)) of a heading. A ``group``'s heading with
        no title is reported where the group is made (:meth:`TableReader.group`), once."""
        lines, _, _ = self.inline_lines(heading.children[0], self.line(heading))
        explicit = take_attributes(lines, self.line(heading), self.report, self.english)
        number = take_number(lines)
        title = join_lines(lines)
        if not m.plain_text(title).strip():
            if number is None and not group:  # a numbered point (一、) may go without a title
                self.report.fail(self.line(heading), "the heading has no title",
                                 "write its title, e.g. '# 壹、計畫依據', or the number of a point "
                                 "(e.g. '# 一、') with the point's text below it")
            title = ()
        elif wordless(m.plain_text(title)):
            self.report.fail(self.line(heading), f"the heading's title '{m.plain_text(title).strip()}' "
                             "has no words, only punctuation or symbols", "write the title after the number")
        return number, title, explicit

    # -- action tables

    def table(self, node: SyntaxTreeNode) -> m.ActionTable | None:
        line = self.line(node)
        words = node.info.split()
        name = words[1] if len(words) > 1 else ""
        if not name:
            self.report.fail(line, "'::: actions' does not name its table",
                             "write '::: actions NAME' with a NAME declared under 'tables:'")
            return None
        if name not in self.tables:
            near = difflib.get_close_matches(name, list(self.tables), n=1)
            hint = f"did you mean '{near[0]}'?" if near else "declare it under 'tables:' in the metadata"
            self.report.fail(line, f"'::: actions' names the table '{name}', which is not declared", hint)
            return None
        if name in self.used_tables:
            self.report.fail(line, f"the table '{name}' is used twice",
                             "declare a second table with another name")
        self.used_tables.add(name)
        columns = self.tables[name][0]
        return m.ActionTable(name, columns, TableReader(self, name, columns).read(node), self.loc(line))

    # -- blocks

    def block_allowed(self, node: SyntaxTreeNode) -> bool:
        """False (and a problem reported) for Markdown that plans do not use."""
        line = self.line(node)
        if node.type == "code_block":
            self.report.fail(line, "this text is indented by four or more spaces, so Markdown reads it as "
                             "code",
                             "remove the indentation (indent what belongs to a list item by two spaces)")
        elif node.type == "fence":
            self.report.fail(line, "code blocks (```) are not used in plans", "remove the ``` lines")
        elif node.type == "blockquote":
            self.report.fail(line, "quotations ('> ') are not used in plans",
                             "remove the '>'; for an editorial note write 〔編註：…〕")
        elif node.type == "hr":
            self.report.fail(line, "a horizontal rule ('---', '***') is not used in plans",
                             "remove it; sections are separated by their headings")
        elif node.type == "container_actions":
            self.report.fail(line, "an action table cannot stand here",
                             "put '::: actions NAME' on its own line in a section, after the heading '# …', "
                             "not indented and not before the first section")
        elif node.type == "heading":
            self.report.fail(line, "a heading cannot stand here",
                             "'#' starts a section at the start of a line; '##' to '####' are groups "
                             "inside '::: actions'")
        else:
            return True
        return False

    def block(self, node: SyntaxTreeNode) -> m.Block | None:
        if not self.block_allowed(node):
            return None
        return self.finish(self.draft(node))

    def draft(self, node: SyntaxTreeNode) -> Para | Lst | None:
        """A paragraph or list as a mutable draft (so numbers and fields can be cut off)."""
        line = self.line(node)
        if node.type == "paragraph":
            inline = node.children[0]  # its content is the paragraph's source lines, joined
            return Para(*self.inline_lines(inline, line))
        if node.type in ("bullet_list", "ordered_list"):
            ordered = node.type == "ordered_list"
            start = int(node.attrs.get("start", 1)) if ordered else None
            return Lst(ordered, start, [self.item(child) for child in node.children], line)
        self.block_allowed(node)
        return None

    def item(self, node: SyntaxTreeNode) -> Item:
        """A list item. In '- 1. text', Markdown sees a '1.' list inside the bullet: its first
        item is the bullet's own printed number and text, and any further '2.' items that
        Markdown joined to it stay a list of their own."""
        children = list(node.children)
        blocks: list = []
        if children and children[0].type == "ordered_list":
            inner = children.pop(0)
            first, *rest = inner.children
            number = f"{first.info}{first.markup}"
            blocks = [d for c in first.children if (d := self.drafted(c))]
            if blocks and isinstance(blocks[0], Para):
                blocks[0].lines[0].insert(0, m.Text(number + " "))
            else:
                blocks.insert(0, Para([[m.Text(number)]], self.line(inner)))
            if rest:
                start = int(rest[0].info) if rest[0].info.isdigit() else 1
                blocks.append(Lst(True, start, [self.item(c) for c in rest], self.line(rest[0])))
        blocks += [d for c in children if (d := self.drafted(c))]
        return Item(blocks, self.line(node))

    def drafted(self, node: SyntaxTreeNode):
        return self.draft(node) if self.block_allowed(node) else None

    def finish(self, draft) -> m.Block | None:
        """Freeze a draft into model blocks (lists whose items all carry numbers keep them)."""
        if draft is None:
            return None
        if isinstance(draft, Para):
            inlines = join_lines(draft.lines)
            return m.Paragraph(inlines, self.loc(draft.line)) if inlines else None
        numbers = [first_number(item.blocks) for item in draft.items]
        numbered = all(numbers) and not draft.ordered
        items = []
        for item in draft.items:
            if numbered:
                take_number(item.blocks[0].lines)
            blocks = tuple(b for b in (self.finish(d) for d in item.blocks) if b is not None)
            number = numbers[len(items)] if numbered else None
            items.append(m.ListItem(number, blocks, self.loc(item.line)))
        ordered = draft.ordered or numbered
        return m.ListBlock(ordered, draft.start if draft.ordered else None, tuple(items),
                           self.loc(draft.line))

    # -- inline text

    def inline_lines(self, inline: SyntaxTreeNode, line: int) -> tuple[list[list[m.Inline]], int, list[int]]:
        """The paragraph's lines, each a list of inline nodes, its first source line, and the
        source line each of its lines starts on. A line ends at a line end of the source, or
        after a hard break (kept at its end): field lines after a line ending in two spaces
        are lines of their own. Problems within a line are reported at the source line they
        stand on, past any link, emphasis or code span that runs over two source lines."""
        lines: list[list[m.Inline]] = [[]]
        starts, first, raw, self.code_from = [line], line, inline.content, 0
        for child in inline.children:
            if child.type in ("softbreak", "hardbreak"):
                if child.type == "hardbreak":
                    lines[-1].append(m.LineBreak())
                line += 1
                lines.append([])
                starts.append(line)
            else:
                lines[-1] += self.inline(child, line)
                line += self.line_ends(child, raw)
        return lines, first, starts

    def line_ends(self, node: SyntaxTreeNode, raw: str) -> int:
        """How many source line ends ``node`` runs over: its line breaks, those in raw HTML, and
        those a code span turned into spaces, found in the paragraph's ``raw`` text after the
        code spans already found (``self.code_from``)."""
        if node.type in ("softbreak", "hardbreak"):
            return 1
        if node.type == "html_inline":
            return node.content.count("\n")
        if node.type == "code_inline":
            spaced = "".join(r"[ \n]" if char == " " else re.escape(char) for char in node.content)
            markup = re.escape(node.markup)
            found = re.compile(rf"{markup}[ \n]?{spaced}[ \n]?{markup}").search(raw, self.code_from)
            if found is None:
                return 0
            self.code_from = found.end()
            return found.group().count("\n")
        return sum(self.line_ends(child, raw) for child in node.children)

    def inline(self, node: SyntaxTreeNode, line: int) -> list[m.Inline]:
        kind = node.type
        if kind in ("text", "text_special"):
            return list(m.spans(node.content))
        if kind == "softbreak":
            return [m.Text("\n")]  # inside emphasis; join_lines settles it
        if kind == "hardbreak":
            return [m.LineBreak()]
        if kind == "code_inline":
            return [m.Code(node.content)]
        children = [x for c in node.children for x in self.inline(c, line)]
        if kind == "strong":
            return [m.Strong(tuple(merge_text(children)))]
        if kind == "em":
            return [m.Emphasis(tuple(merge_text(children)))]
        if kind == "link":
            href = str(node.attrs.get("href", ""))
            if href.startswith(LINK_SCHEMES):
                return [m.Link(href, tuple(merge_text(children)))]
            text = m.plain_text(tuple(children))
            if text.startswith("^"):  # a footnote's mark, which Markdown read as a link to its note
                self.report.fail(line, f"the footnote '[{text}]' is not supported",
                                 "write the note in the text, e.g. as an editorial note "
                                 + ("〔Editor's note: …〕" if self.english else "〔編註：…〕"))
                return []
            self.report.fail(line, f"the link '{unquote(href)}' is not a web or mail address",
                             "links must start with https://, http:// or mailto:")
            return children
        if kind == "image":
            self.report.fail(line, "images are not supported in plans yet", "describe the image in words")
            return []
        return [m.Text(node.content)]  # anything else stays visible as text
