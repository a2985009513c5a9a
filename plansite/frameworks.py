"""Frameworks (``content/frameworks.yml``) and each plan's ``framework:``: which measure each
action group counts for."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import yaml

from . import model as m
from .errors import ContentError, Problem, Report
from .inputs import read_setting
from .project import FRAMEWORKS_FILE
from .yamlnode import Node, read_yaml


def read_mapping(node: Node, path: str) -> m.Mapping:
    """``framework:`` — which measure each action group counts for (checked against the
    plan's groups and content/frameworks.yml by :func:`check_mappings`)."""
    keys = node.keys(("id",), ("groups", "unmapped", "note")) or {}
    english: list[tuple[str, str]] = []
    groups = tuple((group, value.text() or "", value.line) for group, value in keys["groups"].pairs()) \
        if "groups" in keys else ()
    unmapped = []
    for group, value in keys["unmapped"].pairs() if "unmapped" in keys else ():
        why, why_en = editorial(value)
        unmapped.append((group, why, value.line))
        english += [(group, why_en)] if why_en else []
    note, note_en = editorial(keys["note"]) if "note" in keys else (None, None)
    english += [("", note_en)] if note_en else []
    if not groups and note is None and keys:
        node.fail("'framework' maps no group and gives no note",
                  "map groups under 'groups:' (group id: measure id), or say why not under 'note:'")
    return m.Mapping(keys["id"].text() or "" if "id" in keys else "", groups, tuple(unmapped), note,
                     m.Location(path, node.line), tuple(english))


def editorial(node: Node) -> tuple[str, str | None]:
    """An editor's words in the mapping: Chinese text, or 'zh:' and 'en:' lines giving both."""
    if not isinstance(node.node, yaml.MappingNode):
        return node.text() or "", None
    keys = node.keys(("zh",), ("en",)) or {}
    return (keys["zh"].text() or "" if "zh" in keys else ""), (keys["en"].text() if "en" in keys else None)


FRAMEWORK_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A framework's id: it names the anchors of its part of the page "Plans by measure"."""


def load_frameworks(project: Path) -> tuple[m.Framework, ...]:
    """Read ``content/frameworks.yml``; raise ContentError listing its problems."""
    report = Report(FRAMEWORKS_FILE.as_posix())
    text = read_setting(project, FRAMEWORKS_FILE.as_posix(), report)
    if text is None and not report.problems:
        return ()
    guide = "docs/format.md ('Mapping groups onto a framework')"
    root = read_yaml(text, report, guide=guide) if text is not None else None
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
                measures.append(m.Measure(*(fields[k].text() or "" for k in ("id", "zh", "en")), item.line))
        ids = [measure.id for measure in measures]
        if len(set(ids)) != len(ids):
            keys["measures"].fail("two measures have the same id", "give every measure its own id")
        framework_id = keys["id"].text() or ""
        if framework_id and not FRAMEWORK_ID.fullmatch(framework_id):
            keys["id"].fail(f"the framework id '{framework_id}' is not lowercase letters, digits and '-'",
                            "name it like service-upgrade (the pages' addresses and anchors use it), and "
                            "the plans' 'framework: id:' alike")
        if framework_id in [f.id for f in frameworks]:
            keys["id"].fail(f"two frameworks have the id '{framework_id}'", "give every framework its own id")
        frameworks.append(m.Framework(
            framework_id,
            *(d[k].text() or "" if k in d else "" for d in (name, source) for k in ("zh", "en")),
            tuple(measures), m.Location(report.path, entry.line)))
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
                fail(f"'{framework.id}' has no measure '{measure}'",
                     f"use one of {', '.join(sorted(measures))}", replace(where, line=line))
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
