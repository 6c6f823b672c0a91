"""Build the zip that Gradescope's "Upload autograder" takes.

What the zip holds (Gradescope unpacks it into ``/autograder/source``)::

    setup.sh               installs Python, a virtual environment, TensorFlow and this grader
    run_autograder         grades /autograder/submission into /autograder/results/results.json
    autograder.json        the grader version and digest, the lessons, limits and options
    tensorflow.txt         the course's pinned TensorFlow requirement (pyproject's ``cpu`` extra)
    wheels/tf_course-*.whl this checkout's grader, built into a wheel at build time
    data/mnist/            the grading split's source: MNIST's 10,000 test images (IDX, gzip),
                           only when a lesson of the zip (or a hidden check) uses MNIST
    checks/                the instructor's hidden check modules (``--checks DIR``), if any
    course/                the course's grading files: its manifest and each lesson's folder
                           (the zip's folder is then the course folder the grader serves)

MNIST is shipped (with the lessons that need it: :func:`needs_mnist`), not fetched in
``setup.sh``: the graders need only the test set (about 2 MB
compressed), grading then needs no network at run time and cannot fail on a download, and the
data are those the loader verifies by checksum here at build time and again in the container.
The MNIST database is CC BY-SA 3.0, which allows redistribution with attribution under the same
licence: ``data/mnist/README.txt`` carries both. The files come from ``MNIST_DIR`` or Keras'
cache at build time; nothing of them is ever committed.
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np

import grader
from grader.course import grading_files
from grader.curriculum import Lesson
from grader.errors import SetupError, UsageError
from grader.hidden import HiddenChecks

from .version import digest_of, wheel_files

CONFIG_NAME = "autograder.json"
TENSORFLOW_NAME = "tensorflow.txt"
SCRIPTS = ("setup.sh", "run_autograder")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed: the same checkout and data give the same zip
_MNIST_NOTE = """\
MNIST test set (t10k), as used by the course's graders (first 8,000 images to train, last 2,000
held out). The MNIST database: Yann LeCun, Corinna Cortes and Christopher J. C. Burges,
http://yann.lecun.com/exdb/mnist/ . Licence: Creative Commons Attribution-Share Alike 3.0
(CC BY-SA 3.0), https://creativecommons.org/licenses/by-sa/3.0/ ; these files are redistributed
unchanged in content (re-gzipped IDX) under that same licence.
"""


@dataclass(frozen=True)
class Built:
    """What ``build_autograder`` wrote."""

    path: Path
    size_bytes: int
    version: str
    digest: str
    lessons: list[str]
    hidden_check_files: int
    seconds: float


def checkout_root() -> Path:
    """The course checkout this grader runs from (its wheel is built from there)."""
    root = Path(grader.__file__).resolve().parents[1]
    if not (root / "pyproject.toml").is_file():
        raise SetupError(
            "grade gradescope packages the grader from the course's source: run it from a clone "
            "of the course installed with `pip install -e .`")
    return root


def build_autograder(
    out: Path,
    *,
    lessons: list[Lesson],
    checks_dir: Path | None = None,
    call_timeout: float,
    total_timeout: float,
) -> Built:
    """Write the autograder zip to ``out``; return what it holds."""
    started = time.monotonic()
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder: pass a file name, e.g. "
                         f"{out / 'autograder.zip'}")
    if not out.parent.is_dir():
        raise SetupError(f"cannot write {out}: its folder does not exist; create it first")
    hidden = _hidden_check_files(checks_dir) if checks_dir is not None else []
    course_files = grading_files(lessons[0].course) if lessons else {}
    root = checkout_root()
    with tempfile.TemporaryDirectory(prefix="grade-gradescope-") as scratch:
        work = Path(scratch)
        wheel = build_wheel(root, work / "wheels")
        digest = digest_of(wheel_files(wheel))
        mnist = _mnist_files(work / "mnist") if needs_mnist(lessons, hidden) else []
        config = {
            "grader_version": grader.__version__,
            "grader_digest": digest,
            "wheel": wheel.name,
            "source": _git_state(root),
            "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lessons": [lesson.stem for lesson in lessons],
            "call_timeout_s": call_timeout,
            "total_timeout_s": total_timeout,
            "hidden_checks": bool(hidden),
        }
        members: list[tuple[str, bytes, int]] = [
            (name, _script(name), 0o755) for name in SCRIPTS
        ]
        members += [
            (CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode(), 0o644),
            (TENSORFLOW_NAME, (_tensorflow_requirement(root) + "\n").encode(), 0o644),
            (f"wheels/{wheel.name}", wheel.read_bytes(), 0o644),
            *([("data/mnist/README.txt", _MNIST_NOTE.encode(), 0o644)] if mnist else []),
            *((f"data/mnist/{path.name}", path.read_bytes(), 0o644) for path in mnist),
            *((f"checks/{name}", data, 0o644) for name, data in hidden),
            *((name, data, 0o644) for name, data in sorted(course_files.items())),
        ]
        temporary = out.with_name(f".{out.name}.tmp")
        try:
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, data, mode in members:
                    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                    info.external_attr = (0o100000 | mode) << 16
                    packed = name.endswith((".gz", ".whl"))  # compressed already
                    info.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
                    archive.writestr(info, data)
            temporary.replace(out)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise SetupError(f"cannot write {out} ({exc.strerror or exc}): check the path and "
                             "free space") from None
    return Built(out, out.stat().st_size, grader.__version__, digest,
                 [lesson.stem for lesson in lessons], len(hidden),
                 round(time.monotonic() - started, 2))


def build_wheel(root: Path, dest: Path) -> Path:
    """This checkout's grader as a wheel in ``dest``, built from a clean copy of its sources
    (no stale ``build/`` of an earlier build can slip into it)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grade-wheel-src-") as scratch:
        source = Path(scratch) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy2(root / name, source / name)
        shutil.copytree(root / "grader", source / "grader",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dest)]
        # Without build isolation first (offline, fast); with it when this environment's
        # setuptools is older than the pyproject needs (pip then fetches a build backend).
        failure = ""
        for extra in (["--no-build-isolation"], []):
            done = subprocess.run([*base, *extra, str(source)], capture_output=True, text=True,
                                  cwd=scratch)
            wheels = sorted(dest.glob("tf_course-*.whl"))
            if done.returncode == 0 and wheels:
                return wheels[-1]
            failure = (done.stderr or done.stdout).strip()
    last = failure.splitlines()[-1] if failure else "no wheel written"
    raise SetupError(f"cannot build the grader's wheel with pip ({last}): check that "
                     "`pip wheel --no-deps .` works in the course's checkout")


def _tensorflow_requirement(root: Path) -> str:
    """The ``cpu`` extra of pyproject.toml, e.g. ``tensorflow-cpu==2.21.*``."""
    with (root / "pyproject.toml").open("rb") as stream:
        extras = tomllib.load(stream).get("project", {}).get("optional-dependencies", {})
    for requirement in extras.get("cpu", []):
        if requirement.replace("_", "-").startswith("tensorflow-cpu"):
            return requirement
    raise SetupError("pyproject.toml has no tensorflow-cpu pin in its `cpu` extra: add one")


def _git_state(root: Path) -> dict[str, object]:
    """The checkout's commit and whether it had changes (for the instructor's records)."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "grader",
                                 "pyproject.toml"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "changed": None}
    if commit.returncode != 0:
        return {"commit": None, "changed": None}
    return {"commit": commit.stdout.strip(), "changed": bool(status.stdout.strip())}


def _script(name: str) -> bytes:
    return resources.files("grader.gradescope").joinpath("files", name).read_bytes()


def _hidden_check_files(folder: Path) -> list[tuple[str, bytes]]:
    """The instructor's check modules under ``folder``, by path inside it, validated by the
    grader's own loader (:mod:`grader.hidden`)."""
    return sorted(HiddenChecks.from_dir(folder).files.items())


def needs_mnist(lessons: list[Lesson], hidden: Sequence[tuple[str, bytes]] = ()) -> bool:
    """Whether grading ``lessons`` reads MNIST: a lesson's checks use :mod:`grader.data.mnist`
    (its loader or the module itself), or a hidden check file names MNIST at all."""
    from grader.data import mnist

    def from_mnist(value: object) -> bool:
        return value is mnist or getattr(value, "__module__", None) == mnist.__name__

    return (any(from_mnist(value) for lesson in lessons for value in vars(lesson.module()).values())
            or any(b"mnist" in data.lower() for _, data in hidden))


def _mnist_files(dest: Path) -> list[Path]:
    """The MNIST test set as gzip IDX files in ``dest``, from MNIST_DIR or Keras' cache
    (the loader refuses anything but the real, checksum-verified test set)."""
    from grader.data.mnist import load_test_set

    images, labels = load_test_set()
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, array, magic in (("t10k-images-idx3-ubyte.gz", images, 0x0803),
                               ("t10k-labels-idx1-ubyte.gz", labels, 0x0801)):
        data = np.ascontiguousarray(array, dtype=np.uint8)
        header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in data.shape)
        path = dest / name
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                   filename="", compresslevel=6) as stream:
            stream.write(header + data.tobytes())
        written.append(path)
    return written
