"""render_html's action tables, written in Python and kept per action: each action's row is made
once for its plan's page, its narrowed views and its print edition (render_html.action_table).
What differs between those pages (phone cards, shared notes, stale notices, a narrowed table's
merged cells, the language) must never carry over from one page to another: every page must be
what a process that rendered nothing before would make of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime

import pytest

from plansite import model as m
from plansite import render_html as r
from plansite.site_paths import EN, LANGUAGES, ZH, plan_page, plan_view
from plansite.sources import load

from .conftest import PROJECT
from .test_actions_shared import PLAN, project_with

NOTES = "hsinchu-tax-2018"
"""A plan whose cells share an editorial note ("not stated", note 1)."""
STAMP = datetime(2024, 5, 1, 12, 0)


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> dict[str, m.Edition]:
    """The documented example of shared cells (English included) and a plan with shared notes,
    the example's English with one action and one group stale."""
    project = project_with(tmp_path_factory.mktemp("render"))
    for path in (PROJECT / "content" / "plans").glob(f"{NOTES}.*.md"):
        shutil.copy(path, project / "content" / "plans" / path.name)
    loaded = load(project)
    found = {e.zh.id: e for e in loaded.editions}
    example = found[PLAN]
    stale = {"main-1-a2", "main-1"}
    status = {key: m.evolve(item, state="stale") if key in stale else item
              for key, item in example.status.items()}
    assert stale <= set(status)
    found[PLAN] = m.evolve(example, status=status)
    return {"project": project, "config": loaded.config, **found}


def pages(editions: dict, plan_id: str) -> dict[str, Callable[[], str]]:
    """How to render each page of a plan that shows its action tables, by name."""
    edition, project, config = editions[plan_id], editions["project"], editions["config"]
    made = {}
    for lang in LANGUAGES:
        def env(lang=lang):
            return r.environment(project, lang.code)

        page = r.Page(lang.code, plan_page(plan_id, lang), plan_page(plan_id, lang.other), True, config,
                      STAMP.date())
        made[f"page {lang.code}"] = lambda env=env, page=page: r.render_plan(env(), edition, page, {})
        for which in r.plan_views(edition):
            view = r.Page(lang.code, plan_view(plan_id, which, lang), plan_view(plan_id, which, lang.other),
                          True, config, STAMP.date())
            made[f"{which} {lang.code}"] = (lambda env=env, view=view, which=which:
                                            r.render_plan_view(env(), edition, view, which))
    for plan in (edition.zh, edition.en):
        lang = EN if plan.lang == EN.code else ZH
        page = r.Page(lang.code, plan_page(plan_id, lang), "", False, config, STAMP.date())
        made[f"print {lang.code}"] = (lambda plan=plan, page=page:
                                      r.render_print(r.environment(editions["project"], plan.lang), plan,
                                                     page, STAMP))
    return made


def fresh(render) -> str:
    """A page as a process that rendered nothing before makes it."""
    r.cached_environment.cache_clear()
    return render()


@pytest.mark.parametrize("plan_id", [PLAN, NOTES])
def test_every_page_is_the_same_whatever_was_rendered_before(editions: dict, plan_id: str) -> None:
    made = pages(editions, plan_id)
    alone = {name: fresh(render) for name, render in made.items()}
    for order in (list(made), list(reversed(made))):
        r.cached_environment.cache_clear()
        after_others = {name: made[name]() for name in order}
        assert after_others == alone


def test_the_rows_kept_differ_where_the_pages_do(editions: dict) -> None:
    """What the test above guards: the pages of the example do differ in their rows."""
    made = pages(editions, PLAN)
    r.cached_environment.cache_clear()
    page, units, printed = made["page zh-Hant-TW"](), made["units zh-Hant-TW"](), made["print zh-Hant-TW"]()
    assert "ps-shared-copy" in page and "ps-shared-copy" not in printed  # phone cards: not in print
    assert 'rowspan="3"' in page and 'rowspan="3"' not in units  # a narrowed table merges otherwise
    english, english_units = made["page en"](), made["units en"]()
    assert 'href="../../../plans/example-shelter-2024/index.html#main-1-a2"' in english  # stale
    assert "ps-stale" in english and "ps-stale" not in english_units
    notes = pages(editions, NOTES)
    assert "ps-noteref" in notes["page zh-Hant-TW"]() and "ps-noteref" in notes["print zh-Hant-TW"]()


def test_lists_of_actions_name_each_by_enough_of_its_text(editions) -> None:
    """Lists that point into a plan (its dated actions, the units and deadlines pages) name an
    action by the start of its text: Chinese cut after 60 characters, English after 140 and
    between words. Cut at 60 too, English lost what the action does ("Provide convenience
    facilities for visitors: a blood…")."""
    plan = editions[NOTES]
    english = {action.id: action for _, action in plan.en.actions()}
    pairs = [(zh, english[zh.id]) for _, zh in plan.zh.actions() if zh.id in english]
    texts = [(m.blocks_text(zh.body[:1]), m.blocks_text(en.body[:1])) for zh, en in pairs]
    assert any(len(zh) > 60 for zh, _ in texts) and any(60 < len(en) <= 140 for _, en in texts)
    assert any(len(en) > 140 for _, en in texts)
    for (zh, en), (zh_text, en_text) in zip(pairs, texts, strict=True):
        zh_named, en_named = r.action_summary(zh), r.action_summary(en)
        assert zh_named == (zh_text if len(zh_text) <= 60 else zh_text[:59] + "…")
        if len(en_text) <= 140:
            assert en_named == en_text
        else:
            assert en_named.endswith("…") and len(en_named) <= 140
            assert en_text.startswith(en_named[:-1]) and en_text[len(en_named) - 1] in " ,;:"
