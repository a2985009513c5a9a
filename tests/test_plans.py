"""The five real plans: every section, group and action counted from the seeds' numbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from plansite.content import load_plans
from plansite.model import blocks_text, plain_text

PROJECT = Path(__file__).resolve().parent.parent

# id: (sections, groups per level 1/2/3, actions), counted from each seed's own numbering.
COUNTS = {
    "keelung-tax-2023": (7, (4, 13, 0), 60),
    "ntbt-2016": (8, (4, 6, 13), 107),
    "hsinchu-tax-2018": (8, (2, 5, 11), 106),
    "mof-2017": (8, (0, 0, 0), 0),
    "kaohsiung-finance-2024": (6, (7, 23, 0), 26),
}


@pytest.fixture(scope="module")
def plans():
    return {plan.id: plan for plan in load_plans(PROJECT)}


def test_all_five_plans_are_present(plans) -> None:
    assert sorted(plans) == sorted(COUNTS)


@pytest.mark.parametrize("plan_id", sorted(COUNTS))
def test_counts(plans, plan_id: str) -> None:
    sections, levels, actions = COUNTS[plan_id]
    plan = plans[plan_id]
    groups = list(plan.groups())
    assert len(plan.sections) == sections
    assert tuple(sum(1 for g in groups if g.level == level) for level in (1, 2, 3)) == levels
    assert sum(1 for _ in plan.actions()) == actions


def test_every_action_has_deadline_and_units_where_its_table_has_those_columns(plans) -> None:
    for plan in plans.values():
        for table in plan.tables():
            for _, action in plan.actions():
                if table.columns.deadline:
                    assert action.deadline is not None
                if table.columns.units:
                    assert action.units


def test_keelung_first_and_last_actions(plans) -> None:
    actions = list(plans["keelung-tax-2023"].actions())
    groups, first = actions[0]
    assert [g.number for g in groups] == ["壹、", "一、"]
    assert first.number == "1." and first.units == ("各單位",)
    groups, last = actions[-1]
    assert [g.number for g in groups] == ["肆、"]
    assert last.units == ("納稅服務科", "財稅資訊科")


def test_ntbt_has_the_midterm_table_with_its_own_columns(plans) -> None:
    tables = list(plans["ntbt-2016"].tables())
    assert [t.name for t in tables] == ["main", "midterm"]
    assert tables[1].columns.deadline == "預定完成期限"
    assert tables[0].columns.groups == ("實施要項", "執行策略", "策略細項")


def test_kaohsiung_table_has_no_deadline_column(plans) -> None:
    (table,) = plans["kaohsiung-finance-2024"].tables()
    assert table.columns.deadline is None
    assert all(a.deadline is None for _, a in plans["kaohsiung-finance-2024"].actions())


def test_ntbt_image_and_customer_relations_is_a_strategy_of_quality_convenient_service(plans) -> None:
    """Seed 001 lines 54-97: the shifted row is read as the table's other rows are (實施要項 →
    執行策略 → 策略細項), and the edition says so in a note."""
    titles = {plain_text(g.title): g for g in plans["ntbt-2016"].groups()}
    strategy = titles["機關形象及顧客關係"]
    assert strategy.level == 2 and titles["優質便民服務"].children[1] is strategy
    assert [plain_text(g.title) for g in strategy.children] == [
        "洽公環境及服務行為", "服務行銷有效性", "顧客滿意度", "民眾意見處理有效性"]
    assert "〔編註" in blocks_text(strategy.description)


def test_kaohsiung_points_1_and_2_share_their_bold_title(plans) -> None:
    """Seed 004 lines 24-26: 服務資訊公開透明 heads points 1 and 2, as bold titles head the
    numbered points of every other cell."""
    actions = [a for _, a in plans["kaohsiung-finance-2024"].actions()]
    (action,) = [a for a in actions if "服務即時、一致性" in blocks_text(a.body)]
    text = blocks_text(action.body)
    assert text.startswith("服務資訊公開透明") and "1. 業務標準作業流程" in text and "〔編註" in text
    assert action.units == ("菸酒管理科", "非公用財產管理科", "秘書室")


def test_hsinchu_deadlines_are_read_in_order_across_pages(plans) -> None:
    """Seed 002 lines 27, 30, 33: the 26 deadlines of pages 2-4 belong, in order, to the 26
    actions 1.1-4.4 of (二) 服務友善; only page 5 (line 36: 5 deadlines for 4.5-4.10) stays
    unknown."""
    (friendly,) = [g for g in plans["hsinchu-tax-2018"].groups() if plain_text(g.title) == "服務友善"]
    deadlines = [(a.number, a.deadline.text if a.deadline.kind != "unknown" else None)
                 for a in friendly.children if not hasattr(a, "children")]
    day, month = "每日辦理", "每月辦理"
    assert deadlines[:10] == [("1.1", "依需要辦理")] + [(f"1.{n}", day) for n in range(2, 11)]
    assert [d for _, d in deadlines[19:26]] == [day, month, month, day, month, month, month]
    assert [n for n, d in deadlines if d is None] == [f"4.{n}" for n in range(5, 11)]
    unknown = [a for _, a in plans["hsinchu-tax-2018"].actions() if a.deadline.kind == "unknown"]
    assert len(unknown) == 6


def test_every_plan_is_translated_reviewed_and_on_glossary() -> None:
    """The published content builds with --strict: no stale or missing translation, no missed term."""
    from plansite.sources import load

    loaded = load(PROJECT)
    assert [str(w) for w in loaded.warnings] == []
    assert all(edition.en is not None for edition in loaded.editions)
