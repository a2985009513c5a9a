"""The page furniture and reader controls as a person uses them, in Debian's Chromium: the
keyboard alone, 200% text, the reading options (JavaScript on), dark mode, forced colours and
the high-contrast theme checked with axe, and print."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import html
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from plansite.site import build

from .conftest import PROJECT, copy_project

AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
PLAN = "plans/keelung-tax-2023/index.html"
HSINCHU = "plans/hsinchu-tax-2018/index.html"


FOCUS = """() => {
  const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
  const x = r.left + Math.min(r.width / 2, 5), y = r.top + r.height / 2;
  const top = document.elementFromPoint(x, y);
  return {tag: e.tagName, href: e.getAttribute('href'), id: e.id,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          visible: r.bottom > 0 && r.top < innerHeight && r.width > 0,
          uncovered: top === e || e.contains(top) || (top && top.contains(e))};
}"""


def test_keyboard_walk_through_a_plan_page(browser, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + PLAN)
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS)
    assert first["href"] == "#main" and first["outline"] and first["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(served + PLAN)
    for _ in range(40):  # header, navigation, reading options, contents …
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        assert focus["outline"], f"no visible focus on {focus}"
        assert focus["visible"] and focus["uncovered"], f"focus hidden on {focus}"
    page.close()


def test_access_keys_mark_their_blocks(browser, served: str) -> None:
    """Headless Chromium does not act on synthetic Alt+key presses, so this checks what the
    browser acts on: each key once, on a ':::' link with a title, at the start of its block,
    and reachable by keyboard."""
    page = browser.new_page()
    page.goto(served + PLAN)
    blocks = {"U": "header", "C": "main", "Z": "footer"}
    for key, block in blocks.items():
        target = page.locator(f"[accesskey='{key}']")
        assert target.count() == 1
        assert target.get_attribute("href") == f"#{key}" and target.get_attribute("id") == key
        assert target.inner_text().startswith(":::") and target.get_attribute("title")
        # the name says which block: three ":::" links to three places must not sound the same
        assert page.get_by_role("link", name=":::" + " " + target.get_attribute("title"),
                                exact=True).count() == 1
        assert page.evaluate(f"document.querySelector('{block}').contains(document.getElementById('{key}'))")
        target.focus()
        assert page.evaluate(FOCUS)["outline"]
    page.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_no_horizontal_scrolling_at_200_percent_text(browser, built_site: Path, served: str,
                                                     width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    for path in sorted(built_site.rglob("*.html")):
        page.goto(served + path.relative_to(built_site).as_posix())
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, "
                                       "document.documentElement.clientWidth]")
        assert scroll <= client, f"{path.relative_to(built_site)} at {width}px and 200% text: {scroll}px wide"
    context.close()


ROOT_STYLE = "getComputedStyle(document.documentElement).{}"


def styled(page, prop: str, value: str) -> bool:
    """Whether the page's root comes to have this style. Switching the contrast sheet on makes
    the browser load and apply it after the click has returned (CI once read the old white
    background in between), so this waits up to five seconds before saying no."""
    try:
        page.wait_for_function(f"{ROOT_STYLE.format(prop)} === {value!r}", timeout=5000)
    except PlaywrightTimeout:
        return False
    return True


def test_reading_options_change_text_size_and_contrast_and_persist(browser, served: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + PLAN)
    assert page.locator("[data-reader]").is_visible()
    page.click("[data-size='150']")
    page.click("[data-contrast]")
    assert styled(page, "fontSize", "24px")
    assert styled(page, "backgroundColor", "rgb(0, 0, 0)")
    page.goto(served + "en/index.html")  # another page remembers both
    assert styled(page, "fontSize", "24px")
    assert styled(page, "backgroundColor", "rgb(0, 0, 0)")
    assert page.locator("[data-contrast]").get_attribute("aria-pressed") == "true"
    page.click("[data-size='100']")
    page.click("[data-contrast]")
    assert styled(page, "fontSize", "16px")
    assert styled(page, "backgroundColor", "rgb(255, 255, 255)")
    context.close()


AT_FIRST_PAINT = """window.__atBody = null; window.__shift = 0;
new MutationObserver((changes, observer) => {
  if (!document.body) return;
  const root = document.documentElement, sheet = document.querySelector('link[href$="contrast.css"]');
  window.__atBody = {js: root.classList.contains('ps-js'), size: root.style.fontSize,
                     contrast: sheet && sheet.rel};
  observer.disconnect();
}).observe(document, {childList: true, subtree: true});
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__shift += e.value; })
  .observe({type: 'layout-shift', buffered: true});"""
"""Records the page's state when the parser reaches <body> (before anything can be painted),
and the layout shifts that follow."""


@pytest.mark.parametrize("width", [375, 1280])
def test_the_readers_choices_hold_from_the_first_paint(browser, served: str, width: int) -> None:
    """A reader who chose the largest text saw every page drawn at normal size and then jump
    (layout shift 0.6-0.8 on a phone), one who chose high contrast saw it flash white, and the
    phone menu folded after the links had been shown: reader.js ran deferred. It now runs in the
    head, so all three hold before the body is parsed, and the page does not move as it loads
    (a layout shift under 0.1 is Web Vitals' "good"; on a slow phone, emulated)."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(served + "404.html")
    page.evaluate("localStorage.setItem('plansite-size', '150')")
    page.evaluate("localStorage.setItem('plansite-contrast', 'on')")
    page.add_init_script(AT_FIRST_PAINT)
    context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    for path in (PLAN, "en/" + PLAN, "en/deadlines/index.html"):
        page.goto(served + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        chosen = {"js": True, "size": "150%", "contrast": "stylesheet"}
        assert page.evaluate("window.__atBody") == chosen, path
        shift = page.evaluate("window.__shift")
        assert shift < 0.1, f"{path} at {width}px: the page moved as it loaded (layout shift {shift:.2f})"
        if width < 600:
            assert not page.locator(".ps-nav").is_visible(), path
    context.close()


def test_without_javascript_the_reading_options_stay_hidden(browser, served: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served + PLAN)
    assert not page.locator("[data-reader]").is_visible() and not page.locator("[data-contrast]").is_visible()
    assert page.locator("h1").is_visible()
    context.close()


AXE_OPTIONS = """{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
                 rules: {'label-content-name-mismatch': {enabled: true}}}"""
"""WCAG 2.0-2.2 A and AA, with axe's check that a control's name holds its visible text
(2.5.3 Label in Name), which axe leaves off by default."""


def axe_violations(page) -> list:
    # as the test tool, not a page script: the pages' CSP stays on
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(f"async () => (await axe.run(document, {AXE_OPTIONS})).violations")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result]


# The system's colour modes, the site's own high-contrast option (in light and dark mode, where
# the light theme's button colours once met its yellow), and the site's largest text size.
MODES = {"light": {}, "dark": {"color_scheme": "dark"}, "forced-colors": {"forced_colors": "active"},
         "high-contrast": {}, "high-contrast-dark": {"color_scheme": "dark"}, "text-150": {}}


@pytest.mark.parametrize("mode", MODES)
def test_every_colour_mode_passes_axe(browser, served: str, mode: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **MODES[mode])
    page = context.new_page()
    page.goto(served + "index.html")
    if mode.startswith("high-contrast"):
        page.click("[data-contrast]")
    if mode == "text-150":
        page.click("[data-size='150']")
    # the search page with results, and its "More results" button shown as after a long list
    for path in (PLAN, "en/" + PLAN, "en/glossary/index.html", "framework/index.html",
                 "search/index.html?q=服務",
                 "en/plans/ntbt-2016/deadlines/index.html#k-dated"):
        page.goto(served + path)
        if mode.startswith("high-contrast"):  # axe must see the sheet applied, not the light theme
            assert styled(page, "backgroundColor", "rgb(0, 0, 0)"), f"{path}: high contrast not applied"
        if "?q=" in path:
            page.locator("[data-results][data-done]").wait_for(state="attached")
            page.evaluate("document.querySelector('[data-more]').hidden = false")
        page.screenshot(path=str(tmp_path / f"{mode}.png"))
        assert axe_violations(page) == [], f"{path} in {mode} mode"
    context.close()


def test_buttons_contrast_in_the_sites_high_contrast_mode(browser, served: str) -> None:
    """The search buttons took the light theme's white text onto high contrast's yellow (1.07:1)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "search/index.html?q=服務")
    page.click("[data-contrast]")
    assert styled(page, "backgroundColor", "rgb(0, 0, 0)")
    page.locator("[data-results][data-done]").wait_for(state="attached")
    page.evaluate("document.querySelector('[data-more]').hidden = false")
    colours = page.evaluate("""[...document.querySelectorAll('button:not([hidden])')].map(b => {
        const s = getComputedStyle(b); return [b.textContent.trim(), s.color, s.backgroundColor]; })""")
    for text, foreground, background in colours:
        assert contrast(foreground, background) >= 4.5, f"{text}: {foreground} on {background}"
    context.close()


def contrast(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of two opaque rgb() colours."""
    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1:-1].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


LINKS = """() => [...document.querySelectorAll('a[href]')].filter(a => a.getClientRects().length)
    .map(a => [a.href, a.getAttribute('aria-label') || a.textContent.replace(/\\s+/g, ' ').trim()])"""


@pytest.mark.parametrize("lang", ["", "en/"])
def test_links_that_read_the_same_go_to_the_same_place(browser, served: str, lang: str) -> None:
    """The data page's JSON and CSV links, the framework's counts, repeated contents entries
    and the ::: access keys each name where they go (WCAG 2.4.4, 2.4.9)."""
    page = browser.new_page()
    for path in ("data/index.html", "framework/index.html", "plans/ntbt-2016/index.html",
                 "units/national-taxation-bureau-of-taipei-ministry-of-finance/index.html",
                 "deadlines/index.html"):
        page.goto(served + lang + path)
        targets: dict[str, set[str]] = {}
        for href, name in page.evaluate(LINKS):
            targets.setdefault(name, set()).add(href)
        same = {name: hrefs for name, hrefs in targets.items() if len(hrefs) > 1}
        assert same == {}, f"{lang}{path}: {same}"
    page.close()


def test_text_size_buttons_are_named_with_their_visible_text(browser, served: str) -> None:
    """WCAG 2.5.3: a button showing "A" is named "A …", so a voice user can say what they see."""
    page = browser.new_page()
    for path, words in ((PLAN, ("標準字級", "較大字級", "最大字級")),
                        ("en/" + PLAN, ("Normal text size", "Large text size", "Largest text size"))):
        page.goto(served + path)
        for size, word in zip(("100", "125", "150"), words, strict=True):
            button = page.locator(f"[data-size='{size}']")
            assert button.get_attribute("aria-label") is None
            name = page.get_by_role("button", name=f"A {word}", exact=True)
            assert name.count() == 1 and name.get_attribute("data-size") == size
    page.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_text_size_buttons_show_the_sizes_they_set(browser, served: str, width: int) -> None:
    """Each button's "A" is drawn larger than the one before, so a reader sees which sets the
    larger text (a more specific rule had drawn all three alike)."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(served + PLAN)
    sizes = [page.locator(f"[data-size='{size}']").evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
             for size in ("100", "125", "150")]
    assert sizes[0] < sizes[1] < sizes[2], sizes
    page.close()


ONE_LINE_DEADLINES = """() => {
  const split = [];
  for (const table of document.querySelectorAll('.ps-action-table')) {
    const heads = [...table.querySelectorAll('thead th')];
    const column = heads.findIndex(th => th.classList.contains('ps-action-table__deadline'));
    if (column < 0) continue;
    for (const row of table.querySelectorAll('tbody tr')) {
      const cell = row.children[column];
      if (!cell || cell.rowSpan > 1 || cell.textContent.trim().length > 16) continue;
      const range = document.createRange();
      range.selectNodeContents(cell);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) split.push(cell.textContent.trim());
    }
  }
  return split;
}"""


@pytest.mark.parametrize("path", ["en/" + HSINCHU, HSINCHU])
def test_a_short_deadline_keeps_to_one_line_in_a_wide_table(browser, served: str, path: str) -> None:
    """On a desktop, a deadline such as "By December 2018" is one line in its column; the
    column was so narrow that its year went to a line of its own."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(served + path)
    assert page.locator(".ps-action-table__deadline").count() > 0
    assert page.evaluate(ONE_LINE_DEADLINES) == []
    page.close()


def test_card_labels_are_shown_but_not_read_twice(browser, served: str) -> None:
    """At 40em and below each cell shows its column's name; screen readers already announce
    the column header, so the shown name has empty alternative text and no cell's name holds it."""
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto(served + PLAN)
    table = page.locator("table.ps-action-table").first
    assert page.evaluate("getComputedStyle(document.querySelector('tbody td'), "
                         "'::before').display") == "block"
    snapshot = table.aria_snapshot()
    assert 'cell "隨時辦理"' in snapshot and "完成期限 隨時辦理" not in snapshot
    page.close()


def test_print_hides_navigation_and_controls(browser, served: str) -> None:
    page = browser.new_page()
    page.emulate_media(media="print")
    controls = (".ps-nav", ".ps-reader", ".ps-skip", ".ps-footer__links", ".ps-breadcrumbs",
                ".ps-header__language", ".ps-header__menu-button", ".ps-header__contrast")
    # links within the page and a folded list: on paper they only lengthen the plan
    within = (".ps-toc", ".ps-summary__more", ".ps-back")
    for path, selectors in ((PLAN, controls), (HSINCHU, within)):
        page.goto(served + path)
        for selector in selectors:
            assert page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).display") == "none"
        assert page.locator("h1").is_visible()
    page.goto(served + HSINCHU)
    page.evaluate("document.querySelector('.ps-summary__more').open = true")  # opened, it prints
    assert page.evaluate("getComputedStyle(document.querySelector('.ps-summary__more')).display") != "none"
    page.close()


def test_site_map_lists_every_page_and_404_pages_help(built_site: Path) -> None:
    for prefix in ("", "en/"):
        doc = html.fromstring((built_site / prefix / "sitemap" / "index.html").read_bytes())
        linked = {(built_site / prefix / "sitemap" / a.get("href")).resolve() for a in doc.iter("a")}
        for page in built_site.glob(prefix + "*/index.html"):
            if page.parent.name not in ("plans", "en"):
                assert page.resolve() in linked, page
        for plan in (built_site / prefix / "plans").glob("*/index.html"):
            assert plan.resolve() in linked
        missing = html.fromstring((built_site / prefix / "404.html").read_bytes())
        assert missing.get("lang") == ("en" if prefix else "zh-Hant-TW")
        assert {a.get("href") for a in missing.iter("a")} >= {f"/{prefix}index.html",
                                                              f"/{prefix}sitemap/index.html"}


def test_accessibility_badge_is_off_by_default_and_shown_when_configured(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    build(project, project / "site")
    assert b"accessibility-badge" not in (project / "site" / "index.html").read_bytes()
    shutil.copy(Path(__file__).parent / "fixtures" / "badge" / "badge.png", project / "badge.png")
    config = project / "site.yml"
    config.write_text(config.read_text(encoding="utf-8") + """
accessibility_badge:
  href: https://accessibility.example.org/site/123
  image: badge.png
  alt:
    zh: 無障礙標章
    en: Accessibility badge
""", encoding="utf-8")
    build(project, project / "site")
    for prefix, alt in (("", "無障礙標章"), ("en/", "Accessibility badge")):
        doc = html.fromstring((project / "site" / prefix / "index.html").read_bytes())
        (image,) = doc.xpath("//img[contains(@src, 'accessibility-badge')]")
        assert (image.get("width"), image.get("height"), image.get("alt")) == ("88", "31", alt)
        assert image.getparent().get("href") == "https://accessibility.example.org/site/123"
    assert (project / "site" / "assets" / "accessibility-badge.png").is_file()
