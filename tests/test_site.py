"""The course site: the builder's strict mode, includes and figure cache; the pages in Chromium.

The site is built once per module (figures cached in build/.site-cache, as `grade site` does);
the browser tests open its pages over file:// in Debian's headless Chromium via Playwright.
"""

from __future__ import annotations

import re
import shutil
import time
from html import unescape
from pathlib import Path

import pytest

from grader.cli import main as grade
from grader.curriculum import lessons
from grader.sitebuild import SiteError, build_site
from grader.sitebuild.figures import cache_key, recipe
from grader.sitebuild.sources import python_functions

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "build" / ".site-cache" / "figures"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def written() -> tuple:
    """The lessons whose notes exist (a lesson being written has checks before its notes)."""
    return tuple(lesson for lesson in lessons() if (REPO / "course" / f"{lesson.name}.md").exists())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(out, lessons=written(), figure_cache=CACHE)
    return out


def fake_repo(tmp_path: Path) -> Path:
    """A copy of the site's sources (no figures) to break in one place."""
    root = tmp_path / "repo"
    for folder in ("site", "course", "exercises", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def build_fake(root: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    build_site(out, root=root, figures=False, lessons=written()[:2])
    return out


# ---------------------------------------------------------------- the builder


def test_a_lesson_without_notes_fails_naming_the_file(tmp_path):
    root = fake_repo(tmp_path)
    (root / "course" / "lesson2.md").unlink()
    with pytest.raises(SiteError, match=r"course/lesson2\.md is missing"):
        build_fake(root, tmp_path)


def test_a_broken_internal_link_fails_naming_the_note(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson2.md").open("a") as note:
        note.write("\nSee [lesson 9](lesson9.html) and [there](lesson1.html#nowhere).\n")
    with pytest.raises(SiteError, match=r"course/lesson2\.md.*broken link lesson9\.html"):
        build_fake(root, tmp_path)


def test_a_broken_anchor_fails(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson1.md").open("a") as note:
        note.write("\nSee [there](lesson2.html#nowhere).\n")
    with pytest.raises(SiteError, match=r"course/lesson1\.md.*lesson2\.html has no #nowhere"):
        build_fake(root, tmp_path)


def test_a_remote_resource_fails(tmp_path):
    root = fake_repo(tmp_path)
    with (root / "course" / "lesson1.md").open("a") as note:
        note.write('\n<img src="https://cdn.example.com/x.png" alt="x">\n')
    with pytest.raises(SiteError, match="from the network"):
        build_fake(root, tmp_path)


def test_a_missing_include_fails_naming_the_line(tmp_path):
    root = fake_repo(tmp_path)
    note = root / "course" / "lesson1.md"
    lines = note.read_text().count("\n")
    note.write_text(note.read_text() + "<!-- include: exercises/nope.py -->\n")
    with pytest.raises(SiteError, match=rf"course/lesson1\.md:{lines + 1}: .*nope\.py"):
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
    with (root / "course" / "lesson2.md").open("a") as note:
        note.write("\n<!-- include: solutions/lesson2_linear_regression.py#mse_loss -->\n")
    page = (build_fake(root, tmp_path) / "lesson2.html").read_text()
    assert "tf.reduce_mean(tf.square(y_pred - y_true))" in unescape(re.sub("<[^>]+>", "", page))


def test_grade_site_errors_are_one_line_with_exit_2(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    assert grade(["site", "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a file" in err


def test_every_lesson_page_shows_its_stubs_checks_and_math(site):
    for lesson in written():
        page = (site / f"{lesson.name}.html").read_text()
        text = unescape(re.sub("<[^>]+>", "", page))
        for function in python_functions(REPO / "exercises" / lesson.filename):
            assert f'id="fn-{function.name}"' in page
            assert function.source in text, f"{lesson.name}: {function.name} is not the file's"
        for check in lesson.checks():
            assert f'id="check-{check.id}"' in page
        assert page.count("<details>") == len(lesson.checks())
        assert f"grade {lesson.name}" in text
        assert 'class="highlight"' in page
    assert "<math" in (site / "lesson2.html").read_text()
    assert "2016" in (site / "mapping.html").read_text()


def test_nothing_is_loaded_from_the_network(site):
    for path in site.rglob("*.html"):
        assert not re.search(r"""(src|href)=["'](https?:)?//""", path.read_text()), path


def test_a_rebuild_reuses_the_figures_and_is_fast(site, tmp_path):
    started = time.perf_counter()
    report = build_site(tmp_path / "again", lessons=written(), figure_cache=CACHE)
    assert report.figure_lessons_made == 0
    assert time.perf_counter() - started < 15
    assert sorted(p.name for p in (tmp_path / "again" / "figures").iterdir()) == sorted(
        p.name for p in (site / "figures").iterdir()
    )


def test_the_cache_key_follows_the_solution(tmp_path):
    solution = REPO / "solutions" / "lesson2_linear_regression.py"
    module = recipe("lesson2_linear_regression")
    changed = tmp_path / solution.name
    changed.write_text(solution.read_text() + "\n# changed\n")
    assert cache_key(solution, module, False) == cache_key(solution, module, False)
    assert cache_key(solution, module, False) != cache_key(changed, module, False)
    assert cache_key(solution, module, False) != cache_key(solution, module, True)


def test_lesson2_has_its_figures(site):
    page = (site / "lesson2.html").read_text()
    for name in ("fit", "loss", "surface"):
        assert f'src="figures/lesson2-{name}.png"' in page
        assert (site / "figures" / f"lesson2-{name}.png").stat().st_size > 1000


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
    assert len(pages) == len(written()) + 2
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
