"""The build: gather, validate, render, check links, then write the folder (in that order)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.audit import saved
from grader.curriculum import Lesson
from grader.sitebuild.code import highlight, stylesheet
from grader.sitebuild.errors import SiteError
from grader.sitebuild.figures import make_figures, mnist_available
from grader.sitebuild.links import check_links
from grader.sitebuild.markdown import RenderedNotes, inline, plain, render_notes
from grader.sitebuild.render import Page, render_pages, search_index_js
from grader.sitebuild.sources import LessonSource, Paths, find_paths, gather

MARKER = ".grade-site"  # marks a folder this builder made (and may therefore replace)
MAPPING_HEADING = re.compile(r"^2016\s*(→|->)")
MAX_SEARCH_TEXT = 20_000


@dataclass
class BuildReport:
    """What a build did: where, how many pages, which figures were made or came from the cache."""

    out: Path
    pages: list[str]
    figures: int = 0
    figure_lessons_made: int = 0
    figures_missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


def default_cache(paths: Paths) -> Path:
    return paths.root / "build" / ".site-cache" / "figures"


def build_site(
    out: Path | None = None,
    *,
    root: Path | None = None,
    figure_cache: Path | None = None,
    figures: bool = True,
    mnist: bool | None = None,
    lessons: tuple[Lesson, ...] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the course site into ``out`` (default ``build/site``); a SiteError if it cannot.

    Every lesson of the registry gets a page (or only ``lessons``); ``figure_cache`` defaults to
    ``build/.site-cache/figures``; ``mnist`` (default: whether MNIST is on this machine) says
    whether the figures that need it are made; ``on_progress`` hears which figures are being
    made (a cold cache runs the solutions: a minute or so).
    """
    started = time.perf_counter()
    paths = find_paths(root)
    out = Path(out) if out is not None else paths.root / "build" / "site"
    _check_out(out)

    sources = gather(paths, lessons)
    notes = {source.lesson.name: render_notes(source.notes, source.notes_path, paths)
             for source in sources}
    if mnist is None:
        mnist = mnist_available()
    made: dict = {}
    lessons_made = 0
    if figures:
        made, lessons_made = make_figures(
            [(s.lesson.stem, s.solution_path) for s in sources],
            figure_cache or default_cache(paths), mnist=mnist, on_progress=on_progress,
        )

    files: dict[str, Path | str] = {}  # site-relative name → source file or text
    for asset in sorted(paths.static.rglob("*")):
        if asset.is_file():
            files[f"static/{asset.relative_to(paths.static).as_posix()}"] = asset
    files["static/pygments.css"] = stylesheet()

    report = BuildReport(out=out, pages=[])
    lesson_contexts = []
    for source in sources:
        shown = []
        for figure, png in made.get(source.lesson.stem, []):
            src = None
            if png is not None:
                src = f"figures/{source.lesson.name}-{figure.name}.png"
                files[src] = png
                report.figures += 1
            else:
                report.figures_missing.append(f"{source.lesson.name}/{figure.name}")
            shown.append({"name": figure.name, "caption": inline(figure.caption),
                          "alt": figure.alt, "src": src})
        lesson_contexts.append(_lesson_context(source, notes[source.lesson.name], shown))

    nav = [{"name": c["name"], "number": c["number"], "title": c["title"], "page": c["page"]}
           for c in lesson_contexts]
    pages = [Page("index.html", "home.html", "site/home.html", {"lessons": lesson_contexts})]
    for index, context in enumerate(lesson_contexts):
        context["prev"] = nav[index - 1] if index > 0 else None
        context["next"] = nav[index + 1] if index + 1 < len(nav) else None
        pages.append(Page(context["page"], "lesson.html",
                          paths.relative(sources[index].notes_path), {"lesson": context}))
    mappings = [
        {"lesson": c, "sections": _mapping_sections(notes[c["name"]])} for c in lesson_contexts
    ]
    pages.append(Page("mapping.html", "mapping.html", "site/mapping.html",
                      {"mappings": [m for m in mappings if m["sections"]]}))
    files["static/search-index.js"] = search_index_js(
        _search_entries(lesson_contexts, notes, sources)
    )

    common = {"nav": nav, "course_title": "Intro to TensorFlow, auto-graded",
              "mnist_available": mnist}
    rendered = render_pages(paths.templates, pages, common)
    check_links(rendered, set(files), {p.name: p.source for p in pages})

    _write(out, rendered, files)
    report.pages = sorted(rendered)
    report.figure_lessons_made = lessons_made
    report.seconds = time.perf_counter() - started
    return report


def _lesson_context(source: LessonSource, notes: RenderedNotes, figures: list[dict]) -> dict:
    lesson = source.lesson
    return {
        "name": lesson.name,
        "number": lesson.number,
        "title": lesson.title,
        "heading": notes.title or f"Lesson {lesson.number} — {lesson.title}",
        "page": source.page,
        "summary": inline(source.summary.replace("``", "`")),
        "exercise": f"exercises/{lesson.filename}",
        "notes": notes.html,
        "headings": [{"id": h.id, "text": plain(h.text), "html": inline(h.text)}
                     for h in notes.headings if h.level == 2],
        "figures": figures,
        "functions": [
            {"name": f.name, "signature": f.signature, "summary": f.summary,
             "first_line": f.first_line, "last_line": f.last_line,
             "html": highlight(f.source, first_line=f.first_line)}
            for f in source.functions
        ],
        "checks": [
            {"id": c.id, "title": inline(c.title), "points": f"{c.points:g}",
             "hint": inline(c.hint)}
            for c in source.checks
        ],
        "points": f"{source.points:g}",
        "audit": saved.site_context(lesson),
    }


def _mapping_sections(notes: RenderedNotes) -> list[dict]:
    """The note's "2016 → TensorFlow 2" section(s), cut out of its HTML by heading id."""
    sections = []
    for heading in notes.headings:
        if heading.level == 2 and MAPPING_HEADING.match(heading.text) and heading.id:
            start = notes.html.find(f'id="{heading.id}"')
            body_start = notes.html.find("</h2>", start) + len("</h2>")
            ends = [i for i in (notes.html.find("<h2", body_start),
                                notes.html.find('<details class="instructors">', body_start))
                    if i != -1]
            end = min(ends) if ends else -1
            sections.append({"id": heading.id, "title": plain(heading.text),
                             "html": notes.html[body_start: end if end != -1 else None]})
    return sections


def _search_entries(contexts: list[dict], notes: dict[str, RenderedNotes],
                    lessons: tuple[LessonSource, ...]) -> list[dict]:
    entries = []
    for context, source in zip(contexts, lessons, strict=True):
        words = [notes[context["name"]].text, source.summary]
        words += [f"{f.signature} {f.summary}" for f in source.functions]
        words += [f"{c.title}" for c in source.checks]
        entries.append({
            "title": f"Lesson {context['number']}: {context['title']}",
            "url": context["page"],
            "text": " ".join(words)[:MAX_SEARCH_TEXT],
            "sections": [{"title": h["text"], "url": f"{context['page']}#{h['id']}"}
                         for h in context["headings"]],
        })
    return entries


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out} is a file: give --out a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SiteError(
            f"{out} is not empty and was not made by `grade site`: choose another --out folder"
        )


def _write(out: Path, pages: dict[str, str], files: dict[str, Path | str]) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("made by `grade site`; rebuilt from scratch on every build\n",
                              encoding="utf-8")
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
    for name, content in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")
