"""The cache: what builds keep to reuse, in stores of entries named by keys, and the one
fingerprint of plansite's code and tools that every key starts from.

Each part of the cache folder (``plans``, ``checks``, ``downloads``, ``search``, …) is a
:class:`Store`. An entry is looked up by its key and made when it is missing or cannot be
read; it is written whole or not at all (a killed build or a full disk never leaves half of
one), and after a build the store removes what that build did not use, but never what a
build still running is writing. A key is a hash of everything its entry depends on: the
:func:`fingerprint` of the code and tools that make it, and what the caller adds (a plan
file's bytes, the pages indexed, …), so a cache never serves an entry made by other code.

This module imports nothing of plansite: the build stamp (``publish``) uses it before
anything heavy loads.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

CODE = Path(__file__).parent
"""plansite's own code (and its data files): every output depends on it."""
TOOLS = ("jinja2", "markdown-it-py", "mdit-py-plugins", "babel", "pyyaml", "segno", "orjson", "fonttools",
         "pagefind", "pagefind_bin_extended")
"""The Python distributions a site is made with, beyond the downloads' own (each format adds
its ``tools``): a new version of one may change what it makes."""
PICKLE = ".pickle"
CHECK = 4
"""A pickled entry ends in the CRC-32 of the rest: damage that still unpickles would otherwise
go unseen, above all inside a plan's sections, which are unpickled only when read (while the
site is rendered, too late to make the entry again: see ``model.Packed``). It costs 25 ms for
the 100 MB of a thousand plans' entries."""


def digest(*parts) -> str:
    """A SHA-256 of the parts (bytes, or anything as its text), each ended so none runs into the next."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else os.fsencode(str(part)))  # a path need not be UTF-8
        hasher.update(b"\0")
    return hasher.hexdigest()


@functools.cache
def code_and_tools() -> str:
    """A hash of every file of plansite's code, Python's version and the tools' versions: once
    per process, so it covers the code this process runs (the preview's too, however long it
    runs)."""
    hasher = hashlib.sha256()
    for path in sorted(CODE.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        hasher.update(os.fsencode(path.relative_to(CODE)) + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    hasher.update(repr((sys.version, [f"{tool} {version(tool)}" for tool in TOOLS])).encode())
    return hasher.hexdigest()


def fingerprint(*extra) -> str:
    """The start of every cache key and of the build stamp: plansite's code and the tools'
    versions, with ``extra`` (what a key covers beyond them: a format's tools, the fonts, …)."""
    return digest(code_and_tools(), *extra)


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file whole or not at all: a killed build never leaves half a cache entry, and a
    failed write (a full disk) leaves nothing. ``mode``: the permissions to give it (a user's
    file keeps its own)."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            if mode is not None:
                os.fchmod(file.fileno(), mode & 0o7777)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if error.filename is None or error.filename == str(temporary):
            error.filename = str(path.parent)  # the folder is what the user can act on
        raise


def prune(folder: Path, suffixes: tuple[str, ...], used: set[str]) -> None:
    """Remove a cache folder's entries (files or folders whose names end in one of
    ``suffixes``; "" for all) whose names are not in ``used``, and the half-written entries
    of builds that were killed (NAME.tmp-PID…). Another build's entry being written is left
    alone."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        name, _, owner = entry.name.partition(".tmp-")
        killed = owner and not running(owner.split("-")[0])
        if killed or (not owner and name.endswith(suffixes) and name not in used):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def running(pid: str) -> bool:
    """True while the process that made a staging folder or a cache entry still runs (another build)."""
    try:
        os.kill(int(pid), 0)
    except PermissionError:
        return True  # someone else's process
    except (ValueError, ProcessLookupError):
        return False  # gone (or a folder from before staging folders carried a pid)
    return True


class Store:
    """One part of the cache folder: entries (files, or folders for the search index) named by
    their keys. It remembers the names this build asked for, so that :meth:`prune` keeps
    exactly those. Entries are written whole (renamed into place), so a reader finds a whole
    entry or none; one that cannot be read (damaged, from an older plansite) is made again."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[str] = set()
        """The names of the entries this build read or wrote (and of the parts in it)."""

    def part(self, name: str) -> Store:
        """A store inside this one (the downloads' inputs): pruning this one keeps it."""
        self.used.add(name)
        return Store(self.folder / name)

    def keep(self, key: str, suffix: str = PICKLE) -> None:
        """Keep an entry at the next :meth:`prune`, though this build did not read it (its
        content is known already)."""
        self.used.add(f"{key}{suffix}")

    def read(self, key: str, suffix: str = PICKLE) -> bytes | None:
        """The bytes of an entry, or None when there is none (or it cannot be read, or a pickled
        one no longer matches its checksum)."""
        name = f"{key}{suffix}"
        self.used.add(name)
        try:
            data = (self.folder / name).read_bytes()
        except OSError:
            return None
        if suffix != PICKLE:
            return data
        body, check = data[:-CHECK], data[-CHECK:]
        return body if len(data) >= CHECK and zlib.crc32(body).to_bytes(CHECK, "big") == check else None

    def write(self, key: str, data: bytes, suffix: str = PICKLE) -> None:
        """Keep an entry, whole or not at all (a pickled one with its checksum)."""
        name = f"{key}{suffix}"
        self.used.add(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        if suffix == PICKLE:
            data = data + zlib.crc32(data).to_bytes(CHECK, "big")
        write_atomically(self.folder / name, data)

    def get_or_make(self, key: str, make: Callable[[], object], suffix: str = PICKLE,
                    whole: Callable[[object], bool] = lambda value: True):
        """The entry of ``key``, or what ``make()`` returns, kept under it. A value is pickled
        (``.pickle``); with any other suffix ``make`` returns the entry's bytes. A value that
        is not ``whole`` (of another shape: a damaged cache) is made again."""
        data = self.read(key, suffix)
        if data is not None and suffix != PICKLE:
            return data
        if data is not None:
            with contextlib.suppress(Exception):  # damaged, or of classes that changed: made again
                value = pickle.loads(data)
                if whole(value):
                    return value
        made = make()
        self.write(key, pickle.dumps(made, pickle.HIGHEST_PROTOCOL) if suffix == PICKLE else made, suffix)
        return made

    def get_or_make_folder(self, key: str, make: Callable[[Path], Path],
                           whole: Callable[[Path], bool] = lambda folder: True) -> Path:
        """The folder entry of ``key``, or the folder ``make(scratch)`` makes inside a scratch
        folder of this store, renamed into place in one step: never half an entry. An entry
        that is not ``whole`` is made again."""
        name = key
        self.used.add(name)
        entry = self.folder / name
        if entry.is_dir():
            if whole(entry):
                return entry
            shutil.rmtree(entry, ignore_errors=True)
        with self.scratch() as scratch:
            made = make(scratch)
            try:
                os.rename(made, entry)
            except OSError as error:
                if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                # another build kept the same entry meanwhile: it is the same
        return entry

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A folder in the store, removed after (scratch.tmp-PID-…: a killed build's is pruned
        by the next build). What is made in it moves into the store by a rename, not a copy. A
        write that fails without naming a file (a full disk) names the store."""
        self.folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"scratch.tmp-{os.getpid()}-", dir=self.folder))
        try:
            yield scratch
        except OSError as error:
            if error.filename is None:
                error.filename = str(self.folder)
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def prune(self) -> None:
        """Remove every entry this build did not use, and what killed builds left half
        written; entries a running build is writing stay."""
        prune(self.folder, ("",), self.used)
