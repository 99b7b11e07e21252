"""`triage serve` prepares the metrics directory it is given, whatever the worker count."""

import os
from pathlib import Path

import pytest

from app import cli


def test_serve_creates_a_missing_multiprocess_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "not" / "there"
    (tmp_path / "not").mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    seen: list[bool] = []
    monkeypatch.setattr(
        cli.uvicorn,
        "run",
        lambda *a, **k: seen.append(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).is_dir()),
    )
    cli.serve(host="127.0.0.1", port=0, workers=1)
    assert seen == [True]
