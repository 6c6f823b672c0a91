"""Figures made by running the reference solutions, in a subprocess, cached by content.

Each lesson with a figure recipe (``course/<stem>/figures.py``) gets a cache folder
``<cache>/<stem>/<key>/`` where the key hashes what its figures depend on: the solution file,
the recipe, the files of the grader it names in ``DEPENDS_ON`` (paths from the repository root:
a reference computation, a shipped network, the event reader), the worker, the plotting helpers,
and whether the lesson's figures used MNIST (with the MNIST loader then). A lesson's figures are
remade when, and only when, one of those changes; a rebuild with the same key copies the PNGs and
runs nothing; all stale lessons are made by one worker process (TensorFlow is imported once).

Figures that need MNIST are made only when the data is already on this machine (``MNIST_DIR``,
or Keras' cached ``mnist.npz``): the site build never downloads. Without it the page says so; a
lesson whose figures all need MNIST then starts no worker and leaves its cached figures alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from grader.sitebuild.errors import SiteError

FORMAT = "1"  # bump to remake every cached figure
WORKER_TIMEOUT = 900.0
_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parents[1]  # DEPENDS_ON paths start here: "grader/events.py"


@dataclass(frozen=True)
class Figure:
    """One picture of a lesson page."""

    name: str  # the PNG is <name>.png
    caption: str
    alt: str
    needs_mnist: bool = False


@dataclass(frozen=True)
class MadeFigure:
    """A figure as a page shows it: where its PNG is (site-relative), or why there is none."""

    figure: Figure
    src: str | None  # "figures/lesson2-fit.png", or None when it could not be made
    missing_reason: str = ""


def recipe(stem: str) -> ModuleType | None:
    """The recipe module of a lesson, or None when the lesson has no figures."""
    from grader.curriculum import find_lesson, lesson_part

    if not (find_lesson(stem).folder / "figures.py").is_file():
        return None
    return lesson_part(stem, "figures")


def mnist_available() -> bool:
    """Is MNIST already here (``MNIST_DIR`` or Keras' cache)? Never downloads."""
    folder = os.environ.get("MNIST_DIR", "").strip()
    if folder:
        path = Path(folder).expanduser()
        return (path / "mnist.npz").is_file() or any(path.glob("t10k-images*"))
    home = Path(os.environ.get("KERAS_HOME", "") or Path.home() / ".keras")
    return (home / "datasets" / "mnist.npz").is_file()


def dependencies(recipe_module: ModuleType, mnist: bool) -> list[Path]:
    """The grader's files a lesson's figures depend on, besides its solution."""
    files = [Path(recipe_module.__file__ or ""), _HERE / "_figure_worker.py", _HERE / "plot.py"]
    from grader.course import active_root

    for name in getattr(recipe_module, "DEPENDS_ON", ()):
        # a path from the course folder (course/<lesson>/...), else from the grader's (grader/...)
        path = next((base / name for base in (active_root(), _ROOT) if (base / name).is_file()),
                    _ROOT / name)
        if not path.is_file():
            raise SiteError(f"{recipe_module.__name__}.DEPENDS_ON names {name}, which is not a "
                            "file: give its path from the course folder (course/...) or the "
                            "grader's (grader/...)")
        files.append(path)
    if mnist:
        files.append(_ROOT / "grader" / "data" / "mnist.py")  # the grading split
    return files


def cache_key(solution: Path, recipe_module: ModuleType, mnist: bool) -> str:
    digest = hashlib.sha256(f"format {FORMAT} mnist {mnist}\n".encode())
    for path in (solution, *dependencies(recipe_module, mnist)):
        digest.update(f"{path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class FigureJob:
    stem: str
    solution: Path
    folder: Path  # the cache folder of this key
    figures: tuple[Figure, ...]


def make_figures(
    lessons: list[tuple[str, Path]], cache: Path, *, mnist: bool | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, list[tuple[Figure, Path | None]]], int]:
    """For each ``(stem, solution)``: its figures and their cached PNG (None: needs MNIST).

    ``on_progress`` hears, as a line of text, which figures are being made when any must be.

    Returns that and how many lessons had to be made (0 when everything came from the cache).
    Builds sharing ``cache`` take turns: the second finds what the first made.
    """
    mnist = mnist_available() if mnist is None else mnist
    jobs, results = [], {}
    for stem, solution in lessons:
        module = recipe(stem)
        if module is None:
            continue
        figures = tuple(module.FIGURES)
        if not mnist and all(figure.needs_mnist for figure in figures):
            # Nothing to make: no worker, and the cached MNIST figures stay for the next build.
            results[stem] = [(figure, None) for figure in figures]
            continue
        uses_mnist = mnist and any(figure.needs_mnist for figure in figures)
        folder = cache / stem / cache_key(solution, module, uses_mnist)
        jobs.append(FigureJob(stem, solution, folder, figures))
    if not jobs:
        return results, 0
    with _cache_lock(cache):
        made, made_now = _fill_cache(jobs, cache, mnist, on_progress)
    return {**results, **made}, made_now


@contextlib.contextmanager
def _cache_lock(cache: Path) -> Iterator[None]:
    """Hold the figure cache alone (an exclusive lock on a file in it) until the block ends."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fill_cache(
    jobs: list[FigureJob], cache: Path, mnist: bool,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, list[tuple[Figure, Path | None]]], int]:
    """Make what the cache lacks; each job's figures, from it, and how many jobs were made."""
    stale = [job for job in jobs if not (job.folder / "done.json").is_file()]
    if stale:
        _run_worker(stale, mnist, cache, on_progress)
    results: dict[str, list[tuple[Figure, Path | None]]] = {}
    for job in jobs:
        made: list[tuple[Figure, Path | None]] = []
        for figure in job.figures:
            png = job.folder / f"{figure.name}.png"
            if png.is_file():
                made.append((figure, png))
            elif figure.needs_mnist and not mnist:
                made.append((figure, None))
            else:
                raise SiteError(
                    f"course/{job.stem}/figures.py did not make {figure.name}.png"
                )
        results[job.stem] = made
        for other in job.folder.parent.iterdir():  # drop figures of older solutions
            if other != job.folder and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
    return results, len(stale)


def _run_worker(jobs: list[FigureJob], mnist: bool, cache: Path,
                on_progress: Callable[[str], None] | None = None) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        shutil.rmtree(job.folder, ignore_errors=True)
        job.folder.mkdir(parents=True)
    spec = [
        {"stem": job.stem, "solution": str(job.solution), "out": str(job.folder)}
        for job in jobs
    ]
    from grader.course import ENV_VAR, active_root

    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    env[ENV_VAR] = str(active_root())  # the worker makes the figures of this very course
    log = cache / "worker.log"
    command = [sys.executable, "-m", "grader.sitebuild._figure_worker", json.dumps(spec)]
    if mnist:
        command.append("--mnist")
    report = on_progress or (lambda text: None)
    report(f"making the figures of {len(jobs)} lesson{'s' if len(jobs) != 1 else ''} by "
           "running the solutions (cached for the next build)")
    output: list[str] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors,
                                  stdin=subprocess.DEVNULL, text=True)
        expired: list[bool] = []

        def stop() -> None:
            expired.append(True)
            worker.kill()

        timer = threading.Timer(WORKER_TIMEOUT, stop)
        timer.start()
        try:
            assert worker.stdout is not None
            for line in worker.stdout:  # the worker's progress, as it happens
                output.append(line)
                if line.startswith("progress "):
                    count, _, rest = line.removeprefix("progress ").partition(" ")
                    stem, _, names = rest.strip().partition(": ")
                    report(f"[{count}] {stem}: {names}")
            returncode = worker.wait()
        finally:
            timer.cancel()
        errors.seek(0)
        stderr = errors.read()
    log.write_text("".join(output) + stderr, encoding="utf-8")
    if expired:
        raise SiteError(f"making the figures took more than {WORKER_TIMEOUT:.0f} s")
    if returncode != 0:
        lines = [line for line in stderr.splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {returncode}"
        raise SiteError(f"making the figures failed: {last} (the whole output is in {log})")
