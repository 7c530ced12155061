"""The review service on SQLite and PostgreSQL: access, leases, decisions, appeals, quality sampling."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from generator import Studio
from provenance import read_manifest
from safety import (
    AccessDenied,
    CameoGuard,
    ConflictError,
    ConsentLevel,
    ReviewService,
    Settings,
    SubmissionError,
    UnknownVideoError,
    build,
    to_json,
)
from safety.access import OPERATOR
from safety.clock import FakeClock
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from tests.review_ui.conftest import login
from tests.safety.gate.test_likeness_gate import card_image


def test_login_sessions_and_roles(reviews: ReviewService, people: CameoGuard) -> None:
    with pytest.raises(AccessDenied, match="wrong name or password"):
        reviews.login("rita", "nope")
    with pytest.raises(AccessDenied, match="wrong name or password"):
        reviews.login("nobody", "whatever1")
    with pytest.raises(AccessDenied):
        reviews.whoami(None)
    rita = login(reviews, "rita", 1)
    assert (rita.name, rita.role, rita.senior) == ("rita", "reviewer", False)
    with pytest.raises(AccessDenied):
        to_json(reviews.reviewers(rita))
    assert [r.name for r in reviews.reviewers(login(reviews, "ada", 4))] == ["ada", "rita", "sam", "sena"]
    short = people.review_service(session_minutes=-1)
    token = short.login("rita", "correct horse 1")
    with pytest.raises(AccessDenied, match="expired"):
        short.whoami(token)
    with pytest.raises(SubmissionError):
        reviews.add_reviewer("weak", "reviewer", "short")
    from sqlalchemy import text

    with people.database.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM reviewers WHERE name = 'rita'")).scalar_one()
    assert stored.startswith("$argon2") and "correct horse" not in stored


def test_claim_case_and_approve_publishes_signed(
    reviews: ReviewService, held: dict[str, Any], people: CameoGuard
) -> None:
    rita = login(reviews, "rita", 1)
    queue = reviews.queue(rita)
    assert [i.video_id for i in queue] == [held["video_id"]]
    item = queue[0]
    assert reviews.claim(rita, item.id)
    sam = login(reviews, "sam", 2)
    assert not reviews.claim(sam, item.id)
    case = reviews.case(rita, item.id)
    assert case.media_path is not None and case.media_path.is_file()
    assert any(r["code"] == "prompt.election_deception" and r["policy_text"] for r in case.reasons)
    assert "prompt.election_deception" in case.codes_by_outcome["approve"] and case.frames
    with pytest.raises(SubmissionError):
        to_json(reviews.decide(rita, item.id, "approve", "not.a.code"))
    result = to_json(reviews.decide(rita, item.id, "approve", "prompt.election_deception", "satire, clearly labelled"))
    assert result["status"] == "published"
    report = read_manifest(Path(result["published_path"]), trust_anchors_pem=people.keys.trust_anchors_pem)
    assert report.trusted and report.video_id == held["video_id"]
    assert reviews.queue(rita) == []
    assert people.tracing.verify_audit().ok


def test_reject_escalate_and_senior_only(reviews: ReviewService, held: dict[str, Any], people: CameoGuard) -> None:
    rita, sena = login(reviews, "rita", 1), login(reviews, "sena", 3)
    item = reviews.queue(rita)[0]
    assert reviews.claim(rita, item.id)
    reviews.escalate(rita, item.id, "needs a second look")
    assert reviews.queue(rita) == []
    assert not reviews.claim(rita, item.id)
    assert reviews.claim(sena, item.id)
    assert to_json(reviews.decide(sena, item.id, "reject", "prompt.election_deception"))["status"] == "blocked"
    assert people.videos.show(held["video_id"]).video.status.value == "blocked"


def test_expired_lease_can_be_taken_over(reviews: ReviewService, held: dict[str, Any], people: CameoGuard) -> None:
    rita, sam = login(reviews, "rita", 1), login(reviews, "sam", 2)
    item = reviews.queue(rita)[0]
    short = people.review_service(lease_minutes=-1)
    assert short.claim(rita, item.id)
    assert reviews.claim(sam, item.id), "an expired lease is free"
    with pytest.raises(ConflictError):
        to_json(reviews.decide(rita, item.id, "approve", "prompt.election_deception"))


def test_report_reject_takes_the_video_down(reviews: ReviewService, people: CameoGuard) -> None:
    published = Studio(people).generate("maya", "a calm harbour", duration_s=1.0, seed=91)
    people.videos.report(published["video_id"], "theo", "this is my work")
    rita = login(reviews, "rita", 1)
    item = reviews.queue(rita)[0]
    assert item.source == "report" and reviews.claim(rita, item.id)
    assert to_json(reviews.decide(rita, item.id, "reject", "report.user"))["status"] == "blocked"
    assert not Path(published["published_path"]).exists()
    assert people.tracing.verify_audit().ok


def test_appeal_upheld_or_overturned_by_a_senior(reviews: ReviewService, held: dict[str, Any]) -> None:
    rita, sena = login(reviews, "rita", 1), login(reviews, "sena", 3)
    item = reviews.queue(rita)[0]
    reviews.claim(rita, item.id)
    to_json(reviews.decide(rita, item.id, "reject", "prompt.election_deception"))
    # A blocked video of someone else's is unknown to maya: the answer an id that does not exist gets.
    with pytest.raises(UnknownVideoError, match="unknown video"):
        reviews.appeal(held["video_id"], "maya", "not mine but unfair")
    appeal_item = reviews.appeal(held["video_id"], "theo", "it is satire")
    assert reviews.queue(rita) == []
    assert reviews.claim(sena, appeal_item)
    case = reviews.case(sena, appeal_item)
    assert case.appeal is not None and case.appeal.text == "it is satire"
    with pytest.raises(AccessDenied):
        to_json(reviews.decide(sena, appeal_item, "approve", "prompt.election_deception"))
    assert to_json(reviews.decide(sena, appeal_item, "overturn", "prompt.election_deception"))["status"] == "published"


def test_approval_rechecks_consent_so_a_revocation_wins(
    reviews: ReviewService, people: CameoGuard, tmp_path: Path
) -> None:
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    result = Studio(people).generate(
        "theo", "breaking news: maya says the election is cancelled", cameos=["maya"], duration_s=1.0, seed=5
    )
    assert result["decision"] == "review"
    rita = login(reviews, "rita", 1)
    item = next(i for i in reviews.queue(rita) if i.video_id == result["video_id"])
    reviews.claim(rita, item.id)
    with people.store.transaction() as tx:  # revoked while the item waited (without the purge machinery)
        tx.consent.set_level("maya", ConsentLevel.ONLY_ME)
    outcome = to_json(reviews.decide(rita, item.id, "approve", "prompt.election_deception"))
    assert outcome["status"] == "blocked" and outcome["published_path"] is None


def test_quality_sampling_and_dashboard(people: CameoGuard, held: dict[str, Any]) -> None:
    import random

    reviews = people.review_service(quality_share=1.0, rng=random.Random(3))
    reviews.add_reviewer("rita", "reviewer", "correct horse 1")
    reviews.add_reviewer("sam", "reviewer", "correct horse 2")
    rita, sam = login(reviews, "rita", 1), login(reviews, "sam", 2)
    item = reviews.queue(rita)[0]
    reviews.claim(rita, item.id)
    to_json(reviews.decide(rita, item.id, "reject", "prompt.election_deception"))
    assert reviews.queue(rita) == [], "the original reviewer never gets the blind re-review"
    blind = reviews.queue(sam)[0]
    assert blind.blind_of == item.id and blind.source == "quality"
    reviews.claim(sam, blind.id)
    blind_case = reviews.case(sam, blind.id)
    shown = to_json(blind_case)
    assert shown["status"].startswith("hidden") and shown["decisions"] == []
    assert blind_case.reasons and all("rita" not in r["message"] for r in blind_case.reasons)
    to_json(reviews.decide(sam, blind.id, "reject", "prompt.election_deception"))
    stats = to_json(reviews.dashboard(sam))
    assert stats["quality_pairs"] == 1 and stats["quality_agreement"] == 1.0
    assert stats["reason_mix"]["prompt.election_deception"] >= 2
    assert sum(sum(v.values()) for v in stats["decisions_per_reviewer_per_hour"].values()) == 2


@pytest.mark.parametrize("round_", range(5))
@pytest.mark.dialects
def test_two_reviewers_claim_at_once_exactly_one_wins(
    reviews: ReviewService, held: dict[str, Any], round_: int
) -> None:
    rita, sam = login(reviews, "rita", 1), login(reviews, "sam", 2)
    item = reviews.queue(rita)[0]
    barrier = threading.Barrier(2)
    wins: list[str] = []

    def claim(who: Any) -> None:
        barrier.wait()
        if reviews.claim(who, item.id):
            wins.append(who.name)

    threads = [threading.Thread(target=claim, args=(r,)) for r in (rita, sam)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1, wins


def test_review_cli_reads_the_password_from_stdin(
    people: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import json

    from safety.edges.cli import main

    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", people.settings.resolved_database_url)
    home = ["--home", str(people.settings.home)]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret phrase\n"))
    assert main([*home, "review", "user", "add", "olga", "--role", "senior", "--password-stdin", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "olga", "role": "senior"}
    assert people.review_service().whoami(people.review_service().login("olga", "a long secret phrase")).senior
    assert main([*home, "review", "user", "add", "pete"]) == 2  # a password on the command line is refused
    capsys.readouterr()
    assert main([*home, "hook", "token", "studio", "--json"]) == 0
    token = json.loads(capsys.readouterr().out)["token"]
    assert people.accounts.hook_client(token) == "studio"


def test_a_report_never_publishes_what_the_gate_blocked(
    reviews: ReviewService, people: CameoGuard, tmp_path: Path
) -> None:
    """A plain reviewer approving a user report on a gate-blocked video leaves it blocked: a report is no path to
    publishing, and approving cites only codes the policy leaves to people."""
    people.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")])
    blocked = Studio(people).generate(
        "theo", "a man giving a speech", face_images=[card_image(tmp_path, 60, "senator-2")], duration_s=1.0, seed=9
    )
    assert blocked["decision"] == "block" and "likeness.protected_person" in {r["code"] for r in blocked["reasons"]}
    item = people.videos.report(blocked["video_id"], "maya", "please look again", viewer=OPERATOR)
    rita = login(reviews, "rita", 1)
    assert reviews.claim(rita, item)
    case = reviews.case(rita, item)
    assert (
        "check.error" not in case.codes_by_outcome["approve"]
        and "likeness.protected_person" not in (case.codes_by_outcome["approve"])
    )
    assert case.codes_by_outcome["approve"][0] == "report.user", "the item's own codes come first"
    with pytest.raises(SubmissionError):
        reviews.decide(rita, item, "approve", "likeness.protected_person")
    outcome = reviews.decide(rita, item, "approve", "report.user", "report unfounded")
    assert outcome.status.value == "blocked" and outcome.published_path is None
    assert people.videos.show(blocked["video_id"]).video.status.value == "blocked"
    assert not list(people.media.area("published").rglob("*.mp4"))


def test_a_report_on_a_held_video_does_not_publish_it(
    reviews: ReviewService, people: CameoGuard, held: dict[str, Any]
) -> None:
    item = people.videos.report(held["video_id"], "maya", "looks off", viewer=OPERATOR)
    rita = login(reviews, "rita", 1)
    assert reviews.claim(rita, item)
    assert reviews.decide(rita, item, "approve", "report.user").status.value == "held"
    assert people.videos.show(held["video_id"]).video.status.value == "held"


def test_logins_are_throttled_timed_alike_and_audited(settings: Settings) -> None:
    clock = FakeClock()
    production_cost = settings.model_copy(update={"reviewer_password_kib": Settings().reviewer_password_kib})
    with build(production_cost, face_analyzer=FakeFaceAnalyzer(), models=fake_models(), clock=clock) as guard:
        reviews = guard.review_service(quality_share=0.0)
        reviews.add_reviewer("rita", "reviewer", "correct horse 1")
        for _ in range(10):
            with pytest.raises(AccessDenied, match="wrong name or password"):
                reviews.login("rita", "guess", client="10.0.0.9")
        with pytest.raises(AccessDenied, match="too many failed logins"):
            reviews.login("rita", "correct horse 1", client="10.0.0.1")  # the account is locked for everyone
        with pytest.raises(AccessDenied, match="wrong name or password"):
            reviews.login("someone", "whatever", client="10.0.0.9")  # an address: at a far higher count
        clock.advance(timedelta(minutes=16))
        assert reviews.whoami(reviews.login("rita", "correct horse 1", client="10.0.0.1")).name == "rita"

        def seconds(name: str) -> float:
            started = time.perf_counter()
            with pytest.raises(AccessDenied):
                reviews.login(name, "nope", client=f"timing-{name}")
            return time.perf_counter() - started

        known = sorted(seconds("rita") for _ in range(3))[1]
        unknown = sorted(seconds("nobody-at-all") for _ in range(3))[1]
        assert 0.4 < unknown / known < 2.5, (known, unknown)
        with guard.store.transaction() as tx:
            failed = [e for e in tx.audit.entries() if e.action == "reviewer.login_failed"]
        assert len(failed) >= 12 and all("guess" not in str(e.details) for e in failed)
        assert {e.details["why"] for e in failed} >= {"wrong name or password", "locked"}


def test_a_cheap_password_hash_is_refused_in_production_and_hashes_keep_their_own_cost(settings: Settings) -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="refused in production"):
        Settings(env="production", reviewer_password_kib=1024)
    assert Settings(env="production").reviewer_password_kib >= 19456
    with build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        guard.review_service().add_reviewer("rita", "reviewer", "correct horse 1")
        with guard.store.transaction() as tx:
            found = tx.review.reviewer("rita")
        assert found is not None and "m=1024," in found.password_hash
    # The same account logs in after the cost is raised: a stored hash is checked with the cost it was made with.
    raised = settings.model_copy(update={"reviewer_password_kib": 4096})
    with build(raised, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        reviews = guard.review_service()
        assert reviews.whoami(reviews.login("rita", "correct horse 1")).name == "rita"


def test_queue_entries_read_as_text_and_filter(
    reviews: ReviewService, people: CameoGuard, held: dict[str, Any]
) -> None:
    people.videos.report(held["video_id"], "maya", "misleading", viewer=OPERATOR)
    rita = login(reviews, "rita", 1)
    entries = reviews.queue_entries(rita)
    assert {(e.prompt, e.creator, e.item.source.value) for e in entries} == {
        ("breaking news: the election is cancelled", "theo", "gate"),
        ("breaking news: the election is cancelled", "theo", "report"),
    }
    assert all(e.sla in ("on time", "due soon") and 0 <= e.age_hours < 1 for e in entries)
    assert [e.item.source.value for e in reviews.queue_entries(rita, source="report")] == ["report"]
    assert reviews.queue_entries(rita, sla="breached") == []
    thumbnail = reviews.thumbnail(entries[0].media_path)
    assert thumbnail is not None and thumbnail.shape[1] == 160


def test_face_evidence_puts_the_crop_beside_the_protected_persons_photo(
    reviews: ReviewService, people: CameoGuard, lookalike: dict[str, Any]
) -> None:
    from safety.edges.sweeps import sweep_once
    from safety.invariants import check_invariants

    rita = login(reviews, "rita", 1)
    item = reviews.queue(rita)[0]
    case = reviews.case(rita, item.id)
    [face] = reviews.face_evidence(case)
    assert (face.subject, face.subject_kind, face.verdict) == ("A. Senator", "protected", "uncertain")
    assert face.reference is not None and face.reference.is_file() and face.reference.parent.parent.name == "protected"
    assert face.crop is not None and face.crop.shape[2] == 3
    assert face.similarity is not None and 0.8 < face.similarity < 1.0
    # The crop is the face: the fake analyzer's magenta square fills its middle.
    middle = face.crop[face.crop.shape[0] // 2, face.crop.shape[1] // 2]
    assert middle[0] > 180 and middle[2] > 180
    [frame] = reviews.frame_strip(case)
    assert frame.boxes and frame.boxes[0][1] == "A. Senator (uncertain)"
    # The photo is the protection's own file: the sweeper keeps it, and unprotecting removes it.
    sweep_once(people)
    assert face.reference.is_file()
    assert check_invariants(people.store, people.media, people.policies, quiescent=True).ok
    people.protection.unprotect("A. Senator")
    assert not face.reference.exists()


def test_seniors_decide_in_bulk_and_export_decisions(
    reviews: ReviewService, people: CameoGuard, held: dict[str, Any]
) -> None:
    second = Studio(people).generate("maya", "breaking news: the election is cancelled", duration_s=1.0, seed=79)
    assert second["decision"] == "review"
    rita, sena = login(reviews, "rita", 1), login(reviews, "sena", 3)
    items = [i.id for i in reviews.queue(sena)]
    with pytest.raises(AccessDenied):
        reviews.decide_many(rita, items, "reject", "prompt.election_deception")
    assert reviews.claim(rita, items[0])
    results = dict(reviews.decide_many(sena, items, "reject", "prompt.election_deception", "coordinated"))
    assert results[items[0]] == "someone else holds it"
    decided = results[items[1]]
    assert not isinstance(decided, str) and decided.status.value == "blocked"
    with pytest.raises(AccessDenied):
        reviews.decisions_csv(rita)
    rows = reviews.decisions_csv(sena).splitlines()
    assert rows[0].split(",")[:3] == ["item", "video_id", "source"]
    assert len(rows) == 2 and items[1] in rows[1] and ",reject,prompt.election_deception,sena," in rows[1]
    assert "coordinated" not in rows[1], "reviewers' notes stay out of the export"
    with people.store.transaction() as tx:
        actions = [e.action for e in tx.audit.entries()]
    assert "review.bulk_decided" in actions and "review.exported" in actions


def test_investigation_dashboard_appeals_and_preferences(
    reviews: ReviewService, people: CameoGuard, held: dict[str, Any]
) -> None:
    people.videos.report(held["video_id"], "maya", "misleading", viewer=OPERATOR)
    rita, sena = login(reviews, "rita", 1), login(reviews, "sena", 3)
    history = reviews.user_history(rita, "theo")
    assert [v["video_id"] for v in history.videos] == [held["video_id"]]
    assert history.videos[0]["decision"] == "review"
    assert [(r.reporter, r.video_id) for r in history.reports_received] == [("maya", held["video_id"])]
    assert [r.reason for r in reviews.user_history(rita, "maya").reports_filed] == ["misleading"]
    with people.store.transaction() as tx:
        assert [e.subject for e in tx.audit.entries() if e.action == "review.investigated"] == ["theo", "maya"]
    gate_item = next(i for i in reviews.queue(rita) if i.source.value == "gate")
    assert reviews.claim(rita, gate_item.id)
    reviews.decide(rita, gate_item.id, "reject", "prompt.election_deception")
    reviews.appeal(held["video_id"], "theo", "it is satire")
    with pytest.raises(AccessDenied):
        reviews.appeal_cases(rita)
    [appeal] = reviews.appeal_cases(sena)
    assert (appeal.appellant, appeal.text, appeal.original_action) == ("theo", "it is satire", "block")
    assert appeal.decided_by == "reviewer:rita" and appeal.holder is None
    assert appeal.original_reasons[0][0] == "prompt.election_deception"
    dashboard = reviews.dashboard(sena)
    assert (
        dashboard.reviewers == ["rita"]
        and sum(next(iter(dashboard.decisions_per_reviewer_per_day.values())).values()) == 1
    )
    from safety import ReviewerPreferences

    assert reviews.preferences(rita) == ReviewerPreferences(True, 24), "grayscale by default for a new reviewer"
    assert reviews.set_preferences(rita, ReviewerPreferences(True, 500)) == ReviewerPreferences(True, 64)
    assert reviews.preferences(login(reviews, "rita", 1)) == ReviewerPreferences(True, 64)


def test_the_first_reviewer_can_neither_open_claim_nor_decide_their_blind_re_review(
    people: CameoGuard, held: dict[str, Any]
) -> None:
    import random

    reviews = people.review_service(quality_share=1.0, rng=random.Random(3))
    reviews.add_reviewer("rita", "reviewer", "correct horse 1")
    reviews.add_reviewer("sam", "reviewer", "correct horse 2")
    rita, sam = login(reviews, "rita", 1), login(reviews, "sam", 2)
    item = reviews.queue(rita)[0]
    assert reviews.claim(rita, item.id)
    reviews.decide(rita, item.id, "reject", "prompt.election_deception")
    [blind] = reviews.queue(sam)
    assert blind.blind_of == item.id
    # By its URL (the queue hides it): opening, claiming and deciding are all refused.
    with pytest.raises(AccessDenied, match="another reviewer"):
        reviews.case(rita, blind.id)
    with pytest.raises(AccessDenied, match="another reviewer"):
        reviews.claim(rita, blind.id)
    # Even holding its lease (taken behind the service's back), the first reviewer cannot decide it.
    with people.store.transaction() as tx:
        assert tx.review.claim(blind.id, "rita", timedelta(minutes=5), senior=False)
    with pytest.raises(AccessDenied, match="another reviewer"):
        reviews.decide(rita, blind.id, "reject", "prompt.election_deception")
    # Another reviewer takes it once the lease lapses, and decides it.
    with people.store.transaction() as tx:
        tx.review.release(blind.id, "rita")
    assert reviews.claim(sam, blind.id)
    assert reviews.decide(sam, blind.id, "reject", "prompt.election_deception").status.value == "blocked"
