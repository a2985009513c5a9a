"""The complete example in docs/format.md is real: it reads without problems and builds."""

from __future__ import annotations

import re
from pathlib import Path

from plansite.content import read_plan_file
from plansite.site import build

from .conftest import PROJECT, copy_project


def example() -> str:
    doc = (PROJECT / "docs" / "format.md").read_text(encoding="utf-8")
    section = doc.split("## A complete example", 1)[1]
    return re.search(r"^```markdown\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)[1]


def test_the_documented_example_reads_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "example-tax-2024.zh-Hant.md"
    path.write_text(example(), encoding="utf-8")
    plan, problems = read_plan_file(path, path.name)
    assert [str(p) for p in problems] == []
    assert [s.id for s in plan.sections] == ["basis", "s2", "s3", "s4"]
    actions = [a for _, a in plan.actions()]
    assert [a.id for a in actions] == ["main-1-1-a1", "bilingual-signs", "main-2-a1"]
    assert [a.deadline.kind for a in actions] == ["ongoing", "range", "month"]


def test_the_documented_example_builds(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", plans=[])
    (project / "content" / "plans" / "example-tax-2024.zh-Hant.md").write_text(example(), encoding="utf-8")
    result = build(project, project / "site")
    assert [e.zh.id for e in result.editions] == ["example-tax-2024"]
    assert (project / "site" / "plans" / "example-tax-2024" / "index.html").is_file()
