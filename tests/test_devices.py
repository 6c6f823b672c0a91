"""`--device`: CPU by default; `--device gpu` only where TensorFlow sees a GPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, untouched_exercises

GRADE = str(Path(sys.executable).parent / "grade")


def _gpu_present() -> bool:
    probe = ("import sys, tensorflow as tf; "
             "sys.exit(0 if tf.config.list_physical_devices('GPU') else 1)")
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def gpu_present() -> bool:
    return _gpu_present()


def test_gpu_requested_without_a_gpu_is_a_setup_error(gpu_present, tmp_path):
    if gpu_present:
        pytest.skip("this machine has a GPU")
    untouched_exercises(tmp_path)
    done = subprocess.run([GRADE, "lesson1", "--device", "gpu"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "grade: error: TensorFlow sees no GPU on this machine: grade without --device gpu"
    ]


def test_solution_gets_full_marks_on_the_gpu(gpu_present, tmp_path):
    if not gpu_present:
        pytest.skip("no GPU visible to TensorFlow on this machine")
    done = subprocess.run(
        [GRADE, "lesson2", "--device", "gpu", "--submission",
         str(REPO / "solutions" / "lesson2_linear_regression.py")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
