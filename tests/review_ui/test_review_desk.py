"""The reviewer's desk over time (a fake clock): leases that lapse and renew, claim answers that are true, media for
every case and no approval unseen, escalations that keep their context, lockout per account."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from generator import Studio
from safety import AccessDenied, CameoGuard, ConflictError, ConsentLevel, ReviewService, Settings, build
from safety.access import OPERATOR
from safety.clock import SYSTEM_CLOCK, FakeClock
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.records import ReviewSource
from tests.review_ui.conftest import login
from tests.safety.gate.test_likeness_gate import card_image


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SYSTEM_CLOCK.now())


@pytest.fixture
def timed(settings: Settings, clock: FakeClock) -> Iterator[CameoGuard]:
    """CameoGuard on a fake clock, with theo and maya, and four reviewers."""
    with build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models(), clock=clock) as guard:
        guard.accounts.add_user("maya")
        guard.accounts.add_user("theo")
        guard.accounts.follow("maya", "theo")
        guard.accounts.follow("theo", "maya")
        yield guard


@pytest.fixture
def desk(timed: CameoGuard) -> ReviewService:
    service = timed.review_service(quality_share=0.0, rng=random.Random(1))
    for number, (name, role) in enumerate(
        [("rita", "reviewer"), ("sam", "reviewer"), ("sena", "senior"), ("ada", "admin")], start=1
    ):
        service.add_reviewer(name, role, f"correct horse {number}")
    return service


def _held(guard: CameoGuard, seed: int = 77) -> str:
    result = Studio(guard).generate("theo", "breaking news: the election is cancelled", duration_s=1.0, seed=seed)
    assert result["decision"] == "review"
    return str(result["video_id"])


def test_a_lapsed_lease_is_anyones_and_working_renews_it(
    desk: ReviewService, timed: CameoGuard, clock: FakeClock
) -> None:
    _held(timed)
    rita, sam = login(desk, "rita", 1), login(desk, "sam", 2)
    claimed = desk.claim_next(rita)
    assert claimed is not None
    lease = desk.lease_of(rita, claimed.id)
    assert lease.holder == "rita" and lease.left == desk.lease
    assert desk.claim_refusal(sam, claimed.id) == "rita holds this item for 10 min more."
    # rita works on the case: every look renews the lease, so it never runs out under her.
    clock.advance(desk.lease * 0.2)
    assert desk.lease_of(rita, claimed.id, keep=True).left == desk.lease * 0.8, "not renewed on every click"
    for _ in range(3):
        clock.advance(desk.lease * 0.7)
        assert desk.lease_of(rita, claimed.id, keep=True).left == desk.lease
    assert desk.claim_next(sam) is None and desk.lease_of(sam, claimed.id).holder == "rita"
    # She walks away: once the lease runs out, the item is anyone's, from claim-next and from the case.
    clock.advance(desk.lease + timedelta(seconds=1))
    lapsed = desk.lease_of(sam, claimed.id)
    assert lapsed.holder is None and lapsed.lapsed_from == "rita" and lapsed.left == timedelta(0)
    assert desk.claim_refusal(sam, claimed.id) == ""
    taken = desk.claim_next(sam)
    assert taken is not None and taken.id == claimed.id
    # rita's late decision is refused, truthfully: sam holds it now.
    with pytest.raises(ConflictError, match="live lease"):
        desk.decide(rita, claimed.id, "reject", "prompt.election_deception")
    assert desk.lease_of(rita, claimed.id, keep=True).holder == "sam", "looking does not take it back"


def test_a_decision_after_a_lapse_nobody_used_still_counts(
    desk: ReviewService, timed: CameoGuard, clock: FakeClock
) -> None:
    _held(timed)
    rita = login(desk, "rita", 1)
    claimed = desk.claim_next(rita)
    assert claimed is not None
    clock.advance(desk.lease * 2)
    outcome = desk.decide(rita, claimed.id, "reject", "prompt.election_deception")
    assert outcome.status.value == "blocked"


def test_claim_answers_say_what_is_true(desk: ReviewService, timed: CameoGuard) -> None:
    _held(timed)
    rita, sam, sena = login(desk, "rita", 1), login(desk, "sam", 2), login(desk, "sena", 3)
    item = desk.claim_next(rita)
    assert item is not None
    desk.decide(rita, item.id, "reject", "prompt.election_deception")
    assert not desk.claim(sam, item.id)
    assert desk.claim_refusal(sam, item.id) == (
        "This item is already decided: reject (prompt.election_deception) by rita."
    )
    assert desk.lease_of(sam, item.id).decided
    second = _held(timed, seed=78)
    [waiting] = [i for i in desk.queue(sena) if i.video_id == second]
    assert desk.claim(rita, waiting.id)
    desk.escalate(rita, waiting.id, "needs a second look")
    assert desk.claim_refusal(sam, waiting.id) == "This item was escalated: only seniors take it."
    assert desk.claim_refusal(sena, waiting.id) == ""


def test_reason_codes_are_offered_once(desk: ReviewService, timed: CameoGuard) -> None:
    _held(timed)
    rita = login(desk, "rita", 1)
    item = desk.queue(rita)[0]
    doubled = type(item)(**{**item.__dict__, "reason_codes": (*item.reason_codes, *item.reason_codes)})
    for outcome in ("approve", "reject"):
        codes = desk.reason_codes(doubled, outcome)
        assert len(codes) == len(set(codes)) and codes[0] == item.reason_codes[0]


def test_a_video_its_owner_approved_shows_its_published_file(desk: ReviewService, timed: CameoGuard) -> None:
    """Published out of quarantine after its owner approved: the row names the published file, not the deleted
    quarantined one, so its report shows the video and may be approved."""
    assert timed.cameos.enroll_cameo_from_images("maya", [card_image(timed.settings.home, 20, "maya")])
    timed.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    timed.cameos.set_approve_each_use("maya", True)
    result = Studio(timed).generate("theo", "a walk in the park", cameos=["maya"], duration_s=1.0, seed=7001)
    assert result["status"] == "pending_owner"
    published = timed.use_requests.approve("maya", result["video_id"])
    assert published is not None and published.status.value == "published"
    video = timed.videos.show(result["video_id"]).video
    assert video.quarantine_path is None and video.published_path is not None
    item = timed.videos.report(result["video_id"], "maya", "I changed my mind", viewer=OPERATOR)
    sena = login(desk, "sena", 3)
    [entry] = [e for e in desk.queue_entries(sena) if e.item.id == item]
    assert entry.media_path == video.published_path and entry.media_path.is_file()
    assert desk.claim(sena, item)
    case = desk.case(sena, item)
    assert case.media_shown and case.media_path == video.published_path
    assert desk.decide(sena, item, "approve", "report.user").status.value == "published"


def test_nothing_is_approved_while_its_media_cannot_be_shown(desk: ReviewService, timed: CameoGuard) -> None:
    held = _held(timed)
    second = _held(timed, seed=78)
    sena = login(desk, "sena", 3)
    items = {i.video_id: i.id for i in desk.queue(sena)}
    for video_id in (held, second):
        path = timed.videos.show(video_id).video.quarantine_path
        assert path is not None
        path.unlink()
    assert desk.claim(sena, items[held])
    assert not desk.case(sena, items[held]).media_shown
    with pytest.raises(ConflictError, match="cannot be shown"):
        desk.decide(sena, items[held], "approve", "prompt.election_deception")
    results = dict(desk.decide_many(sena, [items[second]], "approve", "prompt.election_deception"))
    assert isinstance(results[items[second]], str) and "cannot be shown" in str(results[items[second]])
    # Rejecting needs no file: a video that cannot be shown is not published.
    assert desk.decide(sena, items[held], "reject", "prompt.election_deception").status.value == "blocked"


def test_lockout_is_per_account_and_per_address_only_at_a_far_higher_count(
    desk: ReviewService, clock: FakeClock
) -> None:
    from safety.usecases.review_rules import LOGIN_FAILURES_ALLOWED, LOGIN_FAILURES_PER_ADDRESS

    office = "10.1.1.1"
    for _ in range(LOGIN_FAILURES_ALLOWED):
        with pytest.raises(AccessDenied, match="wrong name or password"):
            desk.login("rita", "guess", client=office)
    with pytest.raises(AccessDenied, match="too many failed logins"):
        desk.login("rita", "correct horse 1", client=office)
    # A colleague at the same address still logs in.
    assert desk.whoami(desk.login("sam", "correct horse 2", client=office)).name == "sam"
    for number in range(LOGIN_FAILURES_PER_ADDRESS - LOGIN_FAILURES_ALLOWED):
        with pytest.raises(AccessDenied, match="wrong name or password"):
            desk.login(f"guess{number}", "guess", client=office)
    with pytest.raises(AccessDenied, match="too many failed logins"):
        desk.login("sena", "correct horse 3", client=office)
    clock.advance(timedelta(minutes=16))
    assert desk.whoami(desk.login("sena", "correct horse 3", client=office)).name == "sena"


def test_an_investigation_shows_a_purged_prompt_as_purged(desk: ReviewService, timed: CameoGuard) -> None:
    held = _held(timed)
    with timed.store.transaction() as tx:
        tx.videos.scrub(held)  # what a purge leaves of the prompt: a keyed digest
    [video] = desk.user_history(login(desk, "rita", 1), "theo").videos
    assert video["prompt"] == "(purged)" and video["at"].endswith(" UTC") and video["case"].startswith("rev_")


def test_approving_a_hold_offers_the_code_it_was_held_for_first(desk: ReviewService, timed: CameoGuard) -> None:
    """`prompt.sexual` blocks above its block threshold and is held between its two: approving that hold cites it."""
    _held(timed)
    item = desk.queue(login(desk, "rita", 1))[0]
    held_for = type(item)(**{**item.__dict__, "reason_codes": ("prompt.sexual",)})
    assert desk.reason_codes(held_for, "approve")[0] == "prompt.sexual"
    report = type(item)(**{**item.__dict__, "reason_codes": ("prompt.sexual",), "source": ReviewSource.REPORT})
    assert "prompt.sexual" not in desk.reason_codes(report, "approve"), "a report is no path to approving a block"


def test_an_appeals_codes_start_with_those_of_the_decision_appealed(desk: ReviewService, timed: CameoGuard) -> None:
    held = _held(timed)
    rita, sena = login(desk, "rita", 1), login(desk, "sena", 3)
    item = desk.claim_next(rita)
    assert item is not None
    desk.decide(rita, item.id, "reject", "prompt.election_deception")
    appeal = desk.appeal(held, "theo", "it is satire")
    case = desk.case(sena, appeal)
    for outcome in ("uphold", "overturn"):
        codes = case.codes_by_outcome[outcome]
        assert codes[0] == "prompt.election_deception" and len(codes) == len(set(codes)), "not alphabetical"
