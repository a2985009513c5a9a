"""The site configuration (plansite/config.py): a good site.yml gives the settings every output
needs; each bad value is refused at its own line with a fix, and nothing else is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from plansite.config import BADGE_HINT, load_config
from plansite.errors import ContentError

GOOD = """base_url: https://www.example.gov.tw/計畫
site_name: {zh: 提升服務品質計畫, en: Service Quality Plans}
publisher:
  name: {zh: 測試局, en: Test Bureau}
  email: webmaster@example.gov.tw
  privacy_url: https://www.example.gov.tw/privacy
"""


def config_of(tmp_path: Path, text: str):
    (tmp_path / "site.yml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ContentError) as caught:
        config_of(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_a_good_configuration_gives_an_ascii_folder_address_and_defaults(tmp_path: Path) -> None:
    config = config_of(tmp_path, GOOD)
    assert config.base_url == "https://www.example.gov.tw/%E8%A8%88%E7%95%AB/"
    assert (config.site_name.zh, config.site_name.en) == ("提升服務品質計畫", "Service Quality Plans")
    assert config.publisher.email == "webmaster@example.gov.tw" and config.publisher.phone is None
    assert config.badge is None and config.classification.service == "I00"


def test_a_chinese_host_name_becomes_punycode(tmp_path: Path) -> None:
    config = config_of(tmp_path, GOOD.replace("www.example.gov.tw/計畫", "臺灣.tw"))
    assert config.base_url == "https://xn--nnx388a.tw/"


@pytest.mark.parametrize("line, before, after, message", [
    (1, "https://www.example.gov.tw/計畫", "ftp://example.org/",
     ("'base_url' must be the web address of the site's "
     "folder, not 'ftp://example.org/' — write the site's public address")),
    (1, "https://www.example.gov.tw/計畫", "https://example.org/?a=1", "'base_url' must be the web address"),
    (5, "webmaster@example.gov.tw", "webmaster",
     ("'publisher.email' must be an e-mail address, not 'webmaster' — "
     "write it as name@example.gov.tw")),
    (6, "https://www.example.gov.tw/privacy", "https://www.example.gov.tw/a b",
     "'publisher.privacy_url' is not a web address: it contains a space"),
    (6, "https://www.example.gov.tw/privacy", "www.example.gov.tw",
     "'publisher.privacy_url' must be a web address"),
    (2, "en: Service", "eng: Service", "unknown key 'site_name.eng' — did you mean 'en'?"),
])
def test_a_bad_value_is_refused_at_its_line_with_a_fix(tmp_path: Path, line: int, before: str, after: str,
                                                       message: str) -> None:
    problems = problems_of(tmp_path, GOOD.replace(before, after))
    assert problems[0].startswith(f"site.yml:{line}: {message}"), problems
    assert " — " in problems[0]


def test_missing_and_misspelt_settings(tmp_path: Path) -> None:
    assert problems_of(tmp_path, GOOD.replace("site_name", "sitename"))[0] == (
        "site.yml:2: unknown key 'sitename' — did you mean 'site_name'?")
    assert not (tmp_path / "site").exists()
    (tmp_path / "site.yml").unlink()
    with pytest.raises(ContentError) as caught:
        load_config(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        ("site.yml:1: the site configuration file is missing — create site.yml (see 'Site configuration' in "
        "README.md)")]


def test_a_badge_must_be_an_image_inside_the_project(tmp_path: Path) -> None:
    badge = ("accessibility_badge:\n  href: https://accessibility.moda.gov.tw/x\n  image: {}\n"
             "  alt: {{zh: 標章, en: Badge}}\n")
    (tmp_path / "badge.png").write_bytes(b"GIF89a" + bytes(20))
    assert problems_of(tmp_path, GOOD + badge.format("badge.png")) == [
        ("site.yml:9: the badge image 'badge.png' is a GIF image, but its name does not end in .gif — rename "
        "it to end in .gif")]
    assert problems_of(tmp_path, GOOD + badge.format("../outside.png"))[0].startswith(
        "site.yml:9: the badge image '../outside.png' is outside the project")
    (tmp_path / "badge.gif").write_bytes((BADGES / "badge.gif").read_bytes())
    assert config_of(tmp_path, GOOD + badge.format("badge.gif")).badge.image == Path("badge.gif")
    (tmp_path / "docs").mkdir()  # a folder builds do not hash: a new image there would never be published
    (tmp_path / "docs" / "badge.gif").write_bytes((BADGES / "badge.gif").read_bytes())
    assert problems_of(tmp_path, GOOD + badge.format("docs/badge.gif")) == [
        ("site.yml:9: the badge image 'docs/badge.gif' lies in docs/, a folder builds do not watch (a change "
         "to it would not be published) — move it into templates/ or content/; " + BADGE_HINT)]


BADGES = Path(__file__).parent / "fixtures" / "badge"
"""Badge images of our own drawing: 88×31 (PNG, GIF) and twice that (PNG)."""


@pytest.mark.parametrize(("image", "problem"), [
    ("badge.png", None), ("badge.gif", None), ("badge-2x.png", None),
    ("chart.png", "is 20×20 pixels, but the pages show it at 88×31, so it would be drawn out of shape"),
    ("damaged.png", "cannot be read as an image (a damaged file?)"),
    ("cut.png", "is cut short (a download that did not finish?)"),
    ("huge.png", ("is 880×310 pixels, but the pages show it at 88×31: every reader's browser would decode "
                  "it whole to draw it that small")),
])
def test_the_badge_image_has_the_badges_shape(tmp_path: Path, image: str, problem: str | None) -> None:
    """The pages show the badge at 88×31: a 4000×4000 image was squashed into it without a word."""
    for source in BADGES.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    (tmp_path / "chart.png").write_bytes((Path(__file__).parent / "fixtures" / "defects" / "assets" /
                                          "chart.png").read_bytes())
    (tmp_path / "damaged.png").write_bytes((BADGES / "badge.png").read_bytes()[:40])
    whole = (BADGES / "badge.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[:len(whole) // 2])  # its header (so its size), not its pixels
    from PIL import Image

    Image.new("RGB", (880, 310), (11, 83, 148)).save(tmp_path / "huge.png")
    badge = (f"accessibility_badge:\n  href: https://accessibility.moda.gov.tw/x\n  image: {image}\n"
             "  alt: {zh: 標章, en: Badge}\n")
    if problem is None:
        assert config_of(tmp_path, GOOD + badge).badge.image == Path(image)
    else:
        assert problems_of(tmp_path, GOOD + badge) == [f"site.yml:9: the badge image '{image}' {problem} — "
                                                        + BADGE_HINT]


@pytest.mark.parametrize(("relative", "misnamed"), [("content/glossary.yml", "content/glossary.yaml"),
                                                    ("content/frameworks.yml", "content/Frameworks.yml"),
                                                    ("site.yml", "site.yaml")])
def test_a_misnamed_settings_file_is_named(tmp_path: Path, relative: str, misnamed: str) -> None:
    """A glossary saved as glossary.yaml was read as no glossary: the glossary page was empty
    and every check against it off, without a word. A settings file missing beside one of a
    name so like it is refused, naming both."""
    from plansite.content import load_frameworks, load_glossary

    from .conftest import copy_project

    project = copy_project(tmp_path / "project", plans=[])
    (project / relative).rename(project / misnamed)
    load = {"site.yml": load_config, "content/glossary.yml": load_glossary,
            "content/frameworks.yml": load_frameworks}[relative]
    with pytest.raises(ContentError) as caught:
        load(project)
    assert [str(p) for p in caught.value.problems] == [(
        f"{relative}:1: the file is missing, but {misnamed} is there — rename it to {Path(relative).name}: "
        "plansite reads the file of that name only")]


def test_a_settings_file_is_called_a_file_and_points_to_its_own_guide(tmp_path: Path) -> None:
    """site.yml, the glossary and the frameworks were 'the metadata', and were told to give a
    plan's keys (id, lang, title) as docs/format.md describes them; an empty value was 'not a
    line of text'."""
    from plansite.content import load_glossary

    assert problems_of(tmp_path, "hello\n") == [(
        "site.yml:1: the file must be a set of 'key: value' lines — write one 'key: value' line for each of "
        "base_url, site_name, publisher; see README.md ('Site configuration')")]
    assert problems_of(tmp_path, "") == [
        "site.yml:1: the file is empty — write what README.md ('Site configuration') describes"]
    assert problems_of(tmp_path, GOOD.replace("en: Service Quality Plans", "en: ''"))[0].endswith(
        "'site_name.en' is empty — write its text after 'en:'")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "glossary.yml").write_text("zh: 稅\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_glossary(tmp_path)
    assert [str(p) for p in caught.value.problems] == [(
        "content/glossary.yml:1: the file must be a list — write each entry on its own line starting with "
        "'- '")]
