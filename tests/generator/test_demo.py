"""The demo tells its whole story on embedded defaults."""

from __future__ import annotations

from pathlib import Path

from generator.demo import run_demo


def test_demo_story(tmp_path: Path) -> None:
    results = run_demo(tmp_path / "demo", as_json=True)
    decisions = [r["decision"] for r in results]
    assert decisions == ["publish", "review", "block", "publish", "review"]
    assert any(r["published_path"] for r in results)
    # a second run starts fresh
    assert [r["decision"] for r in run_demo(tmp_path / "demo", as_json=True)] == decisions
