"""The operating stores' contract on every backend: the review queue with its leases, reviewers and sessions,
appeals and reports, asynchronous submissions with their claims, and named leases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from safety.clock import FakeClock
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import AppealState, NewReviewItem, NewSubmission, ReviewSource, ReviewState, SubmissionState
from safety.storage import Store, Transaction
from tests.safety.storage.conftest import new_video

LEASE = timedelta(minutes=10)


def _item(tx: Transaction, video: str, severity: int = 2, hours: float = 4, *, senior: bool = False) -> str:
    return tx.review.open_item(
        NewReviewItem(
            video,
            source=ReviewSource.GATE,
            reason_codes=("likeness.uncertain",),
            severity=severity,
            sla_hours=hours,
            policy_ref="default@1",
            needs_senior=senior,
        )
    )


def test_open_items_are_most_severe_then_most_urgent_first(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        mild, urgent, severe = _item(tx, video, 1, 1), _item(tx, video, 2, 1), _item(tx, video, 4, 8)
        later = _item(tx, video, 2, 6)
        assert [i.id for i in tx.review.open_items()] == [severe, urgent, later, mild]
        item = tx.review.item(urgent)
        assert (item.state, item.due_at, item.reason_codes) == (
            ReviewState.OPEN,
            clock.now() + timedelta(hours=1),
            ("likeness.uncertain",),
        )
    with pytest.raises(UnknownSubjectError), people.transaction() as tx:
        tx.review.item("rev_none")


def test_a_lease_is_taken_once_until_it_lapses(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        item = _item(tx, new_video(tx))
        assert tx.review.claim(item, "rita", LEASE, senior=False)
        assert tx.review.claim(item, "rita", LEASE, senior=False), "a reviewer renews their own lease"
        assert not tx.review.claim(item, "sam", LEASE, senior=False)
    clock.advance(LEASE + timedelta(seconds=1))
    with people.transaction() as tx:
        assert tx.review.claim(item, "sam", LEASE, senior=False)
        claimed = tx.review.item(item)
    assert (claimed.state, claimed.claimed_by, claimed.lease_until) == (ReviewState.CLAIMED, "sam", clock.now() + LEASE)


def test_an_escalated_item_is_for_seniors(people: Store) -> None:
    with people.transaction() as tx:
        item = _item(tx, new_video(tx))
        tx.review.claim(item, "rita", LEASE, senior=False)
        tx.review.release(item, "rita", escalate=True, note="needs a senior")
        escalated = tx.review.item(item)
        assert (escalated.escalated_by, escalated.escalation_note) == ("rita", "needs a senior")
        assert not tx.review.claim(item, "rita", LEASE, senior=False)
        assert tx.review.claim(item, "sid", LEASE, senior=True)
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.review.release(item, "rita")


def test_a_decision_needs_a_live_lease(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        item = _item(tx, new_video(tx))
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.review.decide(item, "rita", "approve", "ok", "")
    with people.transaction() as tx:
        tx.review.claim(item, "rita", LEASE, senior=False)
    clock.advance(LEASE + timedelta(seconds=1))
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.review.decide(item, "rita", "approve", "ok", "")
    with people.transaction() as tx:
        tx.review.claim(item, "rita", LEASE, senior=False)
        decided = tx.review.decide(item, "rita", "reject", "likeness.no_consent", "not her")
        assert not tx.review.claim(item, "rita", LEASE, senior=True), "a decided item is never claimed again"
    assert (decided.state, decided.outcome, decided.decided_by) == (ReviewState.DECIDED, "reject", "rita")


def test_items_are_listed_newest_first_and_closed_with_their_video(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        first = _item(tx, video)
    clock.advance(timedelta(seconds=1))
    with people.transaction() as tx:
        second = _item(tx, video)
        assert [i.id for i in tx.review.items()] == [second, first]
        assert tx.review.close_items_of(video) == 2 and tx.review.close_items_of(video) == 0
        assert [i.id for i in tx.review.items(decided=True, limit=1)] == [second]
        assert tx.review.items(decided=False) == [] and tx.review.open_items() == []


def test_reviewers_and_their_sessions(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        tx.review.add_reviewer("sam", "senior", "hash-s")
        tx.review.add_reviewer("rita", "reviewer", "hash-r")
        tx.review.set_preferences("rita", grayscale=True, blur_px=8)
        tx.review.start_session("tok", "rita", clock.now() + timedelta(hours=1))
        rita = tx.review.reviewer("rita")
        assert rita is not None and (rita.password_hash, rita.grayscale, rita.blur_px) == ("hash-r", True, 8)
        assert [(r.name, r.password_hash) for r in tx.review.reviewers()] == [("rita", ""), ("sam", "")]
        assert tx.review.session_reviewer("tok") == "rita" and tx.review.reviewer("nobody") is None
    clock.advance(timedelta(hours=2))
    with people.transaction() as tx:
        assert tx.review.session_reviewer("tok") is None, "expired"
        tx.review.end_session("tok")
        tx.review.end_session("tok")
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.review.add_reviewer("rita", "admin", "x")
    with pytest.raises(UnknownSubjectError), people.transaction() as tx:
        tx.review.set_preferences("nobody", grayscale=False, blur_px=1)


def test_appeals_and_reports(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        mine, theirs = new_video(tx), new_video(tx, "theo")
        item = _item(tx, mine)
        appeal = tx.review.add_appeal(mine, "maya", "it is me", item)
        tx.review.close_appeal(item, AppealState.UPHELD)
        tx.review.add_report(mine, "jun", "spam", item)
    clock.advance(timedelta(seconds=1))
    with people.transaction() as tx:
        tx.review.add_report(theirs, "jun", "fake", item)
        tx.review.add_report(mine, "theo", "rude", item)
        found = tx.review.appeal_for_item(item)
        assert found is not None and (found.id, found.text) == (appeal, "it is me")
        assert tx.review.appeal_for_item("rev_none") is None
        assert [r.reason for r in tx.review.reports_for(mine)] == ["spam", "rude"]
        assert [r.reason for r in tx.review.reports_by("jun")] == ["fake", "spam"]
        assert [r.reason for r in tx.review.reports_against("maya", limit=1)] == ["rude"]


# submissions


def _submission(tx: Transaction, video_id: str = "vid_sub") -> str:
    return tx.submissions.create(
        NewSubmission(
            client="studio",
            video_id=video_id,
            creator="maya",
            prompt="a lake",
            cameos=("theo",),
            remix_of=None,
            video_path=Path("/private/v.mp4"),
            input_image_path=Path("/private/i.png"),
            callback_url="https://studio.example/cb",
        )
    ).id


def test_a_submission_is_claimed_by_one_worker(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        sub = _submission(tx)
        assert tx.submissions.get(sub).state is SubmissionState.QUEUED and tx.submissions.for_video("vid_sub") == sub
        assert tx.submissions.claim(sub, "w1", LEASE)
        assert not tx.submissions.claim(sub, "w2", LEASE)
    clock.advance(LEASE + timedelta(seconds=1))
    with store.transaction() as tx:
        assert not tx.submissions.heartbeat(sub, "w2")
        assert tx.submissions.claim(sub, "w2", LEASE), "a lapsed lease is taken over"
        taken = tx.submissions.get(sub)
        assert not tx.submissions.finish(sub, "w1", {"decision": "publish"})
    assert (taken.worker, taken.attempts, taken.claimed_at) == ("w2", 2, clock.now())
    with pytest.raises(UnknownSubjectError), store.transaction() as tx:
        tx.submissions.get("sub_none")


def test_only_the_holder_finishes_or_fails_and_only_a_done_outcome_is_updated(store: Store) -> None:
    with store.transaction() as tx:
        done, failed = _submission(tx, "vid_1"), _submission(tx, "vid_2")
        assert not tx.submissions.update_result(done, {"status": "published"})
        tx.submissions.claim(done, "w1", LEASE)
        tx.submissions.claim(failed, "w1", LEASE)
        assert tx.submissions.heartbeat(done, "w1")
        assert tx.submissions.finish(done, "w1", {"decision": "review", "reasons": ("a",)})
        assert tx.submissions.fail(failed, "w1", "unreadable video")
        assert not tx.submissions.fail(done, "w1", "too late")
        assert tx.submissions.update_result(done, {"decision": "review", "status": "published"})
    with store.transaction() as tx:
        assert tx.submissions.get(done).result == {"decision": "review", "status": "published"}
        assert tx.submissions.get(failed).error == "unreadable video"
        assert tx.submissions.counts() == {"done": 1, "failed": 1} and tx.submissions.depth() == 0


def test_unfinished_submissions_and_their_files(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        queued, running, finished = _submission(tx, "vid_1"), _submission(tx, "vid_2"), _submission(tx, "vid_3")
        tx.submissions.claim(running, "w1", LEASE)
        tx.submissions.claim(finished, "w1", LEASE)
        tx.submissions.finish(finished, "w1", {})
        assert tx.submissions.depth() == 2
        assert tx.submissions.pending_files() == {"/private/v.mp4", "/private/i.png"}
        assert tx.submissions.unfinished(queued_before=clock.now(), lease=LEASE) == []
    clock.advance(LEASE + timedelta(seconds=1))
    with store.transaction() as tx:
        assert tx.submissions.unfinished(queued_before=clock.now(), lease=LEASE) == [queued, running]
        assert tx.submissions.unfinished(queued_before=clock.now(), lease=LEASE, limit=1) == [queued]


def test_one_submission_per_video_and_its_deliveries_in_order(store: Store) -> None:
    with store.transaction() as tx:
        sub = _submission(tx)
        tx.submissions.record_delivery(sub, 1, None, "refused" * 100)
        tx.submissions.record_delivery(sub, 2, 200, None)
        deliveries = tx.submissions.deliveries(sub)
    assert [(d.attempt, d.status_code) for d in deliveries] == [(1, None), (2, 200)]
    assert deliveries[0].error is not None and len(deliveries[0].error) == 500
    with pytest.raises(ConflictError), store.transaction() as tx:
        _submission(tx)


def test_events_are_kept_until_sent_oldest_first_and_dropped_with_a_purge(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        sub = _submission(tx)
        tx.submissions.add_event("evt_1", sub, {"id": "evt_1", "type": "submission.decided", "data": {"n": (1, 2)}})
    clock.advance(timedelta(seconds=5))
    with store.transaction() as tx:
        tx.submissions.add_event("evt_2", sub, {"id": "evt_2", "type": "video.taken_down", "data": {}})
        assert [m["id"] for m in tx.submissions.unsent_events(before=clock.now())] == ["evt_1"]
    clock.advance(timedelta(seconds=1))
    with store.transaction() as tx:
        every = tx.submissions.unsent_events(before=clock.now())
        assert [m["id"] for m in every] == ["evt_1", "evt_2"]
        assert every[0]["data"] == {"n": [1, 2]}, "kept as JSON, as a column keeps it"
        assert tx.submissions.unsent_events(before=clock.now(), limit=1) == every[:1]
        tx.submissions.event_sent("evt_1")
        tx.submissions.event_sent("evt_1")  # sent twice: nothing to remove the second time
        assert [m["id"] for m in tx.submissions.unsent_events(before=clock.now())] == ["evt_2"]
        tx.submissions.scrub("vid_sub")
        assert tx.submissions.unsent_events(before=clock.now()) == []


# named leases


def test_a_named_lease_is_held_renewed_and_released(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        assert tx.locks.try_lease("sweeper", "a", LEASE)
        assert not tx.locks.try_lease("sweeper", "b", LEASE)
        assert tx.locks.try_lease("sweeper", "a", LEASE)
        tx.locks.release("sweeper", "b")
        assert not tx.locks.try_lease("sweeper", "b", LEASE), "only the holder releases"
    clock.advance(LEASE + timedelta(seconds=1))
    with store.transaction() as tx:
        assert tx.locks.try_lease("sweeper", "b", LEASE), "lapsed"
        tx.locks.release("sweeper", "b")
    with store.transaction() as tx:
        assert tx.locks.try_lease("sweeper", "c", LEASE)
