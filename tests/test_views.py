"""Cross-plan views: every responsible unit with its actions, and actions by deadline."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import html


def plans_data(site: Path, tag: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((site / "data" / "plans").glob(f"*.{tag}.json"))]


def test_units_pages_list_every_unit_of_each_agency_with_all_its_actions(built_site: Path) -> None:
    """The units page lists the agencies; each agency's page lists its units (the 服務科 of two
    bureaus are two units), each with every action naming it, most actions first."""
    expected: dict[str, dict[str, set[str]]] = {}
    for plan in plans_data(built_site, "zh-Hant"):
        units = expected.setdefault(plan["agency"]["zh"], {})
        for action in plan["actions"]:
            for unit in action["units"]:
                units.setdefault(unit, set()).add(f"../../plans/{plan['id']}/index.html#{action['id']}")
    index = html.fromstring((built_site / "units" / "index.html").read_bytes())
    found = {}
    for heading in index.xpath("//main//section/h2"):
        if heading.find("a") is None:  # an agency whose plans name no units has no page
            assert expected.pop(heading.text_content()) == {}
            continue
        link = heading.find("a").get("href")
        assert link.endswith("/index.html") and "/" not in link.removesuffix("/index.html")
        assert (built_site / "en" / "units" / link).is_file()
        page = html.fromstring((built_site / "units" / link).read_bytes())
        sections = page.xpath("//nav/section")
        found[heading.text_content()] = {s.findtext("h2"): {a.get("href") for a in s.iter("a")} for s in sections}
        sizes = [len(s.findall(".//li")) for s in sections]
        assert sizes == sorted(sizes, reverse=True)  # most actions first
    assert found == expected


def test_deadlines_page_counts_kinds_and_orders_dates(built_site: Path) -> None:
    for prefix, tag in (("", "zh-Hant"), ("en/", "en")):
        actions = [a | {"plan": plan["id"]} for plan in plans_data(built_site, tag) for a in plan["actions"]
                   if a["deadline"]]
        page = html.fromstring((built_site / prefix / "deadlines" / "index.html").read_bytes())
        kinds, dated = page.findall(".//table")
        assert sum(int(td.text) for td in kinds.xpath(".//tbody/tr/td")) == len(actions)
        ends = sorted(a["deadline"]["end"] for a in actions if a["deadline"]["end"])
        assert len(dated.xpath(".//tbody/tr")) == len(ends)
        links = [row.xpath(".//a/@href")[0] for row in dated.xpath(".//tbody/tr")]
        keys = [(link.split("/plans/")[1].split("/")[0], link.split("#")[1]) for link in links]
        by_key = {(a["plan"], a["id"]): a["deadline"]["end"] for a in actions}
        assert [by_key[k] for k in keys] == ends


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


def test_a_wrong_framework_mapping_is_reported_at_its_line(project: Path) -> None:
    from plansite.content import check_mappings, load_frameworks, load_plans

    path = project / "content" / "plans" / "kaohsiung-finance-2024.zh-Hant.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    main-7: "6"\n', '    main-7: "9"\n    main-99: "1"\n'), encoding="utf-8")
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
    for path in ("units/national-taxation-bureau-of-taipei-ministry-of-finance/index.html", "deadlines/index.html",
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
