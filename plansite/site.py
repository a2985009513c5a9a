"""Site stage: load everything, render every output, and publish ``site/`` atomically.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from . import model as m
from .config import SiteConfig, load_config
from .content import PLANS_DIR, load_plans
from .errors import ContentError, Problem
from .render_html import Page, environment, render_index, render_plan
from .render_json import render_plan_json

CHINESE = "zh-Hant-TW"


@dataclass(frozen=True, slots=True)
class BuildResult:
    plans: tuple[m.Plan, ...]
    files: int
    """How many files were written."""


def load(project: Path) -> tuple[SiteConfig, tuple[m.Plan, ...]]:
    """Configuration and plans, or ContentError listing the problems of both."""
    problems: list[Problem] = []
    config = plans = None
    try:
        config = load_config(project)
    except ContentError as error:
        problems += error.problems
    try:
        plans = load_plans(project)
    except ContentError as error:
        problems += error.problems
    if problems or config is None or plans is None:
        raise ContentError(problems)
    return config, plans


def outputs(project: Path, config: SiteConfig, plans: tuple[m.Plan, ...]) -> Iterator[tuple[str, str]]:
    """Every generated file as (path relative to site/, text)."""
    env = environment(project, CHINESE)
    updated = last_updated(project)
    yield "index.html", render_index(env, plans, Page(CHINESE, "", config, updated))
    for plan in plans:
        page = Page(CHINESE, "../../", config, updated)
        yield f"plans/{plan.id}/index.html", render_plan(env, plan, page)
        yield f"data/plans/{plan.id}.zh-Hant.json", render_plan_json(plan)


def build(project: Path, output: Path) -> BuildResult:
    """Build the whole site into ``output``; on any error the old ``output`` stays as it was."""
    recover(output.resolve())
    config, plans = load(project)
    count = 0
    with staging(output) as stage:
        for relative, text in outputs(project, config, plans):
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            count += 1
        shutil.copytree(project / "templates" / "assets", stage / "assets")
        count += sum(1 for p in (stage / "assets").rglob("*") if p.is_file())
    return BuildResult(plans, count)


@contextmanager
def staging(output: Path) -> Iterator[Path]:
    """A fresh folder beside ``output``; swapped in on success, removed on failure."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-", dir=output.parent))
    try:
        yield stage
        os.chmod(stage, 0o755)  # mkdtemp makes it private; a published site is world-readable
        if output.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
            os.rename(output, old / output.name)
            os.rename(stage, output)
            shutil.rmtree(old)
        else:
            os.rename(stage, output)
    finally:
        if stage.exists():
            shutil.rmtree(stage)


def recover(output: Path) -> None:
    """Put the previous site back if a build was killed between the two renames of a swap."""
    if output.exists():
        return
    kept = sorted(output.parent.glob(f"{output.name}.old-*/{output.name}"), key=lambda p: p.stat().st_mtime)
    if kept:
        os.rename(kept[-1], output)
        shutil.rmtree(kept[-1].parent)


def last_updated(project: Path) -> date:
    """The date of the newest content change: the last commit touching content, else file times."""
    try:
        stamp = subprocess.run(
            ["git", "log", "-1", "--format=%cI", "--", str(PLANS_DIR), "site.yml"],
            cwd=project, capture_output=True, text=True, check=True,
        ).stdout.strip()
        if stamp:
            return datetime.fromisoformat(stamp).date()
    except (OSError, subprocess.CalledProcessError):
        pass
    files = [p for p in (project / PLANS_DIR).glob("*.md")] + [project / "site.yml"]
    newest = max((p.stat().st_mtime for p in files if p.exists()), default=0)
    return datetime.fromtimestamp(newest, tz=UTC).date()
