"""Content stage: plan files (YAML front matter + structured Markdown) → the plan model.

This is the stage's entry: the folder of plans (refusing what cannot be read as a plan), the
glossary and the frameworks. The readers it calls are modules of their own: one plan file
(:mod:`~plansite.plan_file`), its front matter (:mod:`~plansite.front_matter`), its body
(:mod:`~plansite.sections`) with action tables (:mod:`~plansite.actions`), ids
(:mod:`~plansite.ids`), classification codes (:mod:`~plansite.classification`), the glossary
(:mod:`~plansite.glossary`) and frameworks (:mod:`~plansite.frameworks`).

Run ``python -m plansite.content FILE…`` to check single files and see what was counted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from . import model as m
from .errors import ContentError, Problem
from .frameworks import check_mappings, load_frameworks
from .glossary import load_glossary
from .inputs import Unreadable, check_regular, hidden, inside, shown
from .plan_file import MAX_PLAN_BYTES, NAME_HINT, read_plan_data, read_plan_file
from .project import PLANS_DIR
from .site_paths import EN
from .translation import check_english

__all__ = ["MAX_PLAN_BYTES", "agency_names", "cannot_read", "check_mappings", "load_frameworks",
           "load_glossary", "load_plans", "no_plans", "read_plan_data", "read_plan_file"]


def load_plans(project: Path, read: Callable = lambda paths, names: map(read_plan_file, paths, names),
               unchanged: Callable[[Path], bool] = lambda path: False) -> tuple[m.Plan, ...]:
    """Read every plan under ``content/plans``; raise ContentError listing all problems.
    ``read`` maps :func:`read_plan_file` (or a function like it) over the files and the names
    problems give them: the build passes one that spreads the work over all cores. Files
    ``unchanged`` says were read before and not touched since (the preview) are not looked at
    again before ``read`` is given them."""
    if (missing := no_plan_folder(project)) is not None:
        raise ContentError([missing])
    problems: list[Problem] = []
    paths: list[Path] = []
    for path in sorted((project / PLANS_DIR).glob("*.md"), key=lambda path: path.name):  # one folder
        if hidden(path.name):  # no plan's: an editor's lock (.#x.md) or macOS's ._x.md
            continue
        if not unchanged(path) and (refused := cannot_read(project, path)) is not None:
            problems.append(refused)
        else:
            paths.append(path)
    plans: list[m.Plan] = []
    folder = PLANS_DIR.as_posix()
    for plan, found in read(paths, [f"{folder}/{path.name}" for path in paths]):
        problems += found
        if plan:
            plans.append(plan)
    if problems:
        raise ContentError(problems)
    return tuple(plans)


NO_PLAN_HINT = ("put the plans (ID.zh-Hant.md, ID.en.md) in the folder content/plans/ "
                "(from git: git restore content)")


def no_plan_folder(project: Path) -> Problem | None:
    """Why there is no folder ``content/plans`` to read plans from (missing, or not a folder).
    A build of no plan would replace the published site with an empty one, so it is refused."""
    folder = project / PLANS_DIR
    if folder.is_dir():
        return None
    if folder.is_symlink() and not folder.exists():
        what = "is a link to a folder that does not exist (a dangling link)"
    else:
        what = "does not exist" if not folder.exists() else "is not a folder"
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
    return Problem(path.relative_to(project).as_posix(), 1,
                   "the file is a link to a file outside content/plans/",
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


def agency_names(plans: tuple[m.Plan, ...]) -> list[Problem]:
    """Warnings where plans name one agency (its Chinese name) with different English names, or
    two agencies with one English name: the English pages would name one agency two ways
    (search's agency filter, the units pages), or two agencies one way. Each plan whose English
    name is not the one most plans use (the first plan's, on a tie), or is another agency's, is
    told at that name's line."""
    names: dict[str, list[m.Plan]] = {}
    for plan in plans:
        if plan.lang != EN.code:
            names.setdefault(plan.agency.zh, []).append(plan)
    problems = []
    for chinese, named in names.items():
        english = [plan.agency.en for plan in named]
        usual = max(dict.fromkeys(english), key=english.count)  # the most used, the first on a tie
        for plan in named:
            if plan.agency.en != usual:
                first = next(p for p in named if p.agency.en == usual)
                problems.append(Problem(plan.loc.path, max(plan.agency.line, 1),
                                        f"the agency {chinese} is '{plan.agency.en}' in English here, but "
                                        f"'{usual}' in {first.loc.path}", "give it the same English name in "
                                        "every plan: the English pages would name it two ways",
                                        warning=True))
    owners: dict[str, m.Plan] = {}  # the other way round: two agencies, one English name
    for plan in (plan for named in names.values() for plan in named):
        first = owners.setdefault(plan.agency.en.casefold(), plan)
        if first.agency.zh != plan.agency.zh:
            problems.append(Problem(plan.loc.path, max(plan.agency.line, 1),
                                    f"the English name '{plan.agency.en}' is that of {first.agency.zh} in "
                                    f"{first.loc.path}, but the agency here is {plan.agency.zh}",
                                    "give each agency its own English name, or, if it is one agency, the "
                                    "same Chinese name: the English pages would list two agencies by one "
                                    "name, and which one an address leads to would change", warning=True))
    return problems


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
    status = 0
    for name in argv:
        plan, problems = read_plan_file(Path(name), name)
        if plan and plan.lang == EN.code:
            problems += check_english(Path(name), plan)
        for problem in problems:
            print(problem)
        if plan and not any(not p.warning for p in problems):
            print(summary(plan))
        status = status or (1 if any(not p.warning for p in problems) else 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
