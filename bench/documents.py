"""Per-document cost of the downloads, measured against a baseline in the same process.

For each plan and language: the ODT (odfdo + strict ODF 1.2 packaging) and the PDF (WeasyPrint
in pdf/ua-1 mode + pikepdf finishing), each against the baseline: plain WeasyPrint rendering
the very same print HTML with no PDF/UA tagging and no finishing. Run from the project:

    .venv/bin/python bench/documents.py [--repeat 3]

Prints seconds (the best of the repeats) and the ratio to the baseline. Nothing here is an
assertion: timings belong in docs/performance.md, never in a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from weasyprint import CSS, HTML

from plansite.render_html import Page, environment, render_print
from plansite.render_odt import document_labels, render_plan_odt
from plansite.render_pdf import render_plan_pdf
from plansite.site_paths import language, plan_page
from plansite.sources import load


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loaded = load(PROJECT)
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    stylesheet = PROJECT / "templates" / "print.css"
    print(f"{'document':<34} {'baseline':>9} {'pdf':>7} {'ratio':>6} {'odt':>7}")
    totals = [0.0, 0.0, 0.0]
    for edition in loaded.editions:
        for plan in (edition.zh, edition.en):
            if plan is None:
                continue
            env = environment(PROJECT, plan.lang)
            page = Page(plan.lang, plan_page(plan.id, language(plan.lang)), "", False, loaded.config,
                        stamp.date())
            html = render_print(env, plan, page, stamp)
            baseline = best(lambda html=html: HTML(string=html, base_url=str(stylesheet.parent)).write_pdf(
                stylesheets=[CSS(filename=str(stylesheet))]), args.repeat)
            pdf = best(lambda html=html, plan=plan: render_plan_pdf(html, stylesheet, plan.lang), args.repeat)
            labels = document_labels(PROJECT, env, plan)
            odt = best(lambda plan=plan, labels=labels: render_plan_odt(plan, labels, stamp), args.repeat)
            name = f"{plan.id}.{language(plan.lang).tag}"
            print(f"{name:<34} {baseline:>8.2f}s {pdf:>6.2f}s {pdf / baseline:>5.2f}× {odt:>6.2f}s")
            for index, value in enumerate((baseline, pdf, odt)):
                totals[index] += value
    print(f"{'all ten documents':<34} {totals[0]:>8.2f}s {totals[1]:>6.2f}s {totals[1] / totals[0]:>5.2f}× "
          f"{totals[2]:>6.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
