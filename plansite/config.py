"""The site configuration (``site.yml``): settings that belong to the publisher, not a plan.

Read with the same line-aware YAML reader as plan metadata, so a mistake in the
configuration is reported like a mistake in content: ``site.yml:LINE: … — …``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import ContentError, Report
from .model import Classification
from .project import CONFIG_FILE
from .yamlnode import Node, read_yaml


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text in both languages of the site."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Publisher:
    """The agency that publishes the site, as shown in every page's footer."""

    name: Bilingual
    address: Bilingual | None
    phone: str | None
    email: str | None
    office_hours: Bilingual | None
    privacy_url: str | None
    """The agency's full privacy and information-security policy, linked from the privacy page."""


@dataclass(frozen=True, slots=True)
class Badge:
    """The 無障礙標章 (accessibility badge) the certifier assigned to this site."""

    href: str
    """The certifier's page for this site."""
    image: Path
    """The 88×31 badge image, relative to the project."""
    alt: Bilingual


@dataclass(frozen=True, slots=True)
class SiteConfig:
    base_url: str
    """The public address of the site's root, ending in '/'."""
    site_name: Bilingual
    publisher: Publisher
    badge: Badge | None
    """Shown at the bottom of the home page once the site is certified; None by default."""
    classification: Classification
    """The site's own Category.Service/Theme/Cake codes, for pages that are not a plan."""


def load_config(project: Path) -> SiteConfig:
    """Read and check ``site.yml``; raise ContentError with every problem found."""
    path = project / CONFIG_FILE
    report = Report(CONFIG_FILE)
    if not path.is_file():
        report.fail(1, "the site configuration file is missing",
                    f"create {CONFIG_FILE} (see 'Site configuration' in README.md)")
        raise ContentError(report.problems)
    root = read_yaml(path.read_text(encoding="utf-8-sig"), report)
    config = read_config(root, project) if root else None
    if report.problems or config is None:
        raise ContentError(report.problems)
    return config


def read_config(root: Node, project: Path) -> SiteConfig | None:
    keys = root.keys(("base_url", "site_name", "publisher"), ("accessibility_badge", "classification"))
    if keys is None or not all(k in keys for k in ("base_url", "site_name", "publisher")):
        return None
    base_url = site_address(keys["base_url"])
    publisher = keys["publisher"].keys(
        ("name",), ("address", "phone", "email", "office_hours", "privacy_url")) or {}
    return SiteConfig(
        base_url=base_url,
        site_name=bilingual(keys["site_name"]),
        publisher=Publisher(
            name=bilingual(publisher["name"]) if "name" in publisher else Bilingual("", ""),
            address=bilingual(publisher["address"]) if "address" in publisher else None,
            phone=publisher["phone"].text() if "phone" in publisher else None,
            email=mail_address(publisher["email"]) if "email" in publisher else None,
            office_hours=bilingual(publisher["office_hours"]) if "office_hours" in publisher else None,
            privacy_url=web_address(publisher["privacy_url"]) if "privacy_url" in publisher else None,
        ),
        badge=read_badge(keys["accessibility_badge"], project) if "accessibility_badge" in keys else None,
        classification=(read_classification(keys["classification"]) if "classification" in keys
                        else Classification("I00", None, None)),
    )


NOT_IN_ADDRESSES = re.compile(r'[\s"<>\\^`{|}]')
"""Characters no web or mail address holds as they are (RFC 3986): spaces, quotes, brackets."""


def site_address(node: Node) -> str:
    """``base_url`` as every output can carry it (pages, sitemap.xml, robots.txt, feeds, the
    PDF's QR code): the absolute http(s) address of a folder, ending in '/', without query,
    fragment, spaces or quotes, in ASCII (a Chinese path percent-encoded, a Chinese host name
    in punycode), since every page's address is this plus a path."""
    value = node.text() or ""
    parts = urlsplit(value)
    try:
        port = f":{parts.port}" if parts.port else ""
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        host = ""
    if value and (parts.scheme not in ("https", "http") or not host or "@" in parts.netloc
                  or NOT_IN_ADDRESSES.search(value) or re.search("[?#]", value)):
        node.fail(f"'base_url' must be the web address of the site's folder, not '{value}'",
                  "write the site's public address, e.g. https://www.example.gov.tw/plans/ "
                  "(no spaces, no ? or #)")
        return ""
    if not value:
        return ""
    path = quote(parts.path, safe="/%!$&'()*+,;=:@-._~").rstrip("/") + "/"
    return urlunsplit((parts.scheme, host + port, path, "", ""))


BADGE_IMAGES = (".png", ".gif", ".jpg", ".jpeg")
"""The badge is published as it is: an image, never a page or an SVG that could run a script."""


def read_badge(node: Node, project: Path) -> Badge | None:
    keys = node.keys(("href", "image", "alt"))
    if keys is None or len(keys) < 3:
        return None
    image = keys["image"].text() or ""
    inside = (project / image).resolve().is_relative_to(project.resolve())
    if image and not (inside and Path(image).suffix.lower() in BADGE_IMAGES):
        keys["image"].fail(f"the badge image must be a {', '.join(BADGE_IMAGES)} file inside the project, "
                           f"not '{image}'", "copy the image the certifier sent into the project and give its path")
    elif image and not (project / image).is_file():
        keys["image"].fail(f"the badge image '{image}' does not exist",
                           "give the path of the 88×31 image the certifier sent, relative to the project")
    return Badge(web_address(keys["href"]) or "", Path(image), bilingual(keys["alt"]))


def web_address(node: Node) -> str | None:
    value = node.text()
    if value and (not value.startswith(("https://", "http://")) or NOT_IN_ADDRESSES.search(value)):
        node.fail(f"'{node.name}' must be a web address, not '{value}'",
                  "write it starting with https://, with no spaces or quotes")
    return value


def mail_address(node: Node) -> str | None:
    """An e-mail address, as the footer's mailto: link needs it."""
    value = node.text()
    if value and (not re.fullmatch(r"[^@]+@[^@]+\.[^@]+", value) or NOT_IN_ADDRESSES.search(value)):
        node.fail(f"'{node.name}' must be an e-mail address, not '{value}'", "write it as name@example.gov.tw")
    return value


def read_classification(node: Node) -> Classification:
    from .content import read_classification as read  # the same codes and checks as a plan's

    return read(node)


def bilingual(node: Node) -> Bilingual:
    keys = node.keys(("zh", "en")) or {}
    return Bilingual(*((keys[k].text() or "") if k in keys else "" for k in ("zh", "en")))
