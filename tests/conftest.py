"""Shared test helpers: a throw-away copy of the project to build and break."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

# One download cache for the whole test session (fresh each run): the many small test sites
# share their .odt and .pdf files instead of rendering the same documents again.
os.environ.setdefault("PLANSITE_CACHE", tempfile.mkdtemp(prefix="plansite-test-cache-"))


def copy_project(target: Path, plans: list[str] | None = None) -> Path:
    """The project's content, templates, catalogs and configuration, copied to ``target``."""
    for name in ("templates", "locales"):  # print.css lives in templates/
        shutil.copytree(PROJECT / name, target / name)
    shutil.copy(PROJECT / "site.yml", target / "site.yml")
    (target / "content" / "plans").mkdir(parents=True)
    shutil.copy(PROJECT / "content" / "glossary.yml", target / "content" / "glossary.yml")
    for path in sorted((PROJECT / "content" / "plans").glob("*.md")):
        if plans is None or path.name.split(".")[0] in plans:
            shutil.copy(path, target / "content" / "plans" / path.name)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the whole project in a temporary folder."""
    return copy_project(tmp_path / "project")
