"""The downloads of every plan in every format (formats.FORMATS), from the cache when their
inputs did not change, else made on all cores."""

from __future__ import annotations

import functools
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import formats
from . import model as m
from .cache import Store, digest
from .errors import ContentError, Problem
from .formats import DocumentError
from .i18n import fill_faults
from .project import last_updated
from .publish import cache_folder
from .site_paths import LANGUAGES
from .sources import Loaded
from .workers import Pool, start_worker


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
    for lang in LANGUAGES:
        for edition in loaded.editions:
            plan = edition.en if lang.english else edition.zh
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
    cache = Store(cache_folder(project) / "downloads")
    known = cache.part("inputs")
    files: dict[str, bytes] = {}
    todo = []
    jobs = download_jobs(project, loaded, shared)
    problems: list[Problem] = []  # of every document's source
    for path, inputs, make_job in jobs:
        suffix = Path(path).suffix
        key = named_key(known.read(inputs, ".key")) if inputs else None
        data = cache.read(key, suffix) if key else None
        if data is None:
            try:
                with fill_faults():
                    job = make_job()
            except ContentError as error:
                problems += error.problems
                continue
            key = job.key
            if inputs:
                known.write(inputs, key.encode("ascii"), ".key")
            data = cache.read(key, suffix)
            if data is None:
                todo.append(job)
        if data is not None:
            files[path] = data
    if problems:
        raise ContentError(problems)
    if todo:
        workers = min(len(todo), os.cpu_count() or 1)
        # fork is fastest, but forking a process that runs other threads (the preview) can deadlock
        method = "fork" if threading.active_count() == 1 else "spawn"
        with Pool(max_workers=workers, mp_context=multiprocessing.get_context(method),
                  initializer=start_worker, initargs=(os.getpid(),)) as pool:
            for job, data in zip(todo, pool.map(make_download, todo), strict=True):
                files[job.path] = data
                cache.write(job.key, data, Path(job.path).suffix)
    cache.prune()  # a file of a format no longer made goes too
    known.prune()
    return {path: files[path] for path, _, _ in jobs}


def named_key(entry: bytes | None) -> str | None:
    """The job key an inputs entry names, if it names one (a damaged entry names none)."""
    return entry.decode("ascii") if entry and re.fullmatch(rb"[0-9a-f]{64}", entry) else None


def make_download(job: Job) -> bytes:
    """Runs in a worker process: imports its format's renderer (the parent may not have)."""
    try:
        with fill_faults():  # every translation the document cannot fill in, told together
            return formats.render(job.renderer, *job.payload)
    except DocumentError as error:
        what = Path(job.path).suffix.removeprefix(".").upper()
        raise ContentError([Problem(job.path, 1, f"the {what} could not be made: {error}",
                                    error.hint)]) from None
