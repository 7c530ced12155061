"""The shape the code promises: narrow stores behind protocols, a light pure core, and fakes that stand in for
every real adapter (so a whole gate run needs no model, no C2PA and no encoder)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from policies import Action
from safety import AgeBand, CameoStatus, ConsentLevel, Settings, Submission, build
from safety.checks.models import Models
from safety.clock import FakeClock
from safety.consent import consent_verdict
from safety.domain import CameoConsent, ConsentVerdict
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import (
    FakeDeepfakeModel,
    FakeFingerprinter,
    FakeMarker,
    FakeNudityModel,
    FakePromptClassifier,
    FakeSigner,
    constant,
    fake_models,
)
from safety.lineage import derived_videos
from safety.publishing import Publisher, load_keys
from safety.records import NewReviewItem, ReviewSource
from safety.revocation import plan_purge, refused_by_creator
from safety.storage import (
    AccountStore,
    AuditStore,
    BankStore,
    ClientStore,
    ConsentStore,
    DecisionStore,
    LockStore,
    PurgeStore,
    RegistryStore,
    ReviewStore,
    TemplateStore,
    VideoStore,
)
from safety.storage.sql.unit import Transaction
from tests.safety.revocation_state import scenario

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


def test_every_sql_store_satisfies_its_protocol(services) -> None:
    with services.store.transaction() as tx:
        bound: Transaction = tx
        stores: tuple[object, ...] = (
            _typed(bound.accounts, AccountStore),
            _typed(bound.clients, ClientStore),
            _typed(bound.consent, ConsentStore),
            _typed(bound.templates, TemplateStore),
            _typed(bound.videos, VideoStore),
            _typed(bound.decisions, DecisionStore),
            _typed(bound.review, ReviewStore),
            _typed(bound.purges, PurgeStore),
            _typed(bound.banks, BankStore),
            _typed(bound.registry, RegistryStore),
            _typed(bound.audit, AuditStore),
            _typed(bound.locks, LockStore),
        )
    assert len(stores) == 12


def _typed(store: object, protocol: type) -> object:
    # mypy checks the assignments above structurally; here every protocol method must exist on the store.
    missing = [name for name in vars(protocol) if not name.startswith("_") and not hasattr(store, name)]
    assert not missing, f"{type(store).__name__} lacks {missing}"
    return store


def test_importing_the_core_loads_no_io_or_ml_library() -> None:
    code = (
        "import sys, safety.domain, safety.consent, safety.decision, safety.revocation, safety.lineage, "
        "safety.records, safety.storage, safety.audit;"
        "print(sorted(m for m in ('av','cv2','numpy','sqlalchemy','torch','onnxruntime','dlib') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_a_consent_verdict_is_allowed_or_refused_with_a_code() -> None:
    assert ConsentVerdict.allow("fine").code is None
    assert ConsentVerdict.refuse("likeness.no_consent", "no").allowed is False
    with pytest.raises(ValueError):
        ConsentVerdict(False, None, "refused without saying why")
    with pytest.raises(ValueError):
        ConsentVerdict(True, "likeness.no_consent", "allowed with a refusal code")


def test_lineage_is_a_pure_closure() -> None:
    children = {"a": ["b", "c"], "b": ["d"], "d": ["a"], "x": ["y"]}
    assert derived_videos(["a"], children) == ["b", "c", "d", "a"]
    assert derived_videos(["y"], children) == []


def test_sql_descendants_agree_with_the_pure_closure(services) -> None:
    state = scenario(services, chain_length=4)
    chain = state["chain"]
    with services.store.transaction() as tx:
        children = {v: tx.videos.remixes_of(v) for v in [*chain, *state["unrelated"]]}
        assert sorted(tx.videos.descendants(chain[:1])) == sorted(derived_videos(chain[:1], children))


def test_revocation_planning_is_pure(services) -> None:
    state = scenario(services, chain_length=2)
    owner_policy = services.policies.adult
    with services.store.transaction() as tx:
        appearances = [(a.video, tx.consent.snapshot("maya", a.video.creator)) for a in tx.videos.with_owner("maya")]
    refused_snapshot = [
        (
            video,
            CameoConsent(
                "maya",
                AgeBand.ADULT,
                video.creator,
                CameoStatus.ACTIVE,
                ConsentLevel.ONLY_ME,
                False,
                False,
                False,
                False,
            ),
        )
        for video, _ in appearances
    ]
    assert refused_by_creator("maya", owner_policy, appearances) == {}
    refused = refused_by_creator("maya", owner_policy, refused_snapshot)
    assert refused == {"theo": [state["chain"][0]]}
    plan = plan_purge("maya", "theo", "consent_revoked", refused["theo"], ["r1", state["chain"][0], "r2"])
    assert plan.video_ids == (state["chain"][0], "r1", "r2")
    theo_snapshot = next(snapshot for video, snapshot in refused_snapshot if video.creator == "theo")
    assert consent_verdict(theo_snapshot, owner_policy).code == "likeness.no_consent"


def test_a_whole_gate_run_on_fakes(settings: Settings, clip: Path) -> None:
    """Signer, marker, fingerprinter, prompt, nudity and deepfake models all fake: the gate still decides and
    publishes through the same path, and each fake's verdict reaches the decision."""
    signer = FakeSigner()
    publisher = Publisher(load_keys(settings), marker=FakeMarker(), signer=signer, fingerprinter=FakeFingerprinter())
    models = Models(
        prompts=FakePromptClassifier({"graphic_violence": ["gore"]}),
        nudity=constant(FakeNudityModel(0.01)),
        deepfake=constant([FakeDeepfakeModel(0.02)]),
    )
    clock = FakeClock()
    with build(settings, face_analyzer=FakeFaceAnalyzer(), publisher=publisher, models=models, clock=clock) as guard:
        guard.accounts.add_user("maya")
        calm = guard.videos.prepublish(Submission("maya", "a calm lake", clip))
        assert calm.decision.action is Action.PUBLISH and calm.published_path is not None
        assert [p.video_id for p in signer.signed] == [calm.video_id]
        with guard.store.transaction() as tx:
            assert len(tx.registry.frame_hashes(calm.video_id)) == 2
            assert tx.videos.get(calm.video_id).created_at == clock.now()
        gory = guard.videos.prepublish(Submission("maya", "so much gore", clip))
        assert gory.decision.action is not Action.PUBLISH
        assert "prompt.graphic_violence" in {r.code for r in gory.decision.reasons}
        assert {"deepfake", "frames_nsfw", "likeness", "hash_bank"} <= set(calm.decision.checks_run)


def test_the_clock_moves_leases_without_sleeping(people, clip: Path) -> None:
    clock = FakeClock()
    with build(people.settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models(), clock=clock) as guard:
        with guard.store.transaction() as tx:
            video = tx.videos.get(guard.videos.prepublish(Submission("maya", "a calm lake", clip)).video_id)
            item = tx.review.open_item(
                NewReviewItem(
                    video.id,
                    source=ReviewSource.REPORT,
                    reason_codes=("report.user",),
                    severity=2,
                    sla_hours=1,
                    policy_ref="",
                )
            )
            assert tx.review.claim(item, "rita", timedelta(minutes=10), senior=False)
            assert not tx.review.claim(item, "sam", timedelta(minutes=10), senior=False)
        clock.advance(timedelta(minutes=11))
        with guard.store.transaction() as tx:
            assert tx.review.claim(item, "sam", timedelta(minutes=10), senior=False), "a lapsed lease is free"
