"""Output contexts: text a plan or site.yml may hold, however much it looks like markup, a
template, a formula or a script (or is right-to-left, astral or combining), reaches every
output escaped for that output's own syntax. So it reads back exactly as written and changes
nothing around it: every page in Chromium (h1, title, metadata, JSON-LD, the whole body), the
search page, the feeds, sitemap and robots.txt, the JSON, the CSV opened in LibreOffice Calc,
and the ODT's and PDF's metadata. docs/security.md lists what each context needs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from plansite.check import serve
from plansite.i18n import catalog
from plansite.render_html import SITE_PAGES
from plansite.site import build

from .conftest import copy_project

# Each string is one a browser, an XML or JSON reader, a template engine or a spreadsheet
# would read as syntax if it were not escaped for that output.
TITLE = "</script><!--<script> \"'&<> {{ 7*7 }} {% if x %} ]]> <![CDATA[ 計畫 e\u0301 &amp;"
AGENCY = "<!--<script>測試局 </title>"
AGENCY_EN = "</script><script>alert(1)</script> Bureau ]]> {{ x }}"
TITLE_EN = "<!-- '\"' --> Plan </style> &lt; {# c #} {% endraw %}"
SITE_NAME = "<!--<script> 計畫網站 </title> مرحبا بالعالم שלום 😀𠀀 a\u0308"
SITE_NAME_EN = '</script><script>alert(1)</script> Plans & "Co" {{ 7*7 }}'
PUBLISHER = "發布機關 ]]> <![CDATA[ {% raw %}"
PUBLISHER_EN = "Publisher <!-- x ' \""
ADDRESS = "臺北市 </script><b>1</b> 號"
PHONE = "+886 2 2345 6789"
LONG_WORD = "Ｗ" + "W" * 300
PARAGRAPH = "請依本計畫辦理 </script> {{ 7*7 }} 段落。"
FORMULAS = {  # action text: what LibreOffice Calc must show (docs: "Open data in spreadsheets")
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example","點我")': '\'=HYPERLINK("https://evil.example","點我")',
    "@SUM(1)": "'@SUM(1)",
    "+1": "'+1",
    "-1+1": "'-1+1",
    "+886-2-2345-6789": "'+886-2-2345-6789",
}
NUMBERS = {"-5": "-5", "-1": "-1", "-1,000": "-1000"}  # action text: the number Calc reads

PLAN = f"""---
id: hostile-2024
lang: zh-Hant-TW
title: {json.dumps(TITLE, ensure_ascii=False)}
agency:
  zh: {json.dumps(AGENCY, ensure_ascii=False)}
  en: {json.dumps(AGENCY_EN, ensure_ascii=False)}
year: 113
issued: 113年1月15日
issued_ref: "<!-- 字號 --> ]]>"
basis:
  - authority: "</script>院"
    title: "{{{{ config }}}}「方案」"
classification:
  service: I00
tables:
  main:
    groups: ["實施要項</th>"]
    action: "推動作法<b>"
    deadline: 完成期限
    units: 承辦單位
    fields: ['備註"><']
---

# 壹、計畫依據 <!--

{PARAGRAPH}

# 貳、計畫內容

::: actions main

## 壹、基礎服務 ]]> "><!--

""" + "\n".join(
    f"- {n}. {text}\n  完成期限：{deadline}\n  承辦單位：{unit}\n"
    for n, (text, deadline, unit) in enumerate([
        *((text, "隨時辦理", "<!--<script>科") for text in FORMULAS),
        *((text, "113.1.15~113.3.31", "-1+1") for text in NUMBERS),
        (f"{LONG_WORD} e\u0301", "113年12月", PHONE),
    ], start=1)) + '  備註"><：=HYPERLINK("https://evil.example")\n\n:::\n'

PLAN_EN = f"""---
id: hostile-2024
lang: en
title: {json.dumps(TITLE_EN, ensure_ascii=False)}
tables:
  main:
    groups: ["Item</th>"]
    action: "Measures <b>"
    deadline: Deadline
    units: Units
    fields: ['Notes"><']
---

# I. Basis <!--

Carried out under this plan </script> {{{{ 7*7 }}}}.

# II. Content

::: actions main

## I. Basic services ]]> "><!--

""" + "\n".join(f"- {n}. {text}\n  Units: Service Section </script>\n"
                for n, text in enumerate([*FORMULAS, *NUMBERS, LONG_WORD], start=1)) + "\n:::\n"

SITE_YML = f"""base_url: https://plans.example.org/
site_name:
  zh: {json.dumps(SITE_NAME, ensure_ascii=False)}
  en: {json.dumps(SITE_NAME_EN, ensure_ascii=False)}
publisher:
  name:
    zh: {json.dumps(PUBLISHER, ensure_ascii=False)}
    en: {json.dumps(PUBLISHER_EN, ensure_ascii=False)}
  address:
    zh: {json.dumps(ADDRESS, ensure_ascii=False)}
    en: "No. 1 </script> Road"
  phone: "{PHONE}"
  email: webmaster@example.org
  office_hours:
    zh: 週一 <b>
    en: Mon & Tue
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A site built from a plan (and its translation) and a site.yml full of hostile text."""
    project = copy_project(tmp_path_factory.mktemp("contexts") / "project", plans=[])
    (project / "content" / "plans" / "hostile-2024.zh-Hant.md").write_text(PLAN, encoding="utf-8")
    (project / "content" / "plans" / "hostile-2024.en.md").write_text(PLAN_EN, encoding="utf-8")
    (project / "site.yml").write_text(SITE_YML, encoding="utf-8")
    for locale, word in (("en", "Search"), ("zh_Hant_TW", "搜尋")):  # a translator's quotes, tags, &
        po = project / "locales" / locale / "LC_MESSAGES" / "messages.po"
        text = po.read_text(encoding="utf-8")
        assert f'msgid "Search"\nmsgstr "{word}"' in text
        po.write_text(text.replace(f'msgid "Search"\nmsgstr "{word}"',
                                   f'msgid "Search"\nmsgstr "{word} \\"<b>\\" & \'"'),
                      encoding="utf-8")
    build(project, project / "site")
    return project / "site"


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def expected_h1(path: str, project: Path) -> str:
    """What the h1 of each page of the hostile site says."""
    english = path.startswith("en/")
    gettext = catalog(project, "en" if english else "zh-Hant-TW").gettext
    name = path.removeprefix("en/")
    if name == "index.html":
        return SITE_NAME_EN if english else SITE_NAME
    if name == "plans/hostile-2024/index.html":
        return TITLE_EN if english else TITLE
    if name == "404.html":
        return gettext("Page not found")
    if name == "plans/hostile-2024/units/index.html":
        return gettext("This plan's actions by responsible unit")
    if name == "plans/hostile-2024/deadlines/index.html":
        return gettext("This plan's actions by kind of deadline")
    if name.startswith("units/") and name != "units/index.html":
        return gettext("Responsible units: %(agency)s") % {"agency": AGENCY_EN if english else AGENCY}
    return gettext(dict(SITE_PAGES)[name.split("/")[0]])


READ_PAGE = """() => ({
  h1: [...document.querySelectorAll("h1")].map(e => e.textContent),
  title: document.title,
  body: document.body.innerText,
  dcTitle: document.querySelector('meta[name="DC.Title"]').content,
  siteName: document.querySelector('meta[property="og:site_name"]').content,
  links: [...document.querySelectorAll(".ps-footer__links a")].map(a => [a.title, a.textContent]),
  scripts: [...document.scripts].map(s => [s.getAttribute("src"), s.type]),
  linkedData: [...document.querySelectorAll('script[type="application/ld+json"]')].map(s => s.text),
})"""


def test_every_page_reads_whole_in_chromium(hostile: Path, browser) -> None:
    """In each page, the h1 says exactly what it should, the title, metadata and JSON-LD read
    back exactly, the body holds the header, the content and the footer (nothing swallowed by
    a parser gone astray), and no script but ours exists or runs."""
    project = hostile.parent
    pages = sorted(p.relative_to(hostile).as_posix() for p in hostile.rglob("*.html")
                   if "pagefind" not in p.parts)
    assert len(pages) > 25
    plans = {tag: json.loads((hostile / "data" / "plans" / f"hostile-2024.{tag}.json").read_text(
        encoding="utf-8"))
             for tag in ("zh-Hant", "en")}
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with serve(hostile) as url:
        for path in pages:
            page.goto(url + path)
            seen = page.evaluate(READ_PAGE)
            english = path.startswith("en/")
            site_name = SITE_NAME_EN if english else SITE_NAME
            h1 = expected_h1(path, project)
            assert seen["h1"] == [h1], path
            title = f"{h1} | {site_name}" if h1 != site_name else site_name
            if "/hostile-2024/" in path and not path.endswith("/hostile-2024/index.html"):  # a narrowed view
                title = f"{h1} | {TITLE_EN if english else TITLE} | {site_name}"
            assert seen["title"] == seen["dcTitle"] == title, path
            assert seen["siteName"] == site_name, path
            body = squeeze(seen["body"])
            for text in (site_name, h1, PUBLISHER_EN if english else PUBLISHER, PHONE):
                assert squeeze(text) in body, f"{path}: {text!r} missing"
            gettext = catalog(project, "en" if english else "zh-Hant-TW").gettext
            assert seen["links"] == [[gettext(label)] * 2 for _, label in SITE_PAGES], path
            for source, kind in seen["scripts"]:
                assert kind == "application/ld+json" or source.endswith(("assets/reader.js",
                                                                         "assets/search.js")), path
            plan = plans["en" if english else "zh-Hant"]
            if path.endswith("plans/hostile-2024/index.html"):
                for action in plan["actions"]:
                    assert squeeze(action["text"]) in body, f"{path}: action {action['id']} missing"
                assert squeeze(plan["sections"][0]["blocks"][0]["text"]) in body
                linked_data = [json.loads(text) for text in seen["linkedData"]]
                assert [(d["name"], d["author"]["name"], d["publisher"]["name"]) for d in linked_data] == [
                    (h1, AGENCY_EN if english else AGENCY, PUBLISHER_EN if english else PUBLISHER)]
            else:
                assert seen["linkedData"] == [], path
            if path.removeprefix("en/").startswith("units/"):  # the units index and the agency's page
                for unit in {unit for action in plan["actions"] for unit in action["units"]}:
                    assert squeeze(unit) in body, f"{path}: unit {unit!r} missing"
        page.goto(url + "search/index.html?q=計畫")
        page.wait_for_selector("[data-results][data-done=true]", state="attached")
        found = page.eval_on_selector_all(".ps-results__title a", "links => links.map(a => a.textContent)")
        assert TITLE in found
    context.close()
    assert dialogs == []


def test_feeds_sitemap_robots_and_json_carry_the_text_exactly(hostile: Path) -> None:
    for prefix, title, site_name, agency, publisher in (("", TITLE, SITE_NAME, AGENCY, PUBLISHER),
                                                        ("en/", TITLE_EN, SITE_NAME_EN, AGENCY_EN,
                                                         PUBLISHER_EN)):
        feed = etree.fromstring((hostile / prefix / "feed.xml").read_bytes(), etree.XMLParser(recover=False))
        atom = {"a": "http://www.w3.org/2005/Atom"}
        assert feed.findtext("a:title", namespaces=atom) == site_name
        assert feed.findtext("a:author/a:name", namespaces=atom) == publisher
        assert feed.findtext("a:entry/a:title", namespaces=atom) == title
        assert feed.findtext("a:entry/a:author/a:name", namespaces=atom) == agency
        plan = json.loads((hostile / "data" / "plans" / f"hostile-2024.{'en' if prefix else 'zh-Hant'}.json")
                          .read_text(encoding="utf-8"))
        assert (plan["title"], plan["agency"]["zh"], plan["agency"]["en"]) == (title, AGENCY, AGENCY_EN)
    etree.fromstring((hostile / "sitemap.xml").read_bytes(), etree.XMLParser(recover=False))
    assert (hostile / "robots.txt").read_text(encoding="utf-8").splitlines() == [
        "User-agent: *", "Allow: /", "Sitemap: https://plans.example.org/sitemap.xml"]
    catalogue = json.loads((hostile / "data" / "plans.json").read_text(encoding="utf-8"))
    assert catalogue["plans"][0]["title"] == {"zh": TITLE, "en": TITLE_EN}


def test_document_metadata_carries_the_text_exactly(hostile: Path) -> None:
    """The ODT's text and meta.xml, and the PDF's Info dictionary and XMP, hold the title and
    author as written."""
    for tag, title, agency in (("zh-Hant", TITLE, AGENCY), ("en", TITLE_EN, AGENCY_EN)):
        with zipfile.ZipFile(hostile / "downloads" / f"hostile-2024.{tag}.odt") as odt:
            meta = etree.fromstring(odt.read("meta.xml"))
            content = etree.fromstring(odt.read("content.xml"), etree.XMLParser(recover=False))
        assert title in squeeze("".join(content.itertext()))
        dc = "{http://purl.org/dc/elements/1.1/}"
        assert (meta.findtext(f".//{dc}title"), meta.findtext(f".//{dc}creator")) == (title, agency)
        with pikepdf.open(hostile / "downloads" / f"hostile-2024.{tag}.pdf") as pdf:
            assert (str(pdf.docinfo["/Title"]), str(pdf.docinfo["/Author"])) == (title, agency)
            etree.fromstring(pdf.Root.Metadata.read_bytes(), etree.XMLParser(recover=False))
            with pdf.open_metadata() as xmp:
                assert (xmp["dc:title"], xmp["dc:creator"]) == (title, [agency])


# ---------------------------------------------------------------- the CSV in a spreadsheet

CALC_IMPORT = "Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,true,0,true"
"""What Calc's import dialog offers for our file (comma, ", UTF-8 as the byte-order mark says,
detect special numbers), plus its two riskiest options ticked: trim spaces, and evaluate
formulas (token 13)."""
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def calc_cells(ods: Path) -> list[list[dict]]:
    """Each row of the first sheet as Calc stored it: the text it shows, the value type and
    value, and the formula if it made one."""
    def shown(paragraph) -> str:
        out = [paragraph.text or ""]
        for child in paragraph:
            out.append({f"{{{TEXT}}}s": " " * int(child.get(f"{{{TEXT}}}c", "1")),
                        f"{{{TEXT}}}tab": "\t", f"{{{TEXT}}}line-break": "\n"}.get(child.tag, shown(child)))
            out.append(child.tail or "")
        return "".join(out)

    with zipfile.ZipFile(ods) as package:
        root = etree.fromstring(package.read("content.xml"))
    rows = []
    for row in root.iter(f"{{{TABLE}}}table-row"):
        cells = []
        for cell in row.iter(f"{{{TABLE}}}table-cell"):
            repeat = int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1"))
            data = {"text": "\n".join(shown(p) for p in cell.iter(f"{{{TEXT}}}p")),
                    "type": cell.get(f"{{{OFFICE}}}value-type"),
                    "value": cell.get(f"{{{OFFICE}}}value") or cell.get(f"{{{OFFICE}}}date-value"),
                    "formula": cell.get(f"{{{TABLE}}}formula")}
            cells.extend([data] * min(repeat, 20))
        if any(c["text"] for c in cells):
            rows.append(cells[:10])  # the nine columns and the plan's further one (備註)
    return rows


def test_libreoffice_calc_runs_no_formula_and_reads_numbers_dates_and_chinese(hostile: Path,
                                                                              tmp_path: Path) -> None:
    if not Path("/usr/lib/libreoffice/program/libsclo.so").exists():
        pytest.fail("LibreOffice Calc is missing: run ./setup, or: sudo apt-get install -y "
                    "libreoffice-calc-nogui")
    source = hostile / "data" / "plans" / "hostile-2024.zh-Hant.csv"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    f"--infilter={CALC_IMPORT}", "--convert-to", "ods", "--outdir", str(tmp_path),
                    str(source)],
                   check=True, capture_output=True, timeout=300, env=os.environ | {"HOME": str(tmp_path)})
    rows = calc_cells(tmp_path / "hostile-2024.zh-Hant.ods")
    written = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"), newline="")))
    plan = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))
    assert [[c["text"] for c in row] for row in rows[:1]] == written[:1]  # the Chinese header, intact
    assert len(rows) == len(plan["actions"]) + 1
    assert not [c for row in rows for c in row if c["formula"]], "Calc made a formula"
    for row, action in zip(rows[1:], plan["actions"], strict=True):
        text, start, end, units = row[4], row[6], row[7], row[8]
        if action["text"] in FORMULAS:
            assert (text["type"], text["text"]) == ("string", FORMULAS[action["text"]])
        elif action["text"] in NUMBERS:
            assert (text["type"], text["value"]) == ("float", NUMBERS[action["text"]])
            assert (start["type"], start["value"], end["value"]) == ("date", "2024-01-15", "2024-03-31")
            assert units["text"] == "'-1+1"
        else:
            assert text["text"] == action["text"] and units["text"] == "'" + PHONE
        assert row[3]["text"] == "壹、基礎服務 ]]> \"><!--"
    # the plan's further column, under its own name, and its formula kept as text
    assert rows[0][9]["text"] == '備註"><'
    assert (rows[-1][9]["type"], rows[-1][9]["text"]) == ("string", "'=HYPERLINK(\"https://evil.example\")")


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+1", "'=1+1"), (" =1+1", "' =1+1"), ("\t=1", "'\t=1"), ("\n-1", "'\n-1"), ("@A1", "'@A1"),
    ("＝1+1", "'＝1+1"), ("+886 2 2345 6789", "'+886 2 2345 6789"), ("'=1", "''=1"), ("'text", "''text"),
    ("-5", "-5"), ("-1,000.5", "-1,000.5"), ("-12%", "-12%"), ("-", "-"), ("2024-01-15", "2024-01-15"),
    ("服務科", "服務科"), ("a=1", "a=1"), ("", ""),
])
def test_a_cell_is_text_a_number_or_marked(text: str, cell: str) -> None:
    from plansite.render_csv import cell as make

    assert make(text) == cell
    assert (cell.removeprefix("'") if cell != text else cell) == text  # one apostrophe off: the text


# ---------------------------------------------------------------- the site's address


@pytest.mark.parametrize(("written", "used"), [
    ("https://plans.example.org", "https://plans.example.org/"),
    ("https://www.example.gov.tw/計畫/", "https://www.example.gov.tw/%E8%A8%88%E7%95%AB/"),
    ("https://例子.政府.tw:8443/plans", "https://xn--fsqu00a.xn--mxtq1m.tw:8443/plans/"),
    ("https://plans.example.org/a%20b/", "https://plans.example.org/a%20b/"),
    ("http://[2001:db8::1]:8080/plans", "http://[2001:db8::1]:8080/plans/"),  # IPv6: its brackets kept
    ("https://www.example.gov.tw./plans/", "https://www.example.gov.tw./plans/"),  # a host fully written
    *((bad, None) for bad in ("https://plans.example.org/a b/", "https://plans.example.org/?page=1",
                              "https://plans.example.org/#top", 'https://plans.example.org/"><script>',
                              "https://user@plans.example.org/", "ftp://plans.example.org/", "https:///plans/",
                              # a '%' no byte's code follows, folders named as ways there, a host no
                              # browser reaches: published into every page's canonical address
                              "https://plans.example.org/%/", "https://plans.example.org/../../",
                              "https://plans.example.org/a/./b/", "https://-a-.org/", "https://a..b/",
                              "https://plans.example.org/a/%2e%2e/plans/")),
])
def test_base_url_is_an_address_every_output_can_carry(tmp_path: Path, written: str,
                                                       used: str | None) -> None:
    """Every page's address, the sitemap, robots.txt and the feeds are base_url plus a path."""
    from plansite.config import load_config
    from plansite.errors import ContentError

    quoted = written.replace("'", "''")
    (tmp_path / "site.yml").write_text(SITE_YML.replace("https://plans.example.org/", quoted)
                                       .replace("base_url: ", "base_url: '", 1)
                                       .replace("\nsite_name", "'\nsite_name", 1),
                                       encoding="utf-8")
    if used:
        assert load_config(tmp_path).base_url == used
    else:
        with pytest.raises(ContentError) as error:
            load_config(tmp_path)
        assert [str(p) for p in error.value.problems] == [(
            f"site.yml:1: 'base_url' must be the web address of the site's folder, not '{written}' — write "
            "the site's public address, e.g. https://www.example.gov.tw/plans/ (no spaces, no ? or #, no . "
            "or .. folders, '%' only as in %E8)")]


@pytest.mark.parametrize("image", ["../secret.png", "/etc/passwd", "badge.html", "badge.svg"])
def test_the_badge_is_an_image_from_inside_the_project(tmp_path: Path, image: str) -> None:
    """The badge file is published as it is, so it can be no other file and no page or SVG."""
    from plansite.config import load_config
    from plansite.errors import ContentError

    project = tmp_path / "project"
    project.mkdir()
    for name in ("secret.png", "project/badge.html", "project/badge.svg"):
        (tmp_path / name).write_bytes(b"<svg onload='alert(1)'/>")
    (project / "site.yml").write_text(SITE_YML + f"""accessibility_badge:
  href: https://accessibility.moda.gov.tw/
  image: {image}
  alt:
    zh: 無障礙標章
    en: Accessibility badge
""", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_config(project)
    problems = [str(p) for p in error.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"site.yml:{SITE_YML.count(chr(10)) + 3}: the badge image '{image}' "
                                  "is "), problems


MAIL_HINT = ("must be an e-mail address, not '{}' — write it as name@example.gov.tw (no spaces, ?, &, # or "
             "second address; a Chinese host name in punycode, as xn--nnx388a.tw for 臺灣.tw)")
WEB_HINT = ("is not a web address: it contains {} — write the address as the browser's address bar shows it "
            "(a space is %20)")


@pytest.mark.parametrize(("setting", "written", "hint"), [
    ("email", "webmaster at example.org", MAIL_HINT), ("email", 'a"b@example.org', MAIL_HINT),
    # a subject or body for the mail program, a second address, a host no one can reach
    ("email", "a@b.org?subject=x", MAIL_HINT), ("email", "a@b.org&body=x", MAIL_HINT),
    ("email", "a@b.org,evil@x.org", MAIL_HINT), ("email", "a@-b.org", MAIL_HINT),
    ("email", "a@b.org (Tel: 02-2345-6789)", MAIL_HINT), ("email", "a@b.org?subject=x:", MAIL_HINT),
    ("email", "a#b@x.gov.tw", MAIL_HINT), ("email", "100%@x.gov.tw", MAIL_HINT),
    ("email", "mailto:a@b.org", ("is an e-mail address without 'mailto:', not 'mailto:a@b.org' — write it "
                                 "as a@b.org: the page makes the mailto: link")),
    ("privacy_url", "https://example.org/privacy policy", WEB_HINT.format("a space")),
    ("privacy_url", "https://x.org/<b>", WEB_HINT.format("'<'")),
])
def test_addresses_in_site_yml_are_addresses(tmp_path: Path, setting: str, written: str, hint: str) -> None:
    """The footer links to them (mailto:, href): each must be an address a link can hold."""
    from plansite.config import load_config
    from plansite.errors import ContentError

    text = SITE_YML.replace("  email: webmaster@example.org\n", f"  {setting}: '{written}'\n")
    (tmp_path / "site.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_config(tmp_path)
    assert [str(p) for p in error.value.problems] == ["site.yml:13: "
                                                      f"'publisher.{setting}' " + hint.format(written)]
