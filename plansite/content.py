"""Content stage: plan files (YAML front matter + structured Markdown) → the plan model.

Markdown is parsed by markdown-it-py with raw HTML off, and the resulting syntax tree is
read into the frozen model of :mod:`plansite.model`. Every problem is recorded with its line
through the file's :class:`~plansite.errors.Report`, so one build lists all of them.

Run ``python -m plansite.content FILE…`` to check single files and see what was counted.
"""

from __future__ import annotations

import difflib
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.container import container_plugin

from . import model as m
from .dates import DEADLINE_FORMS, parse_deadline
from .errors import ContentError, Problem, Report
from .inputs import (
    FORBIDDEN,
    TooBig,
    Unreadable,
    check_characters,
    check_regular,
    inside,
    offence,
    read_setting,
    read_source,
    shown,
)
from .inputs import decode as decode_text
from .project import FRAMEWORKS_FILE, GLOSSARY_FILE, PLANS_DIR
from .yamlnode import Node, read_yaml

LANGUAGES = {"zh-Hant": "zh-Hant-TW", "en": "en"}
"""File-name language tag → the ``lang`` the file must declare."""

FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)\.(?P<lang>[A-Za-z-]+)\.md$")
ID = re.compile(r"^[a-z][a-z0-9-]*$")
ATTRIBUTES = re.compile(r"\s*\{((?:#[^}\s]*)?(?:\s*src=[^}\s]*)?)\}\s*$")
"""A trailing '{#id}', '{src=fingerprint}' or '{#id src=fingerprint}'."""
FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")
RESERVED_IDS = {"main", "content", "toc", "top", "header", "footer", "search", "plan-meta", "summary", "ps-menu"}
"""Ids the page templates use themselves; an explicit id may not take them."""

RESERVED_ID = re.compile(r"^note-\d+$")
"""The ids of the notes many rows share (note-1 …), said once in the plan's summary."""

RESERVED_TABLES = {"note"}
"""Table names whose derived group ids (NAME-1 …) would be ids of the page itself."""

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
UNIT_SEPARATOR = re.compile(r"\s*[、/／，,;；]\s*")
ENGLISH_UNIT_SEPARATOR = re.compile(r"\s*[;；]\s*")
FIELD_LINE = re.compile(r"^\s*(?P<label>[^：:]{1,40}?)\s*[：:]\s*(?P<value>.*?)\s*$")
LINK_SCHEMES = ("http://", "https://", "mailto:")
MAX_PLAN_BYTES = 2_000_000
"""The largest plan file read (the real plans are 20–60 KB); a bigger one is surely a mistake."""

KEYS = {  # language → (required, optional) metadata keys
    "zh-Hant": (("id", "lang", "title", "agency", "year", "classification"),
                ("issued", "issued_ref", "basis", "tables", "framework")),
    "en": (("id", "lang", "title"), ("basis", "tables")),
}
FROM_CHINESE = {
    key: "remove it: an English file takes the agency, year, dates, classification and framework "
         "from the Chinese file"
    for key in ("agency", "year", "issued", "issued_ref", "classification", "framework")
}
SERVICE_CODES = {"100", "200", "300", "400", "500", "600", "700", "800", "900"} | {
    f"{letter}00" for letter in "ABCDEFGHI"
}

MARKDOWN = MarkdownIt("commonmark", {"html": False}).use(container_plugin, "actions")
# markdown-it quietly leaves javascript:, data: and vbscript: links as plain text; let every
# link through, so the reader can say which link is refused and why (only web and mail links)
MARKDOWN.validateLink = lambda url: True


def load_plans(project: Path, read: Callable = lambda paths, names: map(read_plan_file, paths, names)
               ) -> tuple[m.Plan, ...]:
    """Read every plan under ``content/plans``; raise ContentError listing all problems.
    ``read`` maps :func:`read_plan_file` (or a function like it) over the files and the names
    problems give them: the build passes one that spreads the work over all cores."""
    if (missing := no_plan_folder(project)) is not None:
        raise ContentError([missing])
    problems: list[Problem] = []
    paths: list[Path] = []
    for path in sorted((project / PLANS_DIR).glob("*.md")):
        if (refused := cannot_read(project, path)) is not None:
            problems.append(refused)
        else:
            paths.append(path)
    plans: list[m.Plan] = []
    for plan, found in read(paths, [path.relative_to(project).as_posix() for path in paths]):
        problems += found
        if plan:
            plans.append(plan)
    if problems:
        raise ContentError(problems)
    return tuple(plans)


NO_PLAN_HINT = "put the plans (ID.zh-Hant.md, ID.en.md) in the folder content/plans/ (from git: git restore content)"


def no_plan_folder(project: Path) -> Problem | None:
    """Why there is no folder ``content/plans`` to read plans from (missing, or not a folder).
    A build of no plan would replace the published site with an empty one, so it is refused."""
    folder = project / PLANS_DIR
    if folder.is_dir():
        return None
    what = "does not exist" if not (folder.exists() or folder.is_symlink()) else "is not a folder"
    return Problem(PLANS_DIR.as_posix(), 1, f"{what}, so there is no plan to build (a site of no plan is "
                   "never published)", NO_PLAN_HINT)


def no_plans() -> Problem:
    """The problem of a ``content/plans`` that holds no plan: a site of no plan is never meant."""
    return Problem(PLANS_DIR.as_posix(), 1, "holds no plan (no file ID.zh-Hant.md), so there is nothing to "
                   "build (a site of no plan is never published)", NO_PLAN_HINT)


def linked_from_outside(project: Path, path: Path) -> Problem | None:
    """A plan file that is a link to a file elsewhere (a build must read only content/)."""
    if not path.is_symlink() or inside(project / PLANS_DIR, path):
        return None  # a file that is no link lies where it is found: in content/plans/
    return Problem(path.relative_to(project).as_posix(), 1, "the file is a link to a file outside content/plans/",
                   "copy the plan into content/plans/ instead of linking to it")


def cannot_read(project: Path, path: Path) -> Problem | None:
    """Why a file named like a plan cannot be read as one, told before anything opens it: a link
    out of content/plans/, a named pipe (reading it would wait forever), a folder, a device, a
    dangling link, a file this user may not read; a name no message could show as it is."""
    if path.name != (name := shown(path.name)):
        return Problem(shown(path.relative_to(project).as_posix()), 1,
                       f"the file name '{name}' is not of the form ID.LANG.md", NAME_HINT)
    if (outside := linked_from_outside(project, path)) is not None:
        return outside
    try:
        check_regular(path)
    except Unreadable as error:
        return Problem(path.relative_to(project).as_posix(), 1, f"the file {error.what}", error.hint)
    return None


def read_plan_file(path: Path, shown_as: str) -> tuple[m.Plan | None, list[Problem]]:
    """Read one plan file; returns the plan (None if it has problems) and its problems.
    A file too big to be a plan is refused before it is read."""
    report = Report(shown_as)
    if named(path.name, report):
        try:
            return read_plan_data(read_source(path, MAX_PLAN_BYTES), path.name, shown_as)
        except TooBig as error:
            small_enough(error.size, report)
        except Unreadable as error:
            report.fail(1, f"the file {error.what}", error.hint)
    return None, report.problems


def read_plan_data(data: bytes, file_name: str, shown_as: str) -> tuple[m.Plan | None, list[Problem]]:
    """A plan from the bytes of its file, named ``file_name``: the same result as
    :func:`read_plan_file`, for callers that have read the file already."""
    report = Report(shown_as)
    name = named(file_name, report)
    if not name or not small_enough(len(data), report) or (text := decode(data, report)) is None:
        return None, report.problems
    plan = parse_plan(text, report, file_id=name["id"], file_lang=name["lang"])
    problems = sorted(report.problems, key=lambda p: p.line)
    return (None if problems else plan), problems


NAME_HINT = "name plan files like keelung-tax-2023.zh-Hant.md (id in a-z, 0-9 and -)"


def named(file_name: str, report: Report) -> re.Match | None:
    """The id and language in a plan file's name, or None (reported) for a name not ID.LANG.md."""
    name = FILE_NAME.match(file_name)
    if name and name["lang"] in LANGUAGES:
        return name
    report.fail(1, f"the file name '{shown(file_name)}' is not of the form ID.LANG.md", NAME_HINT)
    return None


def small_enough(size: int, report: Report) -> bool:
    if size <= MAX_PLAN_BYTES:
        return True
    report.fail(1, f"the file is {size / 1_000_000:.1f} MB; a plan file may be at most "
                   f"{MAX_PLAN_BYTES // 1_000_000} MB", "check it is the right file, or split the plan")
    return False


def decode(data: bytes, report: Report) -> str | None:
    """UTF-8 text with a leading BOM dropped and line endings made '\\n' (a lone CR too)."""
    return decode_text(data, report, nul_hint="remove it; plan files are plain text")


# ---------------------------------------------------------------- front matter


@dataclass
class Metadata:
    """The front matter, checked, before the body is read."""

    id: str = ""
    lang: str = ""
    title: str = ""
    agency: m.Agency = field(default_factory=lambda: m.Agency("", ""))
    year: int = 0
    issued: date | None = None
    issued_ref: str | None = None
    basis: tuple[m.Basis, ...] = ()
    classification: m.Classification = field(default_factory=lambda: m.Classification("", None, None))
    tables: dict[str, tuple[m.TableColumns, int]] = field(default_factory=dict)
    """Declared tables: name → (columns, line of the declaration)."""
    framework: m.Mapping | None = None


def split_front_matter(text: str, report: Report) -> tuple[str, int, str, int] | None:
    """(yaml, its first line, body, its first line), or None if the front matter is missing."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        report.fail(
            1,
            "the plan has no front matter",
            "start the file with a line '---', the metadata (id, title, …), and another '---'; "
            "see docs/format.md",
        )
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    report.fail(1, "the front matter is not closed", "add a line '---' after the metadata")
    return None


def read_metadata(root: Node, path: str, file_id: str, file_lang: str) -> Metadata:
    meta = Metadata()
    required, optional = KEYS[file_lang]
    keys = root.keys(required, optional, misplaced=FROM_CHINESE if file_lang == "en" else None)
    if keys is None:
        return meta
    if "id" in keys and (value := keys["id"].text()) is not None:
        if not ID.match(value):
            keys["id"].fail(f"the id '{value}' is not a valid id",
                            "use lower-case ASCII letters, digits and '-', starting with a letter")
        elif value != file_id:
            keys["id"].fail(f"the id '{value}' does not match the file name '{Path(path).name}'",
                            f"rename the file to {value}.{file_lang}.md or set 'id: {file_id}'")
        meta.id = value
    if "lang" in keys and (value := keys["lang"].text()) is not None:
        expected = LANGUAGES[file_lang]
        if value != expected:
            keys["lang"].fail(f"'lang' is '{value}' but the file name says {file_lang}",
                              f"write 'lang: {expected}'")
        meta.lang = value
    if "title" in keys:
        meta.title = keys["title"].text() or ""
        if meta.title.strip() and wordless(meta.title):
            keys["title"].fail(f"'title' '{meta.title.strip()}' has no words, only punctuation or symbols",
                               "write the plan's title")
    if "agency" in keys and (agency := keys["agency"].keys(("zh", "en"))) is not None:
        meta.agency = m.Agency(*(agency[k].text() or "" if k in agency else "" for k in ("zh", "en")))
    if "year" in keys and (year := keys["year"].integer()) is not None:
        if not 1 <= year <= 999:
            keys["year"].fail(f"'year' {year} is not an ROC year", "write the 民國 year, e.g. 112 for 2023")
        meta.year = year
    if "issued" in keys:
        meta.issued = keys["issued"].day()
    if "issued_ref" in keys:
        meta.issued_ref = keys["issued_ref"].text()
    if "basis" in keys:
        meta.basis = tuple(read_basis(item, path, file_lang) for item in keys["basis"].items())
    if "classification" in keys:
        meta.classification = read_classification(keys["classification"])
    if "tables" in keys:
        meta.tables = read_tables(keys["tables"])
    if "framework" in keys:
        meta.framework = read_mapping(keys["framework"], path)
    return meta


def read_mapping(node: Node, path: str) -> m.Mapping:
    """``framework:`` — which measure each action group counts for (checked against the
    plan's groups and content/frameworks.yml by :func:`check_mappings`)."""
    keys = node.keys(("id",), ("groups", "unmapped", "note")) or {}
    groups, unmapped = ((tuple((group, value.text() or "", value.line) for group, value in keys[name].pairs())
                         if name in keys else ()) for name in ("groups", "unmapped"))
    note = keys["note"].text() if "note" in keys else None
    if not groups and note is None and keys:
        node.fail("'framework' maps no group and gives no note",
                  "map groups under 'groups:' (group id: measure id), or say why not under 'note:'")
    return m.Mapping(keys["id"].text() or "" if "id" in keys else "", groups, unmapped, note,
                     m.Location(path, node.line))


def read_basis(node: Node, path: str, file_lang: str) -> m.Basis:
    keys = node.keys(("authority", "title"), ("date", "ref") if file_lang == "zh-Hant" else ()) or {}
    return m.Basis(
        authority=keys["authority"].text() or "" if "authority" in keys else "",
        title=keys["title"].text() or "" if "title" in keys else "",
        date=keys["date"].day() if "date" in keys else None,
        ref=keys["ref"].text() if "ref" in keys else None,
        loc=m.Location(path, node.line),
    )


def read_classification(node: Node) -> m.Classification:
    keys = node.keys(("service",), ("theme", "cake")) or {}
    service = keys["service"].text() if "service" in keys else None
    if service is not None and service not in SERVICE_CODES:
        keys["service"].fail(f"'{service}' is not a 服務分類 code",
                             f"use one of {', '.join(sorted(SERVICE_CODES))} (I00 is 公共資訊)")
    codes = {}
    for key in ("theme", "cake"):
        if key in keys and (code := keys[key].text()) is not None:
            if not re.fullmatch(r"[0-9A-Z]{3}", code):
                keys[key].fail(f"'classification.{key}' must be a 3-character code, not '{code}'",
                               'write it in quotes, e.g. "340"')
            codes[key] = code
    return m.Classification(service or "", codes.get("theme"), codes.get("cake"))


def read_tables(node: Node) -> dict[str, tuple[m.TableColumns, int]]:
    tables: dict[str, tuple[m.TableColumns, int]] = {}
    if not isinstance(node.node, yaml.MappingNode):
        node.fail("'tables' must list the tables by name", "write 'tables:' and below it '  main:' …")
        return tables
    for name, table in node.pairs():  # a list or mapping as a key is reported there
        if not ID.match(name):
            table.fail(f"the table name '{name}' is not valid",
                       "use lower-case ASCII letters, digits and '-', e.g. main")
        elif name in RESERVED_TABLES:
            table.fail(f"the table name '{name}' is used by the page itself (its groups would be "
                       f"{name}-1, {name}-2 …)", "choose another name, e.g. main")
        keys = table.keys(("groups", "action"), ("deadline", "units", "fields"))
        if keys is None:
            continue
        groups = tuple(keys["groups"].text_list()) if "groups" in keys else ()
        if len(groups) > 3:
            keys["groups"].fail("an action table has at most 3 group levels",
                                "merge levels, or write the deepest level into the actions")
        columns = m.TableColumns(
            groups=groups,
            action=keys["action"].text() or "" if "action" in keys else "",
            deadline=keys["deadline"].text() if "deadline" in keys else None,
            units=keys["units"].text() if "units" in keys else None,
            fields=tuple(keys["fields"].text_list()) if "fields" in keys else (),
        )
        labels = [c for c in (columns.action, columns.deadline, columns.units, *columns.fields) if c]
        if len(set(labels)) != len(labels):
            table.fail("two columns of the table have the same label",
                       "give the action, deadline, units and fields columns different labels")
        tables[name] = (columns, table.line)
    return tables


# ---------------------------------------------------------------- the body


@dataclass
class Para:
    """A paragraph while it is being read: lines of inline nodes (fields are cut from the end)."""

    lines: list[list[m.Inline]]
    line: int


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


def parse_plan(text: str, report: Report, file_id: str, file_lang: str) -> m.Plan | None:
    """Parse a whole plan file. Problems go to ``report``; the plan is None if unreadable."""
    if not check_characters(text, report):  # before any message could quote such a character
        return None
    parts = split_front_matter(text, report)
    if parts is None:
        return None
    yaml_text, yaml_line, body, body_line = parts
    root = read_yaml(yaml_text, report, yaml_line)
    if root is None:
        return None
    meta = read_metadata(root, report.path, file_id, file_lang)
    reader = BodyReader(report, body_line, meta.tables, english=file_lang == "en")
    tokens = MARKDOWN.parse(body)
    if not decoded_text_fits(tokens, report, body_line):
        return None
    sections = reader.sections(SyntaxTreeNode(tokens))
    for name, (_, line) in meta.tables.items():
        if name not in reader.used_tables:
            report.fail(line, f"the table '{name}' is declared but not used",
                        f"place it in a section with '::: actions {name}' … ':::', or remove it")
    check_unique_ids(sections, report)
    return m.Plan(
        id=meta.id, lang=meta.lang, title=meta.title, agency=meta.agency, year=meta.year,
        issued=meta.issued, issued_ref=meta.issued_ref, basis=meta.basis,
        classification=meta.classification, sections=sections,
        loc=m.Location(report.path, 1), framework=meta.framework,
    )


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
        line = first_line + (token.map[0] if token.map else 0)
        texts: dict[int, list[str]] = {line: [token.info, *map(str, token.attrs.values())]}
        depth = 0
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            depth += child.nesting
            if depth > MAX_INLINE_DEPTH:
                report.fail(line, f"emphasis or links are nested more than {MAX_INLINE_DEPTH} deep",
                            "remove the extra '*' or '_' marks (a plan needs two or three levels at most)")
                break
            texts.setdefault(line, []).extend([child.content, child.info, *map(str, child.attrs.values())])
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
                 english: bool = False):
        self.english = english
        self.report = report
        self.first_line = first_line
        self.tables = tables
        self.used_tables: set[str] = set()

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
        return m.Section(explicit or f"s{position}", number, title, tuple(blocks), self.loc(line), source)

    def heading_parts(self, heading: SyntaxTreeNode) -> tuple[str | None, tuple[m.Inline, ...], tuple]:
        """(number, title, (explicit id, fingerprint)) of a heading."""
        lines = self.inline_lines(heading.children[0], self.line(heading))
        explicit = self.take_attributes(lines, self.line(heading))
        number = take_number(lines)
        title = join_lines(lines)
        if not m.plain_text(title).strip():
            self.report.fail(self.line(heading), "the heading has no title", "write the title after the number")
        elif wordless(m.plain_text(title)):
            self.report.fail(self.line(heading), f"the heading's title '{m.plain_text(title).strip()}' has no "
                             "words, only punctuation or symbols", "write the title after the number")
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
            self.report.fail(line, f"the table '{name}' is used twice", "declare a second table with another name")
        self.used_tables.add(name)
        columns = self.tables[name][0]
        return m.ActionTable(name, columns, TableReader(self, name, columns).read(node), self.loc(line))

    # -- blocks

    def block_allowed(self, node: SyntaxTreeNode) -> bool:
        """False (and a problem reported) for Markdown that plans do not use."""
        line = self.line(node)
        if node.type == "code_block":
            self.report.fail(line, "this text is indented by four or more spaces, so Markdown reads it as code",
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
            return Para(self.inline_lines(node.children[0], line), line)
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
        return m.ListBlock(ordered, draft.start if draft.ordered else None, tuple(items), self.loc(draft.line))

    # -- inline text

    def inline_lines(self, inline: SyntaxTreeNode, line: int) -> list[list[m.Inline]]:
        """The paragraph's source lines, each as a list of inline nodes."""
        lines: list[list[m.Inline]] = [[]]
        for child in inline.children:
            if child.type == "softbreak":
                lines.append([])
                line += 1
            else:
                lines[-1] += self.inline(child, line)
        return lines

    def inline(self, node: SyntaxTreeNode, line: int) -> list[m.Inline]:
        kind = node.type
        if kind == "text":
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
            self.report.fail(line, f"the link '{href}' is not a web or mail address",
                             "links must start with https://, http:// or mailto:")
            return children
        if kind == "image":
            self.report.fail(line, "images are not supported in plans yet", "describe the image in words")
            return []
        return [m.Text(node.content)]  # anything else stays visible as text

    def take_attributes(self, lines: list[list[m.Inline]], line: int) -> tuple[str | None, str | None]:
        """Cut a trailing '{#id src=fingerprint}' from the first line: (id, fingerprint)."""
        first = lines[0]
        if not first or not isinstance(first[-1], m.Text):
            return None, None
        match = ATTRIBUTES.search(first[-1].text)
        if not match or not match[1].strip():
            return None, None
        first[-1] = m.Text(first[-1].text[: match.start()])
        value = source = None
        for word in match[1].split():
            if word.startswith("#"):
                value = word[1:]
                if not ID.match(value):
                    self.report.fail(line, f"'{{#{value}}}' is not a valid id",
                                     "use lower-case ASCII letters, digits and '-', starting with a letter")
                elif value in RESERVED_IDS or RESERVED_ID.match(value):
                    self.report.fail(line, f"the id '{value}' is used by the page itself", "choose another id")
            else:
                source = word.removeprefix("src=")
                if not self.english:
                    self.report.fail(line, "'src=' belongs in English files only", "remove it")
                elif not FINGERPRINT.match(source):
                    self.report.fail(line, f"'src={source}' is not a fingerprint written by plansite",
                                     "run 'python build.py reviewed PLAN ID' to write it")
        return value, source


class TableReader:
    """Reads the inside of '::: actions NAME': group headings, descriptions and actions."""

    def __init__(self, body: BodyReader, name: str, columns: m.TableColumns):
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
                group = GroupDraft(explicit, level, self.columns.groups[level - 1], number, title, line, source)
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
            explicit, source = self.body.take_attributes(item.blocks[0].lines, line)
            number = take_number(item.blocks[0].lines)
        fields = self.take_fields(item)
        body = tuple(b for b in (self.body.finish(d) for d in item.blocks) if b)
        if not body:
            self.report.fail(line, "the action has no text",
                             f"write the {self.columns.action} after '- ', then its fields")
        elif isinstance(body[0], m.Paragraph) and wordless(text := m.plain_text(body[0].inlines)):
            self.report.fail(line, f"the action's text '{text.strip()}' has no words, only punctuation or symbols",
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
                                 "one)", "remove the line, or write only an editorial note 〔Editor's note: …〕")
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
        return m.Action(explicit or derived, number, body, deadline, units, extra, self.body.loc(line), source)

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


# ---------------------------------------------------------------- helpers


def wordless(text: str) -> bool:
    """True when ``text`` has no letter and no digit: a title of only punctuation or symbols
    ("……", "——") names nothing, in the contents, the search results or a screen reader."""
    return not any(unicodedata.category(c)[0] in "LN" for c in text)


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


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def join_lines(lines: list[list[m.Inline]]) -> tuple[m.Inline, ...]:
    """One inline sequence from source lines: no space where a line break meets Chinese text."""
    out: list[m.Inline] = []
    for line in lines:
        if not line:
            continue
        if out:
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
    return [m.Text(n.text.replace("\n", "")) if isinstance(n, m.Text) else n for n in out if n != m.Text("")]


def strip_ends(nodes: list[m.Inline]) -> list[m.Inline]:
    if nodes and isinstance(nodes[0], m.Text):
        nodes[0] = m.Text(nodes[0].text.lstrip())
    if nodes and isinstance(nodes[-1], m.Text):
        nodes[-1] = m.Text(nodes[-1].text.rstrip())
    return [n for n in nodes if n != m.Text("")]


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


def summary(plan: m.Plan) -> str:
    """What was read, in counts: the numbers the tests pin per plan."""
    groups = list(plan.groups())
    levels = [sum(1 for g in groups if g.level == level) for level in (1, 2, 3)]
    actions = list(plan.actions())
    return (f"{plan.loc.path}: {len(plan.sections)} sections, {len(groups)} groups "
            f"(by level: {levels[0]}, {levels[1]}, {levels[2]}), {len(actions)} actions")


def main(argv: list[str]) -> int:
    """Check plan files one by one: print problems, or what each file holds. An English file is
    also checked against its Chinese original and the glossary (warnings do not fail)."""
    from .translation import check_english  # the next stage; imported here to keep stages apart

    status = 0
    for name in argv:
        plan, problems = read_plan_file(Path(name), name)
        if plan and plan.lang == "en":
            problems += check_english(Path(name), plan)
        for problem in problems:
            print(problem)
        if plan and not any(not p.warning for p in problems):
            print(summary(plan))
        status = status or (1 if any(not p.warning for p in problems) else 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ---------------------------------------------------------------- glossary and history


def load_glossary(project: Path) -> tuple[m.Term, ...]:
    """Read ``content/glossary.yml``; raise ContentError listing its problems."""
    report = Report(GLOSSARY_FILE.as_posix())
    text = read_setting(project, GLOSSARY_FILE.as_posix(), report)
    if text is None and not report.problems:
        return ()
    root = read_yaml(text, report) if text is not None else None
    terms: list[m.Term] = []
    seen: dict[str, int] = {}
    for entry in root.items() if root else []:
        keys = entry.keys(("zh", "en"), ("note",))
        if keys is None or len(keys) < 2:
            continue
        zh_node = keys["zh"]
        zh = tuple(zh_node.text_list()) if isinstance(zh_node.node, yaml.SequenceNode) else (zh_node.text(),)
        if not zh:
            zh_node.fail(f"'{zh_node.name}' names no term", "write the Chinese term, or a list of its forms "
                         "in brackets, e.g. [國家發展委員會, 國發會]")
        for variant in zh:
            if variant in seen:
                zh_node.fail(f"'{variant}' is in the glossary twice (first at line {seen[variant]})",
                             "keep one entry")
            seen.setdefault(variant or "", zh_node.line)
        terms.append(m.Term(tuple(v for v in zh if v), keys["en"].text() or "",
                            keys["note"].text() if "note" in keys else None,
                            m.Location(report.path, entry.line)))
    if report.problems:
        raise ContentError(report.problems)
    return tuple(terms)


def load_frameworks(project: Path) -> tuple[m.Framework, ...]:
    """Read ``content/frameworks.yml``; raise ContentError listing its problems."""
    report = Report(FRAMEWORKS_FILE.as_posix())
    text = read_setting(project, FRAMEWORKS_FILE.as_posix(), report)
    if text is None and not report.problems:
        return ()
    root = read_yaml(text, report) if text is not None else None
    frameworks: list[m.Framework] = []
    for entry in root.items() if root else []:
        keys = entry.keys(("id", "name", "source", "measures"))
        if keys is None or len(keys) < 4:
            continue
        name, source = (keys[k].keys(("zh", "en")) or {} for k in ("name", "source"))
        measures = []
        for item in keys["measures"].items():
            fields = item.keys(("id", "zh", "en")) or {}
            if len(fields) == 3:
                measures.append(m.Measure(*(fields[k].text() or "" for k in ("id", "zh", "en"))))
        ids = [measure.id for measure in measures]
        if len(set(ids)) != len(ids):
            keys["measures"].fail("two measures have the same id", "give every measure its own id")
        frameworks.append(m.Framework(
            keys["id"].text() or "", *(d[k].text() or "" if k in d else "" for d in (name, source) for k in ("zh", "en")),
            tuple(measures), m.Location(report.path, entry.line)))
    ids = [f.id for f in frameworks]
    if len(set(ids)) != len(ids):
        report.fail(1, "two frameworks have the same id", "give every framework its own id")
    if report.problems:
        raise ContentError(report.problems)
    return tuple(frameworks)


def check_mappings(plans: tuple[m.Plan, ...], frameworks: tuple[m.Framework, ...]) -> list[Problem]:
    """Every plan's ``framework:`` names a known framework, its groups and its measures, and
    counts each action exactly once (mapped, or in a group said to be unmapped)."""
    known = {f.id: f for f in frameworks}
    problems = []
    for plan in plans:
        mapping = plan.framework
        if mapping is None:
            continue
        where = mapping.loc

        def fail(message: str, hint: str, where=where) -> None:
            problems.append(Problem(where.path, where.line, message, hint))

        framework = known.get(mapping.framework)
        if framework is None:
            fail(f"there is no framework '{mapping.framework}'",
                 f"use one of {', '.join(known) or '(none)'} from {FRAMEWORKS_FILE.as_posix()}")
            continue
        groups = {g.id for g in plan.groups()}
        measures = {measure.id for measure in framework.measures}
        for group, measure, line in mapping.groups:
            if group not in groups:
                fail(f"the plan has no group '{group}'", "use a group id from the plan's page (e.g. main-2)",
                     replace(where, line=line))
            if measure not in measures:
                fail(f"'{framework.id}' has no measure '{measure}'", f"use one of {', '.join(sorted(measures))}",
                     replace(where, line=line))
        for group, _, line in mapping.unmapped:
            if group not in groups:
                fail(f"the plan has no group '{group}'", "use a group id from the plan's page (e.g. main-2)",
                     replace(where, line=line))
        counted = {g for g, _, _ in mapping.groups} | {g for g, _, _ in mapping.unmapped}
        if not mapping.groups:
            continue
        for ancestors, action in plan.actions():
            hits = [g.id for g in ancestors if g.id in counted]
            if len(hits) != 1:
                fail(f"action {action.id} ({action.loc.path}:{action.loc.line}) is "
                     + ("in no mapped group" if not hits else f"in two mapped groups ({', '.join(hits)})"),
                     "map or list under 'unmapped:' exactly one group that holds it")
                break
    return problems
