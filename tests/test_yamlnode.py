"""The line-aware YAML reader (plansite/yamlnode.py): values keep their line, and every wrong
shape, duplicate, unknown key or hostile construct is one ``path:line`` problem, never a crash."""

from __future__ import annotations

from datetime import date

from plansite.errors import Report
from plansite.yamlnode import MAX_DEPTH, read_yaml


def read(text: str, first_line: int = 1):
    report = Report("meta.yml")
    return read_yaml(text, report, first_line), [str(p) for p in report.problems]


def test_values_carry_their_line_counted_from_the_first_line_given() -> None:
    root, problems = read("title: 計畫\nagency:\n  zh: 測試局\n  en: Test Bureau\nyear: 112\n", first_line=3)
    keys = root.keys(("title", "agency", "year"))
    assert problems == []
    # a block mapping starts at its first key
    assert (keys["title"].line, keys["agency"].line, keys["year"].line) == (3, 5, 7)
    agency = keys["agency"].keys(("zh", "en"))
    assert agency["en"].line == 6 and agency["en"].name == "agency.en" and agency[
        "en"].text() == "Test Bureau"
    assert keys["year"].integer() == 112


def test_a_key_given_twice_is_reported_at_the_second_with_the_first_line() -> None:
    root, _ = read("title: a\nyear: 112\ntitle: b\n")
    report = root.report
    keys = root.keys(("title", "year"))
    assert keys["title"].text() == "a"
    assert [str(p) for p in report.problems] == [
        "meta.yml:3: 'title' is given twice (first at line 1) — keep one of them"]


def test_an_unknown_key_suggests_the_nearest_and_is_not_also_missing() -> None:
    root, _ = read("titel: a\n")
    root.keys(("title",), ("year",))
    assert [str(p) for p in root.report.problems] == [("meta.yml:1: unknown key 'titel' — did you mean "
                                                      "'title'?")]
    root, _ = read("zzz: a\n")
    root.keys(("title",))
    assert [str(p) for p in root.report.problems] == [
        "meta.yml:1: unknown key 'zzz' — known keys: title", ("meta.yml:1: the metadata has no 'title' — add "
                                                             "a "
        "line 'title: …'")]


def test_wrong_types_are_reported_at_their_line() -> None:
    root, _ = read("year: 一一二\nitems: one\nname: [a, b]\nday: 112.13.40\n")
    keys = root.keys((), ("year", "items", "name", "day"))
    assert keys["year"].integer() is None
    assert keys["items"].items() == []
    assert keys["name"].text() is None
    assert keys["day"].day() is None
    messages = [str(p) for p in root.report.problems]
    assert messages[
        0] == "meta.yml:1: 'year' must be a whole number, not '一一二' — write digits only, e.g. 112"
    assert messages[1].startswith("meta.yml:2: 'items' must be a list")
    assert messages[2].startswith("meta.yml:3: 'name' must be a line of text")
    assert messages[3].startswith("meta.yml:4: 'day' is not a date: '112.13.40'")


def test_dates_in_the_forms_agencies_write() -> None:
    root, problems = read("a: 113年1月15日\nb: 113.1.15\nc: 2024-01-15\n")
    keys = root.keys(("a", "b", "c"))
    assert {k: v.day() for k, v in keys.items()} == dict.fromkeys("abc", date(2024, 1, 15))
    assert problems == []


def test_syntax_errors_and_odd_shapes_are_one_problem_each() -> None:
    assert read("title: [unclosed\nyear: 1\n")[1][0].startswith("meta.yml:2: the metadata is not valid YAML")
    root, _ = read("? [a, b]\n: c\n")
    assert root.keys((), ("c",)) == {}
    assert [str(p) for p in root.report.problems] == [(
        "meta.yml:1: a key must be a plain word, not a list or "
                                                      "a mapping — write 'key: value'; "
                        "a line starting with '?' makes a complex key")]
    root, problems = read("- a\n- b\n")
    assert problems == [] and root.keys(("title",)) is None
    assert str(root.report.problems[0]).startswith("meta.yml:1: the metadata must be a set of 'key: value' "
                                                   "lines")


def test_python_tags_are_never_run(tmp_path) -> None:
    marker = tmp_path / "ran"
    root, problems = read(f"title: !!python/object/apply:os.system ['touch {marker}']\n")
    assert problems == [] and root.keys(("title",))["title"].text() is None
    assert not marker.exists()
    assert [str(p) for p in root.report.problems] == [("meta.yml:1: 'title' must be a line of text — write "
                                                      "'title: …'")]


def test_a_yaml_bomb_is_read_once_per_node_and_nesting_is_bounded() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
              f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
              f"*{chr(97 + i)}]"
              for i in range(8)]
    root, problems = read("\n".join(lines) + "\n")  # 9**9 strings if expanded: done at once if not
    assert problems == [] and root is not None
    _, problems = read("title: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", first_line=2)
    assert problems == [(f"meta.yml:2: the metadata is nested too deeply (more than {MAX_DEPTH} levels) — "
                        "write the keys and lists described in docs/format.md; none needs more than a few "
                        "levels")]


def test_escaped_controls_and_line_breaks_in_values_are_refused_at_their_line() -> None:
    _, problems = read('title: ok\nagency: "a\\u202eb"\nunit: "x\\ny"\n')
    assert len(problems) == 2
    assert problems[0].startswith("meta.yml:2: 'agency' contains")
    assert problems[1].startswith("meta.yml:3: 'unit' holds a line break")


def test_a_raw_control_character_names_its_code_point() -> None:
    _, problems = read("title: a\x07b\n")
    assert problems == [(
        "meta.yml:1: the metadata contains a character YAML does not allow (U+0007) — delete "
                        "it; it is invisible in most editors")]
