"""Attachments (附件, 附表): files a plan attaches and sections written as tables, listed with
format and size on both pages, copied into the site, listed in the ODT and the PDF (which stay
valid), made again when a file changes; every bad attachment refused at its line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pikepdf
import pytest
from lxml import etree

from plansite.errors import ContentError
from plansite.render_html import file_size
from plansite.serve import Preview
from plansite.site import build
from plansite.sources import load

from .attached import EN_FILE, FOLDER, PLAN, ZH_FILE, attached_project, pdf_bytes, png_bytes
from .conftest import PROJECT

SCHEMAS = Path(__file__).parent / "schemas" / "odf-1.2"
FILES = ("application-form.pdf", "schedule.ods", "service-flow.png")


def page(site: Path, english: bool) -> str:
    return (site / ("en/" if english else "") / "plans" / PLAN / "index.html").read_text(encoding="utf-8")


def attachment_section(html: str) -> str:
    return html[html.index('<section class="ps-section ps-attachments"'):html.index("</article>")]


def test_a_plan_lists_its_attachments_with_format_and_size_in_both_languages(tmp_path: Path) -> None:
    project = attached_project(tmp_path / "project", [])
    site = project / "site"
    build(project, site, downloads=False)
    for name in FILES:  # copied as they are, under their own names
        assert (site / "downloads" / PLAN / name).read_bytes() == (project / FOLDER / name).read_bytes()
    sizes = {name: file_size((project / FOLDER / name).stat().st_size, "") for name in FILES}
    chinese = attachment_section(page(site, english=False))
    assert '<h2 id="attachments" class="ps-section__title">附件</h2>' in chinese
    assert (f'<a href="../../downloads/{PLAN}/application-form.pdf" title="附件一 服務申請表（PDF 文件，'
            f'{sizes["application-form.pdf"]}）" type="application/pdf">') in chinese
    assert f"（ODF 試算表，{sizes['schedule.ods']}）" in chinese
    assert (f'<img class="ps-attachments__image" src="../../downloads/{PLAN}/service-flow.png" '
            'alt="民眾由服務台取號、臨櫃辦理到完成的流程圖">') in chinese
    assert '<a href="#intake" title="附表一 收件期程（本計畫內之附表）">' in chinese
    assert "hreflang" not in chinese
    english_page = page(site, english=True)
    english = attachment_section(english_page)
    assert '<a href="#attachments" title="Attachments">Attachments</a>' in english_page  # in the contents
    assert 'id="intake"' in english_page  # the table attachment is a section of the page
    assert (f'<a href="../../../downloads/{PLAN}/application-form.pdf" title="Annex 1 Service application '
            f'form (PDF document, {sizes["application-form.pdf"]}, in Chinese)" type="application/pdf" '
            'hreflang="zh-Hant-TW">') in english
    assert 'alt="Flow chart from taking a number at the service desk to finishing at the counter"' in english
    assert english.count('hreflang="zh-Hant-TW"') == 3  # the English edition reuses the Chinese files
    catalogue = json.loads((site / "data" / "plans.json").read_text(encoding="utf-8"))
    listed = next(p for p in catalogue["plans"] if p["id"] == PLAN)["attachments"]
    assert [a["url"].rpartition("/")[2] for a in listed["zh-Hant"]] == [*FILES, "#intake"]
    assert listed["en"][0] == {"title": "Annex 1 Service application form", "lang": "zh-Hant-TW",
                               "media_type": "application/pdf", "size": len(pdf_bytes()),
                               "url": f"https://plans.example.org/downloads/{PLAN}/application-form.pdf"}
    assert listed["en"][2]["alt"] == ("Flow chart from taking a number at the service desk to finishing "
                                      "at the counter")
    schema = jsonschema.Draft202012Validator(json.loads((site / "data" / "plan.schema.json").read_bytes()))
    for tag in ("zh-Hant", "en"):  # the plan's own data lists them as the catalogue does, and is valid
        data = json.loads((site / "data" / "plans" / f"{PLAN}.{tag}.json").read_bytes())
        assert data["attachments"] == listed[tag]
        assert list(schema.iter_errors(data)) == []


def test_an_english_edition_may_attach_its_own_file(tmp_path: Path) -> None:
    project = attached_project(tmp_path / "project", [])
    (project / FOLDER / "application-form-en.pdf").write_bytes(pdf_bytes(2))
    text = (project / EN_FILE).read_text(encoding="utf-8")
    (project / EN_FILE).write_text(text.replace("form\n", "form\n    file: application-form-en.pdf\n", 1),
                                   encoding="utf-8")
    build(project, project / "site", downloads=False)
    english = attachment_section(page(project / "site", english=True))
    assert f'href="../../../downloads/{PLAN}/application-form-en.pdf"' in english
    assert english.count('hreflang="zh-Hant-TW"') == 2
    assert (project / "site" / "downloads" / PLAN / "application-form-en.pdf").read_bytes() == pdf_bytes(2)


def test_the_odt_and_pdf_list_the_attachments_and_stay_valid(tmp_path: Path) -> None:
    from page import validate_pdf

    project = attached_project(tmp_path / "project", [])
    site = project / "site"
    build(project, site)
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "OpenDocument-v1.2-os-schema.rng")))
    for tag, lines in (("zh-Hant", ["附件一 服務申請表（PDF 文件，1\u00a0KB）",
                                    "附表一 收件期程（本計畫內之附表）"]),
                       ("en", ["Annex 3 Service flow chart (PNG image, 1\u00a0KB, in Chinese)",
                               "Schedule 1 Intake periods (a table in this plan)"])):
        odt = site / "downloads" / f"{PLAN}.{tag}.odt"
        content = etree.fromstring(zipfile.ZipFile(odt).read("content.xml"))
        assert schema.validate(content), schema.error_log.last_error
        links = {"".join(a.itertext()): a.get("{http://www.w3.org/1999/xlink}href")
                 for a in content.iter("{urn:oasis:names:tc:opendocument:xmlns:text:1.0}a")}
        assert links[lines[0]].startswith(f"https://plans.example.org/downloads/{PLAN}/")
        assert links[lines[1]] == "#intake"
        pdf = site / "downloads" / f"{PLAN}.{tag}.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        for line in lines:
            assert squeeze(line) in squeeze(text)
        assert ("受理書面申請" if tag == "zh-Hant" else "Receive written applications") in text  # the table
        with pikepdf.open(pdf) as document:
            uris = {str(a.A.URI) for p in document.pages for a in p.get("/Annots", [])
                    if "/A" in a and "/URI" in a.A}
        assert f"https://plans.example.org/downloads/{PLAN}/schedule.ods" in uris
        report = validate_pdf(str(pdf), profile="ua1")
        assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures][:5]
        result = subprocess.run([str(Path(sys.executable).parent / "pdfua"), "check", "--format", "json",
                                 str(pdf)], capture_output=True, text=True, timeout=600, check=False)
        assert json.loads(result.stdout)["findings"] == []
    bigger = png_bytes("x" * 2000)  # the file alone changes: both documents state its new size
    (project / FOLDER / "service-flow.png").write_bytes(bigger)
    build(project, site)
    said = f"附件三 服務流程圖（PNG 圖片，{file_size(len(bigger), '')}）"
    text = subprocess.run(["pdftotext", str(site / "downloads" / f"{PLAN}.zh-Hant.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert squeeze(said) in squeeze(text)
    content = zipfile.ZipFile(site / "downloads" / f"{PLAN}.zh-Hant.odt").read("content.xml").decode()
    assert said in content


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def broken(project: Path, path: Path, old: str, new: str) -> None:
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(project: Path, path: Path, text: str) -> int:
    return next(n for n, line in enumerate((project / path).read_text(encoding="utf-8").splitlines(), 1)
                if text in line)


def no_alt(project: Path) -> tuple[Path, str]:
    broken(project, ZH_FILE, "    alt: 民眾由服務台取號、臨櫃辦理到完成的流程圖\n", "")
    return ZH_FILE, "  - title: 附件三 服務流程圖"


def no_english_alt(project: Path) -> tuple[Path, str]:
    alt = "    alt: Flow chart from taking a number at the service desk to finishing at the counter\n"
    broken(project, EN_FILE, alt, "")
    return EN_FILE, "  - title: Annex 3 Service flow chart"


def missing_file(project: Path) -> tuple[Path, str]:
    (project / FOLDER / "schedule.ods").unlink()
    return ZH_FILE, "  - title: 附件二 年度工作進度表"


def not_a_pdf(project: Path) -> tuple[Path, str]:
    (project / FOLDER / "application-form.pdf").write_bytes(png_bytes())
    return ZH_FILE, "  - title: 附件一 服務申請表"


def odt_named_ods(project: Path) -> tuple[Path, str]:
    letter = PROJECT / "tests" / "fixtures" / "attachments" / "letter.odt"
    shutil.copy(letter, project / FOLDER / "schedule.ods")
    return ZH_FILE, "  - title: 附件二 年度工作進度表"


def word_file(project: Path) -> tuple[Path, str]:
    broken(project, ZH_FILE, "file: schedule.ods", "file: schedule.docx")
    return ZH_FILE, "  - title: 附件二 年度工作進度表"


def parent_folder(project: Path) -> tuple[Path, str]:
    broken(project, ZH_FILE, "file: schedule.ods", "file: ../../site.yml")
    return ZH_FILE, "file: ../../site.yml"


def absolute_path(project: Path) -> tuple[Path, str]:
    broken(project, ZH_FILE, "file: schedule.ods", "file: /etc/passwd")
    return ZH_FILE, "file: /etc/passwd"


def link_out(project: Path) -> tuple[Path, str]:
    outside = project.parent / "secret.pdf"
    outside.write_bytes(pdf_bytes())
    (project / FOLDER / "application-form.pdf").unlink()
    (project / FOLDER / "application-form.pdf").symlink_to(outside)
    return ZH_FILE, "  - title: 附件一 服務申請表"


def folder_linked_out(project: Path) -> tuple[Path, str]:
    outside = project.parent / "elsewhere"
    shutil.move(project / FOLDER, outside)
    (project / FOLDER).symlink_to(outside)
    return ZH_FILE, "  - title: 附件一 服務申請表"


def too_big(project: Path) -> tuple[Path, str]:
    with (project / FOLDER / "application-form.pdf").open("r+b") as file:
        file.truncate(21_000_000)  # sparse: costs no disk
    return ZH_FILE, "  - title: 附件一 服務申請表"


def no_such_section(project: Path) -> tuple[Path, str]:
    broken(project, ZH_FILE, "section: intake", "section: intkae")
    return ZH_FILE, "  - title: 附表一 收件期程"


def fewer_english_entries(project: Path) -> tuple[Path, str]:
    broken(project, EN_FILE, "  - title: Schedule 1 Intake periods\n", "")
    return EN_FILE, "  - title: Annex 1"


ERRORS = {
    no_alt: "the attachment 'service-flow.png' is an image and has no 'alt' text — add 'alt: …'",
    no_english_alt: "the attachment 'service-flow.png' is an image and its English entry has no 'alt' text",
    missing_file: f"the attachment '{FOLDER.as_posix()}/schedule.ods' does not exist — put the file in "
                  f"{FOLDER.as_posix()}/, or correct 'file'",
    not_a_pdf: "is named as PDF document, but its content is of another kind (PNG image) — save it again as "
               "PDF document, or name it 'application-form.png'",
    odt_named_ods: "is named as ODF spreadsheet, but its content is of another kind (ODF text document)",
    word_file: "the attachment 'schedule.docx' is not of a kind a plan may attach — attach it as one of "
               ".pdf, .odt, .ods, .png, .jpg, .jpeg",
    parent_folder: "the attachment's file name '../../site.yml' is not a plain ASCII file name",
    absolute_path: "the attachment's file name '/etc/passwd' is not a plain ASCII file name",
    link_out: f"the attachment '{FOLDER.as_posix()}/application-form.pdf' is a link to a file outside "
              f"{FOLDER.as_posix()}/",
    folder_linked_out: f"the attachment '{FOLDER.as_posix()}/application-form.pdf' is a link to a file "
                       f"outside {FOLDER.as_posix()}/",
    too_big: "is 21.0 MB; an attachment may be at most 20 MB",
    no_such_section: "the attachment names the section 'intkae', which the plan does not have",
    fewer_english_entries: "'attachments' has 3 entries, the Chinese 4",
}


@pytest.mark.parametrize("mistake", list(ERRORS), ids=lambda f: f.__name__)
def test_a_bad_attachment_is_an_error_at_its_line(tmp_path: Path, mistake) -> None:
    project = attached_project(tmp_path / "project", [])
    path, at = mistake(project)
    with pytest.raises(ContentError) as raised:
        load(project)
    said = [str(p) for p in raised.value.problems]
    files = 3 if mistake is folder_linked_out else 1  # a folder linked out: each of its three files
    where = f"{path.as_posix()}:{line_of(project, path, at)}: "
    assert len(said) == files and said[0].startswith(where), said
    assert ERRORS[mistake] in said[0]


def test_a_bad_attachment_fails_the_build_without_a_traceback_and_leaves_the_site(tmp_path: Path) -> None:
    project = attached_project(tmp_path / "project", [])
    command = [sys.executable, str(PROJECT / "build.py"), "--project", str(project), "--no-downloads"]
    assert subprocess.run(command, capture_output=True, check=False, timeout=300).returncode == 0
    before = {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    (project / FOLDER / "service-flow.png").write_bytes(b"GIF89a")
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{ZH_FILE.as_posix()}:" in done.stderr
    assert "PNG image, but its content is of no kind" in done.stderr
    assert {p: p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()} == before


def test_the_preview_copies_and_lists_an_edited_attachment_as_a_clean_build(tmp_path: Path) -> None:
    """An attachment is an input of its plan's pages: a save of the file alone (the plan file
    untouched) copies it again and states its new size, as a clean build does."""
    from .test_engine import assert_same_as_a_clean_build, settle

    project = attached_project(tmp_path / "project", [])
    os.environ["PLANSITE_CACHE"] = str(tmp_path / "cache")
    try:
        preview = Preview(project, project / "site", downloads=False)
        preview.start()
        bigger = png_bytes("a longer text makes a bigger QR code picture " * 8)
        (project / FOLDER / "service-flow.png").write_bytes(bigger)
        settle(preview, project, {FOLDER / "service-flow.png"})
        assert (project / "site" / "downloads" / PLAN / "service-flow.png").read_bytes() == bigger
        assert f"（PNG 圖片，{file_size(len(bigger), '')}）" in page(project / "site", english=False)
        assert_same_as_a_clean_build(preview, project, tmp_path / "clean", downloads=False)
        (project / FOLDER / "service-flow.png").unlink()  # gone: the error, then back
        settle(preview, project, {FOLDER / "service-flow.png"})
        assert any("service-flow.png' does not exist" in str(p) for p in preview.problems)
        (project / FOLDER / "service-flow.png").write_bytes(png_bytes())
        settle(preview, project, {FOLDER / "service-flow.png"})
        assert_same_as_a_clean_build(preview, project, tmp_path / "clean-2", downloads=False)
    finally:
        del os.environ["PLANSITE_CACHE"]
