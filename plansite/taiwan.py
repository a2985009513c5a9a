"""Taiwan's 網站無障礙規範 115.11: our implementation of its 28 machine-checkable "C" codes.

Taiwan's official checker (Freego) is a desktop program that cannot run in CI. These checks
follow the codes as ../shared/docs/standards.md words them, at the strictest level (AAA).
Most read the page's markup and stylesheets; the line length and spacing codes measure the
rendered page in Chromium. Where a code needs a judgement no machine can make (which options
are "related"), the check is a documented heuristic: see ``CODES``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from .languages import CHINESE, ENGLISH

CODES = {
    "HM1110100C": ("A", "every img has an alt attribute"),
    "HM1110101C": ("A", "every area has a non-empty alt"),
    "HM1110103C": ("A", "emoji and pictographs have a text equivalent (aria-label or title)"),
    "HM1110104C": ("A", "input type=image has a non-empty alt"),
    "HM1110105C": ("A", "object has fallback content; embed stands inside such an object"),
    "HM1110106C": ("A", "an img with alt=\"\" has no title"),
    "HM1130100C": ("A", "headings start at h1 and nest without skipping levels"),
    "HM1130101C": ("A", "every th carries scope"),
    "HM1130102C": ("A", "headers attributes reference existing, unique th ids"),
    "HM1130103C": ("A", "a select with more than 10 options groups them with optgroup"),
    "HM1130104C": ("A", "every form control has a label, aria-label or title"),
    "HM1130105C": ("A", ("radio buttons and check boxes of one name sit in a fieldset "
                         "whose first child is its legend")),
    "HM1130200C": ("A", "right-to-left text is marked with dir"),
    "HM1240102C": ("A", "lists of links are in nav, and no nav is empty"),
    "HM1240200C": ("A", "the page has a non-empty title"),
    "HM1240400C": ("A", "an image link and a text link to one address beside each other are one link"),
    "HM1240401C": ("A", "every link has text; a link holding an image and text also has a title"),
    "HM1310100C": ("A", "html has a valid, non-empty lang"),
    "ME1320200C": ("A", "downloads are open formats, never .doc/.docx/.xls/.xlsx/.ppt/.pptx"),
    "HM1410200C": ("A", "interactive elements expose a name and a role"),
    "HM1410201C": ("A", "every iframe has a non-empty title"),
    "CS2140401C": ("AA", "every CSS font size is relative (em, rem, %) or a keyword, inline styles included"),
    "HM2310200C": ("AA", "passages in the other language carry lang"),
    "CS3140800C": ("AAA", "an alternative colour scheme is offered (an alternate stylesheet)"),
    "CS3140801C": ("AAA", ("column widths are relative, and lines hold at most "
                           "40 Chinese (80 Latin) characters")),
    "CS3140802C": ("AAA", "line height at least 1.5, paragraph spacing larger, no justified text"),
    "HM3240900C": ("AAA", "a stand-alone link carries both text and a title"),
    "HM3241000C": ("AAA", "every section and article has a heading"),
}

LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")
RTL = re.compile("[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]")
CLOSED_FORMATS = (".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx")
ABSOLUTE_SIZE = re.compile(r"(?<![\w.-])(?:\d+(?:\.\d+)?|\.\d+)(px|pt|pc|cm|mm|in|q)\b", re.IGNORECASE)
FONT_SIZE = re.compile(r"font(?:-size)?\s*:\s*([^;}]+)", re.IGNORECASE)
WIDTH = re.compile(r"(?<![-\w])(?:min-|max-)?width\s*:\s*([^;}]+)", re.IGNORECASE)
STANDALONE_PARENTS = {"li", "td", "th", "dd", "p"}


def check_pages(site: Path, base: str, documents: dict, chromium: Path) -> list[tuple[str, str, str, str]]:
    """Every code over every page: the markup codes here, the rendering codes in the browser.
    Each is (page, code, message, element); the checks stage (check.py) makes them findings."""
    findings = []
    for page, doc in documents.items():
        css = stylesheets(site / page, doc)
        for code, message, element in markup_codes(doc, css):
            findings.append((page, code, message, element))
    findings += rendering_codes(base, list(documents), chromium)
    return findings


def stylesheets(path: Path, doc) -> list[tuple[str, str]]:
    """(where, CSS text) of the page's linked stylesheets, style elements and style attributes."""
    found = []
    for link in doc.xpath("//link[@href]"):
        if "stylesheet" in (link.get("rel") or "").split():
            href = urlsplit(link.get("href")).path
            file = (path.parent / href).resolve()
            if not urlsplit(link.get("href")).scheme and file.is_file():
                found.append((href, file.read_text(encoding="utf-8")))
    found += [("<style>", style.text or "") for style in doc.iter("style")]
    found += [(f"style attribute of <{e.tag}>", e.get("style")) for e in doc.xpath("//*[@style]")]
    return found


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def name_of(element) -> str:
    """The accessible name as a checker can see it: aria-label, text, img alt, title."""
    images = " ".join(img.get("alt", "") for img in element.iter("img"))
    return (element.get("aria-label") or text_of(element) or images or element.get("title") or "").strip()


def short(element) -> str:
    from lxml import html

    text = html.tostring(element, encoding="unicode", with_tail=False)
    return text[:120] + ("…" if len(text) > 120 else "")


def markup_codes(doc, css: list[tuple[str, str]]):
    """(code, message, element) for every failure of a code that the markup shows."""
    ids = [e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")]
    for img in doc.iter("img"):
        if img.get("alt") is None:
            yield "HM1110100C", "an img has no alt attribute", short(img)
        elif img.get("alt") == "" and (img.get("title") or "").strip():
            yield "HM1110106C", "an img with empty alt has a title", short(img)
    for area in doc.iter("area"):
        if not (area.get("alt") or "").strip():
            yield "HM1110101C", "an area has no alt text", short(area)
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            labelled = owner is not None and any(
                (a.get("aria-label") or a.get("title")) for a in [owner, *owner.iterancestors()])
            if text and EMOJI.search(text) and owner is not None and not labelled:
                yield ("HM1110103C", f"the symbol {EMOJI.search(text).group()} has no text equivalent",
                       short(owner))
    for control in doc.xpath("//input[@type='image']"):
        if not (control.get("alt") or "").strip():
            yield "HM1110104C", "an image button has no alt text", short(control)
    for obj in doc.iter("object"):
        if not text_of(obj) and not len(obj):
            yield "HM1110105C", "an object has no fallback content", short(obj)
    for embed in doc.iter("embed"):
        if not any(a.tag == "object" for a in embed.iterancestors()):
            yield ("HM1110105C", "an embed has no fallback content (put it in an object with one)",
                   short(embed))
    previous = 0
    for heading in doc.xpath("//h1|//h2|//h3|//h4|//h5|//h6"):
        level = int(heading.tag[1])
        if level > previous + 1:
            yield ("HM1130100C", f"h{level} follows h{previous or 'nothing'}: a heading level is skipped",
                   short(heading))
        previous = level
    th_ids = [th.get("id") for th in doc.iter("th") if th.get("id")]
    for th in doc.iter("th"):
        if not th.get("scope"):
            yield "HM1130101C", "a th has no scope", short(th)
    for cell in doc.xpath("//*[@headers]"):
        for ref in cell.get("headers").split():
            if th_ids.count(ref) != 1 or ids.count(ref) != 1:
                yield "HM1130102C", f"headers names '{ref}', which is not exactly one th id", short(cell)
    for select in doc.iter("select"):
        if len(select.findall(".//option")) > 10 and select.find(".//optgroup") is None:
            yield "HM1130103C", "a long list of options has no optgroup", short(select)
    labelled = {label.get("for") for label in doc.iter("label") if label.get("for")}
    for control in doc.xpath("//input[not(@type='hidden' or @type='submit' or @type='button' or "
                             "@type='reset' or @type='image')] | //select | //textarea"):
        inside_label = any(a.tag == "label" for a in control.iterancestors())
        if not (inside_label or control.get("id") in labelled or control.get("title")
                or control.get("aria-label") or control.get("aria-labelledby")):
            yield "HM1130104C", "a form control has no label", short(control)
    for fieldset in doc.iter("fieldset"):
        children = [c for c in fieldset if isinstance(c.tag, str)]
        if not children or children[0].tag != "legend":
            yield "HM1130105C", "a fieldset does not start with its legend", short(fieldset)
    names: dict[str, list] = {}
    for control in doc.xpath("//input[@type='radio' or @type='checkbox'][@name]"):
        names.setdefault(control.get("name"), []).append(control)
    for name, group in names.items():
        if len(group) > 1 and not all(any(a.tag == "fieldset" for a in c.iterancestors()) for c in group):
            yield "HM1130105C", f"the controls named '{name}' are not grouped in a fieldset", short(group[0])
    for element in doc.iter():
        if (isinstance(element.tag, str) and element.text and RTL.search(element.text)
                and not any(a.get("dir") for a in [element, *element.iterancestors()])):
            yield "HM1130200C", "right-to-left text has no dir", short(element)
    for nav in doc.iter("nav"):
        if not nav.findall(".//a"):
            yield "HM1240102C", "a nav holds no links", short(nav)
    for group in doc.xpath("//ul|//ol"):
        items = group.findall("li")
        only_links = all(len(li) == 1 and li[0].tag == "a" and not (li.text or "").strip()
                         and not (li[0].tail or "").strip() for li in items)
        if len(items) >= 3 and only_links and not any(a.tag == "nav" for a in group.iterancestors()):
            yield "HM1240102C", "a list of links is not in a nav", short(group)
    title = doc.findtext(".//title") or ""
    if not title.strip():
        yield "HM1240200C", "the page has no title", ""
    links = doc.xpath("//a[@href]")
    for link in links:
        following = link.getnext()
        if (following is not None and following.tag == "a" and following.get("href") == link.get("href")
                and not (link.tail or "").strip()
                and (link.find(".//img") is not None) != (following.find(".//img") is not None)):
            yield "HM1240400C", "an image link and a text link to one address stand apart", short(link)
        if not name_of(link):
            yield "HM1240401C", "a link has no text", short(link)
        elif link.find(".//img") is not None and text_of(link) and not (link.get("title") or "").strip():
            yield "HM1240401C", "a link holding an image and text has no title", short(link)
        if link.getparent() is not None and link.getparent().tag in STANDALONE_PARENTS:
            parent = link.getparent()
            alone = (text_of(parent) == text_of(link)
                     and len([c for c in parent if isinstance(c.tag, str)]) == 1)
            if alone and not (link.get("title") or "").strip():
                yield "HM3240900C", "a stand-alone link has no title", short(link)
        path = urlsplit(link.get("href")).path.lower()
        if path.endswith(CLOSED_FORMATS):
            yield "ME1320200C", f"a download is not in an open format: {link.get('href')}", short(link)
    lang = doc.get("lang") or ""
    if not LANG.match(lang):
        yield "HM1310100C", f"html has no valid lang ('{lang}')", ""
    for element in doc.xpath("//button | //*[@role='button' or @role='checkbox' or @role='tab' or "
                             "@role='switch']"):
        if not name_of(element):
            yield "HM1410200C", "an interactive element has no name", short(element)
    for element in doc.xpath("//*[@tabindex and number(@tabindex) >= 0][not(self::a or self::button or "
                             "self::input or self::select or self::textarea or self::summary)][not(@role)]"):
        yield "HM1410200C", "a focusable element has no role", short(element)
    for frame in doc.iter("iframe"):
        if not (frame.get("title") or "").strip():
            yield "HM1410201C", "an iframe has no title", short(frame)
    for where, text in css:
        for match in FONT_SIZE.finditer(text):
            value = match.group(1)
            if ABSOLUTE_SIZE.search(value.split("/")[0]):
                yield "CS2140401C", f"an absolute font size in {where}: {match.group().strip()}", ""
        for match in WIDTH.finditer(text):
            sizes = [float(n) for n, _ in re.findall(r"(\d*\.?\d+)(px|pt|cm|mm|in)", match.group(1))]
            if any(size > 100 for size in sizes):
                yield "CS3140801C", f"an absolute column width in {where}: {match.group().strip()}", ""
    yield from other_language(doc, lang)
    if not doc.xpath("//link[contains(concat(' ', @rel, ' '), ' alternate ') and "
                     "contains(concat(' ', @rel, ' '), ' stylesheet ')]"):
        yield "CS3140800C", "no alternative colour scheme (alternate stylesheet) is offered", ""
    for section in doc.xpath("//section|//article"):
        if not section.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6"):
            yield "HM3241000C", f"a {section.tag} has no heading", short(section)


def other_language(doc, page_lang: str):
    """HM2310200C: Chinese on an English page, or an English passage (two or more words) on a
    Chinese page, must stand in an element whose lang says so."""
    english_page = page_lang.lower().startswith("en")
    for element in doc.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "title", "head"):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            if not text or owner is None:
                continue
            found = (CHINESE if english_page else ENGLISH).search(text)
            if not found:
                continue
            lang = next((a.get("lang") for a in [owner, *owner.iterancestors()] if a.get("lang")), "")
            if english_page and not lang.lower().startswith("zh"):
                yield ("HM2310200C", f"Chinese text '{found.group()}' is not marked lang=\"zh-Hant-TW\"",
                       short(owner))
            elif not english_page and not lang.lower().startswith("en"):
                yield "HM2310200C", f"English text '{found.group()}' is not marked lang=\"en\"", short(owner)


MEASURE = """() => {
  const out = [];
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
      (e.className ? '.' + String(e.className).split(' ')[0] : '');
  for (const e of document.querySelectorAll('main p, main li, main dd, main td, main th')) {
    const style = getComputedStyle(e);
    const size = parseFloat(style.fontSize), height = parseFloat(style.lineHeight);
    if (!size || e.getClientRects().length === 0) continue;
    const lines = e.getClientRects().length ? Math.round(e.getBoundingClientRect().height / height) : 0;
    if (height / size < 1.5)
      out.push(['CS3140802C', 'line height ' + (height / size).toFixed(2) + ' is below 1.5', describe(e)]);
    if (style.textAlign === 'justify')
      out.push(['CS3140802C', 'justified text', describe(e)]);
    const width = e.getBoundingClientRect().width / size;
    if (lines > 1 && width > 40.5 && !e.closest('table'))
      out.push(['CS3140801C', 'lines are ' + width.toFixed(1) + ' characters wide (at most 40 CJK)',
                describe(e)]);
    if (e.tagName === 'P' && e.nextElementSibling && e.nextElementSibling.tagName === 'P' &&
        parseFloat(style.marginBottom) < 0.5 * height)
      out.push(['CS3140802C', 'paragraph spacing is not larger than line spacing', describe(e)]);
  }
  return out;
}"""


def rendering_codes(base: str, pages: list[str], chromium: Path):
    """The codes that need the rendered page: line height, spacing, justification, line length."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        for path in pages:
            page.goto(base + path)
            for code, message, element in page.evaluate(MEASURE):
                yield path, code, message, element
        browser.close()
