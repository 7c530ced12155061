"""The Soft Binding Resolution API end to end: a stripped, half-size copy of a published video leads any C2PA tool
back to its manifest (by watermark value, or by uploading the copy), the manifest validates against the original
file with c2pa-python, `verify` answers the same, and a purged video's copy resolves to its tombstone, never to a
live manifest. Signing is the real C2PA signer; only the classifier models are fakes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import c2pa
import pytest
from fastapi.testclient import TestClient

from generator import Studio
from provenance import (
    FINGERPRINT_ALG,
    WATERMARK_ALG,
    InvisibleWatermark,
    read_manifest,
    sampled_frames,
    watermark_value,
)
from safety import CameoGuard, ConsentLevel, to_json
from safety.edges.http import create_app
from safety.edges.http.errors import PROBLEM_BASE
from safety.edges.sweeps import sweep_once
from safety.invariants import check_invariants
from safety.records import Scope
from safety.settings import Settings
from tests.conftest import reencode_copy
from tests.safety.gate.test_likeness_gate import card_image

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


def _client(services: CameoGuard, *, token: bool = True) -> TestClient:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {services.accounts.issue_client('platform', [Scope.APP]).token}"
    return TestClient(create_app(services), headers=headers)


def _publish(services: CameoGuard, creator: str = "maya", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("duration_s", 2.0)
    made = Studio(services).generate(creator, kwargs.pop("prompt", "lanterns over a river"), **kwargs)
    assert made["decision"] == "publish", made["reasons"]
    return made


def _watermark_value(services: CameoGuard, path: Path) -> str:
    """What a holder of the watermark key reads from a copy, with the public functions, as a binding value."""
    reading = InvisibleWatermark(services.keys.watermark_key).read(
        frame for _, frame in sampled_frames(str(path), every_s=0.25, max_frames=80)
    )
    assert reading.found and reading.token is not None
    return watermark_value(reading.token)


def _validate(published: Path, store: bytes) -> dict[str, Any]:
    """c2pa-python's own Reader, on the original published file with the served manifest store."""
    with published.open("rb") as stream, c2pa.Reader("video/mp4", stream, manifest_data=store) as reader:
        assert reader.get_validation_state() in {"Valid", "Trusted"}
        failures = reader.get_validation_results()["activeManifest"].get("failure", [])
        assert [f["code"] for f in failures if f["code"] != "signingCredential.untrusted"] == []
        data: dict[str, Any] = json.loads(reader.json())
        return data


def test_a_stripped_half_size_copy_recovers_its_manifest(people: CameoGuard, tmp_path: Path) -> None:
    made = _publish(people)
    published = Path(made["published_path"])
    copy = reencode_copy(published, tmp_path / "stripped.mp4")
    assert not read_manifest(copy).present, "the copy carries no metadata"
    client = _client(people)

    value = _watermark_value(people, copy)
    matched = client.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": value})
    assert matched.status_code == 200, matched.text
    matches = matched.json()["matches"]
    assert len(matches) == 1 and matches[0]["status"] == "live"
    manifest_id = matches[0]["manifestId"]

    served = client.get(f"/manifests/{manifest_id}")
    assert served.status_code == 200 and served.headers["content-type"] == "application/c2pa"
    store = _validate(published, served.content)
    assert store["active_manifest"] == manifest_id
    active = store["manifests"][manifest_id]
    ours = next(a["data"] for a in active["assertions"] if a["label"] == "org.cameoguard.publication")
    assert ours["video_id"] == made["video_id"]
    bindings = {a["data"]["alg"]: a["data"] for a in active["assertions"] if a["label"] == "c2pa.soft-binding"}
    assert bindings[WATERMARK_ALG]["blocks"][0]["value"] == value
    assert bindings[WATERMARK_ALG]["blocks"][0]["scope"]["timespan"]["end"] >= 1500, "it covers the whole video"
    # The fingerprint digest the manifest declares resolves to the same manifest.
    fingerprint = bindings[FINGERPRINT_ALG]["blocks"][0]["value"]
    by_fingerprint = client.post("/matches/byBinding", json={"alg": FINGERPRINT_ALG, "value": fingerprint})
    assert [m["manifestId"] for m in by_fingerprint.json()["matches"]] == [manifest_id]
    # The same store is what the published file embeds, and what the copy is not.
    assert read_manifest(published, manifest_store=served.content).label == manifest_id
    assert not read_manifest(copy, manifest_store=served.content).valid

    # Uploading the stripped copy finds the same manifest, and says what `verify` says.
    with copy.open("rb") as handle:
        by_content = client.post("/matches/byContent", content=handle.read(), headers={"Content-Type": "video/mp4"})
    assert by_content.status_code == 200, by_content.text
    assert [m["manifestId"] for m in by_content.json()["matches"]] == [manifest_id]
    verified = to_json(people.tracing.verify(copy))
    assert by_content.json()["status"] == verified["status"] == "live"
    assert verified["manifest_id"] == manifest_id and verified["video_id"] == made["video_id"]
    with copy.open("rb") as handle:
        multipart = client.post("/matches/byContent", files={"file": ("copy.mp4", handle, "video/mp4")})
    assert [m["manifestId"] for m in multipart.json()["matches"]] == [manifest_id]


def test_a_purged_videos_copy_resolves_to_its_tombstone(people: CameoGuard, tmp_path: Path) -> None:
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    made = _publish(people, "theo", prompt="maya juggling in a park", cameos=["maya"], seed=41)
    copy = reencode_copy(Path(made["published_path"]), tmp_path / "saved.mp4")
    client = _client(people)
    value = _watermark_value(people, copy)
    manifest_id = client.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": value}).json()["matches"][0][
        "manifestId"
    ]
    with people.store.transaction() as tx:
        record = tx.registry.manifest(manifest_id)
    assert record is not None and record.store_path is not None
    kept = people.media.root / record.store_path
    assert kept.is_file()

    people.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)  # theo's video of maya is purged

    matches = client.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": value}).json()["matches"]
    assert matches == [{"manifestId": manifest_id, "status": "purged"}]
    served = client.get(f"/manifests/{manifest_id}")
    assert served.status_code == 410 and served.headers["content-type"].startswith("application/problem+json")
    assert served.json()["videoStatus"] == "purged" and served.json()["type"] == PROBLEM_BASE + "purged"
    assert not kept.exists(), "the purge removed the manifest store with the video's files"
    with copy.open("rb") as handle:
        by_content = client.post("/matches/byContent", content=handle.read(), headers={"Content-Type": "video/mp4"})
    assert by_content.json()["status"] == "purged" == to_json(people.tracing.verify(copy))["status"]
    assert all(m["status"] == "purged" for m in by_content.json()["matches"])


def test_the_api_needs_a_token_unless_an_operator_opens_it(people: CameoGuard, settings: Settings) -> None:
    closed = _client(people, token=False)
    assert closed.get("/services/supportedAlgorithms").status_code == 401
    assert closed.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": "AAAAAAE="}).status_code == 401
    assert closed.get("/manifests/urn:c2pa:nope").status_code == 401
    listed = _client(people).get("/services/supportedAlgorithms").json()
    assert listed == {"watermarks": [{"alg": WATERMARK_ALG}], "fingerprints": [{"alg": FINGERPRINT_ALG}]}

    people.settings = settings.model_copy(update={"resolution_public": True})
    opened = _client(people, token=False)
    assert opened.get("/services/supportedAlgorithms").json() == listed
    nothing = opened.get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": "AAAAAAE="})
    assert nothing.status_code == 200 and nothing.json() == {"matches": []}
    unknown = opened.get("/matches/byBinding", params={"alg": "com.example.other", "value": "AAAA"})
    assert unknown.status_code == 400 and unknown.json()["type"] == PROBLEM_BASE + "invalid-request"
    assert opened.get("/manifests/urn:c2pa:nope").status_code == 404
    # /v1 stays closed: only the resolution API is opened.
    assert opened.get("/v1/videos/vid_nope").status_code == 401


@pytest.mark.parametrize("value", ["not base64!", "AAAA", ""])
def test_malformed_values_match_nothing(people: CameoGuard, value: str) -> None:
    answer = _client(people).get("/matches/byBinding", params={"alg": WATERMARK_ALG, "value": value})
    assert answer.status_code == 200 and answer.json()["matches"] == []


def test_the_sweeper_keeps_recorded_manifest_stores_and_removes_orphans(people: CameoGuard) -> None:
    made = _publish(people)
    with people.store.transaction() as tx:
        record = tx.registry.manifest_of(made["video_id"])
    assert record is not None and record.store_path is not None
    kept = people.media.root / record.store_path
    # What a publish refused after signing leaves: a store no row refers to.
    orphan = people.media.area("manifests") / "vid_refused" / "0b6f7f5e-9a1c-4d2e-8f3a-4b5c6d7e8f90.c2pa"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"a manifest store nobody published")
    old = time.time() - 7200
    for path in (kept, orphan):
        os.utime(path, (old, old))
    report = to_json(sweep_once(people))
    assert str(orphan) in report["orphan_files_removed"] and not orphan.exists()
    assert kept.is_file()
    report = check_invariants(people.store, people.media, people.policies, quiescent=True)
    assert report.ok, report.violations
