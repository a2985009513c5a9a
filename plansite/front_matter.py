"""A plan's front matter: the YAML between the '---' lines, checked into :class:`Metadata`
before the body is read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from . import model as m
from . import site_paths
from .classification import read_classification
from .dates import PERIOD_FORMS, parse_period
from .errors import Report
from .frameworks import read_mapping
from .ids import ID, RESERVED_TABLES
from .site_paths import EN, ZH
from .text import wordless
from .yamlnode import Node

LANGUAGES = {lang.tag: lang.code for lang in site_paths.LANGUAGES}
"""File-name language tag → the ``lang`` the file must declare."""


KEYS = {  # language's tag → (required, optional) metadata keys
    ZH.tag: (("id", "lang", "title", "agency", "year", "classification"),
             ("issued", "issued_ref", "amended", "period", "basis", "tables", "framework", "attachments")),
    EN.tag: (("id", "lang", "title"), ("basis", "tables", "attachments")),
}
FROM_CHINESE = {
    key: "remove it: an English file takes the agency, year, dates, classification and framework "
         "from the Chinese file"
    for key in ("agency", "year", "issued", "issued_ref", "amended", "period", "classification", "framework")
}
BASIS_FROM_CHINESE = {
    key: "remove it: an English file takes each basis's date and 字號 from the Chinese file "
         "(English pages show the 字號 as issued, marked as Chinese)"
    for key in ("date", "ref")
}
STANDING = "standing"
"""The value of ``year`` for a standing document (a regulation), which has no plan year."""


@dataclass
class Metadata:
    """The front matter, checked, before the body is read."""

    id: str = ""
    lang: str = ""
    title: str = ""
    agency: m.Agency = field(default_factory=lambda: m.Agency("", ""))
    year: int | None = 0
    issued: date | None = None
    issued_ref: str | None = None
    amended: tuple[date, ...] = ()
    period: m.Period | None = None
    basis: tuple[m.Basis, ...] = ()
    classification: m.Classification = field(default_factory=lambda: m.Classification("", None, None))
    tables: dict[str, tuple[m.TableColumns, int]] = field(default_factory=dict)
    """Declared tables: name → (columns, line of the declaration)."""
    framework: m.Mapping | None = None
    attachments: tuple[m.Attachment, ...] = ()


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
    keys = root.keys(required, optional, misplaced=FROM_CHINESE if file_lang == EN.tag else None)
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
        meta.agency = m.Agency(*(agency[k].text() or "" if k in agency else "" for k in ("zh", "en")),
                               (agency["en"] if "en" in agency else keys["agency"]).line)
    if "year" in keys:
        meta.year = read_year(keys["year"])
    if "issued" in keys:
        meta.issued = keys["issued"].day()
    if "issued_ref" in keys:
        meta.issued_ref = keys["issued_ref"].text()
    if "amended" in keys:
        meta.amended = read_amended(keys["amended"], meta.issued)
    if "period" in keys:
        meta.period = read_period(keys["period"])
    if "basis" in keys:
        meta.basis = tuple(read_basis(item, path, file_lang) for item in keys["basis"].items())
    if "classification" in keys:
        meta.classification = read_classification(keys["classification"])
    if "tables" in keys:
        meta.tables = read_tables(keys["tables"])
    if "framework" in keys:
        meta.framework = read_mapping(keys["framework"], path)
    if "attachments" in keys:
        entries = keys["attachments"].items()
        meta.attachments = tuple(read_attachment(item, path, file_lang) for item in entries)
    return meta


def read_year(node: Node) -> int | None:
    """The ROC year, or None for a standing document (``year: standing``)."""
    raw = node.text()
    if raw is None:
        return 0
    if raw == STANDING:
        return None
    if not raw.isascii() or not raw.isdigit():
        node.fail(f"'year' must be a whole number, not '{raw}'",
                  f"write digits only, e.g. 112; or 'year: {STANDING}' for a regulation, which has no "
                  "plan year")
        return 0
    year = node.integer()
    if year is not None and not 1 <= year <= 999:
        node.fail(f"'year' {year} is not an ROC year", "write the 民國 year, e.g. 112 for 2023")
    return year or 0


def read_amended(node: Node, issued: date | None) -> tuple[date, ...]:
    """修正日期: one date, or a list of them, oldest first and none before the plan was issued."""
    nodes = node.items() if isinstance(node.node, yaml.SequenceNode) else [node]
    if not nodes:
        node.fail("'amended' is an empty list", "write the date of each amendment, or remove 'amended'")
    days: list[date] = []
    for item in nodes:
        day = item.day()
        if day is None:
            continue
        if days and day <= days[-1]:
            item.fail(f"'amended' lists {item.text()} after a later or equal date",
                      "list the amendments oldest first, each once")
        elif issued and day < issued:
            item.fail(f"the amendment {item.text()} is dated before the plan was issued",
                      "check the date, or the date in 'issued'")
        days.append(day)
    return tuple(days)


def read_period(node: Node) -> m.Period | None:
    """執行期程: from one date (or month) to another."""
    raw = node.text()
    if raw is None:
        return None
    period = parse_period(raw)
    if period is None:
        node.fail(f"'period' is not a period from one date to a later one: '{raw}'",
                  f"write it as {PERIOD_FORMS}")
        return None
    return m.Period(*period)


ATTACHMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9]+")
"""An attachment's file name: ASCII, no folder, so it is its own address in the site and can
never name a file outside the plan's folder."""


def read_attachment(node: Node, path: str, file_lang: str) -> m.Attachment:
    """One entry of ``attachments``: a file in content/plans/ID/ or a section of the plan (the
    Chinese file); the English file translates the entries in order and may give its own file."""
    optional = ("file", "section", "alt") if file_lang == ZH.tag else ("file", "alt")
    keys = node.keys(("title",), optional, misplaced={
        "section": "remove it: the English entry translates the Chinese entry in the same place"}
        if file_lang == EN.tag else None) or {}
    title = keys["title"].text() or "" if "title" in keys else ""
    file = keys["file"].text() if "file" in keys else None
    section = keys["section"].text() if "section" in keys else None
    if file is not None and not ATTACHMENT_NAME.fullmatch(file):
        keys["file"].fail(f"the attachment's file name '{file}' is not a plain ASCII file name",
                          f"put the file in content/plans/{Path(path).name.split('.')[0]}/ and name it "
                          "with ASCII letters, digits, '-' and '_' and its suffix, e.g. 'file: "
                          "application-form.pdf' (no folder, '..' or '/'); readers see the title")
        file = None
    if file_lang == ZH.tag and "file" in keys and "section" in keys:
        node.fail("the attachment gives both 'file' and 'section'",
                  "give 'file' for a file in the plan's folder, or 'section' for a section of the plan")
    elif file_lang == ZH.tag and "file" not in keys and "section" not in keys and "title" in keys:
        node.fail("the attachment gives neither 'file' nor 'section'",
                  "add 'file: NAME.pdf' (a file in the plan's folder) or 'section: ID' (a section "
                  "of the plan written as a table, with '{#ID}' on its heading)")
    alt = keys["alt"].text() if "alt" in keys else None
    return m.Attachment(title=title, file=file, section=section, alt=alt, loc=m.Location(path, node.line))


def read_basis(node: Node, path: str, file_lang: str) -> m.Basis:
    keys = node.keys(("authority", "title"), ("date", "ref") if file_lang == ZH.tag else (),
                     misplaced=BASIS_FROM_CHINESE if file_lang == EN.tag else None) or {}
    return m.Basis(
        authority=keys["authority"].text() or "" if "authority" in keys else "",
        title=keys["title"].text() or "" if "title" in keys else "",
        date=keys["date"].day() if "date" in keys else None,
        ref=keys["ref"].text() if "ref" in keys else None,
        loc=m.Location(path, node.line),
    )


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
