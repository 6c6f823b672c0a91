"""Lesson notes to HTML: markdown-it-py, math as MathML (latex2mathml), code through Pygments.

Notes may include code from the tested files instead of pasting it, with a line of its own::

    <!-- include: exercises/lesson2_regression.py#predict -->

(the whole file without ``#name``). A missing file or function fails the build naming the note.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import latex2mathml.converter
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from grader.errors import SetupError
from grader.sitebuild.code import highlight
from grader.sitebuild.errors import SiteError
from grader.sitebuild.sources import Paths, python_functions
from grader.stubs import course_text

INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<path>[^#\s]+)(?:#(?P<name>\w+))?\s*-->\s*$")


@dataclass
class Heading:
    level: int
    id: str
    text: str


@dataclass
class RenderedNotes:
    """A note as HTML, with its title, its headings and its plain text (for search)."""

    title: str
    html: str
    headings: list[Heading] = field(default_factory=list)
    text: str = ""
    includes: list[str] = field(default_factory=list)


TEXT = re.compile(r"\\(text)\{([^{}]*)\}")


def _math(latex: str, options: dict) -> str:
    display = "block" if options.get("display_mode") else "inline"
    # latex2mathml keeps the backslash of an escaped underscore in text ("fan\_in")
    latex = TEXT.sub(lambda m: f"\\{m[1]}{{{m[2].replace(chr(92) + '_', '_')}}}", latex)
    try:
        mathml = latex2mathml.converter.convert(latex, display=display)
    except Exception as error:  # latex2mathml raises many types for bad LaTeX
        raise SiteError(f"cannot render the math ${latex}$: {error}") from None
    return draw_braces(fence_matrices(mathml))


# A matrix's delimiters, as latex2mathml writes them: <mo>(</mo><mtable>…</mtable><mo>)</mo>.
_FENCES = {"&#x00028;": ("&#x00029;", "paren"), "&#x0005B;": ("&#x0005D;", "bracket"),
           "&#x0007C;": ("&#x0007C;", "bar")}
_FENCED = re.compile(r"<mo>(?P<open>&#x00028;|&#x0005B;|&#x0007C;)</mo><mtable>")


def fence_matrices(mathml: str) -> str:
    """Matrix delimiters drawn by the matrix's own box (CSS ``mtable.fence``).

    A stretched ``<mo>`` needs a font with an OpenType MATH table, which many machines lack
    (Chromium then draws a one-line "(" beside a two-line matrix); borders of the ``mtable``
    always span its height.
    """
    out, position = [], 0
    for match in _FENCED.finditer(mathml):
        if match.start() < position:
            continue
        close, kind = _FENCES[match["open"]]
        end = _matching_end(mathml, match.end())
        closing = f"</mtable><mo>{close}</mo>"
        if end < 0 or not mathml.startswith(closing, end):
            continue
        out.append(mathml[position:match.start()])
        out.append(f'<mtable class="fence {kind}">')
        out.append(fence_matrices(mathml[match.end():end]))
        out.append("</mtable>")
        position = end + len(closing)
    out.append(mathml[position:])
    return "".join(out)


def _matching_end(mathml: str, start: int) -> int:
    """Where the ``</mtable>`` that closes the table opened just before ``start`` begins."""
    depth = 1
    for tag in re.finditer(r"<(/?)mtable\b[^>]*>", mathml[start:]):
        depth += -1 if tag[1] else 1
        if depth == 0:
            return start + tag.start()
    return -1


# \underbrace / \overbrace, as latex2mathml writes them: <munder>BASE<mo>⏟</mo></munder>.
_BRACES = {"munder": ("&#x23DF;", "underbrace"), "mover": ("&#x23DE;", "overbrace")}


def draw_braces(mathml: str) -> str:
    """Under- and overbraces drawn by their base's own box (CSS ``mrow.underbrace``).

    Like a matrix's delimiters, a stretched brace ``<mo>`` needs a math font, which many
    machines lack: Chromium then draws one tiny ⏟ under the middle of a wide base.
    """
    for tag, (brace, kind) in _BRACES.items():
        closing = f"<mo>{brace}</mo></{tag}>"
        while (end := mathml.find(closing)) >= 0:
            start = _matching_start(mathml, tag, end)
            if start < 0:
                break
            opener = mathml.index(">", start) + 1
            mathml = (f'{mathml[:start]}<mrow class="{kind}">{mathml[opener:end]}</mrow>'
                      f"{mathml[end + len(closing):]}")
    return mathml


def _matching_start(mathml: str, tag: str, end: int) -> int:
    """Where the ``<tag>`` that the ``</tag>`` just after ``end`` closes begins (-1: none)."""
    depth = 1
    for found in reversed(list(re.finditer(rf"<(/?){tag}\b[^>]*>", mathml[:end]))):
        depth += 1 if found[1] else -1
        if depth == 0:
            return found.start()
    return -1


def _highlight_fence(code: str, lang: str, _attrs: str) -> str:
    return highlight(code, lang or "text")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "highlight": _highlight_fence}).enable("table")
    md.use(dollarmath_plugin, allow_digits=False, renderer=_math)
    md.use(anchors_plugin, min_level=2, max_level=3)
    return md


def _untouched_source(paths: Paths, target: Path) -> bool:
    """An exercise file whose stub comes from its solution (it need not exist itself)."""
    return (target.parent == paths.root / "exercises"
            and (paths.root / "solutions" / target.name).is_file())


def expand_includes(text: str, source: Path, paths: Paths) -> tuple[str, list[str]]:
    """Replace every include line by a fenced block of the file's (or function's) text."""
    out, included = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        match = INCLUDE.match(line.strip())
        if not match:
            out.append(line)
            continue
        where = f"{paths.relative(source)}:{number}"
        target = (paths.root / match["path"]).resolve()
        untouched = _untouched_source(paths, target)
        if not target.is_relative_to(paths.root) or not (target.is_file() or untouched):
            raise SiteError(f"{where}: the included file {match['path']} does not exist")
        try:
            code = course_text(paths.root, target)
        except SetupError as error:
            raise SiteError(str(error)) from None
        if match["name"]:
            functions = {f.name: f for f in python_functions(target, code)}
            if match["name"] not in functions:
                raise SiteError(
                    f"{where}: {match['path']} has no function {match['name']} to include"
                )
            code = functions[match["name"]].source
        included.append(paths.relative(target))
        fence = "~~~~" if "```" in code else "```"
        lang = "python" if target.suffix == ".py" else ""
        out.extend([f"{fence}{lang}", code.rstrip("\n"), fence])
    return "\n".join(out) + "\n", included


def render_notes(text: str, source: Path, paths: Paths) -> RenderedNotes:
    """Render a lesson note; the first ``# heading`` becomes the title, not part of the body."""
    expanded, included = expand_includes(text, source, paths)
    md = _parser()
    try:
        tokens = md.parse(expanded)
    except SiteError as error:
        raise SiteError(f"{paths.relative(source)}: {error}") from None
    title = ""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        title = tokens[1].content
        tokens = tokens[3:]
    headings, words = [], []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[index + 1]
            headings.append(Heading(int(token.tag[1]), str(token.attrs.get("id", "")),
                                    inline.content))
        if token.type == "inline":
            words.append(plain(token.content))
        elif token.type in ("fence", "code_block", "math_block"):
            words.append(token.content)
    try:
        body = md.renderer.render(tokens, md.options, {})
    except SiteError as error:
        raise SiteError(f"{paths.relative(source)}: {error}") from None
    body = fold_instructor_sections(body)
    return RenderedNotes(title, body, headings, " ".join(" ".join(words).split()), included)


INSTRUCTORS = re.compile(r"^calibration\b", re.IGNORECASE)
_H2 = re.compile(r"<h2\b[^>]*>(?P<text>.*?)</h2>", re.DOTALL)


def fold_instructor_sections(body: str) -> str:
    """Each ``## Calibration…`` section folded in ``<details>``: it is for instructors.

    The convention: a level-2 heading that starts with "Calibration" (e.g. "Calibration (for
    instructors)") opens a section that the page shows closed, up to the next level-2 heading.
    """
    starts = [m for m in _H2.finditer(body)]
    if not any(INSTRUCTORS.match(plain(html.unescape(re.sub("<[^>]+>", "", m["text"]))))
               for m in starts):
        return body
    out, position = [body[:starts[0].start()]], starts[0].start()
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        text = plain(html.unescape(re.sub("<[^>]+>", "", match["text"])))
        if INSTRUCTORS.match(text):
            out.append(f'<details class="instructors">\n<summary>{match.group(0)}'
                       '<span class="for">for instructors</span></summary>\n'
                       f"{body[match.end():end]}</details>\n")
        else:
            out.append(body[match.start():end])
        position = end
    out.append(body[position:])
    return "".join(out)


def plain(inline: str) -> str:
    """Markdown inline text without its markup, for the search index."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", inline)
    return html.unescape(re.sub(r"[`*_$\\]", "", text))


def inline(text: str) -> str:
    """One line of markdown (a hint, a check title) as inline HTML."""
    md = MarkdownIt("commonmark", {"html": False})
    md.use(dollarmath_plugin, allow_digits=False, renderer=_math)
    return md.renderInline(text)
