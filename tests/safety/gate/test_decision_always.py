"""A check that meets a revocation, a block, a cameo deletion, a restriction, an owner's removal or the sweeper while
it runs ends in a decision, never in an error; the purge never deletes the draft under the check; the invariants
hold afterwards. Each change is made through the use case a user's action takes, from inside a check (the window
where the video is `checking` and no transaction is open)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safety import CameoGuard, Settings
from safety.checks import CheckContext, CheckOutcome
from safety.domain import CameoStatus, ConsentLevel, Submission, VideoStatus
from safety.edges.sweeps import sweep_once
from safety.errors import ConflictError, StatusChanged
from safety.invariants import check_invariants
from tests.safety.gate.test_gate import _with_checks
from tests.safety.revocation_state import checking_video

Change = Callable[[CameoGuard, str], Any]


def _in_flight_video(services: CameoGuard) -> str:
    with services.store.transaction() as tx:
        (video,) = tx.videos.in_status(VideoStatus.CHECKING)
    return video.id


CHANGES: dict[str, Change] = {
    "revoke": lambda s, _v: s.cameos.revoke("maya", "theo"),
    "block": lambda s, _v: s.cameos.block("maya", "theo"),
    "level_only_me": lambda s, _v: s.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME),
    "delete_cameo": lambda s, _v: s.cameos.delete_cameo("maya"),
    "restriction": lambda s, _v: s.cameos.restrict("maya", "lake"),
    "owner_removes_it": lambda s, v: s.cameos.remove_video("maya", v),
    "creator_deletes_account": lambda s, _v: s.cameos.delete_account("theo"),
}


class ChangingCheck:
    """Stands in for a slow check; while it runs, someone changes consent through the use case."""

    name = "prompt_rules"

    def __init__(self, box: list[CameoGuard], change: Change) -> None:
        self.box, self.change = box, change

    def run(self, context: CheckContext) -> CheckOutcome:
        services = self.box[0]
        self.change(services, _in_flight_video(services))
        assert context.video_path.is_file(), "the purge deleted the draft under a running check"
        return CheckOutcome()


def _world(settings: Settings, check: Any) -> CameoGuard:
    services = _with_checks(settings, check)
    for handle in ("maya", "theo"):
        services.accounts.add_user(handle)
    with services.store.transaction() as tx:
        tx.consent.create_cameo("maya", face_model="test", status=CameoStatus.ACTIVE)
        tx.consent.set_level("maya", ConsentLevel.APPROVED)
    services.cameos.approve("maya", "theo")
    return services


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_consent_change_during_the_checks_is_a_decision(settings: Settings, clip: Path, change: str) -> None:
    box: list[CameoGuard] = []
    with _world(settings, ChangingCheck(box, CHANGES[change])) as services:
        box.append(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip, ("maya",))).to_json()
        assert result["status"] in ("purged", "blocked"), result
        assert result["decision"] == "block"
        assert result["reasons"], "a decision names its reason"
        if result["status"] == "purged":
            # The decision names the consent (or lineage) reason that applies now, and no person: it was scrubbed.
            assert result["reasons"][0]["code"].startswith(("likeness.", "lineage."))
            with services.store.transaction() as tx:
                stored = tx.decisions.for_video(result["video_id"])
            assert all(set(r) <= {"code", "action", "severity", "check"} for d in stored for r in d.reasons)
        assert not list(services.media.area("drafts").rglob("*.mp4")), "the gate removed its draft"
        sweep_once(services)
        report = check_invariants(services.store, services.media, services.policies, quiescent=True)
        assert report.ok, report.violations


def test_the_sweeper_settling_a_live_check_leaves_one_outcome(settings: Settings, clip: Path) -> None:
    """The sweeper takes a slow check for a dead one and holds the video; the gate, finishing later, reports the
    hold instead of publishing over it or failing."""
    box: list[CameoGuard] = []

    def settle(services: CameoGuard, video_id: str) -> None:
        assert services.gate.settle_stale(video_id, actor="sweeper") is not None

    with _world(settings, ChangingCheck(box, settle)) as services:
        box.append(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip, ("maya",))).to_json()
        assert result["status"] == "held"
        assert result["decision"] == "review"
        with services.store.transaction() as tx:
            items = tx.review.open_items()
        assert [i.video_id for i in items] == [result["video_id"]], "held once, one review item"
        report = check_invariants(services.store, services.media, services.policies, quiescent=False)
        assert report.ok, report.violations


def test_a_status_move_is_compare_and_set(services: CameoGuard) -> None:
    services.accounts.add_user("theo")
    video_id = checking_video(services, "theo")
    with services.store.transaction() as tx:
        tx.videos.set_status(video_id, VideoStatus.HELD, expected=VideoStatus.CHECKING, actor="test")
    with pytest.raises(StatusChanged), services.store.transaction() as tx:
        tx.videos.set_status(video_id, VideoStatus.PUBLISHED, expected=VideoStatus.CHECKING, actor="test")
    with pytest.raises(ConflictError, match="cannot move"), services.store.transaction() as tx:
        tx.videos.mark_purged(video_id)
        tx.videos.set_status(video_id, VideoStatus.HELD, expected=VideoStatus.PURGED, actor="test")
    with services.store.transaction() as tx:
        assert tx.videos.get(video_id).status is VideoStatus.HELD
