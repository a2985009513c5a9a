"""The five real plans: every section, group and action counted from the seeds' numbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from plansite.content import load_plans

PROJECT = Path(__file__).resolve().parent.parent

# id: (sections, groups per level 1/2/3, actions), counted from each seed's own numbering.
COUNTS = {
    "keelung-tax-2023": (7, (4, 13, 0), 60),
    "ntbt-2016": (8, (5, 6, 12), 107),
    "hsinchu-tax-2018": (8, (2, 5, 11), 106),
    "mof-2017": (8, (0, 0, 0), 0),
    "kaohsiung-finance-2024": (6, (7, 23, 0), 27),
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


def test_every_plan_is_translated_reviewed_and_on_glossary() -> None:
    """The published content builds with --strict: no stale or missing translation, no missed term."""
    from plansite.sources import load

    loaded = load(PROJECT)
    assert [str(w) for w in loaded.warnings] == []
    assert all(edition.en is not None for edition in loaded.editions)
