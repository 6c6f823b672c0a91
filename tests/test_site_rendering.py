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
from tests.test_site import CHROMIUM, CHROMIUM_ARGS, open_page

REPO = Path(__file__).resolve().parents[1]
LONG_LINE = "x = " + " + ".join(f"value_number_{n}" for n in range(30))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The site of every lesson (no figures), with a long code line added to lesson 2's note."""
    root = tmp_path_factory.mktemp("rendering") / "repo"
    for folder in ("site", "course", "exercises", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    notes = root / "course" / "lesson2_linear_regression" / "notes.md"
    with notes.open("a", encoding="utf-8") as note:
        note.write(f"\n## A long line\n\n```python\n{LONG_LINE}\n```\n")
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
    details = page.locator("details.instructors")
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
    assert LONG_LINE.split(" + ")[-1] in page.locator("pre", has_text="value_number_0").inner_text()
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
