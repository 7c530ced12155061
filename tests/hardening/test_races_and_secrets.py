"""Races run many times (publish against revoke, two reviewers claiming) and no secret in any log."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from generator import Studio
from safety import CameoGuard, ConsentLevel
from safety.records import NewReviewItem, ReviewSource, TemplateSubject
from tests.safety.gate.test_likeness_gate import card_image

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

FULL = os.environ.get("CAMEOGUARD_HARDENING") == "1"
ROUNDS = int(os.environ.get("CAMEOGUARD_RACE_ROUNDS", "200" if FULL else "4"))


def test_publish_racing_a_revocation_never_leaves_a_revoked_likeness_published(
    people: CameoGuard, tmp_path: Path
) -> None:
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    studio = Studio(people)
    rounds = ROUNDS if people.database.is_postgres else max(2, ROUNDS // 10)
    outcomes = {"published_then_purged": 0, "refused": 0, "published_before_grant": 0}
    for round_ in range(rounds):
        people.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
        barrier = threading.Barrier(2)
        result: dict[str, str] = {}

        def publish() -> None:
            barrier.wait()
            result.update(studio.generate("theo", "maya on a swing", cameos=["maya"], duration_s=0.5, seed=round_))

        def revoke() -> None:
            barrier.wait()
            people.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)

        threads = [threading.Thread(target=publish), threading.Thread(target=revoke)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        status = people.videos.show(result["video_id"]).video.status.value
        assert status != "published", f"round {round_}: a revoked likeness stayed published"
        outcomes["published_then_purged" if status == "purged" else "refused"] += 1
    assert sum(outcomes.values()) == rounds


def test_claim_race_many_times(people: CameoGuard) -> None:
    reviews = people.review_service(quality_share=0.0)
    reviews.add_reviewer("rita", "reviewer", "correct horse 1")
    reviews.add_reviewer("sam", "reviewer", "correct horse 2")
    rita = reviews.whoami(reviews.login("rita", "correct horse 1"))
    sam = reviews.whoami(reviews.login("sam", "correct horse 2"))
    rounds = ROUNDS if people.database.is_postgres else max(2, ROUNDS // 10)
    video = Studio(people).generate("theo", "a harbour", duration_s=0.5, seed=1)["video_id"]
    for round_ in range(rounds):
        with people.store.transaction() as tx:
            item = tx.review.open_item(
                NewReviewItem(
                    video,
                    source=ReviewSource.REPORT,
                    reason_codes=("report.user",),
                    severity=2,
                    sla_hours=1,
                    policy_ref="default@2026.11.0",
                )
            )
        barrier = threading.Barrier(2)
        wins: list[str] = []

        def claim(who: object) -> None:
            barrier.wait()
            if reviews.claim(who, item):  # type: ignore[arg-type]
                wins.append(str(who))

        threads = [threading.Thread(target=claim, args=(r,)) for r in (rita, sam)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, f"round {round_}: {wins}"


def test_no_secret_or_template_in_logs_or_audit(
    people: CameoGuard, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = people.accounts.hook_token("studio")
    reviews = people.review_service()
    reviews.add_reviewer("rita", "reviewer", "hunter2-hunter2")
    session = reviews.login("rita", "hunter2-hunter2")
    people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")])
    Studio(people).generate("maya", "a walk", cameos=["maya"], duration_s=0.5, seed=3)
    key = (people.settings.home / "keys" / "signer.key").read_text()
    secrets = [token, session, "hunter2-hunter2", key.splitlines()[1]]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    with people.store.transaction() as tx:
        audited = "\n".join(str(e.details) for e in tx.audit.entries())
        templates = tx.templates.templates_of(TemplateSubject.CAMEO, "maya")
    for secret in secrets:
        assert secret not in logged and secret not in audited
    # Biometric data only where it must be: templates live in face_templates, never in decisions or the audit log.
    vector_text = str(list(memoryview(templates[0].vector).cast("f"))[:3])
    from sqlalchemy import text

    with people.database.engine.connect() as conn:
        facts = " ".join(str(f) for f in conn.execute(text("SELECT facts FROM decisions")).scalars())
    assert vector_text[1:10] not in facts and vector_text[1:10] not in audited
    assert people.tracing.verify_audit().ok
