"""Cross-plan views: every responsible unit with its actions, and actions by deadline."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import html


def plans_data(site: Path, tag: str) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((site / "data" / "plans").glob(f"*.{tag}.json"))]


def test_units_page_lists_every_unit_with_all_its_actions(built_site: Path) -> None:
    expected: dict[str, set[str]] = {}
    for plan in plans_data(built_site, "zh-Hant"):
        for action in plan["actions"]:
            for unit in action["units"]:
                expected.setdefault(unit, set()).add(f"../plans/{plan['id']}/index.html#{action['id']}")
    page = html.fromstring((built_site / "units" / "index.html").read_bytes())
    sections = page.xpath("//nav/section")
    found = {s.findtext("h2"): {a.get("href") for a in s.iter("a")} for s in sections}
    assert found == expected
    sizes = [len(s.findall(".//li")) for s in sections]
    assert sizes == sorted(sizes, reverse=True)  # most actions first


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
