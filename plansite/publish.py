"""Publishing ``site/``: the atomic swap, recovery after a killed build, and the stamp that
lets a build with nothing to do stop at once.

Outputs are written into a fresh folder beside ``site/`` and swapped in only when all of them
were written, so a failed or interrupted build leaves the published site exactly as it was.
This module imports nothing heavy: the command line checks the stamp before it loads the
renderers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from .errors import Problem
from .inputs import open_regular
from .project import PLANS_DIR, commit_dates


def cache_folder(project: Path) -> Path:
    """Where builds keep what they may reuse: PLANSITE_CACHE, or .cache/ in the project."""
    return Path(os.environ.get("PLANSITE_CACHE") or project / ".cache")



def write_atomically(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a killed build never leaves half a cache entry."""
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


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


def digest(*parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()



IGNORED = {".git", ".venv", "node_modules", ".cache", "reports", "tests", "bench", "docs", "__pycache__",
           ".pytest_cache", ".ruff_cache", ".hypothesis"}
"""Folders of a project that no output depends on (everything else is hashed, to be safe)."""


@dataclass
class Stamp:
    """What the last build of ``output`` was made from: a hash of every input (the project's
    files, plansite's own code, the versions of the tools, the options, the commit) and of the
    site it wrote. When both still match, a build has nothing to do. It also keeps the key and
    output paths of each output group (a plan's pages and data, an agency's units pages: see
    ``site.group_keys``), so that the next build can reuse them."""

    project: Path
    output: Path
    strict: bool
    downloads: bool

    def __post_init__(self) -> None:
        self.output = self.output.resolve()
        folder = cache_folder(self.project) / "builds"
        self.path = folder / (hashlib.sha256(str(self.output).encode()).hexdigest()[:24] + ".json")
        self.inputs = digest(digest_project(self.project, self.output, plans=True), self.strict, self.downloads)
        try:
            self.known = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}

    def digest_site(self) -> str:
        """A hash of every file's and folder's path, size and time in the published site (with
        os.walk: pathlib took half a second for a thousand plans' twelve thousand files)."""
        root = str(self.output)
        lines = []
        for folder, folders, names in os.walk(root):
            for name in folders + names:
                path = os.path.join(folder, name)
                info = os.lstat(path)
                lines.append(f"{path[len(root) + 1:]}\0{info.st_size}\0{info.st_mtime_ns}\n")
        return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()

    @functools.cached_property
    def intact(self) -> bool:
        """True when the published site is exactly as the last build left it."""
        return self.output.is_dir() and bool(self.known) and self.known.get("site") == self.digest_site()

    def unchanged(self) -> bool:
        return self.known.get("inputs") == self.inputs and self.intact

    def warnings(self) -> list[str]:
        return self.known.get("warnings", [])

    def published(self) -> dict[str, tuple[str, list[str]]]:
        """Per output group, (key, output paths) as the last build published them; nothing
        when the site was changed since (its files then cannot be trusted)."""
        if not self.intact:
            return {}
        return {name: (key, paths) for name, (key, paths) in self.known.get("groups", {}).items()}

    def record(self, warnings: list[Problem], groups: dict[str, tuple[str, list[str]]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"inputs": self.inputs, "site": self.digest_site(), "warnings": [str(w) for w in warnings],
                "groups": groups}
        write_atomically(self.path, json.dumps(data).encode("utf-8"))


def digest_project(project: Path, output: Path, plans: bool) -> str:
    """A hash of the project's files (all but IGNORED folders and the site), plansite's own
    code, the versions of the tools, Python and the commit dates; without ``plans``, of
    everything but the plan files and their dates."""
    output = output.resolve()
    hasher = hashlib.sha256()
    roots = [p for p in sorted(project.iterdir()) if p.name not in IGNORED
             and Path(os.path.realpath(p)) != output
             and not p.name.startswith((f"{output.name}.tmp-", f"{output.name}.old-"))]
    code = Path(__file__).parent
    dates = commit_dates(project)
    plan_folder = (project / PLANS_DIR).resolve()
    for root in [*roots, code]:
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if IGNORED.intersection(path.relative_to(root.parent).parts):
                continue
            if not plans and Path(os.path.realpath(path)).is_relative_to(plan_folder):
                continue
            try:  # never waits on a named pipe, nor holds a huge file in memory
                with open_regular(path) as file:
                    content = hashlib.file_digest(file, "sha256").digest()
            except OSError:  # no ordinary file, or unreadable: no output is made of it (a plan is reported)
                continue
            hasher.update(os.fsencode(path) + b"\0")  # a name need not be UTF-8
            hasher.update(content)
            if not dates:  # outside git, dates shown on pages come from file times
                hasher.update(str(path.stat().st_mtime_ns).encode())
    tools = [f"{name} {version(name)}" for name in
             ("jinja2", "markdown-it-py", "mdit-py-plugins", "babel", "pyyaml", "odfdo", "weasyprint", "pikepdf",
              "segno", "pagefind", "pagefind_bin_extended", "orjson")]
    head = sorted((path, day) for path, day in dates.items() if plans or not path.startswith(f"{PLANS_DIR}/"))
    hasher.update(repr((sys.version, tools, head, str(output))).encode())
    return hasher.hexdigest()


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
    """True while the process that made a staging folder or a cache entry still runs (another build)."""
    try:
        os.kill(int(pid), 0)
    except PermissionError:
        return True  # someone else's process
    except (ValueError, ProcessLookupError):
        return False  # gone (or a folder from before staging folders carried a pid)
    return True

