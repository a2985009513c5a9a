"""Publishing never loses anything: builds killed at every step of the swap, folders that are
not plansite's, and a machine that fails (a full disk, an immutable folder, an unreadable
file). Each build here is a real process, killed with SIGKILL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .conftest import PROJECT
from .killed_builds import generation_of, publish_generation, visible

SHM = Path("/dev/shm")


def test_builds_killed_at_every_step_of_the_swap_never_lose_or_half_publish_a_site(tmp_path: Path) -> None:
    """Builds killed at every step of the swap, in every sequence of up to three: see
    tests/killed_builds.py. It runs in a small process of its own, in memory when it can: a
    few hundred builds on a loaded disk took a minute."""
    folder = Path(tempfile.mkdtemp(dir=SHM)) if os.access(SHM, os.W_OK) else tmp_path
    try:
        done = subprocess.run([sys.executable, "-m", "tests.killed_builds", str(folder), "3"], cwd=PROJECT,
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "killed builds from" in done.stdout


def test_the_killed_builds_of_the_issue(tmp_path: Path) -> None:
    """One build killed while it removes the previous site, the next between its two renames:
    the recovery publishes the newer complete site, not the half-removed older one."""
    assert not publish_generation(tmp_path, 1)
    assert not publish_generation(tmp_path, 2)
    assert publish_generation(tmp_path, 3, "removing")
    assert publish_generation(tmp_path, 4, "moved")
    assert not (tmp_path / "site").exists()
    assert visible(tmp_path, tmp_path.parent / f"{tmp_path.name}-scratch") == 4
    assert not publish_generation(tmp_path, 5)
    assert generation_of(tmp_path / "site") == 5 and sorted(os.listdir(tmp_path)) == ["site"]


def test_folders_named_like_leftovers_but_not_plansites_are_left_alone(tmp_path: Path, capfd) -> None:
    """A folder named site.old-… or site.tmp-… that plansite did not make (someone's backup)
    is never removed, and never published: it is named on stderr."""
    assert not publish_generation(tmp_path, 1)
    backup = tmp_path / "site.old-2024" / "site"
    backup.mkdir(parents=True)
    (backup / "notes.txt").write_text("mine", encoding="utf-8")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    kept = tmp_path / f"site.tmp-{dead}-backup"
    kept.mkdir()
    (kept / "index.html").write_text("mine", encoding="utf-8")
    (tmp_path / "site").rename(tmp_path / "gone")
    assert not publish_generation(tmp_path, 2)
    assert (backup / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (kept / "index.html").read_text(encoding="utf-8") == "mine"
    assert generation_of(tmp_path / "site") == 2
    err = capfd.readouterr().err
    assert "site.old-2024: named like a folder plansite leaves" in err and f"{kept}: named like" in err
