"""Builds killed at every step of the swap, in sequences: ``python -m tests.killed_builds
FOLDER KILLS`` tries every sequence of KILLS killed builds in FOLDER, and exits with status 1
and the sequence at the first thing lost or half published.

Each build is a real process, forked from this small one (forking pytest's large process
cost ten times as much) and killed with SIGKILL at its step. It publishes as a build does
(publish.prepare_output, then publish.staging) a small site whose every file names its build.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sys
import traceback
from pathlib import Path

from plansite import publish

STEPS = ["writing", *publish.STEPS]
"""Where a build can be killed: while it writes its staging folder (the build below kills
itself halfway), and at each step of publish.checkpoint."""
FILES = ([f"page-{n}.html" for n in range(3)] + [f"plans/p{n}/index.html" for n in range(3)]
         + ["assets/site.css"])
CACHE = "cache"
"""Each build's cache, beside its site: it keeps the folders of the site a build replaced."""


def publish_generation(parent: Path, generation: int, kill_at: str | None = None) -> bool | int:
    """One build, in a process of its own: it stages a site whose every file says
    ``generation`` and swaps it in, or dies at ``kill_at``. True when it was killed; with
    ``kill_at="stopped"`` it stops halfway through writing, and its process id is returned."""
    child = os.fork()
    if child == 0:
        status = 0
        try:
            os.environ.pop("PLANSITE_TEST_KILL_AT", None)
            if kill_at in publish.STEPS:
                os.environ["PLANSITE_TEST_KILL_AT"] = kill_at
            output = publish.prepare_output(parent / "project", parent / "site")
            (parent / CACHE).mkdir(exist_ok=True)
            spare = parent / CACHE / publish.SPARE
            with publish.staging(output, spare=spare) as stage:
                writer = publish.Writer(stage, spare)
                for number, name in enumerate(FILES):
                    if kill_at in ("writing", "stopped") and number == len(FILES) // 2:
                        os.kill(os.getpid(), signal.SIGKILL if kill_at == "writing" else signal.SIGSTOP)
                    writer.put(name, str(generation).encode())
                writer.finish()
        except BaseException:  # noqa: BLE001 - shown; the parent sees the status
            traceback.print_exc()
            status = 1
        os._exit(status)
    _, status = os.waitpid(child, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        return child
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the build failed (its traceback is above)"
    return False


def generation_of(site: Path) -> int:
    """The build that made a complete site; fails on anything less than a whole site."""
    mark = site / publish.MARK
    assert mark.is_file() and mark.read_bytes() == publish.MARK_TEXT, f"{site} is not marked complete"
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == sorted([*FILES, publish.MARK]), f"{site} is incomplete: {files}"
    generations = {(site / name).read_text(encoding="utf-8") for name in FILES}
    assert len(generations) == 1, f"{site} mixes builds: {generations}"
    return int(generations.pop())


def complete_builds(parent: Path) -> list[int]:
    """The builds whose whole site is somewhere in ``parent``: published, staged, or moved away."""
    found = []
    for tree in [parent / "site", *parent.glob("site.tmp-*"), *parent.glob("site.old-*/site")]:
        try:
            found.append(generation_of(tree))
        except (AssertionError, OSError):
            pass
    return found


def beside(site: Path) -> list[str]:
    """What is in the folder of a site but its cache."""
    return sorted(name for name in os.listdir(site) if name != CACHE)


def visible(parent: Path, scratch: Path) -> int | None:
    """The build whose site a reader gets now: the published site, or, while there is none,
    the one the next build's recovery publishes (tried on a copy: the state stays as it is),
    which must be the newest whole site there is."""
    if (parent / "site").exists():
        return generation_of(parent / "site")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(parent, scratch, symlinks=True)
    child = os.fork()
    if child == 0:
        os.environ.pop("PLANSITE_TEST_KILL_AT", None)
        publish.recover(scratch / "site")
        os._exit(0)
    os.waitpid(child, 0)
    if not (scratch / "site").exists():
        assert not complete_builds(parent), f"no site is published, but {complete_builds(parent)} are whole"
        return None
    shown = generation_of(scratch / "site")
    assert shown == max(complete_builds(parent)), f"build {shown} is published, not the newest whole site"
    return shown


def concurrent(folder: Path) -> None:
    """A build still running is left alone by another's recovery; once killed, its
    half-written staging folder is never published, however the folders' names sort."""
    parent = folder / "concurrent"
    parent.mkdir()
    assert not publish_generation(parent, 1)
    running = publish_generation(parent, 2, "stopped")
    assert publish_generation(parent, 3, "moved")
    assert visible(parent, folder / "scratch") == 3
    os.kill(running, signal.SIGKILL)
    os.waitpid(running, 0)
    assert visible(parent, folder / "scratch") == 3
    assert not publish_generation(parent, 4)
    assert generation_of(parent / "site") == 4 and beside(parent) == ["site"]
    shutil.rmtree(parent)


def removed_by_hand(folder: Path) -> None:
    """Someone deletes site/ after a build was killed while writing, or while removing the
    previous site: what that build left is never published, being less than a whole site."""
    for step in ("writing", "removing"):
        parent = folder / f"by-hand-{step}"
        parent.mkdir()
        assert not publish_generation(parent, 1)
        assert not publish_generation(parent, 2)
        assert publish_generation(parent, 3, step)
        shutil.rmtree(parent / "site")
        assert visible(parent, folder / "scratch") in (None, *complete_builds(parent))
        assert not publish_generation(parent, 4)
        assert generation_of(parent / "site") == 4 and beside(parent) == ["site"]
        shutil.rmtree(parent)


def first_killed(folder: Path) -> None:
    """A first build killed after it published its site, while it laid out the next build's
    folders: its site is whole and shown, and the next build removes the folders it left."""
    parent = folder / "first-killed"
    parent.mkdir()
    assert publish_generation(parent, 1, "laying out")
    assert generation_of(parent / "site") == 1 and any(p.startswith("site.tmp-") for p in beside(parent))
    assert not publish_generation(parent, 2)
    assert generation_of(parent / "site") == 2 and beside(parent) == ["site"]
    shutil.rmtree(parent)


def state(parent: Path) -> tuple:
    """What a build can tell of a folder's state: for each entry (the site, staging folders,
    moved-away sites), its kind, its marks, whether it holds every file, some or none, and
    the order of the builds that wrote them. Two states alike here lead to the same outcomes,
    so each is explored once."""
    entries, builds = [], set()
    for name in sorted(os.listdir(parent)):
        kind = name.split("-")[0]
        tree = {"site.old": parent / name / "site", CACHE: parent / CACHE / publish.SPARE / "site"}.get(
            kind, parent / name)
        present = [f for f in FILES if (tree / f).exists()]
        written = {int((tree / f).read_text(encoding="utf-8")) for f in present}
        builds |= written
        marks = tuple(mark for mark in (publish.MARK, publish.UNFINISHED) if (tree / mark).exists())
        entries.append((kind, tree.exists(), marks, len(present) == len(FILES), not present, written))
    order = {build: rank for rank, build in enumerate(sorted(builds))}
    return tuple(sorted((*entry[:-1], tuple(sorted(order[b] for b in entry[-1]))) for entry in entries))


def main(folder: Path, kills: int) -> int:
    """Every sequence of up to ``kills`` killed builds after a published site, each state
    explored once: after each kill a reader sees a whole site (or, while there is none, the
    next build's recovery publishes one), never an older one than before; a build left alone
    after it publishes its own site and leaves nothing else."""
    builds = itertools.count(2)
    start = folder / "start"
    start.mkdir(parents=True)
    assert not publish_generation(start, 1)
    frontier, known, tried = [(start, 1, ())], {state(start)}, 0
    for _ in range(kills):
        following = []
        for base, seen, steps in frontier:
            for step in STEPS:
                tried += 1
                trial = folder / f"trial-{tried}"
                shutil.copytree(base, trial, symlinks=True)
                try:
                    publish_generation(trial, next(builds), step)
                    now = visible(trial, folder / "scratch")
                    assert now is not None and now >= seen, f"build {now} is shown after build {seen}"
                    final = folder / "final"
                    shutil.rmtree(final, ignore_errors=True)
                    shutil.copytree(trial, final, symlinks=True)
                    last = next(builds)
                    assert not publish_generation(final, last), "the build after them was killed"
                    assert generation_of(final / "site") == last
                    assert beside(final) == ["site"], f"left behind: {beside(final)}"
                except AssertionError as error:
                    print(f"killed at {' then '.join((*steps, step))}: {error}", file=sys.stderr)
                    return 1
                if state(trial) in known:
                    shutil.rmtree(trial)
                else:
                    known.add(state(trial))
                    following.append((trial, now, (*steps, step)))
        frontier = following
    try:
        for _ in range(5):  # which of two staging folders sorts first is chance: try it a few times
            concurrent(folder)
        removed_by_hand(folder)
        first_killed(folder)
    except AssertionError as error:
        print(f"{error}", file=sys.stderr)
        return 1
    print(f"{tried} killed builds from {len(known)} states")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
