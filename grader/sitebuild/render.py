"""Render the gathered site with the jinja2 templates of ``site/`` (strict: unknown names fail)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader.sitebuild.errors import SiteError


@dataclass(frozen=True)
class Page:
    """One page to render: its file name, template, source (for messages) and context."""

    name: str
    template: str
    source: str
    context: dict


def environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_pages(templates: Path, pages: list[Page], common: dict) -> dict[str, str]:
    """Each page's HTML; a missing template or include, or an unknown name, is a SiteError."""
    env = environment(templates)
    rendered = {}
    for page in pages:
        try:
            template = env.get_template(page.template)
            rendered[page.name] = template.render(**common, **page.context, page_name=page.name)
        except jinja2.TemplateNotFound as error:
            raise SiteError(
                f"site/{error.name} is missing (needed by site/{page.template} for {page.name})"
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise SiteError(
                f"site/{error.name or page.template}:{error.lineno}: {error.message}"
            ) from None
        except jinja2.UndefinedError as error:
            raise SiteError(f"site/{page.template} (page {page.name}): {error.message}") from None
    return rendered


def search_index_js(entries: list[dict]) -> str:
    """The search index as a script (``window.SEARCH_INDEX``), so it loads from ``file://``."""
    payload = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    safe = payload.replace("</", "<\\/")
    return f"window.SEARCH_INDEX = {safe};\n"
