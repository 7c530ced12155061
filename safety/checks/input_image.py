"""Real-person inputs: the input image of an image-to-video generation, and what the submitted video already
carries.

Every face in the input image must be the creator's own cameo or a cameo whose owner consented to this creator.
A matched cameo becomes `input.identified` (the gate reads that owner's consent, like a face in the video); a
protected person or an unknown real face is `input.real_person_without_consent`. A submitted video that already
carries a C2PA manifest or this platform's watermark is recognised as AI-generated (`input.prior_provenance`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policies import PolicyPack
from provenance import InvisibleWatermark, read_manifest
from safety.checks.base import CheckContext, CheckOutcome
from safety.domain import Finding, Submission
from safety.errors import ModelUnavailable
from safety.faces.engine import FaceEngine
from safety.faces.photos import faces_in_photo, load_rgb
from safety.frames import FrameNeed


class InputImageCheck:
    """Faces in the input image need consent; prior provenance in the video is noted."""

    name = "inputs"

    def __init__(self, faces: FaceEngine, watermark: Callable[[], InvisibleWatermark]) -> None:
        self.faces = faces
        self.watermark = watermark

    def warm_up(self, policy: PolicyPack) -> None:
        self.watermark()

    def frame_need(self, policy: PolicyPack, submission: Submission) -> FrameNeed:
        # Our own watermark in the submission (a re-upload of something we published) is looked for every time.
        return FrameNeed(0.25, 16)

    def run(self, context: CheckContext) -> CheckOutcome:
        findings: list[Finding] = []
        facts: dict[str, Any] = {}
        image_path = context.submission.input_image_path
        if image_path is not None:
            analyzer = self.faces.analyzer()
            thresholds = context.policy.likeness.models.get(analyzer.model_id)
            if thresholds is None:
                raise ModelUnavailable(f"policy {context.policy.ref} has no match thresholds for {analyzer.model_id}")
            gallery = self.faces.gallery()
            image = load_rgb(image_path)
            faces = faces_in_photo(analyzer, image)
            facts["input_faces"] = len(faces)
            for index, face in enumerate(faces):
                best = next(iter(gallery.search(analyzer.embed(image, face))), None)
                evidence: dict[str, Any] = {"face": index, "box": face.box.as_list()}
                if best is not None and best.distance <= thresholds.match_distance:
                    evidence["distance"] = round(best.distance, 3)
                    if best.subject_kind == "cameo":
                        evidence["owner"] = best.subject
                        findings.append(
                            Finding(
                                "input.identified", self.name, f"input image shows {best.subject}", evidence=evidence
                            )
                        )
                        continue
                    evidence["person"] = best.subject
                    message = f"input image shows {best.subject} (protected)"
                else:
                    message = "input image shows a real person with no consent on file"
                findings.append(Finding("input.real_person_without_consent", self.name, message, evidence=evidence))
        manifest = read_manifest(context.video_path)
        reading = self.watermark().read(frame.image for frame in context.frames.frames(self.name))
        if manifest.present or reading.found:
            findings.append(
                Finding(
                    "input.prior_provenance",
                    self.name,
                    "the submitted video already carries AI provenance",
                    evidence={
                        "c2pa_present": manifest.present,
                        "c2pa_ai_generated": manifest.ai_generated,
                        "claim_generator": manifest.claim_generator,
                        "our_watermark": reading.found,
                    },
                )
            )
        return CheckOutcome(tuple(findings), facts)
