"""Deciding: the consent of the owners the checks found, the decision (pure, `safety.decision.decide`), and the
decision put on record before any file moves.

Owners the `likeness` check identified but the creator did not declare, people found in the input image, and owners
only heard have their consent read here, in one short transaction after the checks. Then the decision is saved in
the gate's second transaction, under the row's lock, with the track embeddings and the identified owners' lineage
edges; if the row left `checking` meanwhile (a purge, the sweeper), nothing is saved and the caller answers with
what holds now.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from policies import PolicyPack
from safety.checks import CheckRun
from safety.checks.speech import transcripts
from safety.consent import consent_verdict
from safety.decision import CHECK_ERROR, decide
from safety.domain import Decision, Finding, Submission, VideoStatus
from safety.errors import CheckFailure
from safety.gate.run import GATE_ACTOR, GateParts
from safety.storage import Transaction


@dataclass(frozen=True)
class Judgement:
    """The decision on a checked submission, with the people it concerns."""

    decision: Decision
    subjects: tuple[str, ...]
    """Whose consent is read again at publish: declared, identified, in the input image, heard."""
    appearing: tuple[str, ...]
    """Owners identified by face or voice: they join the video's lineage, so their revocation finds it."""


def judge(
    gate: GateParts, submission: Submission, policy: PolicyPack, run: CheckRun, started: float, ingest_ms: float
) -> Judgement:
    """The findings of the checks plus the found owners' consent, decided by the policy (one short transaction to
    read consent; the decision itself is pure)."""
    identified = identified_owners(run.findings, "likeness.identified")
    in_input = identified_owners(run.findings, "input.identified")
    # Owners heard but neither declared nor seen: a voice is weaker evidence than a face, so a refusal holds
    # the video for a person (`likeness.voice_no_consent`) instead of blocking it.
    heard = [
        o
        for o in identified_owners(run.findings, "likeness.voice_identified")
        if o not in identified and o not in submission.cameos
    ]
    spoken = transcripts(run.facts)
    with gate.store.transaction() as tx:
        # Faces found but not declared: their owners' consent, read now from the database.
        undeclared = [o for o in identified if o not in submission.cameos]
        found = gate._consent_findings(tx, submission, undeclared, stage="identified", spoken=spoken)
        found += [
            replace(f, code="input.real_person_without_consent")
            for f in gate._consent_findings(tx, submission, in_input, stage="input_image")
        ]
        if heard:
            found += [
                replace(f, code="likeness.voice_no_consent", evidence={**f.evidence, "consent_code": f.code})
                for f in gate._consent_findings(tx, submission, heard, stage="voice", spoken=spoken)
                if f.code != CHECK_ERROR
            ]
    timings = {"intake": ingest_ms, **run.timings_ms}
    decision = decide([*run.findings, *found], policy, run.checks_run, timings)
    decision = replace(
        decision, timings_ms={**timings, "total": (time.perf_counter() - started) * 1000}, facts=run.facts
    )
    gate.metrics.record_decision(decision)
    subjects = tuple(dict.fromkeys([*submission.cameos, *identified, *in_input, *heard]))
    return Judgement(decision, subjects, tuple(dict.fromkeys([*identified, *heard])))


def persist(gate: GateParts, video_id: str, judgement: Judgement, run: CheckRun) -> str | None:
    """Transaction 2: the decision on record before any file moves; its id, or None when the row is no longer
    `checking` (nothing saved). If the process dies after this, the sweeper settles the row; nothing is published
    without a decision on record."""
    with gate.store.transaction() as tx:
        # Locked: a purge that landed during the checks has scrubbed this video, and a decision saved after it
        # would bring back the names it removed.
        if tx.videos.get(video_id, lock=True).status is not VideoStatus.CHECKING:
            return None
        decision_id = tx.decisions.save(video_id, judgement.decision, GATE_ACTOR)
        # Kept apart from the decision, for people enrolled or protected after this video is published.
        tx.tracks.add_embeddings(video_id, run.embeddings)
        # Identified owners join the lineage now, so their revocation finds this video even if it is held.
        for owner in judgement.appearing:
            tx.videos.add_cameo_edge(video_id, owner)
    return decision_id


def consent_findings(
    gate: GateParts,
    tx: Transaction,
    submission: Submission,
    owners: Sequence[str],
    *,
    stage: str,
    spoken: Sequence[str] = (),
) -> list[Finding]:
    """Consent of each owner for this creator, prompt and what the video says (`spoken`), read in `tx`; a finding
    for each refusal."""
    refusals: list[Finding] = []
    # Sorted: snapshots lock the owners' cameo rows, and two transactions locking them in different orders could
    # deadlock.
    for owner in sorted(set(owners)):
        owner_policy = gate.policies.for_user(tx.accounts.get(owner))
        state = tx.consent.snapshot(owner, submission.creator)
        try:
            verdict = consent_verdict(state, owner_policy, submission.prompt, restrictions=gate.restrictions)
            for said in spoken if verdict.allowed else ():
                heard = consent_verdict(state, owner_policy, said, restrictions=gate.restrictions)
                if not heard.allowed:
                    verdict = replace(heard, evidence={**heard.evidence, "source": "speech", "text": said[:500]})
                    break
        except CheckFailure as exc:
            # The owner's restrictions could not be judged (no model): held for a person, never passed.
            refusals.append(
                Finding(
                    CHECK_ERROR,
                    "consent",
                    f"{owner}'s restrictions could not be checked: {exc}",
                    evidence={"check": "consent", "error": exc.__class__.__name__, "owner": owner, "at": stage},
                )
            )
            continue
        if verdict.code is not None:  # refused (a refusal always carries its code)
            refusals.append(
                Finding(
                    verdict.code,
                    "consent",
                    verdict.explanation,
                    evidence={"owner": owner, "at": stage, "declared": owner in submission.cameos, **verdict.evidence},
                )
            )
    return refusals


def identified_owners(findings: Sequence[Finding], code: str) -> list[str]:
    """The owners named by findings with this code, in order, once each."""
    owners = [str(f.evidence["owner"]) for f in findings if f.code == code and "owner" in f.evidence]
    return list(dict.fromkeys(owners))
