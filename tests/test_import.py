"""``python build.py import``: drafts from agencies' own documents, built here with odfdo in
each real shape (merged group cells, shared unit cells, numbered sections), one Word file made
by LibreOffice, and every plan's own ODT imported back to the same model."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from odfdo import Cell, Document, Header, Paragraph, Row, Span, Style, Table

from plansite import model as m
from plansite.cli import main
from plansite.config import load_config
from plansite.errors import MachineError
from plansite.importer import ImportFailed, import_document, write_new
from plansite.plan_file import read_plan_data

from .conftest import PROJECT, as_from_a_shell

PLANS = ("keelung-tax-2023", "ntbt-2016", "hsinchu-tax-2018", "kaohsiung-finance-2024", "mof-2017")


def odt(path: Path, title: str, body: list) -> Path:
    """An agency's document: ``body`` holds headings (level, text), paragraphs (text, or
    ("bold", text)) and tables (rows of cells, each a text, a list of paragraphs or None for a
    covered cell, then the merged areas)."""
    doc = Document("text")
    doc.body.clear()
    doc.insert_style(Style("text", name="Bold", area="text", bold=True), automatic=True)
    doc.body.append(Paragraph(title))
    for block in body:
        if isinstance(block, tuple) and isinstance(block[0], int):
            doc.body.append(Header(block[0], block[1]))
        elif isinstance(block, tuple) and block[0] == "table":
            doc.body.append(table(block[1], block[2]))
        else:
            doc.body.append(paragraph(block))
    doc.save(path)
    return path


def paragraph(text) -> Paragraph:
    if isinstance(text, tuple):  # ("bold", text): a bold title, as Kaohsiung prints its actions'
        para = Paragraph()
        para.append(Span(text[1], style="Bold"))
        return para
    return Paragraph(text)


def table(rows: list[list], spans: list[str]) -> Table:
    grid = Table("Actions")
    for cells in rows:
        row = Row()
        for value in cells:
            cell = Cell()
            for text in [] if value is None else [value] if isinstance(value, str | tuple) else value:
                cell.append(paragraph(text))
            row.append(cell)
        grid.append(row)
    for area in spans:
        grid.set_span(area)
    return grid


def run_import(project: Path, document: Path, *flags: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--project", str(project), "import", str(document), *flags])
    return code, out.getvalue(), err.getvalue()


def draft(project: Path, plan_id: str) -> str:
    return (project / "content" / "plans" / f"{plan_id}.zh-Hant.md").read_text("utf-8")


def parsed(text: str, plan_id: str) -> m.Plan:
    """The draft as the build reads it, once the author has given the English agency name."""
    text = text.replace("  en:    # 待填", "  en: Agency  # 待填")
    text = text.replace("  service:    # 待填", "  service: I00  # 待填")
    plan, problems = read_plan_data(text.encode(), f"{plan_id}.zh-Hant.md", "draft")
    assert problems == [], [str(p) for p in problems]
    return plan


def actions(plan: m.Plan) -> list[tuple]:
    return [(tuple(m.numbered(g.number, m.plain_text(g.title)) for g in groups), a.number,
             m.blocks_text(a.body), a.deadline.text if a.deadline else None, a.units,
             tuple((f.label, f.value) for f in a.fields)) for groups, a in plan.actions()]


def groups(plan: m.Plan) -> list[tuple]:
    return [(g.level, g.label, g.number, m.plain_text(g.title), m.blocks_text(g.description))
            for g in plan.groups()]


TABLE_KEELUNG = """\
  main:
    groups: [實施要項, 實施要項]
    action: 推動作法
    deadline: 完成期限
    units: 承辦單位
"""
GOALS_KEELUNG = """\
# 貳、計畫目標

- 一、持續推動民眾滿意服務。
- 二、促使政府資訊透明化：
  - (一)提供友善網路服務。
  - (二)確保民眾知的權利。
- 三、積極整合服務。
"""
TABLES_NTBT = """\
  main:
    groups: [實施要項, 執行策略, 策略細項]
    action: 具體作法
    deadline: 完成期限
    units: 執行單位
  second:
    groups: [實施要項, 執行策略]
    action: 具體作法
    deadline: 預定完成期限
    units: 執行單位
"""
CRITERIA_HSINCHU = """\
#### (一) 服務一致及正確

1. 申辦業務標準作業流程訂定情形：訂定比率。
2. 服務資訊透明度：
   - (1) 資訊公開：主動公開資訊。
   - (2) 資料開放：盤點業務資料。

- 1.1 編修標準作業手冊。
  完成期限：依需要辦理
  主/協辦單位：各科室
"""
SECTIONS_MOF = """\
# 貳、目標

- 一、便捷服務遞送：
  - (一)簡化流程。
  - (二)整合服務。
- 二、擴大社會參與。

# 參、推動作法

- 一、各機關訂定計畫：
  - 1. 訂定年度計畫。
  - 2. 按季檢討。
    - (1) 填報進度。
- 二、本部彙整。
"""
ACTIONS_KAOHSIUNG = """\
### (一) 建立業務標準作業流程

- **服務資訊公開透明**

  - 1. 訂定申辦案件SOP，並登載於機關網站。
  - 2. 案件逾期時告知申請人原因。
  執行單位：菸酒管理科、秘書室

### (二) 提供易讀易懂的服務資訊

- 1. 辦理滿意度調查。

- 2. 公告調查結果。

執行單位：秘書室

:::
"""


KEELUNG = [
    "壹、計畫依據", "依據行政院函頒「政府服務躍升方案」辦理。",
    "貳、計畫目標", "一、持續推動民眾滿意服務。", "二、促使政府資訊透明化：", "(一)提供友善網路服務。",
    "(二)確保民眾知的權利。", "三、積極整合服務。",
    "參、具體實施計畫",
    ("table", [
        ["實施要項", None, "推動作法", "完成期限", "承辦單位"],
        ["壹、完備基礎服務", "一、提供合宜、友善之服務環境", "1. 辦公大樓綠化及環境清潔工作。", "隨時辦理",
         "各單位"],
        [None, None, "2. 提供雙語標語洽公環境。", "105.5.1~105.5.31", ["納稅服務科", "行政科"]],
        [None, "二、提升服務人員禮貌", "1. 辦理服務禮儀訓練。", "113年12月", "人事室"],
        ["貳、運用多元策略", "一、簡化申辦流程", "1. 檢討申辦書表。", "每季辦理", "各單位"],
    ], ["A1:B1", "A2:A4", "B2:B3"]),
    "肆、管制考核", "本計畫每半年檢討一次。",
]


def test_keelung_shape_two_group_levels_under_one_merged_header(tmp_path: Path) -> None:
    document = odt(tmp_path / "keelung-tax-2024.odt", "基隆市稅務局113年度提升服務品質實施計畫", KEELUNG)
    code, out, err = run_import(tmp_path / "project", document)
    assert (code, err) == (0, "")
    text = draft(tmp_path / "project", "keelung-tax-2024")
    assert "year: 113\n" in text and "  zh: 基隆市稅務局\n" in text
    assert TABLE_KEELUNG in text and GOALS_KEELUNG in text
    plan = parsed(text, "keelung-tax-2024")
    environment = ("壹、完備基礎服務", "一、提供合宜、友善之服務環境")
    assert actions(plan) == [
        (environment, "1.", "辦公大樓綠化及環境清潔工作。", "隨時辦理", ("各單位",), ()),
        (environment, "2.", "提供雙語標語洽公環境。", "105.5.1~105.5.31", ("納稅服務科", "行政科"), ()),
        (("壹、完備基礎服務", "二、提升服務人員禮貌"), "1.", "辦理服務禮儀訓練。", "113年12月",
         ("人事室",), ()),
        (("貳、運用多元策略", "一、簡化申辦流程"), "1.", "檢討申辦書表。", "每季辦理", ("各單位",), ()),
    ]
    # what the document does not say is asked for at its line, and the build names it there
    assert "keelung-tax-2024.zh-Hant.md:7: 'agency.en' is not stated in the document" in out
    assert "keelung-tax-2024.zh-Hant.md:7: 'agency.en' is empty — write its text after 'en:'" in out
    assert "keelung-tax-2024.zh-Hant.md:10: 'classification.service' is not stated" in out


@pytest.fixture(scope="module")
def own_odts(tmp_path_factory) -> Path:
    """Every plan's ODT download, as the build renders it (the same function and inputs)."""
    from plansite import render_odt
    from plansite.sources import load

    folder = tmp_path_factory.mktemp("own-odts")
    config = load_config(PROJECT)
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    for edition in load(PROJECT).editions:
        payload, _ = render_odt.source(edition.zh, PROJECT, config, stamp)
        (folder / f"{edition.zh.id}.zh-Hant.odt").write_bytes(render_odt.render_plan_odt(*payload))
    return folder


@pytest.mark.parametrize("plan_id", PLANS)
def test_every_plans_own_odt_imports_back_to_the_same_model(own_odts: Path, tmp_path: Path,
                                                           plan_id: str) -> None:
    code, _, err = run_import(tmp_path, own_odts / f"{plan_id}.zh-Hant.odt")
    assert (code, err) == (0, "")
    source = PROJECT / "content" / "plans" / f"{plan_id}.zh-Hant.md"
    original, problems = read_plan_data(source.read_bytes(), source.name, "original")
    assert problems == []
    imported = parsed(draft(tmp_path, plan_id), plan_id)
    assert actions(imported) == actions(original)
    assert groups(imported) == groups(original)
    assert [m.numbered(s.number, m.plain_text(s.title)) for s in imported.sections] == [
        m.numbered(s.number, m.plain_text(s.title)) for s in original.sections]
    assert [m.blocks_text(s.blocks) for s in imported.sections] == [m.blocks_text(s.blocks)
                                                                    for s in original.sections]
    assert (imported.agency.zh, imported.year, imported.classification) == (
        original.agency.zh, original.year, original.classification)


def test_an_existing_plan_is_never_overwritten_without_force(own_odts: Path, tmp_path: Path) -> None:
    target = tmp_path / "content" / "plans" / "mof-2017.zh-Hant.md"
    target.parent.mkdir(parents=True)
    target.write_text("mine", "utf-8")
    code, out, err = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt")
    assert (code, out) == (1, "")
    assert err == ("content/plans/mof-2017.zh-Hant.md: exists already — import with another --id, or add "
                   "--force to replace it (the old file is lost)\n")
    assert target.read_text("utf-8") == "mine"
    code, _, _ = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt", "--force")
    assert code == 0 and target.read_text("utf-8").startswith("---\nid: mof-2017\n")
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left


def test_a_folder_where_the_plan_file_goes_is_named_and_kept_even_with_force(own_odts: Path,
                                                                             tmp_path: Path) -> None:
    target = tmp_path / "content" / "plans" / "mof-2017.zh-Hant.md"
    (target / "notes").mkdir(parents=True)
    for flags in ((), ("--force",)):
        code, out, err = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt", *flags)
        assert (code, out) == (1, "")
        assert err == ("content/plans/mof-2017.zh-Hant.md/: is a folder where plansite expects a file — "
                       "move the folder away\n")
        assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
        assert [p.name for p in target.iterdir()] == ["notes"]


def zipped(files: dict[str, bytes]) -> bytes:
    """A ZIP package holding ``files``."""
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as package:
        for name, content in files.items():
            package.writestr(name, content)
    return data.getvalue()


NOT_WORD = zipped({"notes.txt": b"not a document"})
"""A ZIP package that is no Word document: LibreOffice is started, and refuses it."""


def not_word(path: Path) -> None:
    """A .docx file that LibreOffice is started for, and refuses (:data:`NOT_WORD`)."""
    path.write_bytes(NOT_WORD)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.odt", None, "missing.odt: there is no such file — check the path"),
    ("plan.odt", b"not a zip", ("plan.odt: is not an ODF document (it is not a ZIP package) — open it in "
                                "LibreOffice and save it as .odt, then import that")),
    ("plan.pdf", b"%PDF-1.7", ("plan.pdf: '.pdf' is not a document plansite can import — give an ODF text "
                               "document (.odt) or a Word document (.docx)")),
    ("plan.docx", b"PK\x03\x04 broken", ("plan.docx: is not a Word document (a .docx file is a ZIP "
                                         "package, and this one is not) — open it in LibreOffice or Word and "
                                         "save it as .docx or .odt, then import that")),
    ("plan.docx", b"a plan typed as plain text", ("plan.docx: is not a Word document (a .docx file is a ZIP "
                                                  "package, and this one is not) — open it in LibreOffice or "
                                                  "Word and save it as .docx or .odt, then import that")),
    ("plan.docx", NOT_WORD, ("plan.docx: LibreOffice could not convert it to ODT (is it a Word document?) — "
                             "open it in LibreOffice, save it as .odt, and import that")),
    ("計畫.odt", b"", ("計畫.odt: the file name gives no plan id ('計畫') — give the plan's id with --id, "
                      "e.g. --id keelung-tax-2024")),
    ("p" * 246 + ".odt", b"", ("p" * 246 + ".odt: gives a plan id of 246 characters, too long for the plan's "
                              "file name — give a shorter id with --id, e.g. --id keelung-tax-2024")),
])
def test_a_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, monkeypatch, name: str,
                                                    content: bytes | None, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / name).write_bytes(content)
    code, out, err = run_import(tmp_path / "project", Path(name))
    assert (code, out, err) == (1, "", expected + "\n")
    assert not (tmp_path / "project" / "content").exists()


def test_a_document_whose_name_starts_with_a_dash_is_told_how_to_name_it(own_odts: Path, tmp_path: Path,
                                                                         monkeypatch, capsys) -> None:
    """argparse takes `-plan.odt` for an option and said only that no document was given."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-mof-2017.odt").write_bytes((own_odts / "mof-2017.zh-Hant.odt").read_bytes())
    for words in (["import", "-mof-2017.odt"], ["import", "--force", "-mof-2017.odt", "--id", "mof-2017"]):
        with pytest.raises(SystemExit) as stopped:
            main(["--project", str(tmp_path / "project"), *words])
        assert stopped.value.code == 2
        assert capsys.readouterr().err.splitlines()[-1] == (
            "python build.py: error: -mof-2017.odt is taken for an option — to import the file of that "
            "name, write ./-mof-2017.odt (or put -- before it)")
    assert not (tmp_path / "project").exists()
    for written in (["--id", "mof-2017", "--", "-mof-2017.odt"], ["./-mof-2017.odt", "--id", "mof-2017"]):
        assert main(["--project", str(tmp_path / "project"), "import", "--force", *written]) == 0
    assert draft(tmp_path / "project", "mof-2017").startswith("---\nid: mof-2017\n")


def test_libreoffice_that_does_not_finish_is_stopped(tmp_path: Path) -> None:
    """A conversion that takes too long is one line, and LibreOffice is gone with all its children."""
    word = tmp_path / "plan.docx"
    not_word(word)
    before = converting()
    with pytest.raises(ImportFailed, match="LibreOffice did not convert it within 0 s"):
        import_document(word, "plan", timeout=0.05)
    assert converting().keys() - before.keys() == set()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_an_import_stopped_while_libreoffice_converts_leaves_nothing_behind(tmp_path: Path, stop) -> None:
    """The working folder holds a copy of the agency's document: stopped by Ctrl-C, a kill, a
    closed terminal or Ctrl-\\ while LibreOffice converts, the import says so, and neither the folder,
    LibreOffice's own temporary files nor LibreOffice itself outlive it."""
    word = tmp_path / "plan.docx"
    not_word(word)
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "project"),
               "import", str(word)]
    sockets = office_sockets()
    assert stopped_while_converting(tmp_path, command, stop) == (130, "", "Interrupted.\n")
    assert office_sockets() <= sockets  # LibreOffice's pipe for other instances is gone too, if made
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "project").exists()


STOPPED_AT = """
import os, runpy, signal, subprocess, sys
stop, moment = int(sys.argv[1]), sys.argv[2]
if moment == "Popen":  # as LibreOffice has started, before Popen returns
    start = subprocess.Popen._execute_child
    def started(*args, **kwargs):
        start(*args, **kwargs)
        os.kill(os.getpid(), stop)
    subprocess.Popen._execute_child = started
if moment == "pthread_sigmask":  # a second stop as the first's clean-up starts holding signals
    mask, sent = signal.pthread_sigmask, []
    def masking(*args):
        if not sent and sys.exc_info()[0] is KeyboardInterrupt:
            sent.append(os.kill(os.getpid(), stop))
        return mask(*args)
    signal.pthread_sigmask = masking
if moment == "swallowed":  # a stop raised where Python drops it, as in a module's set-up in C
    import shutil
    copy = shutil.copyfile
    def copying(*args, **kwargs):
        try:
            os.kill(os.getpid(), stop)
        except KeyboardInterrupt:
            pass
        return copy(*args, **kwargs)
    shutil.copyfile = copying
called = {"probe": "open"}.get(moment, moment)
real = getattr(os, called, None)
def stopped_at(path, *args, **kwargs):
    named = os.path.basename(os.fspath(path)) if moment != "killpg" else ""
    working = named.startswith("plansite-import-")
    if working and moment == "rmdir":
        os.kill(os.getpid(), stop)  # as its removal ends
    result = real(path, *args, **kwargs)
    if working and moment == "mkdir":
        os.kill(os.getpid(), stop)  # as soon as it exists
    if moment == "open" and named.startswith(".plan.zh-Hant.md."):
        os.kill(os.getpid(), stop)  # as the draft's temporary file is made
    if moment == "probe" and named.startswith(".plansite-probe-"):
        os.kill(os.getpid(), stop)  # as the probe of a folder's writability is made
    if moment == "killpg" and args == (signal.SIGSTOP,):
        os.kill(os.getpid(), stop)  # as LibreOffice is being stopped
    return result
if real is not None:
    setattr(os, called, stopped_at)
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("moment", ["mkdir", "rmdir"])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
def test_a_stop_as_the_working_folder_is_made_or_removed_leaves_nothing_behind(tmp_path: Path, stop,
                                                                            moment: str) -> None:
    """The stop can come in any instant, also the one after the folder is made or while it is
    removed (CI once had it land in the removal, after LibreOffice had refused the file): the
    folder still goes, and the import says it was interrupted. The signal is sent by the import
    itself at that instant; all else is the import as a user runs it."""
    document = tmp_path / "plan.odt"
    document.write_bytes(b"not a zip")  # refused at once: the removal comes right after
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-c", STOPPED_AT, str(int(stop)), moment, str(PROJECT / "build.py"),
               "--project", str(tmp_path / "project"), "import", str(document)]
    done = subprocess.run(as_from_a_shell(command), env=os.environ | {"TMPDIR": str(temporary)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "Interrupted.\n")
    assert list(temporary.iterdir()) == []
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_as_the_draft_is_written_leaves_no_temporary_file_beside_the_plans(tmp_path: Path,
                                                                                stop) -> None:
    """The draft goes into a temporary file beside the plans first: a stop right after it is
    made comes after the draft is in place, and nothing else is left in the plans' folder."""
    document = odt(tmp_path / "plan.odt", "基隆市稅務局113年度提升服務品質實施計畫", [(1, "壹、依據")])
    command = [sys.executable, "-c", STOPPED_AT, str(int(stop)), "open", str(PROJECT / "build.py"),
               "--project", str(tmp_path / "project"), "import", str(document)]
    done = subprocess.run(as_from_a_shell(command), capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "Interrupted.\n")
    assert [p.name for p in (tmp_path / "project" / "content" / "plans").iterdir()] == ["plan.zh-Hant.md"]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_as_libreoffice_starts_stops_it(tmp_path: Path, stop) -> None:
    """A stop in the instant LibreOffice has started, before the import holds its process: it is
    stopped all the same, before the import ends (else it would run on, and make its profile
    again in the working folder just removed)."""
    word = tmp_path / "plan.docx"
    not_word(word)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-c", STOPPED_AT, str(int(stop)), "Popen", str(PROJECT / "build.py"),
               "--project", str(tmp_path / "project"), "import", str(word)]
    try:
        done = subprocess.run(as_from_a_shell(command), env=os.environ | {"TMPDIR": str(temporary)},
                              capture_output=True, text=True, timeout=60, check=False)
        running = [name for name in converting().values() if str(temporary) in name]
    finally:
        end_conversion(temporary)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "Interrupted.\n")
    assert running == []
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("moment", ["pthread_sigmask", "killpg"])
def test_a_second_stop_while_libreoffice_is_stopped_waits_until_it_is_gone(tmp_path: Path, moment: str
                                                                           ) -> None:
    """Ctrl-C, then the terminal closed (SIGHUP) as the import begins to stop LibreOffice or
    while it does: the second stop must not leave LibreOffice running, or held still (SIGSTOP)
    and never killed."""
    word = tmp_path / "plan.docx"
    not_word(word)
    command = [sys.executable, "-c", STOPPED_AT, str(int(signal.SIGHUP)), moment, str(PROJECT / "build.py"),
               "--project", str(tmp_path / "project"), "import", str(word)]
    assert stopped_while_converting(tmp_path, command, signal.SIGINT) == (130, "", "Interrupted.\n")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_stop_as_the_plans_folder_is_probed_leaves_no_probe(tmp_path: Path) -> None:
    """Before a conversion that may take minutes, the import checks that the plans' folder can
    be written by making a file there: a stop in that instant leaves no such file."""
    document = tmp_path / "plan.odt"
    document.write_bytes(b"not a zip")
    command = [sys.executable, "-c", STOPPED_AT, str(int(signal.SIGINT)), "probe", str(PROJECT / "build.py"),
               "--project", str(tmp_path / "project"), "import", str(document)]
    done = subprocess.run(as_from_a_shell(command), capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "Interrupted.\n")
    assert [p.name for p in tmp_path.rglob(".*")] == []


def test_ctrl_c_as_python_starts_is_interrupted_not_a_traceback(tmp_path: Path) -> None:
    """Ctrl-C before plansite's modules are loaded (any command; here the import's)."""
    start = ("import builtins, os, runpy, signal, sys\n"
             "load = builtins.__import__\n"
             "def loading(name, *args, **kwargs):\n"
             "    if name == 'argparse':\n"
             "        os.kill(os.getpid(), signal.SIGINT)\n"
             "    return load(name, *args, **kwargs)\n"
             "builtins.__import__ = loading\n"
             "sys.argv = sys.argv[1:]\n"
             "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    command = [sys.executable, "-c", start, str(PROJECT / "build.py"), "--project", str(tmp_path),
               "import", str(tmp_path / "plan.odt")]
    done = subprocess.run(as_from_a_shell(command), capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "Interrupted.\n")


def test_the_next_import_stops_a_killed_imports_libreoffice_then_removes_its_folder(tmp_path: Path
                                                                                   ) -> None:
    """Killed outright (SIGKILL), an import leaves LibreOffice converting for no one, in the
    working folder: the next import stops it before it removes the folder, which LibreOffice
    would otherwise write into while it goes, and make again."""
    word = tmp_path / "plan.docx"
    not_word(word)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    environment = os.environ | {"TMPDIR": str(temporary)}
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "project"),
               "import", str(word)]
    process = subprocess.Popen(as_from_a_shell(command), env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        hold_conversion(temporary, process)  # still converting when the next import starts
        process.kill()
        process.communicate(timeout=60)
        (tmp_path / "other.odt").write_bytes(b"not a zip")
        done = subprocess.run([*command[:-1], str(tmp_path / "other.odt")], env=environment,
                              capture_output=True, text=True, timeout=60, check=False)
        left = [name for name in converting().values() if str(temporary) in name]
    finally:
        end_conversion(temporary)
    assert done.returncode == 1 and "is not an ODF document" in done.stderr
    assert left == []
    assert list(temporary.iterdir()) == []

def test_a_stop_python_dropped_does_not_make_the_next_one_ignored(tmp_path: Path) -> None:
    """A stop whose KeyboardInterrupt was dropped where it was raised (an adversarial run
    found one inside lxml's set-up): the next Ctrl-C still stops the import, LibreOffice too."""
    word = tmp_path / "plan.docx"
    not_word(word)
    command = [sys.executable, "-c", STOPPED_AT, str(int(signal.SIGTERM)), "swallowed",
               str(PROJECT / "build.py"), "--project", str(tmp_path / "project"), "import", str(word)]
    assert stopped_while_converting(tmp_path, command, signal.SIGINT) == (130, "", "Interrupted.\n")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_signal_ignored_when_the_import_starts_stays_ignored(tmp_path: Path) -> None:
    """Started with SIGHUP ignored (nohup, so that logging out does not stop it), the import is
    not stopped by it: the conversion goes on, and here ends as it would have (LibreOffice
    refuses the file)."""
    word = tmp_path / "plan.docx"
    not_word(word)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "project"),
               "import", str(word)]
    nohup = ("import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
             "os.execv(sys.argv[1], sys.argv[1:])")
    process = subprocess.Popen([sys.executable, "-c", nohup, *as_from_a_shell(command)],
                               env=os.environ | {"TMPDIR": str(temporary)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(str(temporary) in name for name in converting().values()):
            assert process.poll() is None and time.monotonic() < deadline, "LibreOffice never started"
            time.sleep(0.01)
        process.send_signal(signal.SIGHUP)
        _, err = process.communicate(timeout=120)
    finally:
        end_conversion(temporary)
    assert process.returncode == 1 and "LibreOffice could not convert it" in err, err
    assert list(temporary.iterdir()) == []


def test_a_plan_file_written_during_the_conversion_is_kept_without_force(tmp_path: Path) -> None:
    """The check that the plan file does not exist comes before LibreOffice converts, which can
    take minutes: a file that appears meanwhile (another import of the same id, an editor's
    save) is not replaced unless --force was given."""
    target = tmp_path / "content" / "plans" / "race.zh-Hant.md"
    target.parent.mkdir(parents=True)
    target.write_text("mine", "utf-8")
    with pytest.raises(MachineError, match="exists already") as raised:
        write_new(target, "draft")
    assert raised.value.path == str(target)
    assert target.read_text("utf-8") == "mine" and os.listdir(target.parent) == [target.name]
    write_new(target, "draft", replace=True)
    assert target.read_text("utf-8") == "draft" and os.listdir(target.parent) == [target.name]


def test_a_killed_imports_working_folder_is_removed_by_the_next_import(tmp_path: Path) -> None:
    """SIGKILL leaves the working folder (nothing runs after it): the next import removes it,
    and leaves alone a folder of a process that still runs."""
    word = tmp_path / "plan.docx"
    not_word(word)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    running = temporary / f"plansite-import-{os.getpid()}-busy"
    running.mkdir()
    (temporary / "plansite-import-99999999999-x").mkdir()  # no process has such a number
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "project"),
               "import", str(word)]
    environment = os.environ | {"TMPDIR": str(temporary)}
    process = subprocess.Popen(as_from_a_shell(command), env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(str(temporary) in name for name in converting().values()):
        assert process.poll() is None and time.monotonic() < deadline, "LibreOffice never started"
        time.sleep(0.01)
    process.kill()
    process.communicate(timeout=60)
    while any(str(temporary) in name for name in converting().values()):  # LibreOffice finishes alone
        assert time.monotonic() < deadline
        time.sleep(0.1)
    left = [p for p in temporary.iterdir() if p != running and "99999999999" not in p.name]
    assert len(left) == 1 and (left[0] / "source.docx").exists()  # the copy of the document
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "LibreOffice could not convert it" in done.stderr
    assert list(temporary.iterdir()) == [running]


def test_a_converter_that_hangs_ends_even_when_the_import_was_killed(tmp_path: Path) -> None:
    """After a SIGKILL nothing of plansite runs to stop LibreOffice, and a document it hangs on
    kept it running for good: coreutils' timeout bounds it (with its children) at the import's
    time limit and a few seconds. LibreOffice cannot be made to hang on demand, so a converter
    that never ends stands in for it here, found as `soffice` on the PATH."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "soffice").write_text("#!/bin/sh\nwhile :; do sleep 1; done\n", encoding="utf-8")
    (tools / "soffice").chmod(0o755)
    word = tmp_path / "plan.docx"
    not_word(word)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    limit = 2
    start = (f"import sys; sys.path.insert(0, {str(PROJECT)!r}); from pathlib import Path; "
             "from plansite.importer import import_document; "
             f"import_document(Path({str(word)!r}), 'x', {limit})")
    environment = os.environ | {"TMPDIR": str(temporary), "PATH": f"{tools}:{os.environ['PATH']}"}
    process = subprocess.Popen([sys.executable, "-c", start], env=environment)
    deadline = time.monotonic() + 60
    while not any(str(temporary) in name for name in converting().values()):
        assert process.poll() is None and time.monotonic() < deadline, "the converter never started"
        time.sleep(0.01)
    process.kill()
    process.wait()
    killed = time.monotonic()
    try:
        time.sleep(0.5)
        assert any(str(temporary) in name for name in converting().values())  # nothing stopped it yet
        while any(str(temporary) in name for name in converting().values()):
            assert time.monotonic() - killed < limit + 5 + 5, "the converter ran on after the kill"
            time.sleep(0.1)
    finally:  # a converter left running by a failure here must not outlive the test
        for pid, name in converting().items():
            if str(temporary) in name:
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)


def stopped_while_converting(tmp_path: Path, command: list[str], stop: int) -> tuple[int, str, str]:
    """``command`` (an import of a Word file, with ``tmp_path/tmp`` as its TMPDIR) stopped by
    ``stop`` while LibreOffice, held still, converts: its exit status and output, once
    LibreOffice is gone (else the test fails)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen(as_from_a_shell(command), env=os.environ | {"TMPDIR": str(temporary)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hold_conversion(temporary, process)
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
        conversion_ends(temporary)
    finally:
        process.kill()  # an import that did not end (a failed test) ends here
        end_conversion(temporary)
    return process.returncode, out, err


def hold_conversion(temporary: Path, process: subprocess.Popen) -> None:
    """Wait until LibreOffice runs in a working folder under ``temporary``, then hold it still
    (SIGSTOP to its process group, which the import stops as it is): it refuses a Word file it
    cannot read in about a second, and a signal the test sends later (a slow CI) would no longer
    come while it converts."""
    deadline = time.monotonic() + 60
    while True:
        for pid, name in converting().items():
            if str(temporary) in name:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(int(pid)), signal.SIGSTOP)
                    return
        assert process.poll() is None and time.monotonic() < deadline, "LibreOffice never started"
        time.sleep(0.01)


def conversion_ends(temporary: Path) -> None:
    """LibreOffice, killed by the import, leaves the process table a moment later."""
    gone = time.monotonic() + 5
    while any(str(temporary) in name for name in converting().values()):
        assert time.monotonic() < gone, "LibreOffice outlived the import"
        time.sleep(0.05)


def end_conversion(temporary: Path) -> None:
    """Kill what a failed test left of LibreOffice (held still, it would never end), so that it
    does not outlive the test: its whole process group, with the helpers of its start script."""
    for pid, name in converting().items():
        if str(temporary) in name:
            with contextlib.suppress(OSError):
                group = os.getpgid(int(pid))
                if group != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)


def office_sockets() -> set[str]:
    """The sockets LibreOffice keeps in /tmp for other instances (OSL_PIPE_…) while it runs."""
    return {p.name for p in Path("/tmp").glob("OSL_PIPE_*")}


def converting() -> dict[str, str]:
    """The processes that run in an import's working folder (LibreOffice, converting): their
    command lines by process id."""
    found = {}
    for process in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if process.name.isdigit() and b"plansite-import-" in (line := (process / "cmdline").read_bytes()):
                found[process.name] = os.fsdecode(line)
    return found


NTBT = [
    "壹、計畫依據", "依據財政部函辦理。",
    "肆、執行策略及方法",
    ("table", [
        ["實施要項", "執行策略", "策略細項", "具體作法", "完成期限", "執行單位"],
        ["優質便民服務", "服務流程", "服務流程便捷性", "1. 簡化申辦流程。", "105.12.31", "各單位"],
        [None, None, None, "2. 推動線上申辦。", "隨時辦理", "資訊科"],
        [None, None, "服務流程透明度", "1. 公開案件進度。", "每月辦理", "服務科"],
    ], ["A2:A4", "B2:B4", "C2:C3"]),
    "伍、中程服務計畫項目",
    ("table", [
        ["實施要項", "執行策略", "具體作法", "預定完成期限", "執行單位"],
        ["資訊流通服務", "資訊提供", "1. 建置查詢系統。", "106年12月", "資訊科"],
    ], []),
]


def test_ntbt_shape_three_group_levels_and_a_second_table(tmp_path: Path) -> None:
    document = odt(tmp_path / "ntbt-2016.odt", "財政部臺北國稅局105年度提升服務品質執行計畫", NTBT)
    code, _, err = run_import(tmp_path, document)
    assert (code, err) == (0, "")
    text = draft(tmp_path, "ntbt-2016")
    assert TABLES_NTBT in text
    plan = parsed(text, "ntbt-2016")
    assert actions(plan) == [
        (("優質便民服務", "服務流程", "服務流程便捷性"), "1.", "簡化申辦流程。", "105.12.31", ("各單位",),
         ()),
        (("優質便民服務", "服務流程", "服務流程便捷性"), "2.", "推動線上申辦。", "隨時辦理", ("資訊科",), ()),
        (("優質便民服務", "服務流程", "服務流程透明度"), "1.", "公開案件進度。", "每月辦理", ("服務科",), ()),
        (("資訊流通服務", "資訊提供"), "1.", "建置查詢系統。", "106年12月", ("資訊科",), ()),
    ]
    assert plan.year == 105 and plan.agency.zh == "財政部臺北國稅局"


HSINCHU = [
    "伍、計畫內容",
    ("table", [
        ["評核構面", None, "評核項目", "具體作法", "完成期限", "主/協辦單位"],
        ["壹、個別評核構面", "一、基礎服務",
         ["(一) 服務一致及正確", "1. 申辦業務標準作業流程訂定情形：訂定比率。", "2. 服務資訊透明度：",
          "(1) 資訊公開：主動公開資訊。", "(2) 資料開放：盤點業務資料。"],
         "1.1 編修標準作業手冊。", "依需要辦理", "各科室"],
        [None, None, None, "2.1 更新網站資訊。", "107年6月30日", ["資訊科", "服務科"]],
        [None, None, "(二) 服務友善", "1.1 改善洽公環境。", "隨時辦理", "行政科"],
    ], ["A1:B1", "A2:A4", "B2:B4", "C2:C3"]),
]


def test_hsinchu_shape_group_cells_with_numbered_criteria_become_descriptions(tmp_path: Path) -> None:
    document = odt(tmp_path / "hsinchu-tax-2018.odt", "新竹市稅務局107年度提升服務品質執行計畫", HSINCHU)
    code, _, err = run_import(tmp_path, document)
    assert (code, err) == (0, "")
    text = draft(tmp_path, "hsinchu-tax-2018")
    assert CRITERIA_HSINCHU in text
    plan = parsed(text, "hsinchu-tax-2018")
    assert [(level, label, number) for level, label, number, _, _ in groups(plan)] == [
        (1, "評核構面", "壹、"), (2, "評核構面", "一、"), (3, "評核項目", "(一)"), (3, "評核項目", "(二)")]
    assert groups(plan)[2][4] == ("1. 申辦業務標準作業流程訂定情形：訂定比率。\n2. 服務資訊透明度：\n\n"
                                  "  (1) 資訊公開：主動公開資訊。\n  (2) 資料開放：盤點業務資料。")
    assert [(a[1], a[3], a[4]) for a in actions(plan)] == [
        ("1.1", "依需要辦理", ("各科室",)), ("2.1", "107年6月30日", ("資訊科", "服務科")),
        ("1.1", "隨時辦理", ("行政科",))]


MOF = [
    "壹、依據", "行政院106年1月9日函頒「政府服務躍升方案」。",
    "貳、目標", "一、便捷服務遞送：", "(一)簡化流程。", "(二)整合服務。", "二、擴大社會參與。",
    "參、推動作法", "一、各機關訂定計畫：", "1. 訂定年度計畫。", "2. 按季檢討。", "(1) 填報進度。",
    "二、本部彙整。",
]


def test_mof_shape_numbered_sections_without_a_table(tmp_path: Path) -> None:
    document = odt(tmp_path / "mof-2017.odt", "財政部提升服務實施計畫", MOF)
    code, out, err = run_import(tmp_path, document)
    assert (code, err) == (0, "")
    text = draft(tmp_path, "mof-2017")
    assert "tables:" not in text and "::: actions" not in text
    assert text.endswith(SECTIONS_MOF)
    # no year in the title: the draft asks for it, and the build refuses it at that line
    assert "mof-2017.zh-Hant.md:8: 'year' is not stated in the document" in out
    assert "mof-2017.zh-Hant.md:8: 'year' is empty — write its text after 'year:'" in out
    text = text.replace("year:    # 待填", "year: 106  # 待填").replace("zh:    # 待填", "zh: 財政部  # 待填")
    plan = parsed(text, "mof-2017")
    assert [m.numbered(s.number, m.plain_text(s.title)) for s in plan.sections] == [
        "壹、依據", "貳、目標", "參、推動作法"]


def test_braces_in_a_documents_text_stay_text(tmp_path: Path) -> None:
    """A heading or paragraph of the document that ends like an id ('{#x}') is its text in the
    draft, never an id the build would take off it."""
    body = ["壹、依據 {#basis}", "行政院函頒 {src=abcdef12}。", "貳、目標 {#goals src=x}", "一、便捷服務。"]
    code, _, err = run_import(tmp_path, odt(tmp_path / "mof-2017.odt", "財政部提升服務實施計畫", body))
    assert (code, err) == (0, "")
    text = draft(tmp_path, "mof-2017").replace("year:    # 待填", "year: 106  # 待填")
    plan = parsed(text.replace("zh:    # 待填", "zh: 財政部  # 待填"), "mof-2017")
    assert [(s.id, m.numbered(s.number, m.plain_text(s.title))) for s in plan.sections] == [
        ("s1", "壹、依據 {#basis}"), ("s2", "貳、目標 {#goals src=x}")]
    assert m.blocks_text(plan.sections[0].blocks) == "行政院函頒 {src=abcdef12}。"


KAOHSIUNG = [
    "肆、計畫內容",
    ("table", [
        ["執行要項", None, "執行重點", "執行單位"],
        ["一、完備基礎服務項目", "(一) 建立業務標準作業流程",
         [("bold", "服務資訊公開透明"), "1. 訂定申辦案件SOP，並登載於機關網站。",
          "2. 案件逾期時告知申請人原因。"],
         "菸酒管理科、秘書室"],
        [None, "(二) 提供易讀易懂的服務資訊", ["1. 辦理滿意度調查。", "2. 公告調查結果。"], "秘書室"],
    ], ["A1:B1", "A2:A3"]),
]


def test_kaohsiung_shape_bold_titles_and_a_cell_of_several_numbered_actions(tmp_path: Path) -> None:
    """A 執行重點 cell whose bold title leads numbered points is one action; a cell of 1. and 2.
    alone is two actions, and its one unit cell is shared by both."""
    document = odt(tmp_path / "kaohsiung-finance-2024.odt", "高雄市政府財政局113年度提升服務執行計畫",
                   KAOHSIUNG)
    code, _, err = run_import(tmp_path, document)
    assert (code, err) == (0, "")
    text = draft(tmp_path, "kaohsiung-finance-2024")
    assert "  main:\n    groups: [執行要項, 執行要項]\n    action: 執行重點\n    units: 執行單位\n" in text
    assert ACTIONS_KAOHSIUNG in text


SHARED = [
    "參、具體實施計畫",
    ("table", [
        ["實施要項", "推動作法", "完成期限", "承辦單位"],
        ["一、強化收容管理", "1. 定期檢視收容空間。", "113年12月", "動物保護科"],
        [None, "2. 辦理收容動物健康檢查。", "隨時辦理", None],
        [None, "3. 公告認養資訊。", "每月辦理", None],
        [None, "4. 辦理認養活動。", "113年6月", "教育推廣科"],
        ["二、推廣動物保護", "1. 辦理講座。", "113年12月", "動物保護科"],
        [None, "2. 製作文宣。", None, "企劃科"],
        ["三、跨組分工", "1. 巡查。", "隨時辦理", "稽查科"],
        ["四、末組", "1. 彙整成果。", "113年12月", None],
    ], ["A2:A5", "D2:D4", "A6:A7", "C6:C7", "D8:D9"]),
]
SHARED_MARKDOWN = """\
## 一、強化收容管理

- 1. 定期檢視收容空間。
  完成期限：113年12月

- 2. 辦理收容動物健康檢查。
  完成期限：隨時辦理

- 3. 公告認養資訊。
  完成期限：每月辦理

承辦單位：動物保護科

- 4. 辦理認養活動。
  完成期限：113年6月
  承辦單位：教育推廣科

## 二、推廣動物保護

- 1. 辦理講座。
  承辦單位：動物保護科

- 2. 製作文宣。
  承辦單位：企劃科

完成期限：113年12月

## 三、跨組分工

- 1. 巡查。
  完成期限：隨時辦理
  承辦單位：稽查科

## 四、末組

- 1. 彙整成果。
  完成期限：113年12月
  承辦單位：稽查科
"""


def test_a_unit_cell_spanning_several_actions_becomes_fields_shared_by_the_run(tmp_path: Path) -> None:
    """Row-spanning unit and deadline cells are written once after the run they cover (the
    syntax of issue 20); one that spans two groups cannot be said so, and is written under each
    action and reported."""
    document = odt(tmp_path / "animals-2024.odt", "某市動物保護處113年度提升服務品質執行計畫", SHARED)
    code, out, err = run_import(tmp_path, document)
    assert (code, err) == (0, "")
    text = draft(tmp_path, "animals-2024")
    assert "::: actions main\n\n" + SHARED_MARKDOWN + "\n:::\n" in text
    line = text.split("\n").index("## 三、跨組分工") + 1
    assert (f"animals-2024.zh-Hant.md:{line + 2}: the 承辦單位 cell '稽查科' is shared by actions 7–8 of the "
            "table across a group or another shared cell: written under each of them") in out


def test_shared_fields_read_back_as_each_actions_units(tmp_path: Path) -> None:
    """The draft's shared fields give each action its units and deadline; the plan's own ODT
    (one merged cell per shared field) imports back to the same Markdown."""
    from plansite import render_odt

    document = odt(tmp_path / "animals-2024.odt", "某市動物保護處113年度提升服務品質執行計畫", SHARED)
    run_import(tmp_path, document)
    plan = parsed(draft(tmp_path, "animals-2024"), "animals-2024")
    payload, _ = render_odt.source(plan, PROJECT, load_config(PROJECT), datetime(2024, 1, 1, tzinfo=UTC))
    (tmp_path / "own.odt").write_bytes(render_odt.render_plan_odt(*payload))
    again = import_document(tmp_path / "own.odt", "animals-2024").text
    assert "::: actions main\n\n" + SHARED_MARKDOWN + "\n:::\n" in again
    assert actions(parsed(again, "animals-2024")) == actions(plan)
    assert [(a[1], a[3], a[4]) for a in actions(plan)] == [
        ("1.", "113年12月", ("動物保護科",)), ("2.", "隨時辦理", ("動物保護科",)),
        ("3.", "每月辦理", ("動物保護科",)), ("4.", "113年6月", ("教育推廣科",)),
        ("1.", "113年12月", ("動物保護科",)), ("2.", "113年12月", ("企劃科",)),
        ("1.", "隨時辦理", ("稽查科",)), ("1.", "113年12月", ("稽查科",))]


def saved_as_word(tmp_path: Path, *documents: Path) -> Path:
    """The folder of ``documents`` saved as .docx by LibreOffice (as Word writes them)."""
    word = tmp_path / "word"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "docx", "--outdir", str(word), *map(str, documents)],
                   check=True, capture_output=True, timeout=300, env=dict(os.environ, HOME=str(tmp_path)))
    return word


def test_a_word_document_is_read_through_libreoffice_as_its_odt_is(own_odts: Path, tmp_path: Path) -> None:
    """The Keelung-shaped document and Hsinchu's own ODT saved as .docx by LibreOffice (merged
    cells, styles and lists as Word writes them) import to the same plans as the .odt files."""
    source = odt(tmp_path / "keelung-tax-2024.odt", "基隆市稅務局113年度提升服務品質實施計畫", KEELUNG)
    word = saved_as_word(tmp_path, source, own_odts / "hsinchu-tax-2018.zh-Hant.odt")
    code, _, err = run_import(tmp_path / "from-word", word / "keelung-tax-2024.docx")
    assert (code, err) == (0, "")
    run_import(tmp_path / "from-odt", source)
    from_word = parsed(draft(tmp_path / "from-word", "keelung-tax-2024"), "keelung-tax-2024")
    from_odt = parsed(draft(tmp_path / "from-odt", "keelung-tax-2024"), "keelung-tax-2024")
    assert len(actions(from_word)) == 4
    assert actions(from_word) == actions(from_odt) and groups(from_word) == groups(from_odt)
    assert [m.blocks_text(s.blocks) for s in from_word.sections] == [m.blocks_text(s.blocks)
                                                                     for s in from_odt.sections]
    code, _, err = run_import(tmp_path / "from-word", word / "hsinchu-tax-2018.zh-Hant.docx")
    assert (code, err) == (0, "")
    source = PROJECT / "content" / "plans" / "hsinchu-tax-2018.zh-Hant.md"
    original, _ = read_plan_data(source.read_bytes(), source.name, "original")
    imported = parsed(draft(tmp_path / "from-word", "hsinchu-tax-2018"), "hsinchu-tax-2018")
    assert actions(imported) == actions(original) and groups(imported) == groups(original)


def test_a_content_folder_that_cannot_be_written_is_one_line(own_odts: Path, tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "plans").write_text("a file where the folder should be", "utf-8")
    code, out, err = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt")
    assert (code, out) == (1, "")
    assert err.startswith("content/plans: a part of this path is a file, not a folder — ")


@pytest.mark.parametrize("fault", ["read-only disk", "immutable folder"])
def test_a_plans_folder_that_cannot_be_written_is_named_before_the_conversion(tmp_path: Path, fault) -> None:
    """The folder is named, not the temporary file that could not be made there, with what to
    do for an import; and before LibreOffice converts (a broken Word file: had it been
    converted first, its own error would come)."""
    from .test_publish import immutable, small_disk

    word = tmp_path / "plan.docx"
    not_word(word)
    with small_disk(tmp_path / "disk", "1m") as disk:
        plans = disk / "content" / "plans"
        plans.mkdir(parents=True)
        if fault == "read-only disk":
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            blocked, words = contextlib.nullcontext(), "is on a read-only file system"
        else:
            blocked, words = immutable(plans), "cannot be changed (operation not permitted)"
        with blocked:
            code, out, err = run_import(disk, word)
        assert (code, out) == (1, "")
        assert err == (f"content/plans/: {words} — make it writable (ls -ld shows its owner and mode; "
                       "lsattr -d shows chattr +i), then import again\n")
        assert list(plans.iterdir()) == []


def test_a_link_where_the_plan_file_goes_is_the_users_file(own_odts: Path, tmp_path: Path) -> None:
    """A symbolic link at the plan file's path, even one leading nowhere, is a file that exists:
    never replaced without --force; with it, the link is replaced (what it leads to is left as
    it is) and every line names the plan file, not where the link led."""
    plans = tmp_path / "content" / "plans"
    plans.mkdir(parents=True)
    target = plans / "mof-2017.zh-Hant.md"
    target.symlink_to(tmp_path / "nowhere.md")
    code, out, err = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt")
    assert (code, out) == (1, "")
    assert err.startswith("content/plans/mof-2017.zh-Hant.md: exists already — ")
    assert target.is_symlink() and not (tmp_path / "nowhere.md").exists()
    (tmp_path / "outside.md").write_text("mine", "utf-8")
    target.unlink()
    target.symlink_to(tmp_path / "outside.md")
    code, out, err = run_import(tmp_path, own_odts / "mof-2017.zh-Hant.odt", "--force")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].startswith("Wrote content/plans/mof-2017.zh-Hant.md: ")
    assert all(line.startswith(("content/plans/mof-2017.zh-Hant.md", "Wrote ")) for line in out.splitlines())
    assert not target.is_symlink() and target.read_text("utf-8").startswith("---\nid: mof-2017\n")
    assert (tmp_path / "outside.md").read_text("utf-8") == "mine"


def test_a_spreadsheet_or_a_broken_package_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    monkeypatch.chdir(tmp_path)
    Document("spreadsheet").save(tmp_path / "sheet.odt")
    with zipfile.ZipFile(tmp_path / "broken.odt", "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", "<office:document-content")
    sheet = ("sheet.odt: is not a text document (application/vnd.oasis.opendocument.spreadsheet) — import "
             "the plan's text document (.odt or .docx), not a spreadsheet or presentation\n")
    assert run_import(tmp_path / "project", Path("sheet.odt")) == (1, "", sheet)
    broken = ("broken.odt: cannot be read as an ODF document (XMLSyntaxError) — open it in LibreOffice and "
              "save it as .odt, then import that\n")
    assert run_import(tmp_path / "project", Path("broken.odt")) == (1, "", broken)
    assert not (tmp_path / "project").exists()


def test_numbers_the_word_processor_generates_are_written_and_reported(tmp_path: Path) -> None:
    """Headings and lists numbered by their list style (as Word numbers them) carry no number in
    their text: the list is written 1. 2. 3., and both are reported at their lines."""
    from odfdo import Element, List, ListItem

    doc = Document("text")
    doc.body.clear()
    doc.insert_style(Element.from_tag(
        '<text:list-style style:name="Numbers"><text:list-level-style-number text:level="1" '
        'style:num-format="1" style:num-suffix="."/></text:list-style>'), automatic=True)
    doc.body.append(Paragraph("財政部113年度提升服務實施計畫"))
    outline = List(style="Numbers")
    heading = ListItem()
    heading.append(Header(1, "計畫依據"))
    outline.append(heading)
    doc.body.append(outline)
    points = List(style="Numbers")
    for text in ("訂定年度計畫。", "按季檢討。"):
        item = ListItem()
        item.append(Paragraph(text))
        points.append(item)
    doc.body.append(points)
    doc.save(tmp_path / "mof-2024.odt")
    code, out, _ = run_import(tmp_path, tmp_path / "mof-2024.odt")
    text = draft(tmp_path, "mof-2024")
    assert code == 0 and text.endswith("# 計畫依據\n\n1. 訂定年度計畫。\n2. 按季檢討。\n")
    lines = text.split("\n")
    heading_line, list_line = lines.index("# 計畫依據") + 1, lines.index("1. 訂定年度計畫。") + 1
    assert (f"mof-2024.zh-Hant.md:{heading_line}: the document numbers this heading itself (the number is "
            "not in its text): write it as printed, e.g. # 壹、計畫依據") in out
    assert f"mof-2024.zh-Hant.md:{list_line}: the document numbers this list itself" in out
    sections = parsed(text, "mof-2024").sections
    assert [m.blocks_text(s.blocks) for s in sections] == ["1. 訂定年度計畫。\n2. 按季檢討。"]


def test_a_number_column_and_a_header_typed_again_mid_table(tmp_path: Path) -> None:
    document = odt(tmp_path / "taichung-2024.odt", "臺中市政府地方稅務局113年度提升服務品質執行計畫", [
        "壹、執行項目",
        ("table", [
            ["項次", "推動作法", "完成期限", "承辦單位", "備註"],
            ["1", "設置服務台。", "隨時辦理", "服務科", ""],
            ["項次", "推動作法", "完成期限", "承辦單位", "備註"],
            ["2", "辦理教育訓練。", "", "人事室", "每年二次"],
        ], []),
    ])
    code, out, _ = run_import(tmp_path, document)
    text = draft(tmp_path, "taichung-2024")
    assert code == 0 and ("    groups: []\n    action: 推動作法\n    deadline: 完成期限\n"
                          "    units: 承辦單位\n    fields: [備註]\n") in text
    assert text.endswith("- 1. 設置服務台。\n  完成期限：隨時辦理\n  承辦單位：服務科\n\n"
                         "- 2. 辦理教育訓練。\n  完成期限：〔編註：原文此格空白〕\n  承辦單位：人事室\n"
                         "  備註：每年二次\n\n:::\n")
    line = text.split("\n").index("  完成期限：〔編註：原文此格空白〕") + 1
    assert f"taichung-2024.zh-Hant.md:{line}: an empty 完成期限 cell: fill it in, or keep the note" in out
    assert [(a[1], a[3], a[5]) for a in actions(parsed(text, "taichung-2024"))] == [
        ("1.", "隨時辦理", ()), ("2.", "〔編註：原文此格空白〕", (("備註", "每年二次"),))]


def test_an_action_cell_over_two_rows_keeps_the_second_rows_cells_as_notes(tmp_path: Path) -> None:
    """One action printed over two deadline rows cannot have two deadlines: the second is kept,
    visibly, in the action's text and reported, never dropped."""
    document = odt(tmp_path / "yilan-2024.odt", "宜蘭縣政府財政稅務局113年度提升服務品質執行計畫", [
        "壹、執行項目",
        ("table", [
            ["推動作法", "完成期限", "承辦單位"],
            ["1. 辦理稅務講習。", "113年6月", "服務科"],
            [None, "113年12月", "服務科"],
        ], ["A2:A3"]),
    ])
    code, out, _ = run_import(tmp_path, document)
    text = draft(tmp_path, "yilan-2024")
    assert code == 0 and text.endswith(
        "- 1. 辦理稅務講習。\n\n  〔編註：原文此列另有「完成期限」：113年12月〕\n\n"
        "  〔編註：原文此列另有「承辦單位」：服務科〕\n  完成期限：113年6月\n  承辦單位：服務科\n\n:::\n")
    line = text.split("\n").index("- 1. 辦理稅務講習。") + 1
    assert f"yilan-2024.zh-Hant.md:{line}: row 3 of the table has no 推動作法 of its own" in out
    parsed(text, "yilan-2024")


def test_text_between_tables_is_kept_and_reported(tmp_path: Path) -> None:
    """Flat tables under group headings (as plansite prints a plan) with a note typed after one of
    them: the note cannot stay between two runs of actions, so it moves, visibly, to the next
    group's description."""
    document = odt(tmp_path / "tainan-2024.odt", "臺南市政府稅務局113年度提升服務品質執行計畫", [
        (1, "壹、執行項目"),
        (2, "一、便民服務"),
        ("table", [["推動作法", "承辦單位"], ["1. 設置服務台。", "服務科"]], []),
        "註：服務台設於一樓。",
        (2, "二、資訊公開"),
        ("table", [["推動作法", "承辦單位"], ["1. 更新網站。", "資訊科"]], []),
    ])
    code, out, _ = run_import(tmp_path, document)
    text = draft(tmp_path, "tainan-2024")
    moved = "〔編註：原文此段在前一表格之後：〕註：服務台設於一樓。"
    assert code == 0 and f"## 二、資訊公開\n\n{moved}\n\n- 1. 更新網站。\n" in text
    line = text.split("\n").index(moved) + 1
    assert f"tainan-2024.zh-Hant.md:{line}: text that stood between two parts of the action table" in out
    # the document names no group column: the label is asked for, and the build refuses it empty
    assert "\n    groups: [\"\"]    # 待填 to fill: each group level's column label\n" in text
    assert "tainan-2024.zh-Hant.md:13: a group level's column label is not in the document: write it" in out
    assert "tainan-2024.zh-Hant.md:13: 'tables.main.groups[1]' is empty — write its text in the list" in out


def test_hidden_text_is_not_imported(tmp_path: Path) -> None:
    """Text a style hides (text:display="none", as Word's hidden text converts) is not printed."""
    doc = Document("text")
    doc.body.clear()
    doc.insert_style(Style("text", name="Hidden", area="text", **{"text:display": "none"}), automatic=True)
    doc.body.append(Paragraph("財政部113年度提升服務實施計畫"))
    heading = Header(1, "一、")
    heading.append(Span("本部為提升服務品質…", style="Hidden"))
    doc.body.append(heading)
    doc.body.append(Paragraph("本部為提升服務品質，特訂定本計畫。"))
    doc.save(tmp_path / "mof-2024.odt")
    run_import(tmp_path, tmp_path / "mof-2024.odt")
    assert draft(tmp_path, "mof-2024").endswith("\n# 一、\n\n本部為提升服務品質，特訂定本計畫。\n")


def test_a_regulations_own_odt_gives_back_its_standing_year_amendments_and_period(tmp_path: Path) -> None:
    """The metadata lines the ODT prints (年度：不分年度, 修正日期, 執行期程) become the keys
    they came from, not comments the author must move."""
    from plansite import render_odt

    from .test_format_doc import regulation

    source = tmp_path / "example-rules.zh-Hant.md"
    source.write_text(regulation(), encoding="utf-8")
    original, problems = read_plan_data(source.read_bytes(), source.name, "original")
    assert problems == []
    payload, _ = render_odt.source(original, PROJECT, load_config(PROJECT), datetime(2024, 1, 1, tzinfo=UTC))
    document = tmp_path / "rules.odt"
    document.write_bytes(render_odt.render_plan_odt(*payload))
    project = tmp_path / "project"
    code, _, err = run_import(project, document, "--id", "example-rules")
    assert (code, err) == (0, "")
    text = draft(project, "example-rules")
    front = text.split("\n---\n", 1)[0]
    assert not [line for line in front.splitlines() if line.startswith("# 原文") and "圖片" not in line]
    imported = parsed(text, "example-rules")
    assert (imported.standing, imported.amended, imported.period) == (True, original.amended, original.period)


def test_what_the_document_says_unclearly_is_reported_never_dropped_or_copied(tmp_path: Path) -> None:
    """Found by attacking the importer: a deadline cell merged across the units column gave the
    action a unit named 依需要辦理; an unreadable 發布日期 or 年度 line vanished; a heading's second
    line was lost. Each is now kept visibly and reported (or read, for 「日期 字號」)."""
    from odfdo import Element

    heading = Header(1, "參、實施")
    heading.append(Element.from_tag("<text:line-break/>"))
    heading.append("（含附表）")
    document = odt(tmp_path / "rules.odt", "範例局113年度提升服務品質執行計畫", [
        "年度：114", "發布日期：113年1月5日 府授字第1130000001號", "執行期程：116年1月至113年12月",
        (1, "壹、計畫依據"), "依據某方案辦理。",
        ("table", [["實施要項", "推動作法", "完成期限", "承辦單位"],
                   ["一、強化收容管理", "1. 定期檢視收容空間。", "依需要辦理", None]], ["C2:D2"])])
    doc = Document(str(document))
    doc.body.append(heading)
    doc.body.append(Paragraph("附表如後。"))
    doc.save(document)
    code, out, err = run_import(tmp_path, document, "--id", "rules")
    assert (code, err) == (0, "")
    text = draft(tmp_path, "rules")
    front = text.split("\n---\n", 1)[0]
    assert "year: 114" in front and "issued: 113年1月5日" in front  # the line 年度 over the title, reported
    assert "issued_ref: 府授字第1130000001號" in front
    assert "# 原文 執行期程：116年1月至113年12月" in front
    assert "  承辦單位：〔編註：原文此格與「完成期限」欄合併〕" in text and "承辦單位：依需要辦理" not in text
    assert "# 參、實施（含附表）" in text
    assert "the title says 113年度 but the line 年度 says 114: check the year" in out
    assert "the 承辦單位 cell is merged with the 完成期限 cell beside it" in out
    assert "the period (執行期程) could not be read" in out


def test_an_import_whose_output_is_no_longer_read_ends_without_a_traceback(tmp_path: Path) -> None:
    """``build.py import … | head -c1``: what reads the report stops, as with any command line tool;
    the draft is written, and no traceback follows."""
    document = odt(tmp_path / "plan.odt", "基隆市稅務局113年度提升服務品質實施計畫", [(1, "壹、依據")])
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(tmp_path / "project"),
               "import", str(document)]
    reading, writing = os.pipe()
    os.close(reading)  # nothing will read what it prints
    try:
        done = subprocess.run(command, stdout=writing, stderr=subprocess.PIPE, text=True, timeout=60,
                              check=False)
    finally:
        os.close(writing)
    assert (done.returncode, done.stderr) == (1, "")
    assert (tmp_path / "project" / "content" / "plans" / "plan.zh-Hant.md").is_file()


def filled(disk: Path, free: int) -> None:
    """Fill ``disk`` until ``free`` bytes are left."""
    stats = os.statvfs(disk)
    with open(disk / "filler", "wb") as file:
        file.write(bytes(stats.f_bavail * stats.f_frsize - free))


def test_a_full_disk_as_the_draft_is_written_names_the_plans_folder(own_odts: Path, tmp_path: Path) -> None:
    """The disk fills up while the draft is written: one line naming the plans' folder (not
    "plansite", as the error names no file), saying to import again, and nothing left there."""
    from .test_publish import small_disk

    with small_disk(tmp_path / "disk", "1m") as disk:
        plans = disk / "content" / "plans"
        plans.mkdir(parents=True)
        filled(disk, 4096)
        code, out, err = run_import(disk, own_odts / "hsinchu-tax-2018.zh-Hant.odt")
        assert (code, out) == (1, "")
        assert err == ("content/plans/: the disk is full — free some space on it (df -h shows how much is "
                       "left), then import again\n")
        assert list(plans.iterdir()) == []


@pytest.mark.parametrize(("free", "words"), [(8 * 1024, "the disk is full"),
                                             (400 * 1024, "has too little free space for LibreOffice")])
def test_a_full_temporary_folder_is_named_not_blamed_on_the_document(own_odts: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    free: int, words: str) -> None:
    """TMPDIR's disk is full as a Word document is copied there (8 kB free), or as LibreOffice
    converts it (400 kB: LibreOffice fails and says nothing): one line naming TMPDIR, with what
    to do, never "is it a Word document?"; the working folder is gone and no draft is written."""
    import tempfile

    from .test_publish import small_disk

    word = saved_as_word(tmp_path, own_odts / "mof-2017.zh-Hant.odt")
    with small_disk(tmp_path / "disk", "4m") as disk:
        filled(disk, free)
        monkeypatch.setattr(tempfile, "tempdir", str(disk))
        code, out, err = run_import(tmp_path / "project", word / "mof-2017.zh-Hant.docx")
        assert (code, out) == (1, "")
        assert err.startswith(f"{disk}/: {words}") and err.endswith(
            "— free some space on it (df -h shows how much is left), or set TMPDIR to a folder on another "
            "disk, then import again\n"), err
        assert os.listdir(disk) == ["filler"]
    assert not (tmp_path / "project" / "content" / "plans").exists() or not list(
        (tmp_path / "project" / "content" / "plans").iterdir())


def test_no_folder_for_temporary_files_is_one_line(own_odts: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """When every folder Python would keep temporary files in is full (here the one it is
    given, a full disk), the import says so in one line, not with a traceback."""
    import tempfile

    from .test_publish import small_disk

    with small_disk(tmp_path / "disk", "1m") as disk:
        filled(disk, 0)
        monkeypatch.setenv("TMPDIR", str(disk))
        monkeypatch.setattr(tempfile, "tempdir", None)
        monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [str(disk)])
        code, out, err = run_import(tmp_path / "project", own_odts / "mof-2017.zh-Hant.odt")
        assert (code, out) == (1, "")
        assert err == (f"{disk}/: is full or may not be written, and so are /tmp, /var/tmp and the current "
                       "folder — free some space on it (df -h shows how much is left), or set TMPDIR to a "
                       "folder on another disk, then import again\n"), err


@pytest.mark.parametrize("start", [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf1", b"<html>"])
def test_a_word_document_named_docx_but_of_another_kind_is_given_to_libreoffice(tmp_path: Path,
                                                                              start: bytes) -> None:
    """A Word 97 document, RTF or a web page named .docx is not refused for not being a ZIP
    package: LibreOffice reads those whatever their name (it makes a draft of some of these
    broken ones, and refuses the others)."""
    word = tmp_path / "plan.docx"
    word.write_bytes(start + b" broken")
    code, _, err = run_import(tmp_path / "project", word)
    assert "is not a Word document" not in err
    assert code == 0 or err.startswith(f"{word}: LibreOffice could not convert it to ODT"), err

