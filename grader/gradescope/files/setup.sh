#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder is built (from /autograder/source).
# It installs: Python >= 3.11 (apt, only if the image has none), a virtual environment,
# TensorFlow at the course's pin (tensorflow.txt) unless that version is already importable, and
# this course's grader from wheels/ (the exact version the zip was built with), then checks it.
#
# Settings (environment variables; Gradescope sets none of them, the defaults are for it):
#   TF_COURSE_VENV        where the virtual environment goes (default /opt/tf-course-venv: outside
#                         /autograder, which the sandbox hides from students' code)
#   TF_COURSE_PYTHON      the Python to build it with (default: python3.13 ... python3.11, python3)
#   TF_COURSE_SYSTEM_SITE_PACKAGES=1   let the environment see that Python's packages (reuse an
#                         installed TensorFlow instead of downloading it)
#   TF_COURSE_SITE_PACKAGES=DIR[:DIR]  also see the packages in these folders (an image's own
#                         environment), after the environment's own
#   PIP_NO_INDEX=1, PIP_FIND_LINKS=DIR pip's own: install offline from a local wheelhouse
set -euo pipefail
# Learner code runs as a user of its own and imports from the environment: every user must be
# able to read it (so must the folders of TF_COURSE_SITE_PACKAGES).
umask 022

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${TF_COURSE_VENV:-/opt/tf-course-venv}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"  # TensorFlow's C++ banners

usable() {  # a Python >= 3.11 that can make virtual environments with pip
  "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

find_python() {
  for candidate in ${TF_COURSE_PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && usable "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

PYTHON="$(find_python || true)"
if [ -z "$PYTHON" ]; then
  echo "setup.sh: no Python >= 3.11 with venv; installing one with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q python3 python3-venv python3-pip || true
  PYTHON="$(find_python || true)"
  if [ -z "$PYTHON" ]; then  # Ubuntu 22.04 ships 3.10: its 3.11 is a package of its own
    apt-get install -y -q python3.11 python3.11-venv
    PYTHON="$(find_python || true)"
  fi
  if [ -z "$PYTHON" ]; then
    echo "setup.sh: could not install Python >= 3.11; choose a newer Ubuntu base image" >&2
    exit 1
  fi
fi
echo "setup.sh: Python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ($PYTHON)"

VENV_OPTIONS=()
if [ "${TF_COURSE_SYSTEM_SITE_PACKAGES:-0}" = "1" ]; then
  VENV_OPTIONS+=(--system-site-packages)
fi
"$PYTHON" -m venv "${VENV_OPTIONS[@]}" "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
if [ -n "${TF_COURSE_SITE_PACKAGES:-}" ]; then
  PURELIB="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  tr ':' '\n' <<< "$TF_COURSE_SITE_PACKAGES" > "$PURELIB/tf-course-extra-site.pth"
fi

TENSORFLOW="$(head -n 1 "$SOURCE/tensorflow.txt")"       # e.g. tensorflow-cpu==2.21.*
WANTED="${TENSORFLOW##*==}"; WANTED="${WANTED%\*}"         # e.g. 2.21.
# Any TensorFlow build of that version will do (tensorflow-cpu, tensorflow): read from the
# installed packages' metadata, without importing TensorFlow (seconds).
if "$VENV/bin/python" - "$WANTED" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for name in ("tensorflow-cpu", "tensorflow"):
    try:
        if version(name).startswith(sys.argv[1]):
            sys.exit(0)
    except PackageNotFoundError:
        pass
sys.exit(1)
PY
then
  echo "setup.sh: TensorFlow ${WANTED}x is already installed"
else
  echo "setup.sh: installing $TENSORFLOW"
  "${PIP[@]}" install -q "$TENSORFLOW"
fi

# The grader: exactly the wheel in this zip (reinstalled even where a tf-course of the same
# version is visible), then its dependencies.
WHEEL="$(ls "$SOURCE"/wheels/tf_course-*.whl | head -n 1)"
"${PIP[@]}" install -q --force-reinstall --no-deps "$WHEEL"
"${PIP[@]}" install -q "$WHEEL"

# Stop here, where the instructor sees it, if the grader is not the one the zip was built with
# or cannot import TensorFlow.
"$VENV/bin/python" -m grader.gradescope.runner --check-install --source "$SOURCE"
echo "setup.sh: done"
