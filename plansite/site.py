"""Site stage: load everything, render every output, and publish ``site/`` atomically.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from . import model as m
from .config import SiteConfig, load_config
from .content import GLOSSARY_FILE, PLANS_DIR, last_changed, load_glossary, load_plans
from .errors import ContentError, Problem
from .render_html import Page, environment, render_index, render_page, render_plan
from .render_json import render_plan_json
from .translation import ENGLISH, editions

CHINESE = "zh-Hant-TW"


@dataclass(frozen=True, slots=True)
class Loaded:
    """Everything a build reads, checked."""

    config: SiteConfig
    editions: tuple[m.Edition, ...]
    glossary: tuple[m.Term, ...]
    warnings: list[Problem]
    """Problems that publish anyway unless the build is strict (stale translations …)."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    editions: tuple[m.Edition, ...]
    files: int
    """How many files were written."""
    warnings: list[Problem]


def load(project: Path) -> Loaded:
    """Configuration, plans in both languages and glossary, or ContentError listing every problem."""
    problems: list[Problem] = []
    results = []
    for loader in (load_config, load_plans, load_glossary):
        try:
            results.append(loader(project))
        except ContentError as error:
            problems += error.problems
    if problems:
        raise ContentError(problems)
    config, plans, glossary = results
    all_editions, warnings = editions(project, plans, glossary)
    return Loaded(config, all_editions, glossary, warnings)


def outputs(project: Path, loaded: Loaded) -> Iterator[tuple[str, str]]:
    """Every generated file as (path relative to site/, text), in both languages."""
    updated = last_updated(project)
    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        env = environment(project, lang)
        other = "" if prefix else "en/"

        def page(path: str, translated: bool = True, lang=lang, prefix=prefix, other=other) -> Page:
            return Page(lang, prefix + path, other + path, translated, loaded.config, updated)

        yield prefix + "index.html", render_index(env, loaded.editions, page("index.html"))
        for name, context in (("glossary", {"terms": loaded.glossary}), ("sitemap", {"editions": loaded.editions}),
                              ("accessibility", {}), ("privacy", {}), ("open-data", {})):
            path = f"{name}/index.html"
            yield prefix + path, render_page(env, f"{name}.html", page(path), **context)
        missing = replace(page("404.html"), anywhere=True)
        yield prefix + "404.html", render_page(env, "404.html", missing)
        for edition in loaded.editions:
            path = f"plans/{edition.zh.id}/index.html"
            yield prefix + path, render_plan(env, edition, page(path, edition.en is not None))
    for edition in loaded.editions:
        yield f"data/plans/{edition.zh.id}.zh-Hant.json", render_plan_json(edition.zh)
        if edition.en is not None:
            yield f"data/plans/{edition.zh.id}.en.json", render_plan_json(edition.en)


def build(project: Path, output: Path, strict: bool = False) -> BuildResult:
    """Build the whole site into ``output``; on any error the old ``output`` stays as it was.
    With ``strict``, warnings (stale or missing translations, glossary misses) are errors."""
    recover(output.resolve())
    loaded = load(project)
    if strict and loaded.warnings:
        raise ContentError(loaded.warnings)
    count = 0
    with staging(output) as stage:
        for relative, text in outputs(project, loaded):
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            count += 1
        shutil.copytree(project / "templates" / "assets", stage / "assets")
        if loaded.config.badge:
            shutil.copy(project / loaded.config.badge.image, stage / "assets" / badge_name(loaded.config.badge))
        count += sum(1 for p in (stage / "assets").rglob("*") if p.is_file())
    return BuildResult(loaded.editions, count, loaded.warnings)


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
    """The date of the newest content change, shown as 'last updated'."""
    return last_changed(project, PLANS_DIR, GLOSSARY_FILE, Path("site.yml"))


def badge_name(badge) -> str:
    """The accessibility badge's file name in site/assets/."""
    return "accessibility-badge" + badge.image.suffix.lower()
