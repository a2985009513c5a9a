"""What a site is made from: configuration, plans in both languages, glossary and
frameworks, read and checked, through the caches of plans read and translations checked."""

from __future__ import annotations

import gc
import itertools
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import model as m
from .attachments import check_files
from .cache import Store, digest, fingerprint
from .config import SiteConfig, load_config
from .content import (
    MAX_PLAN_BYTES,
    agency_names,
    check_mappings,
    load_frameworks,
    load_glossary,
    load_plans,
    no_plans,
    read_plan_data,
    read_plan_file,
)
from .errors import ContentError, Problem
from .fonts import drawable, drawable_key, font_sizes, uncovered_characters
from .i18n import catalog_problems, catalogs_read
from .inputs import unusable_files
from .project import CONFIG_FILE, FRAMEWORKS_FILE, GLOSSARY_FILE, forget_dates, last_changed
from .publish import cache_folder
from .site_paths import EN
from .translation import PairCheck, check_measure_names, check_pair, editions
from .workers import Pool, collected_after, workers


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
    made_from: dict[str, str] = field(default_factory=dict)
    """By plan id, a hash of everything its edition is made from (its files, the date shown,
    the glossary, the catalogs, plansite's code): equal hashes, equal editions. Missing for a
    plan read without the cache."""


def load(project: Path) -> Loaded:
    """Configuration, plans in both languages and glossary, or ContentError listing every problem.
    Plan files are read on all cores."""
    forget_dates()
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
        self.made_from: dict[str, str] = {}
        """Plan id → a hash of what its edition depends on (see ``Loaded.made_from``)."""
        self.settings: dict[Path | str, object] = {}
        """site.yml, the glossary and the frameworks as last read (or their ContentError)."""
        self.checks: CheckCache | None = None
        self.completed = Store(cache_folder(project) / "editions")
        """Each plan's English edition as completed by an earlier build, with its translation
        status and warnings, under the hash of what it depends on (``made_from``)."""
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
        project = self.project
        problems = [p for folder in ("templates", "locales") for p in unusable_files(project, Path(folder))]
        unused = [] if problems else catalog_problems(project)
        problems += [p for p in unused if not p.warning]
        unused = [p for p in unused if p.warning]  # entries the pages do not use: told, not refused
        results = []
        with workers() as pool:
            def read(paths: list[Path], names: list[str]) -> list[tuple[m.Plan | None, list[Problem]]]:
                return self.read(paths, names, pool, saved)

            def unchanged(path: Path) -> bool:
                return saved is not None and path not in saved and path in self.known

            loaders = ((CONFIG_FILE, load_config),
                       (None, lambda project: load_plans(project, read, unchanged)),
                       (GLOSSARY_FILE, load_glossary), (FRAMEWORKS_FILE, load_frameworks))
            for file, loader in loaders:  # a settings file a save did not touch is taken as last read
                touched = saved is None or project / file in saved if file else True
                found = None if touched else self.settings.get(file)
                if found is None:
                    try:
                        found = loader(project)
                    except ContentError as error:
                        found = error
                    if file:
                        self.settings[file] = found
                if isinstance(found, ContentError):
                    problems += found.problems
                else:
                    results.append(found)
        if problems:
            raise ContentError(problems)
        config, plans, glossary, frameworks = results
        if not plans:
            raise ContentError([no_plans()])
        self.checks = CheckCache(project, self.cache.sources, glossary)
        problems = self.checks.mappings(plans, frameworks)
        if problems:
            raise ContentError(problems)
        plans = check_files(project, plans, self.cache.sources)  # every load: a file may change alone
        with lasting_objects(self.freeze):
            all_editions, warnings = self.editions(plans, glossary)
        warnings = [*unused, *check_measure_names(frameworks, glossary), *agency_names(plans), *warnings]
        return Loaded(config, all_editions, glossary, warnings, frameworks, dict(self.cache.sources),
                      dict(self.made_from))

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
                    self.cache.store.keep(key)
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
        context = digest(repr(glossary), repr(catalogs_read(self.project)))
        self.changed = set()
        orphans: list[Problem] = []  # English files without a Chinese one: told first, as editions() does
        errors: list[Problem] = []
        for plan_id, pair in sorted(by_id.items()):
            chinese = [p for p in pair if p.lang != EN.code]
            updated = last_changed(self.project, Path(chinese[0].loc.path)) if chinese else None
            key = (tuple(self.cache.sources.get(p.loc.path) for p in pair), updated, context)
            known = self.translated.get(plan_id)
            if known is None or known[0] != key or None in key[0]:
                try:
                    made_from = None if None in key[0] else digest(repr(key))
                    made, warnings = self.edition(pair, glossary, made_from)
                except ContentError as error:
                    self.translated.pop(plan_id, None)
                    self.made_from.pop(plan_id, None)
                    (errors if chinese else orphans).extend(error.problems)
                    continue
                self.translated[plan_id] = known = (key, made[0] if made else None, warnings)
                self.changed.add(plan_id)
                if made_from is None:  # a file read without the cache
                    self.made_from.pop(plan_id, None)
                else:
                    self.made_from[plan_id] = made_from
            elif plan_id in self.made_from:
                self.completed.keep(self.made_from[plan_id])
                if self.checks is not None:
                    self.checks.keep(pair)
        for gone in set(self.translated) - set(by_id):
            del self.translated[gone]
            self.made_from.pop(gone, None)
            self.changed.add(gone)
        if orphans or errors:
            raise ContentError(orphans + errors)
        chosen = [self.translated[i] for i in sorted(self.translated)]
        return (tuple(edition for _, edition, _ in chosen if edition),
                [w for _, _, warnings in chosen for w in warnings])

    def edition(self, pair: list[m.Plan], glossary: tuple[m.Term, ...], made_from: str | None
                ) -> tuple[tuple[m.Edition, ...], list[Problem]]:
        """:func:`translation.editions` of one plan's files, or, when an earlier build made it
        from the same files, date, glossary and catalogs (``made_from``), that build's English
        plan, status and warnings: completing a thousand English plans again took 3 s of a
        one-plan rebuild (docs/performance.md). The Chinese plan is not kept twice: it is the
        one just read."""
        checked = []

        def make() -> tuple[tuple[tuple[m.Plan | None, dict], ...], list[Problem]]:
            checked.append(pair)
            made, warnings = editions(self.project, tuple(pair), glossary, self.checks.check)
            return tuple((e.en, e.status) for e in made), warnings

        def whole(value) -> bool:  # (English plans and statuses, one per Chinese file; warnings)
            return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple)
                    and len(value[0]) == len(chinese) and all(len(e) == 2 for e in value[0]))

        chinese = [p for p in pair if p.lang != EN.code]
        english, warnings = (make() if made_from is None  # a file read without the cache: no key
                             else self.completed.get_or_make(made_from, make, whole=whole))
        if not checked and self.checks is not None:  # taken from the cache: its checks hold still
            self.checks.keep(pair)
        made = tuple(m.Edition(zh, en, status, last_changed(self.project, Path(zh.loc.path)))
                     for zh, (en, status) in zip(chinese, english, strict=True))
        return made, warnings

    def prune(self) -> None:
        """Remove the cached plans, checks and editions no load asked for (a build, once it loaded)."""
        self.cache.prune()
        self.completed.prune()
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
    """Plans read by earlier builds, under a hash of the file's bytes and names, of the PDF's
    font (reading checks it can draw every character) and of plansite's code and tools
    (:func:`cache.fingerprint`): a file that did not change is not parsed again, and any change
    to it or to its reader is a miss. Files are hashed from the very bytes that are parsed, so
    an edit during a build cannot be cached under the old file's key."""

    def __init__(self, project: Path, freeze: bool = True):
        self.store = Store(cache_folder(project) / "plans")
        self.freeze = freeze
        """Whether the plans read are frozen out of the garbage collector's sight (see
        :func:`lasting_objects`)."""
        self.sources: dict[str, str] = {}
        """The key of every file read (by its name in problems): what its outputs depend on."""
        self.reader = fingerprint(*font_sizes())

    def key(self, path: Path, name: str, data: bytes) -> str:
        """The cache key of a plan file's bytes, read as ``name``."""
        return digest(self.reader, path.name, name, data)

    def read(self, paths: list[Path], names: list[str], pool: Pool | None
             ) -> list[tuple[m.Plan | None, list[Problem]]]:
        """(plan or None, problems) of each file, in order: from the cache, or read on all cores."""
        results: dict[int, tuple[m.Plan | None, list[Problem]]] = {}
        todo: list[tuple[int, str, bytes]] = []
        with lasting_objects(self.freeze):  # before the workers fork: they collect as usual
            for index, (path, name) in enumerate(zip(paths, names, strict=True)):
                if path.stat().st_size > MAX_PLAN_BYTES:
                    results[index] = read_plan_file(path, name)  # refused unread
                    continue
                data = path.read_bytes()
                key = self.key(path, name, data)
                self.sources[name] = key
                try:
                    results[index] = pickle.loads(self.store.read(key))
                except Exception:  # noqa: BLE001 - missing or unreadable: read the file again
                    todo.append((index, key, data))
        jobs = [(data, paths[index].name, names[index]) for index, _, data in todo]
        if jobs:
            drawable(self.store)  # once, before the workers fork (only when a file needs checking)
        made = pool.map(read_pickled, *zip(*jobs), chunksize=8) if pool and jobs else itertools.starmap(
            read_pickled, jobs)
        with lasting_objects(self.freeze):
            for (index, key, _), pickled in zip(todo, made, strict=True):
                self.store.write(key, pickled)
                results[index] = pickle.loads(pickled)
        return [results[index] for index in range(len(paths))]

    def prune(self) -> None:
        """Remove the plans no read asked for (files since edited or removed); the font's code
        points stay while the font and its reader are the same."""
        self.store.keep(drawable_key())
        self.store.prune()


class CheckCache:
    """Translation checks made by earlier builds (:func:`translation.check_pair`: structure,
    status of every item, glossary), under a hash of both plan files' cache keys (which cover
    plansite's code and tools) and of the glossary, and each plan's framework mapping checked
    (:meth:`mappings`): a rebuild checks only the plans whose files changed."""

    def __init__(self, project: Path, sources: dict[str, str], glossary: tuple[m.Term, ...]):
        self.store = Store(cache_folder(project) / "checks")
        self.sources = sources
        self.glossary = digest(repr(glossary))

    def check(self, zh: m.Plan, en: m.Plan, glossary: tuple[m.Term, ...]) -> PairCheck:
        files = (self.sources.get(zh.loc.path), self.sources.get(en.loc.path))
        if None in files:  # read without the cache
            return check_pair(zh, en, glossary)
        return self.store.get_or_make(digest(*files, self.glossary), lambda: check_pair(zh, en, glossary))

    def keep(self, pair: list[m.Plan]) -> None:
        """Keep the checks of a plan whose edition was taken from the cache without them: they
        hold for its files still, and pruning a thousand after a first build took 0.3 s."""
        files = [self.sources.get(plan.loc.path) for plan in pair]
        if len(pair) == 2 and pair[0].lang != pair[1].lang and None not in files:
            zh, en = sorted(pair, key=lambda plan: plan.lang == EN.code)
            self.store.keep(digest(self.sources[zh.loc.path], self.sources[en.loc.path], self.glossary))

    def mappings(self, plans: tuple[m.Plan, ...], frameworks: tuple[m.Framework, ...]) -> list[Problem]:
        """:func:`frameworks.check_mappings`, plan by plan, under the plan file's key and the
        frameworks: checking that a plan's mapping counts every action once reads its
        sections, which a rebuild otherwise leaves packed for every plan but the changed ones."""
        known = digest(repr(frameworks))
        problems: list[Problem] = []
        for plan in plans:
            if plan.framework is None:
                continue
            key = self.sources.get(plan.loc.path)
            if key is None:  # read without the cache
                problems += check_mappings((plan,), frameworks)
                continue
            problems += self.store.get_or_make(digest("mappings", key, known),
                                               lambda plan=plan: check_mappings((plan,), frameworks),
                                               whole=lambda value: isinstance(value, list))
        return problems

    def prune(self) -> None:
        """Remove the checks of pairs no longer read (edited or removed)."""
        self.store.prune()


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
    with collected_after():
        return pickle.dumps(read_printable(data, file_name, name), pickle.HIGHEST_PROTOCOL)
