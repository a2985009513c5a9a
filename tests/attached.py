"""A project whose plan attaches a PDF, a spreadsheet, an image and a table (test_attachments,
test_engine): real files, made here by the libraries that read them."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import segno
from odfdo import Document

from .conftest import copy_project

PLAN = "keelung-tax-2023"
ZH_FILE = Path(f"content/plans/{PLAN}.zh-Hant.md")
EN_FILE = Path(f"content/plans/{PLAN}.en.md")
FOLDER = Path(f"content/plans/{PLAN}")

ZH_ATTACHMENTS = """attachments:
  - title: 附件一 服務申請表
    file: application-form.pdf
  - title: 附件二 年度工作進度表
    file: schedule.ods
  - title: 附件三 服務流程圖
    file: service-flow.png
    alt: 民眾由服務台取號、臨櫃辦理到完成的流程圖
  - title: 附表一 收件期程
    section: intake
"""
EN_ATTACHMENTS = """attachments:
  - title: Annex 1 Service application form
  - title: Annex 2 Yearly work schedule
  - title: Annex 3 Service flow chart
    alt: Flow chart from taking a number at the service desk to finishing at the counter
  - title: Schedule 1 Intake periods
"""
ZH_TABLE_COLUMNS = "  intake:\n    groups: [項目]\n    action: 收件作業\n    deadline: 完成期限\n"
EN_TABLE_COLUMNS = "  intake:\n    groups: [Item]\n    action: Intake work\n    deadline: Deadline\n"
ZH_TABLE = """
# 附表一 收件期程 {#intake}

::: actions intake

## 一、書面申請

- 1. 受理書面申請。
  完成期限：每月辦理

:::
"""
EN_TABLE = """
# Schedule 1 Intake periods {#intake}

::: actions intake

## 1. Written applications

- 1. Receive written applications.

:::
"""


def pdf_bytes(pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def ods_bytes() -> bytes:
    out = io.BytesIO()
    Document("spreadsheet").save(out)
    return out.getvalue()


def png_bytes(text: str = "plansite") -> bytes:
    out = io.BytesIO()
    segno.make(text).save(out, kind="png", scale=4)
    return out.getvalue()


def insert(project: Path, path: Path, before: str, text: str) -> None:
    file = project / path
    old = file.read_text(encoding="utf-8")
    assert before in old, (path, before)
    file.write_text(old.replace(before, text + before, 1), encoding="utf-8")


def attached_project(target: Path, plans: list[str] | None = None) -> Path:
    """The project (``plans`` only, when given; always keelung-tax-2023) with the attachments."""
    project = copy_project(target, None if plans is None else sorted({*plans, PLAN}))
    insert(project, ZH_FILE, "framework:\n", ZH_TABLE_COLUMNS)
    insert(project, ZH_FILE, "framework:\n", ZH_ATTACHMENTS)
    insert(project, ZH_FILE, "  note:\n    zh: 壹、參", "  unmapped:\n    intake-1: 附表，非執行措施。\n")
    insert(project, EN_FILE, "---\n\n#", EN_TABLE_COLUMNS)
    insert(project, EN_FILE, "---\n\n#", EN_ATTACHMENTS)
    for path, table in ((ZH_FILE, ZH_TABLE), (EN_FILE, EN_TABLE)):
        file = project / path
        file.write_text(file.read_text(encoding="utf-8") + table, encoding="utf-8")
    folder = project / FOLDER
    folder.mkdir()
    (folder / "application-form.pdf").write_bytes(pdf_bytes())
    (folder / "schedule.ods").write_bytes(ods_bytes())
    (folder / "service-flow.png").write_bytes(png_bytes())
    return project
