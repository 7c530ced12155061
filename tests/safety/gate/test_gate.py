"""The gate end to end, on SQLite and PostgreSQL: publish, hold, block, fail closed, consent at publish."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from safety import (
    CameoGuard,
    InvalidMediaError,
    Settings,
    StorageError,
    Submission,
    UnknownUserError,
    UnknownVideoError,
    VideoStatus,
    build,
    to_json,
)
from safety.checks import Check, CheckContext, CheckOutcome
from safety.domain import CameoStatus, ConsentLevel
from safety.errors import ModelUnavailable
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.media import probe
from tests.conftest import pack_with_timeout

CHECK_NAMES = [
    "media",
    "prompt_rules",
    "prompt_classifier",
    "consent",
    "likeness",
    "inputs",
    "frames_nsfw",
    "hash_bank",
    "speech",
]


def submit(services: CameoGuard, clip: Path, **kwargs: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"creator": "maya", "prompt": "a calm lake at dawn", "video_path": clip}
    fields.update(kwargs)
    return services.videos.prepublish(Submission(**fields)).to_json()


def published_files(services: CameoGuard) -> list[Path]:
    return [p for p in services.media.area("published").rglob("*") if p.is_file()]


def assert_consistent(services: CameoGuard) -> None:
    """A published file exists exactly when its row says published, and nothing is left staged."""
    files = set(published_files(services))
    with services.store.transaction() as tx:
        published = {v.published_path for v in tx.videos.recent(limit=1000) if v.status is VideoStatus.PUBLISHED}
    assert files == published
    assert not [p for p in services.media.root.rglob(".*") if p.is_file()]


def test_benign_video_publishes_a_real_mp4(people: CameoGuard, clip: Path) -> None:
    result = submit(people, clip)
    assert result["decision"] == "publish" and result["status"] == "published"
    assert result["checks_run"] == CHECK_NAMES
    assert result["policy"] == "default@2026.11.0"
    published = Path(str(result["published_path"]))
    info = probe(published)
    assert info.video_codec == "h264" and info.has_audio and info.duration_s == pytest.approx(2.0, abs=0.1)
    view = to_json(people.videos.show(str(result["video_id"])))
    assert view["status"] == "published" and view["published_path"] == str(published)
    assert view["decisions"][0]["decision"] == "publish"
    assert people.tracing.verify_audit().ok
    assert_consistent(people)
    assert not list(people.media.area("drafts").rglob("*.mp4")), "drafts are released after the decision"


@pytest.mark.parametrize("failing", CHECK_NAMES)
def test_any_failing_check_means_not_published(settings: Settings, clip: Path, failing: str) -> None:
    with build(
        settings.model_copy(update={"fail_checks": frozenset({failing})}),
        face_analyzer=FakeFaceAnalyzer(),
        models=fake_models(),
    ) as services:
        services.accounts.add_user("maya")
        result = submit(services, clip)
        assert result["decision"] in {"review", "block"}
        assert result["published_path"] is None
        errors = [r for r in result["reasons"] if r["code"] == "check.error"]
        assert errors and errors[0]["evidence"]["check"] == failing
        assert failing in result["checks_run"]
        assert published_files(services) == []
        assert_consistent(services)


class HangingCheck:
    name = "prompt_rules"

    def __init__(self) -> None:
        self.release = threading.Event()

    def run(self, context: CheckContext) -> CheckOutcome:
        self.release.wait(30)
        return CheckOutcome()


class ModelessCheck:
    name = "prompt_rules"

    def run(self, context: CheckContext) -> CheckOutcome:
        raise ModelUnavailable("no model installed at /models/prompt")


class BrokenCheck:
    name = "media"

    def run(self, context: CheckContext) -> CheckOutcome:
        raise RuntimeError("segfault-ish")


def _with_checks(settings: Settings, *replacements: Check) -> CameoGuard:
    services = build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models())
    by_name = {c.name: c for c in services.gate.checks}
    for replacement in replacements:
        by_name[replacement.name] = replacement
    services.gate.checks = tuple(by_name.values())
    return services


def test_a_hanging_check_times_out_and_holds(settings: Settings, clip: Path, tmp_path: Path) -> None:
    fast = pack_with_timeout(Path(settings.adult_policy), "prompt_rules", 0.3, tmp_path / "fast.yaml")
    hanging = HangingCheck()
    services = _with_checks(settings.model_copy(update={"adult_policy": str(fast)}), hanging)
    try:
        services.accounts.add_user("maya")
        started = time.perf_counter()
        result = submit(services, clip)
        # Well under the 30 s the hanging check would wait: the gate did not wait for it.
        assert time.perf_counter() - started < 25
        assert result["decision"] == "review"
        assert result["reasons"][0]["evidence"]["error"] == "CheckTimeout"
        assert published_files(services) == []
    finally:
        hanging.release.set()
        services.close()


@pytest.mark.parametrize(("check", "expected"), [(ModelessCheck(), "review"), (BrokenCheck(), "block")])
def test_missing_model_or_crash_never_publishes(settings: Settings, clip: Path, check: Check, expected: str) -> None:
    with _with_checks(settings, check) as services:
        services.accounts.add_user("maya")
        result = submit(services, clip)
        assert result["decision"] == expected
        assert result["published_path"] is None


def test_required_check_not_installed_blocks(settings: Settings, clip: Path) -> None:
    with build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as services:
        services.gate.checks = tuple(c for c in services.gate.checks if c.name != "consent")
        services.accounts.add_user("maya")
        result = submit(services, clip)
        assert result["decision"] == "block"
        assert [r["code"] for r in result["reasons"]] == ["check.missing"]


@pytest.mark.parametrize(
    ("prompt", "decision", "code"),
    [
        ("breaking news: the president announces the election is cancelled", "review", "prompt.election_deception"),
        ("N.U.D.E   photos of a   TEEN-ager... minor, naked", "block", "prompt.sexual_minors"),
        ("a boxing match in the rain, slow motion", "publish", None),
    ],
)
def test_prompt_rules(people: CameoGuard, clip: Path, prompt: str, decision: str, code: str | None) -> None:
    result = submit(people, clip, prompt=prompt)
    assert result["decision"] == decision
    codes = [r["code"] for r in result["reasons"]]
    assert (code in codes) if code else codes == []


def test_held_video_is_quarantined_and_queued(people: CameoGuard, clip: Path) -> None:
    result = submit(people, clip, prompt="the senator confesses on camera")
    assert result["status"] == "held"
    view = people.videos.show(str(result["video_id"]))
    assert view.video.quarantine_path is not None and view.video.quarantine_path.is_file()
    queue = people.videos.review_queue()
    assert [(i.video_id, i.source) for i in queue] == [(result["video_id"], "gate")]
    assert "prompt.fake_statement" in queue[0].reason_codes
    assert_consistent(people)


def test_teen_creator_gets_the_teen_pack(people: CameoGuard, clip: Path) -> None:
    result = submit(people, clip, creator="jun", prompt="the senator confesses on camera")
    assert result["policy"].startswith("teen@")
    assert result["decision"] == "block"


def _make_cameo(services: CameoGuard, owner: str, level: ConsentLevel) -> None:
    with services.store.transaction() as tx:
        tx.consent.create_cameo(owner, face_model="test", status=CameoStatus.ACTIVE)
        tx.consent.set_level(owner, level)


def test_declared_cameo_needs_consent(people: CameoGuard, clip: Path) -> None:
    blocked = submit(people, clip, creator="theo", cameos=("maya",))
    assert blocked["decision"] == "block" and blocked["reasons"][0]["code"] == "likeness.no_cameo"
    _make_cameo(people, "maya", ConsentLevel.ONLY_ME)
    refused = submit(people, clip, creator="theo", cameos=("maya",))
    assert refused["reasons"][0]["code"] == "likeness.no_consent"
    assert refused["reasons"][0]["evidence"]["owner"] == "maya"
    with people.store.transaction() as tx:
        tx.consent.set_level("maya", ConsentLevel.MUTUALS)
    allowed = submit(people, clip, creator="theo", cameos=("maya",))
    assert allowed["decision"] == "publish"
    assert submit(people, clip, creator="maya", cameos=("maya",))["decision"] == "publish"


class RevokingCheck:
    """Stands in for a slow check during which the owner revokes consent."""

    name = "prompt_rules"

    def __init__(self, services_box: list[CameoGuard]) -> None:
        self.box = services_box

    def run(self, context: CheckContext) -> CheckOutcome:
        with self.box[0].store.transaction() as tx:
            tx.consent.set_level("maya", ConsentLevel.ONLY_ME)
        return CheckOutcome()


def test_revocation_during_checks_wins_at_publish(settings: Settings, clip: Path) -> None:
    box: list[CameoGuard] = []
    with _with_checks(settings, RevokingCheck(box)) as services:
        box.append(services)
        services.accounts.add_user("maya")
        services.accounts.add_user("theo")
        _make_cameo(services, "maya", ConsentLevel.EVERYONE)
        result = submit(services, clip, creator="theo", cameos=("maya",))
        assert result["decision"] == "block"
        assert result["reasons"][0]["code"] == "likeness.no_consent"
        assert result["reasons"][0]["evidence"]["at"] == "publish"
        decisions = services.videos.show(str(result["video_id"])).decisions
        assert [d.action for d in decisions] == ["publish", "block"]
        assert published_files(services) == []
        assert_consistent(services)


def test_storage_failure_while_publishing_leaves_nothing_published(
    people: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_commit(staged: Path, final: Path) -> None:
        raise StorageError("disk full")

    monkeypatch.setattr(people.media, "commit_staged", failing_commit)
    with pytest.raises(StorageError):
        submit(people, clip)
    assert published_files(people) == []
    with people.store.transaction() as tx:
        assert [v.status for v in tx.videos.recent()] == [VideoStatus.CHECKING]


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage", "audio_only_text"])
def test_undecidable_files_are_errors_and_store_nothing(people: CameoGuard, tmp_path: Path, damage: str) -> None:
    target = tmp_path / "bad.mp4"
    if damage == "empty":
        target.write_bytes(b"")
    elif damage == "garbage":
        target.write_bytes(b"\x00\x01not a video at all" * 100)
    elif damage == "audio_only_text":
        target.write_text("ftypisom but really text")
    with pytest.raises(InvalidMediaError):
        submit(people, target)
    with people.store.transaction() as tx:
        assert tx.videos.recent() == []


def test_truncated_file_is_not_published(people: CameoGuard, clip: Path) -> None:
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    try:
        result = submit(people, clip)
    except InvalidMediaError:
        return
    assert result["decision"] == "block"
    assert any(r["code"] == "media.decode_error" for r in result["reasons"])


def test_unknown_creator_cameo_and_parent(people: CameoGuard, clip: Path) -> None:
    with pytest.raises(UnknownUserError):
        submit(people, clip, creator="nobody")
    with pytest.raises(UnknownUserError):
        submit(people, clip, cameos=("ghost",))
    with pytest.raises(UnknownVideoError):
        submit(people, clip, remix_of="vid_missing")


def test_remix_records_lineage_and_needs_a_published_parent(people: CameoGuard, clip: Path) -> None:
    parent = submit(people, clip)
    child = submit(people, clip, creator="theo", prompt="remix", remix_of=parent["video_id"])
    assert child["decision"] == "publish"
    assert people.videos.show(str(child["video_id"])).video.remix_of == parent["video_id"]
    assert people.videos.show(str(parent["video_id"])).remixes == (child["video_id"],)
    held = submit(people, clip, prompt="the senator confesses")
    # Not published: unknown to the remixer, as an id that does not exist (its status is nobody else's business).
    with pytest.raises(UnknownVideoError, match="unknown video"):
        submit(people, clip, creator="theo", remix_of=held["video_id"])


def test_media_limits_from_policy(settings: Settings, clip: Path, tmp_path: Path) -> None:
    pack = Path(settings.adult_policy)
    strict = tmp_path / "strict.yaml"
    strict.write_text(pack.read_text().replace("max_duration_s: 180", "max_duration_s: 1"))
    strict_settings = settings.model_copy(update={"adult_policy": str(strict)})
    with build(strict_settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as services:
        services.accounts.add_user("maya")
        result = submit(services, clip)
        assert result["decision"] == "block"
        assert [r["code"] for r in result["reasons"]] == ["media.too_long"]


def test_report_puts_a_published_video_in_the_queue(people: CameoGuard, clip: Path) -> None:
    result = submit(people, clip)
    item = people.videos.report(str(result["video_id"]), "theo", "not ok")
    queue = people.videos.review_queue()
    assert [(i.id, i.source, i.reason_codes) for i in queue] == [(item, "report", ("report.user",))]


def test_audit_log_detects_a_row_changed_behind_its_back(people: CameoGuard, clip: Path) -> None:
    submit(people, clip)
    assert people.tracing.verify_audit().ok
    from sqlalchemy import text

    with people.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    report = people.tracing.verify_audit()
    assert not report.ok and report.first_broken_seq == 3
