"""Cross-plan views: every responsible unit with its actions, and actions by deadline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html

PROJECT = Path(__file__).resolve().parent.parent


def plans_data(site: Path, tag: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((site / "data" / "plans").glob(f"*.{tag}.json"))]


ALL_UNITS = {"各單位", "各科室", "各業務科", "各業務單位", "各科室主管"}
"""The plans' words for all units (of a kind) of the agency: never shown as one unit."""

KIND_NAMES = {
    "": {"ongoing": "隨時或經常辦理", "as-needed": "視需要辦理", "every-day": "每日辦理",
         "every-month": "每月辦理",
         "dated": "於指定日期或期間內完成", "unknown": "期限未能確認", "none": "計畫未列完成期限"},
    "en/": {"ongoing": "Ongoing or at any time", "as-needed": "When needed", "every-day": "Every day",
            "every-month": "Every month", "dated": "By a date or within a period",
            "unknown": "Deadline could not be confirmed", "none": "No deadline in the plan"},
}
"""The plain names of the kinds of deadline the five plans use, as readers see them."""


def kind_of(deadline: dict | None) -> str:
    if deadline is None:  # a table with no deadline column
        return "none"
    if deadline["kind"] == "recurring":
        return f"every-{deadline['every']}"
    return "dated" if deadline["kind"] in ("date", "month", "range") else deadline["kind"]


def plan_name(plan: dict, prefix: str) -> str:
    """A plan as the cross-plan pages name it: its agency and year (民國 on Chinese pages)."""
    return (f"{plan['agency']['en']} {plan['year_ad']}" if prefix
            else f"{plan['agency']['zh']} {plan['year']}年")


def listed(page, root: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Every action linked in the page's sections, by 'PLAN-ID#ACTION-ID': for each time it is
    listed, (the section's heading, the plan heading above it, its group, its details)."""
    found: dict[str, list[tuple[str, str, str, str]]] = {}
    for section in page.xpath("//main//section[h2]"):
        title = section.findtext("h2") or section.find("h2").text_content()
        for link in section.xpath(".//a[contains(@class, 'ps-entries__action')]"):
            href = link.get("href")
            assert href.startswith(root + "plans/"), href
            key = href.removeprefix(root + "plans/").replace("/index.html", "")
            heading = link.xpath("preceding::h3[1]")
            group = link.xpath("ancestor::ul[contains(@class, 'ps-entries__actions')]"
                               "/preceding-sibling::span[contains(@class, 'ps-entries__group')]")
            details = " | ".join(d.text_content() for d in link.xpath("following-sibling::span"))
            found.setdefault(key, []).append((title, heading[0].text_content() if heading else "",
                                              group[0].text_content() if group else "", details))
    return found


def test_deadlines_page_lists_every_action_under_a_plain_kind_with_its_plan_and_group(
    built_site: Path) -> None:
    """Every action is listed once, under its kind of deadline in plain words
    (the 隨時/經常辦理 ones listed, not only counted), named by its words under its plan and
    its group; those with a date in time order under their period; no "原文無法還原"."""
    for prefix, tag in (("", "zh-Hant"), ("en/", "en")):
        page = html.fromstring((built_site / prefix / "deadlines" / "index.html").read_bytes())
        text = page.find(".//main").text_content()
        assert "原文無法還原" not in text and "Not recoverable" not in text
        found = listed(page, "../")
        expected = {}
        for plan in plans_data(built_site, tag):
            for action in plan["actions"]:
                expected[f"{plan['id']}#{action['id']}"] = (plan, action)
        assert set(found) == set(expected)
        ongoing = 0
        for key, places in found.items():
            plan, action = expected[key]
            assert len(places) == 1, key  # listed once
            kind = kind_of(action["deadline"])
            ((section, heading, group, details),) = places
            assert section == KIND_NAMES[prefix][kind], key
            where = " / ".join(action["groups"])
            if kind == "dated":  # under its period, with its plan and group beside it
                assert details == f"{plan_name(plan, prefix)}{': ' if prefix else '：'}{where}", key
            else:
                assert (heading, group) == (plan_name(plan, prefix), where), key
            ongoing += kind == "ongoing"
        assert ongoing == 159
        dated = [a for _, a in expected.values() if a["deadline"] and a["deadline"]["end"]]
        periods = page.xpath("//section[h2[@id='deadline-dated']]//h3")
        assert [h.text_content() for h in periods] == (
            # a line breaks at the thin spaces around the dash or before the year, never in "May 1"
            ["May\u00a01\u2009–\u200931, 2016", "May\u00a01\u2009–\u2009Jun\u00a013, 2016",
             "By December\u00a031, 2017",
             "By the end of December 2018"] if prefix else
            ["105年5月1日至5月31日", "105年5月1日至6月13日", "106年12月31日前", "107年12月底前"]
        )
        if not prefix:  # each date on one line: 105年5月1日 never ends one line and starts the next
            assert [d.text for d in periods[0].xpath("span[@class='ps-nowrap']")] == ["105年5月1日",
                                                                                      "5月31日"]
        ends = [expected[k][1]["deadline"]["end"] for k in found
                if kind_of(expected[k][1]["deadline"]) == "dated"]
        assert len(ends) == len(dated)
        order = [link.get("href").removeprefix("../plans/").replace("/index.html", "")
                 for link in page.xpath("//section[h2[@id='deadline-dated']]//a[contains(@class, "
                                        "'ps-entries__action')]")]
        assert [expected[k][1]["deadline"]["end"] for k in order] == sorted(a["deadline"]["end"]
                                                                            for a in dated)
        unknown = page.xpath("//section[h2[@id='deadline-unknown']]/p")[0].text_content()
        assert ("could not confirm" if prefix else "未能確認") in unknown  # the kind is explained


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    """Twenty plans of the benchmark corpus (1,754 actions), one of them again under another id
    (two plans of one agency and year) and Kaohsiung's (no deadline column), twice, built by
    the command line: more actions than the deadlines page lists one by one."""
    sys.path.insert(0, str(PROJECT / "bench"))
    from corpus import make_corpus

    corpus = make_corpus(20, tmp_path_factory.mktemp("big") / "corpus")
    for path in (PROJECT / "content" / "plans").glob("kaohsiung-finance-2024.*.md"):  # one kind only
        shutil.copy(path, corpus / "content" / "plans" / path.name)
        text = path.read_text(encoding="utf-8").replace("id: kaohsiung-finance-2024", "id: kaohsiung-again")
        (corpus / "content" / "plans" / path.name.replace("kaohsiung-finance-2024", "kaohsiung-again")
         ).write_text(text, encoding="utf-8")
    for path in (corpus / "content" / "plans").glob("plan-0000.*.md"):  # its agency and year again
        text = path.read_text(encoding="utf-8").replace("id: plan-0000\n", "id: plan-0000-again\n", 1)
        (path.parent / path.name.replace("plan-0000", "plan-0000-again")).write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(corpus), "--no-downloads"],
                   check=True, capture_output=True)
    return corpus / "site"


@pytest.mark.parametrize(("lang", "said"), [("zh-Hant-TW", "80,903 項作法"), ("en", "80,903 actions")])
def test_counts_are_written_with_their_thousands_grouped(lang: str, said: str) -> None:
    """A big site's deadlines page said "80903 actions": counts are written as the language
    writes numbers, as GOV.UK and Canada.ca do, wherever a message counts something."""
    from plansite.render_html import environment

    template = environment(PROJECT, lang).from_string(
        '{{ ngettext("%(num)d action", "%(num)d actions", 80903) }}|{{ 1234|number }}')
    assert template.render() == f"{said}|1,234"


def test_a_big_site_counts_each_plans_actions_by_kind_and_each_count_leads_to_them(big_site: Path) -> None:
    """Beyond LISTED_UP_TO actions the deadlines page would weigh megabytes (60 MB a language at
    1,000 plans): it names the total, then under each kind every plan that has actions of it,
    with their count, linking to exactly those actions in the plan (its deadlines view, or
    its summary when all its actions are of one kind). It passes the nu checker and pa11y."""
    from plansite.check import INSTALLED, find_tools, run_pa11y, run_vnu, serve
    from plansite.render_html import LISTED_UP_TO

    linked = set()
    for prefix, tag in (("", "zh-Hant"), ("en/", "en")):
        path = big_site / prefix / "deadlines" / "index.html"
        page = html.fromstring(path.read_bytes())
        plans = plans_data(big_site, tag)
        total = sum(len(plan["actions"]) for plan in plans)
        assert total > LISTED_UP_TO
        assert f"{total:,}" in page.find(".//main/p").text_content()  # 1,234: thousands grouped
        assert not page.xpath("//a[contains(@class, 'ps-entries__action')]")  # nothing one by one
        lead = page.find(".//main/p").text_content()
        assert "time order" not in lead and "時間" not in lead  # the plans' views keep the plan's order
        explained = page.xpath("//section[h2[@id='deadline-none']]/p")[0].text_content()
        assert ("these plans' tables of actions have no deadline column" if prefix  # two plans
                else "沒有完成期限欄") in explained, explained
        titled = {link.xpath("string(..)") for link in page.xpath("//ul/li/a[contains(@href, 'plan-0000')]")}
        titles = {plan["id"]: plan["title"] for plan in plans}
        assert len(titled) >= 2 and all(titles["plan-0000"] in line for line in titled), titled
        assert path.stat().st_size < 60_000
        for kind in {kind_of(a["deadline"]) for plan in plans for a in plan["actions"]}:
            expected = {plan["id"]: (plan_name(plan, prefix), kinds.count(kind), len(set(kinds)))
                        for plan in plans for kinds in [[kind_of(a["deadline"]) for a in plan["actions"]]]}
            section = page.xpath(f"//section[h2[@id='deadline-{kind}']]")[0]
            found = {}
            for link in section.xpath(".//ul/li/a"):
                name, _, count = link.text_content().rpartition(": " if prefix else "：")
                target, _, fragment = link.get("href").partition("#")
                plan_id = target.removeprefix("../plans/").split("/")[0]
                view = html.fromstring((path.parent / target).read_bytes())
                if fragment == "summary":  # every action of the plan is of this kind
                    assert target.endswith(f"plans/{plan_id}/index.html") and expected[plan_id][2] == 1
                    assert view.xpath("//h2[@id='summary']")
                else:  # the plan's view narrowed to this kind says how many it shows
                    assert fragment == f"k-{kind}"
                    assert target.endswith(f"plans/{plan_id}/deadlines/index.html")
                    assert view.xpath(f"//section[@id='{fragment}']//span[@class='ps-summary__count']"
                                      )[0].text_content() == count
                found[plan_id] = (name, int(re.match(r"\d+", count)[0]))
            assert found == {plan_id: (name, n) for plan_id, (name, n, _) in expected.items() if n}, kind
            chinese = {plan["id"]: plan for plan in plans_data(big_site, "zh-Hant")}  # an agency's together
            order = sorted(found, key=lambda i: (chinese[i]["agency"]["zh"], -chinese[i]["year"], i))
            assert list(found) == order, kind
            linked.update(link.get("href").partition("#")[2] for link in section.xpath(".//ul/li/a"))
    assert "summary" in linked  # Kaohsiung's plan, of one kind
    tools = find_tools(INSTALLED)
    pages = ["deadlines/index.html", "en/deadlines/index.html"]
    assert run_vnu(tools["java"], tools["vnu"], big_site, pages) == []
    with serve(big_site) as base:
        assert run_pa11y(tools["pa11y-ci"], base, pages) == []


def test_units_pages_list_each_unit_and_all_units_once_with_plan_group_and_deadline(built_site: Path) -> None:
    """The units page lists the agencies; each agency's page lists its units (the 服務科 of two
    bureaus are two units), most actions first, each with every action naming it under its plan
    and group, with its deadline; the actions given to 各單位, 各科室 … are listed once under "all
    units of the agency", never as a unit of their own."""
    for prefix, tag in (("", "zh-Hant"), ("en/", "en")):
        chinese = {plan["id"]: plan for plan in plans_data(built_site, "zh-Hant")}
        expected: dict[str, dict[str, set[str]]] = {}
        plans = {}
        for plan in plans_data(built_site, tag):
            units = expected.setdefault(plan["agency"]["zh"], {})
            for action, original in zip(plan["actions"], chinese[plan["id"]]["actions"], strict=True):
                key = f"{plan['id']}#{action['id']}"
                plans[key] = (plan, action)
                shared = False
                for unit, zh in zip(action["units"], original["units"], strict=True):
                    if zh in ALL_UNITS:
                        shared = True
                    else:
                        units.setdefault(unit, set()).add(key)
                if shared:
                    units.setdefault("*", set()).add(key)
        index = html.fromstring((built_site / prefix / "units" / "index.html").read_bytes())
        found = {}
        for heading in index.xpath("//main//section/h2"):
            name = heading.text_content()
            agency = next(p["agency"]["zh"] for p in plans_data(built_site, tag)
                          if name == (p["agency"]["en"] if prefix else p["agency"]["zh"]))
            if heading.find("a") is None:  # an agency whose plans name no units has no page
                assert expected.pop(agency) == {}
                continue
            link = heading.find("a").get("href")
            assert link.endswith("/index.html") and "/" not in link.removesuffix("/index.html")
            page = html.fromstring((built_site / prefix / "units" / link).read_bytes())
            sections = page.xpath("//main//section[h2]")
            text = page.find(".//main").text_content()
            assert "原文無法還原" not in text
            entries = listed(page, "../../")
            units: dict[str, set[str]] = {}
            for key, places in entries.items():
                plan, action = plans[key]
                for section, heading, group, details in places:
                    unit = "*" if section == ("All units of the agency" if prefix
                                              else "本機關全體單位") else section
                    assert key not in units.get(unit, set()), (unit, key)  # each action once per unit
                    units.setdefault(unit, set()).add(key)
                    assert (heading, group) == (plan_name(plan, prefix), " / ".join(action["groups"])), key
                    # always said
                    assert details.startswith("Deadline: " if prefix else "完成期限："), details
                    if unit == "*":
                        assert ("Responsible: " if prefix else "承辦：") in details
            found[agency] = units
            named = [len(s.xpath(".//a[contains(@class, 'ps-entries__action')]")) for s in sections
                     if s.find("h2").get("id") != "all-units"]
            assert named == sorted(named, reverse=True)  # most actions first
            for unit in units:
                assert unit == "*" or unit not in ALL_UNITS and not unit.lower().startswith("all "), unit
        assert found == expected
        assert all("*" in units for units in found.values())  # every agency here gives some actions to all


def test_framework_page_compares_agencies_measure_by_measure(built_site: Path) -> None:
    """Every count is the number of actions in the linked groups, each plan's counts add up
    to its actions (less those said to count for no measure), in both languages."""
    for prefix, tag in (("", "zh-Hant"), ("en/", "en")):
        plans = {plan["id"]: plan for plan in plans_data(built_site, tag)}
        page = html.fromstring((built_site / prefix / "framework" / "index.html").read_bytes())
        tables = page.findall(".//table")
        assert len(tables) == 1  # the six measures; the 2018 and 2016 award dimensions have one plan each:
        lists = page.xpath("//ul[contains(@class, 'ps-measures')]")  # a list each, not a one-row table
        assert len(lists) == 2
        upgrade = tables[0]
        assert len(upgrade.xpath(".//thead/th | .//thead/tr/th")) == 7  # plan + six measures
        rows = {row.xpath("th//a/@href")[0].split("/")[2]: row for row in upgrade.xpath(".//tbody/tr")}
        assert set(rows) == {"kaohsiung-finance-2024", "keelung-tax-2023"}
        views = [(row.xpath("th//a/@href")[0], row.xpath("td//a")) for row in upgrade.xpath(".//tbody/tr")]
        views += [(ul.getprevious().xpath(".//a/@href")[0], ul.xpath(".//a")) for ul in lists]
        for plan_link, links in views:
            plan = plans[plan_link.split("/")[2]]
            total = 0
            for link in links:
                group = link.get("href").split("#")[1]
                count = sum(1 for a in plan["actions"] if group in a["group_ids"])
                assert link.text_content().split()[0] == str(count), (plan["id"], group)
                total += count
            unmapped = 1 if plan["id"] == "kaohsiung-finance-2024" else 0
            assert total == len(plan["actions"]) - unmapped, plan["id"]
        text = page.text_content()
        assert ("Ministry of Finance" if prefix else "財政部") in text  # the plan that defines the measures
        if prefix:  # one English name per measure: Kaohsiung's groups are the measures, worded alike
            names = [re.sub(r"^\d\. ", "", " ".join(th.text_content().split()))
                     for th in upgrade.xpath(".//thead//th")[1:]]
            kaohsiung = rows["kaohsiung-finance-2024"]
            links = [" ".join(a.text_content().split()) for a in kaohsiung.xpath("td//a")]
            assert len(links) == 6 and all(n in link for n, link in zip(names, links, strict=True)), links


def test_the_editors_notes_on_the_framework_page_speak_the_pages_language(project: Path) -> None:
    """The editors' notes and whys were Chinese on the English page too, said "(in Chinese)":
    given with 'en:', the English page shows the English; given in Chinese alone, the Chinese,
    so marked."""
    kaohsiung = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = kaohsiung.read_text(encoding="utf-8")
    why = re.search(r"    main-1:\n      zh: (.*)\n      en: (.*)\n", text)
    assert why is not None
    kaohsiung.write_text(text.replace(why[0], f"    main-1: {why[1]}\n"), encoding="utf-8")
    from plansite.site import build

    build(project, project / "site", downloads=False)
    english = html.fromstring((project / "site" / "en" / "framework" / "index.html").read_bytes())
    notes = [" ".join(li.text_content().split()) for li in english.xpath("//h3/following-sibling::ul[1]/li")]
    assert any(f"(in Chinese) {why[1]}" in note for note in notes), notes  # the why, in Chinese alone
    assert any("This plan sets out the six measures themselves" in note for note in notes), notes
    assert not any("(in Chinese) This plan" in note or "本計畫訂定" in note for note in notes), notes
    chinese = (project / "site" / "framework" / "index.html").read_text(encoding="utf-8")
    assert "本計畫訂定六項具體措施" in chinese and "This plan sets out" not in chinese


def test_a_wrong_framework_mapping_is_reported_at_its_line(project: Path) -> None:
    from plansite.content import check_mappings, load_frameworks, load_plans

    path = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    main-7: "6"\n', '    main-7: "9"\n    main-99: "1"\n'),
                    encoding="utf-8")
    line = text.split("\n").index('    main-7: "6"') + 1
    problems = check_mappings(load_plans(project), load_frameworks(project))
    messages = sorted((p.path, p.line, p.message) for p in problems)
    where = "content/plans/kaohsiung-finance-2024.zh-Hant.md"
    assert messages == sorted([
        (where, line, "'service-upgrade' has no measure '9'"),
        (where, line + 1, "the plan has no group 'main-99'"),
    ])
    path.write_text(text.replace('    main-7: "6"\n', ""), encoding="utf-8")
    problems = check_mappings(load_plans(project), load_frameworks(project))
    assert [p.message.split(" (")[0] for p in problems] == ["action main-7-1-a1"]


def test_years_and_document_numbers_speak_the_pages_language(built_site: Path) -> None:
    """Chinese pages count years as 民國 (113年), English pages as 2024, on every cross-plan
    view; an English page never shows a bare Chinese document number or note."""
    for path in ("units/national-taxation-bureau-of-taipei-ministry-of-finance/index.html",
                 "deadlines/index.html",
                 "framework/index.html"):
        zh = html.fromstring((built_site / path).read_bytes()).find(".//main").text_content()
        en = html.fromstring((built_site / "en" / path).read_bytes()).find(".//main").text_content()
        assert "105年" in zh and not re.search(r"\b(19|20)\d\d\b", zh), path
        assert "2016" in en and "105年" not in en, path
    page = html.fromstring((built_site / "en" / "plans" / "ntbt-2016" / "index.html").read_bytes())
    numbers = page.xpath("//*[@id='plan-meta']//span[contains(., '字第')]")
    assert numbers
    for number in numbers:
        before = number.getprevious().tail if number.getprevious() is not None else number.getparent().text
        assert number.get("lang") == "zh-Hant-TW" and (before or "").rstrip().endswith("document no."), before
    framework = html.fromstring((built_site / "en" / "framework" / "index.html").read_bytes())
    for item in framework.xpath("//main//li[.//span[@lang='zh-Hant-TW']]"):
        assert "(in Chinese)" in item.text_content(), item.text_content()


def test_action_rows_are_headed_by_the_action_and_no_card_is_empty(built_site: Path) -> None:
    """Moving down a column, a screen reader names the action, not "1."; the glossary has no
    column that is empty on almost every row; no link counts 0 actions; no one-row comparison."""
    page = html.fromstring((built_site / "plans" / "ntbt-2016" / "index.html").read_bytes())
    for row in page.xpath("//table[contains(@class, 'ps-action-table')]/tbody/tr"):
        (header,) = row.xpath("th[@scope='row']")
        assert len(header.text_content().strip()) > 8, html.tostring(row, encoding="unicode")[:200]
    for lang in ("", "en/"):
        glossary = html.fromstring((built_site / lang / "glossary" / "index.html").read_bytes())
        assert len(glossary.xpath("//thead/tr/th")) == 2
        assert not [td for td in glossary.xpath("//tbody//td") if not td.text_content().strip()]
        framework = html.fromstring((built_site / lang / "framework" / "index.html").read_bytes())
        assert not [a for a in framework.xpath("//main//a") if re.match(r"0 (項|action)", a.text_content())]
        assert all(len(t.xpath("tbody/tr")) > 1 for t in framework.xpath("//table"))


def test_a_very_long_english_agency_name_gives_its_units_page_a_short_address(tmp_path: Path) -> None:
    """A units page is addressed by its agency's English name, cut to SLUG_LENGTH characters:
    a name of a thousand characters builds (a file name holds at most 255 bytes), and two
    agencies whose names begin alike get two pages."""
    from plansite.render_html import SLUG_LENGTH
    from plansite.site import build

    from .conftest import copy_project

    project = copy_project(tmp_path / "project", plans=["keelung-tax-2023", "ntbt-2016"])
    for plan_id, tail in (("keelung-tax-2023", "Keelung"), ("ntbt-2016", "Taipei")):
        path = project / "content" / "plans" / f"{plan_id}.zh-Hant.md"
        name = "Bureau " * 150 + tail  # 1,056 characters, alike but for the last word
        text = re.sub(r"(agency:\n  zh: .*\n  en: ).*\n", lambda found, name=name: f"{found[1]}{name}\n",
                      path.read_text(encoding="utf-8"), count=1)
        path.write_text(text, encoding="utf-8")
    build(project, project / "site", downloads=False)
    pages = sorted(p.parent.name for p in (project / "site" / "units").glob("*/index.html"))
    assert len(pages) == 2 and all(len(slug) <= SLUG_LENGTH + 2 for slug in pages), pages



def test_the_english_glossary_is_looked_up_by_its_english(built_site: Path) -> None:
    """The English glossary led with the Chinese, in the glossary's order: an English reader
    could not look a term up. It leads with the English term, in alphabetical order."""
    for prefix, first in (("en/", "English"), ("", "中文")):
        page = html.fromstring((built_site / prefix / "glossary" / "index.html").read_bytes())
        assert page.xpath("//table//thead//th")[0].text_content().strip() == first
        heads = [" ".join(th.xpath("string(text())").split()) for th in page.xpath("//table//tbody//th")]
        if prefix:
            assert heads == sorted(heads, key=str.casefold) and len(heads) > 50
            assert all(th.get("lang") == "en" for th in page.xpath("//table//tbody//th"))
        else:
            assert all(th.get("lang") == "zh-Hant-TW" for th in page.xpath("//table//tbody//th"))
