"""The model's own helpers: copying a node with some fields changed, and its pickled form."""

from __future__ import annotations

import dataclasses
import gc
import pickle
from datetime import date

import pytest

from plansite import model as m
from plansite.plan_file import read_plan_file
from plansite.sources import lasting_objects, read_pickled

from .conftest import PROJECT


def test_evolve_changes_only_the_fields_named_like_replace() -> None:
    deadline = m.Deadline("112年12月", "month", date(2023, 12, 1), date(2023, 12, 31), None)
    english = m.evolve(deadline, text="By December 2023")
    assert english == dataclasses.replace(deadline, text="By December 2023")
    assert deadline.text == "112年12月", "the original is left as it was"
    with pytest.raises(dataclasses.FrozenInstanceError):
        english.text = "Ongoing"
    with pytest.raises(TypeError, match="no fields"):
        m.evolve(deadline, colour="red")


def test_a_pickled_model_comes_back_equal_and_frozen() -> None:
    node = m.Paragraph(inlines=(m.Text("一、"), m.Strong((m.Text("重點"),))), loc=m.Location("a.md", 2))
    back = pickle.loads(pickle.dumps(node, pickle.HIGHEST_PROTOCOL))
    assert back == node and hash(back) == hash(node)
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.loc = None


def test_a_pickled_plan_reads_its_sections_only_when_asked() -> None:
    """A plan from the cache carries its sections pickled (a rebuild loads a thousand plans and
    renders one): what the pages about all plans ask of every plan (how many actions, whether
    any names a unit) is answered without them, copies and pickling again keep them packed,
    and reading them gives back the plan as it was."""
    plan, problems = read_plan_file(PROJECT / "content" / "plans" / "keelung-tax-2023.zh-Hant.md",
                                    "content/plans/keelung-tax-2023.zh-Hant.md")
    assert plan is not None and not problems
    actions = sum(1 for _ in plan.actions())
    back = pickle.loads(pickle.dumps(plan, pickle.HIGHEST_PROTOCOL))
    assert m.packed(back) is not None and m.packed(plan) is None
    assert m.plan_actions(back) == actions == m.plan_actions(plan) > 0
    assert m.names_units(back) is m.names_units(plan) is True
    retitled = m.evolve(back, title="新標題")
    again = pickle.loads(pickle.dumps(retitled, pickle.HIGHEST_PROTOCOL))
    assert m.packed(back) is not None and m.packed(retitled) is m.packed(back)
    assert m.packed(again).data == m.packed(back).data, "pickled again as it came, never unpacked"
    assert back == plan and hash(back) == hash(plan) and back.sections == plan.sections
    assert m.packed(back) is None, "read once, kept unpacked"
    assert again.title == "新標題" and again.sections == plan.sections
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.sections = ()
    assert not m.names_units(m.evolve(plan, sections=()))


def test_the_garbage_collector_is_back_on_after_lasting_objects_even_on_error() -> None:
    with pytest.raises(RuntimeError), lasting_objects():
        assert not gc.isenabled()
        raise RuntimeError("a problem while loading")
    assert gc.isenabled()


def test_reading_a_plan_file_collects_its_garbage_once_after_and_never_while() -> None:
    """A file's syntax tree is thousands of objects in cycles: the collector, run every 700 new
    objects, scanned a worker's whole heap again and again while it read (a seventh of reading).
    It is held off while a file is read and collects the young objects once after; off it stays
    off (the build's own process, which holds it off while loading)."""
    path = next((PROJECT / "content" / "plans").glob("*.zh-Hant.md"))
    plan, problems = pickle.loads(read_pickled(path.read_bytes(), path.name, path.name))
    assert plan is not None and problems == []
    gc.collect()
    before = [generation["collections"] for generation in gc.get_stats()]
    read_pickled(path.read_bytes(), path.name, path.name)
    assert gc.isenabled()
    assert [generation["collections"] for generation in gc.get_stats()] == [before[0] + 1, *before[1:]]
    gc.disable()
    try:
        read_pickled(path.read_bytes(), path.name, path.name)
        assert not gc.isenabled()
        assert [generation["collections"] for generation in gc.get_stats()] == [before[0] + 1, *before[1:]]
    finally:
        gc.enable()


@pytest.mark.parametrize(("text", "expected"), [
    ("本局為提升服務品質及行政效率，落實政府服務躍升方案，特訂定本計畫。", "本局為提升服務品質及行政效率…"),
    ("本局為提升服務品質及行政效率落實政府服務躍升方案特訂定本計畫",
     "本局為提升服務品質及行政效率落實政府服務…"),
    ("To improve the quality and efficiency of its services, the bureau sets out these rules.",
     "To improve the quality and efficiency of…"),
    ("Taxpayers may apply online through MyData for a refund of overpaid tax.",
     "Taxpayers may apply online through…"),
    ("本局為便利民眾洽公推動各項線上申辦服務MyData平台。", "本局為便利民眾洽公推動各項線上申辦服務…"),
    ("本計畫實施對象為本局各科室。", "本計畫實施對象為本局各科室。"),  # whole: nothing is left out
])
def test_an_untitled_point_is_named_by_its_opening_words_never_cut_inside_a_word(text: str,
                                                                                 expected: str) -> None:
    assert m.excerpt((m.Paragraph((m.Text(text),), m.Location("p", 1)),)) == expected
