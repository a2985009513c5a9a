"""The downloads: strict ODF 1.2 opened by LibreOffice, tagged PDF/UA-1 read with pikepdf and
poppler, the same headings and actions as the web page, and byte-identical rebuilds of the whole site."""

from __future__ import annotations

import functools
import io
import itertools
import json
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pikepdf
import pytest
from lxml import etree, html

from plansite import model as m
from plansite.render_odt import CJK_FONT
from plansite.render_pdf import structure
from plansite.site import build
from plansite.sources import load

from .conftest import PROJECT, copy_project

SCHEMAS = Path(__file__).parent / "schemas" / "odf-1.2"
ODF = "urn:oasis:names:tc:opendocument:xmlns:"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("documents") / "project")
    build(project, project / "site")
    editions = load(project).editions
    plans = [plan for e in editions for plan in (e.zh, e.en) if plan]
    return project / "site", plans


def document(site: Path, plan: m.Plan, kind: str) -> Path:
    return site / "downloads" / f"{plan.id}.{'en' if plan.lang == 'en' else 'zh-Hant'}.{kind}"


def squeeze(text: str) -> str:
    """Text without white space, for comparing across formats that wrap lines differently."""
    return re.sub(r"\s+", "", text)


def headings(plan: m.Plan) -> list[str]:
    """Each heading as the documents give its text: a point numbered without a title carries
    its opening words (hidden from the eye, there for the outline and bookmarks)."""
    return [m.heading_label(i) if isinstance(i, m.Section) else m.numbered(i.number, m.plain_text(i.title))
            for i in m.items(plan) if not isinstance(i, m.Action)]


def action_texts(plan: m.Plan) -> list[str]:
    return [m.blocks_text(action.body) for _, action in plan.actions()]


def test_every_plan_has_both_documents_in_both_languages(built) -> None:
    site, plans = built
    assert len(plans) == 10
    for plan in plans:
        assert document(site, plan, "odt").stat().st_size > 5000
        assert document(site, plan, "pdf").stat().st_size > 50000


# ---------------------------------------------------------------- ODF


def test_odt_package_is_strict_odf_1_2(built) -> None:
    site, plans = built
    schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "OpenDocument-v1.2-os-schema.rng")))
    manifest_schema = etree.RelaxNG(etree.parse(str(SCHEMAS / "OpenDocument-v1.2-os-manifest-schema.rng")))
    for plan in plans:
        package = zipfile.ZipFile(document(site, plan, "odt"))
        first = package.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert package.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert sorted(package.namelist()) == sorted(
            ["mimetype", "content.xml", "styles.xml", "meta.xml", "Pictures/qr.png", "META-INF/manifest.xml"])
        for part in ("content.xml", "styles.xml", "meta.xml"):
            root = etree.fromstring(package.read(part))
            assert root.get(f"{{{ODF}office:1.0}}version") == "1.2", part
            assert schema.validate(root), f"{plan.id} {plan.lang} {part}: {schema.error_log.last_error}"
            assert not [e for e in root.iter() if isinstance(e.tag, str) and "loext" in e.tag]
        manifest = etree.fromstring(package.read("META-INF/manifest.xml"))
        assert manifest_schema.validate(manifest), manifest_schema.error_log.last_error
        assert manifest.get(f"{{{ODF}manifest:1.0}}version") == "1.2"
        listed = {e.get(f"{{{ODF}manifest:1.0}}full-path") for e in manifest}
        assert listed == {"/", "content.xml", "styles.xml", "meta.xml", "Pictures/qr.png"}


def odt_xml(path: Path, part: str):
    return etree.fromstring(zipfile.ZipFile(path).read(part))


def test_odt_has_outline_headings_header_rows_languages_and_metadata(built) -> None:
    site, plans = built
    for plan in plans:
        path = document(site, plan, "odt")
        content = odt_xml(path, "content.xml")
        found = [(int(h.get(f"{{{ODF}text:1.0}}outline-level")), "".join(h.itertext()))
                 for h in content.iter(f"{{{ODF}text:1.0}}h")]
        assert [squeeze(text) for _, text in found] == [squeeze(h) for h in headings(plan)]
        assert all(level >= 1 for level, _ in found)
        # each heading names its Heading style: only LibreOffice styles an unstyled one by its level
        assert [h.get(f"{{{ODF}text:1.0}}style-name") for h in content.iter(f"{{{ODF}text:1.0}}h")] == [
            f"Heading_20_{min(level, 4)}" for level, _ in found]
        tables = list(content.iter(f"{{{ODF}table:1.0}}table"))
        assert len(tables) >= (1 if any(plan.actions()) else 0)
        for table in tables:
            assert table.find(f"{{{ODF}table:1.0}}table-header-rows") is not None
        styles = odt_xml(path, "styles.xml")
        defaults = styles.find(f".//{{{ODF}style:1.0}}default-style[@{{{ODF}style:1.0}}family='paragraph']")
        text = defaults.find(f"{{{ODF}style:1.0}}text-properties")
        assert text.get(f"{{{ODF}style:1.0}}language-asian") == "zh"
        assert text.get(f"{{{ODF}style:1.0}}country-asian") == "TW"
        assert text.get(f"{{{ODF}style:1.0}}font-name-asian") == "Noto Sans CJK TC"
        meta = odt_xml(path, "meta.xml")
        assert meta.findtext(".//{http://purl.org/dc/elements/1.1/}title") == plan.title
        assert meta.findtext(".//{http://purl.org/dc/elements/1.1/}language") == (
            "en-US" if plan.lang == "en" else "zh-TW")
        assert meta.findtext(".//{http://purl.org/dc/elements/1.1/}creator") == (
            plan.agency.en if plan.lang == "en" else plan.agency.zh)
        fields = {e.get(f"{{{ODF}meta:1.0}}name"): e.text
                  for e in meta.iter(f"{{{ODF}meta:1.0}}user-defined")}
        assert fields["Category.Service"] == plan.classification.service and fields["Plan"] == plan.id
        assert len(list(meta.iter(f"{{{ODF}meta:1.0}}keyword"))) == 3


def test_libreoffice_opens_every_odt_with_every_heading_and_action(built, tmp_path: Path) -> None:
    site, plans = built
    if not Path("/usr/bin/soffice").exists():
        pytest.fail("LibreOffice is missing: run ./setup, or: sudo apt-get install -y "
                    "libreoffice-writer-nogui")
    files = [str(document(site, plan, "odt")) for plan in plans]
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path), *files],
                   check=True, capture_output=True, timeout=600, env=os.environ | {"HOME": str(tmp_path)})
    for plan in plans:
        text = squeeze((tmp_path / document(site, plan, "odt").with_suffix(".txt").name)
                       .read_text("utf-8-sig"))
        for expected in headings(plan) + action_texts(plan):
            assert squeeze(expected) in text, f"{plan.id} {plan.lang}: {expected[:40]}"


STYLE = f"{{{ODF}style:1.0}}"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
TEXT = f"{{{ODF}text:1.0}}"


def style_size(styles, name: str) -> float:
    element = styles.find(f".//{STYLE}style[@{STYLE}name='{name}']/{STYLE}text-properties")
    return float(element.get(f"{FO}font-size").removesuffix("pt"))


def test_odt_looks_like_the_agency_s_own_document(built) -> None:
    """Chinese text in a heading is as large as its Western text (ODF sizes each script
    apart); Chinese in the CJK font, English text in a Western one; the title as running
    header and page numbers on every page; rows never split, the header row repeated; each
    table with the web page's caption and a name saying what it holds; group labels and the
    QR code (with its alternative text) as on the web page."""
    site, plans = built
    for plan in plans:
        path = document(site, plan, "odt")
        styles, content = odt_xml(path, "styles.xml"), odt_xml(path, "content.xml")
        faces = {face.get(f"{STYLE}name") for face in styles.iter(f"{STYLE}font-face")}
        for root in (styles, content):
            for properties in root.iter(f"{STYLE}text-properties"):
                for western, asian in ((f"{FO}font-size", f"{STYLE}font-size-asian"),
                                       (f"{FO}font-weight", f"{STYLE}font-weight-asian")):
                    if properties.get(western):
                        assert properties.get(asian) == properties.get(western), (plan.id, western)
                # Chinese in the CJK font, English in a Western one
                if font := properties.get(f"{STYLE}font-name"):
                    assert properties.get(f"{STYLE}font-name-asian") == CJK_FONT, plan.id
                    assert font in faces and (plan.lang != "en" or "CJK" not in font), (plan.id, font)
                if properties.getparent().tag != f"{STYLE}default-style":
                    assert properties.get(f"{FO}language") is None
        default = styles.find(f".//{STYLE}default-style[@{STYLE}family='paragraph']/{STYLE}text-properties")
        assert default.get(f"{STYLE}font-name") and default.get(f"{STYLE}font-name-asian") == CJK_FONT
        body = style_size(styles, "Text_20_body")
        assert style_size(styles, "Title") > style_size(styles, "Heading_20_1") > style_size(
            styles, "Heading_20_2") > style_size(styles, "Heading_20_3") > body
        master = styles.find(f".//{STYLE}master-page")
        assert "".join(master.find(f"{STYLE}header").itertext()) == plan.title
        footer = master.find(f"{STYLE}footer")
        assert footer.find(f".//{TEXT}page-number") is not None
        assert footer.find(f".//{TEXT}page-count") is not None
        rows = content.findall(f".//{{{ODF}table:1.0}}table-row")
        row_style = content.find(f".//{STYLE}style[@{STYLE}name='Table_20_Row']/{STYLE}table-row-properties")
        assert all(r.get(f"{{{ODF}table:1.0}}style-name") == "Table_20_Row" for r in rows)
        assert not rows or row_style.get(f"{FO}keep-together") == "always"
        page = html.fromstring((site / ("en" if plan.lang == "en" else "") / "plans" / plan.id / "index.html"
                                ).read_bytes())
        web = page.find_class("ps-plan__body")[0]
        captions = ["".join(p.itertext()) for p in content.iter(f"{TEXT}p")
                    if p.get(f"{TEXT}style-name") == "Table_20_Caption"]
        assert [squeeze(c) for c in captions] == [squeeze("".join(t.find("caption").itertext()))
                                                  for t in web.iter("table")]
        names = [t.get(f"{{{ODF}table:1.0}}name") for t in content.iter(f"{{{ODF}table:1.0}}table")]
        assert len(set(names)) == len(names) == len(captions)
        plain = functools.partial(re.sub, r"[\s./\\*?:\[\]'_]", "")
        assert all(plain(caption)[:6] in plain(name) for name, caption in zip(names, captions, strict=True))
        labels = ["".join(p.itertext()) for p in content.iter(f"{TEXT}p")
                  if p.get(f"{TEXT}style-name") == "Group_20_Label"]
        assert labels == [label.text for label in web.find_class("ps-group__label")]
        frame = content.find(".//{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}frame")
        title = frame.findtext("{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}title")
        assert plan.id in title and ("QR" in title)
        assert "Pictures/qr.png" in zipfile.ZipFile(path).namelist()
        for basis in plan.basis:
            text = squeeze("".join(content.itertext()))
            assert (basis.ref is None or squeeze(basis.ref) in text) and squeeze(basis.title) in text
            if basis.ref and plan.lang == "en":  # a Chinese 字號 in an English document says what it is
                assert squeeze(f"document no. {basis.ref}") in text


@pytest.fixture(scope="module")
def odt_as_pdf(built, tmp_path_factory):
    """Every ODT as LibreOffice lays it out: plan → the PDF it exports."""
    site, plans = built
    folder = tmp_path_factory.mktemp("odt-pdf")
    files = [str(document(site, plan, "odt")) for plan in plans]
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), *files],
                   check=True, capture_output=True, timeout=600, env=os.environ | {"HOME": str(folder)})
    return {(plan.id, plan.lang): folder / document(site, plan, "odt").with_suffix(".pdf").name
            for plan in plans}


def test_libreoffice_lays_out_every_odt_with_larger_headings_and_page_numbers(built, odt_as_pdf) -> None:
    """LibreOffice turns each ODT into PDF: every page has its number and the plan's title,
    each section heading is set larger than the text of the page, and English text is set in a
    Western font (a CJK font draws quotes and dashes full-width)."""
    _, plans = built
    ns = "{http://www.w3.org/1999/xhtml}"
    for plan in plans:
        pdf = odt_as_pdf[plan.id, plan.lang]
        if plan.lang == "en":
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert re.search(r"^\S+\+(?!NotoSans\w*CJK)", fonts, re.MULTILINE), (plan.id, fonts)
        xhtml = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(pdf), "-"],
                               capture_output=True,
                               check=True, timeout=120).stdout
        pages = list(etree.fromstring(xhtml).iter(f"{ns}page"))
        lines = [[(squeeze(" ".join(w.text or "" for w in line.iter(f"{ns}word"))),
                   float(line.get("yMax")) - float(line.get("yMin"))) for line in page.iter(f"{ns}line")]
                 for page in pages]
        for number, page_lines in enumerate(lines, start=1):
            texts = [text for text, _ in page_lines]
            assert f"{number}/{len(pages)}" in texts, (plan.id, plan.lang, number)
            assert squeeze(plan.title) in "".join(texts)
        heights = sorted(height for page_lines in lines for _, height in page_lines)
        body = heights[len(heights) // 2]
        for section in plan.sections:
            wanted = squeeze(m.numbered(section.number, m.plain_text(section.title)))
            found = [height for page_lines in lines for text, height in page_lines  # its first line
                     if len(text) >= min(8, len(wanted)) and wanted.startswith(text)]
            assert found and found[0] > body * 1.25, (plan.id, plan.lang, wanted, found, body)


# ---------------------------------------------------------------- PDF


def test_pdf_is_tagged_pdf_ua_1(built) -> None:
    site, plans = built
    for plan in plans:
        with pikepdf.open(document(site, plan, "pdf")) as pdf:
            root = pdf.Root
            assert "/StructTreeRoot" in root and root.MarkInfo.Marked is True
            assert str(root.Lang) == plan.lang
            assert root.ViewerPreferences.DisplayDocTitle is True
            meta = pdf.open_metadata()
            assert meta["pdfuaid:part"] == "1"
            assert meta["dc:title"] == plan.title
            assert meta["dc:language"] == {"zh-TW" if plan.lang != "en" else "en"}
            elements = list(structure(root.StructTreeRoot))
            levels = [int(str(e.S)[2]) for e in elements if re.fullmatch(r"/H[1-6]", str(e.S))]
            assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
            for cell in (e for e in elements if e.S == "/TH"):
                assert cell.A.Scope in ("/Column", "/Row")
            figures = [e for e in elements if e.S == "/Figure"]
            assert figures and all(str(f.get("/Alt", "")).startswith(("連到", "QR")) for f in figures)
            outline = []
            with pdf.open_outline() as tree:
                stack = list(tree.root)
                while stack:
                    item = stack.pop(0)
                    outline.append(item.title)
                    stack[0:0] = list(item.children)
            assert [squeeze(t) for t in outline] == [squeeze(plan.title)] + [squeeze(h)
                                                                             for h in headings(plan)]


def test_pdf_fonts_are_embedded_with_unicode_maps(built) -> None:
    site, plans = built
    for plan in plans:
        rows = subprocess.run(["pdffonts", str(document(site, plan, "pdf"))], capture_output=True, text=True,
                              check=True).stdout.splitlines()[2:]
        assert rows
        for row in rows:
            emb, sub, uni = row.split()[-5:-2]
            assert (emb, sub, uni) == ("yes", "yes", "yes"), row
            assert "Noto-Sans-CJK-TC" in row


def paragraphs(plan: m.Plan) -> list[str]:
    """The text of every paragraph of the plan: sections, list items, groups and actions."""
    found: list[str] = []

    def walk(blocks) -> None:
        for block in blocks:
            if isinstance(block, m.Paragraph):
                found.append(m.plain_text(block.inlines))
            elif isinstance(block, m.ListBlock):
                for item in block.items:
                    walk(item.blocks)

    for item in m.items(plan):
        walk(item.blocks if isinstance(item, m.Section) else item.description if isinstance(
            item, m.Group) else item.body)
    return found


def test_pdf_text_holds_every_heading_action_and_paragraph_unbroken(built) -> None:
    """In reading order (pdftotext -raw), no running title or page number cuts a paragraph
    that runs on to the next page: they are artifacts that extraction skips."""
    site, plans = built
    for plan in plans:
        text = squeeze(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(document(site, plan, "pdf")),
                                       "-"],
                                      capture_output=True, text=True, check=True).stdout)
        for expected in headings(plan) + action_texts(plan) + paragraphs(plan):
            assert squeeze(expected) in text, f"{plan.id} {plan.lang}: {expected[:40]}"
        assert squeeze(plan.title) not in text.replace(squeeze(plan.title), "", 1), \
            "the running title is text"


def pdf_audit(path: Path):
    from plansite.pdf_tags import audit
    from plansite.render_pdf import marked_texts

    with pikepdf.open(path) as pdf:
        return audit(pdf, marked_texts(pdf)), sections_below(pdf)


def sections_below(pdf: pikepdf.Pdf) -> Counter:
    """Roles of the elements inside the plan's sections (not the cover's metadata list)."""
    from plansite.pdf_tags import elements_below, role

    found: Counter = Counter()
    for element in elements_below(pdf.Root.StructTreeRoot.K[0]):
        if role(element) == "Sect" and role(element.P) == "Document":
            found.update(role(e) for e in elements_below(element))
    return found


def test_pdf_structure_follows_the_parent_tree_and_matches_the_web_page(built) -> None:
    """Every page's marked content and every parent-tree entry lead to an element the root
    reaches (the running title and page numbers are artifacts); no heading inside a heading;
    every LI is [Lbl] LBody; one Table per HTML table, with its caption and rows; links are
    Link elements with their annotations. Headings, tables and list items are counted against
    the plan's web page."""
    site, plans = built
    for plan in plans:
        found, inside = pdf_audit(document(site, plan, "pdf"))
        assert found.problems == [], (plan.id, plan.lang, found.problems[:5])
        page = html.fromstring((site / ("en" if plan.lang == "en" else "") / "plans" / plan.id / "index.html"
                                ).read_bytes())
        body = page.find_class("ps-plan__body")[0]
        web_headings = [(int(h.tag[1]), squeeze("".join(h.itertext())))
                        for h in body.iter("h2", "h3", "h4", "h5", "h6")]
        assert [(level, squeeze(text))
                for level, text in found.headings] == [(1, squeeze(plan.title))] + web_headings
        tables = body.findall(".//table")
        assert [squeeze(t["caption"]) for t in found.tables] == [
            squeeze("".join(t.find("caption").itertext())) for t in tables], (plan.id, plan.lang)
        assert [t["rows"] for t in found.tables] == [len(t.findall(".//tr")) for t in tables]
        assert inside["LI"] == len(body.findall(".//li")) == inside["LBody"], (plan.id, plan.lang)
        # the plan's address, its QR code, and each cell's link to a note many rows share
        assert found.roles["Link"] == 2 + len(body.find_class("ps-noteref")), (plan.id, plan.lang)


def test_pdf_structure_of_links_lists_and_tables_that_cross_pages() -> None:
    """A small document made for the cases the plans may not have: a link in running text, a
    list item of two paragraphs, a list and a table that run over three pages."""
    from plansite.pdf_tags import audit
    from plansite.render_pdf import marked_texts, render_plan_pdf

    rows = "".join(f"<tr><th scope='row'>{i}</th><td>Row {i}<p>more</p></td></tr>" for i in range(90))
    items = "".join(f"<li><p>Item {i}</p><p>its second paragraph</p></li>" for i in range(60))
    pdf = render_plan_pdf(
        "<html lang='en'><title>Test</title><body><h1>Test</h1>"
        "<p>See <a href='https://example.org/'>the example</a> for more.</p>"
        f"<ul>{items}</ul><table><caption>Numbers</caption><thead><tr><th scope='col'>No.</th>"
        f"<th scope='col'>Text</th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        PROJECT / "templates" / "print.css", "en")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        found = audit(document, marked_texts(document))
        assert len(document.pages) > 4
    assert found.problems == []
    assert [(t["caption"], t["rows"]) for t in found.tables] == [("Numbers", 91)]
    assert len(found.tables[0]["pages"]) > 2
    assert found.roles["L"] == 1 and found.roles["LI"] == found.roles["LBody"] == 60
    assert found.roles["Link"] == 1 and found.roles["THead"] == 1


def test_pdf_passes_page_validation_pdf_ua_1(built) -> None:
    """page (page-validation on PyPI) runs veraPDF's machine-checkable PDF/UA-1 rules."""
    from page import validate_pdf

    site, plans = built
    for plan in plans:
        report = validate_pdf(str(document(site, plan, "pdf")), profile="ua1")
        assert report.is_compliant, (plan.id, plan.lang,
                                     [(f.rule_id, f.message) for f in report.failures][:5])


def vertical_rules(page: pikepdf.Page) -> list[tuple[float, float, float]]:
    """(x, top, bottom) of every vertical line drawn on a page (WeasyPrint draws cell borders as
    lines), in points from the top left, as poppler measures words."""
    return [(x0, min(y0, y1), max(y0, y1)) for x0, y0, x1, y1 in drawn_lines(page) if abs(x0 - x1) < 0.01]


def drawn_lines(page: pikepdf.Page) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of every straight line drawn on a page (WeasyPrint and LibreOffice draw
    cell borders so), in points from the top left."""
    height = float(page.MediaBox[3])
    matrices = [pikepdf.Matrix()]
    start = None
    found = []
    for operands, operator in pikepdf.parse_content_stream(page, "q Q cm m l"):
        name = str(operator)
        if name == "q":
            matrices.append(matrices[-1])
        elif name == "Q":
            matrices.pop()
        elif name == "cm":
            matrices[-1] = pikepdf.Matrix(*[float(x) for x in operands]) @ matrices[-1]
        elif name == "m":
            start = matrices[-1].transform((float(operands[0]), float(operands[1])))
        elif name == "l" and start:
            end = matrices[-1].transform((float(operands[0]), float(operands[1])))
            found.append((start[0], height - start[1], end[0], height - end[1]))
            start = end
    return found


def words(path: Path) -> list[tuple[int, str, float, float, float, float]]:
    """(page, word, left, top, right, bottom) of every word poppler finds."""
    xhtml = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                           check=True, timeout=120).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    return [(number, word.text or "", *(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
            for number, page in enumerate(etree.fromstring(xhtml).iter(f"{ns}page"), start=1)
            for word in page.iter(f"{ns}word")]


def words_across_cell_borders(path: Path) -> list[tuple[int, str]]:
    """Words that a table's column border runs through: text that left its cell."""
    with pikepdf.open(path) as pdf:
        rules = [vertical_rules(page) for page in pdf.pages]
    return [(number, text) for number, text, left, top, right, bottom in words(path)
            if any(left + 0.5 < x < right - 0.5 and min(end, bottom) - max(start, top) > (bottom - top) / 2
                   for x, start, end in rules[number - 1])]


def test_pdf_text_stays_in_its_cell(built) -> None:
    """No word crosses a table's column border (a date range once ran over the next column)."""
    site, plans = built
    for plan in plans:
        assert words_across_cell_borders(document(site, plan, "pdf")) == [], (plan.id, plan.lang)


def test_a_table_starts_below_its_headings_when_its_header_and_first_row_fit(tmp_path: Path) -> None:
    """The headings of a group stay with its table, and the table begins on the same page when
    its header row and first row fit there; a row is never split."""
    from plansite.render_pdf import render_plan_pdf

    def page_of_first_row(paragraphs: int) -> tuple[int, int]:
        rows = "".join(f"<tr><th scope='row'>{i}.</th><td><p>Measure {i}, " + "long enough to wrap. " * 12
                       + "</p></td><td>105.5.1~105.5.31</td></tr>" for i in range(1, 30))
        table = ("<table class='ps-table ps-action-table'><caption>Cap</caption><thead><tr>"
                 "<th scope='col' class='ps-action-table__num'>No.</th><th scope='col'>Measures</th>"
                 "<th scope='col' class='ps-action-table__deadline'>Deadline</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        body = "".join(f"<p>Paragraph {i}, filling the page.</p>" for i in range(paragraphs))
        pdf = tmp_path / "table.pdf"
        pdf.write_bytes(render_plan_pdf(
            f"<html lang='en'><title>T</title><body><h1>T</h1><section><h2>One</h2>{body}</section><section>"
            f"<h2>Two</h2><section><h3><span class='ps-group__label'>Item</span> Group</h3>{table}</section>"
            "</section></body></html>", PROJECT / "templates" / "print.css", "en"))
        pages = [squeeze(t) for t in subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                                                    text=True, check=True).stdout.split("\f")]
        return (next(i for i, t in enumerate(pages) if "Measure1," in t),
                next(i for i, t in enumerate(pages) if "ItemGroup" in t))

    assert page_of_first_row(10) == (0, 0)  # room for it: the table starts on page 1
    first_row, heading = page_of_first_row(24)
    assert first_row == heading == 1  # no room: headings and table move together


Line = tuple[float, float, str, bool]
"""(top, bottom, text, kept with what follows) of a line of text on a page."""


def page_lines(path: Path, title: str, kept: list[str]) -> list[tuple[list[Line], list[float]]]:
    """Per page: its lines of text but the running title and page number, top to bottom, and
    the heights of its horizontal rules (rows' borders). A line outside a table whose text is
    part of a heading, group label or caption is kept with what follows it."""
    with pikepdf.open(path) as pdf:
        drawn = [drawn_lines(page) for page in pdf.pages]
    xhtml = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(path), "-"],
                           capture_output=True,
                           check=True, timeout=120).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    pages = []
    for page, lines_drawn in zip(etree.fromstring(xhtml).iter(f"{ns}page"), drawn, strict=True):
        rules = sorted({round(y0) for x0, y0, x1, y1 in lines_drawn if abs(y0 - y1) < 0.01
                        and abs(x1 - x0) > 20})
        columns = [(min(y0, y1), max(y0, y1)) for x0, y0, x1, y1 in lines_drawn if abs(x0 - x1) < 0.01]
        lines = []
        for line in page.iter(f"{ns}line"):
            text = squeeze(" ".join(w.text or "" for w in line.iter(f"{ns}word")))
            if text and text != squeeze(title) and not re.fullmatch(r"\d+/\d+", text):
                top, bottom = float(line.get("yMin")), float(line.get("yMax"))
                in_table = any(a <= top + 1 and bottom - 1 <= b for a, b in columns)
                lines.append((top, bottom, text, not in_table and any(text in k for k in kept)))
        pages.append((sorted(lines), rules))
    return pages


def first_unbreakable(lines: list[Line], rules: list[float]) -> float:
    """The height of what a page begins with that no page break may divide: its headings with
    the table below them down to its header row and first row (rows are never split), or
    with the first two lines of text (no orphan)."""
    top = min([line[0] for line in lines] + rules[:1], default=0)
    above = top
    for index, (start, end, _, kept) in enumerate(lines):
        if kept:
            above = end
            continue
        table = [rule for rule in rules if rule >= above - 1]
        if table and table[0] <= start + 1:
            return table[min(2, len(table) - 1)] - top
        after = [line for line in lines[index + 1:] if not line[3]]
        if after and not any(end < rule < after[0][0] for rule in rules):
            end = after[0][1]
        return end - top
    return (lines[-1][1] if lines else top) - top


SLACK = 40
"""Points of room a page may leave beyond what the next page begins with: the margins above a
heading and below a table, which belong to neither, and a line's worth of rounding."""


def pages_with_room_to_spare(path: Path, title: str, kept: list[str]) -> list[str]:
    """Pages (but the last) that end with a heading, or whose empty room below would have held
    what the next page begins with. A page's room is measured down to the lowest text or rule
    of the fullest page of the document."""
    pages = page_lines(path, title, kept)
    bottom = max(max([line[1] for line in lines] + rules) for lines, rules in pages if lines)
    found = []
    for number, ((lines, rules), following) in enumerate(itertools.pairwise(pages), start=1):
        if lines and lines[-1][3]:
            found.append(f"page {number} ends with a heading: {lines[-1][2]}")
        room = bottom - max([line[1] for line in lines] + rules, default=0)  # a blank page: all room
        needed = first_unbreakable(*following)
        if room > needed + SLACK:
            found.append(f"page {number} leaves {room:.0f} pt empty, page {number + 1} begins with "
                         f"{needed:.0f} pt")
    return found


def test_no_page_is_left_empty_where_the_next_page_s_beginning_fits(built, odt_as_pdf) -> None:
    """A page ends only where the next one's beginning would not fit: a table starts on the
    page of its headings when its header row and first row fit there; no heading ends a page.
    For the PDFs in both languages, and for the ODTs as LibreOffice lays them out."""
    site, plans = built
    for plan in plans:
        page = html.fromstring((site / ("en" if plan.lang == "en" else "") / "plans" / plan.id / "index.html"
                                ).read_bytes())
        body = page.find_class("ps-plan__body")[0]
        kept = [squeeze("".join(e.itertext())) for e in body.iter("h2", "h3", "h4", "h5", "h6", "caption")]
        for path in (document(site, plan, "pdf"), odt_as_pdf[plan.id, plan.lang]):
            assert pages_with_room_to_spare(path, plan.title, kept) == [], (path.name, plan.lang)


def test_pdfua_checker_finds_no_problems(built) -> None:
    """pdfua 0.1.3 checks 16 of the 106 PDF/UA-1 rules. Known: its rule UA-14-001 crashes with
    pikepdf 10 ('/is_integer' on an array) and is reported as skipped, not as a finding."""
    site, plans = built
    for plan in plans:
        result = subprocess.run([str(Path(sys.executable).parent / "pdfua"), "check", "--format", "json",
                                 str(document(site, plan, "pdf"))], capture_output=True, text=True,
                                timeout=600,
                                check=False)
        report = json.loads(result.stdout)
        assert report["findings"] == [], (plan.id, plan.lang, report["findings"][:3])


# ---------------------------------------------------------------- the same plan in every format


def test_web_page_odt_and_pdf_say_the_same(built) -> None:
    site, plans = built
    for plan in plans:
        folder = site / ("en" if plan.lang == "en" else "") / "plans" / plan.id / "index.html"
        page = html.fromstring(folder.read_bytes())
        body = page.find_class("ps-plan__body")[0]
        web = [h.get("data-title") or "".join(h.itertext()) for h in body.iter("h2", "h3", "h4", "h5", "h6")]
        content = odt_xml(document(site, plan, "odt"), "content.xml")
        odt = ["".join(h.itertext()) for h in content.iter(f"{{{ODF}text:1.0}}h")]
        with pikepdf.open(document(site, plan, "pdf")) as pdf, pdf.open_outline() as tree:
            pdf_titles, stack = [], list(tree.root)
            while stack:
                item = stack.pop(0)
                pdf_titles.append(item.title)
                stack[0:0] = list(item.children)
        assert [squeeze(t) for t in web] == [squeeze(t) for t in odt] == [squeeze(t) for t in pdf_titles[1:]]
        web_actions = [squeeze(row.get("id")) for row in body.xpath(".//tr[@id]")]
        assert web_actions == [a.id for _, a in plan.actions()]


def test_a_note_many_rows_share_is_said_once_and_their_cells_say_not_stated(built) -> None:
    """As on the web page: in hsinchu's PDF and ODT, each editorial note that fills a cell in
    many rows is printed once, before the tables, and those cells say "not stated (note N)",
    linking to it (in the PDF, a link whose annotation is described by its text)."""
    site, plans = built
    for plan in [p for p in plans if p.id.startswith("hsinchu")]:
        notes = m.shared_notes(plan)
        assert len(notes) == 1  # the deadlines of 4.5-4.10 of (二) 服務友善 (seed 002 line 36)
        english = plan.lang == "en"
        rows = {text: sum(1 for _, a in plan.actions()
                          if text in (*a.units, *(f.value for f in a.fields), a.deadline.text if a.deadline
                                      else ""))
                for text in notes}
        pdf = document(site, plan, "pdf")
        pdf_text = squeeze(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"],
                                          capture_output=True, text=True, check=True).stdout)
        content = odt_xml(document(site, plan, "odt"), "content.xml")
        odt_text = squeeze("".join(content.itertext()))
        cells = Counter(squeeze("".join(p.itertext())) for p in content.iter(f"{{{ODF}table:1.0}}table-cell"))
        links = Counter(a.get("{http://www.w3.org/1999/xlink}href")
                        for a in content.iter(f"{{{ODF}text:1.0}}a"))
        bookmarks = {b.get(f"{{{ODF}text:1.0}}name") for b in content.iter(f"{{{ODF}text:1.0}}bookmark")}
        with pikepdf.open(pdf) as opened:
            described = {}
            for page in opened.pages:
                for annotation in page.get("/Annots", []):
                    if "/Dest" in annotation:
                        described.setdefault(str(annotation.Dest), set()).add(str(annotation.Contents))
        for text, number in notes.items():
            short = f"Not stated (note {number})" if english else f"未載明（註{number}）"
            said = f"Note {number}: {text}" if english else f"註{number}：{text}"
            where = (plan.lang, number)
            assert pdf_text.count(squeeze(text)) == 1 and squeeze(said) in pdf_text, where
            assert pdf_text.count(squeeze(short)) == rows[text], where
            assert described[f"note-{number}"] == {f"(note {number})" if english
                                                   else f"（註{number}）"}, where
            assert odt_text.count(squeeze(text)) == 1 and squeeze(said) in odt_text, where
            assert cells[squeeze(short)] == rows[text] == links[f"#note-{number}"], where
            assert f"note-{number}" in bookmarks, where


def test_two_builds_give_byte_identical_sites(tmp_path: Path) -> None:
    """Two clean builds of the same sources, in different folders and with no shared cache,
    give the same site/ byte for byte: pages, data, search index, ODT and PDF."""
    outputs = []
    for run in ("first", "second"):
        project = copy_project(tmp_path / run, plans=["mof-2017", "kaohsiung-finance-2024"])
        env = os.environ | {"PLANSITE_CACHE": str(tmp_path / f"cache-{run}")}  # no shared cache
        subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project)], check=True,
                       env=env, capture_output=True, timeout=600)
        site = project / "site"
        outputs.append({p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
                        if p.is_file()})
    assert list(outputs[0]) == list(outputs[1])
    assert sum(name.startswith("downloads/") for name in outputs[0]) == 8
    assert any(name.startswith("pagefind/index/") for name in outputs[0])
    different = [name for name in outputs[0] if outputs[0][name] != outputs[1][name]]
    assert different == []


def test_first_pages_render(built, tmp_path: Path) -> None:
    """Page 1 of a PDF (poppler) and of an ODT (LibreOffice) as PNG: real, non-blank pages.
    (The renderings stay in a temporary folder, never in git.)"""
    from PIL import Image, ImageStat

    site, plans = built
    plan = next(p for p in plans if p.id == "hsinchu-tax-2018" and p.lang != "en")
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(document(site, plan, "pdf")),
                    str(tmp_path / "pdf")], check=True, timeout=120)
    # LibreOffice without a GUI exports no PNG: it lays the ODT out as PDF, poppler draws page 1
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(document(site, plan, "odt"))], check=True,
                   capture_output=True, timeout=300, env=os.environ | {"HOME": str(tmp_path)})
    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png",
                    str(tmp_path / "hsinchu-tax-2018.zh-Hant.pdf"), str(tmp_path / "odt")], check=True,
                   timeout=120)
    for png in (tmp_path / "pdf-01.png", tmp_path / "odt-01.png"):
        image = Image.open(png).convert("L")
        assert image.width > 300 and ImageStat.Stat(image).stddev[0] > 20, png  # ink on the page


def test_download_links_name_format_language_and_size(built) -> None:
    site, _ = built
    page = html.fromstring((site / "plans" / "mof-2017" / "index.html").read_bytes())
    links = [a for a in page.iter("a") if "/downloads/" in a.get("href", "")]
    assert [a.get("href").rsplit("/", 1)[1] for a in links] == ["mof-2017.zh-Hant.odt",
                                                                "mof-2017.zh-Hant.pdf"]
    size = (site / "downloads" / "mof-2017.zh-Hant.odt").stat().st_size
    assert links[0].text == f"下載 ODF 文件（中文，可編輯，{round(size / 1024)}\u00a0KB）" \
        == links[0].get("title")
    pages = len(pikepdf.open(site / "downloads" / "mof-2017.zh-Hant.pdf").pages)
    size = (site / "downloads" / "mof-2017.zh-Hant.pdf").stat().st_size
    assert links[1].text == f"下載 PDF 文件（中文，{pages}\u00a0頁，{round(size / 1024)}\u00a0KB）"
    english = html.fromstring((site / "en" / "plans" / "mof-2017" / "index.html").read_bytes())
    texts = [a.text for a in english.iter("a") if "/downloads/" in a.get("href", "")]
    assert [text.split(" (")[0] for text in texts] == ["Download the ODF document",
                                                       "Download the PDF document"]
    pages = len(pikepdf.open(site / "downloads" / "mof-2017.en.pdf").pages)
    assert re.fullmatch(rf"Download the PDF document \(English, {pages}\u00a0pages, \d+\u00a0KB\)", texts[1])


def span_languages(path: Path) -> list[tuple[str, str]]:
    from plansite.render_pdf import marked_texts

    with pikepdf.open(path) as pdf:
        texts = marked_texts(pdf)
        found = []
        for element in structure(pdf.Root.StructTreeRoot):
            if "/Lang" in element:
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                found.append((str(element.Lang),
                              "".join(texts.get((element.Pg.objgen, k), "") for k in kids
                                      if isinstance(k, int))))
        return found


def test_pdf_spans_in_the_other_language_carry_lang(built) -> None:
    site, plans = built
    english = next(p for p in plans if p.id == "keelung-tax-2023" and p.lang == "en")
    assert ("zh-TW", "(基隆市稅務局)") in span_languages(document(site, english, "pdf"))
    chinese = next(p for p in plans if p.id == "ntbt-2016" and p.lang != "en")
    tagged = span_languages(document(site, chinese, "pdf"))
    assert ("en", "Web Call") in tagged and ("en", "OPEN DATA") in tagged
    assert all(lang == "en" and not re.search(r"[\u4e00-\u9fff]", text) for lang, text in tagged)


def test_a_character_the_pdf_font_cannot_show_is_an_error_at_its_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    lines = plan.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("行政院106年1月9日"))
    lines[index] += " \U0001F600"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(PROJECT / "build.py"), "--project", str(project)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"content/plans/mof-2017.zh-Hant.md:{index + 1}: the PDF font Noto Sans CJK TC cannot show the "
        "character '\U0001F600' (U+1F600) — replace it with a common character")


def test_weasyprint_pdf_ua_errors_fail_the_document() -> None:
    from plansite.render_pdf import PdfError, render_plan_pdf

    with pytest.raises(PdfError):  # an image without alt text: WeasyPrint only logs it in pdf/ua mode
        render_plan_pdf('<html lang="en"><title>x</title><body><img src="missing.png"></body></html>',
                        PROJECT / "templates" / "print.css", "en")


def test_downloads_from_the_cache_are_never_stale(tmp_path: Path, monkeypatch) -> None:
    """A rebuild finds unchanged downloads by their inputs without rendering them again; a plan
    edit remakes exactly what a clean build makes, and an edit that leaves the printed text as
    it was (a web page's template) renders the print HTML but reuses every file."""
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "cache"))
    project = copy_project(tmp_path / "project", plans=["mof-2017"])
    site = project / "site"

    def cached_files() -> set[str]:
        return {p.name for p in (tmp_path / "cache" / "downloads").iterdir() if p.is_file()}

    build(project, site)
    first = cached_files()
    assert len(first) == 4
    template = project / "templates" / "plan.html"
    template.write_text(template.read_text(encoding="utf-8").replace(
        "{{ plan.title }}</h1>", "{{ plan.title }} </h1>", 1), encoding="utf-8")
    build(project, site)
    assert cached_files() == first, "the print HTML did not change, so no file is made again"
    plan = project / "content" / "plans" / "mof-2017.zh-Hant.md"
    plan.write_text(plan.read_text(encoding="utf-8").replace("推動以民為本服務", "推動以民為本之服務", 1),
                    encoding="utf-8")
    build(project, site)
    remade = cached_files() - first
    assert {name.rsplit(".", 1)[1] for name in remade} == {"odt", "pdf"}
    assert len(cached_files()) == 4, "the files of the plan as it was are removed from the cache"
    assert len(list((tmp_path / "cache" / "downloads" / "inputs").iterdir())) == 4
    monkeypatch.setenv("PLANSITE_CACHE", str(tmp_path / "fresh-cache"))
    build(project, tmp_path / "clean")
    for path in sorted((tmp_path / "clean" / "downloads").iterdir()):
        assert (site / "downloads" / path.name).read_bytes() == path.read_bytes(), path.name
