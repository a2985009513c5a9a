"""The content reader: good input gives the model; broken input gives exact path:line messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plansite import model as m
from plansite.actions import split_units
from plansite.content import read_plan_file
from plansite.errors import Report

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = sorted((FIXTURES / "errors").glob("*.md"))


@pytest.mark.parametrize("path", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_plan_reports_exact_messages(path: Path) -> None:
    expected = path.with_name(path.name.removesuffix(".md") + ".expected").read_text(encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert plan is None
    assert "\n".join(str(p) for p in problems) + "\n" == expected


def test_every_broken_fixture_has_expected_messages_and_every_expectation_a_fixture() -> None:
    """An ``.expected`` without its ``.md`` would never run: the parametrised test loops over the plans."""
    assert len(BROKEN) >= 25
    for path in BROKEN:
        assert path.with_name(path.name.removesuffix(".md") + ".expected").exists(), path.name
    orphans = [p.name for p in (FIXTURES / "errors").glob("*.expected")
               if not p.with_name(p.name.removesuffix(".expected") + ".md").exists()]
    assert orphans == [], "messages that no fixture produces: write its .md or remove the .expected"


def read(tmp_path: Path, text: str, name: str = "sample-plan.zh-Hant.md") -> m.Plan:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    plan, problems = read_plan_file(path, name)
    assert problems == [], [str(p) for p in problems]
    assert plan is not None
    return plan


FRONT = """---
id: sample-plan
lang: zh-Hant-TW
title: 測試計畫
agency: {zh: 測試局, en: Test Bureau}
year: 105
classification: {service: I00}
tables:
  main:
    groups: [實施要項, 執行策略, 策略細項]
    action: 具體作法
    deadline: 完成期限
    units: 執行單位
    fields: [備註]
---
"""


def test_action_tree_with_three_levels_fields_and_notes(tmp_path: Path) -> None:
    plan = read(tmp_path, FRONT + """
# 肆、執行策略

::: actions main

## 優質便民服務

### 服務流程

#### 服務流程便捷性

- 1. 賡續加強全功能櫃台單一窗口
  全程化服務。
  完成期限：105. 5. 1~ 105. 5. 31
  執行單位：服務科 、稅務資訊科/分局
  備註：〔編註：原文此欄缺漏〕

- 2. **線上申辦**

  1. 臨櫃免備證申辦。
  2. 線上查繳稅。
  完成期限：經常辦理
  執行單位：〔編註：無法辨識〕

:::
""")
    (groups, first), (_, second) = list(plan.actions())
    assert [g.label for g in groups] == ["實施要項", "執行策略", "策略細項"]
    assert [g.id for g in groups] == ["main-1", "main-1-1", "main-1-1-1"]
    assert first.id == "main-1-1-1-a1" and first.number == "1."
    # a line break between two Chinese characters adds no space
    assert first.body == (m.Paragraph((m.Text("賡續加強全功能櫃台單一窗口全程化服務。"),),
                                      first.body[0].loc),)
    assert first.deadline == m.Deadline("105. 5. 1~ 105. 5. 31", "range", *_days("2016-05-01", "2016-05-31"),
                                        None)
    assert first.units == ("服務科", "稅務資訊科", "分局")
    assert first.fields == (m.Field("備註", "〔編註：原文此欄缺漏〕"),)
    # fields after a nested list are found even though Markdown folds them into its last item
    assert isinstance(second.body[1], m.ListBlock) and len(second.body[1].items) == 2
    assert m.plain_text(second.body[1].items[1].blocks[0].inlines) == "線上查繳稅。"
    assert second.units == ("〔編註：無法辨識〕",)


def test_table_without_groups_and_explicit_ids(tmp_path: Path) -> None:
    front = FRONT.replace("groups: [實施要項, 執行策略, 策略細項]", "groups: []").replace(
        "    fields: [備註]\n", "")
    plan = read(tmp_path, front + """
# 壹、計畫內容 {#content-section}

::: actions main

- 1.1 免附書證。 {#no-documents}
  完成期限：107年12月
  執行單位：服務科

- (2) 主動退稅。
  完成期限：每月辦理
  執行單位：服務科
:::
""")
    assert plan.sections[0].id == "content-section"
    actions = [a for _, a in plan.actions()]
    assert [(a.id, a.number) for a in actions] == [("no-documents", "1.1"), ("main-a2", "(2)")]
    assert actions[0].deadline.kind == "month"
    assert actions[1].deadline.every == "month"


def test_an_escaped_brace_keeps_braces_as_text_not_an_id(tmp_path: Path) -> None:
    """'\\{#x}' at the end of a heading or an action is its text (a document may say so); an
    unescaped '{#x}' is its id. The importer escapes every '{' of a document's text."""
    front = FRONT.replace("groups: [實施要項, 執行策略, 策略細項]", "groups: []").replace(
        "    fields: [備註]\n", "")
    plan = read(tmp_path, front + """
# 壹、計畫內容 \\{#content}

::: actions main

- 1.1 免附書證 \\{#no-documents} 。
  完成期限：107年12月
  執行單位：服務科

- 1.2 主動退稅 \\{#refunds}
  完成期限：每月辦理
  執行單位：服務科
:::
""")
    section = plan.sections[0]
    assert (section.id, m.plain_text(section.title)) == ("s1", "計畫內容 {#content}")
    actions = [a for _, a in plan.actions()]
    assert [(a.id, m.plain_text(a.body[0].inlines)) for a in actions] == [
        ("main-a1", "免附書證 {#no-documents} 。"), ("main-a2", "主動退稅 {#refunds}")]


def test_numbered_lists_keep_printed_numbers(tmp_path: Path) -> None:
    plan = read(tmp_path, FRONT.replace("tables:\n", "x:\n").split("x:\n")[0] + "---\n" + """
# 柒、績效檢討

- 一、前項考核結果應函送各分局。
- 二、服務科辦理：
  - (一) 平時考核。
  - (二) 年度考核。

其他：

- 不是編號的項目
- 另一項
""")
    numbered, _, plain = plan.sections[0].blocks
    assert numbered.ordered and [i.number for i in numbered.items] == ["一、", "二、"]
    nested = numbered.items[1].blocks[1]
    assert [i.number for i in nested.items] == ["(一)", "(二)"]
    assert m.plain_text(nested.items[0].blocks[0].inlines) == "平時考核。"
    assert not plain.ordered and [i.number for i in plain.items] == [None, None]


def test_raw_html_is_kept_as_text(tmp_path: Path) -> None:
    plan = read(tmp_path, FRONT.split("tables:")[0] + "---\n\n# 壹、依據\n\n<script>alert(1)</script> 與 "
                                                      "<b>粗體</b>\n")
    (paragraph,) = plan.sections[0].blocks
    assert m.plain_text(paragraph.inlines) == "<script>alert(1)</script> 與 <b>粗體</b>"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + (FRONT.split("tables:")[0] + "---\n\n# 壹、依據\n\n依據辦理。\n").replace("\n", "\r\n")
    plan = read(tmp_path, text)
    assert plan.sections[0].loc.line == 10  # the heading line, counted as the editor shows it


def test_units_split_on_separators_but_keep_spaces_and_notes() -> None:
    assert split_units("服務科、行政科/ 稽核科") == ("服務科", "行政科", "稽核科")
    assert split_units("Taxpayer Service Section、〔編註：缺、漏〕") == ("Taxpayer Service Section",
                                                                "〔編註：缺、漏〕")


def test_problems_are_collected_not_raised(tmp_path: Path) -> None:
    report = Report("x.md")
    report.fail(3, "first")
    report.fail(0, "second", "hint")
    assert [str(p) for p in report.problems] == ["x.md:3: first", "x.md:1: second — hint"]


def _days(*texts: str):
    from datetime import date

    return tuple(date.fromisoformat(t) for t in texts)


def test_roman_numerals_are_numbers(tmp_path: Path) -> None:
    plan = read(tmp_path, FRONT.split("tables:")[0] + "---\n\n# I. Basis\n\nText.\n\n# II. Goals\n\n- A. "
                                                      "First\n- B. Second\n")
    assert [(s.number, m.plain_text(s.title)) for s in plan.sections] == [("I.", "Basis"), ("II.", "Goals")]
    assert [i.number for i in plan.sections[1].blocks[0].items] == ["A.", "B."]


def test_last_changed_comes_from_one_reading_of_git_history(tmp_path: Path) -> None:
    import subprocess
    from datetime import date

    from plansite.project import commit_dates, last_changed

    def commit(name: str, day: str) -> None:
        (tmp_path / "content" / name).write_text(day, encoding="utf-8")
        subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", day],
                       cwd=tmp_path, check=True,
                       env={"GIT_COMMITTER_DATE": f"{day}T12:00:00+00:00", "PATH": "/usr/bin:/bin"})

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "content").mkdir()
    commit("a.md", "2020-01-02")
    commit("b.md", "2021-03-04")
    commit("a.md", "2022-05-06")
    assert last_changed(tmp_path, Path("content/b.md")) == date(2021, 3, 4)
    assert last_changed(tmp_path, Path("content/a.md")) == date(2022, 5, 6)
    assert last_changed(tmp_path, Path("content")) == date(2022, 5, 6)
    assert set(commit_dates(tmp_path)) == {"content/a.md", "content/b.md"}


def test_ids_of_the_plan_page_itself_are_refused(tmp_path: Path) -> None:
    """The summary ('summary'), the shared notes ('note-1' …) and the phone menu are the page's own
    ids: a section with such an id, or a table named 'note' (whose groups are note-1, note-2 …),
    made two elements with one id, and the summary's '(note 1)' led to a group heading."""
    text = FRONT.replace("  main:\n", "  note:\n") + """
# 壹、摘要 {#summary}

文字。

# 貳、註 {#note-2}

文字。

# 參、選單 {#ps-menu}

::: actions note

## 壹、群組

- 1. 作法。
  完成期限：隨時辦理
  執行單位：甲科

:::
"""
    path = tmp_path / "sample-plan.zh-Hant.md"
    path.write_text(text, encoding="utf-8")
    _, problems = read_plan_file(path, path.name)
    messages = [str(p) for p in problems]
    assert any("the id 'summary' is used by the page itself" in p for p in messages), messages
    assert any("the id 'note-2' is used by the page itself" in p for p in messages), messages
    assert any("the id 'ps-menu' is used by the page itself" in p for p in messages), messages
    assert any("the table name 'note' is used by the page itself" in p for p in messages), messages


def test_long_runs_of_spaces_are_read_in_linear_time(tmp_path: Path) -> None:
    """A field value, a list of units, a heading's id and a deadline each holding a run of
    300,000 spaces (a plan may be 2 MB). The patterns reading them tried the run from each of
    its characters: 13 s for 40,000 spaces, hours for a megabyte. The plan is read in a process
    of its own, bounded far above what a linear read takes (a tenth of a second), so that a
    regression fails the suite instead of hanging it."""
    run = " " * 300_000
    fixture = (FIXTURES / "errors" / "field-given-once-for-a-run.zh-Hant.md").read_text(encoding="utf-8")
    head = fixture.split("::: actions main")[0].replace("id: field-given-once-for-a-run", "id: spaces")
    body = (f"::: actions main\n\n## 壹、強化收容管理{run}{{#care}}\n\n"
            f"- 1. 定期檢視收容空間。\n  完成期限：113年{run}12月\n  承辦單位：動物保護科{run}乙\n\n"
            f"- 2. 公告認養資訊。\n  完成期限：113年12月\n"
            f"  承辦單位：動物保護科 {run}、{run} 獸醫科\n\n:::\n")
    path = tmp_path / "spaces.zh-Hant.md"
    path.write_text(head + body, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "plansite.content", str(path)], capture_output=True,
                          text=True, timeout=60, check=False, cwd=Path(__file__).parent.parent)
    assert "Traceback" not in done.stderr
    assert done.stdout.endswith("1 groups (by level: 1, 0, 0), 2 actions\n")  # read to its end


@pytest.mark.parametrize("end", ["  ", "\\"])
def test_fields_after_a_line_ending_in_a_hard_break_are_read(tmp_path: Path, end: str) -> None:
    """Two spaces (invisible in an editor) or a backslash at the end of a line make a hard
    break, which hid the field lines after it: every field was reported missing. The break
    before the fields ends nothing once they are cut off; one between two lines of the text
    stays; a field line ending in one is read as well."""
    fixture = (FIXTURES / "errors" / "field-given-once-for-a-run.zh-Hant.md").read_text(encoding="utf-8")
    head = fixture.split("::: actions main")[0].replace("id: field-given-once-for-a-run", "id: breaks")
    body = (f"::: actions main\n\n## 壹、強化收容管理\n\n- 1. 定期檢視{end}\n  收容空間。{end}\n"
            f"  完成期限：113年12月{end}\n  承辦單位：動物保護科\n\n:::\n")
    path = tmp_path / "breaks.zh-Hant.md"
    path.write_text(head + body, encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert problems == [] and plan is not None
    (_, action), = plan.actions()
    assert action.deadline is not None and action.deadline.text == "113年12月"
    assert action.units == ("動物保護科",)
    assert action.body == (m.Paragraph((m.Text("定期檢視"), m.LineBreak(), m.Text("收容空間。")),
                                       action.body[0].loc),)


FIELDS = "  完成期限：隨時辦理\n  執行單位：服務科\n"


@pytest.mark.parametrize(("body", "last_line"), [
    # a note about the action, in a table with a 備註 column: text, not '備註' misspelt
    ("- 1. 辦理講習。\n  註：配合財政部政策辦理。\n" + FIELDS, "辦理講習。註：配合財政部政策辦理。"),
    # a line close to the units' label, above the action's own units: text
    ("- 1. 辦理講習。\n  承辦業務：稅務宣導\n" + FIELDS, "辦理講習。承辦業務：稅務宣導"),
    # a group's description like a field, before its first action: its description
    ("完成目標：提升民眾滿意度\n\n- 1. 辦理講習。\n" + FIELDS, "辦理講習。"),
])
def test_lines_like_fields_that_are_text_stay_text(tmp_path: Path, body: str, last_line: str) -> None:
    """The misspelt-field check takes a line for a field only where text cannot stand (below a
    field line) or where it names a column the action must give and lacks: these plans read
    as they did."""
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    plan = read(tmp_path, FRONT + table + body + "\n:::\n")
    [(_, action)] = list(plan.actions())
    assert m.plain_text(action.body[0].inlines) == last_line
    assert action.units == ("服務科",)


def test_lines_like_fields_above_shared_fields_stay_text(tmp_path: Path) -> None:
    """A field line under an action overrides the shared one, and one misspelt (預定完成期限) is
    reported; text that merely resembles a column (附註 and 備註, 承辦業務 and 承辦單位) is not."""
    body = ("- 1. 設置服務台，提供下列服務：\n  附註：諮詢、收件。\n- 2. 辦理講習。\n  承辦業務：稅務宣導\n\n"
            + FIELDS.replace("  ", ""))
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    plan = read(tmp_path, FRONT + table + body + "\n:::\n")
    texts = [m.plain_text(action.body[0].inlines) for _, action in plan.actions()]
    assert texts == ["設置服務台，提供下列服務：附註：諮詢、收件。", "辦理講習。承辦業務：稅務宣導"]


@pytest.mark.parametrize("fields", [
    "  完成期限︰隨時辦理\n  執行單位︰服務科\n",  # the colon of Big5-era text
    "  完成期限：隨時辦理\\\n  執行單位：服務科\\\n",  # a backslash ending each line, the last one's literal
])
def test_field_lines_as_authors_type_them(tmp_path: Path, fields: str) -> None:
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    plan = read(tmp_path, FRONT + table + "- 1. 辦理講習。\n" + fields + "\n:::\n")
    [(_, action)] = list(plan.actions())
    assert action.deadline.text == "隨時辦理" and action.units == ("服務科",)
    assert m.plain_text(action.body[0].inlines) == "辦理講習。"


def test_an_id_before_a_hard_break_is_the_actions(tmp_path: Path) -> None:
    """Behind two trailing spaces (a hard break), '{#bilingual-signs}' was shown as text and the
    action's links broke; an English file's '{src=…}' was lost the same way."""
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    plan = read(tmp_path, FRONT + table + "- 1. 提供雙語標語。 {#bilingual-signs}  \n" + FIELDS + "\n:::\n")
    [(_, action)] = list(plan.actions())
    assert action.id == "bilingual-signs"
    assert m.plain_text(action.body[0].inlines) == "提供雙語標語。"


def test_text_like_a_shared_column_stays_text(tmp_path: Path) -> None:
    """'附註：…' under a run sharing 備註 is a remark of the action's own text (one character of
    two differs: no slip), as 'Relevant units' is no misspelt 'Responsible units'."""
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    shared = FIELDS.replace("  ", "") + "備註：配合辦理\n"
    body = "- 1. 辦理宣導。\n  附註：本項另訂實施計畫。\n- 2. 辦理講習。\n\n" + shared
    plan = read(tmp_path, FRONT + table + body + "\n:::\n")
    assert m.plain_text(next(plan.actions())[1].body[0].inlines) == "辦理宣導。附註：本項另訂實施計畫。"


def test_points_and_notes_like_shared_columns_stay_text(tmp_path: Path) -> None:
    """A run sharing its units: '協辦單位：…' (a word of its own, one character from 承辦單位)
    and a point '(2) 執行單位：…' listing what a notice says are the actions' text; both were
    refused by rules a review then withdrew."""
    table = "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n"
    body = ("- 1. 公告認養資訊。\n  協辦單位：各區動物收容所\n- 2. 發送簡訊通知，內容如下：\n"
            "  - (1) 案件名稱及收件編號。\n  - (2) 執行單位：承辦科室名稱及聯絡電話。\n\n")
    body += FIELDS.replace("  ", "")
    plan = read(tmp_path, FRONT + table + body + "\n:::\n")
    first, second = (action for _, action in plan.actions())
    assert m.plain_text(first.body[0].inlines) == "公告認養資訊。協辦單位：各區動物收容所"
    assert first.units == second.units == ("服務科",)
    assert m.plain_text(second.body[1].items[1].blocks[0].inlines) == "執行單位：承辦科室名稱及聯絡電話。"


def test_english_lines_like_the_deadline_field_stay_text(tmp_path: Path) -> None:
    """English files give no deadline, so 'Hotline: …' or 'Deadlines: …' is text, not a
    misspelt 'Deadline' (it refused correct English plans)."""
    plan = read(tmp_path, """---
id: sample-plan
lang: en
title: Test plan
tables:
  main:
    groups: [Item]
    action: Measures
    deadline: Deadline
    units: Responsible units
---

# I. Contents

::: actions main

## I. Basic services

Outline: the services below.

- 1. Deadlines: answer within a week.
  Hotline: 0800-000-321
  Responsible units: all units
- 2. Hold workshops.
  Relevant units: the branches

Responsible units: all units

:::
""", name="sample-plan.en.md")
    first, second = (action for _, action in plan.actions())
    assert m.plain_text(first.body[0].inlines) == "Deadlines: answer within a week. Hotline: 0800-000-321"
    assert m.plain_text(second.body[0].inlines) == "Hold workshops. Relevant units: the branches"


def test_a_message_about_many_actions_names_a_few(tmp_path: Path) -> None:
    """Indented shared fields under 15,000 actions gave one message 94 KB long, every line."""
    path = tmp_path / "sample-plan.zh-Hant.md"
    actions = "".join(f"- {n}. 辦理講習。\n" for n in range(1, 31))
    path.write_text(FRONT + "\n# 肆、執行策略\n\n::: actions main\n\n## 優質便民服務\n\n" + actions
                    + "\n  完成期限：隨時辦理\n  執行單位：服務科\n\n:::\n", encoding="utf-8")
    _, problems = read_plan_file(path, path.name)
    [problem] = problems
    assert "the actions at lines 23, 24, 25 and 26 more lack 完成期限" in str(problem)


def test_an_editors_lock_and_macos_files_beside_the_plans_are_not_plans(tmp_path: Path) -> None:
    """Emacs keeps a dangling link '.#ID.zh-Hant.md' beside a file with unsaved changes, and
    macOS writes '._ID.zh-Hant.md' onto some disks: neither is a plan, and the build refused it
    ('the file is a link to a file that does not exist'), in the preview at every save."""
    from plansite.content import load_plans

    from .conftest import copy_project

    project = copy_project(tmp_path / "p", plans=["mof-2017"])
    plans = project / "content" / "plans"
    (plans / ".#mof-2017.zh-Hant.md").symlink_to("root@host.1234:1700000000")
    (plans / "._mof-2017.zh-Hant.md").write_bytes(b"\x00\x05\x16\x07Mac OS X")
    assert [plan.loc.path for plan in load_plans(project)] == [
        "content/plans/mof-2017.en.md", "content/plans/mof-2017.zh-Hant.md"]


def agency_warnings(tmp_path: Path, plan_id: str, old: str, new: str, words: str) -> tuple[list[str], int]:
    """The warnings about agencies (those holding ``words``) when keelung-tax-2023 has a second
    plan, ``plan_id``, with ``old`` in its front matter made ``new``; and the line of the
    English name in that plan."""
    from plansite.sources import load

    from .conftest import copy_project

    project = copy_project(tmp_path / "p", plans=["keelung-tax-2023", "mof-2017"])
    plans = project / "content" / "plans"
    text = (plans / "keelung-tax-2023.zh-Hant.md").read_text(encoding="utf-8")
    text = text.replace("id: keelung-tax-2023", f"id: {plan_id}", 1).replace(old, new, 1)
    (plans / f"{plan_id}.zh-Hant.md").write_text(text, encoding="utf-8")
    line = next(number for number, written in enumerate(text.split("\n"), 1) if written.startswith("  en: "))
    return [str(w) for w in load(project).warnings if words in w.message], line


def test_one_agency_with_two_english_names_is_a_warning_at_its_english_name(tmp_path: Path) -> None:
    """Two plans of 基隆市稅務局 naming it in English two ways: the English pages listed it as two
    agencies (search's agency filter), with no word to the editors."""
    found, line = agency_warnings(tmp_path, "keelung-tax-2024", "en: Keelung City Tax Bureau",
                                  "en: Keelung Revenue Office", "agency")
    assert found == [(f"content/plans/keelung-tax-2024.zh-Hant.md:{line}: warning: the agency 基隆市稅務局 "
                      "is 'Keelung Revenue Office' in English here, but 'Keelung City Tax Bureau' in "
                      "content/plans/keelung-tax-2023.zh-Hant.md — give it the same English name in every "
                      "plan: the English pages would name it two ways")]


def test_two_agencies_with_one_english_name_is_a_warning_at_the_name(tmp_path: Path) -> None:
    """基隆市政府稅務局 beside 基隆市稅務局, both 'Keelung City Tax Bureau': the English units page
    listed that name twice, and its address came to lead to the other agency."""
    found, line = agency_warnings(tmp_path, "keelung-city-tax-2024", "zh: 基隆市稅務局",
                                  "zh: 基隆市政府稅務局", "English name")
    assert found == [(f"content/plans/keelung-tax-2023.zh-Hant.md:{line}: warning: the English name "
                      "'Keelung City Tax Bureau' is that of 基隆市政府稅務局 in "
                      "content/plans/keelung-city-tax-2024.zh-Hant.md, but the agency here is 基隆市稅務局 — "
                      "give each agency its own English name, or, if it is one agency, the same Chinese "
                      "name: the English pages would list two agencies by one name, and which one an address "
                      "leads to would change")]
