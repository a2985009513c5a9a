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
from .project import commit_dates, last_changed, last_updated
from .publish import (
    Stamp,
    cache_folder,
    digest,
    digest_project,
    prepare_output,
    prune,
    staging,
    sync,
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
    sources = Sources(project)
    loaded = sources.load()
    sources.prune()
    return loaded


class Sources:
    """What a site is made from, read and checked, for the build and the preview alike. It
    remembers what it read: loading again re-reads only the files whose bytes changed (or,
    given the files a save touched, only those), and works translation status out again only
    for the plans whose files, dates or glossary changed. A build loads once; the preview
    loads after every save, so an edit costs one plan, not a thousand."""

    def __init__(self, project: Path, freeze: bool = True):
        self.project = project
        self.cache = PlanCache(project, freeze)
        self.known: dict[Path, tuple[str, m.Plan | None, list[Problem]]] = {}
        """Plan file → (its cache key, its plan, its problems)."""
        self.translated: dict[str, tuple[tuple, m.Edition | None, list[Problem]]] = {}
        """Plan id → (what its edition depends on, the edition, its warnings)."""
        self.checks: CheckCache | None = None
        self.changed: set[str] = set()
        """The ids of the plans whose editions the last load made anew (or removed)."""

    @property
    def freeze(self) -> bool:
        return self.cache.freeze

    @freeze.setter
    def freeze(self, value: bool) -> None:
        self.cache.freeze = value

    def load(self, saved: set[Path] | None = None) -> Loaded:
        """Everything checked, or ContentError listing every problem. ``saved``: the files a
        save touched (the preview); a plan file outside it is taken as last read."""
        last_changed.cache_clear()  # dates shown come from commits or file times: both move
        commit_dates.cache_clear()
        project = self.project
        problems = [p for folder in ("templates", "locales") for p in unusable_files(project, Path(folder))]
        results = []
        with workers() as pool:
            def read(paths: list[Path], names: list[str]) -> list[tuple[m.Plan | None, list[Problem]]]:
                return self.read(paths, names, pool, saved)

            loaders = (load_config, lambda project: load_plans(project, read), load_glossary, load_frameworks)
            for loader in loaders:
                try:
                    results.append(loader(project))
                except ContentError as error:
                    problems += error.problems
        if problems:
            raise ContentError(problems)
        config, plans, glossary, frameworks = results
        if not plans:
            raise ContentError([no_plans()])
        problems = check_mappings(plans, frameworks)
        if problems:
            raise ContentError(problems)
        self.checks = CheckCache(project, self.cache.sources, glossary)
        with lasting_objects(self.freeze):
            all_editions, warnings = self.editions(plans, glossary)
        return Loaded(config, all_editions, glossary, warnings, frameworks, dict(self.cache.sources))

    def read(self, paths: list[Path], names: list[str], pool: Pool | None, saved: set[Path] | None
             ) -> list[tuple[m.Plan | None, list[Problem]]]:
        """(plan or None, problems) of each file: as last read when its bytes are the same
        (not even looked at when a save did not touch it), else through the cache."""
        results: dict[int, tuple[m.Plan | None, list[Problem]]] = {}
        unread: list[int] = []
        for index, (path, name) in enumerate(zip(paths, names, strict=True)):
            known = self.known.get(path)
            if known is not None and saved is not None and path not in saved:
                self.cache.sources[name] = known[0]
                results[index] = known[1:]
                continue
            if known is not None and path.stat().st_size <= MAX_PLAN_BYTES:
                key = self.cache.key(path, name, path.read_bytes())
                if key == known[0]:
                    self.cache.sources[name] = key
                    self.cache.used.add(key)
                    results[index] = known[1:]
                    continue
            unread.append(index)
        found = self.cache.read([paths[i] for i in unread], [names[i] for i in unread], pool)
        for index, result in zip(unread, found, strict=True):
            results[index] = result
            key = self.cache.sources.get(names[index])
            if key is not None:
                self.known[paths[index]] = (key, *result)
            else:  # refused unread (too big): looked at again every time
                self.known.pop(paths[index], None)
        for gone in set(self.known) - set(paths):
            del self.known[gone]
        return [results[index] for index in range(len(paths))]

    def editions(self, plans: tuple[m.Plan, ...], glossary: tuple[m.Term, ...]
                 ) -> tuple[tuple[m.Edition, ...], list[Problem]]:
        """:func:`translation.editions`, plan by plan: a plan's edition is made again only when
        what it depends on changed (its files, the date of its Chinese file, the glossary, the
        catalogs English plans are completed from)."""
        by_id: dict[str, list[m.Plan]] = {}
        for plan in plans:
            by_id.setdefault(plan.id, []).append(plan)
        catalogs = sorted((self.project / "locales").rglob("*.po"))
        context = digest(repr(glossary), *(p.read_bytes() for p in catalogs))
        self.changed = set()
        orphans: list[Problem] = []  # English files without a Chinese one: told first, as editions() does
        errors: list[Problem] = []
        for plan_id, pair in sorted(by_id.items()):
            chinese = [p for p in pair if p.lang != ENGLISH]
            updated = last_changed(self.project, Path(chinese[0].loc.path)) if chinese else None
            key = (tuple(self.cache.sources.get(p.loc.path) for p in pair), updated, context)
            known = self.translated.get(plan_id)
            if known is None or known[0] != key or None in key[0]:
                try:
                    made, warnings = editions(self.project, tuple(pair), glossary, self.checks.check)
                except ContentError as error:
                    self.translated.pop(plan_id, None)
                    (errors if chinese else orphans).extend(error.problems)
                    continue
                self.translated[plan_id] = known = (key, made[0] if made else None, warnings)
                self.changed.add(plan_id)
        for gone in set(self.translated) - set(by_id):
            del self.translated[gone]
            self.changed.add(gone)
        if orphans or errors:
            raise ContentError(orphans + errors)
        chosen = [self.translated[i] for i in sorted(self.translated)]
        return (tuple(edition for _, edition, _ in chosen if edition),
                [w for _, _, warnings in chosen for w in warnings])

    def prune(self) -> None:
        """Remove the cached plans and checks no load asked for (a build, once it loaded)."""
        self.cache.prune()
        if self.checks is not None:
            self.checks.prune()


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

    def key(self, path: Path, name: str, data: bytes) -> str:
        """The cache key of a plan file's bytes, read as ``name``."""
        return digest(self.reader, path.name, name, data)

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
                key = self.key(path, name, data)
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


def group_outputs(project: Path, loaded: Loaded, name: str, group: tuple[m.Edition, ...],
                  sizes: dict[str, int], updated: date) -> Iterator[tuple[str, str]]:
    """The files of one output group (see :func:`output_groups`)."""
    if name.startswith("units/"):
        return agency_outputs(project, loaded, name.removeprefix("units/"), group, updated)
    return plan_outputs(project, loaded, group[0], sizes, updated)


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


def site_outputs(project: Path, loaded: Loaded, sizes: dict[str, int], updated: date,
                 pages: set[str] | None = None, langs: tuple[str, ...] = (CHINESE, ENGLISH)
                 ) -> Iterator[tuple[str, str]]:
    """The pages about all plans (home, site map, units, deadlines …), the site's other pages,
    the feeds and the site map for search engines; only the pages named in ``pages`` (in the
    languages ``langs``) when given. The site-wide files (sitemap.xml, robots.txt) go with
    Chinese."""
    def wanted(name: str) -> bool:
        return pages is None or name in pages

    for lang, prefix in ((CHINESE, ""), (ENGLISH, "en/")):
        if lang not in langs:
            continue
        env = environment(project, lang)
        other = "" if prefix else "en/"

        def page(path: str, lang=lang, prefix=prefix, other=other) -> Page:
            return Page(lang, prefix + path, other + path, True, loaded.config, updated)

        if wanted("index"):
            yield prefix + "index.html", render_index(env, loaded.editions, page("index.html"))
        if wanted("sitemap"):
            yield prefix + "sitemap/index.html", render_page(env, "sitemap.html", page("sitemap/index.html"),
                                                            editions=loaded.editions)
        for name, _ in SITE_PAGES:
            if name == "sitemap" or not wanted(name):  # the site map lists plans: rendered above
                continue
            path = f"{name}/index.html"
            values = page_values(project, loaded, sizes, name, lang == ENGLISH)
            yield prefix + path, render_page(env, f"{name}.html", page(path), **values)
        if wanted("404"):
            yield prefix + "404.html", render_page(env, "404.html", replace(page("404.html"), anywhere=True))
    if wanted("feeds"):
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
        return {"datasets": datasets(loaded, sizes),
                "csv_columns": csv_columns(project, ENGLISH if english else CHINESE)}
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
    return Engine(project, output, strict, downloads).update(stamp)


class Engine:
    """The one engine behind ``build`` and ``serve``: it brings a site up to date with its
    sources. Every file of the site is an output of a group (a plan's pages and data, an
    agency's units pages) whose key names what it depends on (:func:`group_keys`), or one of
    the pages about all plans, the downloads, the assets and the search index. An update
    renders what the published site does not already hold, in a staging folder, and then
    publishes it: swapped in whole for a build, or synced file by file into the folder the
    preview serves (``live``). So a preview's site is a build's site, by construction.

    The preview also asks for :meth:`quick` after each save: the pages of the changed plans at
    once, written into the live folder, while the update that follows in the background brings
    everything else (downloads, the sizes pages state, the pages about all plans, search)."""

    def __init__(self, project: Path, output: Path, strict: bool = False, downloads: bool = True,
                 live: bool = False):
        self.project, self.output = project, output.resolve()
        self.strict, self.downloads, self.live = strict, downloads, live
        self.sources = Sources(project, freeze=not live)
        self.files: dict[str, bytes] = {}
        """The downloads as last made (the preview's pages state their sizes)."""
        self.published: dict[str, tuple[str, list[str]]] | None = None
        """Per output group, (key, paths) as the live folder holds them; None: ask the stamp."""
        self.lock = threading.RLock()
        """Held while the sources are read and while the live folder is written."""
        self.generation = 0
        """Counts quick updates: an update that began before one publishes nothing (a later one will)."""

    def update(self, stamp: Stamp | None = None) -> BuildResult | None:
        """Bring every output up to date and publish; None when a live update was overtaken by
        a save (a later update publishes)."""
        project, output = self.project, self.output
        with self.lock, template_errors(project):
            stamp = stamp or Stamp(project, output, self.strict, self.downloads)
            generation = self.generation
            loaded = self.sources.load()
            published = stamp.published() if self.published is None else dict(self.published)
        if not self.live:
            self.sources.prune()
        if self.strict and loaded.warnings:
            raise ContentError(loaded.warnings)
        shared = digest_project(project, output, plans=False)
        files = make_downloads(project, loaded, shared) if self.downloads else {}
        keys = group_keys(project, loaded, files, shared)
        reused = {name: paths for name, (key, paths) in published.items() if keys.get(name) == key}
        made: dict[str, list[str]] = {}

        def groups() -> dict[str, tuple[str, list[str]]]:
            return {name: (keys[name], paths) for name, paths in made.items() if name in keys}

        def record(stage: Path) -> None:  # the stamp describes the site as it is published
            stamp.record(loaded.warnings, groups(), stage)

        def sync_live(stage: Path) -> None:
            with self.lock:
                if self.generation != generation:
                    raise Overtaken
                sync(stage, output)
                self.published, self.files = groups(), files
                record(output)

        count = 0
        try:
            with template_errors(project), staging(output, before_swap=record,
                                                   publish=sync_live if self.live else None) as stage:
                # the folders made already (a thousand plans' files are in a few thousand folders)
                folders: set[str] = set()
                # each output is written as soon as it is made: a thousand plans' pages never sit in memory
                for relative, data in itertools.chain(generated(project, loaded, files, output, reused, made),
                                                      files.items(), assets(project, loaded.config)):
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
                index_site(stage, loaded.glossary, cache=cache_folder(project) / "search")
                count += sum(1 for p in (stage / BUNDLE).rglob("*") if p.is_file())
        except Overtaken:
            return None
        return BuildResult(loaded.editions, count, loaded.warnings)

    def quick(self, saved: set[Path] | None) -> tuple[Loaded, list[str]]:
        """After a save (the preview): read what it touched and write, into the live folder, the
        files of every output group whose key changed, with the downloads' sizes as last made.
        Returns what was loaded and the paths written. The pages about all plans, the downloads
        and search follow in the next :meth:`update`, which also renders again any page whose
        downloads' sizes changed meanwhile."""
        project = self.project
        with self.lock, template_errors(project):
            self.generation += 1
            loaded = self.sources.load(saved)
            if self.published is None:
                self.published = Stamp(project, self.output, self.strict, self.downloads).published()
            shared = digest_project(project, self.output, plans=False)
            keys = group_keys(project, loaded, self.files, shared)
            updated = last_updated(project)
            sizes = download_sizes(self.files)
            texts: dict[str, str] = {}
            for name, group in output_groups(loaded).items():
                if name in keys and self.published.get(name, ("",))[0] == keys[name]:
                    continue
                paths = []
                for path, text in group_outputs(project, loaded, name, group, sizes, updated):
                    texts[path] = text
                    paths.append(path)
                if name in keys:
                    self.published[name] = (keys[name], paths)
            return loaded, write_changed(self.output, texts)


class Overtaken(Exception):
    """A live update whose sources changed while it ran: it publishes nothing."""


def write_changed(site: Path, texts: dict[str, str | bytes]) -> list[str]:
    """Write each file whose content differs, whole (a page being served is never half
    written); returns the paths written."""
    written = []
    for relative, text in texts.items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        target = site / relative
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
        written.append(relative)
    return written


def assets(project: Path, config: SiteConfig) -> Iterator[tuple[str, bytes]]:
    """The site's static files (stylesheets, scripts, fonts, pictures) and the badge."""
    source = project / "templates" / "assets"
    for folder, _, names in os.walk(source):
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, "rb") as file:
                yield f"assets/{os.path.relpath(path, source).replace(os.sep, '/')}", file.read()
    if config.badge:
        yield f"assets/{badge_name(config.badge)}", (project / config.badge.image).read_bytes()


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
            sources = [loaded.sources.get(plan.loc.path, "") if plan else "-"
                       for plan in (edition.zh, edition.en)]
            downloads = sorted((path, len(data)) for path, data in files.items()
                               if f"/{edition.zh.id}." in path)
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
