"""C2PA manifests on MP4 files: signing and reading back, with c2pa-python.

Signing is file-based (stream-based MP4 signing had reported bugs). A new generation is `c2pa.created` with the
digital source type trainedAlgorithmicMedia; a remix is an edit whose parent video is its `parentOf` ingredient.
A custom assertion, `org.cameoguard.publication`, carries opaque ids only (video, decision, policy, cameo ids and
the parent's video id): never a face or a name. A publication's soft bindings (`provenance.softbinding`: the
watermark token and a digest of the fingerprints) go in as `c2pa.soft-binding` assertions, and its manifest carries
a label derived from the video and its token, so a manifest repository can index it. Signing hands back the
manifest store's bytes (what a repository keeps). Reading validates the manifest and, when trust anchors are given,
the signer's chain; its report is plain data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.errors import SigningError
from provenance.keys import SigningCredentials
from provenance.softbinding import SOFT_BINDING_LABEL, SoftBinding, bindings_in

ASSERTION_LABEL = "org.cameoguard.publication"
TRAINED = "trainedAlgorithmicMedia"


@dataclass(frozen=True)
class Publication:
    """What the custom assertion says about a published video."""

    video_id: str
    """The video's id."""
    decision_id: str
    """The decision that published it."""
    policy: str
    """`name@version` of the deciding policy."""
    cameo_ids: tuple[str, ...] = ()
    """Opaque ids of the consented cameos that appear in it."""
    parent_video_id: str | None = None
    """The video it remixes."""
    soft_bindings: tuple[SoftBinding, ...] = ()
    """What identifies the video without its metadata, one `c2pa.soft-binding` assertion each."""
    label: str | None = None
    """The manifest's label (a `urn:c2pa:` URN); the library makes one up when None."""


@dataclass(frozen=True)
class ManifestReport:
    """What a file's C2PA data says."""

    present: bool
    """A manifest was found."""
    valid: bool
    """The manifest and the file's hashes validate."""
    trusted: bool
    """The signer chains to a configured trust anchor."""
    ai_generated: bool
    """An action declares trainedAlgorithmicMedia (here or in an ingredient)."""
    video_id: str | None = None
    """From our assertion."""
    parent_video_id: str | None = None
    """From our assertion."""
    state: str | None = None
    """The library's validation state (Valid, Trusted, Invalid)."""
    validation_codes: tuple[str, ...] = ()
    """Failure codes, e.g. `assertion.bmffHash.mismatch` or `signingCredential.untrusted`."""
    claim_generator: str | None = None
    """Who made the claim."""
    parent_title: str | None = None
    """Title of the `parentOf` ingredient."""
    assertion: Mapping[str, Any] = field(default_factory=dict)
    """Our assertion's data."""
    label: str | None = None
    """The active manifest's label."""
    soft_bindings: tuple[SoftBinding, ...] = ()
    """The soft bindings the active manifest declares."""

    def to_json(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "valid": self.valid,
            "trusted": self.trusted,
            "ai_generated": self.ai_generated,
            "video_id": self.video_id,
            "parent_video_id": self.parent_video_id,
            "state": self.state,
            "validation_codes": list(self.validation_codes),
            "claim_generator": self.claim_generator,
            "label": self.label,
            "soft_bindings": [{"alg": b.alg, "value": b.value} for b in self.soft_bindings],
        }


class ManifestSigner:
    """Signs MP4 files with one set of credentials."""

    def __init__(self, credentials: SigningCredentials, *, generator: str, version: str, tsa_url: str | None = None):
        self._credentials = credentials
        self._generator = generator
        self._version = version
        self._tsa_url = tsa_url

    def sign(self, source: Path, dest: Path, publication: Publication, *, parent_file: Path | None = None) -> bytes:
        """Write `source` with an embedded, signed manifest to `dest`; the manifest store's bytes."""
        import c2pa

        data: dict[str, Any] = {
            "video_id": publication.video_id,
            "decision_id": publication.decision_id,
            "policy": publication.policy,
            "cameos": list(publication.cameo_ids),
        }
        if publication.parent_video_id:
            data["parent_video_id"] = publication.parent_video_id
        assertions: list[dict[str, Any]] = [{"label": ASSERTION_LABEL, "data": data}]
        assertions += [{"label": SOFT_BINDING_LABEL, "data": b.assertion()} for b in publication.soft_bindings]
        manifest: dict[str, Any] = {
            "claim_generator_info": [{"name": self._generator, "version": self._version}],
            "title": f"{publication.video_id}.mp4",
            "assertions": assertions,
        }
        if publication.label is not None:
            manifest["label"] = publication.label
        try:
            info = c2pa.C2paSignerInfo(
                c2pa.C2paSigningAlg.ES256, self._credentials.chain_pem, self._credentials.key_pem, self._tsa_url
            )
            with c2pa.Signer.from_info(info) as signer, c2pa.Builder.from_json(json.dumps(manifest)) as builder:
                if parent_file is not None:
                    builder.set_intent(c2pa.C2paBuilderIntent.EDIT)
                    with parent_file.open("rb") as parent:
                        title = f"{publication.parent_video_id or 'parent'}.mp4"
                        builder.add_ingredient({"title": title, "relationship": "parentOf"}, "video/mp4", parent)
                else:
                    builder.set_intent(
                        c2pa.C2paBuilderIntent.CREATE, c2pa.C2paDigitalSourceType.TRAINED_ALGORITHMIC_MEDIA
                    )
                store = builder.sign_file(source, dest, signer)
        except (c2pa.C2paError, OSError, ValueError) as exc:
            dest.unlink(missing_ok=True)
            raise SigningError(f"C2PA signing failed: {exc}") from None
        if not store:
            dest.unlink(missing_ok=True)
            raise SigningError("C2PA signing returned no manifest store")
        return bytes(store)


def _actions_ai(manifest: Mapping[str, Any]) -> bool:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if TRAINED in str(action.get("digitalSourceType", "")):
                    return True
    return False


def read_manifest(
    path: Path, *, trust_anchors_pem: str | None = None, manifest_store: bytes | None = None
) -> ManifestReport:
    """Validate a file's C2PA data; a file without any is reported as not present. With `manifest_store` (the bytes
    a manifest repository serves), that store is validated against the file instead of what the file embeds."""
    import c2pa

    context = None
    if trust_anchors_pem:
        settings = c2pa.Settings.from_dict(
            {"trust": {"trust_anchors": trust_anchors_pem}, "verify": {"verify_trust": True}}
        )
        context = c2pa.Context(settings=settings)
    try:
        if manifest_store is not None:
            with path.open("rb") as stream:
                reader: Any = c2pa.Reader("video/mp4", stream, manifest_data=manifest_store, context=context)
                with reader:
                    return _report(reader)
        reader = c2pa.Reader.try_create(str(path), context=context)
    except (c2pa.C2paError, OSError) as exc:
        return ManifestReport(False, False, False, False, state="Unreadable", validation_codes=(str(exc)[:200],))
    if reader is None:
        return ManifestReport(False, False, False, False)
    with reader:
        return _report(reader)


def _report(reader: Any) -> ManifestReport:
    """The report of an open reader."""
    state = reader.get_validation_state()
    results = reader.get_validation_results() or {}
    active = reader.get_active_manifest() or {}
    store = json.loads(reader.json())
    manifests = store.get("manifests", {})
    failures = tuple(str(f.get("code")) for f in results.get("activeManifest", {}).get("failure", []))
    ours: Mapping[str, Any] = next(
        (a.get("data", {}) for a in active.get("assertions", []) if a.get("label") == ASSERTION_LABEL), {}
    )
    ingredient_ai = any(_actions_ai(m) for m in manifests.values())
    parent = next((i for i in active.get("ingredients", []) if i.get("relationship") == "parentOf"), None)
    generator: dict[str, Any] = next(iter(active.get("claim_generator_info", [])), {})
    return ManifestReport(
        present=True,
        valid=state in {"Valid", "Trusted"} and not [f for f in failures if f != "signingCredential.untrusted"],
        trusted=state == "Trusted",
        ai_generated=_actions_ai(active) or ingredient_ai,
        video_id=ours.get("video_id"),
        parent_video_id=ours.get("parent_video_id"),
        state=state,
        validation_codes=failures,
        claim_generator=f"{generator.get('name')}/{generator.get('version')}" if generator else None,
        parent_title=parent.get("title") if parent else None,
        assertion=dict(ours),
        label=store.get("active_manifest"),
        soft_bindings=tuple(bindings_in(active)),
    )
