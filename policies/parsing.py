"""Parsing and validation of policy packs.

The YAML is composed into nodes first so that every problem can be reported with its line. The validator walks
the whole document and collects every issue before raising, the way a compiler reports all errors of a file;
only a pack with no issues becomes a `PolicyPack`.
"""

from __future__ import annotations

from collections.abc import Mapping

from yaml.nodes import MappingNode, Node, SequenceNode

from policies.errors import PolicyValidationError
from policies.types import (
    DEFAULT_DECODE_MEMORY_MB,
    CheckPolicy,
    EnrollmentPolicy,
    LikenessPolicy,
    MatchThresholds,
    MediaLimits,
    PolicyPack,
    PromptClassifierPolicy,
    PromptRule,
    ReasonPolicy,
    ScoreThresholds,
)
from policies.walker import CHECK_RE, CODE_RE, LEVELS, RESERVED_REASONS, Walker, compose_document


def _read_limits(w: Walker, node: Node) -> MediaLimits | None:
    keys = {
        "max_file_mb",
        "max_duration_s",
        "min_duration_s",
        "max_width",
        "max_height",
        "allowed_video_codecs",
        "decode_probe_frames",
    }
    fields = w.mapping(node, "limits", keys, optional={"max_decode_memory_mb"})
    if fields is None:
        return None
    memory = w.number(fields.get("max_decode_memory_mb"), "limits.max_decode_memory_mb", 16, integer=True)
    if "max_decode_memory_mb" in fields and memory is None:
        return None
    max_mb = w.number(fields.get("max_file_mb"), "limits.max_file_mb", 0.001)
    max_dur = w.number(fields.get("max_duration_s"), "limits.max_duration_s", 0.1)
    min_dur = w.number(fields.get("min_duration_s"), "limits.min_duration_s", 0.0)
    max_w = w.number(fields.get("max_width"), "limits.max_width", 16, integer=True)
    max_h = w.number(fields.get("max_height"), "limits.max_height", 16, integer=True)
    codecs = w.string_list(fields.get("allowed_video_codecs"), "limits.allowed_video_codecs")
    probe = w.number(fields.get("decode_probe_frames"), "limits.decode_probe_frames", 1, integer=True)
    if max_dur is not None and min_dur is not None and min_dur >= max_dur:
        w.issue(fields.get("min_duration_s"), "limits.min_duration_s must be below limits.max_duration_s")
        return None
    if None in (max_mb, max_dur, min_dur, max_w, max_h, codecs, probe):
        return None
    assert max_mb is not None and max_dur is not None and min_dur is not None
    assert max_w is not None and max_h is not None and codecs is not None and probe is not None
    return MediaLimits(
        max_file_bytes=int(max_mb * 1024 * 1024),
        max_duration_s=max_dur,
        min_duration_s=min_dur,
        max_width=int(max_w),
        max_height=int(max_h),
        allowed_video_codecs=frozenset(c.lower() for c in codecs),
        decode_probe_frames=int(probe),
        max_decode_memory_mb=int(memory) if memory is not None else DEFAULT_DECODE_MEMORY_MB,
    )


def _read_checks(w: Walker, node: Node) -> dict[str, CheckPolicy]:
    if not isinstance(node, MappingNode) or not node.value:
        w.issue(node, "checks must be a non-empty mapping of check name to settings")
        return {}
    checks: dict[str, CheckPolicy] = {}
    for key_node, value_node in node.value:
        name = str(key_node.value)
        if not CHECK_RE.match(name):
            w.issue(key_node, f"check name `{name}` is not valid", "use lower_snake_case")
            continue
        if name in checks:
            w.issue(key_node, f"check `{name}` is listed twice")
            continue
        fields = w.mapping(value_node, f"checks.{name}", {"required", "timeout_s", "on_error"})
        if fields is None:
            continue
        required = w.boolean(fields.get("required"), f"checks.{name}.required")
        timeout = w.number(fields.get("timeout_s"), f"checks.{name}.timeout_s", 0.01)
        on_error = w.action(fields.get("on_error"), f"checks.{name}.on_error", allow_publish=False)
        if required is None or timeout is None or on_error is None:
            continue
        checks[name] = CheckPolicy(name=name, required=required, timeout_s=timeout, on_error=on_error)
    return checks


def _read_reasons(w: Walker, node: Node) -> dict[str, ReasonPolicy]:
    if not isinstance(node, MappingNode) or not node.value:
        w.issue(node, "reasons must be a non-empty mapping of reason code to settings")
        return {}
    reasons: dict[str, ReasonPolicy] = {}
    for key_node, value_node in node.value:
        code = str(key_node.value)
        if not CODE_RE.match(code):
            w.issue(key_node, f"reason code `{code}` is not valid", "use dotted lower_snake_case, e.g. prompt.sexual")
            continue
        if code in reasons:
            w.issue(key_node, f"reason `{code}` is listed twice")
            continue
        where = f"reasons.{code}"
        fields = w.mapping(value_node, where, {"action", "severity", "sla_hours", "text"})
        if fields is None:
            continue
        allow_publish = code not in RESERVED_REASONS
        action = w.action(fields.get("action"), f"{where}.action", allow_publish=allow_publish)
        severity = w.number(fields.get("severity"), f"{where}.severity", 1, integer=True)
        if severity is not None and severity > 5:
            w.issue(fields.get("severity"), f"{where}.severity must be between 1 and 5")
            severity = None
        sla = w.number(fields.get("sla_hours"), f"{where}.sla_hours", 0.01)
        text = w.string(fields.get("text"), f"{where}.text")
        if action is None or severity is None or sla is None or text is None:
            continue
        reasons[code] = ReasonPolicy(code=code, action=action, severity=int(severity), sla_hours=sla, text=text)
    return reasons


def _read_prompt_rules(w: Walker, node: Node, reasons: Mapping[str, ReasonPolicy]) -> list[PromptRule]:
    if not isinstance(node, SequenceNode):
        w.issue(node, "prompt_rules must be a list")
        return []
    rules: list[PromptRule] = []
    for index, item in enumerate(node.value):
        where = f"prompt_rules[{index}]"
        fields = w.mapping(item, where, {"code", "all_of"})
        if fields is None:
            continue
        code = w.string(fields.get("code"), f"{where}.code")
        if code is not None and reasons and code not in reasons:
            w.issue(fields.get("code"), f"{where}.code `{code}` has no entry under reasons", "add it to reasons")
        groups_node = fields.get("all_of")
        groups: list[tuple[str, ...]] = []
        if groups_node is not None:
            if not isinstance(groups_node, SequenceNode) or not groups_node.value:
                w.issue(groups_node, f"{where}.all_of must be a non-empty list of term lists")
            else:
                for group_index, group_node in enumerate(groups_node.value):
                    terms = w.string_list(group_node, f"{where}.all_of[{group_index}]")
                    if terms is not None:
                        groups.append(tuple(t.lower() for t in terms))
        if code is not None and groups and groups_node is not None and len(groups) == len(groups_node.value):
            rules.append(PromptRule(code=code, term_groups=tuple(groups)))
    return rules


def _read_likeness(w: Walker, node: Node) -> LikenessPolicy | None:
    fields = w.mapping(node, "likeness", {"models"}, {"sample_fps", "max_frames", "thorough_frames", "min_face_px"})
    if fields is None:
        return None
    defaults = LikenessPolicy()
    sample_fps = w.number(fields.get("sample_fps"), "likeness.sample_fps", 0.05)
    max_frames = w.number(fields.get("max_frames"), "likeness.max_frames", 1, integer=True)
    thorough = w.number(fields.get("thorough_frames"), "likeness.thorough_frames", 0, integer=True)
    min_face = w.number(fields.get("min_face_px"), "likeness.min_face_px", 8, integer=True)
    models: dict[str, MatchThresholds] = {}
    models_node = fields.get("models")
    if isinstance(models_node, MappingNode) and models_node.value:
        for key_node, value_node in models_node.value:
            model = str(key_node.value)
            where = f"likeness.models.{model}"
            entry = w.mapping(value_node, where, {"match_distance", "uncertain_distance"}, {"refine_jitters"})
            if entry is None:
                continue
            match = w.number(entry.get("match_distance"), f"{where}.match_distance", 0.0)
            uncertain = w.number(entry.get("uncertain_distance"), f"{where}.uncertain_distance", 0.0)
            jitters = w.number(entry.get("refine_jitters"), f"{where}.refine_jitters", 0, integer=True)
            if match is None or uncertain is None:
                continue
            if uncertain < match:
                w.issue(entry.get("uncertain_distance"), f"{where}.uncertain_distance must be >= match_distance")
                continue
            models[model] = MatchThresholds(match, uncertain, int(jitters or 0))
    elif models_node is not None:
        w.issue(models_node, "likeness.models must map model ids to thresholds")
    return LikenessPolicy(
        sample_fps=sample_fps if sample_fps is not None else defaults.sample_fps,
        max_frames=int(max_frames) if max_frames is not None else defaults.max_frames,
        thorough_frames=int(thorough) if thorough is not None else defaults.thorough_frames,
        min_face_px=int(min_face) if min_face is not None else defaults.min_face_px,
        models=models,
    )


def _read_enrollment(w: Walker, node: Node) -> EnrollmentPolicy | None:
    keys = {
        "min_usable_frames",
        "min_face_px",
        "max_multi_face_share",
        "liveness_residual_min",
        "liveness_mouth_std_min",
        "keep_verification_video",
        "challenge_ttl_minutes",
    }
    fields = w.mapping(node, "enrollment", set(), keys)
    if fields is None:
        return None
    d = EnrollmentPolicy()

    def num(key: str, minimum: float, default: float, integer: bool = False) -> float:
        value = w.number(fields.get(key), f"enrollment.{key}", minimum, integer=integer)
        return default if value is None else value

    keep = w.boolean(fields.get("keep_verification_video"), "enrollment.keep_verification_video")
    return EnrollmentPolicy(
        min_usable_frames=int(num("min_usable_frames", 1, d.min_usable_frames, integer=True)),
        min_face_px=int(num("min_face_px", 8, d.min_face_px, integer=True)),
        max_multi_face_share=num("max_multi_face_share", 0.0, d.max_multi_face_share),
        liveness_residual_min=num("liveness_residual_min", 0.0, d.liveness_residual_min),
        liveness_mouth_std_min=num("liveness_mouth_std_min", 0.0, d.liveness_mouth_std_min),
        keep_verification_video=d.keep_verification_video if keep is None else keep,
        challenge_ttl_minutes=num("challenge_ttl_minutes", 0.5, d.challenge_ttl_minutes),
    )


def _read_classifier(w: Walker, node: Node) -> PromptClassifierPolicy | None:
    fields = w.mapping(node, "prompt_classifier", {"examples"}, {"held_out_share"})
    if fields is None:
        return None
    examples = w.string(fields.get("examples"), "prompt_classifier.examples")
    share = w.number(fields.get("held_out_share"), "prompt_classifier.held_out_share", 0.0)
    if share is not None and share >= 0.9:
        w.issue(fields.get("held_out_share"), "prompt_classifier.held_out_share must be below 0.9")
    if examples is None:
        return None
    return PromptClassifierPolicy(examples, share if share is not None and share < 0.9 else 0.3)


def _read_thresholds(w: Walker, node: Node, reasons: Mapping[str, ReasonPolicy]) -> dict[str, ScoreThresholds]:
    if not isinstance(node, MappingNode):
        w.issue(node, "thresholds must map reason codes to {review, block}")
        return {}
    out: dict[str, ScoreThresholds] = {}
    for key_node, value_node in node.value:
        code = str(key_node.value)
        where = f"thresholds.{code}"
        if reasons and code not in reasons:
            w.issue(key_node, f"{where}: `{code}` has no entry under reasons", "add it to reasons")
        fields = w.mapping(value_node, where, set(), {"review", "block"})
        if fields is None:
            continue
        review = w.number(fields.get("review"), f"{where}.review", 0.0)
        block = w.number(fields.get("block"), f"{where}.block", 0.0)
        if review is None and block is None:
            w.issue(value_node, f"{where} needs review, block or both")
            continue
        if review is not None and block is not None and block < review:
            w.issue(fields.get("block"), f"{where}.block must be >= review")
            continue
        out[code] = ScoreThresholds(review, block)
    return out


def parse_pack(text: str, source: str = "<inline>") -> PolicyPack:
    """Validate pack text and build the pack; raises `PolicyValidationError` listing every issue."""
    w = Walker(source)
    root = compose_document(text, source, "pack")
    top = w.mapping(
        root,
        "the pack",
        {"name", "version", "audience", "unknown_reason_action", "limits", "checks", "reasons"},
        {"prompt_rules", "restricted_cameo_levels", "likeness", "enrollment", "thresholds", "prompt_classifier"},
    )
    if top is None:
        raise PolicyValidationError(w.issues)
    name = w.string(top.get("name"), "name")
    version = w.string(top.get("version"), "version")
    audience = w.string(top.get("audience"), "audience")
    if audience is not None and audience not in {"adult", "teen"}:
        w.issue(top.get("audience"), f"audience must be adult or teen, got `{audience}`")
    unknown = w.action(top.get("unknown_reason_action"), "unknown_reason_action", allow_publish=False)
    limits = _read_limits(w, top["limits"]) if "limits" in top else None
    checks = _read_checks(w, top["checks"]) if "checks" in top else {}
    reasons = _read_reasons(w, top["reasons"]) if "reasons" in top else {}
    for reserved in RESERVED_REASONS:
        if "reasons" in top and reasons and reserved not in reasons:
            w.issue(top["reasons"], f"reasons must define `{reserved}`", "the gate emits it when a check fails")
    rules = _read_prompt_rules(w, top["prompt_rules"], reasons) if "prompt_rules" in top else []
    levels: list[str] = []
    if "restricted_cameo_levels" in top:
        levels = w.string_list(top["restricted_cameo_levels"], "restricted_cameo_levels") or []
        for level in levels:
            if level not in LEVELS:
                w.issue(top["restricted_cameo_levels"], f"unknown consent level `{level}`", ", ".join(sorted(LEVELS)))
    likeness = _read_likeness(w, top["likeness"]) if "likeness" in top else LikenessPolicy()
    thresholds = _read_thresholds(w, top["thresholds"], reasons) if "thresholds" in top else {}
    classifier = _read_classifier(w, top["prompt_classifier"]) if "prompt_classifier" in top else None
    enrollment = _read_enrollment(w, top["enrollment"]) if "enrollment" in top else EnrollmentPolicy()
    if w.issues:
        raise PolicyValidationError(w.issues)
    assert likeness is not None and enrollment is not None
    assert name and version and audience and unknown and limits is not None
    return PolicyPack(
        name=name,
        version=version,
        audience=audience,
        unknown_reason_action=unknown,
        limits=limits,
        checks=checks,
        reasons=reasons,
        prompt_rules=tuple(rules),
        restricted_cameo_levels=frozenset(levels),
        likeness=likeness,
        enrollment=enrollment,
        thresholds=thresholds,
        prompt_classifier=classifier,
    )
