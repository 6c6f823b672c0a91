"""The framework: a course is a folder with a manifest, found by walking up or named; the grader
package holds no lesson; the learner process runs only the served course's probes; the grader
version follows the course's files; check-course flags learner-decided facts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader import course
from grader.authoring.checking import reported_problems
from grader.authoring.scaffold import new_course, new_lesson
from grader.batch.versions import grader_version
from grader.curriculum import _lessons_of, find_lesson, lessons
from grader.errors import UsageError
from grader.learner.failures import LearnerRaised
from grader.learner.session import LearnerSession
from grader.learner.wire import Array
from tests.conftest import REPO

BUILT_IN = [entry.stem for entry in course.load(REPO).entries]


def _grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    env.pop(course.ENV_VAR, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([str(Path(sys.executable).parent / "grade"), *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)


def test_the_built_in_course_is_a_course_like_any_other():
    assert [lesson.stem for lesson in lessons()] == BUILT_IN
    assert len(BUILT_IN) == 10
    for lesson in lessons():
        assert lesson.folder == REPO / "course" / lesson.stem
        assert lesson.notes_path.is_file() and lesson.check_path.is_file()
        assert lesson.package.startswith("tfcourse_")
    assert find_lesson("lesson10").logical_devices == 2
    assert find_lesson("lesson3").data == ("mnist",)


def test_nothing_in_the_grader_package_names_a_lesson():
    pattern = re.compile("|".join([*map(re.escape, BUILT_IN), r"grader\.lessons",
                                   r"grader/lessons"]))
    named = []
    for path in (REPO / "grader").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ini", ".tmpl", ".sh", ".toml", ".md", ""):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if pattern.search(line):
                    named.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not named, "\n".join(named)
    assert not (REPO / "grader" / "lessons").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("lessons = 3", "lessons must be a list"),
    ("[[lessons]]\nstem = \"warmup\"", "name it lessonN_topic"),
    ("[[lessons]]\nstem = \"lesson1_a\"\n[[lessons]]\nstem = \"lesson1_b\"", "share a number"),
    ("[[lessons]]\nstem = \"lesson1_a\"\ndata = [\"imagenet\"]", "a list of mnist"),
    ("[[lessons]]\nstem = \"lesson1_a\"\ncolour = 1", "unknown key 'colour'"),
    ("[defaults]\ncall_timeout = -1", "positive number"),
    ("[[lessons]]\nstem = \"lesson1_a\"\noptimize_graphs = \"no\"", "write true or false"),
    ("[defaults]\noptimize_graphs = 0", "write true or false"),
    ("name = ", "not valid TOML"),
])
def test_a_bad_manifest_is_one_line_that_says_what_to_fix(tmp_path, text, message):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "course.toml").write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)) as caught:
        course.load(tmp_path)
    assert "\n" not in str(caught.value) and "course.toml" in str(caught.value)


def test_optimize_graphs_is_the_lessons_else_the_courses_else_on(tmp_path):
    (tmp_path / "course").mkdir()
    manifest = tmp_path / "course" / "course.toml"
    lessons = ('[[lessons]]\nstem = "lesson1_a"\noptimize_graphs = false\n'
               '[[lessons]]\nstem = "lesson2_b"\n')
    manifest.write_text(lessons)
    loaded = course.load(tmp_path)
    assert [e.optimize_graphs for e in loaded.entries] == [False, None]
    assert loaded.optimize_graphs is True
    manifest.write_text("[defaults]\noptimize_graphs = false\n" + lessons)
    assert course.load(tmp_path).optimize_graphs is False


def test_the_course_is_found_from_any_folder_inside_it_or_named(tmp_path, monkeypatch):
    new_course(tmp_path / "mine")
    inner = tmp_path / "mine" / "exercises"
    monkeypatch.delenv(course.ENV_VAR, raising=False)
    monkeypatch.chdir(inner)
    try:
        assert course.active_root() == (tmp_path / "mine").resolve()
        assert [lesson.name for lesson in lessons()] == ["lesson1"]
        monkeypatch.chdir(tmp_path)  # outside any course: the one beside the grader
        assert course.active_root() == REPO
        course.use(tmp_path / "mine")  # --course DIR
        assert course.active_root() == (tmp_path / "mine").resolve()
        assert os.environ[course.ENV_VAR] == str((tmp_path / "mine").resolve())
        with pytest.raises(UsageError, match="not a course folder"):
            course.use(tmp_path)
    finally:
        course.use(None)
        _lessons_of.cache_clear()


def test_new_lesson_refuses_what_would_clash(tmp_path):
    new_course(tmp_path / "c")
    root = tmp_path / "c"
    with pytest.raises(UsageError, match="lessonN_topic"):
        new_lesson(root, "Embeddings", title="E")
    with pytest.raises(UsageError, match="lesson1 is lesson1_first_steps already"):
        new_lesson(root, "lesson1_other", title="E")
    with pytest.raises(UsageError, match="one-line title"):
        new_lesson(root, "lesson2_x", title="  ")
    new_lesson(root, "lesson2_embeddings", title='Say "hi"')
    assert [e.title for e in course.load(root).entries] == ["First steps with tensors",
                                                            'Say "hi"']
    with pytest.raises(UsageError, match="in the course already"):
        new_lesson(root, "lesson2_embeddings", title="Again")


def test_the_grader_version_follows_the_files_that_grade_and_only_them(tmp_path):
    root = tmp_path / "c"
    new_course(root)
    copy = tmp_path / "elsewhere"
    course.write_course(course.grading_files(course.load(root)), copy)

    def version(folder: Path) -> str:
        grader_version.cache_clear()  # a run computes it once; this test changes files
        return grader_version(_lessons_of(folder.resolve())[0])

    first = version(root)
    assert version(copy) == first  # content, not where the folder is: a Dask worker agrees
    (root / "course" / "lesson1_first_steps" / "notes.md").write_text("# Other notes\n")
    _lessons_of.cache_clear()
    assert version(root) == first  # the notes grade nothing
    (root / "course" / "lesson1.md").symlink_to("lesson1_first_steps/notes.md")
    _lessons_of.cache_clear()
    assert version(root) == first  # nor does a link to them beside the lessons' folders
    (root / "course" / "shared.py").write_text("SCALE = 2\n")
    _lessons_of.cache_clear()
    assert version(root) != first  # a file the lessons share can change a verdict
    (root / "course" / "shared.py").unlink()
    (root / "course" / "lesson1_first_steps" / "data.csv").write_text("1,2\n")
    _lessons_of.cache_clear()
    assert version(root) != first  # a data file of the lesson can change a verdict


def test_course_files_travel_only_inside_the_course_folder(tmp_path):
    with pytest.raises(ValueError, match="not a path inside course/"):
        course.write_course({"../evil.py": b"x"}, tmp_path)
    with pytest.raises(ValueError, match="not a path inside course/"):
        course.write_course({"solutions/x.py": b"x"}, tmp_path)


def test_the_learner_process_runs_only_the_course_probes(zygote, tmp_path):
    """A request naming any other module (the grader's own, the standard library's) is refused
    in the learner process, which imports nothing new for it."""
    path = tmp_path / "lesson1_warmup.py"
    path.write_text("def f():\n    return 1\n")
    with LearnerSession(zygote, path, module_name="lesson1_warmup") as session:
        assert session.run("lesson1_warmup:call", label="f()", seed=1, name="f", args=[]) == 1
        assert session.run("grader:call", label="f()", seed=1, name="f", args=[]) == 1
        session.course_package = "os"  # "os.lesson1_warmup.probes", or any other module
        with pytest.raises(LearnerRaised, match="unknown probe module"):
            session.run("lesson1_warmup:call", label="f()", seed=1, name="f", args=[])


def test_a_probe_answer_decided_by_the_learner_is_flagged_unless_declared():
    """The attack: a probe that answers "it converged: True"; its honest twin returns the loss
    values for the check to judge. Only the attack is flagged; declared, it is listed."""
    lesson = find_lesson("lesson1")
    check_id = next(info.id for info in lesson.checks() if not getattr(info, "reported", ()))
    declaring = next((info for info in lesson.checks() if getattr(info, "reported", ())), None)
    attack = [(check_id, "lesson1_warmup:converged", {"converged": True, "loss": 0.1})]
    counted = [(check_id, "lesson1_warmup:epochs", {"n_correct": 97})]
    honest = [(check_id, "lesson1_warmup:losses",
               {"losses": Array("ndarray", __import__("numpy").array([0.5, 0.1]))})]
    generic = [(check_id, "grader:call", True)]  # the graded function's own answer
    shapes = [(check_id, "lesson1_warmup:shapes", {"prediction_shape": [20], "n_rows": 20})]
    assert reported_problems(lesson, honest) == ([], [])
    assert reported_problems(lesson, generic) == ([], [])
    problems, _ = reported_problems(lesson, shapes)  # a shape is data; "n_rows" counts
    assert len(problems) == 1 and "'n_rows'" in problems[0], problems
    for replies in (attack, counted):
        problems, _ = reported_problems(lesson, replies)
        assert len(problems) == 1 and "decides about itself" in problems[0], problems
    if declaring is not None:  # declared by a check that receives it: listed, not a problem
        problems, declared = reported_problems(
            lesson, [*attack, (declaring.id, "lesson1_warmup:converged", {"converged": True})])
        assert problems == [] and declared and declaring.reported[0] in declared[0]


def test_a_release_without_reference_helpers_blames_the_learners_own(tmp_path):
    """In a release without reference.py, a check that ``uses`` a helper runs the learner's
    own, and says so when that helper fails its checks (lesson 2: train_step uses mse_loss)."""
    release = tmp_path / "student"
    done = _grade("release", "--out", str(release), "--without-reference", cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "kept out" in done.stdout and "lesson2" in done.stdout
    assert not list(release.glob("course/*/reference.py"))
    assert not (release / "solutions").exists() and not (release / "tests").exists()
    lesson = find_lesson("lesson2")
    source = (REPO / "solutions" / lesson.filename).read_text()
    broken = re.sub(r"(def mse_loss\(.*?\n)(.*?)### END SOLUTION",
                    lambda m: m.group(1) + "    return tf.constant(0.0)\n    ### END SOLUTION",
                    source, count=1, flags=re.S)
    (release / "exercises" / lesson.filename).write_text(broken)
    graded = _grade("lesson2", "--json", str(tmp_path / "r.json"), cwd=release)
    assert graded.returncode == 1, graded.stderr
    text = (tmp_path / "r.json").read_text()
    assert "depends on `mse_loss`" in text


def test_new_course_passes_its_own_check_and_its_release_grades(tmp_path):
    assert _grade("new-course", "mine", cwd=tmp_path).returncode == 0
    mine = tmp_path / "mine"
    checked = _grade("check-course", cwd=mine)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "consistent: 1 lesson(s)" in checked.stdout
    # a stale stub is one line that says how to fix it
    stub = mine / "exercises" / "lesson1_first_steps.py"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    stale = _grade("check-course", "--quick", cwd=mine)
    assert stale.returncode == 1
    assert "run `python -m grader.stubs" in stale.stdout
    release = _grade("release", "--out", str(tmp_path / "student"), cwd=mine)
    assert release.returncode == 0, release.stderr
    inside = _grade("lesson1", cwd=tmp_path / "student")
    assert inside.returncode == 1 and "0/1" in inside.stdout
    # grade reset works without solutions/: the release keeps the untouched stubs
    student_file = tmp_path / "student" / "exercises" / "lesson1_first_steps.py"
    untouched = student_file.read_text()
    student_file.write_text("def scale(x, factor):\n    return x\n")
    reset = _grade("reset", "lesson1", cwd=tmp_path / "student")
    assert reset.returncode == 0, reset.stderr
    assert student_file.read_text() == untouched


def test_course_dir_works_on_every_command_from_anywhere(tmp_path):
    new_course(tmp_path / "mine", title="Mine")
    (tmp_path / "mine" / "course" / "course.toml").write_text(
        (tmp_path / "mine" / "course" / "course.toml").read_text().replace(
            "logical_devices = 1", "logical_devices = 1\ncall_timeout = 7"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = _grade("list", "--course", str(tmp_path / "mine"), cwd=elsewhere)
    assert "First steps with tensors" in listed.stdout, listed.stderr
    assert "Warm-up" not in listed.stdout  # not the course beside the grader
    wrong = _grade("--course", str(elsewhere), "list", cwd=elsewhere)
    assert wrong.returncode == 2 and "not a course folder" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert _lessons_of((tmp_path / "mine").resolve())[0].call_timeout == 7


def test_an_external_courses_secrets_are_unreadable_and_its_probes_run(zygote, tmp_path):
    """A course folder anywhere: the learner process cannot read its solutions, its hidden
    checks or its lesson folder's files (the attack), while the same learner file's honest
    twin, which reads only its own folder, works; the generic probes still run."""
    root = tmp_path / "course-anywhere"
    new_course(root)
    (root / "hidden").mkdir()
    (root / "hidden" / "lesson1_first_steps.py").write_text("SECRET = 1\n")
    mine = tmp_path / "student" / "lesson1_first_steps.py"
    mine.parent.mkdir()
    mine.write_text("def read(path):\n    return open(path).read()\n\n"
                    "def own():\n    return open(__file__).read()[:3]\n")
    targets = [root / "solutions" / "lesson1_first_steps.py",
               root / "hidden" / "lesson1_first_steps.py",
               root / "course" / "lesson1_first_steps" / "checks.py"]
    with LearnerSession(zygote, mine, module_name="lesson1_first_steps", isolate=True,
                        course_package="unused") as session:
        assert session.run("grader:call", label="own()", seed=1, name="own") == "def"
        for target in targets:
            with pytest.raises(LearnerRaised, match=r"FileNotFoundError|PermissionError"):
                session.run("grader:call", label="read()", seed=1, name="read",
                            args=[str(target)])
