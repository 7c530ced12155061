"""The media check: the file is within the policy's limits and its stream decodes.

It reads the report of the submission's one decode (`safety.frames`): every packet was read (truncation and
corrupt containers show there) and every frame decoded (proof that the codec data is sound). Anything a later
model check would choke on is stopped here with a reason code.
"""

from __future__ import annotations

from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding
from safety.frames import DecodeReport

# A stream whose packets end this far before the announced duration was cut short.
_TRUNCATION_TOLERANCE_S = 1.0


class MediaCheck:
    """Container, codec, size, duration and decodability against the policy's limits."""

    name = "media"

    def run(self, context: CheckContext) -> CheckOutcome:
        return CheckOutcome(tuple(self._findings(context)))

    def _findings(self, context: CheckContext) -> list[Finding]:
        info = context.media
        limits = context.policy.limits
        findings: list[Finding] = []

        def add(code: str, message: str, **evidence: object) -> None:
            findings.append(Finding(code, self.name, message, evidence=evidence))

        if info.size_bytes > limits.max_file_bytes:
            add("media.file_too_large", f"{info.size_bytes} bytes > {limits.max_file_bytes}", size=info.size_bytes)
        if info.video_codec.lower() not in limits.allowed_video_codecs:
            add("media.unsupported_codec", f"video codec `{info.video_codec}` is not accepted", codec=info.video_codec)
        if info.width > limits.max_width or info.height > limits.max_height or info.width <= 0 or info.height <= 0:
            add(
                "media.frame_too_large",
                f"frame {info.width}x{info.height} outside {limits.max_width}x{limits.max_height}",
                width=info.width,
                height=info.height,
            )
        if info.duration_s > limits.max_duration_s:
            add("media.too_long", f"{info.duration_s:.1f} s > {limits.max_duration_s:g} s", duration_s=info.duration_s)
        elif info.duration_s < limits.min_duration_s:
            add("media.too_short", f"{info.duration_s:.2f} s < {limits.min_duration_s:g} s", duration_s=info.duration_s)
        if info.hdr is not None:
            # Said in the decision, not only done: the published file is SDR, the original was not.
            add(
                "media.hdr_tone_mapped",
                f"{info.hdr} HDR video is published tone-mapped to 8-bit SDR (BT.709)",
                transfer=info.hdr,
            )
        if findings and any(f.code != "media.hdr_tone_mapped" for f in findings):
            return findings

        # The decode runs whatever the limits say (the other checks read its frames); intake already decoded the
        # first frames in a memory-capped child, so a hostile header cannot make this the expensive part.
        check = context.policy.checks.get(self.name)
        report: DecodeReport = context.frames.report(timeout_s=check.timeout_s if check is not None else None)
        if report.error is not None:
            add(
                "media.decode_error",
                f"the container could not be read to the end: {report.error}",
                after=report.packets,
            )
            return findings
        if report.packets == 0 or report.keyframes == 0:
            add("media.decode_error", "the video stream has no decodable frames", packets=report.packets)
            return findings
        if info.duration_s - report.last_pts_s > _TRUNCATION_TOLERANCE_S + 1.0 / max(info.fps, 1.0):
            add(
                "media.decode_error",
                f"the stream ends at {report.last_pts_s:.2f} s of an announced {info.duration_s:.2f} s",
                last_frame_s=report.last_pts_s,
                duration_s=info.duration_s,
            )
            return findings
        if report.frames == 0:
            add("media.decode_error", "no frame could be decoded", packets=report.packets)
        return findings
