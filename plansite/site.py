"""Site stage: load everything, render every output, and publish ``site/`` atomically.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import itertools
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import jinja2

from . import formats
from . import model as m
from .config import SiteConfig, load_config
from .content import (
    MAX_PLAN_BYTES,
    check_mappings,
    load_frameworks,
    load_glossary,
    load_plans,
    no_plans,
    read_plan_data,
    read_plan_file,
)
from .errors import ContentError, Problem
from .fonts import drawable, font_sizes, uncovered_characters
from .formats import DocumentError, page_count
from .i18n import catalog
from .inputs import unusable_files
from .project import last_updated
from .publish import (
    Stamp,
    cache_folder,
    copy_folder,
    digest,
    digest_project,
    prepare_output,
    prune,
    staging,
    tidy_cache,
    write_atomically,
)
from .render_csv import HEADERS, render_plan_csv
from .render_feeds import render_feed, render_robots, render_sitemap
from .render_html import (
    SITE_PAGES,
    Page,
    cross_plan,
    environment,
    framework_view,
    plan_views,
    render_agency_units,
    render_index,
    render_page,
    render_plan,
    render_plan_view,
    template_location,
    unit_pages,
    units_index,
)
from .render_json import render_catalogue, render_plan_json
from .search import BUNDLE, filter_choices, index_site
from .translation import ENGLISH, PairCheck, check_pair, editions

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
    sources: dict[str, str] = field(default_factory=dict)
    """A hash of each plan file read, by the path problems name it by (see PlanCache)."""


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
    """Configuration, plans in both languages and glossary, or ContentError listing every problem.
    Plan files are read on all cores."""
    problems = [p for folder in ("templates", "locales") for p in unusable_files(project, Path(folder))]
    results = []
    cache = PlanCache(project)
    with workers() as pool:
        def read(paths: list[Path], names: list[str]) -> list[tuple[m.Plan | None, list[Problem]]]:
            return cache.read(paths, names, pool)

        for loader in (load_config, lambda project: load_plans(project, read), load_glossary, load_frameworks):
            try:
                results.append(loader(project))
            except ContentError as error:
                problems += error.problems
    if problems:
        raise ContentError(problems)
    cache.prune()
    config, plans, glossary, frameworks = results
    if not plans:
        raise ContentError([no_plans()])
    problems = check_mappings(plans, frameworks)
    if problems:
        raise ContentError(problems)
    checks = CheckCache(project, cache.sources, glossary)
    with lasting_objects():
        all_editions, warnings = editions(project, plans, glossary, checks.check)
    checks.prune()
    return Loaded(config, all_editions, glossary, warnings, frameworks, cache.sources)


@contextmanager
def lasting_objects(freeze: bool = True) -> Iterator[None]:
    """Make objects that last as long as the build (plans loaded from the cache, English plans
    completed) without Python's cyclic garbage collector, then move them out of its sight
    (gc.freeze): it would otherwise scan a million of them again and again as they pile up,
    which was more than half of loading a thousand cached plans. Models form no reference
    cycles, so nothing is left uncollected. A long-running process (the preview) does not
    ``freeze`` after every small read: what is frozen is never collected again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


class PlanCache:
    """Plans read by earlier builds, under a hash of the file's bytes and names and of
    everything that reads them (plansite's code, markdown-it-py, PyYAML, Python, the PDF font):
    a file that did not change is not parsed again, and any change to it or to its reader is a
    miss. Files are hashed from the very bytes that are parsed, so an edit during a build
    cannot be cached under the old file's key."""

    def __init__(self, project: Path, freeze: bool = True):
        self.folder = cache_folder(project) / "plans"
        self.freeze = freeze
        """Whether the plans read are frozen out of the garbage collector's sight (see
        :func:`lasting_objects`)."""
        self.sources: dict[str, str] = {}
        """The key of every file read (by its name in problems): what its outputs depend on."""
        self.used: set[str] = set()
        code = sorted(Path(__file__).parent.glob("*.py"))
        self.reader = digest(*(p.read_bytes() for p in code), sys.version, *font_sizes(),
                             *(f"{n} {version(n)}" for n in ("markdown-it-py", "mdit-py-plugins", "pyyaml")))

    def read(self, paths: list[Path], names: list[str], pool: Pool | None
             ) -> list[tuple[m.Plan | None, list[Problem]]]:
        """(plan or None, problems) of each file, in order: from the cache, or read on all cores."""
        results: dict[int, tuple[m.Plan | None, list[Problem]]] = {}
        todo: list[tuple[int, str, bytes]] = []
        used: set[str] = set()
        with lasting_objects(self.freeze):  # before the workers fork: they collect as usual
            for index, (path, name) in enumerate(zip(paths, names, strict=True)):
                if path.stat().st_size > MAX_PLAN_BYTES:
                    results[index] = read_plan_file(path, name)  # refused unread
                    continue
                data = path.read_bytes()
                key = digest(self.reader, path.name, name, data)
                used.add(key)
                self.sources[name] = key
                try:
                    results[index] = pickle.loads((self.folder / f"{key}.pickle").read_bytes())
                except Exception:  # noqa: BLE001 - missing or unreadable: read the file again
                    todo.append((index, key, data))
        jobs = [(data, paths[index].name, names[index]) for index, _, data in todo]
        if jobs:
            drawable(self.folder.parent)  # once, before the workers fork (only when a file needs checking)
        made = pool.map(read_pickled, *zip(*jobs), chunksize=8) if pool and jobs else itertools.starmap(
            read_pickled, jobs)
        self.folder.mkdir(parents=True, exist_ok=True)
        with lasting_objects(self.freeze):
            for (index, key, _), pickled in zip(todo, made, strict=True):
                write_atomically(self.folder / f"{key}.pickle", pickled)
                results[index] = pickle.loads(pickled)
        self.used |= used
        return [results[index] for index in range(len(paths))]

    def prune(self) -> None:
        """Remove the plans no read asked for (files since edited or removed)."""
        prune(self.folder, (".pickle",), {f"{key}.pickle" for key in self.used})


class CheckCache:
    """Translation checks made by earlier builds (:func:`translation.check_pair`: structure,
    status of every item, glossary), under a hash of both plan files' cache keys (which cover
    plansite's code) and of the glossary: a rebuild checks only the pairs whose files changed."""

    def __init__(self, project: Path, sources: dict[str, str], glossary: tuple[m.Term, ...]):
        self.folder = cache_folder(project) / "checks"
        self.sources = sources
        self.glossary = digest(repr(glossary))
        self.used: set[str] = set()

    def check(self, zh: m.Plan, en: m.Plan, glossary: tuple[m.Term, ...]) -> PairCheck:
        files = (self.sources.get(zh.loc.path), self.sources.get(en.loc.path))
        if None in files:  # read without the cache
            return check_pair(zh, en, glossary)
        key = digest(*files, self.glossary)
        self.used.add(key)
        entry = self.folder / f"{key}.pickle"
        try:
            return pickle.loads(entry.read_bytes())
        except Exception:  # noqa: BLE001 - missing or unreadable: check again
            found = check_pair(zh, en, glossary)
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(entry, pickle.dumps(found, pickle.HIGHEST_PROTOCOL))
            return found

    def prune(self) -> None:
        """Remove the checks of pairs no longer read (edited or removed)."""
        prune(self.folder, (".pickle",), {f"{key}.pickle" for key in self.used})


def read_printable(data: bytes, file_name: str, name: str) -> tuple[m.Plan | None, list[Problem]]:
    """A plan file read and checked, including that the PDF's font can draw all of it (in a worker)."""
    plan, problems = read_plan_data(data, file_name, name)
    if plan is not None:
        problems = uncovered_characters(plan)
        plan = None if problems else plan
    return plan, problems


def read_pickled(data: bytes, file_name: str, name: str) -> bytes:
    """:func:`read_printable`, pickled as the cache keeps it (in a worker): the build stores
    the very bytes the worker sends, instead of unpickling and pickling the plan again."""
    return pickle.dumps(read_printable(data, file_name, name), pickle.HIGHEST_PROTOCOL)


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Ctrl-C kept until the block ends, then raised there. Python raises it between any two
    bytecodes, including those of the fork handlers logging runs while a process forks: there
    it is lost and logging's lock stays taken, so the next thread that logs (Pagefind's) waits
    for ever. Blocking the signal also starts forked and spawned workers with it blocked, until
    they ignore it (:func:`start_worker`). Only the main thread receives it, so only it holds it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: held.append(number))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a held Ctrl-C is handled here
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


class Pool(ProcessPoolExecutor):
    """A process pool whose workers start with Ctrl-C held (:func:`ctrl_c_held`): they fork or
    are spawned while jobs are handed over, and a Ctrl-C in the middle would also leave workers
    running that nothing tells to stop, so the build would never exit."""

    def submit(self, fn, /, *args, **kwargs):
        with ctrl_c_held():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def workers(initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[Pool | None]:
    """A pool of one process per core, or None where a pool cannot help (one core) or is unsafe.
    Workers are forked, so they start with the parent's memory (the loaded plans) without
    copying it; forking a process that runs other threads (the preview) can deadlock, so then
    there is no pool and the work is done in this process."""
    cores = os.cpu_count() or 1
    if cores < 2 or threading.active_count() > 1:
        yield None
        return
    with Pool(max_workers=cores, mp_context=multiprocessing.get_context("fork"),
              initializer=start_worker, initargs=(os.getpid(), initializer, initargs)) as pool:
        try:
            yield pool
        except KeyboardInterrupt:  # Ctrl-C: stop at once, not after every pending job
            pool.shutdown(wait=False, cancel_futures=True)
            raise


PR_SET_PDEATHSIG = 1


def start_worker(parent: int, initializer: Callable | None = None, initargs: tuple = ()) -> None:
    """Runs first in every worker process: the worker is killed as soon as the build that
    started it dies (Linux's parent-death signal), so a killed build leaves no workers behind;
    then the pool's own ``initializer``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the build answers it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while it started (Pool)
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the build died before the signal was asked for
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)


def outputs(project: Path, loaded: Loaded, files: dict[str, bytes],
            plans: set[str] | None = None, listings: bool = True) -> Iterator[tuple[str, str]]:
    """Every generated page and data file as (path relative to site/, text), in both languages.
    ``files`` are the downloads already made, so pages can state their sizes. With ``plans``,
    only those plans' pages and data are rendered, and the pages and data listing all plans
    only when ``listings`` (the preview, which leaves the views of their actions to
    :func:`view_outputs`, in the background)."""
    updated = last_updated(project)
    chosen = [e for e in loaded.editions if plans is None or e.zh.id in plans]
    sizes = download_sizes(files)
    for name, group in output_groups(loaded).items():
        if plans is None or name in plans:  # a plan's group is named by its id; agencies' by units/SLUG
            for path, text in group_outputs(project, loaded, name, group, sizes, updated):
                if path.startswith("data/"):  # the data page states their sizes
                    sizes[path] = len(text.encode("utf-8"))
                yield path, text
    if plans is None or (chosen and listings):
        yield from catalogue(loaded, sizes)
    yield from site_outputs(project, loaded, sizes, updated, everything=plans is None, listings=listings)


def download_sizes(files: dict[str, bytes]) -> dict[str, int]:
    """The downloads' sizes in bytes by path, and each PDF's page count under 'PATH#pages': the
    plan pages state both."""
    sizes = {path: len(content) for path, content in files.items()}
    for path, content in files.items():
        pages = page_count(path, content)
        if pages:
            sizes[f"{path}#pages"] = pages
    return sizes


def output_groups(loaded: Loaded) -> dict[str, tuple[m.Edition, ...]]:
    """The outputs that depend on one or a few plans, by name, with those plans: each plan's
    pages and data (named by its id), and each agency's units pages ('units/SLUG'). A build
    reuses a group's files while its plans did not change."""
    groups = {f"units/{slug}": group for slug, group in unit_pages(loaded.editions).items()}  # longest first
    groups.update((edition.zh.id, (edition,)) for edition in loaded.editions)
    return groups


def group_outputs(project: Path, loaded: Loaded, name: str, group: tuple[m.Edition, ...], sizes: dict[str, int],
                  updated: date) -> Iterator[tuple[str, str]]:
    """The files of one output group (see :func:`output_groups`)."""
    if name.startswith("units/"):
        return agency_outputs(project, loaded, name.removeprefix("units/"), group, updated)
    return plan_outputs(project, loaded, group[0], sizes, updated)


VIEWS = {"units", "deadlines", "framework"}
"""The site's pages that show every plan's actions (with the agencies' units pages)."""


def view_outputs(project: Path, loaded: Loaded, agency_names: set[str]) -> Iterator[tuple[str, str]]:
    """The pages that show the actions of many plans, after plans of the agencies named (in
    Chinese) changed: those agencies' units pages and the VIEWS, in both languages (for the
    preview, in the background)."""
    updated = last_updated(project)
    for name, group in output_groups(loaded).items():
        if name.startswith("units/") and group[0].zh.agency.zh in agency_names:
            yield from group_outputs(project, loaded, name, group, {}, updated)
    yield from site_outputs(project, loaded, {}, updated, pages=VIEWS)


def plan_outputs(project: Path, loaded: Loaded, edition: m.Edition, sizes: dict[str, int],
                 updated: date) -> Iterator[tuple[str, str]]:
    """One plan's data (JSON and CSV per language) and its page in both languages: all that
    depends on this plan alone. ``sizes`` need hold only its downloads."""
    for plan in (edition.zh, edition.en):
        if plan is not None:
            tag = "en" if plan.lang == ENGLISH else "zh-Hant"
            yield f"data/plans/{plan.id}.{tag}.json", render_plan_json(plan)
            yield f"data/plans/{plan.id}.{tag}.csv", render_plan_csv(plan)
    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        path = f"plans/{edition.zh.id}/index.html"
        page = Page(lang, prefix + path, ("" if prefix else "en/") + path, edition.en is not None,
                    loaded.config, updated)
        yield prefix + path, render_plan(environment(project, lang), edition, page, sizes)
        for view, which in plan_views(edition):
            path = f"plans/{edition.zh.id}/{view}"
            page = Page(lang, prefix + path, ("" if prefix else "en/") + path, edition.en is not None,
                        loaded.config, updated)
            yield prefix + path, render_plan_view(environment(project, lang), edition, page, which)


def agency_outputs(project: Path, loaded: Loaded, slug: str, group: tuple[m.Edition, ...],
                   updated: date) -> Iterator[tuple[str, str]]:
    """One agency's units page in both languages: it depends on the agency's plans alone."""
    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        path = f"units/{slug}/index.html"
        page = Page(lang, prefix + path, ("" if prefix else "en/") + path, True, loaded.config, updated)
        yield prefix + path, render_agency_units(environment(project, lang), group, page)


def catalogue(loaded: Loaded, sizes: dict[str, int]) -> Iterator[tuple[str, str]]:
    """The list of every plan and the schema of the plan data (their sizes go into ``sizes``)."""
    for path, text in (("data/plans.json", render_catalogue(loaded.editions, loaded.config.base_url)),
                       ("data/plan.schema.json", SCHEMA.read_text(encoding="utf-8"))):
        sizes[path] = len(text.encode("utf-8"))
        yield path, text


def site_outputs(project: Path, loaded: Loaded, sizes: dict[str, int], updated: date, everything: bool = True,
                 listings: bool = True, pages: set[str] | None = None, langs: tuple[str, ...] = (CHINESE, ENGLISH)
                 ) -> Iterator[tuple[str, str]]:
    """The pages about all plans (home, site map, units, deadlines …), the site's other pages,
    the feeds and the site map for search engines. Only the listings when not ``everything``
    (the preview), and only the pages named in ``pages`` (in the languages ``langs``) when
    given; the site-wide files (sitemap.xml, robots.txt) go with Chinese."""
    def wanted(name: str) -> bool:
        return pages is None or name in pages

    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        if lang not in langs:
            continue
        env = environment(project, lang)
        other = "" if prefix else "en/"

        def page(path: str, lang=lang, prefix=prefix, other=other) -> Page:
            return Page(lang, prefix + path, other + path, True, loaded.config, updated)

        if (listings or everything) and wanted("index"):
            yield prefix + "index.html", render_index(env, loaded.editions, page("index.html"))
        if (listings or everything) and wanted("sitemap"):
            yield prefix + "sitemap/index.html", render_page(env, "sitemap.html", page("sitemap/index.html"),
                                                            editions=loaded.editions)
        if not everything:
            continue
        for name, _ in SITE_PAGES:
            if name == "sitemap" or not wanted(name):  # the site map lists plans: rendered above
                continue
            path = f"{name}/index.html"
            values = page_values(project, loaded, sizes, name, lang == ENGLISH)
            yield prefix + path, render_page(env, f"{name}.html", page(path), **values)
        if wanted("404"):
            yield prefix + "404.html", render_page(env, "404.html", replace(page("404.html"), anywhere=True))
    if everything and wanted("feeds"):
        if CHINESE in langs:
            yield "sitemap.xml", render_sitemap(loaded.editions, loaded.config, updated)
            yield "robots.txt", render_robots(loaded.config)
        for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
            if lang in langs:
                yield prefix + "feed.xml", render_feed(loaded.editions, loaded.config, lang, updated)


def page_values(project: Path, loaded: Loaded, sizes: dict[str, int], name: str, english: bool) -> dict:
    """What the template of one of the site's own pages is given."""
    if name == "glossary":
        return {"terms": loaded.glossary}
    if name == "data":
        return {"datasets": datasets(loaded, sizes), "csv_columns": csv_columns(project, ENGLISH if english else CHINESE)}
    if name == "units":
        return units_index(loaded.editions, english)
    if name == "deadlines":
        return cross_plan(loaded.editions, english)
    if name == "framework":
        return framework_view(loaded.editions, loaded.frameworks, english)
    if name == "search":
        return {"choices": filter_choices(loaded.editions, english)}
    return {}


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


def build(project: Path, output: Path, strict: bool = False, downloads: bool = True,
          stamp: Stamp | None = None) -> BuildResult:
    """Build the whole site into ``output``; on any error the old ``output`` stays as it was.
    With ``strict``, warnings (stale or missing translations, glossary misses) are errors.
    Without ``downloads`` (quick previews, benchmarks), no ODT or PDF is made. A ``stamp``
    the caller already read (the command line, before it imported this module) is not read
    again, and that caller checked ``output`` (:func:`publish.prepare_output`). A template
    error is a problem at its template's line."""
    if stamp is None:
        output = prepare_output(project, output)
        stamp = Stamp(project, output, strict, downloads)
    if stamp.unchanged():
        return BuildResult((), 0, stamp.warnings(), unchanged=True)
    tidy_cache(project)
    with template_errors(project):
        return make_site(project, output, strict, downloads, stamp)


def make_site(project: Path, output: Path, strict: bool, downloads: bool, stamp: Stamp) -> BuildResult:
    loaded = load(project)
    if strict and loaded.warnings:
        raise ContentError(loaded.warnings)
    shared = digest_project(project, output, plans=False)
    files = make_downloads(project, loaded, shared) if downloads else {}
    count = 0
    keys = group_keys(project, loaded, files, shared)
    reused = {name: paths for name, (key, paths) in stamp.published().items() if keys.get(name) == key}
    made: dict[str, list[str]] = {}
    def record(stage: Path) -> None:  # the stamp describes the site as it is published
        stamp.record(loaded.warnings, {name: (keys[name], paths) for name, paths in made.items() if name in keys}, stage)

    with staging(output, before_swap=record) as stage:
        folders: set[str] = set()  # made already (a thousand plans' files are in a few thousand folders)
        # each output is written as soon as it is made: a thousand plans' pages never sit in memory
        for relative, data in itertools.chain(generated(project, loaded, files, output.resolve(), reused, made),
                                              files.items()):
            target = os.path.join(stage, relative)
            if (folder := os.path.dirname(target)) not in folders:
                os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            if isinstance(data, Path):  # unchanged since the last build: the published file itself
                try:
                    os.link(data, target)
                except OSError:  # a file system without hard links
                    shutil.copy2(data, target)
            else:
                with open(target, "wb") as out:
                    out.write(data)
            count += 1
        copy_folder(project / "templates" / "assets", stage / "assets")
        if loaded.config.badge:
            shutil.copy(project / loaded.config.badge.image, stage / "assets" / badge_name(loaded.config.badge))
        index_site(stage, loaded.glossary, cache=cache_folder(project) / "search")
        count += sum(1 for folder in ("assets", BUNDLE) for p in (stage / folder).rglob("*") if p.is_file())
    return BuildResult(loaded.editions, count, loaded.warnings)


def generated(project: Path, loaded: Loaded, files: dict[str, bytes], published: Path,
              reused: dict[str, list[str]], made: dict[str, list[str]]) -> Iterator[tuple[str, bytes | Path]]:
    """Every generated page and data file, as :func:`outputs` makes them, but on all cores: the
    workers render the output groups (plans, agencies' units pages) and the pages about all
    plans side by side. The groups in ``reused`` are not rendered: their files are given as
    paths in the ``published`` site. ``made`` receives every group's output paths."""
    updated = last_updated(project)
    sizes = download_sizes(files)
    groups = output_groups(loaded)
    todo = [name for name in groups if name not in reused]
    for name in groups:
        for path in reused.get(name, ()):
            made.setdefault(name, []).append(path)
            file = published / path
            sizes[path] = os.stat(file).st_size
            yield path, file
    state = (project, loaded, groups, sizes, updated)
    with workers(share, state) as pool:
        if pool is None:
            batches = itertools.chain((render_group_outputs(name, state) for name in todo),
                                      (render_site_outputs(task, state) for task in range(len(SITE_TASKS))))
        else:  # the pages about all plans are the longest tasks: they start first
            listings = [pool.submit(render_site_outputs, task) for task in range(len(SITE_TASKS))]
            batches = itertools.chain(pool.map(render_group_outputs, todo, chunksize=4),
                                      (task.result() for task in listings))
        for name, batch in itertools.zip_longest(todo, batches):
            for path, data in batch:
                if path.startswith("data/"):  # the data page states their sizes
                    sizes[path] = len(data)
                if name is not None:
                    made.setdefault(name, []).append(path)
                yield path, data
    for path, text in itertools.chain(catalogue(loaded, sizes),
                                      site_outputs(project, loaded, sizes, updated, pages={"data"})):
        yield path, text.encode("utf-8")


def group_keys(project: Path, loaded: Loaded, files: dict[str, bytes], shared: str) -> dict[str, str]:
    """Per output group, a hash of everything its files depend on: its plans' files, the dates
    shown, their downloads' sizes, and everything in the project that is not a plan
    (templates, catalogs, glossary, settings), plansite's code and the tools' versions. Other
    plans are not in it: a group's files never show them. ``shared`` is the hash of the rest
    (``publish.digest_project`` without the plans)."""
    updated = last_updated(project)
    keys = {}
    for name, group in output_groups(loaded).items():
        parts = []
        for edition in group:
            sources = [loaded.sources.get(plan.loc.path, "") if plan else "-" for plan in (edition.zh, edition.en)]
            downloads = sorted((path, len(data)) for path, data in files.items() if f"/{edition.zh.id}." in path)
            parts.append((edition.zh.id, *sources, edition.source_updated, downloads))
        if all("" not in part for part in parts):  # a file read without the cache is always rendered
            keys[name] = digest(shared, name, updated, *parts)
    return keys


SHARED: tuple = ()
"""In a worker: (project, loaded, output groups, sizes of the downloads, date last updated),
inherited from the build."""

EVERY_PAGE_BUT_DATA = {name for name, _ in SITE_PAGES if name != "data"} | {"index", "404", "feeds"}
SITE_TASKS = ((EVERY_PAGE_BUT_DATA, (CHINESE,)), (EVERY_PAGE_BUT_DATA, (ENGLISH,)))
"""The pages about all plans and the site's own but the data page, in a task per language for
the workers."""


def share(*state) -> None:
    global SHARED
    SHARED = state


def render_group_outputs(name: str, state: tuple = ()) -> list[tuple[str, bytes]]:
    """One output group's files, encoded: in a worker (``state`` shared), or here (``state`` given)."""
    project, loaded, groups, sizes, updated = state or SHARED
    with template_errors(project):
        return [(path, text.encode("utf-8"))
                for path, text in group_outputs(project, loaded, name, groups[name], sizes, updated)]


def render_site_outputs(task: int, state: tuple = ()) -> list[tuple[str, bytes]]:
    """One of SITE_TASKS, encoded (the data page, which states the sizes of every plan's data,
    is made last, by the build itself)."""
    project, loaded, _, sizes, updated = state or SHARED
    pages, langs = SITE_TASKS[task]
    with template_errors(project):
        return [(path, text.encode("utf-8"))
                for path, text in site_outputs(project, loaded, sizes, updated, pages=pages, langs=langs)]


@contextmanager
def template_errors(project: Path) -> Iterator[None]:
    """A template error as a problem at its line: in a worker, where the traceback that tells
    the line is still at hand (it does not survive the way back to the build)."""
    try:
        yield
    except jinja2.TemplateError as error:
        where, line = template_location(error, project)
        raise ContentError([Problem(where, line, f"template error: {error.message}")]) from None


# ---------------------------------------------------------------- downloads (formats.FORMATS)


@dataclass(frozen=True)
class Job:
    """One download to make: a plan's file in one format, from what its format's source says."""

    path: str
    """Where it goes in site/, e.g. 'downloads/mof-2017.en.pdf'."""
    renderer: str
    """The format's function making the file, 'module:function' (see formats.Format.renderer)."""
    payload: tuple
    key: str
    """A hash of everything the file depends on: the cache never serves a stale file."""


def download_jobs(project: Path, loaded: Loaded, shared: str | None = None
                  ) -> list[tuple[str, str | None, Callable[[], Job]]]:
    """Every download as (path, inputs key, a function making its job), plan by plan in each
    format of ``formats.FORMATS`` that applies to it. The job's own key is a hash of what the
    file is made from (its format's ``source``: the print HTML, the ODT's model), so making it
    means rendering; the inputs key, a hash of the files the job is made from (``shared``:
    everything in the project but the plans, with plansite's code and the tools' versions; the
    plan's two files and its dates; the format's fingerprint), costs nothing, so a rebuild
    looks each download up by it first. Without ``shared`` (or for a file read without the
    cache) there is no inputs key."""
    stamp = datetime.combine(last_updated(project), datetime.min.time(), tzinfo=UTC)
    chosen = formats.FORMATS
    fingerprints = {format.kind: format.fingerprint() for format in chosen}

    def job(format: formats.Format, plan: m.Plan) -> Job:
        payload, parts = format.source(plan, project, loaded.config, stamp)
        key = digest(format.kind, fingerprints[format.kind], *parts)
        return Job(format.path(plan), format.renderer(), payload, key)

    jobs = []
    for lang in (CHINESE, ENGLISH):
        for edition in loaded.editions:
            plan = edition.en if lang == ENGLISH else edition.zh
            if plan is None:
                continue
            files = [loaded.sources.get(p.loc.path) if p else "-" for p in (edition.zh, edition.en)]
            for format in chosen:
                if not format.plans(plan):
                    continue
                path = format.path(plan)
                inputs = digest(shared, fingerprints[format.kind], path, *files, stamp.isoformat(),
                                edition.source_updated.isoformat()) if shared and None not in files else None
                jobs.append((path, inputs, functools.partial(job, format, plan)))
    return jobs


def make_downloads(project: Path, loaded: Loaded, shared: str | None = None) -> dict[str, bytes]:
    """Every download (see :func:`download_jobs`): from the cache when their inputs did not
    change, otherwise made in parallel on all cores (PDF is the slow part). The cache has two
    levels: a download's inputs key (see :func:`download_jobs`) names its job's key, and the
    job's key names the file. So a rebuild finds unchanged plans' files without rendering their
    print HTML (at a thousand plans that was 20 s), and an edit that leaves the print HTML as it
    was (a web template, another plan's translation) still reuses the file once that HTML is
    rendered. What this build did not use is removed once all are made, so the cache holds one
    site's downloads, not every version of every plan ever built."""
    cache = cache_folder(project) / "downloads"
    known = cache / "inputs"
    known.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    used: set[str] = set()  # the names of the cache's files this build reads or writes
    todo = []
    jobs = download_jobs(project, loaded, shared)
    for path, inputs, make_job in jobs:
        entry = known / f"{inputs}.key" if inputs else None
        key = read_key(entry) if entry else None
        data = cached_download(cache, path, key)
        if data is None:
            job = make_job()
            key = job.key
            if entry:
                write_atomically(entry, key.encode("ascii"))
            data = cached_download(cache, path, key)
            if data is None:
                todo.append(job)
        if entry:
            used.add(entry.name)
        used.add(f"{key}{Path(path).suffix}")
        if data is not None:
            files[path] = data
    if todo:
        workers = min(len(todo), os.cpu_count() or 1)
        # fork is fastest, but forking a process that runs other threads (the preview) can deadlock
        method = "fork" if threading.active_count() == 1 else "spawn"
        with Pool(max_workers=workers, mp_context=multiprocessing.get_context(method),
                  initializer=start_worker, initargs=(os.getpid(),)) as pool:
            for job, data in zip(todo, pool.map(make_download, todo), strict=True):
                files[job.path] = data
                write_atomically(cache / f"{job.key}{Path(job.path).suffix}", data)
    prune(cache, ("",), used | {known.name})  # a file of a format no longer made goes too
    prune(known, (".key",), used)
    return {path: files[path] for path, _, _ in jobs}


def read_key(entry: Path) -> str | None:
    """The job key an inputs entry names, if there is one."""
    try:
        return entry.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None


def cached_download(cache: Path, path: str, key: str | None) -> bytes | None:
    """The cached file of the download at ``path`` whose job has this key, if it was made."""
    try:
        return (cache / f"{key}{Path(path).suffix}").read_bytes() if key else None
    except OSError:
        return None


def make_download(job: Job) -> bytes:
    """Runs in a worker process: imports its format's renderer (the parent may not have)."""
    try:
        return formats.render(job.renderer, *job.payload)
    except DocumentError as error:
        what = Path(job.path).suffix.removeprefix(".").upper()
        raise ContentError([Problem(job.path, 1, f"the {what} could not be made: {error}",
                                    error.hint)]) from None


def badge_name(badge) -> str:
    """The accessibility badge's file name in site/assets/."""
    return "accessibility-badge" + badge.image.suffix.lower()
