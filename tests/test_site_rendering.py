"""What a reader of the site sees (issue 10, item 5), in headless Chromium: instructors'
calibration folded, long code lines never cut off, matrix delimiters as tall as the matrix, no
path outside the repository; and a cold build says which figures it is making."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from grader.curriculum import lessons
from grader.sitebuild import build_site
from tests.conftest import untouched_exercises
from tests.test_site import CHROMIUM, CHROMIUM_ARGS, open_page

REPO = Path(__file__).resolve().parents[1]
LONG_LINE = "x = " + " + ".join(f"value_number_{n}" for n in range(30))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The site of every lesson (no figures), with a long code line added to lesson 2's note."""
    root = tmp_path_factory.mktemp("rendering") / "repo"
    for folder in ("site", "course", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    untouched_exercises(root)
    notes = root / "course" / "lesson2_linear_regression" / "notes.md"
    with notes.open("a", encoding="utf-8") as note:
        note.write(f"\n## A long line\n\n```python\n{LONG_LINE}\n```\n")
    solution = root / "solutions" / "lesson2_linear_regression.py"  # and in a numbered block
    solution.write_text(solution.read_text(encoding="utf-8").replace(
        "    ### BEGIN SOLUTION\n", f"    # {LONG_LINE}\n    ### BEGIN SOLUTION\n", 1),
        encoding="utf-8")
    out = root.parent / "out"
    build_site(out, root=root, figures=False)
    return out


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium chromium-driver")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_no_page_names_a_path_outside_the_repository(built) -> None:
    for page in built.glob("*.html"):
        assert "../shared" not in page.read_text(encoding="utf-8"), page.name


def test_calibration_sections_are_folded_for_instructors(built, browser) -> None:
    folded = 0
    for lesson in lessons():
        html = (built / f"{lesson.name}.html").read_text(encoding="utf-8")
        for section in re.findall(r"<h2[^>]*>\s*Calibration.*?</h2>", html, re.S):
            folded += 1
            before = html[:html.index(section)]
            assert before.rstrip().endswith("<summary>"), (lesson.name, section)
    assert folded >= 5  # lessons 2 to 6 each have one
    context, page, problems = open_page(browser, (built / "lesson3.html").as_uri())
    details = page.locator("details.instructors", has_text="Calibration")
    assert details.count() == 1
    body = details.locator("p").first
    assert not body.is_visible()  # closed: a learner reads past it
    details.locator("summary").click()
    assert body.is_visible()
    assert "for instructors" in details.locator("summary").inner_text()
    assert not problems, problems
    context.close()


@pytest.mark.parametrize("width", [1200, 390])
def test_long_code_lines_wrap_instead_of_being_cut(built, browser, width) -> None:
    context, page, _ = open_page(browser, (built / "lesson2.html").as_uri(),
                                 viewport={"width": width, "height": 900})
    hidden = page.evaluate("""() => [...document.querySelectorAll('pre')]
        .filter(pre => pre.scrollWidth > pre.clientWidth + 1).length""")
    assert hidden == 0, f"{hidden} code blocks hide text past their right edge at {width}px"
    for pre in page.locator("pre", has_text="value_number_0").all():
        assert LONG_LINE.split(" + ")[-1] in pre.inner_text()
    context.close()


@pytest.mark.parametrize("width", [1280, 400])
def test_numbered_code_wraps_under_its_own_text_not_under_the_numbers(built, browser,
                                                                      width) -> None:
    """Every piece of a code line, wrapped or not, starts right of the line numbers; the long
    line does wrap, under its own indentation."""
    context, page, problems = open_page(browser, (built / "lesson2.html").as_uri(),
                                        viewport={"width": width, "height": 900})
    lines = page.evaluate("""() => [...document.querySelectorAll('pre code .line')].map(line => {
        const number = line.querySelector('.ln').getBoundingClientRect();
        const range = document.createRange();
        range.setStartAfter(line.querySelector('.ln'));
        range.setEnd(line, line.childNodes.length);
        const rows = [...range.getClientRects()].filter(r => r.width > 0);
        return {text: range.toString(), numberRight: number.right,
                lefts: rows.map(r => r.left), tops: rows.map(r => Math.round(r.top))};
    })""")
    assert len(lines) > 20
    under = [(line["text"][:40], min(line["lefts"])) for line in lines
             if line["lefts"] and min(line["lefts"]) < line["numberRight"] - 0.5]
    assert not under, f"code under the line numbers at {width}px: {under}"
    long = next(line for line in lines if "value_number_29" in line["text"])
    rows = sorted(set(long["tops"]))
    assert len(rows) >= 2, "the long line should wrap"
    wrapped = {round(left) for left, top in zip(long["lefts"], long["tops"], strict=True)
               if top != rows[0]}
    assert min(wrapped) > long["numberRight"] + 2, (width, long["numberRight"], wrapped)
    assert not problems, problems
    context.close()


def test_code_uses_the_width_of_a_wide_window(built, browser) -> None:
    """At 1280 px the code reaches past nine tenths of the window (it stopped at 1056 px)."""
    context, page, _ = open_page(browser, (built / "lesson2.html").as_uri(),
                                 viewport={"width": 1280, "height": 900})
    right = page.evaluate("() => document.querySelector('pre code .line')"
                          ".closest('pre').getBoundingClientRect().right")
    assert right > 1280 * 0.9, right
    context.close()


def test_matrix_delimiters_stretch_to_the_matrix(built, browser, tmp_path) -> None:
    html = (built / "lesson1.html").read_text(encoding="utf-8")
    assert "<mtable" in html
    assert not re.search(r"<mo>&#x0002[89];</mo><mtable|</mtable><mo>&#x00029;</mo>", html)
    context, page, _ = open_page(browser, (built / "lesson1.html").as_uri())
    fences = page.locator("mtable.fence")
    assert fences.count() >= 3  # the Fibonacci step: three parenthesised matrices
    for index in range(fences.count()):
        box = fences.nth(index).evaluate("""m => { const s = getComputedStyle(m);
            const r = m.getBoundingClientRect();
            return {left: parseFloat(s.borderLeftWidth), right: parseFloat(s.borderRightWidth),
                    height: r.height, font: parseFloat(s.fontSize),
                    rows: m.querySelectorAll(':scope > mtr').length}; }""")
        assert box["left"] > 0 and box["right"] > 0, box
        # the delimiters are the table's borders: as tall as its rows, two rows or more
        assert box["rows"] >= 2 and box["height"] >= 1.8 * box["font"], box
    shot = tmp_path / "matrix.png"
    page.locator("math[display=block]").first.screenshot(path=str(shot))
    assert shot.stat().st_size > 1000
    context.close()


def test_underbraces_are_drawn_as_wide_as_what_they_brace(built, browser) -> None:
    """Lesson 9's record layout: each brace spans its base (a stretched ⏟ glyph would need a
    math font; without one Chromium drew a tiny glyph under the middle)."""
    html = (built / "lesson9.html").read_text(encoding="utf-8")
    assert "&#x23DF;" not in html and "\u23df" not in html
    context, page, _ = open_page(browser, (built / "lesson9.html").as_uri())
    braces = page.locator("mrow.underbrace")
    assert braces.count() == 4
    for index in range(braces.count()):
        box = braces.nth(index).evaluate("""m => { const s = getComputedStyle(m);
            const base = m.firstElementChild.getBoundingClientRect();
            const r = m.getBoundingClientRect();
            return {width: r.width, base: base.width, below: r.bottom - base.bottom,
                    font: parseFloat(s.fontSize), image: s.backgroundImage}; }""")
        assert box["width"] >= box["base"] > 0, box
        assert box["below"] >= 0.4 * box["font"], box  # room for the brace under the base
        assert box["image"].count("linear-gradient") == 4, box
    context.close()


@pytest.mark.parametrize("latex", [r"\underbrace{a + b}_{2}", r"\overbrace{a + b}^{2}",
                                   r"\underbrace{\underbrace{a}_{1} + b}_{2}",
                                   r"\underbrace{x}"])
def test_braces_become_the_base_s_own_box(latex) -> None:
    from grader.sitebuild.markdown import _math

    mathml = _math(latex, {"display_mode": True})
    assert "&#x23DF;" not in mathml and "&#x23DE;" not in mathml, mathml
    kind = "overbrace" if "over" in latex else "underbrace"
    assert mathml.count(f'<mrow class="{kind}">') == latex.count(kind), mathml
    assert mathml.count("<mrow") == mathml.count("</mrow>"), mathml


@pytest.mark.slow
def test_a_cold_build_says_which_figures_it_makes(tmp_path) -> None:
    heard: list[str] = []
    report = build_site(tmp_path / "site", figure_cache=tmp_path / "cache", mnist=False,
                        lessons=lessons()[:2], on_progress=heard.append)
    assert report.figure_lessons_made == 1
    assert heard and "making the figures" in heard[0]
    assert any("lesson2_linear_regression: fit" in line for line in heard), heard
    heard.clear()
    build_site(tmp_path / "site", figure_cache=tmp_path / "cache", mnist=False,
               lessons=lessons()[:2], on_progress=heard.append)
    assert heard == []  # a warm build has nothing to say
