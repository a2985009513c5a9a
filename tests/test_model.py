"""The model's own helpers: copying a node with some fields changed, and its pickled form."""

from __future__ import annotations

import dataclasses
import gc
import pickle
from datetime import date

import pytest

from plansite import model as m
from plansite.sources import lasting_objects


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


def test_the_garbage_collector_is_back_on_after_lasting_objects_even_on_error() -> None:
    with pytest.raises(RuntimeError), lasting_objects():
        assert not gc.isenabled()
        raise RuntimeError("a problem while loading")
    assert gc.isenabled()
