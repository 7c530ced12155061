"""PyPI's `safety` in the same environment is refused with a clear message."""

from __future__ import annotations

from importlib import metadata

import pytest

from safety import clash
from safety.edges.cli import main


def test_no_clash_here() -> None:
    assert clash.foreign_safety_version() is None


def test_clash_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def fake_version(name: str) -> str:
        if name == "safety":
            return "3.2.0"
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", fake_version)
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "PyPI's `safety` package" in err and "3.2.0" in err and "virtual environment" in err
    assert clash.main() == 1
