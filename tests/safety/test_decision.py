"""The pure decision function, tested with inline policy text."""

from __future__ import annotations

import pytest

from policies import Action, parse_pack
from safety.decision import CHECK_ERROR, decide
from safety.domain import Finding

POLICY = parse_pack(
    """\
name: inline
version: "7"
audience: adult
unknown_reason_action: review
limits:
  max_file_mb: 10
  max_duration_s: 60
  min_duration_s: 0.1
  max_width: 1920
  max_height: 1080
  allowed_video_codecs: [h264]
  decode_probe_frames: 4
checks:
  media: {required: true, timeout_s: 5, on_error: block}
  prompt_rules: {required: true, timeout_s: 5, on_error: review}
  optional_extra: {required: false, timeout_s: 5, on_error: review}
reasons:
  check.error: {action: review, severity: 4, sla_hours: 4, text: a check failed}
  check.missing: {action: block, severity: 4, sla_hours: 4, text: a check did not run}
  media.too_long: {action: block, severity: 2, sla_hours: 24, text: too long}
  prompt.edgy: {action: review, severity: 3, sla_hours: 2, text: edgy}
  prompt.fine_print: {action: publish, severity: 1, sla_hours: 24, text: informational}
"""
)
ALL = ("media", "prompt_rules")


def test_no_findings_publishes() -> None:
    decision = decide([], POLICY, ALL)
    assert decision.action is Action.PUBLISH
    assert decision.reasons == ()
    assert decision.policy_ref == "inline@7"


def test_most_restrictive_action_wins_and_reasons_are_ordered() -> None:
    findings = [
        Finding("prompt.edgy", "prompt_rules", "edgy", score=0.4),
        Finding("media.too_long", "media", "long"),
        Finding("prompt.fine_print", "prompt_rules", "fyi"),
    ]
    decision = decide(findings, POLICY, ALL)
    assert decision.action is Action.BLOCK
    assert [r.code for r in decision.reasons] == ["media.too_long", "prompt.edgy", "prompt.fine_print"]
    assert decision.scores == {"prompt.edgy": 0.4}
    assert decision.reasons[1].policy_text == "edgy"


def test_informational_reason_still_publishes() -> None:
    assert decide([Finding("prompt.fine_print", "prompt_rules", "fyi")], POLICY, ALL).action is Action.PUBLISH


@pytest.mark.parametrize(("check", "expected"), [("media", Action.BLOCK), ("prompt_rules", Action.REVIEW)])
def test_check_error_takes_the_checks_on_error(check: str, expected: Action) -> None:
    decision = decide([Finding(CHECK_ERROR, check, "boom")], POLICY, ALL)
    assert decision.action is expected


def test_check_error_from_a_check_the_policy_does_not_know_is_not_published() -> None:
    decision = decide([Finding(CHECK_ERROR, "mystery", "boom")], POLICY, (*ALL, "mystery"))
    assert decision.action is Action.REVIEW


def test_unknown_reason_code_is_never_published() -> None:
    decision = decide([Finding("new.thing", "media", "?")], POLICY, ALL)
    assert decision.action is Action.REVIEW
    assert "not in the policy pack" in decision.reasons[0].policy_text


def test_required_check_that_did_not_run_blocks() -> None:
    decision = decide([], POLICY, ("media",))
    assert decision.action is Action.BLOCK
    assert [(r.code, r.check) for r in decision.reasons] == [("check.missing", "prompt_rules")]


def test_optional_check_may_be_absent() -> None:
    assert decide([], POLICY, ALL).action is Action.PUBLISH


def test_highest_score_per_code_is_kept() -> None:
    findings = [Finding("prompt.edgy", "prompt_rules", "a", score=0.2), Finding("prompt.edgy", "x", "b", score=0.9)]
    assert decide(findings, POLICY, ALL).scores["prompt.edgy"] == 0.9
