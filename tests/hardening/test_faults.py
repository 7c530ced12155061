"""Every external step made to fail or hang: never a publish, and nothing half-written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from provenance import MarkingError, SigningError
from safety import CameoGuard, Settings, StorageError, Submission, build
from safety.checks import CheckContext, CheckOutcome
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import FakeFingerprinter, FakeMarker, FakeSigner, fake_models
from safety.storage.sql.registry import SqlRegistryStore
from tests.conftest import pack_with_timeout
from tests.safety.gate.test_gate import CHECK_NAMES

CHECKS = CHECK_NAMES


def consistent(services: CameoGuard) -> None:
    files = {p for p in services.media.area("published").rglob("*") if p.is_file()}
    with services.store.transaction() as tx:
        rows = {v.published_path for v in tx.videos.recent(limit=1000) if v.status.value == "published"}
    assert files == rows, "a published file exists exactly when its row says published"
    leftovers = [p for p in services.media.root.rglob(".*") if p.is_file()]
    assert leftovers == [], leftovers
    assert services.tracing.verify_audit().ok


def _raise(error: BaseException) -> Any:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    return fail


FAULTS = {
    "database while publishing": StorageError("database went away"),
    "file store while publishing": StorageError("disk full"),
    "signing": SigningError("HSM unreachable"),
    "marking": MarkingError("encoder crashed"),
    "fingerprinting": MarkingError("cannot hash frames"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_publish_step_faults(people: CameoGuard, clip: Path, fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    error = FAULTS[fault]
    # Each fault goes in through a public seam: a store method, the media store, or one of the publisher's parts.
    if fault == "database while publishing":
        monkeypatch.setattr(SqlRegistryStore, "record_publication", _raise(error))
    elif fault == "file store while publishing":
        monkeypatch.setattr(people.media, "commit_staged", _raise(error))
    elif fault == "signing":
        monkeypatch.setattr(people.publisher, "signer", FakeSigner(fail_with=error))
    elif fault == "marking":
        monkeypatch.setattr(people.publisher, "marker", FakeMarker(fail_with=error))
    else:
        monkeypatch.setattr(people.publisher, "fingerprinter", FakeFingerprinter(fail_with=error))
    try:
        result = people.videos.prepublish(Submission("maya", "a calm lake", clip)).to_json()
    except StorageError:
        result = None
    if result is not None:
        assert result["decision"] != "publish" and result["published_path"] is None
    consistent(people)


class Hang:
    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()

    def run(self, context: CheckContext) -> CheckOutcome:
        self.release.wait(40)
        return CheckOutcome()


@pytest.mark.parametrize("check", CHECKS)
def test_every_check_hanging_holds_the_video(settings: Settings, clip: Path, tmp_path: Path, check: str) -> None:
    # The media check's limit also bounds the intake's trial decode (a child process): generous enough for a busy
    # machine, still well under the hang.
    seconds = 10.0 if check == "media" else 0.5
    fast = pack_with_timeout(Path(settings.adult_policy), check, seconds, tmp_path / "fast.yaml")
    hang = Hang(check)
    with build(
        settings.model_copy(update={"adult_policy": str(fast)}), face_analyzer=FakeFaceAnalyzer(), models=fake_models()
    ) as services:
        services.gate.checks = tuple(hang if c.name == check else c for c in services.gate.checks)
        services.accounts.add_user("maya")
        try:
            result = services.videos.prepublish(Submission("maya", "a calm lake", clip)).to_json()
        finally:
            hang.release.set()
        assert result["decision"] in {"review", "block"} and result["published_path"] is None
        timeouts = [r for r in result["reasons"] if r["code"] == "check.error"]
        assert timeouts and timeouts[0]["evidence"]["error"] == "CheckTimeout"
        consistent(services)


@pytest.mark.parametrize("mark_during_checks", [False, True])
def test_no_folder_named_after_a_video_outlives_its_published_file(
    settings: Settings, clip: Path, mark_during_checks: bool
) -> None:
    """`published/` holds a folder for a video exactly while it is published: one held (its publish re-encode
    dropped) leaves none, and a purge removes the folder with the file."""
    with build(
        settings.model_copy(update={"mark_during_checks": mark_during_checks}), face_analyzer=FakeFaceAnalyzer()
    ) as services:
        services.accounts.add_user("maya")
        published_area = services.media.area("published")
        held = services.videos.prepublish(Submission("maya", "breaking news: the election is cancelled", clip))
        assert held.status.value == "held"
        published = services.videos.prepublish(Submission("maya", "a calm lake", clip))
        assert published.status.value == "published"
        assert sorted(p.name for p in published_area.iterdir()) == [published.video_id]
        assert sorted(p.name for p in services.media.area("quarantine").iterdir()) == [held.video_id]
        services.cameos.delete_account("maya")
        assert sorted(p.name for p in published_area.iterdir()) == []
        assert sorted(p.name for p in services.media.area("quarantine").iterdir()) == []
        consistent(services)
