"""Strict checks of the rendered site: every internal link and anchor resolves; nothing remote."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from grader.sitebuild.errors import SiteError


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            if name in ("href", "src"):
                self.refs.append((tag, name, value))


def check_links(pages: dict[str, str], files: set[str], sources: dict[str, str]) -> None:
    """Fail on the first broken link of ``pages`` (name → HTML), naming the page's source.

    ``files`` are the other files of the site (static assets, figures); ``sources`` maps a page
    to the file it was made from (``lesson2.html`` → ``course/<lesson>/notes.md``).
    """
    scans = {}
    for name, text in pages.items():
        scan = _Scan()
        scan.feed(text)
        scans[name] = scan
    for name, scan in scans.items():
        where = f"{sources.get(name, 'site/')} (page {name})"
        for tag, attribute, url in scan.refs:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if tag == "a" and attribute == "href":
                    continue  # a link the reader may follow; nothing is loaded from it
                raise SiteError(f"{where}: loads {url} from the network; vendor it instead")
            if parts.scheme in ("mailto", "data", "javascript"):
                continue
            if parts.scheme:
                raise SiteError(f"{where}: unsupported link {url}")
            path = unquote(parts.path)
            here = posixpath.dirname(name)
            target = posixpath.normpath(posixpath.join(here, path)) if path else name
            if target not in pages and target not in files:
                raise SiteError(f"{where}: broken link {url}: the site has no {target}")
            if parts.fragment and target in scans and parts.fragment not in scans[target].ids:
                raise SiteError(f"{where}: broken link {url}: {target} has no #{parts.fragment}")
