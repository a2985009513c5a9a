"""Where things are in a project, and when they last changed.

Kept apart from reading content (markdown-it, YAML): a build with nothing to do needs only
these, and answers before the heavy modules are imported.
"""

from __future__ import annotations

import functools
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

PLANS_DIR = Path("content") / "plans"
GLOSSARY_FILE = Path("content") / "glossary.yml"
FRAMEWORKS_FILE = Path("content") / "frameworks.yml"
CONFIG_FILE = "site.yml"
IGNORED = {".git", ".venv", "node_modules", ".cache", "reports", "tests", "bench", "docs", "__pycache__",
           ".pytest_cache", ".ruff_cache", ".hypothesis"}
"""Folders at the top of a project that no output depends on, and that builds do not hash
(everything else is, to be safe). Only at the top: content/plans/docs/ is read like any other
folder, and no setting may name a file in one of these (``config.project_file``)."""


def last_updated(project: Path) -> date:
    """The date of the newest content change, shown as 'last updated'."""
    return last_changed(project, PLANS_DIR, GLOSSARY_FILE, FRAMEWORKS_FILE, Path(CONFIG_FILE))


@functools.lru_cache(maxsize=4096)
def last_changed(project: Path, *paths: Path) -> date:
    """When these files (or folders) last changed: their last commit, else their file times."""
    dates = commit_dates(project)
    if dates:
        wanted = [p.as_posix() for p in paths]
        found = [dates[w] for w in wanted if w in dates]
        folders = tuple(w + "/" for w in wanted)
        found += [day for name, day in dates.items() if name.startswith(folders)]
        if found:
            return max(found)
    files = [f for p in paths
             for f in ((project / p).rglob("*") if (project / p).is_dir() else [project / p])]
    newest = max((f.stat().st_mtime for f in files if f.is_file()), default=0)
    return datetime.fromtimestamp(newest, tz=UTC).date()


def forget_dates() -> None:
    """Dates shown come from commits or file times, and both move: a build reads them afresh,
    once, when its stamp hashes them (``publish.Stamp``), so that the stamp and the pages agree."""
    last_changed.cache_clear()
    commit_dates.cache_clear()


@functools.lru_cache(maxsize=16)
def commit_dates(project: Path) -> dict[str, date]:
    """Every committed file's last commit date, by path relative to the project, from one
    ``git log`` (one per file took a minute for a thousand plans); empty outside git."""
    try:
        log = subprocess.run(["git", "log", "--relative", "--name-only", "--format=%x00%cI", "--", "."],
                             cwd=project, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    dates: dict[str, date] = {}
    day = None
    for line in log.splitlines():
        if line.startswith("\0"):
            day = datetime.fromisoformat(line[1:]).date()
        elif line and day is not None:
            dates.setdefault(line, day)
    return dates
