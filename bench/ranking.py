"""How well the search orders its results, with the build's Pagefind binary and another one.

    .venv/bin/python bench/ranking.py                      # the project's own plans, standard binary
    .venv/bin/python bench/ranking.py --project bench-corpus-folder

The recall test (tests/test_search.py) checks that every page holding a query is found; this
measures the order a reader sees them in. The project's site is built once; its pages are
indexed by the build's binary and, in a copy, by the other binary (``--indexer``, as in
bench/search.py), and each Chinese query of the recall test is searched in both in real
Chromium, every batch of results loaded. A result's relevance is how often its page's text
holds the query; the order is scored by nDCG (1.0: the pages that say it most come first).
Nothing here is an assertion: the figures belong in docs/performance.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.search import INDEXERS, with_shards
from plansite.check import CHROMIUM, serve
from plansite.search import PLANS_PER_SHARD, page_text
from tests.test_search import CHINESE_QUERIES


def results(browser, url: str, query: str) -> list[str]:
    """The pages a search lists, in order, every batch loaded."""
    page = browser.new_page()
    page.goto(f"{url}search/index.html?q={query}")
    done = page.locator("[data-results][data-done]")
    done.wait_for(state="attached", timeout=120_000)
    while page.locator("[data-more]:visible").count():
        page.evaluate("document.querySelector('[data-results]').removeAttribute('data-done')")
        page.locator("[data-more]").click()
        done.wait_for(state="attached", timeout=120_000)
    links = page.locator("[data-list] > li").evaluate_all(
        "items => items.map(item => item.querySelector('a').getAttribute('href'))")
    page.close()
    pages: list[str] = []
    for link in links:
        path = link.split("#")[0]
        if path not in pages:
            pages.append(path)
    return pages


def ndcg(site: Path, pages: list[str], query: str) -> float:
    relevance = [page_text((site / path.strip("/") / "index.html").read_text(encoding="utf-8")).count(query)
                 for path in pages]
    gain = sum(r / math.log2(i + 2) for i, r in enumerate(relevance))
    ideal = sum(r / math.log2(i + 2) for i, r in enumerate(sorted(relevance, reverse=True)))
    return gain / ideal if ideal else 1.0


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=PROJECT)
    parser.add_argument("--indexer", choices=sorted(INDEXERS), default="standard")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plansite-ranking-") as scratch:
        folder = Path(scratch)
        project = folder / "project"
        shutil.copytree(options.project, project, ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "site", ".cache", "reports", "tests", "bench"))
        build = [sys.executable, str(PROJECT / "build.py"), "--project", str(project), "--no-downloads"]
        subprocess.run(build, env=os.environ | {"PLANSITE_CACHE": str(folder / "cache")}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sites = {"build's": with_shards(project, folder, PLANS_PER_SHARD)[0],
                 options.indexer: with_shards(project, folder, PLANS_PER_SHARD, options.indexer)[0]}
        scores: dict[str, list[float]] = {name: [] for name in sites}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            print(f"{'query':10} " + " ".join(f"{name + ' binary':>16}" for name in sites))
            for query in CHINESE_QUERIES:
                row = []
                for name, site in sites.items():
                    with serve(site) as url:
                        score = ndcg(site, results(browser, url, query), query)
                    scores[name].append(score)
                    row.append(f"{score:16.3f}")
                print(f"{query:10} " + " ".join(row), flush=True)
            browser.close()
        print("mean nDCG   " + " ".join(f"{sum(s) / len(s):16.3f}" for s in scores.values()))


if __name__ == "__main__":
    main()
