"""Pages as a browser shows them (Debian's Chromium, JavaScript off): no horizontal scrolling
at 320 CSS px, line height at least 1.5, and prose lines of at most about 40 characters."""

from __future__ import annotations

import re
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")








def open_pages(browser, built_site: Path, served: str, width: int, **options):
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False, **options)
    for path in sorted(built_site.rglob("*.html")):
        page = context.new_page()
        page.goto(served + path.relative_to(built_site).as_posix())
        yield path.relative_to(built_site), page
        page.close()
    context.close()


def test_no_horizontal_scrolling_at_320_css_px(browser, built_site: Path, served: str) -> None:
    for path, page in open_pages(browser, built_site, served, 320):
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, f"{path}: page is {scroll}px wide in a {client}px window"


def test_narrow_tables_stack_and_keep_column_names(browser, served: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(served + "plans/keelung-tax-2023/index.html")
    label = page.evaluate("getComputedStyle(document.querySelector('tbody td'), '::before').content")
    assert label == '"推動作法"'
    context.close()


def test_line_height_and_line_length(browser, built_site: Path, served: str) -> None:
    for path, page in open_pages(browser, built_site, served, 1280):
        tight = page.evaluate("""[...document.querySelectorAll('p, li, td, th, dd')]
            .map(e => getComputedStyle(e))
            .filter(s => parseFloat(s.lineHeight) / parseFloat(s.fontSize) < 1.5).length""")
        assert tight == 0, f"{path}: {tight} elements with line height below 1.5"
        widest = page.evaluate("""Math.max(0, ...[...document.querySelectorAll('main p')]
            .filter(e => !e.closest('table'))
            .map(e => e.getBoundingClientRect().width / parseFloat(getComputedStyle(e).fontSize)))""")
        assert widest <= 40.5, f"{path}: prose lines {widest:.1f} characters wide"


def test_stylesheet_uses_only_relative_font_sizes() -> None:
    css = (Path(__file__).parent.parent / "templates" / "assets" / "site.css").read_text()
    sizes = re.findall(r"font-size:\s*([^;]+);", css)
    assert sizes
    for size in sizes:
        assert re.fullmatch(r"[\d.]+(rem|em|%)|inherit|smaller|larger", size.strip()), size
