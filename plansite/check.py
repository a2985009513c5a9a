"""Checks stage: the built site, served on 127.0.0.1, through every checker we rely on.

- pa11y-ci (axe and HTML_CodeSniffer, WCAG 2 AA) in Debian's Chromium, over every page;
- Taiwan's 網站無障礙規範 115.11 machine checks (:mod:`plansite.taiwan`);
- lints the standard runners miss (tables, accesskeys, one h1, the skip link first);
- the Nu Html Checker (vnu);
- links: every internal href/src, anchors included, must resolve; every page answers 200.

Each finding names its check, page and element. A checker that is not installed is an error
that says how to install it, never a silent skip.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import html

from . import taiwan
from .config import load_config
from .processes import tied

CHROMIUM = Path("/usr/bin/chromium")
INSTALLED = Path(__file__).resolve().parent.parent
"""Where ./setup installed the npm checkers (node_modules/ beside plansite/)."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
CHECKS = ("http", "pa11y", "taiwan", "lint", "vnu", "links")
"""Every check, in the order the summary lists them."""


class ToolMissing(Exception):
    """A checker is not installed; the message says how to install it."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem on one page."""

    check: str
    """Which check found it: http, pa11y, taiwan, lint, vnu or links."""
    page: str
    """The page's path in the site, e.g. 'en/plans/mof-2017/index.html'."""
    code: str
    """The rule: an axe or htmlcs code, a Taiwan code (HM1110100C …), or our own name."""
    message: str
    element: str = ""
    """Where on the page: a CSS selector or an excerpt of the markup."""


@dataclass
class CheckReport:
    pages: list[str]
    findings: list[Finding] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: sum(1 for f in self.findings if f.check == name) for name in CHECKS}

    @property
    def passed(self) -> bool:
        return not self.findings


def html_pages(site: Path) -> list[str]:
    """Every HTML page of the site, found by walking it (never a hand-kept list)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def run_checks(project: Path, site: Path, installed: Path = INSTALLED) -> CheckReport:
    """Every check over every page of ``site``; ``project`` holds the site configuration."""
    tools = find_tools(installed)
    report = CheckReport(html_pages(site))
    documents = {page: parse(site / page) for page in report.pages}
    with serve(site) as base:
        report.findings += check_status(base, report.pages)
        report.findings += run_pa11y(tools["pa11y-ci"], base, report.pages)
        taiwan_codes = taiwan.check_pages(site, base, documents, CHROMIUM)
        report.findings += [Finding("taiwan", *found) for found in taiwan_codes]
    report.findings += lint(documents)
    report.findings += run_vnu(tools["java"], tools["vnu"], site, report.pages)
    report.findings += check_links(site, documents, urlsplit(load_config(project).base_url).path or "/")
    return report


def find_tools(installed: Path) -> dict[str, Path]:
    tools = {
        "pa11y-ci": installed / "node_modules" / ".bin" / "pa11y-ci",
        "vnu": installed / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",
    }
    for name, path in tools.items():
        if not path.exists():
            raise ToolMissing(f"{name} is not installed: run ./setup (it runs 'npm ci' from "
                              "package-lock.json)")
    java = shutil.which("java")
    if java is None:
        raise ToolMissing("Java is not installed (the Nu Html Checker needs it): "
                          "sudo apt-get install -y default-jre-headless")
    if not CHROMIUM.exists():
        raise ToolMissing("Chromium is not installed: sudo apt-get install -y chromium")
    return tools | {"java": Path(java)}


def parse(path: Path):
    return html.fromstring(path.read_bytes(), parser=html.HTMLParser(encoding="utf-8"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A browser that stops reading mid-file (a closed tab) is not a problem worth printing."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 at a free port for as long as the block runs."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def check_status(base: str, pages: list[str]) -> list[Finding]:
    """pa11y passes a 404 page, so every page's status is checked here."""
    findings = []
    for page in pages:
        try:
            with urllib.request.urlopen(base + page, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            findings.append(Finding("http", page, f"HTTP {status}", f"the page answered {status}, not 200"))
    return findings


def run_pa11y(program: Path, base: str, pages: list[str]) -> list[Finding]:
    """pa11y-ci with axe and htmlcs; pages whose browser tab crashed are checked again alone."""
    results = pa11y(program, [base + p for p in pages], concurrency=2)
    crashed = [url for url, issues in results.items() if any("code" not in i for i in issues)]
    if crashed:
        results.update(pa11y(program, crashed, concurrency=1))
    findings = []
    for url, issues in sorted(results.items()):
        page = url.removeprefix(base)
        for issue in issues:
            if "code" not in issue:
                findings.append(Finding("pa11y", page, "pa11y-crash",
                                        f"pa11y could not check the page: {issue.get('message', '')}"))
            else:
                findings.append(Finding("pa11y", page, f"{issue.get('runner', '')}:{issue['code']}",
                                        issue.get("message", ""), issue.get("selector", "")))
    return findings


def pa11y(program: Path, urls: list[str], concurrency: int) -> dict[str, list[dict]]:
    config = {
        "defaults": {
            # over a pipe, the browser ends when pa11y-ci does, even when it is killed (processes.tied)
            "chromeLaunchConfig": {"executablePath": str(CHROMIUM), "args": CHROMIUM_ARGS, "pipe": True},
            "runners": ["axe", "htmlcs"],
            "standard": "WCAG2AA",
            "timeout": 60000,
            "concurrency": concurrency,
        },
        "urls": urls,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(config, handle)
        handle.flush()
        result = subprocess.run(tied([str(program), "--config", handle.name, "--json"]), capture_output=True,
                                text=True, timeout=1800, check=False, env=node_env())
    if result.returncode not in (0, 2) or not result.stdout.strip():
        raise ToolMissing(f"pa11y-ci failed to run (exit {result.returncode}): "
                          f"{result.stderr.strip()[-500:]}")
    return json.loads(result.stdout)["results"]


def node_env() -> dict[str, str]:
    import os

    return os.environ | {"PUPPETEER_SKIP_DOWNLOAD": "1", "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM)}


def run_vnu(java: Path, jar: Path, site: Path, pages: list[str]) -> list[Finding]:
    """The Nu Html Checker over every page in one run (the JVM starts once)."""
    result = subprocess.run(
        tied([str(java), "-jar", str(jar), "--format", "json", "--stdout", *(str(site / p) for p in pages)]),
        capture_output=True, text=True, timeout=600, check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        raise ToolMissing(f"vnu failed to run: {result.stderr.strip()[-500:]}") from None
    findings = []
    for message in messages:
        if message.get("type") == "error":
            page = Path(unquote(urlsplit(message.get("url", "")).path)).relative_to(site.resolve()).as_posix()
            where = f"line {message.get('lastLine', '?')}: {message.get('extract', '').strip()}"
            findings.append(Finding("vnu", page, "vnu", message.get("message", ""), where))
    return findings


# ---------------------------------------------------------------- lints the runners miss


def lint(documents: dict) -> list[Finding]:
    findings: list[Finding] = []
    for page, doc in documents.items():
        def found(code: str, message: str, element: str = "", page: str = page) -> None:
            findings.append(Finding("lint", page, code, message, element))

        h1 = doc.findall(".//h1")
        if len(h1) != 1:
            found("one-h1", f"the page has {len(h1)} h1 elements, not exactly one")
        for table in doc.iter("table"):
            if table.find("caption") is None or not table.findtext("caption", "").strip():
                found("table-caption", "a data table has no caption", excerpt(table))
            if not table.findall(".//th"):
                found("table-headers", "a data table has no header cells", excerpt(table))
            for th in table.iter("th"):
                if th.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
                    found("table-scope", "a header cell has no scope", excerpt(th))
        keys: dict[str, int] = {}
        ids = {e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")}
        for element in doc.xpath("//*[@accesskey]"):
            key = element.get("accesskey")
            keys[key] = keys.get(key, 0) + 1
            href = element.get("href", "")
            if href.startswith("#") and href[1:] not in ids:
                found("accesskey-target", f"the accesskey {key} leads to {href}, which is not on the page",
                      excerpt(element))
        for key, count in keys.items():
            if count > 1:
                found("accesskey-unique", f"the accesskey {key} is used {count} times")
        focusable = doc.xpath("//a[@href] | //button | //input[not(@type='hidden')] | //select | //textarea"
                              " | //*[@tabindex and not(@tabindex='-1')]")
        first = focusable[0] if focusable else None
        if first is None or first.tag != "a" or first.get("href") != "#main":
            found("skip-link-first", "the first focusable element is not the skip link to #main",
                  excerpt(first) if first is not None else "")
    return findings


def excerpt(element) -> str:
    text = html.tostring(element, encoding="unicode", with_tail=False)
    return text[:120] + ("…" if len(text) > 120 else "")


# ---------------------------------------------------------------- links


def check_links(site: Path, documents: dict, base_path: str = "/") -> list[Finding]:
    """Every internal href and src resolves to a file, and every #anchor to an id there.
    Root-relative links (the 404 pages') are read from ``base_path``, where site/ is published."""
    ids_cache: dict[Path, set[str]] = {}

    def ids(path: Path) -> set[str]:
        if path not in ids_cache:
            doc = documents.get(path.relative_to(site).as_posix())
            doc = parse(path) if doc is None else doc
            ids_cache[path] = {e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")}
            ids_cache[path] |= {e.get("name") for e in doc.iter("a") if e.get("name")}
        return ids_cache[path]

    findings = []
    root = site.resolve()
    for page, doc in documents.items():
        here = (site / page).resolve()
        for element in doc.xpath("//*[@href or @src]"):
            for attribute in ("href", "src"):
                target = element.get(attribute)
                if target is None or urlsplit(target).scheme or target.startswith("//"):
                    continue  # external links are not ours to check here
                parts = urlsplit(target)
                if parts.path.startswith("/"):
                    inside = parts.path.removeprefix(base_path) if parts.path.startswith(base_path) else None
                    path = (root / unquote(inside)).resolve() if inside is not None else root / ".."
                else:
                    path = here if not parts.path else (here.parent / unquote(parts.path)).resolve()
                if path.is_dir():
                    path = path / "index.html"
                if not path.is_relative_to(root) or not path.is_file():
                    findings.append(Finding("links", page, "broken-link", f"{target} does not exist",
                                            excerpt(element)))
                elif parts.fragment and path.suffix == ".html" and unquote(parts.fragment) not in ids(path):
                    findings.append(Finding("links", page, "broken-anchor",
                                            f"{target}: no element has the id {parts.fragment}",
                                            excerpt(element)))
    return findings


# ---------------------------------------------------------------- reports


def write_reports(report: CheckReport, folder: Path) -> Path:
    """reports/check.json and an accessible reports/index.html; returns the HTML page's path."""
    import jinja2

    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "passed": report.passed,
        "pages": report.pages,
        "counts": report.counts(),
        "findings": [{"check": f.check, "page": f.page, "code": f.code, "message": f.message,
                      "element": f.element} for f in report.findings],
        "taiwan_codes": {code: {"level": level, "check": text}
                         for code, (level, text) in taiwan.CODES.items()},
    }
    (folder / "check.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    template = jinja2.Environment(autoescape=True).from_string(REPORT)
    page = folder / "index.html"
    page.write_text(template.render(report=report, counts=report.counts(), codes=taiwan.CODES),
                    encoding="utf-8")
    return page


REPORT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Accessibility check: {{ "passed" if report.passed
                               else "%d problems" % report.findings|length }}</title>
<style>
body { font-family: sans-serif; line-height: 1.6; max-width: 60rem; margin: 0 auto; padding: 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border: 0.0625rem solid #767676; padding: 0.25em 0.5em; text-align: start; vertical-align: top; }
caption { text-align: start; font-weight: bold; }
code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
<h1>Accessibility check: {{ "passed" if report.passed else "failed" }}</h1>
<p>{{ report.pages|length }} pages checked; {{ report.findings|length }} problems found.</p>
<table>
<caption>Problems per check</caption>
<thead><tr><th scope="col">Check</th><th scope="col">Problems</th></tr></thead>
<tbody>
{% for name, count in counts.items() %}<tr><th scope="row">{{ name }}</th><td>{{ count }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if report.findings %}
<table>
<caption>Every problem</caption>
<thead><tr><th scope="col">Page</th><th scope="col">Check</th><th scope="col">Code</th>
<th scope="col">Problem</th><th scope="col">Element</th></tr></thead>
<tbody>
{% for f in report.findings %}<tr><td>{{ f.page }}</td><td>{{ f.check }}</td><td>{{ f.code }}</td>
<td>{{ f.message }}</td><td><code>{{ f.element }}</code></td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
<h2>Taiwan <span lang="zh-Hant-TW">網站無障礙規範</span> 115.11 codes checked</h2>
<table>
<caption>The 28 machine-checkable codes</caption>
<thead><tr><th scope="col">Code</th><th scope="col">Level</th><th scope="col">What is checked</th></tr>{#
#}</thead>
<tbody>
{% for code, (level, text)
   in codes.items() %}<tr><th scope="row">{{ code }}</th><td>{{ level }}</td><td>{{ text }}</td></tr>
{% endfor %}
</tbody>
</table>
</main>
</body>
</html>
"""
