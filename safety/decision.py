"""The decision: findings + policy → `Decision`. Pure, so it can be tested with inline policy text.

A model-scored code with `thresholds` takes its action from the score's band; below the review band it is not a
reason at all. Three rules make it fail closed. A finding whose code the pack does not know takes the pack's
`unknown_reason_action` (never publish). A `check.error` finding takes the failing check's `on_error`. A
required check that produced no outcome at all adds `check.missing`. The most restrictive action wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policies import Action, PolicyPack
from safety.domain import Decision, Finding, Reason

CHECK_ERROR = "check.error"
CHECK_MISSING = "check.missing"


def _judge(finding: Finding, policy: PolicyPack) -> Reason | None:
    rule = policy.reason(finding.code)
    if rule is None:
        # A check newer than the pack (or a typo in it) must not publish by default: it gets the pack's
        # unknown-reason action, which the validator refuses to set to publish.
        return Reason(
            code=finding.code,
            action=policy.unknown_reason_action,
            # Middling severity: nothing is known about what was found, so it neither jumps the review queue nor sinks
            # in it.
            severity=3,
            message=finding.message,
            policy_text="This reason code is not in the policy pack; unknown findings are not published.",
            evidence=finding.evidence,
            check=finding.check,
        )
    action = rule.action
    bands = policy.thresholds.get(finding.code)
    if bands is not None and finding.score is not None:
        banded = bands.action_for(finding.score)
        if banded is None:
            return None  # below the review band: not a reason
        action = banded
    if finding.code == CHECK_ERROR:
        # A failed check takes its own `on_error` if stricter: a failing nudity check may block where a failing
        # prompt rule only holds.
        check_policy = policy.checks.get(finding.check)
        on_error = check_policy.on_error if check_policy is not None else policy.unknown_reason_action
        action = max(action, on_error, key=lambda a: a.rank)
    return Reason(
        code=finding.code,
        action=action,
        severity=rule.severity,
        message=finding.message,
        policy_text=rule.text,
        evidence=finding.evidence,
        check=finding.check,
    )


def decide(
    findings: Iterable[Finding],
    policy: PolicyPack,
    checks_run: Iterable[str],
    timings_ms: Mapping[str, float] | None = None,
) -> Decision:
    """Judge every finding under `policy` and take the most restrictive action."""
    ran = tuple(checks_run)
    all_findings = list(findings)
    # A required check that never reported (not installed, or dropped by a bug) is a finding of its own: the
    # absence of a "no" is not a "yes".
    for name, check in sorted(policy.checks.items()):
        if check.required and name not in ran:
            all_findings.append(
                Finding(CHECK_MISSING, name, f"required check `{name}` did not run", evidence={"check": name})
            )
    judged = [reason for f in all_findings if (reason := _judge(f, policy)) is not None]
    # Sorted so the first reason is the one that decided (strictest action, then gravest), which is what a creator and a
    # reviewer are shown first; the code breaks ties so the order is the same on every run.
    reasons = tuple(sorted(judged, key=lambda r: (-r.action.rank, -r.severity, r.code)))
    # The most restrictive reason decides; no finding at all is the only way to publish.
    action = max((r.action for r in reasons), key=lambda a: a.rank, default=Action.PUBLISH)
    scores: dict[str, float] = {}
    for finding in all_findings:
        if finding.score is not None:
            # Several findings may share a code (one per face, per frame): the decision keeps the strongest, as the
            # worst instance is the one that matters.
            scores[finding.code] = max(scores.get(finding.code, finding.score), finding.score)
    return Decision(
        action=action,
        reasons=reasons,
        scores=scores,
        checks_run=ran,
        policy_ref=policy.ref,
        timings_ms=dict(timings_ms or {}),
    )
