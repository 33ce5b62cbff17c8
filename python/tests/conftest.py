"""Shared fixtures: the repository root, the CLI binary, file comparisons."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `ecsim` binary the files are compared with (ECSIM, else
    target/release/ecsim)."""
    path = Path(os.environ.get("ECSIM", ROOT / "target" / "release" / "ecsim"))
    if not path.is_file():
        pytest.fail(f"{path}: no ecsim binary; build it with `cargo build --release` or set ECSIM")
    return path


def run_cli(cli: Path, *args: str) -> str:
    done = subprocess.run(
        [str(cli), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"ecsim {' '.join(args)}: {done.stderr}"
    return done.stdout


def files(dir: Path, skip=("timing.json",)) -> dict:
    """Every file under `dir` (relative path -> bytes), but `skip`."""
    return {
        str(p.relative_to(dir)): p.read_bytes()
        for p in sorted(dir.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def assert_same_files(a: Path, b: Path, skip=("timing.json",)) -> None:
    fa, fb = files(a, skip), files(b, skip)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs between {a} and {b}"
