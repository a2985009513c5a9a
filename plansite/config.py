"""The site configuration (``site.yml``): settings that belong to the publisher, not a plan.

Read with the same line-aware YAML reader as plan metadata, so a mistake in the
configuration is reported like a mistake in content: ``site.yml:LINE: … — …``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .classification import read_classification  # the same codes and checks as a plan's
from .errors import ContentError, Report
from .inputs import TooBig, Unreadable, inside, read_setting, read_source
from .model import Classification
from .project import CONFIG_FILE, IGNORED
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
    report = Report(CONFIG_FILE)
    text = read_setting(project, CONFIG_FILE, report)
    if text is None and not report.problems:
        report.fail(1, "the site configuration file is missing",
                    f"create {CONFIG_FILE} (see 'Site configuration' in README.md)")
    guide = "README.md ('Site configuration')"
    root = read_yaml(text, report, guide=guide) if text is not None else None
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


IMAGES = {".png": (b"\x89PNG\r\n\x1a\n",), ".gif": (b"GIF87a", b"GIF89a"), ".jpg": (b"\xff\xd8\xff",),
          ".jpeg": (b"\xff\xd8\xff",)}
"""The badge's image types, by file name ending, with how such a file starts. Not SVG: a
picture that can hold a script is no badge."""
MAX_BADGE_BYTES = 1_000_000
"""An 88×31 badge is a few KB."""
BADGE_HINT = "give the path of the 88×31 image the certifier sent (PNG, GIF or JPEG), relative to the project"


def site_address(node: Node) -> str:
    """``base_url`` as every output can carry it (pages, sitemap.xml, robots.txt, feeds, the
    PDF's QR code): the absolute http(s) address of a folder, ending in '/', without query,
    fragment, spaces or quotes, in ASCII (a Chinese path percent-encoded, a Chinese host name
    in punycode), since every page's address is this plus a path."""
    value = node.text() or ""
    try:  # urlsplit itself refuses an unclosed IPv6 address ('https://[::1/'); .port a bad port
        parts = urlsplit(value)
        port = f":{parts.port}" if parts.port else ""
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        parts, host = urlsplit(""), ""
    if value and (parts.scheme not in ("https", "http") or not host_name(host) or "@" in parts.netloc
                  or NOT_IN_ADDRESSES.search(value) or re.search("[?#]", value)
                  or re.search("%(?![0-9A-Fa-f]{2})", value)  # a '%' is always a byte's code, '%2F'
                  # the folder as it is named, not a way there ('%2e%2e' is '..' to a browser)
                  or {".", ".."} & set(unquote(parts.path).split("/"))):
        node.fail(f"'base_url' must be the web address of the site's folder, not '{value}'",
                  "write the site's public address, e.g. https://www.example.gov.tw/plans/ "
                  "(no spaces, no ? or #, no . or .. folders, '%' only as in %E8)")
        return ""
    if not value:
        return ""
    path = quote(parts.path, safe="/%!$&'()*+,;=:@-._~").rstrip("/") + "/"
    return urlunsplit((parts.scheme, (f"[{host}]" if ":" in host else host) + port, path, "", ""))


def read_badge(node: Node, project: Path) -> Badge | None:
    keys = node.keys(("href", "image", "alt"))
    if keys is None or len(keys) < 3:
        return None
    image = keys["image"].text() or ""
    data = None
    if image:
        data = project_file(keys["image"], project, "the badge image", MAX_BADGE_BYTES, BADGE_HINT)
    if data is not None:  # an empty file too is checked (and is no image)
        kind = Path(image).suffix.lower()
        actual = next((suffix for suffix, starts in IMAGES.items() if data.startswith(starts)), None)
        if actual is None:
            keys["image"].fail(f"the badge image '{image}' is not a PNG, GIF or JPEG image", BADGE_HINT)
        elif kind not in IMAGES or IMAGES[kind] != IMAGES[actual]:
            keys["image"].fail(f"the badge image '{image}' is a {actual[1:].upper()} image, but its name "
                               f"does not end in {actual}", f"rename it to end in {actual}")
        elif (size := picture_size(data)) is None:
            keys["image"].fail(f"the badge image '{image}' cannot be read as an image (a damaged file?)",
                               BADGE_HINT)
        elif abs(size[0] * BADGE_SIZE[1] - size[1] * BADGE_SIZE[0]) > 0.03 * size[1] * BADGE_SIZE[0]:
            keys["image"].fail(f"the badge image '{image}' is {size[0]}×{size[1]} pixels, but the pages "
                               "show it at 88×31, so it would be drawn out of shape", BADGE_HINT)
        elif size[0] > BADGE_SIZE[0] * 4:
            keys["image"].fail(f"the badge image '{image}' is {size[0]}×{size[1]} pixels, but the pages "
                               "show it at 88×31: every reader's browser would decode it whole to draw it "
                               "that small", BADGE_HINT)
        elif not whole_picture(data):
            keys["image"].fail(f"the badge image '{image}' is cut short (a download that did not finish?)",
                               BADGE_HINT)
    return Badge(web_address(keys["href"]) or "", Path(image), bilingual(keys["alt"]))


BADGE_SIZE = (88, 31)
"""The size, in CSS pixels, at which the pages show the badge (the size certifiers send it in):
an image of another shape is drawn out of shape; a larger one of the same shape (176×62) is sharp."""


def picture_size(data: bytes) -> tuple[int, int] | None:
    """The width and height in pixels of a PNG, GIF or JPEG image (from its header, nothing
    decoded), or None when it cannot be read."""
    import io
    import warnings

    from PIL import Image  # only when a badge is given: most builds need no picture read

    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as picture:
            warnings.simplefilter("ignore")  # a huge picture is refused for its size, not warned of
            return picture.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def whole_picture(data: bytes) -> bool:
    """Whether the picture decodes to its last pixel (a file cut short has its header, and so
    its size, but not all its pixels). Asked only of a picture of the badge's size."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
        return True
    except (OSError, ValueError, SyntaxError):
        return False


def project_file(node: Node, project: Path, what: str, limit: int, hint: str) -> bytes | None:
    """The bytes of the file a setting names (relative to the project), or None with the
    problem at the setting's line: a path leading out of the project (itself or through a
    link), no ordinary file (a pipe, a folder, a device, a dangling link), unreadable, too big."""
    value = node.text() or ""
    path = project / value
    shown = f"{what} '{value}'"
    if Path(value).is_absolute() or not inside(project, path.parent if path.is_symlink() else path):
        node.fail(f"{shown} is outside the project", f"copy it into the project; {hint}")
    elif (top := Path(value).parts[0] if Path(value).parts else "") in IGNORED:
        node.fail(f"{shown} lies in {top}/, a folder builds do not watch (a change to it would not be "
                  "published)", f"move it into templates/ or content/; {hint}")
    elif not inside(project, path):
        node.fail(f"{shown} is a link to a file outside the project",
                  f"copy the file itself into the project; {hint}")
    else:
        try:
            return read_source(path, limit)
        except TooBig as error:
            node.fail(f"{shown} {error.what}; it may be at most {limit // 1_000_000} MB", hint)
        except Unreadable as error:
            node.fail(f"{shown} {error.what}", hint if error.what == "does not exist" else error.hint)
    return None


NOT_IN_ADDRESSES = re.compile(r'[\s"<>\\^`{|}]')
"""What a web address cannot hold (RFC 3986): white space, quotes, angle brackets and the like."""


def web_address(node: Node, hint: str = "write it starting with https://") -> str | None:
    """A web address fit for a link, the site map and robots.txt alike."""
    value = node.text()
    if not value:
        return value
    if not value.startswith(("https://", "http://")):
        node.fail(f"'{node.name}' must be a web address, not '{value}'", hint)
    elif found := NOT_IN_ADDRESSES.search(value):
        shown = "a space" if found[0] == " " else "white space" if found[0].isspace() else f"'{found[0]}'"
        node.fail(f"'{node.name}' is not a web address: it contains {shown}",
                  "write the address as the browser's address bar shows it (a space is %20)")
    elif not host(value):
        node.fail(f"'{node.name}' is not a web address: it names no host", hint)
    return value


MAILBOX = re.compile(r"[A-Za-z0-9!$'*+/=^_`{|}~.-]+")
"""The part of an e-mail address before '@' as the footer's mailto: link can carry it whole:
no '?' or '&', which a mail program reads as a subject or body, no ',' (a second address), no
'#' (the link would end there) or '%' (a byte's code in a link)."""


def mail_address(node: Node) -> str | None:
    """An e-mail address, as the footer's mailto: link needs it: name@host, the host of
    labels of letters, digits and hyphens (a Chinese one in punycode), at least two."""
    value = node.text()
    if not value:
        return value
    local, _, domain = value.rpartition("@")
    if value.lower().startswith("mailto:"):
        node.fail(f"'{node.name}' is an e-mail address without 'mailto:', not '{value}'",
                  f"write it as {value[7:]}: the page makes the mailto: link")
    elif (not MAILBOX.fullmatch(local) or local.startswith(".") or ".." in local or ":" in domain
          or not host_name(domain) or "." not in domain):
        node.fail(f"'{node.name}' must be an e-mail address, not '{value}'",
                  "write it as name@example.gov.tw (no spaces, ?, &, # or second address; a Chinese host "
                  "name in punycode, as xn--nnx388a.tw for 臺灣.tw)")
    return value


LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", re.IGNORECASE)
"""One part of a host name between dots: letters, digits and hyphens, no hyphen at either end."""


def host_name(host: str) -> bool:
    """Whether ``host`` is a host name a browser can reach: labels (:data:`LABEL`), or an IP
    address (an IPv6 one, as urlsplit gives it, without its brackets)."""
    labels = host.removesuffix(".").split(".")  # 'www.example.gov.tw.' is the same host, fully written
    return bool(host) and (":" in host or all(LABEL.fullmatch(label) for label in labels))


def host(address: str) -> str | None:
    try:
        return urlsplit(address).hostname
    except ValueError:  # e.g. 'https://[' (an unclosed IPv6 address)
        return None


def bilingual(node: Node) -> Bilingual:
    keys = node.keys(("zh", "en")) or {}
    return Bilingual(*((keys[k].text() or "") if k in keys else "" for k in ("zh", "en")))
