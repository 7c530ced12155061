"""Every published video is marked, signed and registered; `verify` traces copies; failures never publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from generator import Studio
from provenance import ManifestSigner, Publication, SigningError, load_credentials, make_dev_chain, read_manifest
from safety import CameoGuard, ConfigurationError, Settings, build, to_json
from safety.edges.cli import main
from safety.edges.http import create_app
from safety.usecases.tracing import most_restrictive
from tests.conftest import reencode_copy


def generate(services: CameoGuard, creator: str = "maya", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("duration_s", 2.0)
    return Studio(services).generate(creator, kwargs.pop("prompt", "lanterns over a river"), **kwargs)


def test_published_files_are_signed_trusted_and_traceable(people: CameoGuard, tmp_path: Path) -> None:
    first = generate(people)
    published = Path(first["published_path"])
    report = read_manifest(published, trust_anchors_pem=people.keys.trust_anchors_pem)
    assert report.valid and report.trusted and report.ai_generated and report.video_id == first["video_id"]
    assert report.assertion["decision_id"] == first["decision_id"]
    assert report.assertion["policy"] == first["policy"]

    verified = to_json(people.tracing.verify(published))
    assert verified["video_id"] == first["video_id"] and verified["status"] == "live"
    assert verified["traced_by"] == "c2pa" and verified["watermark"]["found"]

    copy = reencode_copy(published, tmp_path / "copy.mp4")
    stripped = to_json(people.tracing.verify(copy))
    assert not stripped["c2pa"]["present"]
    assert stripped["video_id"] == first["video_id"] and stripped["traced_by"] in {"watermark", "fingerprint"}
    assert stripped["fingerprint"]["video_id"] == first["video_id"]

    remix = generate(people, "theo", remix_of=first["video_id"], prompt="remix")
    remix_report = read_manifest(Path(remix["published_path"]))
    assert remix_report.parent_video_id == first["video_id"] and remix_report.parent_title == f"{first['video_id']}.mp4"


def test_flipped_byte_is_reported_invalid_and_still_traced(people: CameoGuard, tmp_path: Path) -> None:
    result = generate(people)
    tampered = tmp_path / "tampered.mp4"
    data = bytearray(Path(result["published_path"]).read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    verified = to_json(people.tracing.verify(tampered))
    assert verified["c2pa"]["present"] and not verified["c2pa"]["valid"]
    assert "assertion.bmffHash.mismatch" in verified["c2pa"]["validation_codes"]
    assert verified["video_id"] == result["video_id"] and verified["traced_by"] != "c2pa"


def test_purged_status_is_reported(people: CameoGuard) -> None:
    result = generate(people)
    from sqlalchemy import text

    with people.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE published_records SET status = 'purged' WHERE video_id = :v"), {"v": result["video_id"]}
        )
    assert to_json(people.tracing.verify(Path(result["published_path"])))["status"] == "purged"


def test_unknown_video_is_unknown(people: CameoGuard, clip: Path) -> None:
    verified = to_json(people.tracing.verify(clip))
    assert verified == {**verified, "video_id": None, "status": "unknown", "traced_by": None}


def test_signing_failure_is_not_a_publish(people: CameoGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise SigningError("the HSM is unreachable")

    monkeypatch.setattr(people.publisher.signer, "sign", broken)
    result = generate(people)
    assert result["decision"] in {"review", "block"} and result["published_path"] is None
    reason = next(r for r in result["reasons"] if r["code"] == "check.error")
    assert reason["evidence"]["check"] == "provenance" and "HSM" in reason["evidence"]["detail"]
    assert not [p for p in people.media.area("published").rglob("*") if p.is_file()]
    assert [d.action for d in people.videos.show(result["video_id"]).decisions] == ["publish", result["decision"]]


def test_production_refuses_the_development_chain(settings: Settings) -> None:
    with build(settings) as services:
        chain, key = services.settings.home / "keys" / "chain.pem", services.settings.home / "keys" / "signer.key"
    production = settings.model_copy(update={"env": "production", "signing_chain": chain, "signing_key": key})
    with pytest.raises(ConfigurationError, match="development signing chain"):
        build(production)
    with pytest.raises(ConfigurationError, match="SIGNING_CHAIN"):
        build(settings.model_copy(update={"env": "production"}))


def test_verify_cli_and_http(
    people: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = generate(people)
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", people.settings.resolved_database_url)
    assert main(["--home", str(people.settings.home), "verify", result["published_path"], "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["video_id"] == result["video_id"] and payload["c2pa"]["trusted"]
    assert main(["--home", str(people.settings.home), "keys", "dev", "--json"]) == 0
    assert Path(json.loads(capsys.readouterr().out)["root"]).is_file()
    client = TestClient(create_app(people), headers={"Authorization": f"Bearer {people.accounts.hook_token('ops')}"})
    response = client.post("/v1/verify", json={"path": result["published_path"]})
    assert response.status_code == 200 and response.json()["status"] == "live"
    with open(result["published_path"], "rb") as handle:
        uploaded = client.post("/v1/verify", files={"video": ("x.mp4", handle, "video/mp4")})
    assert uploaded.json()["video_id"] == result["video_id"]
    assert client.post("/v1/verify", json={"path": "/nope.mp4"}).status_code == 403


def test_an_untrusted_manifest_never_makes_a_purged_copy_live(people: CameoGuard, tmp_path: Path) -> None:
    """Anyone can sign a manifest claiming a live video's id: it is reported, not believed, and the purged video's
    own watermark and fingerprints decide (the most restrictive status wins)."""
    live = generate(people, prompt="a quiet harbour")
    doomed = generate(people, prompt="lanterns over a river", seed=11)
    saved = tmp_path / "saved.mp4"
    saved.write_bytes(Path(doomed["published_path"]).read_bytes())
    with people.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE published_records SET status = 'purged' WHERE video_id = :v"), {"v": doomed["video_id"]}
        )
    _, chain_path, key_path = make_dev_chain(tmp_path / "forger")
    forger = ManifestSigner(load_credentials(chain_path, key_path=key_path), generator="forger", version="1")
    forged = tmp_path / "forged.mp4"
    forger.sign(saved, forged, Publication(live["video_id"], "dec_forged", "default@1", ()))
    assert read_manifest(forged).valid, "the forged manifest itself validates; only its chain is untrusted"
    report = to_json(people.tracing.verify(forged))
    assert report["status"] == "purged" and report["video_id"] == doomed["video_id"]
    assert report["traced_by"] in {"watermark", "fingerprint"}
    claimed = next(e for e in report["evidence"] if e["source"] == "c2pa")
    assert claimed["video_id"] == live["video_id"] and claimed["believed"] is False and "trusted" in claimed["note"]
    assert all(e["believed"] for e in report["evidence"] if e["source"] != "c2pa")


def splice(parts: list[tuple[Path, float]], target: Path) -> Path:
    """A copy cut together from the first seconds of each part, in order, re-encoded (no manifest survives)."""
    import av
    import cv2
    import numpy as np

    frames: list[Any] = []
    size: tuple[int, int] | None = None
    for source, seconds in parts:
        with av.open(str(source)) as inp:
            for frame in inp.decode(video=0):
                if frame.time is not None and frame.time >= seconds:
                    break
                image = frame.to_ndarray(format="rgb24")
                size = size or (image.shape[1], image.shape[0])
                frames.append(np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8))
    assert size is not None
    with av.open(str(target), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for image in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(stream.encode(None))
    return target


def test_a_splice_of_a_purged_video_and_a_live_one_reads_purged(people: CameoGuard, tmp_path: Path) -> None:
    """Issue 28.7: 1.5 s of a purged video followed by a live one. Every traced segment is reported with its span
    and status, and the most restrictive status wins."""
    doomed = generate(people, prompt="lanterns over a river", seed=11, duration_s=3.0)
    live = generate(people, prompt="a quiet harbour at noon", seed=5, duration_s=6.0)
    copy = splice([(Path(doomed["published_path"]), 1.5), (Path(live["published_path"]), 6.0)], tmp_path / "s.mp4")
    with people.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE published_records SET status = 'purged' WHERE video_id = :v"), {"v": doomed["video_id"]}
        )
    report = to_json(people.tracing.verify(copy))
    # The copy is mostly the live video: the whole-file evidence points there, and alone it read `live`.
    assert report["video_id"] == live["video_id"] and report["status"] == "purged"
    segments = {s["video_id"]: s for s in report["segments"]}
    assert segments[doomed["video_id"]]["status"] == "purged" and segments[live["video_id"]]["status"] == "live"
    assert segments[doomed["video_id"]]["start_s"] < 0.5 and segments[doomed["video_id"]]["end_s"] <= 2.0
    assert segments[live["video_id"]]["start_s"] >= 1.0
    assert {s["source"] for s in report["segments"]} == {"fingerprint", "watermark"}
    starts = [s["start_s"] for s in report["segments"]]
    assert starts == sorted(starts)


def test_the_most_restrictive_status_wins() -> None:
    assert most_restrictive(["live", "held"]) == "held"
    assert most_restrictive(["held", "withdrawn", "live"]) == "withdrawn"
    assert most_restrictive(["withdrawn", "purged"]) == "purged"
    assert most_restrictive(["unknown", "live"]) == "live" and most_restrictive([]) == "unknown"
