"""The course site: the builder's strict mode, includes and figure cache; the pages in Chromium.

The whole site is built once per test session by `grade site --out DIR` in a subprocess, as a
learner runs it (figures cached in build/.site-cache, so only a cold cache trains anything); the
browser tests open its pages over file:// in Debian's headless Chromium via Playwright.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from html import unescape
from pathlib import Path

import pytest

from grader.cli import main as grade
from grader.curriculum import lessons
from grader.sitebuild import SiteError, build_site
from grader.sitebuild.figures import cache_key, make_figures, mnist_available, recipe
from grader.sitebuild.sources import _summary, python_functions
from tests.conftest import untouched_exercises, untouched_stub

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "build" / ".site-cache" / "figures"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
BUILD_TIMEOUT_S = 900  # a cold figure cache trains lessons 2 to 6 (about a minute on 2 cores)
MATH = re.compile(r"\$[^$\s][^$]*\$")  # inline or display math in a note


def grade_script() -> str:
    beside_python = Path(sys.executable).parent / "grade"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("grade")
    if found is None:
        pytest.fail("the grade script is not installed: run `pip install -e .` in the repository")
    return found


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The whole registry's site, built by `grade site` (strict: any missing page fails it)."""
    out = tmp_path_factory.mktemp("site") / "site"
    done = subprocess.run([grade_script(), "site", "--out", str(out)], cwd=REPO,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"grade site failed:\n{done.stdout}\n{done.stderr}"
    return out


def fake_repo(tmp_path: Path) -> Path:
    """A copy of the site's sources (no figures) to break in one place."""
    root = tmp_path / "repo"
    for folder in ("site", "course", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    untouched_exercises(root)
    return root


def build_fake(root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    build_site(out, root=root, figures=False, lessons=lessons()[:2])
    return out


# ---------------------------------------------------------------- the builder


def test_a_lesson_without_notes_fails_naming_the_file(tmp_path):
    root = fake_repo(tmp_path)
    (root / "course" / "lesson2_linear_regression" / "notes.md").unlink()
    with pytest.raises(SiteError, match=r"course/lesson2_linear_regression/notes\.md is missing"):
        build_fake(root, tmp_path)


def test_a_broken_internal_link_fails_naming_the_note(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson2_linear_regression" / "notes.md").open("a") as note:
        note.write("\nSee [lesson 9](lesson9.html) and [there](lesson1.html#nowhere).\n")
    with pytest.raises(SiteError, match=r"course/lesson2_linear_regression/notes\.md.*"
                                        r"broken link lesson9\.html"):
        build_fake(root, tmp_path)


def test_a_broken_anchor_fails(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson1_warmup" / "notes.md").open("a") as note:
        note.write("\nSee [there](lesson2.html#nowhere).\n")
    with pytest.raises(SiteError, match=r"course/lesson1_warmup/notes\.md.*"
                                        r"lesson2\.html has no #nowhere"):
        build_fake(root, tmp_path)


def test_a_remote_resource_fails(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson1_warmup" / "notes.md").open("a") as note:
        note.write('\n<img src="https://cdn.example.com/x.png" alt="x">\n')
    with pytest.raises(SiteError, match="from the network"):
        build_fake(root, tmp_path)


def test_a_missing_include_fails_naming_the_line(tmp_path):
    root = fake_repo(tmp_path)
    note = root / "course" / "lesson1_warmup" / "notes.md"
    lines = note.read_text().count("\n")
    note.write_text(note.read_text() + "<!-- include: exercises/nope.py -->\n")
    with pytest.raises(SiteError,
                       match=rf"course/lesson1_warmup/notes\.md:{lines + 1}: .*nope\.py"):
        build_fake(root, tmp_path)
    note.write_text(note.read_text().replace("nope.py", "lesson1_warmup.py#no_such"))
    with pytest.raises(SiteError, match="has no function no_such"):
        build_fake(root, tmp_path)


def test_a_missing_template_fails_naming_it(tmp_path):
    root = fake_repo(tmp_path)
    (root / "site" / "_check_box.html").unlink()
    with pytest.raises(SiteError, match=r"site/_check_box\.html is missing"):
        build_fake(root, tmp_path)


def test_an_include_shows_the_tested_code(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson2_linear_regression" / "notes.md").open("a") as note:
        note.write("\n<!-- include: solutions/lesson2_linear_regression.py#mse_loss -->\n")
    page = (build_fake(root, tmp_path) / "lesson2.html").read_text()
    assert "tf.reduce_mean(tf.square(y_pred - y_true))" in unescape(re.sub("<[^>]+>", "", page))


def test_grade_site_errors_are_one_line_with_exit_2(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    assert grade(["site", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file" in err


def math_in(note: str) -> int:
    """How many math spans a note holds, outside its code."""
    prose = re.sub(r"^(```|~~~).*?^\1", "", note, flags=re.S | re.M)
    prose = re.sub(r"`[^`]*`", "", prose)
    return len(MATH.findall(prose))


def test_the_whole_registry_builds_with_every_lesson_s_functions_checks_and_math(site):
    expected = {f"{lesson.name}.html" for lesson in lessons()} | {"index.html", "mapping.html"}
    assert {p.name for p in site.glob("*.html")} == expected
    home = (site / "index.html").read_text()
    for lesson in lessons():
        assert f'href="{lesson.name}.html"' in home, f"the home page has no link to {lesson.name}"
        page = (site / f"{lesson.name}.html").read_text()
        text = unescape(re.sub("<[^>]+>", "", page))
        for function in python_functions(untouched_stub(lesson.filename)):
            assert f'id="fn-{function.name}"' in page
            assert function.source in text, f"{lesson.name}: {function.name} is not the file's"
        for check in lesson.checks():
            assert f'id="check-{check.id}"' in page
        assert page.count("<details>") == len(lesson.checks())
        assert f"grade {lesson.name}" in text
        assert 'class="highlight"' in page
        spans = math_in(lesson.notes_path.read_text())
        assert page.count("<math") >= spans, f"{lesson.name}: {spans} math spans in its notes"
        prose = re.sub(r"<(pre|code|math|script)\b.*?</\1>", "", page, flags=re.S)
        assert "$" not in unescape(re.sub("<[^>]+>", "", prose)), f"{lesson.name}: raw math"
    assert "<math" in (site / "lesson2.html").read_text()
    assert "2016" in (site / "mapping.html").read_text()


def test_every_lesson_with_a_recipe_shows_its_figures(site):
    with_figures = [lesson for lesson in lessons() if recipe(lesson.stem) is not None]
    assert {lesson.name for lesson in with_figures} >= {f"lesson{n}" for n in range(2, 7)}
    mnist = mnist_available()
    for lesson in with_figures:
        page = (site / f"{lesson.name}.html").read_text()
        for figure in recipe(lesson.stem).FIGURES:
            png = site / "figures" / f"{lesson.name}-{figure.name}.png"
            block = page[page.index(f'id="figure-{figure.name}"'):]
            block = block[:block.index("</figure>")]
            if mnist or not figure.needs_mnist:
                assert f'src="figures/{png.name}"' in block, f"{lesson.name}: no {figure.name}"
                assert png.stat().st_size > 1000, f"{png.name} is nearly empty"
            else:
                assert 'class="figure-missing"' in block and "MNIST_DIR" in block
                assert not png.exists()


def test_without_mnist_the_pages_say_so_and_nothing_is_trained(tmp_path):
    needing = tuple(lesson for lesson in lessons() if recipe(lesson.stem) is not None
                    and all(figure.needs_mnist for figure in recipe(lesson.stem).FIGURES))
    assert {"lesson5", "lesson6"} <= {lesson.name for lesson in needing}
    report = build_site(tmp_path / "out", lessons=needing, figure_cache=tmp_path / "cache",
                        mnist=False)
    assert report.figure_lessons_made == 0 and report.figures == 0
    assert not (tmp_path / "cache").exists()
    for lesson in needing:
        page = (tmp_path / "out" / f"{lesson.name}.html").read_text()
        assert page.count('class="figure-missing"') == len(recipe(lesson.stem).FIGURES)
        assert "<img" not in page


def test_a_summary_that_introduces_a_list_ends_as_a_sentence(tmp_path):
    exercise = tmp_path / "lesson9_x.py"
    exercise.write_text('"""Lesson 9.\n\nKeras is today\'s API:\n\n  - one\n  - two\n"""\n')
    assert _summary(exercise) == "Keras is today's API."


def test_nothing_is_loaded_from_the_network(site):
    for path in site.rglob("*.html"):
        assert not re.search(r"""(src|href)=["'](https?:)?//""", path.read_text()), path


def test_a_rebuild_reuses_the_figures_and_is_fast(site, tmp_path):
    started = time.perf_counter()
    report = build_site(tmp_path / "again", figure_cache=CACHE)
    assert report.figure_lessons_made == 0
    assert time.perf_counter() - started < 15
    assert sorted(p.name for p in (tmp_path / "again" / "figures").iterdir()) == sorted(
        p.name for p in (site / "figures").iterdir()
    )


def test_two_builds_sharing_a_cold_cache_take_turns(tmp_path):
    """The second build waits for the first and finds its figures, instead of deleting them
    half-made or making them twice."""
    solution = REPO / "solutions" / "lesson2_linear_regression.py"
    outcomes: list[tuple[dict, int]] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            made = make_figures([("lesson2_linear_regression", solution)],
                                tmp_path / "cache", mnist=False)
            outcomes.append(made)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BUILD_TIMEOUT_S)
    assert not errors, errors
    assert sorted(made for _, made in outcomes) == [0, 1]
    (first, _), (second, _) = outcomes
    assert first == second
    for _figure, png in first["lesson2_linear_regression"]:
        assert png is not None and png.stat().st_size > 1000


def test_the_cache_key_follows_the_solution(tmp_path):
    solution = REPO / "solutions" / "lesson2_linear_regression.py"
    module = recipe("lesson2_linear_regression")
    changed = tmp_path / solution.name
    changed.write_text(solution.read_text() + "\n# changed\n")
    assert cache_key(solution, module, False) == cache_key(solution, module, False)
    assert cache_key(solution, module, False) != cache_key(changed, module, False)
    assert cache_key(solution, module, False) != cache_key(solution, module, True)


# ---------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: apt-get install -y chromium chromium-driver")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, url: str, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}"))
    page.goto(url)
    return context, page, problems


def test_every_page_loads_without_errors_and_its_images_load(site, browser):
    pages = sorted(site.glob("*.html"))
    assert len(pages) == len(lessons()) + 2
    shown = {f"{lesson.name}.html": len(recipe(lesson.stem).FIGURES) if mnist_available() else
             sum(not figure.needs_mnist for figure in recipe(lesson.stem).FIGURES)
             for lesson in lessons() if recipe(lesson.stem) is not None}
    context = browser.new_context()
    for path in pages:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m, p=problems: p.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error, p=problems: p.append(str(error)))
        page.on("requestfailed", lambda r, p=problems: p.append(f"failed to load {r.url}"))
        page.goto(path.as_uri(), wait_until="load")
        assert problems == [], f"{path.name}: {problems}"
        broken = page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], f"{path.name}: images that did not load: {broken}"
        figures = page.evaluate("document.querySelectorAll('#figures img').length")
        assert figures == shown.get(path.name, 0), f"{path.name}: {figures} figures shown"
        page.close()
    context.close()


def test_search_finds_a_lesson_by_a_word_in_its_text(site, browser):
    context, page, problems = open_page(browser, (site / "index.html").as_uri())
    page.fill("#search-input", "fibonacci")
    results = page.locator("#search-results a")
    assert results.count() >= 1
    assert "Lesson 1" in results.first.inner_text()
    page.fill("#search-input", "cross-entropy softmax")
    titles = page.locator("#search-results a").all_inner_texts()
    assert any("Lesson 3" in title for title in titles)
    page.fill("#search-input", "fibonacci")
    page.locator("#search-results a").first.click()
    page.wait_for_load_state()
    assert page.url.split("/")[-1].startswith("lesson1.html")
    assert problems == []
    context.close()


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(site, browser):
    context, page, _ = open_page(browser, (site / "lesson2.html").as_uri(), color_scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    context.close()

    context, page, problems = open_page(browser, (site / "lesson2.html").as_uri(),
                                        color_scheme="light")
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    light = page.evaluate(background)
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) != light
    page.goto((site / "lesson3.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert problems == []
    context.close()


def test_a_screenshot_is_not_blank_and_a_phone_needs_no_sideways_scrolling(site, browser):
    from io import BytesIO

    from matplotlib.image import imread

    context, page, _ = open_page(browser, (site / "lesson3.html").as_uri(),
                                 viewport={"width": 390, "height": 844})
    pixels = imread(BytesIO(page.screenshot()), format="png")
    assert pixels.std() > 0.05, "the screenshot is blank"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than a phone"
    context.close()
