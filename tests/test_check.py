"""The checker itself: a fixture site with known defects fails with exactly the expected codes,
the real site (both languages, every page) passes, and a missing tool is an error, not a skip."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from plansite.check import ToolMissing, html_pages, run_checks
from plansite.site import build

from .conftest import PROJECT, copy_project

DEFECTS = Path(__file__).parent / "fixtures" / "defects"

EXPECTED = {
    # no lang
    ("pa11y", "axe:html-has-lang"), ("pa11y", "htmlcs:WCAG2AA.Principle3.Guideline3_1.3_1_1.H57.2"),
    ("taiwan", "HM1310100C"),
    # an image without alt
    ("pa11y", "axe:image-alt"), ("pa11y", "htmlcs:WCAG2AA.Principle1.Guideline1_1.1_1_1.H37"),
    ("taiwan", "HM1110100C"), ("vnu", "vnu"),
    # a data table without a caption or header cells (the standard runners miss it)
    ("lint", "table-caption"), ("lint", "table-headers"),
    # a skipped heading level
    ("taiwan", "HM1130100C"),
    # a .docx download
    ("taiwan", "ME1320200C"),
    # an absolute font size
    ("taiwan", "CS2140401C"),
    # a broken anchor and a broken link
    ("links", "broken-anchor"), ("links", "broken-link"),
    ("pa11y", "htmlcs:WCAG2AA.Principle2.Guideline2_4.2_4_1.G1,G123,G124.NoSuchID"),
    # with no lang, English passages are not marked as English; no alternative colour scheme
    ("taiwan", "HM2310200C"), ("taiwan", "CS3140800C"),
}


def test_the_defect_site_fails_with_exactly_the_expected_codes() -> None:
    report = run_checks(PROJECT, DEFECTS)
    assert not report.passed
    assert {(f.check, f.code) for f in report.findings} == EXPECTED
    by_code = {f.code: f for f in report.findings}
    assert by_code["broken-anchor"].message == "#nowhere: no element has the id nowhere"
    assert by_code["CS2140401C"].message == "an absolute font size in assets/style.css: font-size: 14px"
    assert by_code["ME1320200C"].page == "index.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("checked") / "project")
    build(project, project / "site")
    return project


def test_the_real_site_passes_every_check_in_both_languages(built: Path) -> None:
    report = run_checks(PROJECT, built / "site")
    pages = html_pages(built / "site")
    assert report.pages == pages and len(pages) >= 24
    assert any(p.startswith("en/") for p in pages) and "404.html" in pages
    assert [f"{f.page}: {f.check} {f.code} {f.message}" for f in report.findings] == []


def test_check_command_writes_reports_and_exits_by_result(built: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(DEFECTS, site)
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(built), "check",
                             "--no-build", "--output", str(site)], capture_output=True, text=True,
                            timeout=600,
                            check=False)
    assert result.returncode == 1
    assert "  links   2 problems" in result.stdout
    assert "index.html: [taiwan ME1320200C] a download is not in an open format: plan.docx" in result.stdout
    data = json.loads((built / "reports" / "check.json").read_text(encoding="utf-8"))
    assert data["passed"] is False and data["counts"]["lint"] == 2 and len(data["taiwan_codes"]) == 28
    assert "<h1>Accessibility check: failed</h1>" in (built / "reports" / "index.html").read_text(
        encoding="utf-8")


def marked_processes(mark: str) -> list[str]:
    """The command names of the processes whose environment holds ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and mark.encode() in (entry / "environ").read_bytes():
                found.append((entry / "comm").read_text().strip())
        except OSError:  # ended meanwhile
            continue
    return found


def test_a_killed_check_leaves_no_browser_running(built: Path, tmp_path: Path) -> None:
    """``check`` killed while pa11y-ci's Chromium runs (kill -9: it cannot clean up) leaves no
    checker or browser process behind: they are tied to it (processes.tied)."""
    site = tmp_path / "site"
    shutil.copytree(built / "site", site)  # a minute of pages for the browser: it is killed at the start
    mark = f"PLANSITE_TEST_MARK={uuid.uuid4().hex}"
    env = os.environ | dict([mark.split("=")])
    check = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "--project", str(built), "check",
                              "--no-build", "--output", str(site)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(name.startswith("chrom") for name in marked_processes(mark)):
        assert check.poll() is None and time.monotonic() < deadline, \
            "the check ended before its browser started"
        time.sleep(0.1)
    check.send_signal(signal.SIGKILL)
    check.wait()
    deadline = time.monotonic() + 10
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []


def test_a_missing_checker_is_an_error_naming_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match=r"pa11y-ci is not installed: run \./setup"):
        run_checks(PROJECT, DEFECTS, installed=tmp_path)
