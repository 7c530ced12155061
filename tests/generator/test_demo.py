"""The demo tells its whole story on embedded defaults."""

from __future__ import annotations

from pathlib import Path

from generator.demo import run_demo


def test_demo_story(tmp_path: Path) -> None:
    marker = tmp_path / "demo" / "leftover"
    marker.parent.mkdir()
    marker.write_text("from an earlier run")
    results = run_demo(tmp_path / "demo", as_json=True)
    assert not marker.exists(), "the demo starts from a fresh home"
    revocation = results.pop()
    purged = [v for r in revocation["revocation"] for v in r["purged"]]
    assert revocation["chain_remix"] in purged and len(purged) >= 3
    assert revocation["copy_status"] == "purged" and revocation["reupload"] == "block"
    results.pop()  # the chain remix's decision
    verify = results.pop()
    assert verify["verify"]["c2pa"]["trusted"] and verify["verify"]["traced_by"] == "c2pa"
    assert verify["verify_copy"]["video_id"] == verify["verify"]["video_id"]
    assert not verify["verify_copy"]["c2pa"]["present"]
    decisions = [r["decision"] for r in results]
    assert decisions == [
        "publish",
        "publish",
        "block",
        "publish",
        "block",
        "block",
        "block",
        "review",
        "publish",
        "review",
    ]
    for restricted in results[4:6]:
        reason = next(r for r in restricted["reasons"] if r["code"] == "likeness.restriction_violated")
        assert reason["evidence"]["how"] == "meaning", "the prompt never names the restricted topic"
    assert [r["evidence"]["topic"] for res in results[4:6] for r in res["reasons"] if "topic" in r["evidence"]] == [
        "alcohol",
        "politics",
    ]
    leaked = results[6]
    assert [r["evidence"].get("person") for r in leaked["reasons"] if r["code"] == "likeness.protected_person"] == [
        "Tom Hanks"
    ]
    assert results[2]["reasons"][0]["code"] == "likeness.no_consent"
    assert any(r["published_path"] for r in results)
