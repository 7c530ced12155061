"""Policy packs: the bundled ones are valid, and the validator reports every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import (
    Action,
    PolicyValidationError,
    bundled_pack_names,
    load_bundled_pack,
    parse_pack,
    validate_file,
)

MINIMAL = """\
name: inline
version: "1"
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
reasons:
  check.error: {action: review, severity: 4, sla_hours: 4, text: failed}
  check.missing: {action: block, severity: 4, sla_hours: 4, text: missing}
"""


def test_bundled_packs_are_valid() -> None:
    assert set(bundled_pack_names()) >= {"default", "teen"}
    default, teen = load_bundled_pack("default"), load_bundled_pack("teen")
    assert default.audience == "adult" and teen.audience == "teen"
    assert teen.limits.max_duration_s <= default.limits.max_duration_s
    assert "everyone" in teen.restricted_cameo_levels
    assert default.ref.startswith("default@")


def test_minimal_pack_parses() -> None:
    pack = parse_pack(MINIMAL)
    assert pack.checks["media"].on_error is Action.BLOCK
    assert pack.limits.max_file_bytes == 10 * 1024 * 1024


def test_decode_memory_limit_is_optional_and_bounded() -> None:
    assert parse_pack(MINIMAL).limits.max_decode_memory_mb == 1024
    probe = "  decode_probe_frames: 4\n"
    with_limit = MINIMAL.replace(probe, probe + "  max_decode_memory_mb: 256\n")
    assert parse_pack(with_limit).limits.max_decode_memory_mb == 256
    with pytest.raises(PolicyValidationError) as caught:
        parse_pack(with_limit.replace("256", "8"))
    assert [(i.line, "max_decode_memory_mb" in i.message) for i in caught.value.issues] == [(13, True)]


def test_every_error_is_reported_with_its_line() -> None:
    text = MINIMAL.replace("audience: adult", "audience: kid").replace(
        "media: {required: true, timeout_s: 5, on_error: block}",
        "media: {required: maybe, timeout_s: -1, on_error: publish}\n  Bad-Name: {}",
    )
    text += "surprise: 1\n"
    with pytest.raises(PolicyValidationError) as caught:
        parse_pack(text, source="pack.yaml")
    lines = {(issue.line, issue.message.split(" ")[0]) for issue in caught.value.issues}
    messages = "\n".join(str(i) for i in caught.value.issues)
    assert "pack.yaml:3: audience must be adult or teen" in messages
    assert "checks.media.required must be true or false" in messages
    assert "checks.media.timeout_s must be at least" in messages
    assert "checks.media.on_error may not be publish" in messages
    assert "check name `Bad-Name` is not valid" in messages
    assert "unknown key `surprise`" in messages
    assert len(caught.value.issues) >= 6
    assert all(line > 0 for line, _ in lines)


def test_fail_closed_is_enforced_by_the_validator() -> None:
    text = MINIMAL.replace("unknown_reason_action: review", "unknown_reason_action: publish").replace(
        "check.error: {action: review", "check.error: {action: publish"
    )
    with pytest.raises(PolicyValidationError) as caught:
        parse_pack(text)
    messages = str(caught.value)
    assert "unknown_reason_action may not be publish" in messages
    assert "reasons.check.error.action may not be publish" in messages


def test_missing_reserved_reasons_and_undefined_rule_codes() -> None:
    text = MINIMAL.replace("  check.missing: {action: block, severity: 4, sla_hours: 4, text: missing}\n", "")
    text += "prompt_rules:\n  - code: prompt.nothing\n    all_of: [[a]]\n"
    with pytest.raises(PolicyValidationError) as caught:
        parse_pack(text)
    messages = str(caught.value)
    assert "reasons must define `check.missing`" in messages
    assert "`prompt.nothing` has no entry under reasons" in messages


def test_invalid_yaml_reports_its_line() -> None:
    with pytest.raises(PolicyValidationError) as caught:
        parse_pack("name: x\nversion: [unclosed\n", source="broken.yaml")
    assert caught.value.issues[0].line >= 2
    assert "not valid YAML" in caught.value.issues[0].message


def test_validate_file_on_disk(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("max_width: 1920", "max_width: wide"))
    assert validate_file(good) == []
    issues = validate_file(bad)
    assert [(i.line, i.message) for i in issues] == [(9, "limits.max_width must be an integer")]
    assert validate_file(tmp_path / "missing.yaml")[0].message.startswith("cannot read policy pack")
