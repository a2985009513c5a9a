"""Site stage: load everything, render every output, and publish ``site/`` atomically.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

from . import model as m
from .config import SiteConfig, load_config
from .content import (
    FRAMEWORKS_FILE,
    GLOSSARY_FILE,
    PLANS_DIR,
    check_mappings,
    commit_dates,
    last_changed,
    load_frameworks,
    load_glossary,
    load_plans,
)
from .errors import ContentError, Problem
from .i18n import catalog
from .render_csv import HEADERS, render_plan_csv
from .render_feeds import render_feed, render_robots, render_sitemap
from .render_html import (
    SITE_PAGES,
    Page,
    cross_plan,
    environment,
    framework_view,
    render_index,
    render_page,
    render_plan,
    render_print,
)
from .render_json import render_catalogue, render_plan_json
from .render_odt import render_plan_odt
from .render_pdf import FONT_FILES, PdfError, render_plan_pdf, uncovered_characters
from .search import BUNDLE, index_site
from .translation import ENGLISH, editions

CHINESE = "zh-Hant-TW"
SCHEMA = Path(__file__).parent / "data" / "plan.schema.json"


@dataclass(frozen=True, slots=True)
class Loaded:
    """Everything a build reads, checked."""

    config: SiteConfig
    editions: tuple[m.Edition, ...]
    glossary: tuple[m.Term, ...]
    warnings: list[Problem]
    """Problems that publish anyway unless the build is strict (stale translations …)."""
    frameworks: tuple[m.Framework, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildResult:
    editions: tuple[m.Edition, ...]
    files: int
    """How many files were written."""
    warnings: list
    """The warnings (problems; as text when the build was skipped)."""
    unchanged: bool = False
    """True when nothing the site depends on changed since the last build, so none was made."""


def load(project: Path) -> Loaded:
    """Configuration, plans in both languages and glossary, or ContentError listing every problem."""
    problems: list[Problem] = []
    results = []
    for loader in (load_config, load_plans, load_glossary, load_frameworks):
        try:
            results.append(loader(project))
        except ContentError as error:
            problems += error.problems
    if problems:
        raise ContentError(problems)
    config, plans, glossary, frameworks = results
    problems = check_mappings(plans, frameworks)
    if problems:
        raise ContentError(problems)
    all_editions, warnings = editions(project, plans, glossary)
    unprintable = [p for e in all_editions for plan in (e.zh, e.en) if plan for p in uncovered_characters(plan)]
    if unprintable:
        raise ContentError(unprintable)
    return Loaded(config, all_editions, glossary, warnings, frameworks)


def outputs(project: Path, loaded: Loaded, files: dict[str, bytes],
            plans: set[str] | None = None, listings: bool = True) -> Iterator[tuple[str, str]]:
    """Every generated page and data file as (path relative to site/, text), in both languages.
    ``files`` are the downloads already made, so pages can state their sizes. With ``plans``,
    only those plans' pages and data are rendered, and the pages listing all plans only when
    ``listings`` (the preview)."""
    updated = last_updated(project)
    chosen = [e for e in loaded.editions if plans is None or e.zh.id in plans]
    sizes = {path: len(content) for path, content in files.items()}
    for path, text in open_data(loaded, chosen, everything=plans is None):  # first: pages state their sizes
        sizes[path] = len(text.encode("utf-8"))
        yield path, text
    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        env = environment(project, lang)
        other = "" if prefix else "en/"

        def page(path: str, translated: bool = True, lang=lang, prefix=prefix, other=other) -> Page:
            return Page(lang, prefix + path, other + path, translated, loaded.config, updated)

        if listings or plans is None:
            yield prefix + "index.html", render_index(env, loaded.editions, page("index.html"))
            yield prefix + "sitemap/index.html", render_page(env, "sitemap.html", page("sitemap/index.html"),
                                                            editions=loaded.editions)
        pages = {"glossary": {"terms": loaded.glossary},
                 "data": {"datasets": datasets(loaded, sizes), "csv_columns": csv_columns(project, lang)},
                 "units": cross_plan(loaded.editions, lang == ENGLISH),
                 "framework": framework_view(loaded.editions, loaded.frameworks, lang == ENGLISH),
                 "deadlines": cross_plan(loaded.editions, lang == ENGLISH)}
        for name, _ in SITE_PAGES:
            path = f"{name}/index.html"
            if plans is None and name != "sitemap":  # the site map lists plans: rendered above
                yield prefix + path, render_page(env, f"{name}.html", page(path), **pages.get(name, {}))
        if plans is None:
            yield prefix + "404.html", render_page(env, "404.html", replace(page("404.html"), anywhere=True))
        for edition in chosen:
            path = f"plans/{edition.zh.id}/index.html"
            yield prefix + path, render_plan(env, edition, page(path, edition.en is not None), sizes)
    if plans is None:
        yield "sitemap.xml", render_sitemap(loaded.editions, loaded.config, updated)
        yield "robots.txt", render_robots(loaded.config)
        for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
            yield prefix + "feed.xml", render_feed(loaded.editions, loaded.config, lang, updated)


def open_data(loaded: Loaded, chosen: list[m.Edition], everything: bool) -> Iterator[tuple[str, str]]:
    """The datasets: each plan as JSON and CSV per language, the catalogue and the schema."""
    for edition in chosen:
        for plan in (edition.zh, edition.en):
            if plan is not None:
                tag = "en" if plan.lang == ENGLISH else "zh-Hant"
                yield f"data/plans/{plan.id}.{tag}.json", render_plan_json(plan)
                yield f"data/plans/{plan.id}.{tag}.csv", render_plan_csv(plan)
    if everything or chosen:
        yield "data/plans.json", render_catalogue(loaded.editions, loaded.config.base_url)
        yield "data/plan.schema.json", SCHEMA.read_text(encoding="utf-8")


def csv_columns(project: Path, lang: str) -> list[tuple[str, str]]:
    """The CSV header of this language, each column with what it holds."""
    _ = catalog(project, lang).gettext
    meanings = (_("the plan's id"), _("the action's id (its anchor on the plan's page)"),
                _("the action's number as printed"), _("the groups the action belongs to, outermost first"),
                _("the action's text"), _("the deadline as printed"),
                _("the first day of the period the deadline names (YYYY-MM-DD), if it names one"),
                _("the last day of that period"), _("the responsible units"))
    return list(zip(HEADERS[lang], meanings, strict=True))


def datasets(loaded: Loaded, sizes: dict[str, int]) -> list[tuple[str, str, str, int]]:
    """(what, path, format, size) of every dataset, for the data page."""
    rows = [("catalogue", "data/plans.json", "JSON", sizes.get("data/plans.json", 0)),
            ("schema", "data/plan.schema.json", "JSON Schema", sizes.get("data/plan.schema.json", 0))]
    for edition in loaded.editions:
        for plan in (edition.zh, edition.en):
            if plan is not None:
                tag = "en" if plan.lang == ENGLISH else "zh-Hant"
                for kind in ("json", "csv"):
                    path = f"data/plans/{plan.id}.{tag}.{kind}"
                    rows.append((plan.title, path, kind.upper(), sizes.get(path, 0)))
    return rows


def build(project: Path, output: Path, strict: bool = False, downloads: bool = True) -> BuildResult:
    """Build the whole site into ``output``; on any error the old ``output`` stays as it was.
    With ``strict``, warnings (stale or missing translations, glossary misses) are errors.
    Without ``downloads`` (quick previews, benchmarks), no ODT or PDF is made."""
    recover(output.resolve())
    stamp = Stamp(project, output, strict, downloads)
    if stamp.unchanged():
        return BuildResult((), 0, stamp.warnings(), unchanged=True)
    loaded = load(project)
    if strict and loaded.warnings:
        raise ContentError(loaded.warnings)
    files = make_downloads(project, loaded) if downloads else {}
    count = 0
    with staging(output) as stage:
        # each output is written as soon as it is made: a thousand plans' pages never sit in memory
        generated = ((relative, text.encode("utf-8")) for relative, text in outputs(project, loaded, files))
        for relative, data in itertools.chain(generated, files.items()):
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            count += 1
        shutil.copytree(project / "templates" / "assets", stage / "assets")
        if loaded.config.badge:
            shutil.copy(project / loaded.config.badge.image, stage / "assets" / badge_name(loaded.config.badge))
        index_site(stage, loaded.glossary)
        count += sum(1 for folder in ("assets", BUNDLE) for p in (stage / folder).rglob("*") if p.is_file())
    stamp.record(loaded.warnings)  # after the swap: the stamp describes the site as published
    return BuildResult(loaded.editions, count, loaded.warnings)


# ---------------------------------------------------------------- skipping a build with nothing to do

IGNORED = {".git", ".venv", "node_modules", ".cache", "reports", "tests", "bench", "docs", "__pycache__",
           ".pytest_cache", ".ruff_cache", ".hypothesis"}
"""Folders of a project that no output depends on (everything else is hashed, to be safe)."""


@dataclass
class Stamp:
    """What the last build of ``output`` was made from: a hash of every input (the project's
    files, plansite's own code, the versions of the tools, the options, the commit) and of the
    site it wrote. When both still match, a build has nothing to do."""

    project: Path
    output: Path
    strict: bool
    downloads: bool

    def __post_init__(self) -> None:
        self.output = self.output.resolve()
        folder = Path(os.environ.get("PLANSITE_CACHE") or self.project / ".cache") / "builds"
        self.path = folder / (hashlib.sha256(str(self.output).encode()).hexdigest()[:24] + ".json")
        self.inputs = self.digest_inputs()

    def digest_inputs(self) -> str:
        hasher = hashlib.sha256()
        roots = [p for p in sorted(self.project.iterdir()) if p.name not in IGNORED
                 and p.resolve() != self.output
                 and not p.name.startswith((f"{self.output.name}.tmp-", f"{self.output.name}.old-"))]
        code = Path(__file__).parent
        outside_git = not commit_dates(self.project)
        for root in [*roots, code]:
            for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
                if path.is_file() and not IGNORED.intersection(path.relative_to(root.parent).parts):
                    hasher.update(f"{path}\0".encode())
                    hasher.update(path.read_bytes())
                    if outside_git:  # then dates shown on pages come from file times
                        hasher.update(str(path.stat().st_mtime_ns).encode())
        tools = [f"{name} {version(name)}" for name in
                 ("jinja2", "markdown-it-py", "mdit-py-plugins", "babel", "pyyaml", "odfdo", "weasyprint", "pikepdf",
                  "segno", "pagefind", "pagefind_bin_extended")]
        head = sorted(commit_dates(self.project).items())
        hasher.update(repr((sys.version, tools, head, self.strict, self.downloads, str(self.output))).encode())
        return hasher.hexdigest()

    def digest_site(self) -> str:
        hasher = hashlib.sha256()
        for path in sorted(self.output.rglob("*")):
            info = path.lstat()
            hasher.update(f"{path.relative_to(self.output)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        return hasher.hexdigest()

    def unchanged(self) -> bool:
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return self.output.is_dir() and known.get("inputs") == self.inputs and known.get("site") == self.digest_site()

    def warnings(self) -> list[str]:
        return json.loads(self.path.read_text(encoding="utf-8")).get("warnings", [])

    def record(self, warnings: list[Problem]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"inputs": self.inputs, "site": self.digest_site(), "warnings": [str(w) for w in warnings]}
        temporary = self.path.with_suffix(f".tmp-{os.getpid()}")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, self.path)


@contextmanager
def staging(output: Path) -> Iterator[Path]:
    """A fresh folder beside ``output``; swapped in on success, removed on failure."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-{os.getpid()}-", dir=output.parent))
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
    """Tidy up after a build that was killed: remove its half-written folder, and put the
    previous site back if it died between the two renames of a swap."""
    for stale in output.parent.glob(f"{output.name}.tmp-*"):
        if not running(stale.name.removeprefix(f"{output.name}.tmp-").split("-")[0]):
            shutil.rmtree(stale, ignore_errors=True)
    if output.exists():
        return
    kept = sorted(output.parent.glob(f"{output.name}.old-*/{output.name}"), key=lambda p: p.stat().st_mtime)
    if kept:
        os.rename(kept[-1], output)
        shutil.rmtree(kept[-1].parent)


def running(pid: str) -> bool:
    """True while the process that made a staging folder still runs (another build)."""
    try:
        os.kill(int(pid), 0)
    except PermissionError:
        return True  # someone else's process
    except (ValueError, ProcessLookupError):
        return False  # gone (or a folder from before staging folders carried a pid)
    return True


def last_updated(project: Path) -> date:
    """The date of the newest content change, shown as 'last updated'."""
    return last_changed(project, PLANS_DIR, GLOSSARY_FILE, FRAMEWORKS_FILE, Path("site.yml"))


# ---------------------------------------------------------------- downloads (ODT and PDF)


@dataclass(frozen=True)
class Job:
    """One download to make: an .odt from the model, or a .pdf from the print HTML."""

    path: str
    """Where it goes in site/, e.g. 'downloads/mof-2017.en.pdf'."""
    kind: str
    payload: tuple
    key: str
    """A hash of everything the file depends on: the cache never serves a stale file."""


def download_path(plan: m.Plan, kind: str) -> str:
    return f"downloads/{plan.id}.{'en' if plan.lang == ENGLISH else 'zh-Hant'}.{kind}"


def download_jobs(project: Path, loaded: Loaded) -> list[Job]:
    stamp = datetime.combine(last_updated(project), datetime.min.time(), tzinfo=UTC)
    stylesheet = project / "templates" / "print.css"
    versions = ", ".join(f"{name} {version(name)}" for name in ("weasyprint", "pikepdf", "odfdo"))
    code = {kind: (Path(__file__).parent / f"render_{kind}.py").read_bytes() for kind in ("odt", "pdf")}
    fonts = [f"{p}:{p.stat().st_size}" for p in FONT_FILES if p.exists()]
    jobs = []
    for lang in (CHINESE, ENGLISH):
        env = environment(project, lang)
        for edition in loaded.editions:
            plan = edition.en if lang == ENGLISH else edition.zh
            if plan is None:
                continue
            labels = document_labels(project, env, plan)
            odt = (plan, labels, stamp)
            jobs.append(Job(download_path(plan, "odt"), "odt", odt,
                            digest("odt", repr(odt), versions, code["odt"])))
            page = Page(lang, f"plans/{plan.id}/index.html", "", False, loaded.config, stamp.date())
            html = render_print(env, plan, page, stamp)
            pdf = (html, stylesheet, lang)
            jobs.append(Job(download_path(plan, "pdf"), "pdf", pdf,
                            digest("pdf", html, stylesheet.read_bytes(), versions, code["pdf"], *fonts)))
    return jobs


def document_labels(project: Path, env, plan: m.Plan) -> dict[str, str]:
    """The interface words the ODT prints, in the plan's language."""
    _ = catalog(project, plan.lang).gettext
    words = {word: _(word) for word in ("Agency", "Year", "Issued", "Basis", "No.")}
    words["year"] = _("ROC %(year)s (%(ad)s)") % {"year": plan.year, "ad": plan.year_ad}
    words["issued"] = env.filters["long_date"](plan.issued) if plan.issued else ""
    return words


def digest(*parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()


def make_downloads(project: Path, loaded: Loaded) -> dict[str, bytes]:
    """Every .odt and .pdf: from the cache when their inputs did not change, otherwise made
    in parallel on all cores (PDF is the slow part)."""
    cache = Path(os.environ.get("PLANSITE_CACHE") or project / ".cache") / "downloads"
    cache.mkdir(parents=True, exist_ok=True)
    jobs = download_jobs(project, loaded)
    files: dict[str, bytes] = {}
    todo = []
    for job in jobs:
        cached = cache / f"{job.key}{Path(job.path).suffix}"
        if cached.exists():
            files[job.path] = cached.read_bytes()
        else:
            todo.append(job)
    if todo:
        workers = min(len(todo), os.cpu_count() or 1)
        # fork is fastest, but forking a process that runs other threads (the preview) can deadlock
        method = "fork" if threading.active_count() == 1 else "spawn"
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
            for job, data in zip(todo, pool.map(make_download, todo), strict=True):
                files[job.path] = data
                temporary = cache / f"{job.key}.tmp-{os.getpid()}"
                temporary.write_bytes(data)
                os.replace(temporary, cache / f"{job.key}{Path(job.path).suffix}")
    return {job.path: files[job.path] for job in jobs}


def make_download(job: Job) -> bytes:
    """Runs in a worker process."""
    if job.kind == "odt":
        return render_plan_odt(*job.payload)
    try:
        return render_plan_pdf(*job.payload)
    except PdfError as error:
        raise ContentError([Problem(f"{job.path}", 1, f"the PDF could not be made: {error}",
                                    "this is a bug in plansite's print template; please report it")]) from None


def badge_name(badge) -> str:
    """The accessibility badge's file name in site/assets/."""
    return "accessibility-badge" + badge.image.suffix.lower()
