"""Shared test helpers: a throw-away copy of the project to build and break."""

from __future__ import annotations

import os
import shutil
import sys
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
    for name in ("glossary.yml", "frameworks.yml"):
        shutil.copy(PROJECT / "content" / name, target / "content" / name)
    for path in sorted((PROJECT / "content" / "plans").glob("*.md")):
        if plans is None or path.name.split(".")[0] in plans:
            shutil.copy(path, target / "content" / "plans" / path.name)
    for path in sorted((PROJECT / "content" / "plans").iterdir()):  # a plan's attached files
        if path.is_dir() and (plans is None or path.name in plans):
            shutil.copytree(path, target / "content" / "plans" / path.name)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the whole project in a temporary folder."""
    return copy_project(tmp_path / "project")


def as_from_a_shell(command: list[str]) -> list[str]:
    """``command`` started as a shell starts it: Ctrl-C (SIGINT) neither blocked nor ignored,
    whatever the test process's own state (a child inherits both), so that a test sending it
    Ctrl-C sees what a user would."""
    start = ("import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
             "signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])")
    return [sys.executable, "-c", start, *command]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """The whole project, built once per test module."""
    from plansite.site import build

    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    build(project, project / "site")
    return project / "site"


@pytest.fixture(scope="module")
def served(built_site: Path):
    """The built site on 127.0.0.1, as a web server serves it (the 404 pages link from '/')."""
    from plansite.check import serve

    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright; a missing browser fails with the install command."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run ./setup, or: sudo apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()
