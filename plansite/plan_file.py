"""One plan file → one plan: its name, size and encoding checked, then its front matter and
body read. Every problem is recorded with its line through the file's
:class:`~plansite.errors.Report`, so one build lists all of them."""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it.tree import SyntaxTreeNode

from . import model as m
from .errors import Problem, Report
from .front_matter import LANGUAGES, read_metadata, split_front_matter
from .ids import check_unique_ids
from .inputs import TooBig, Unreadable, check_characters, read_source, shown
from .inputs import decode as decode_text
from .sections import MARKDOWN, BodyReader, decoded_text_fits
from .site_paths import EN
from .yamlnode import read_yaml

FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9-]*)\.(?P<lang>[A-Za-z-]+)\.md$")


MAX_PLAN_BYTES = 2_000_000
"""The largest plan file read (the real plans are 20–60 KB); a bigger one is surely a mistake."""


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
    reader = BodyReader(report, body_line, meta.tables, english=file_lang == EN.tag, source=body.split("\n"))
    tokens = MARKDOWN.parse(body)
    if not decoded_text_fits(tokens, report, body_line):
        return None
    sections = reader.sections(SyntaxTreeNode(tokens))
    for name, (_, line) in meta.tables.items():
        if name not in reader.used_tables:
            report.fail(line, f"the table '{name}' is declared but not used",
                        f"place it in a section with '::: actions {name}' … ':::', or remove it")
    check_unique_ids(sections, report)
    ids = {section.id for section in sections}
    for attachment in meta.attachments:
        if attachment.section is not None and attachment.section not in ids:
            report.fail(attachment.loc.line, f"the attachment names the section '{attachment.section}', "
                        "which the plan does not have",
                        "give the section's heading that id, e.g. '# 附表一 … {#" + attachment.section + "}'")
    return m.Plan(
        id=meta.id, lang=meta.lang, title=meta.title, agency=meta.agency, year=meta.year,
        issued=meta.issued, issued_ref=meta.issued_ref, basis=meta.basis,
        classification=meta.classification, sections=sections,
        loc=m.Location(report.path, 1), framework=meta.framework, amended=meta.amended,
        period=meta.period, attachments=meta.attachments,
    )
