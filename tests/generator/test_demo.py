"""The demo tells its whole story on embedded defaults."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.demo import run_demo


# The demo runs every real model over a dozen generations; on a busy two-core machine that takes minutes.
@pytest.mark.timeout(1500)
@pytest.mark.slow
def test_demo_story(tmp_path: Path) -> None:
    marker = tmp_path / "demo" / "leftover"
    marker.parent.mkdir()
    marker.write_text("from an earlier run")
    results = run_demo(tmp_path / "demo", as_json=True)
    assert not marker.exists(), "the demo starts from a fresh home"
    cut = next(i for i, r in enumerate(results) if "revocation" in r) + 1
    results, later = results[:cut], results[cut:]
    check_consent_that_follows_the_person(later)
    revocation = results.pop()
    purged = [v for r in revocation["revocation"] for v in r["purged"]]
    assert revocation["chain_remix"] in purged and len(purged) >= 3
    assert revocation["copy_status"] == "purged" and revocation["reupload"] == "block"
    results.pop()  # the chain remix's decision
    verify = results.pop()
    assert verify["verify"]["c2pa"]["trusted"] and verify["verify"]["traced_by"] == "c2pa"
    assert verify["verify_copy"]["video_id"] == verify["verify"]["video_id"]
    assert not verify["verify_copy"]["c2pa"]["present"]
    spoken = [r for r in results if any((x.get("evidence") or {}).get("source") == "speech" for x in r["reasons"])]
    if shutil.which("espeak-ng") is None:
        assert not spoken, "without espeak-ng the demo says so and skips the spoken step"
    else:
        (threat,) = spoken
        # Held or blocked, by the band its score falls in; never published.
        assert threat["decision"] in {"review", "block"} and threat["status"] != "published"
        reason = next(r for r in threat["reasons"] if r["code"] == "speech.threat")
        assert reason["evidence"]["language"] == "pt"
        results.remove(threat)
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


def check_consent_that_follows_the_person(later: list[dict[str, Any]]) -> None:
    """Steps 16-18: approval of each use, guardians, a retroactive scan."""
    waiting, second, answers, refused, allowed, guarded, stranger, scanned = later
    assert (waiting["status"], waiting["awaiting_owners"]) == ("pending_owner", ["theo"])
    assert second["status"] == "pending_owner"
    assert answers["approved_use"]["status"] == "published" and answers["declined_use"]["status"] == "blocked"
    assert "likeness.guardian_not_allowed" in {r["code"] for r in refused["reasons"]}
    # The cap purges kai's videos of jun: the one published with the guardian's allowance, and the refused one.
    assert allowed["status"] == "published" and allowed["video_id"] in guarded["guardian_purged"]
    assert refused["video_id"] in guarded["guardian_purged"]
    assert stranger["status"] == "published"
    scan = scanned["retro_scan"]
    assert scan["state"] == "done" and [f["video_id"] for f in scan["found"]] == [stranger["video_id"]]
    assert scan["found"][0]["action"].startswith("purged")
