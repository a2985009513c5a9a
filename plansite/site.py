"""Site stage: load everything, render every output, and publish ``site/`` atomically.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from pathlib import Path

from . import model as m
from .cache import Store, digest
from .downloads import make_downloads
from .errors import ContentError, MachineError
from .i18n import fill_faults
from .outputs import (
    Summaries,
    assets,
    download_sizes,
    generated,
    group_keys,
    output_groups,
    plan_outputs,
    template_errors,
)
from .project import PLANS_DIR, forget_dates, last_updated
from .publish import (
    SPARE,
    WRITTEN_MEANWHILE,
    Stamp,
    Writer,
    cache_folder,
    digest_project,
    digest_site,
    prepare_output,
    remember_written,
    staging,
    sync,
    tidy_cache,
    write_atomically,
)
from .search import BUNDLE, index_site, page_digest
from .sources import Loaded, Sources


@dataclass(frozen=True, slots=True)
class BuildResult:
    editions: tuple[m.Edition, ...]
    files: int
    """How many files were written."""
    warnings: list
    """The warnings (problems; as text when the build was skipped)."""
    unchanged: bool = False
    """True when nothing the site depends on changed since the last build, so none was made."""


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
        self.shared: str | None = None
        """The hash of everything but the plans as the live folder was last made from."""
        self.summaries = Summaries(Store(cache_folder(project) / "summaries"))
        """What the pages about all plans show of each edition, hashed (see ``group_keys``)."""

    def update(self, stamp: Stamp | None = None, whole: bool = False) -> BuildResult | None:
        """Bring every output up to date and publish; None when a live update was overtaken by
        a save (a later update publishes). ``whole``: publish as a build does, swapping the
        folder in whole, even for the preview (its first build, before anything is served)."""
        project, output = self.project, self.output
        live = self.live and not whole
        with self.lock, template_errors(project):
            stamp = stamp or Stamp(project, output, self.strict, self.downloads)
            generation = self.generation
            if self.published is None:  # the published site's files will be asked for
                stamp.survey_ahead()
            loaded = self.sources.load()
            published = stamp.published() if self.published is None else dict(self.published)
        if not live:
            self.sources.prune()
        if self.strict and loaded.warnings:
            raise ContentError(loaded.warnings)
        if not live:  # a file put into the published site by hand would go with it
            stamp.refuse_foreign()
        shared = stamp.shared
        # after a build whose inputs were written meanwhile, the downloads are looked up by what
        # they are made from only, never by the inputs' hash it filed them under
        made_with = digest(shared, WRITTEN_MEANWHILE) if stamp.distrusted else shared
        files = make_downloads(project, loaded, made_with) if self.downloads else {}
        keys = group_keys(project, loaded, files, shared, self.summaries)
        if not live:
            self.summaries.store.prune()
        reused = {name: paths for name, (key, paths) in published.items() if keys.get(name) == key}
        made: dict[str, list[str]] = {}

        def groups() -> dict[str, tuple[str, list[str]]]:
            return {name: (keys[name], paths) for name, paths in made.items() if name in keys}

        def record(stage: Path) -> None:  # the stamp describes the site as it is published
            if stamp.swapped_meanwhile():
                raise MachineError(output, "another build published a site here while this one ran, so "
                                   "the pages this one took as unchanged may be that build's",
                                   "build again: nothing of this build was published")
            stamp.record(loaded.warnings, groups(), writer.digest(BUNDLE))

        def sync_live(stage: Path) -> None:
            with self.lock:
                if self.generation != generation:
                    raise Overtaken
                sync(stage, output)
                self.published, self.files, self.shared = groups(), files, shared
                stamp.record(loaded.warnings, groups(), digest_site(output))

        count = 0
        try:
            spare = None if live else cache_folder(project) / SPARE  # the replaced site's folders, reused
            with template_errors(project), staging(output, before_swap=record,
                                                   publish=sync_live if live else None, spare=spare,
                                                   removable=stamp.check_removable) as stage:
                writer = Writer(stage, spare)
                pages: dict[str, str | None] = {}  # each page written, hashed for search as it goes
                # each output is written as soon as it is made: a thousand plans' pages never sit in memory
                for relative, data in itertools.chain(generated(project, loaded, files, output, reused, made),
                                                      files.items(), assets(project, loaded.config)):
                    writer.put(relative, data)  # a Path: unchanged since the last build, the published file
                    if relative.endswith(".html"):  # the last file written at a path is the one there
                        if isinstance(data, bytes):
                            pages[relative] = page_digest(data)
                        else:
                            pages.pop(relative, None)
                    count += 1
                writer.finish()
                index_site(stage, loaded.glossary, cache=cache_folder(project) / "search", written=pages)
                count += sum(1 for p in (stage / BUNDLE).rglob("*") if p.is_file())
                writer.list_files(BUNDLE)  # what the next build must not take for files put in by hand
        except Overtaken:
            return None
        return BuildResult(loaded.editions, count, loaded.warnings)

    def quick(self, saved: set[Path] | None) -> tuple[Loaded, list[str]]:
        """After a save (the preview): read what it touched and write, into the live folder, the
        page and data of every plan whose group's key changed, with the downloads' sizes as
        last made. Returns what was loaded and the paths written. The plans' narrowed views,
        the agencies' pages, the pages about all plans, the downloads and search follow in the
        next :meth:`update`, which renders those groups whole again (their keys are not
        recorded here) and any page whose downloads' sizes changed meanwhile."""
        project = self.project
        with self.lock, template_errors(project):
            self.generation += 1
            if saved is None:  # all checked: the dates too
                forget_dates()
            loaded = self.sources.load(saved)
            if self.published is None:
                self.published = Stamp(project, self.output, self.strict, self.downloads).published()
            plans = (project / PLANS_DIR).resolve()
            if self.shared is None or saved is None or not all(p.is_relative_to(plans) for p in saved):
                self.shared = digest_project(project, self.output)[1]
            keys = group_keys(project, loaded, self.files, self.shared, self.summaries)
            updated = last_updated(project)
            sizes = download_sizes(self.files)
            texts: dict[str, str] = {}
            with fill_faults():  # every translation these pages cannot fill in, told together
                for name, group in output_groups(loaded).items():
                    if name.startswith("units/"):  # an agency's pages list many plans: they follow
                        continue
                    if name in keys and self.published.get(name, ("",))[0] == keys[name]:
                        continue
                    texts.update(plan_outputs(project, loaded, group[0], sizes, updated, views=False))
                    self.published.pop(name, None)  # its files match no key: never reused as they are
            written = write_changed(self.output, texts)
            remember_written(self.output, written)
            return loaded, written


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
