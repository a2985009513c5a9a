"""Publishing ``site/``: the atomic swap, recovery after a killed build, the marks that say
which folders are plansite's, and the stamp that lets a build with nothing to do stop at once.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
plansite replaces or prunes only folders it made: a site carries a ``.plansite`` file (the
last thing written into it before the swap), the cache a ``.plansite-cache`` file. Anything
else in their place is an error, with nothing touched. This module imports nothing heavy:
the command line checks the stamp before it loads the renderers.

Test hook: with ``PLANSITE_TEST_KILL_AT=STEP`` a build kills itself (SIGKILL) when it reaches
that step of the swap (see :func:`checkpoint`), so tests can kill builds at exact moments.
"""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import functools
import hashlib
import json
import os
import re
import signal
import stat
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import formats
from .cache import Store, digest, fingerprint, prune, running, write_atomically
from .errors import MachineError, Problem, printable
from .inputs import open_regular, read_source
from .project import IGNORED, PLANS_DIR, commit_dates, forget_dates
from .workers import forked

MARK = ".plansite"
"""In a site plansite wrote, complete: renamed into place last, just before the swap."""
UNFINISHED = ".plansite-unfinished"
"""In a site being written, or being removed: plansite's, but never to be published."""
MARK_TEXT = (b"This folder is a website made by plansite (python build.py). A build replaces the whole "
             b"folder, so keep no other files in it.\n")
CACHE_MARK = ".plansite-cache"
CACHE_TEXT = b"This folder is plansite's cache of what builds reuse. Deleting it is always safe.\n"
CACHE_PARTS = {"plans", "checks", "editions", "downloads", "search", "builds", "summaries", "templates",
               "spare"}
HASHED = re.compile(r"(font-)?[0-9a-f]{24,64}(\.(pickle|odt|pdf|key|json))?(\.tmp-[0-9-]+)?")
"""The names in a cache from before caches were marked: hashes, and their half-written forms."""
SOURCES = ("content", "templates", "locales", ".git")
"""Folders of a project that builds read: an output inside one would be read as input, or lost."""


STEPS = ("written", "marked", "moved", "published", "removing", "restored", "laying out")
"""The steps of a swap a test can kill a build at: every file staged but not yet marked
complete; marked; the old site moved away and the new one not yet in place; published, the
old not yet removed; a site half removed (in a swap or a recovery); a recovery having put a
site back, its leftovers not yet removed; a first build's site published, the copies of its
folders made but not yet kept (:func:`laid_out`)."""


def checkpoint(step: str) -> None:
    """Test hook: die here, as a killed build would, when PLANSITE_TEST_KILL_AT names this step."""
    if os.environ.get("PLANSITE_TEST_KILL_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def cache_path(project: Path) -> Path:
    """Where the cache is (PLANSITE_CACHE, or .cache/ in the project), made or not."""
    return Path(os.environ.get("PLANSITE_CACHE") or project / ".cache")


def resolved_cache(project: Path) -> Path:
    """The cache folder, symbolic links followed, once it is known to be a place for a cache:
    not a link that loops, nor inside a folder the build reads (it would be read, or published
    with the templates' assets), nor the project itself or a folder holding it."""
    folder = cache_path(project)
    where = f"PLANSITE_CACHE={shown_path(folder)}" if os.environ.get("PLANSITE_CACHE") else shown_path(folder)
    try:
        resolved = folder.resolve()
    except RuntimeError:  # Python 3.11 names a loop so
        raise MachineError(where, "is a symbolic link that leads back to itself",
                           "fix or remove the link") from None
    project = project.resolve()
    fix = "point PLANSITE_CACHE at a folder of its own, e.g. PLANSITE_CACHE=.cache"
    if project.is_relative_to(resolved):
        raise MachineError(where, "is the project folder or holds it, and a build prunes its cache", fix)
    for name in SOURCES:
        if resolved.is_relative_to(project / name):
            raise MachineError(where, f"is inside {name}/, which the build reads (and publishes, for "
                                      "templates/)",
                               fix)
    return resolved


def cache_folder(project: Path) -> Path:
    """Where builds keep what they may reuse: PLANSITE_CACHE, or .cache/ in the project. It is
    made, and marked as plansite's, the first time; a folder holding anything else is an error
    (a cache is pruned: PLANSITE_CACHE=$HOME must not empty anyone's files). A part of a marked
    cache that is not a folder (a damaged cache) is removed, to be made again."""
    given = os.environ.get("PLANSITE_CACHE")
    resolved_cache(project)
    folder = cache_path(project)
    if marked(folder, CACHE_MARK, CACHE_TEXT):
        repair_cache(folder)
        return folder
    where = f"PLANSITE_CACHE={shown_path(folder)}" if given else folder
    fix = ("point PLANSITE_CACHE at a new or empty folder" if given else
           "move those files away (.cache/ holds only what builds reuse; deleting it is always safe)")
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        entries = []
    except NotADirectoryError:
        raise MachineError(where, "is a file, not a folder", fix) from None
    if entries and not all(old_cache_entry(entry) for entry in entries):
        raise MachineError(where, f"holds files plansite did not write (it has no {CACHE_MARK} file), and "
                           "plansite removes what it does not use from its cache", fix)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / CACHE_MARK, CACHE_TEXT)  # adopts a cache from before caches were marked
    return folder


def repair_cache(folder: Path) -> None:
    """Remove what stands where a part of plansite's own cache should be a folder (a file, a
    link): the build makes the part again, where it would otherwise fail on it."""
    for part in (*(folder / name for name in CACHE_PARTS), folder / "downloads" / "inputs"):
        if part.is_symlink() or part.exists() and not part.is_dir():
            part.unlink()


def marked(folder: Path, name: str, text: bytes) -> bool:
    """True when ``folder`` holds the mark ``name`` as plansite writes it: a regular file (no
    link) holding exactly ``text``. An empty file or a link of that name does not make a folder
    plansite's, to be replaced or pruned."""
    try:
        descriptor = os.open(folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:  # none, a link (ELOOP), or unreadable
        return False
    with open(descriptor, "rb") as file:
        try:
            return stat.S_ISREG(os.fstat(descriptor).st_mode) and file.read(len(text) + 1) == text
        except OSError:
            return False


def shown_path(path: Path | str) -> str:
    """A path as it may be printed: a byte that is no UTF-8 (a name may hold any) as \\xNN, and
    anything that could act on a terminal escaped (``errors.printable``)."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))


def old_cache_entry(entry: Path) -> bool:
    """True for what a plansite from before caches were marked kept in its cache: its parts,
    holding only files and folders named by hashes."""
    if entry.name not in CACHE_PARTS:
        return entry.is_file() and HASHED.fullmatch(entry.name) is not None
    if not entry.is_dir():
        return False
    return all(HASHED.fullmatch(e.name) or (entry.name, e.name) == ("downloads", "inputs") and
               all(HASHED.fullmatch(n) for n in os.listdir(e)) for e in entry.iterdir())


def tidy_cache(project: Path) -> None:
    """Remove what killed builds left half-written in the cache (entries, the search's scratch
    folders): a build that finds nothing to do never prunes. The font's code points an older
    plansite kept in the cache's root (font-HASH.pickle; now in plans/) go too."""
    folder = cache_folder(project)
    prune(folder, (".pickle",), set())
    for part in (folder, *(folder / name for name in CACHE_PARTS), folder / "downloads" / "inputs"):
        prune(part, (), set())


@dataclass
class Stamp:
    """What the last build of ``output`` was made from: a hash of every input (the project's
    files, the fingerprint of plansite's code and tools, the options, the commit, each
    download format's fingerprint) and of the site it wrote. When both still match, a build
    has nothing to do. It also keeps the key and output paths of each output group (a plan's
    pages and data, an agency's units pages: see ``site.group_keys``), so that the next build
    can reuse them."""

    project: Path
    output: Path
    strict: bool
    downloads: bool

    def __post_init__(self) -> None:
        self.output = self.output.resolve()
        self.builds = Store(cache_folder(self.project) / "builds")
        self.key = stamp_name(self.output).removesuffix(".json")
        forget_dates()  # read afresh, once: the pages of this build show the dates hashed here
        everything, self.shared, self.changes = digest_project(self.project, self.output)
        """``shared``: the hash of every input but the plans (``outputs.group_keys``)."""
        self.inputs = digest(everything, self.strict, self.downloads,
                             *(format.fingerprint() for format in formats.FORMATS))
        try:
            known = json.loads(self.builds.read(self.key, ".json") or b"{}")
        except ValueError:
            known = {}
        self.known = known if isinstance(known, dict) else {}  # a damaged stamp matches no build
        self.surveying: Callable[[], tuple[str, str | None]] | None = None

    @property
    def replaces(self) -> bool:
        """Whether the inputs changed since the last build, which will then replace the site."""
        return self.known.get("inputs") != self.inputs

    def survey_ahead(self) -> None:
        """Start :attr:`surveyed` in a process of its own (``workers.forked``), while the build
        loads its sources: after one plan changed, loading leaves the other core idle, and
        the walk of the site is a tenth of the build."""
        if "surveyed" not in self.__dict__ and self.surveying is None:
            self.surveyed_folder = folder_id(self.output)
            self.surveying = forked(survey, self.output, self.replaces)

    @functools.cached_property
    def surveyed(self) -> tuple[str, str | None]:
        """The published site's hash, and what would keep it from being replaced (:func:`survey`).
        When the inputs changed, a build will replace it: one walk answers both. A walk
        started ahead is used only when no other build swapped a site in since: this build
        would otherwise link that site's files under its own keys."""
        if self.surveying is not None:
            found = self.surveying()
            if folder_id(self.output) == self.surveyed_folder:
                return found
        return survey(self.output, removable=self.replaces)

    @functools.cached_property
    def intact(self) -> bool:
        """True when the published site is exactly as the last build left it."""
        return self.output.is_dir() and bool(self.known) and self.known.get("site") == self.surveyed[0]

    def check_removable(self) -> None:
        """:func:`check_removable` of the published site, from the walk :attr:`surveyed` made
        when it made one."""
        if self.replaces:
            refuse_unremovable(self.surveyed[1])
        else:
            check_removable(self.output)

    def unchanged(self) -> bool:
        return not self.replaces and self.intact

    def foreign(self) -> list[str]:
        """The files of the published site that plansite did not write (put there by hand since),
        by their paths in it (:func:`foreign_files`). None can be there while the site is
        :attr:`intact`."""
        return [] if self.intact or not self.output.is_dir() else foreign_files(self.output)

    def refuse_foreign(self) -> None:
        """Refuse to replace a published site holding files the build which published it did not
        write: a search engine's verification file or a folder of uploads put in by hand was
        deleted with the old site, without a word."""
        found = self.foreign()
        if found:
            others = f" (and {len(found) - 1} more: {', '.join(found[1:4])}{', …' if len(found) > 4 else ''})"
            raise MachineError(self.output / found[0], "plansite did not write this file"
                               f"{others if len(found) > 1 else ''}, and a build replaces "
                               f"{self.output.name}/ whole, so it would be lost",
                               f"move it out of {self.output.name}/ (a file the web server needs beside the "
                               "site, such as a search engine's verification file, belongs in the server's "
                               "folder, not in the site plansite writes), or delete it; then build again")

    def swapped_meanwhile(self) -> bool:
        """Whether another build swapped a site in at the output since this one surveyed the
        published site: the files this one links as unchanged, by their paths, may then be
        that build's, made from other sources."""
        folder = getattr(self, "surveyed_folder", None)
        return folder is not None and folder_id(self.output) != folder

    @property
    def distrusted(self) -> bool:
        """Whether the last build's inputs were written while it read them: what it cached under
        keys made from the inputs' hashes (a download's first lookup) may hold the other text."""
        return self.known.get("inputs") == WRITTEN_MEANWHILE

    def warnings(self) -> list[str]:
        return self.known.get("warnings", [])

    def published(self) -> dict[str, tuple[str, list[str]]]:
        """Per output group, (key, output paths) as the last build published them; nothing
        when the site was changed since (its files then cannot be trusted)."""
        if not self.intact:
            return {}
        return {name: (key, paths) for name, (key, paths) in self.known.get("groups", {}).items()}

    def record(self, warnings: list[Problem], groups: dict[str, tuple[str, list[str]]], site: str) -> None:
        """Keep what this build was made from, and ``site``, the hash (:func:`digest_site`) of
        the staging folder just before it is swapped in (renaming it changes nothing the hash
        covers). Recorded before the swap, a stamp that cannot be written (a full disk) fails
        the build with the published site untouched; should the swap then fail, the stamp
        matches no site."""
        # an input written while this build read them (saved, then put back): the site may hold
        # either text, so the next build must not take it for made from the inputs hashed here
        # (and its pages' keys, made from those hashes, may name pages made from the other text)
        settled = input_changes(self.project, self.output) == self.changes
        data = {"inputs": self.inputs if settled else WRITTEN_MEANWHILE, "site": site,
                "warnings": [str(w) for w in warnings], "groups": groups if settled else {}}
        self.builds.write(self.key, json.dumps(data).encode("utf-8"), ".json")


WRITTEN_MEANWHILE = "written meanwhile"
"""A stamp's inputs when they were written while the build read them (:meth:`Stamp.record`)."""


def folder_id(path: Path) -> tuple[int, int] | None:
    """Which folder is at ``path`` now (a swap puts another there), or None."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def stamp_name(output: Path) -> str:
    """The file, in the cache's builds/, of the stamp of the site published at ``output`` (resolved)."""
    return hashlib.sha256(os.fsencode(output)).hexdigest()[:24] + ".json"  # a path need not be UTF-8


def digest_site(output: Path, modes: bool = True) -> str:
    """A hash of every file's and folder's path, size, time and mode in the published site: a
    page made unreadable (chmod 600) is a change, which a real build puts right. Without
    ``modes``, the hash plansite recorded before 2026-12-05 (see :func:`ours`)."""
    if modes:
        return survey(output)[0]
    found: dict[str, tuple[int, int, int]] = {}
    listing(str(output), len(str(output)) + 1, found)
    return hashed({path: (size, time, None) for path, (size, time, _) in found.items()})


def survey(site: Path, removable: bool = False) -> tuple[str, str | None]:
    """One walk of a site: its hash (:func:`digest_site`) and, with ``removable``, the first file
    or folder in it that would keep it from being removed (see :func:`check_removable`), if any.
    A build that will replace the site asks both at once: each walk of a thousand plans' site
    took a tenth of a second or more. With os.scandir: for its 17,000 files and folders,
    pathlib took half a second, and os.walk with an os.lstat of each path 0.24 s, where this
    takes 0.16 s."""
    root = str(site)
    top = removable and os.path.isdir(root) and not removable_here(root, True)
    found: dict[str, tuple[int, int, int]] = {}
    inside = listing(root, len(root) + 1, found, removable and not top)
    top_folder(root, found)
    return hashed(found), root if top else inside


def listing(top: str, start: int, found: dict[str, tuple[int, int, int]],
            removable: bool = False) -> str | None:
    """Put the size, time and mode of every file and folder below ``top`` into ``found``, by its
    path from character ``start`` on; with ``removable``, return the first that would keep
    it from being removed, if any (:func:`survey`)."""
    blocked, todo = None, [top]
    while todo:
        try:
            entries = os.scandir(todo.pop())
        except OSError:  # as os.walk: a folder that cannot be read holds nothing
            continue
        with entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                found[entry.path[start:]] = (info.st_size, info.st_mtime_ns, info.st_mode)
                folder = entry.is_dir(follow_symlinks=False)
                if folder:
                    todo.append(entry.path)
                if removable and blocked is None and not removable_here(entry.path, folder):
                    blocked = entry.path
    return blocked


def hashed(found: dict[str, tuple[int, int, int | None]]) -> str:
    """The hash of a site's paths, sizes, times and modes (:func:`survey`)."""
    lines = sorted(f"{path}\0{size}\0{time}" + ("\n" if mode is None else f"\0{mode}\n")
                   for path, (size, time, mode) in found.items())
    return hashlib.sha256(os.fsencode("".join(lines))).hexdigest()  # names need not be UTF-8


FILES = ".plansite-files"
"""The file, in a site plansite wrote, that lists every file it wrote there, one path a line:
the site carries it, so a build knows the files it must not delete (:func:`foreign_files`)
whatever happened to the cache, a killed build or the project's folder."""
NOT_LISTED = {MARK, UNFINISHED, FILES}
"""plansite's own files of a site, never listed in it."""


def files_listed(site: Path) -> set[str] | None:
    """The files the site's :data:`FILES` names, or None when it has none (a site from before
    2026-12-05) or it cannot be read."""
    try:
        data = read_source(site / FILES, 64_000_000)
    except OSError:
        return None
    return set(data.decode("utf-8", "surrogateescape").split("\n")) - {""}


def list_of_files(paths) -> bytes:
    """:data:`FILES`'s content: the paths, sorted, one a line."""
    return "".join(f"{path}\n" for path in sorted(set(paths) - NOT_LISTED)).encode("utf-8", "surrogateescape")


def foreign_files(site: Path) -> list[str]:
    """The files of a site that its :data:`FILES` does not list: put there by hand, so a build
    that replaced the site whole would delete them. Nothing is known of a site with no list."""
    listed = files_listed(site)
    if listed is None:
        return []
    return [path for path in site_record(site)[1] if path not in listed and path not in NOT_LISTED]


def remember_written(site: Path, paths: list[str]) -> None:
    """Add files the preview wrote into its live folder at once after a save (a new plan's
    page) to the folder's :data:`FILES`: a build after a preview stopped before it caught up
    must not take them for files put there by hand."""
    listed = files_listed(site)
    if listed is not None and not set(paths) <= listed:
        write_atomically(site / FILES, list_of_files(listed | set(paths)))


def top_folder(site: str, found: dict[str, tuple[int, int, int]]) -> None:
    """Put the mode of the site's folder itself into ``found`` (as ''): 'chmod 700 site' kept
    the web server out of the whole site, and the next build said nothing changed."""
    with contextlib.suppress(OSError):  # no site there: nothing to tell
        found[""] = (0, 0, os.lstat(site).st_mode)


def files_of(found: dict[str, tuple[int, int, int]]) -> list[str]:
    """The files (not the folders) of a walk of a site (:func:`listing`), by their paths in it."""
    return sorted(path for path, (_, _, mode) in found.items() if not stat.S_ISDIR(mode))


def site_record(output: Path) -> tuple[str, list[str]]:
    """:func:`digest_site` of a site, and its files (:func:`files_of`), from one walk."""
    found: dict[str, tuple[int, int, int]] = {}
    listing(str(output), len(str(output)) + 1, found)
    top_folder(str(output), found)
    return hashed(found), files_of(found)


def outputs_of_plansite(project: Path, output: Path) -> Callable[[Path], bool]:
    """Whether a folder of the project is an output of plansite rather than an input: the site
    being built (and its staging and moved-away folders), the cache in use, or another site a
    build published there (``--output preview``, the preview's folder), marked as plansite's
    and recorded by its build's stamp in the cache. A mark alone is not enough: one copied into
    content/ would hide every edit. Hashing them made a build with the cache in the project
    never a no-op (the cache changes with every build), and read a whole site's bytes."""
    cache = Path(os.path.realpath(cache_path(project)))
    stamps = cache / "builds"

    def output_folder(folder: Path) -> bool:
        resolved = Path(os.path.realpath(folder))
        if resolved in (output, cache) or (resolved.parent == output.parent and resolved.name.startswith(
                (f"{output.name}.tmp-", f"{output.name}.old-"))):
            return True
        return (marked(folder, MARK, MARK_TEXT) or marked(folder, UNFINISHED, MARK_TEXT)) and (
            stamps / stamp_name(resolved)).is_file()

    return output_folder


READ_UP_TO = 64_000_000
"""The largest project file a build hashes by its bytes. No input it publishes is bigger (an
attachment is at most 20 MB): a larger file (a video left in content/) is hashed by its
identity, size and times, where reading 20 GB took every build, even one with nothing to do,
a minute."""


def digest_project(project: Path, output: Path) -> tuple[str, str, str]:
    """Hashes of the project's files (all but IGNORED folders, sites and the cache), the fingerprint
    of plansite's code and tools (``cache.fingerprint``) and the commit dates: of everything,
    and of everything but the plan files and their dates (what every output depends on, see
    ``outputs.group_keys``); and :func:`input_changes` as the files were before they were read.
    One walk makes the three: a build needs them all, and each read every file of a thousand
    plans."""
    output = output.resolve()
    every, shared, changes = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    dates = commit_dates(project)
    plans = os.path.realpath(project / PLANS_DIR)
    for path, real in input_files(project, output):
        noted(changes, path)  # before the bytes are read
        try:  # never waits on a named pipe, nor holds a huge file in memory
            with open_regular(Path(path)) as file:
                info = os.fstat(file.fileno())
                if info.st_size > READ_UP_TO:  # no input is so big: a stray video is known by its identity
                    content = repr((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                                    info.st_ctime_ns)).encode()
                else:
                    content = hashlib.file_digest(file, "sha256").digest()
                # outside git, and for a file git does not track, the dates pages show are file times
                tracked = dates and Path(path).relative_to(project).as_posix() in dates
                time = b"" if tracked else str(info.st_mtime_ns).encode()
        except OSError:  # no ordinary file, or unreadable: no output is made of it (a plan is reported)
            continue
        name = os.fsencode(path) + b"\0"  # a name need not be UTF-8
        in_plans = real == plans or real.startswith(plans + os.sep)
        for hasher in (every,) if in_plans else (every, shared):
            hasher.update(name)
            hasher.update(content)
            hasher.update(time)
    for hasher, with_plans in ((every, True), (shared, False)):
        head = sorted((path, day) for path, day in dates.items()
                      if with_plans or not path.startswith(f"{PLANS_DIR}/"))
        hasher.update(repr((fingerprint(), head, str(output))).encode())
    return every.hexdigest(), shared.hexdigest(), changes.hexdigest()


def input_files(project: Path, output: Path) -> Iterator[tuple[str, str]]:
    """Every file a build of ``output`` (resolved) reads or may read, as :func:`project_files`
    gives them: the whole project but IGNORED folders, sites and the cache."""
    output_folder = outputs_of_plansite(project, output)
    roots = [p for p in sorted(project.iterdir()) if p.name not in IGNORED
             and (p.name in SOURCES or not output_folder(p))]  # content/, templates/ … are always read
    return project_files(roots, output_folder)


def input_changes(project: Path, output: Path) -> str:
    """A hash of each input file's identity, size and change time (ctime, which no one can set
    back). Taken before a build reads its inputs and again before it publishes, an equal hash
    means no input was written meanwhile, not even edited and put back as it was, which
    the hash of the contents cannot tell."""
    hasher = hashlib.sha256()
    for path, _ in input_files(project, output.resolve()):
        noted(hasher, path)
    return hasher.hexdigest()


def noted(hasher, path: str) -> None:
    """Add a file's name, identity, size and change time to ``hasher`` (nothing when it cannot be
    looked at): as :func:`digest_project` and :func:`input_changes` both must."""
    try:
        info = os.stat(path)
    except OSError:
        return
    hasher.update(os.fsencode(path) + b"\0")
    hasher.update(f"{info.st_dev} {info.st_ino} {info.st_size} {info.st_ctime_ns}\n".encode())


def project_files(roots: list[Path], output_folder: Callable[[Path], bool]) -> Iterator[tuple[str, str]]:
    """(path, path with every link resolved) of each file in ``roots`` (each a folder, walked
    through a link at its top only, or a file), in a stable order: none in a site or cache
    (``output_folder``). With os.scandir and a folder's real path worked out once for its
    files: pathlib's rglob and a realpath per file were most of a one-plan rebuild's hashing at
    1,000 plans."""
    for root in roots:
        if not root.is_dir():
            yield str(root), os.path.realpath(root)
            continue
        todo = [(str(root), os.path.realpath(root))]
        while todo:
            folder, real = todo.pop()
            try:
                with os.scandir(folder) as found:
                    entries = sorted(found, key=lambda entry: entry.name)
            except OSError:  # as rglob: a folder that cannot be read holds nothing
                continue
            inner = []
            for entry in entries:  # IGNORED names only the project's own folders (input_files): inside
                # content/ or templates/ a folder named docs/ is read like any other
                if not entry.is_dir(follow_symlinks=False):
                    yield entry.path, (os.path.realpath(entry.path) if entry.is_symlink()
                                       else os.path.join(real, entry.name))
                elif not output_folder(Path(entry.path)):  # a site published inside: not an input
                    inner.append((entry.path, os.path.join(real, entry.name)))
            todo.extend(reversed(inner))  # its files first, then its folders in name order


def prepare_output(project: Path, output: Path, preview: bool = False) -> Path:
    """Check that a build may replace ``output`` and tidy up after builds that were killed;
    returns the folder (symbolic links followed). A build replaces only a folder that is
    absent, empty, or a site plansite wrote (see :func:`ours`); never the project or a folder
    holding it, nor anything inside a folder the build reads or inside the cache. The preview
    writes into the folder itself, so it is made and marked at once."""
    given = output
    try:
        output = output.resolve()
    except RuntimeError:  # Python 3.11 names a loop so
        raise MachineError(given, "is a symbolic link that leads back to itself",
                           "fix or remove the link") from None
    project = project.resolve()
    if output == project or project.is_relative_to(output):
        what = "is the project folder itself" if output == project else "holds the project"
        raise MachineError(given, f"{what}, and a build replaces its output folder whole",
                           "build into a folder of its own, e.g. --output site")
    for name in SOURCES:
        if output.is_relative_to(project / name):
            raise MachineError(given, f"is inside {name}/, which the build reads",
                               "build into a folder of its own, e.g. --output site")
    cache = resolved_cache(project)
    if output.is_relative_to(cache) or cache.is_relative_to(output):
        raise MachineError(given, f"overlaps the cache folder {shown_path(cache)}",
                           "give the site and the cache (PLANSITE_CACHE) separate folders")
    for name in {given.name, output.name}:  # a folder so named beside a site is its build's leftover
        leftover = re.search(r"\.(tmp|old)-", name)
        if leftover:
            base = name[:leftover.start()]
            raise MachineError(given, f"is named as the folders a build of {base}/ leaves beside it while it "
                               "runs (a build there would take it for one)", "choose another name, e.g. "
                               f"{base}-preview")
    inside = next((folder for folder in output.parents if marked(folder, MARK, MARK_TEXT)), None)
    if inside is not None:
        here = Path.cwd().resolve()
        inside = inside.relative_to(here) if inside.is_relative_to(here) else inside
        raise MachineError(given, f"is inside {shown_path(inside)}/, a site plansite wrote, which a build "
                           "replaces whole", "build into a folder of its own, beside it")
    if output.exists() and not output.is_dir():
        raise MachineError(given, "is a file, not a folder",
                           "give a folder with --output, or move the file away")
    if not ours(output, project):
        raise MachineError(given, f"holds files plansite did not write (it has no {MARK} file), and a build "
                           "replaces the whole folder", "build into a new or empty folder with --output, or "
                           "move those files away (a site from an older plansite: delete it and build again)")
    # the preview writes into the folder: it is ours from now on
    if preview and not marked(output, MARK, MARK_TEXT):
        output.mkdir(parents=True, exist_ok=True)
        (output / MARK).write_bytes(MARK_TEXT)
    recover(output)
    return output


def ours(output: Path, project: Path) -> bool:
    """True when a build may replace ``output``: it is absent or empty, it carries plansite's
    mark, or it is exactly the site an older plansite (from before sites were marked) last
    published there, as that build's stamp in the cache records it."""
    try:
        if marked(output, MARK, MARK_TEXT) or not any(output.iterdir()):
            return True
    except FileNotFoundError:
        return True
    try:
        known = json.loads((cache_path(project) / "builds" / stamp_name(output)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(known, dict) and known.get("site") in (digest_site(output), digest_site(output, False))


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the lock of the folder beside which sites are swapped: one build at a time swaps or
    recovers there. The lock dies with its process, so a killed build never leaves it held."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def leftovers(output: Path) -> Iterator[tuple[Path, Path]]:
    """What builds that were killed left beside ``output``, as (folder, the site in it): their
    staging folders (site.tmp-PID-…) and the previous sites they moved away (site.old-PID-…/site).
    Folders of builds that still run are not listed. Folders of these names that plansite did
    not make (they are neither empty nor carry its marks) are named on stderr, and left."""
    try:
        names = sorted(os.listdir(output.parent))
    except FileNotFoundError:
        return
    for name in names:
        kind, _, owner = name.removeprefix(output.name).partition("-")
        if kind not in (".tmp", ".old") or running(owner.split("-")[0]):
            continue
        folder = output.parent / name
        site = folder / output.name if kind == ".old" else folder
        try:
            mine = (kind == ".tmp" or os.listdir(folder) in ([], [output.name])) and (
                not site.exists() or any(marked(site, mark, MARK_TEXT) for mark in (MARK, UNFINISHED))
                or not os.listdir(site))
        except (NotADirectoryError, PermissionError):
            mine = False
        if mine:
            yield folder, site
        else:
            print(f"{shown_path(folder)}: named like a folder plansite leaves while it builds, but not "
                  "plansite's, so it was left as it is — move it away if you do not need it", file=sys.stderr)


def recover(output: Path) -> None:
    """Tidy up after builds that were killed. When ``output`` is missing (a build died between
    the two renames of its swap), publish the newest complete site they left: a staging folder
    that was marked complete (it was about to replace the site moved away), else the site moved
    away; a folder is complete only when it carries the mark written last, never judged by its
    time. Then remove everything else they left. A folder that cannot be removed is reported
    and left for the next build."""
    if not output.parent.is_dir():
        return
    with locked(output.parent):
        found = list(leftovers(output))
        if not output.exists():
            complete = [site for _, site in
                        sorted(found, key=lambda f: not f[0].name.startswith(f"{output.name}.tmp"))
                        if marked(site, MARK, MARK_TEXT)]
            if complete:
                os.rename(complete[0], output)
                checkpoint("restored")
        for folder, site in found:
            try:
                if site.exists():
                    discard(site)
                if folder != site:
                    os.rmdir(folder)
            except OSError as error:
                print(f"{shown_path(error.filename or folder)}: left by a killed build, and it cannot be "
                      f"removed ({error.strerror}) — remove {shown_path(folder)} by hand", file=sys.stderr)


def discard(site: Path, keep_folders: bool = False) -> None:
    """Remove a site plansite wrote, so that at every moment it is either complete or marked
    unfinished: its mark is renamed first and removed last, so a removal cut short is never
    taken for a site. A link in its place, or in it, is removed, never followed. With
    ``keep_folders``, only its files (and links) are removed: its folders and the mark stay, for
    :func:`emptied`."""
    if os.path.islink(site):
        os.unlink(site)
        return
    with contextlib.suppress(FileNotFoundError):
        os.rename(site / MARK, site / UNFINISHED)
    root = str(site)
    mark = os.path.join(root, UNFINISHED)
    folders, todo = [], [root]
    while todo:
        with os.scandir(todo.pop()) as found:
            entries = list(found)  # nothing removed while the folder is read
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
                todo.append(entry.path)
            elif entry.path != mark:
                os.unlink(entry.path)
                checkpoint("removing")
    if keep_folders:
        return
    for folder in reversed(folders):  # each found after the folder holding it
        os.rmdir(folder)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(mark)
    os.rmdir(site)


FS_IOC_GETFLAGS, IMMUTABLE, APPEND_ONLY = 0x80086601, 0x10, 0x20


def check_removable(site: Path) -> None:
    """Refuse, before anything is swapped, to replace a site that could not then be removed (a
    read-only disk, a folder that cannot be changed, an immutable file): the swap would leave it
    behind, half removed."""
    refuse_unremovable(survey(site, removable=True)[1])


def refuse_unremovable(blocked: str | None) -> None:
    """The error for ``blocked``, the first file or folder :func:`survey` found that could not
    be removed, if any."""
    if blocked is not None:
        raise MachineError(blocked, *why_unchangeable(blocked))


def removable_here(path: str, folder: bool) -> bool:
    """Whether the file or folder ``path`` (never followed) could be removed, and a folder
    emptied. An append-only folder or file (chattr +a) passes os.access, and cannot be."""
    if folder and not os.access(path, os.W_OK | os.X_OK):
        return False
    return not unchangeable(path)


def why_unchangeable(path: str) -> tuple[str, str]:
    """What keeps plansite from changing ``path``, and what to do, for an error."""
    if os.statvfs(path).f_flag & os.ST_RDONLY:
        return ("is on a read-only file system, so the site cannot be replaced",
                "make it writable (mount -o remount,rw), or build into another folder with --output")
    if unchangeable(path):
        return ("is immutable or append-only, so the site cannot be replaced",
                "remove that attribute (lsattr shows it, chattr -i -a removes it), then build again")
    return ("may not be changed by your user, so the site cannot be replaced",
            "give your user write permission to it (ls -ld shows who may), or build elsewhere with --output")


def unchangeable(path: str) -> bool:
    """True for a file marked immutable or append-only (chattr +i, +a), which no one may delete."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        flags = struct.unpack("i", fcntl.ioctl(descriptor, FS_IOC_GETFLAGS, bytes(8))[:4])[0]
    except OSError:  # a file system without these attributes
        return False
    finally:
        os.close(descriptor)
    return bool(flags & (IMMUTABLE | APPEND_ONLY))


SPARE = "spare"
"""The cache part that keeps the folders of the site a build replaced, for the next staging
folder (see :func:`staging`)."""


@contextmanager
def staging(output: Path, before_swap: Callable[[Path], None] | None = None,
            publish: Callable[[Path], None] | None = None, spare: Path | None = None,
            removable: Callable[[], None] | None = None) -> Iterator[Path]:
    """A fresh folder beside ``output`` (a site plansite may replace: see
    :func:`prepare_output`), swapped in on success, removed on failure. The folder is marked
    unfinished until everything was written; then, as the very last step before the swap, it
    is marked complete, so a recovery never publishes less than a whole site; then
    ``before_swap`` is given it. With ``publish`` (the preview's live folder, see
    :func:`sync`), that is given the folder instead of marking and swapping it, and the folder
    is removed after. An error writing it is reported for the path in ``output`` it was
    writing.

    With a ``spare`` folder (a part of the cache), the folders of the site a swap replaces are
    kept there, emptied of its files (:func:`emptied`), for the next build's :class:`Writer`
    given that ``spare`` to start from: at 1,000 plans, making 6,500 folders and removing as
    many took a third of a one-plan rebuild, where unlinking files is cheap. Only empty folders
    are kept, so the cache never shares a file with the published site.

    ``removable`` checks that the site at ``output`` may be replaced, when the caller knows
    better than :func:`check_removable` (:meth:`Stamp.check_removable`)."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        (removable or functools.partial(check_removable, output))()
    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-{os.getpid()}-", dir=output.parent))
    except OSError as error:
        error.filename = str(output.parent)  # not the name of a folder that was never made
        raise
    try:
        (stage / UNFINISHED).write_bytes(MARK_TEXT)
        yield stage
        checkpoint("written")
        if publish is not None:
            publish(stage)
            return
        os.chmod(stage, 0o755)  # mkdtemp makes it private; a published site is world-readable
        os.rename(stage / UNFINISHED, stage / MARK)
        if before_swap is not None:
            before_swap(stage)
        checkpoint("marked")
        old = swap(stage, output)
    except OSError as error:
        if error.filename is None:
            error.filename = str(output)
        for attribute in ("filename", "filename2"):
            name = getattr(error, attribute)
            if isinstance(name, str) and name.startswith(str(stage)):
                setattr(error, attribute, str(output) + name[len(str(stage)):])
        raise
    finally:
        # a swap cut short between its renames (Ctrl-C) leaves a whole site for the next build's recovery
        if stage.exists() and not ((stage / MARK).exists() and not output.exists()):
            with contextlib.suppress(OSError):  # what cannot be removed now, the next build removes
                discard(stage)
    if old is None:
        if spare is not None:  # a first build: the next would make every folder again
            laid_out(output, spare)
    else:
        try:
            if spare is None or not emptied(old / output.name, spare):
                discard(old / output.name)
            os.rmdir(old)
        except OSError as error:  # published all the same; the next build tries again
            print(f"{shown_path(error.filename or old)}: the previous site could not be removed "
                  f"({error.strerror}) — {shown_path(output)} holds the new site; remove {shown_path(old)} "
                  "by hand", file=sys.stderr)


FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
"""How a kept folder is opened: never through a link."""
INHERITED = (0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x4 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x800000
             | 0x20000000 | 0x40000000)
"""The attributes (chattr) a folder passes on or that change what is done in it: synchronous,
immutable, append-only, no dump, no atime, compressed, data journaling, no tail, directory
sync, top of hierarchy, no copy-on-write, project inheritance, case folding. Not those the
file system sets by itself (an indexed folder, extents)."""


def folder_traits(descriptor: int) -> tuple:
    """What a folder gives the files made in it and what it lets be done there: its owner,
    group and mode, its attributes (chattr) and its extended attributes (ACLs among them)."""
    info = os.fstat(descriptor)
    try:
        flags = struct.unpack("i", fcntl.ioctl(descriptor, FS_IOC_GETFLAGS, bytes(8))[:4])[0] & INHERITED
    except OSError:  # a file system without these attributes
        flags = 0
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), flags, extended_attributes(descriptor)


def extended_attributes(where: int | str | os.PathLike) -> dict[str, bytes]:
    """The extended attributes (ACLs among them) of a folder or file, given by a descriptor or a
    path (a link not followed), by name; none where the file system has none."""
    options = {} if isinstance(where, int) else {"follow_symlinks": False}
    try:
        return {name: os.getxattr(where, name, **options) for name in sorted(os.listxattr(where, **options))}
    except OSError:
        return {}


KEPT_PATH = 1024
"""The longest path (in bytes) a kept folder may have inside the site: a site's own are a few
dozen; a tampered cache's could pass the system's limit, which no write or removal by path can
then reach."""


def adopted(spare: Path, stage: Path) -> set[str]:
    """Move the folders a build kept in ``spare`` (:func:`emptied`) into ``stage``, a fresh
    staging folder marked unfinished, and return their paths there, when every one of them is
    exactly as a folder made in ``stage`` now would be (:func:`folder_traits`: a ``chmod -R`` of
    the cache, an ACL added to the site's folder since, a tampered cache) and on its file
    system. Anything but folders in them (no build puts it there) is removed, never followed:
    the walk opens each folder relative to its parent, so no link, however placed or timed,
    leads it out of the cache. Folders that do not pass are removed (or, when they cannot be,
    named on stderr)."""
    try:
        holder = os.open(spare, FOLDER)
    except OSError:  # none kept (or a link: left to repair_cache)
        return set()
    folders: set[str] = set()
    moved: list[str] = []  # the stage's own paths of the folders moved into it so far
    try:
        try:
            info = os.lstat("site", dir_fd=holder)
        except FileNotFoundError:
            return folders
        if not stat.S_ISDIR(info.st_mode):  # a link, a file: removed, never followed
            os.unlink("site", dir_fd=holder)
            return folders
        os.mkdir(stage / "fresh")
        probe = os.open(stage / "fresh", FOLDER)
        try:
            fresh, device = folder_traits(probe), os.fstat(probe).st_dev
        finally:
            os.close(probe)
            os.rmdir(stage / "fresh")
        if info.st_dev != device:
            raise OSError("kept on another file system than the site")
        root = os.open("site", FOLDER, dir_fd=holder)
        opened = [root]  # one folder a level: a tampered cache as deep as the limit of open files just fails
        try:
            walks, paths = [os.scandir(root)], [str(stage)]  # each folder's path once in the stage
            while walks:
                entry = next(walks[-1], None)
                if entry is None:
                    walks.pop().close()
                    os.close(opened.pop())
                    paths.pop()
                elif entry.is_dir(follow_symlinks=False):
                    child = os.open(entry.name, FOLDER, dir_fd=opened[-1])
                    opened.append(child)
                    if folder_traits(child) != fresh:
                        raise OSError(f"{entry.path} is not as a new folder would be")
                    walks.append(os.scandir(child))
                    paths.append(os.path.join(paths[-1], entry.name))
                    if len(os.fsencode(paths[-1])) - len(os.fsencode(stage)) > KEPT_PATH:
                        raise OSError(f"{entry.path} is deeper than a site's folders are")
                    folders.add(paths[-1])
                else:
                    os.unlink(entry.name, dir_fd=opened[-1])
        finally:
            for descriptor in opened:
                os.close(descriptor)
        root = os.open("site", FOLDER, dir_fd=holder)
        try:
            for name in os.listdir(root):  # the staging folder itself is always a new one
                os.rename(name, stage / name, src_dir_fd=root)
                moved.append(os.path.join(stage, name))
        finally:
            os.close(root)
        os.rmdir("site", dir_fd=holder)
        return folders
    except OSError:
        with contextlib.suppress(OSError):  # through the folder held: ``spare`` may be a link since
            remove_tree("site", holder)
        if exists("site", holder):
            print(f"{shown_path(spare / 'site')}: folders kept by an earlier build can be neither used nor "
                  "removed — delete that folder", file=sys.stderr)
        return {f for f in folders if any(f == top or f.startswith(top + os.sep) for top in moved)}
    finally:
        os.close(holder)


def remove_tree(name: str, parent: int) -> None:
    """Remove the folder ``name`` of the folder ``parent`` (a descriptor) with all it holds, each
    folder opened relative to the one holding it, so that no link leads out of it, however
    deep (shutil.rmtree recurses once a level: a thousand levels stop it)."""
    def emptied_of_files(folder: int) -> list[str]:  # its folders' names
        inner = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    inner.append(entry.name)
                else:
                    os.unlink(entry.name, dir_fd=folder)
        return inner

    top = os.open(name, FOLDER, dir_fd=parent)
    opened = [(parent, name, top)]
    try:
        todo = [emptied_of_files(top)]
        while opened:
            if todo[-1]:
                inner = todo[-1].pop()
                folder = os.open(inner, FOLDER, dir_fd=opened[-1][2])
                opened.append((opened[-1][2], inner, folder))
                todo.append(emptied_of_files(folder))
            else:
                holder, folder_name, folder = opened.pop()
                todo.pop()
                os.close(folder)
                os.rmdir(folder_name, dir_fd=holder)
    finally:
        for _, _, folder in opened:
            os.close(folder)


def exists(name: str, folder: int) -> bool:
    """Whether ``folder`` (a descriptor) holds ``name``, a link not followed."""
    try:
        os.lstat(name, dir_fd=folder)
    except FileNotFoundError:
        return False
    except OSError:  # there, or it cannot be told: named
        return True
    return True


def spare_room(site: Path, spare: Path) -> int | None:
    """An open descriptor of ``spare`` (made if missing) when the folders of ``site`` can be
    moved into it, as ``spare/site``, in one rename: the same file system, no spare there yet;
    else None. They are moved through it, never through a link put at ``spare`` since."""
    try:
        spare.mkdir(exist_ok=True)
        holder = os.open(spare, FOLDER)
    except OSError:
        return None
    try:
        if os.fstat(holder).st_dev == os.lstat(site).st_dev and not exists("site", holder):
            return holder
    except OSError:
        pass
    os.close(holder)
    return None


def emptied(site: Path, spare: Path) -> bool:
    """Keep the folders of ``site``, the site a swap replaced, in ``spare`` for the next build
    (:func:`adopted`), its files removed; False, with nothing removed, when they cannot go there
    in one rename (another file system, a spare already there, ``spare`` not a folder). The site
    is marked unfinished first, so that a build killed meanwhile leaves it for the next build's
    recovery to remove."""
    holder = spare_room(site, spare)
    if holder is None:
        return False
    try:
        discard(site, keep_folders=True)
        try:
            os.rename(site, "site", dst_dir_fd=holder)
        except OSError:  # another build kept its folders meanwhile
            discard(site)
        return True
    finally:
        os.close(holder)


def laid_out(site: Path, spare: Path) -> None:
    """Keep in ``spare`` empty copies of the folders of ``site``, a site that a swap replaced
    none with, as :func:`emptied` keeps those of a replaced site: without them, the first
    rebuild after a first build makes all its folders (a second at 1,000 plans, where the cold
    build takes a hundred). They are made beside ``site``, as a staging folder's are (so they
    take what that folder gives its new folders, and a build killed meanwhile leaves them marked
    for the next build's recovery), and moved into ``spare`` in one rename. Nothing is kept when
    that cannot be done (another file system, a spare already there): the next build makes the
    folders, as before."""
    holder = spare_room(site, spare)
    if holder is None:
        return
    copy = None
    try:
        copy = tempfile.mkdtemp(prefix=f"{site.name}.tmp-{os.getpid()}-", dir=site.parent)
        with open(os.path.join(copy, UNFINISHED), "wb") as mark:
            mark.write(MARK_TEXT)
        start, todo = len(str(site)), [str(site)]
        while todo:
            with os.scandir(todo.pop()) as found:
                for entry in found:
                    if entry.is_dir(follow_symlinks=False):
                        os.mkdir(copy + entry.path[start:])
                        todo.append(entry.path)
        checkpoint("laying out")
        os.rename(copy, "site", dst_dir_fd=holder)
        copy = None
    except OSError:
        pass  # the next build makes the folders
    finally:
        if copy is not None:
            with contextlib.suppress(OSError):
                discard(Path(copy))
        os.close(holder)


def file_traits(info: os.stat_result) -> tuple[int, int, int]:
    """What a file written in a folder takes from it and the umask: its owner, group and mode."""
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


class Writer:
    """Writes a site's files into a staging folder, which may hold empty folders of an earlier
    site, moved in from ``spare`` by :func:`adopted`): a folder is made only where none is, one
    that stands where the new site has a file is removed, and :meth:`finish` removes those the
    new site leaves empty. A file is replaced, never written into: a reused file is a link to
    the published one."""

    def __init__(self, stage: Path, spare: Path | None = None):
        self.stage = str(stage)
        self.spare = adopted(spare, stage) if spare is not None else set()
        """The folders the staging folder started with (an earlier site's)."""
        self.folders = {self.stage, *self.spare}
        """The folders known to exist."""
        self.used = {self.stage}
        """The folders the new site has files in, and theirs."""
        mark = os.path.join(self.stage, UNFINISHED)
        self.fresh = file_traits(os.lstat(mark)), extended_attributes(mark)
        """The owner, group, mode and extended attributes of a file written now (the mark, just
        written): a published file that differs (written under another umask, an ACL given to
        it since) is copied, not linked."""
        self.files: dict[str, tuple[int, int, int]] = {}
        """The size, time and mode of each file written, by its path (see :meth:`digest`)."""

    def put(self, relative: str, data: bytes | Path) -> None:
        """Write one file of the site: ``data``, or a link to the published file ``data``."""
        target = os.path.join(self.stage, relative)
        if (folder := os.path.dirname(target)) not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)
        while folder not in self.used:
            self.used.add(folder)
            folder = os.path.dirname(folder)
        if target in self.spare and target not in self.used:  # an earlier site's folder where a file goes
            inside = {f for f in self.spare if f == target or f.startswith(target + os.sep)}
            for path in sorted(inside, key=len, reverse=True):
                os.rmdir(path)
            self.spare -= inside
            self.folders -= inside
        for _ in range(3):
            try:
                if isinstance(data, Path):  # unchanged since the last build: the published file itself
                    try:
                        info = os.lstat(data)
                        if (file_traits(info), extended_attributes(data)) != self.fresh:
                            raise OSError("not as a file written now would be")
                        os.link(data, target)
                    except FileExistsError:
                        raise
                    except OSError:  # such a file, or a file system without hard links: a copy
                        info = written(target, data.read_bytes())
                else:
                    info = written(target, data)
                self.files[target] = (info.st_size, info.st_mtime_ns, info.st_mode)
                return
            except FileExistsError:  # written twice: the last wins, as ever
                os.unlink(target)
            except FileNotFoundError:  # its folder, moved in from the cache, was removed since
                if os.path.isdir(os.path.dirname(target)):
                    raise
                os.makedirs(os.path.dirname(target), exist_ok=True)
        raise FileExistsError(target)

    def finish(self) -> None:
        """Remove the folders of the earlier site that the new one does not use."""
        for folder in sorted(self.spare - self.used, key=len, reverse=True):  # the deepest first
            os.rmdir(folder)
        self.spare &= self.used

    def digest(self, *others: str) -> str:
        """What :func:`digest_site` gives the staging folder, from what was written into it
        rather than a walk of it (at 1,000 plans a walk was a twentieth of a one-plan
        rebuild): each file as it was written, each folder's time read again (it changed as
        its files went in), the top folder listed (the marks), and the folders ``others``
        wrote walked (the search index). Ask it last: anything written since is not in it."""
        start = len(self.stage) + 1
        found = {path[start:]: known for path, known in self.files.items()}
        for folder in self.used - {self.stage}:
            info = os.lstat(folder)
            found[folder[start:]] = (info.st_size, info.st_mtime_ns, info.st_mode)
        with os.scandir(self.stage) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                found[entry.name] = (info.st_size, info.st_mtime_ns, info.st_mode)
        for other in others:
            listing(os.path.join(self.stage, other), start, found)
        top_folder(self.stage, found)
        return hashed(found)

    def list_files(self, *others: str) -> None:
        """Write :data:`FILES`: every file written, and those the folders ``others`` hold (the
        search index). Written last, before the site is published."""
        start = len(self.stage) + 1
        found: dict[str, tuple[int, int, int]] = {}
        for other in others:
            listing(os.path.join(self.stage, other), start, found)
        self.put(FILES, list_of_files([*(path[start:] for path in self.files), *files_of(found)]))


def written(target: str, data: bytes) -> os.stat_result:
    """Write a new file (never one that is there); returns its size and time as written."""
    with open(target, "xb") as out:
        out.write(data)
        out.flush()
        return os.fstat(out.fileno())


def sync(stage: Path, output: Path) -> list[str]:
    """Make the live folder ``output`` (the preview's) hold exactly the files of ``stage``:
    each file that differs is moved in, whole, in one rename (a page being served is never
    half written); then the files and folders ``stage`` lacks are removed; the site's mark
    stays. Returns the paths written. A build swapping a site at ``output`` meanwhile waits
    (they hold the same lock), so neither writes into a folder the other is moving away."""
    with locked(output.parent):
        return synced(stage, output)


def synced(stage: Path, output: Path) -> list[str]:
    written: list[str] = []
    wanted: set[str] = {MARK}
    listed = files_listed(output)  # what the live folder holds of plansite's: nothing else is removed
    for folder, _, names in os.walk(stage):
        relative_folder = os.path.relpath(folder, stage)
        for name in names:
            relative = os.path.normpath(os.path.join(relative_folder, name))
            if relative == UNFINISHED:
                continue
            wanted.add(relative)
            source, target = os.path.join(folder, name), os.path.join(output, relative)
            with contextlib.suppress(OSError):
                if os.path.samefile(source, target) or filecmp.cmp(source, target, shallow=False):
                    continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
            written.append(relative.replace(os.sep, "/"))
    for folder, folders, names in os.walk(output, topdown=False):
        relative_folder = os.path.relpath(folder, output)
        for name in names:
            relative = os.path.normpath(os.path.join(relative_folder, name))
            if relative not in wanted and (listed is None or relative in listed or relative == UNFINISHED):
                os.unlink(os.path.join(folder, name))
        for name in folders:
            with contextlib.suppress(OSError):  # only when empty
                os.rmdir(os.path.join(folder, name))
    return written


def swap(stage: Path, output: Path) -> Path | None:
    """Put the complete ``stage`` in place of ``output``; returns the folder the previous site
    was moved into (to be removed), if there was one. Should the second rename fail, the
    previous site goes back."""
    with locked(output.parent):
        if not output.exists():
            os.rename(stage, output)
            PUBLISHED.add(output)
            checkpoint("published")
            return None
        if not (output / MARK).exists():  # a site from before sites were marked (prepare_output checked it)
            (output / MARK).write_bytes(MARK_TEXT)
        old = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-{os.getpid()}-", dir=output.parent))
        try:
            os.rename(output, old / output.name)
        except OSError:
            os.rmdir(old)
            raise
        checkpoint("moved")
        try:
            os.rename(stage, output)
        except OSError:
            os.rename(old / output.name, output)
            os.rmdir(old)
            raise
        PUBLISHED.add(output)
    checkpoint("published")
    return old


PUBLISHED: set[Path] = set()
"""The outputs this process swapped a new site into: told after a build is interrupted."""


def published_now(output: Path) -> bool:
    """True when this process has published a new site at ``output`` (symbolic links followed)."""
    with contextlib.suppress(OSError, RuntimeError):
        return output.resolve() in PUBLISHED
    return False
