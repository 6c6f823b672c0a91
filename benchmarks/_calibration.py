"""Shared by the calibration scripts: the reference solution of a lesson, loaded from its file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_solution(stem: str) -> ModuleType:
    """``solutions/<stem>.py`` as a module (the reference the thresholds are calibrated on)."""
    path = REPO / "solutions" / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"{stem}_reference", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
