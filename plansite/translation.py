"""Translation stage: pair each Chinese plan with its English edition, and keep it honest.

The English file must have the Chinese plan's structure (same section, group and action ids).
Each English item records the fingerprint of the Chinese text it translates ({src=…}); when
the Chinese text changes, the fingerprint no longer matches and the item is *stale*. This
stage also checks the glossary, and completes the English plan with what only the Chinese
file holds (agency, year, dates) and with deadlines worded in English.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_interval

from . import formats
from . import model as m
from .errors import ContentError, Problem, Report
from .glossary import load_glossary
from .i18n import catalog
from .ids import ATTRIBUTES
from .plan_file import read_plan_file
from .project import FRAMEWORKS_FILE, GLOSSARY_FILE, PLANS_DIR, last_changed
from .publish import write_atomically
from .site_paths import EN, ZH


def fingerprint(item: m.Section | m.Group | m.Action) -> str:
    """A short hash of the Chinese text a translator translates for this item."""
    return hashlib.sha256(m.own_text(item).encode("utf-8")).hexdigest()[:8]


PairCheck = tuple[list[Problem], list[Problem], dict[str, m.ItemStatus]]
"""What checking a translation against its original finds: errors, warnings, and each item's status."""


def editions(project: Path, plans: tuple[m.Plan, ...], glossary: tuple[m.Term, ...],
             check: Callable[[m.Plan, m.Plan, tuple[m.Term, ...]], PairCheck] | None = None
             ) -> tuple[tuple[m.Edition, ...], list[Problem]]:
    """Every Chinese plan with its English edition, and the warnings about translations.
    Raises ContentError when an English file does not line up with its Chinese original.
    ``check`` is :func:`check_pair`, or a function that answers the same (the build's cache)."""
    check = check or check_pair
    chinese = {p.id: p for p in plans if p.lang != EN.code}
    english = {p.id: p for p in plans if p.lang == EN.code}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for plan_id, plan in english.items():
        if plan_id not in chinese:
            Report(plan.loc.path, errors).fail(
                1, f"there is no Chinese plan '{plan_id}' for this translation",
                f"add content/plans/{plan_id}.{ZH.tag}.md, or rename this file")
    out: list[m.Edition] = []
    for plan_id, zh in sorted(chinese.items()):
        updated = last_changed(project, Path(zh.loc.path))
        en = english.get(plan_id)
        if en is None:
            Report(zh.loc.path, warnings).warn(
                1, f"the plan '{plan_id}' has no English translation",
                f"add {PLANS_DIR.as_posix()}/{plan_id}.en.md (docs/format.md, 'English translations')")
            out.append(m.Edition(zh, None, {}, updated))
            continue
        found, warned, status = check(zh, en, glossary)
        errors += found
        if not found:
            warnings += warned
            out.append(m.Edition(zh, complete(zh, en, project), status, updated))
    if errors:
        raise ContentError(errors)
    return tuple(out), warnings


def check_pair(zh: m.Plan, en: m.Plan, glossary: tuple[m.Term, ...]) -> PairCheck:
    """Check an English plan against its Chinese original: its structure (errors), and how
    current each item is and whether it uses the glossary's terms (warnings)."""
    errors = Report(en.loc.path)
    if not align(zh, en, errors):
        return errors.problems, [], {}
    warnings = Report(en.loc.path)
    status = statuses(zh, en, warnings)
    check_glossary(zh, en, glossary, warnings)
    return [], warnings.problems, status


def align(zh: m.Plan, en: m.Plan, report: Report) -> bool:
    """Check the English plan has the Chinese structure; report each difference at its line."""
    before = len(report.problems)
    zh_tables, en_tables = list(zh.tables()), list(en.tables())
    for zh_table, en_table in zip(zh_tables, en_tables, strict=False):
        if zh_table.name != en_table.name:
            report.fail(en_table.loc.line, f"this is table '{en_table.name}', but the Chinese plan has "
                        f"'{zh_table.name}' here", "use the same tables in the same order")
        elif shape(zh_table.columns) != shape(en_table.columns):
            report.fail(en_table.loc.line, f"the table '{en_table.name}' is declared with other columns than "
                        "in the Chinese plan", "declare the same number of group levels, and deadline, units "
                        "and fields exactly where the Chinese declares them")
    if len(zh_tables) != len(en_tables):
        report.fail(1, f"the English plan has {len(en_tables)} action table(s), the Chinese {len(zh_tables)}",
                    "translate every table of the Chinese plan")
    zh_items = {item.id: item for item in m.items(zh)}
    en_items = {item.id: item for item in m.items(en)}
    for item in m.items(en):
        original = zh_items.get(item.id)
        if original is None:
            report.fail(item.loc.line, f"the {kind(item)} '{item.id}' is not in the Chinese plan",
                        f"the English must have the Chinese structure; compare with {zh.loc.path}")
        elif type(original) is not type(item):
            report.fail(item.loc.line, f"'{item.id}' is a {kind(item)} here but a {kind(original)} in the "
                        f"Chinese plan ({zh.loc.path}:{original.loc.line})", "give it the same place")
        elif isinstance(item, m.Action) and item.units and len(item.units) != len(original.units):
            # the summary and the units pages name each Chinese unit by the English at its place
            count = len(item.units)
            report.fail(item.loc.line, f"the action '{item.id}' names {count} responsible unit"
                        f"{'' if count == 1 else 's'} in English and {len(original.units)} in Chinese "
                        f"({zh.loc.path}:{original.loc.line})",
                        "translate each unit, in the same order, separated by ';'")
    for zh_table, en_table in zip(zh_tables, en_tables, strict=False):
        if shape(zh_table.columns) == shape(en_table.columns):
            same_sharing(zh, zh_table, en_table, en_items, report)
    for item in m.items(zh):
        if item.id not in en_items:
            near = nearest_english_line(zh, en_items, item)
            report.fail(near, f"the Chinese {kind(item)} '{item.id}' ({zh.loc.path}:{item.loc.line}) has no "
                        "English translation here", "translate it at the same place")
    if len(zh.basis) != len(en.basis) and en.basis:
        # at the first entry too many, or the last when one is missing
        extra = en.basis[len(zh.basis)] if len(en.basis) > len(zh.basis) else en.basis[-1]
        report.fail(extra.loc.line, f"'basis' has {len(en.basis)} entries, the Chinese {len(zh.basis)}",
                    "translate each entry of the Chinese basis, in the same order")
    if len(zh.attachments) != len(en.attachments) and en.attachments:
        report.fail(en.attachments[0].loc.line, f"'attachments' has {len(en.attachments)} entries, the "
                    f"Chinese {len(zh.attachments)}", "translate each Chinese attachment, in the same order")
    for original, translated in zip(zh.attachments, en.attachments, strict=False):
        image = original.kind in formats.ATTACHMENT_KINDS and formats.ATTACHMENT_KINDS[original.kind].image
        if translated.file is None and image and not translated.alt:
            report.fail(translated.loc.line, f"the attachment '{original.file}' is an image and its English "
                        "entry has no 'alt' text", "add 'alt: …' saying in English what the image shows")
        if translated.file is not None and original.section is not None:
            report.fail(translated.loc.line, "the Chinese attachment is a section of the plan, not a file",
                        "remove 'file': the English section at the same place is the attachment")
    return len(report.problems) == before


def same_sharing(zh: m.Plan, zh_table: m.ActionTable, en_table: m.ActionTable, en_items: dict,
                 report: Report) -> None:
    """A field the Chinese actions share, the English actions share too, over the same actions
    (deadlines aside: the English gives none, it takes the Chinese ones and their sharing)."""
    zh_roles, en_roles = roles(zh_table.columns), roles(en_table.columns)
    reported: set[str] = set()
    for _, original in m.walk_actions(zh_table.children, ()):
        action = en_items.get(original.id)
        if not isinstance(action, m.Action):
            continue  # reported above
        want = {(zh_roles[c.column], c.rows) for c in original.shared if zh_roles[c.column] != "deadline"}
        have = {(en_roles[c.column], c.rows) for c in action.shared}
        for role in sorted({r for r, _ in want ^ have} - reported):
            reported.add(role)  # once per column: the rest of the run differs alike
            zh_label = next(k for k, v in zh_roles.items() if v == role)
            en_label = next(k for k, v in en_roles.items() if v == role)
            report.fail(action.loc.line, f"the action '{action.id}' {sharing(action, en_label)} "
                        f"'{en_label}' here, but in Chinese it {sharing(original, zh_label)} '{zh_label}' "
                        f"({zh.loc.path}:{original.loc.line})",
                        "write the shared fields after the same run of actions as the Chinese plan (not "
                        "indented, after an empty line), and give each action's own fields where it does")


def roles(columns: m.TableColumns) -> dict[str, str]:
    """Each column's label → its place (deadline, units, field 1 …), the same in both languages."""
    found = {columns.deadline: "deadline", columns.units: "units"}
    found.update({label: f"field {n}" for n, label in enumerate(columns.fields, start=1)})
    found.pop(None, None)
    return found


def sharing(action: m.Action, column: str) -> str:
    """How an action has its value in a column, in words."""
    rows = action.rows(column)
    if all(cell.column != column for cell in action.shared):
        return "gives its own"
    if rows == 0:
        return "shares the cell above for"
    return "takes the shared" if rows == 1 else f"shares one cell with the {rows - 1} action(s) below for"


def shape(columns: m.TableColumns) -> tuple:
    return (len(columns.groups), columns.deadline is None, columns.units is None, len(columns.fields))


def kind(item: m.Section | m.Group | m.Action) -> str:
    return {m.Section: "section", m.Group: "group", m.Action: "action"}[type(item)]


def nearest_english_line(zh: m.Plan, en_items: dict, missing) -> int:
    """The English line just before where a missing item belongs."""
    line = 1
    for item in m.items(zh):
        if item is missing:
            return line
        if item.id in en_items:
            line = en_items[item.id].loc.line
    return line


def statuses(zh: m.Plan, en: m.Plan, warnings: Report) -> dict[str, m.ItemStatus]:
    """translated or stale, for every item; each stale item is also a warning at its line."""
    english = {item.id: item for item in m.items(en)}
    out: dict[str, m.ItemStatus] = {}
    for item in m.items(zh):
        current = fingerprint(item)
        translation = english[item.id]
        if translation.translates == current:
            state = "translated"
        else:
            state = "stale"
            why = ("has never been marked as reviewed" if translation.translates is None
                   else f"was reviewed against an older Chinese text ({zh.loc.path}:{item.loc.line} changed)")
            warnings.warn(translation.loc.line, f"the English {kind(item)} '{item.id}' {why}",
                          f"update it, then run: python build.py reviewed {zh.id} {item.id}")
        out[item.id] = m.ItemStatus(item.id, state, current)
    return out


def check_glossary(zh: m.Plan, en: m.Plan, glossary: tuple[m.Term, ...], warnings: Report) -> None:
    english = {item.id: item for item in m.items(en)}
    variants = longest_first(glossary)
    for item in m.items(zh):
        translation = english[item.id]
        for variant, term in glossary_misses(m.own_text(item), m.own_text(translation), variants):
            warnings.warn(translation.loc.line,
                          f"the Chinese text uses '{variant}', but the English does not say '{term.en}'",
                          f"use the glossary's term ({term.loc.path}:{term.loc.line})")


def check_measure_names(frameworks: tuple[m.Framework, ...], glossary: tuple[m.Term, ...]) -> list[Problem]:
    """A measure's English name uses the glossary's term for every term its Chinese name uses,
    as the plans that name the measure must: the page "Plans by measure" then calls each
    measure one thing, in its heading and in every plan's group."""
    variants = longest_first(glossary)
    found = Report(FRAMEWORKS_FILE.as_posix())
    for framework in frameworks:
        for measure in framework.measures:
            for variant, term in glossary_misses(measure.zh, measure.en, variants):
                found.warn(measure.line or framework.loc.line,
                           f"measure '{measure.id}' of '{framework.id}' uses '{variant}' in Chinese, "
                           f"but its English name does not say '{term.en}'",
                           f"use the glossary's term ({term.loc.path}:{term.loc.line})")
    return found.problems


def glossary_misses(chinese: str, english: str, variants: tuple[tuple[str, m.Term], ...]
                    ) -> list[tuple[str, m.Term]]:
    """Terms the Chinese text uses (``variants``: the glossary's forms, longest first, so
    納稅服務科 is not also 服務科) whose English term the English text lacks."""
    lowered = english.lower()
    misses: list[tuple[str, m.Term]] = []
    for variant, term in variants:
        if variant in chinese:
            chinese = chinese.replace(variant, "\0")
            if term.en.lower() not in lowered and all(t is not term for _, t in misses):
                misses.append((variant, term))
    return misses


@lru_cache(maxsize=4)
def longest_first(glossary: tuple[m.Term, ...]) -> tuple[tuple[str, m.Term], ...]:
    """Every Chinese form of every term, longest first (sorted once per glossary, not per item)."""
    return tuple(sorted(((v, t) for t in glossary for v in t.zh), key=lambda pair: -len(pair[0])))


def check_english(path: Path, english: m.Plan) -> list[Problem]:
    """Structure and glossary problems of one English file, against the Chinese file beside it."""
    twin = path.with_name(f"{english.id}.{ZH.tag}.md")
    chinese, problems = read_plan_file(twin, twin.as_posix()) if twin.exists() else (None, [])
    if chinese is None:
        return problems or [Problem(english.loc.path, 1, f"there is no Chinese plan {twin.as_posix()}",
                                    "an English file translates the Chinese file beside it")]
    found = Report(english.loc.path)
    if align(chinese, english, found):
        project = path.resolve().parent.parent.parent
        glossary_path = project / GLOSSARY_FILE
        check_glossary(chinese, english, load_glossary(project) if glossary_path.exists() else (), found)
    return found.problems


# ---------------------------------------------------------------- the complete English plan


def complete(zh: m.Plan, en: m.Plan, project: Path) -> m.Plan:
    """The English plan with the Chinese plan's metadata, and deadlines worded in English."""
    basis = tuple(
        m.evolve(original, authority=translated.authority, title=translated.title, loc=translated.loc)
        for original, translated in zip(zh.basis, en.basis or zh.basis, strict=False)
    ) if en.basis else ()
    actions = {action.id: action for _, action in zh.actions()}
    words = deadline_words(project)
    deadlines = {t.name: t.columns.deadline for t in zh.tables()}
    sections = tuple(
        m.evolve(section, blocks=tuple(
            m.evolve(b, children=english_children(b.children, actions, words,
                                                  (deadlines.get(b.name), b.columns.deadline)))
            if isinstance(b, m.ActionTable) else b for b in section.blocks))
        for section in en.sections
    )
    return m.evolve(en, agency=zh.agency, year=zh.year, issued=zh.issued, issued_ref=zh.issued_ref,
                   classification=zh.classification, basis=basis, sections=sections,
                   framework=zh.framework, amended=zh.amended, period=zh.period,
                   attachments=english_attachments(zh, en))


def english_attachments(zh: m.Plan, en: m.Plan) -> tuple[m.Attachment, ...]:
    """The English edition's attachments: each English entry with its own file, or with the
    Chinese file (then the file's language is Chinese); the Chinese entries, marked as Chinese,
    when the English file lists none."""
    if not en.attachments:
        return tuple(m.evolve(a, title_lang=zh.lang) for a in zh.attachments)
    return tuple(translated if translated.file not in (None, original.file) else
                 m.evolve(original, title=translated.title, alt=translated.alt or original.alt,
                          loc=translated.loc)
                 for original, translated in zip(zh.attachments, en.attachments, strict=False))


def english_children(nodes, actions: dict[str, m.Action], words,
                     deadline_labels: tuple[str | None, str | None] = (None, None)) -> tuple:
    """The English actions with the Chinese deadlines worded in English, and the Chinese
    deadlines' merged cells (``deadline_labels``: the deadline column's Chinese and English
    label), unless an English action of the cell writes a note of its own."""
    zh_label, en_label = deadline_labels
    out = []
    for node in nodes:
        if isinstance(node, m.Group):
            out.append(m.evolve(node, children=english_children(node.children, actions, words,
                                                                deadline_labels)))
        else:
            original = actions[node.id].deadline
            note = node.deadline.text if node.deadline else None
            deadline = None if original is None else m.evolve(original, text=note or words(original))
            out.append(m.evolve(node, deadline=deadline))
    for first, node in enumerate(out):
        if not isinstance(node, m.Action) or not en_label:
            continue
        rows = actions[node.id].rows(zh_label) if zh_label else 1
        cell = out[first : first + rows]
        texts = {a.deadline.text if isinstance(a, m.Action) and a.deadline else None for a in cell}
        if rows > 1 and len(cell) == rows and len(texts) == 1 and all(
                isinstance(a, m.Action) and all(c.column != en_label for c in a.shared) for a in cell):
            out[first : first + rows] = [m.evolve(a, shared=(*a.shared, m.SharedCell(en_label, rows if i == 0
                                                                                       else 0)))
                                         for i, a in enumerate(cell)]
    return tuple(out)


def deadline_words(project: Path):
    """A function wording a deadline in English: 'Ongoing', 'By December 2018', 'May 1 – 31, 2016'."""
    _ = catalog(project, EN.code).text  # filled in as the templates' _() fills in

    @lru_cache(maxsize=4096)  # plans repeat a few deadlines thousands of times; Babel is slow
    def words(deadline: m.Deadline) -> str:
        if deadline.kind == "ongoing":
            return _("Ongoing")
        if deadline.kind == "as-needed":
            return _("As needed")
        if deadline.kind == "recurring":
            return {"day": _("Daily"), "week": _("Weekly"), "month": _("Monthly"),
                    "quarter": _("Quarterly"), "year": _("Yearly")}[deadline.every or "day"]
        if deadline.kind == "date" and deadline.end:
            return _("By %(date)s", date=format_date(deadline.end, "long", locale=EN.locale))
        if deadline.kind == "month" and deadline.end:
            return _("By %(month)s", month=format_date(deadline.end, "MMMM y", locale=EN.locale))
        if deadline.kind == "range" and deadline.start and deadline.end:
            return format_interval(deadline.start, deadline.end, "yMMMd", locale=EN.locale)
        return deadline.text  # an editorial note no one has translated yet

    return words


# ---------------------------------------------------------------- marking translations reviewed


def mark_reviewed(path: Path, edition: m.Edition, ids: list[str], everything: bool) -> list[str]:
    """Write the current Chinese fingerprints into the English file for these items (a section
    or group with everything in it). Returns the ids marked; unknown ids raise ContentError."""
    assert edition.en is not None
    chosen: set[str] = set()
    known = {item.id: item for item in m.items(edition.en)}
    report = Report(edition.en.loc.path)
    for wanted in ids:
        if wanted not in known:
            report.fail(1, f"there is no section, group or action '{wanted}' in this plan",
                        "use an id from the page's anchors or from python build.py status")
    if report.problems:
        raise ContentError(report.problems)
    for item in m.items(edition.en):
        if everything or item.id in ids:
            chosen.update(descendants(item))
    target = path.resolve()  # a linked plan file stays a link: its target is rewritten
    lines = target.read_bytes().decode("utf-8").split("\n")  # line endings as they are
    marked = []
    for item in m.items(edition.en):
        if item.id in chosen and item.translates != edition.status[item.id].fingerprint:
            index = item.loc.line - 1
            end = "\r" if lines[index].endswith("\r") else ""
            lines[index] = with_fingerprint(lines[index].removesuffix("\r"),
                                            edition.status[item.id].fingerprint) + end
            marked.append(item.id)
    mode = target.stat().st_mode
    # replacing it would overrule its owner
    if marked and not (mode & stat.S_IWUSR and os.access(target, os.W_OK)):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
    if marked:  # whole or not at all, with the file's permissions: a full disk must not cut a plan short
        write_atomically(target, "\n".join(lines).encode("utf-8"), mode=mode)
    return marked


def descendants(item) -> set[str]:
    found = {item.id}
    children = ()
    if isinstance(item, m.Section):
        children = tuple(c for b in item.blocks if isinstance(b, m.ActionTable) for c in b.children)
    elif isinstance(item, m.Group):
        children = item.children
    for child in m.walk_items(children):
        found.add(child.id)
    return found


def with_fingerprint(line: str, value: str) -> str:
    """The source line with '{… src=value}' at its end, keeping an explicit '#id' and the white
    space around the mark as written."""
    match = ATTRIBUTES.search(line)
    words = [w for w in (match[1].split() if match else []) if not w.startswith("src=")]
    kept = line.rstrip()
    tail = line[len(kept):]  # the spaces after it, as written (two make a line break)
    body = line[: match.start()] if match else kept
    space = "" if body[-1:].isspace() else " "  # the space before it as written: never one more
    return f"{body}{space}{{{' '.join([*words, f'src={value}'])}}}{tail}"


def status_table(all_editions: tuple[m.Edition, ...]) -> str:
    """The per-plan translation table printed by ``python build.py status``."""
    rows = [("plan", "translated", "stale", "missing")]
    for edition in all_editions:
        states = [s.state for s in edition.status.values()]
        total = sum(1 for _ in m.items(edition.zh))
        if edition.en is None:
            rows.append((edition.zh.id, "0", "0", str(total)))
        else:
            rows.append((edition.zh.id, str(states.count("translated")), str(states.count("stale")), "0"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, re.sub(r"[^ ]", "-", lines[0]))
    return "\n".join(lines)
