"""The consent store's contract on every backend: cameos, grants, the consent snapshot, approvals of each use and
enrollment challenges."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from safety.clock import FakeClock
from safety.domain import AgeBand, CameoStatus, ConsentLevel
from safety.errors import ConflictError, UnknownSubjectError, UnknownUserError
from safety.records import GrantKind, UseRequestState
from safety.storage import Store
from tests.safety.storage.conftest import new_video


def test_an_owner_has_one_active_cameo(people: Store) -> None:
    with people.transaction() as tx:
        cameo = tx.consent.create_cameo("maya", "m1", reference_paths=[Path("/c/1.png")])
        tx.consent.create_cameo("maya", "m1", CameoStatus.REJECTED)
        active = tx.consent.active_cameo("maya")
        assert active is not None and (active.id, active.level) == (cameo, ConsentLevel.ONLY_ME)
        assert tx.consent.active_cameo("theo") is None
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.create_cameo("maya", "m1")
    with pytest.raises(UnknownUserError), people.transaction() as tx:
        tx.consent.create_cameo("nobody", "m1")


def test_a_deleted_cameo_gives_back_its_files(people: Store) -> None:
    with people.transaction() as tx:
        cameo = tx.consent.create_cameo("maya", "m1")
        tx.consent.set_cameo_files(cameo, [Path("/c/1.png")], Path("/c/v.mp4"))
        assert tx.consent.cameo_file_paths() == {"/c/1.png", "/c/v.mp4"}
        deleted = tx.consent.delete_cameo("maya")
        assert deleted.reference_paths == (Path("/c/1.png"),) and deleted.verification_path == Path("/c/v.mp4")
        assert tx.consent.cameo_file_paths() == set() and tx.consent.active_cameo("maya") is None
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.delete_cameo("maya")
    with pytest.raises(UnknownSubjectError), people.transaction() as tx:
        tx.consent.set_cameo_files("cam_none", [], None)


def test_the_snapshot_reads_the_cameo_and_the_follows(people: Store) -> None:
    with people.transaction() as tx:
        assert tx.consent.snapshot("maya", "theo").cameo_status is None
        tx.consent.create_cameo("maya", "m1")
        tx.consent.set_level("maya", ConsentLevel.MUTUALS)
        tx.consent.set_restrictions("maya", ["no politics"])
        tx.consent.set_approve_each_use("maya", True)
        snapshot = tx.consent.snapshot("maya", "theo")
    assert (snapshot.cameo_status, snapshot.level, snapshot.restrictions) == (
        CameoStatus.ACTIVE,
        ConsentLevel.MUTUALS,
        ("no politics",),
    )
    assert snapshot.owner_follows_creator and snapshot.creator_follows_owner and snapshot.approve_each_use
    with people.snapshot() as view:
        assert view.consent.snapshot("maya", "jun", lock=False).owner_follows_creator is False


def test_an_approval_and_a_block_exclude_each_other(people: Store) -> None:
    with people.transaction() as tx:
        tx.consent.set_grant("maya", "theo", GrantKind.APPROVE)
        tx.consent.set_grant("maya", "theo", GrantKind.APPROVE)
        assert tx.consent.snapshot("maya", "theo").approved
        tx.consent.set_grant("maya", "theo", GrantKind.BLOCK)
        snapshot = tx.consent.snapshot("maya", "theo")
        assert snapshot.blocked and not snapshot.approved
        assert tx.consent.revoke_grant("maya", "theo", GrantKind.BLOCK)
        assert not tx.consent.revoke_grant("maya", "theo", GrantKind.BLOCK)
        assert not tx.consent.snapshot("maya", "theo").blocked
    with pytest.raises(UnknownUserError), people.transaction() as tx:
        tx.consent.set_grant("maya", "nobody", GrantKind.APPROVE)


def test_a_guarded_teen_needs_a_guardian_to_allow_an_adult(people: Store) -> None:
    with people.transaction() as tx:
        tx.accounts.add_guardian("jun", "theo")
        tx.consent.set_grant("jun", "maya", GrantKind.APPROVE)
        before = tx.consent.snapshot("jun", "maya")
        tx.consent.set_grant("jun", "maya", GrantKind.GUARDIAN_ALLOW, actor="guardian:theo")
        after = tx.consent.snapshot("jun", "maya")
        assert tx.consent.allowed_by_guardians("jun") == ["maya"]
    assert before.guardian_needed and not before.guardian_allowed
    assert after.guardian_allowed and after.approved, "a guardian's allowance stands beside the owner's approval"


def test_a_guarded_teen_needs_a_guardian_to_allow_every_other_creator_teen_or_adult(people: Store) -> None:
    """Age bands are the app's word: an account it calls a teen is no reason to skip the guardian."""
    with people.transaction() as tx:
        tx.accounts.add("kim", AgeBand.TEEN)
        assert not tx.consent.snapshot("jun", "kim").guardian_needed, "no guardian yet"
        tx.accounts.add_guardian("jun", "theo")
        teen_creator, unknown, own = (tx.consent.snapshot("jun", who) for who in ("kim", "nobody-yet", "jun"))
    assert teen_creator.guardian_needed and unknown.guardian_needed
    assert not own.guardian_needed, "the teen's own videos need nobody's allowance"


def test_consent_changes_are_audited_by_their_actor(people: Store) -> None:
    with people.transaction() as tx:
        cameo = tx.consent.create_cameo("maya", "m1", details={"liveness": 0.9})
        tx.consent.set_level("maya", ConsentLevel.APPROVED)
        tx.consent.set_grant("maya", "theo", GrantKind.APPROVE, actor="app")
    with people.transaction() as tx:
        tail = [(e.actor, e.action, e.subject, dict(e.details)) for e in tx.audit.entries()][-3:]
    assert tail == [
        ("maya", "cameo.created", cameo, {"status": "active", "face_model": "m1", "liveness": 0.9}),
        ("maya", "consent.level_set", cameo, {"from": "only_me", "to": "approved"}),
        ("app", "consent.approve", "theo", {"owner": "maya"}),
    ]


def test_a_use_is_asked_once_and_answered_once(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        video = new_video(tx, "theo", cameos=("maya",))
        asked = tx.consent.request_use(video, "maya", "theo")
        assert tx.consent.request_use(video, "maya", "theo") == asked
    clock.advance(timedelta(seconds=1))
    with people.transaction() as tx:
        other = tx.consent.request_use(video, "jun", "theo")
        answered = tx.consent.answer_use(video, "maya", UseRequestState.APPROVED, actor="maya")
        assert (answered.id, answered.state, answered.decided_at) == (asked, UseRequestState.APPROVED, clock.now())
        assert [r.id for r in tx.consent.use_requests(video_id=video)] == [asked, other]
        assert [r.id for r in tx.consent.use_requests(state=UseRequestState.PENDING)] == [other]
        assert tx.consent.use_requests(owner="theo") == []
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.answer_use(video, "maya", UseRequestState.DECLINED, actor="maya")
    with pytest.raises(UnknownSubjectError), people.transaction() as tx:
        tx.consent.answer_use(video, "theo", UseRequestState.DECLINED, actor="theo")


def test_a_challenge_is_used_once_by_its_user_before_it_expires(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        first = tx.consent.create_challenge("maya", "4711", ["left", "right"], timedelta(minutes=5))
        late = tx.consent.create_challenge("maya", "1234", ["up"], timedelta(minutes=1))
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.take_challenge(first.id, "theo")
    with people.transaction() as tx:
        assert tx.consent.take_challenge(first.id, "maya") == first
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.take_challenge(first.id, "maya")
    clock.advance(timedelta(minutes=2))
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.consent.take_challenge(late.id, "maya")
    with pytest.raises(UnknownUserError), people.transaction() as tx:
        tx.consent.create_challenge("nobody", "1", [], timedelta(minutes=1))


def test_a_teen_owner_is_snapshotted_as_a_teen(people: Store) -> None:
    with people.transaction() as tx:
        tx.accounts.set_teen_controls("jun", actor="guardian:theo", level_cap=ConsentLevel.APPROVED)
        snapshot = tx.consent.snapshot("jun", "nobody-yet")
    assert (snapshot.owner_age_band, snapshot.level_cap, snapshot.guardian_needed) == (
        AgeBand.TEEN,
        ConsentLevel.APPROVED,
        False,
    )
