"""Assembly: `build` puts one deployment together from `Settings`, one named step at a time.

The order is the order of dependence: the home and the store first (nothing works without them), then the policy
packs, the face engine, the keys and the publisher, the gate with its checks, the use cases, and last the engine
that runs background work (it needs the use cases it dispatches to, and they need it to send work).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from policies import (
    MatchThresholds,
    PolicyBook,
    PolicyError,
    PolicyPack,
    bundled_pack_names,
    load_bundled_pack,
    load_pack,
)
from policies.restrictions import RestrictionTaxonomy, load_restriction_taxonomy
from provenance import EncoderSettings
from safety.checks import Check
from safety.checks.deepfake import installed_cards
from safety.checks.models import Models
from safety.checks.prompt_classifier import examples_path
from safety.classifiers.restriction_judge import shared_restriction_judge
from safety.clock import SYSTEM_CLOCK, Clock
from safety.engine import (
    DELIVER_CALLBACK,
    FINISH_PURGE,
    RETRO_SCAN,
    RUN_SUBMISSION,
    CeleryEngine,
    Engine,
    InProcessEngine,
)
from safety.errors import ConfigurationError, ModelUnavailable
from safety.faces.analyzer import FaceAnalyzer, embedding_from_bytes
from safety.faces.engine import FaceEngine, build_analyzer
from safety.faces.gallery import GalleryTemplate
from safety.gate import Gate
from safety.math_threads import one_blas_thread
from safety.mediastore import MediaStore
from safety.publishing import ProvenanceKeys, Publisher, load_audit_keys, load_keys
from safety.restrictions import RestrictionJudge
from safety.settings import Settings
from safety.storage import Store
from safety.storage.checkpoints import CheckpointFile
from safety.storage.sql import Database, open_database
from safety.storage.sql import Store as SqlStore
from safety.usecases.accounts import Accounts
from safety.usecases.cameos import Cameos
from safety.usecases.guardians import Guardians
from safety.usecases.protection import Protection
from safety.usecases.retro_scans import RetroScans
from safety.usecases.revocation import finish_pending, on_purge_finished
from safety.usecases.submissions import SubmissionLimits, Submissions
from safety.usecases.tracing import Tracing
from safety.usecases.use_requests import UseRequests
from safety.usecases.videos import Videos
from safety.usecases.webhooks import CallbackPolicy, Webhooks
from safety.wiring.cameoguard import CameoGuard
from safety.wiring.defaults import default_checks, shared_transcriber, shared_voices


def load_policy(ref: str) -> PolicyPack:
    """A bundled pack by name, or a pack file by path; `ConfigurationError` naming every problem."""
    try:
        if ref in bundled_pack_names():
            return load_bundled_pack(ref)
        return load_pack(Path(ref))
    except PolicyError as exc:
        raise ConfigurationError(f"policy `{ref}` cannot be used:\n{exc}") from None


@dataclass(frozen=True)
class StoredGallery:
    """The face gallery as the store holds it: the face engine asks for its stamp to know whether its cached index
    is current, and for the templates when it is not (each in a short transaction of its own)."""

    store: Store
    """Where the templates are."""

    def stamp(self, model_id: str) -> tuple[int, int]:
        """(count, highest id) of the model's templates."""
        with self.store.transaction() as tx:
            return tx.templates.gallery_stamp(model_id)

    def templates(self, model_id: str) -> list[GalleryTemplate]:
        """Every template of the model, as the gallery compares them."""
        with self.store.transaction() as tx:
            return [
                GalleryTemplate(t.subject_kind.value, t.subject, embedding_from_bytes(t.vector))
                for t in tx.templates.gallery(model_id)
            ]


def prepare_home(settings: Settings) -> MediaStore:
    """The media store under a home that exists and can be written; `ConfigurationError` otherwise."""
    media = MediaStore(settings.media_root)
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        media.ensure()
        # A probe file: a read-only mount or a foreign owner shows here, at start, not at the first submission.
        probe_file = settings.home / f".writable-{os.getpid()}"
        probe_file.touch()
        probe_file.unlink()
    except OSError as exc:
        raise ConfigurationError(f"home {settings.home} cannot hold cameoguard's data: {exc.strerror or exc}") from None
    return media


def open_store(settings: Settings, clock: Clock | None, store: Store | None) -> tuple[Database | None, Store]:
    """The given store (which keeps its own clock), or the SQL store over the settings' database."""
    if store is not None:
        if clock is not None and clock is not store.clock:
            raise ConfigurationError("a store given to build() keeps its own clock: pass the clock to the store")
        return None, store
    # The embedded default migrates by itself; in production only `cameoguard migrate` changes the schema, and
    # every other process refuses a schema that is not the one it was written for.
    database = open_database(settings.resolved_database_url, migrate_schema=not settings.production)
    audit_key, *retired = load_audit_keys(settings)
    sql_store = SqlStore(
        database,
        audit_key,
        clock or SYSTEM_CLOCK,
        checkpoints=CheckpointFile(settings.checkpoint_path, audit_key, retired=tuple(retired)),
        checkpoint_every=settings.audit_checkpoint_every,
        retired_audit_keys=tuple(retired),
    )
    # A head row written before heads were signed is signed once, at start, while no checkpoint exists yet: later,
    # an unsigned head can only be a rewritten one, and `audit verify` must be left to say so.
    sql_store.key_head()
    return database, sql_store


def load_policies(settings: Settings) -> PolicyBook:
    """The adult pack, the teen pack and the packs a guardian may choose for a teen."""
    choices = {pack.name: pack for pack in (load_policy(ref) for ref in settings.teen_policy_choices)}
    try:
        return PolicyBook(
            adult=load_policy(settings.adult_policy), teen=load_policy(settings.teen_policy), teen_choices=choices
        )
    except ValueError as exc:
        raise ConfigurationError(f"CAMEOGUARD_TEEN_POLICY_CHOICES: {exc}") from None


def face_engine(settings: Settings, gallery: StoredGallery, face_analyzer: FaceAnalyzer | None) -> FaceEngine:
    """The face engine over the stored gallery. The analyzer is built lazily (first use), so commands that never
    look at a face never load a model."""
    pack_dir = settings.models_root / settings.face_pack if settings.face_pack else None
    return FaceEngine(
        (lambda: face_analyzer) if face_analyzer else (lambda: build_analyzer(settings.face_backend, pack_dir)),
        gallery.stamp,
        gallery.templates,
    )


def match_thresholds(faces: FaceEngine, policies: PolicyBook) -> Callable[[], MatchThresholds]:
    """The policy's match thresholds for the analyzer's model, read when first needed (the model loads lazily)."""

    def thresholds() -> MatchThresholds:
        model_id = faces.analyzer().model_id
        # Thresholds belong to a model: a distance from one model means nothing for another.
        found = policies.adult.likeness.models.get(model_id)
        if found is None:
            raise ModelUnavailable(f"policy {policies.adult.ref} has no match thresholds for `{model_id}`")
        return found

    return thresholds


def restriction_judge(settings: Settings, models: Models) -> tuple[RestrictionTaxonomy, RestrictionJudge]:
    """The taxonomy owners' restrictions are read into, and the judge that applies them (a given one, or the
    process-wide judge on the shared text encoder)."""
    try:
        taxonomy = load_restriction_taxonomy(settings.restriction_topics)
    except PolicyError as exc:
        raise ConfigurationError(str(exc)) from None
    restrictions = models.restrictions or shared_restriction_judge(
        taxonomy, examples_path("prompts.yaml"), settings.cache_root / "prompt-heads"
    )
    return taxonomy, restrictions


@dataclass(frozen=True)
class Adapters:
    """Everything below the use cases, built once: the store, files, policies, models, keys and the publisher."""

    store: Store
    media: MediaStore
    policies: PolicyBook
    faces: FaceEngine
    gallery: StoredGallery
    thresholds: Callable[[], MatchThresholds]
    keys: ProvenanceKeys
    publisher: Publisher
    tracing: Tracing
    taxonomy: RestrictionTaxonomy
    restrictions: RestrictionJudge


def build_adapters(
    settings: Settings,
    store: Store,
    media: MediaStore,
    face_analyzer: FaceAnalyzer | None,
    publisher: Publisher | None,
    models: Models,
) -> Adapters:
    """The policies, the face engine, the keys, the publisher, tracing and the restriction judge."""
    policies = load_policies(settings)
    gallery = StoredGallery(store)
    faces = face_engine(settings, gallery, face_analyzer)
    # Keys are read at start: a production service with a missing key refuses to start rather than to sign.
    keys = load_keys(settings)
    encoder = EncoderSettings(settings.publish_encoder, settings.publish_preset, settings.publish_crf)
    signer = publisher or Publisher(keys, settings.tsa_url, encoder=encoder)
    tracing = Tracing(store, lambda: signer.watermark, keys.trust_anchors_pem, media.root)
    taxonomy, restrictions = restriction_judge(settings, models)
    return Adapters(
        store,
        media,
        policies,
        faces,
        gallery,
        match_thresholds(faces, policies),
        keys,
        signer,
        tracing,
        taxonomy,
        restrictions,
    )


def build_gate(settings: Settings, parts: Adapters, checks: Sequence[Check] | None, models: Models) -> Gate:
    """The gate over the given checks, or over the default checks built from the settings."""
    publisher = parts.publisher
    if checks is None:
        checks = default_checks(
            parts.faces,
            parts.tracing.bank_index,
            lambda: publisher.watermark,
            installed_cards(settings.models_root / "deepfake"),
            models,
            settings.cache_root / "prompt-heads",
            parts.restrictions,
            parts.gallery.templates,
            settings.cache_root,
        )
    return Gate(
        parts.store,
        parts.media,
        parts.policies,
        checks,
        publisher=publisher,
        restrictions=parts.restrictions,
        fail_checks=settings.fail_checks,
        check_workers=settings.check_workers,
        mark_during_checks=settings.mark_during_checks,
    )


def background_engine(
    settings: Settings, submissions: Submissions, retro_scans: RetroScans, store: Store, media: MediaStore
) -> Engine:
    """Celery behind the settings' broker, or threads of this process; the use cases send their work to it."""
    engine: Engine
    if settings.broker_url:
        engine = CeleryEngine(settings.broker_url, settings.broker_queue)
    else:
        engine = InProcessEngine(
            {
                RUN_SUBMISSION: submissions.run,
                DELIVER_CALLBACK: submissions.deliver_callback,
                FINISH_PURGE: lambda: finish_pending(store, media),
                RETRO_SCAN: retro_scans.run,
            },
            workers=settings.background_workers,
        )
    # The use cases exist before the engine (it dispatches to them), so they learn where to send work now.
    submissions.send = engine.send
    retro_scans.send = engine.send
    return engine


def build(
    settings: Settings,
    checks: Sequence[Check] | None = None,
    *,
    face_analyzer: FaceAnalyzer | None = None,
    publisher: Publisher | None = None,
    models: Models = Models(),
    clock: Clock | None = None,
    store: Store | None = None,
) -> CameoGuard:
    """Open everything `settings` names; heavy models still load only on first use. With `store` (say, a
    `MemoryStore`), no database is opened and the store's clock is the clock."""
    one_blas_thread()
    media = prepare_home(settings)
    database, opened = open_store(settings, clock, store)
    adapters = build_adapters(settings, opened, media, face_analyzer, publisher, models)
    gate = build_gate(settings, adapters, checks, models)
    return with_use_cases(settings, database, adapters, gate, models)


def build_submissions(
    settings: Settings, adapters: Adapters, videos: Videos, gate: Gate, accounts: Accounts
) -> Submissions:
    """Asynchronous submissions under the settings' limits, their events sent as Standard Webhooks signed with
    each client's secret; take-downs and finished purges become events too."""
    # Host names compare case-insensitively, as DNS does.
    callback_hosts = tuple(h.casefold() for h in settings.callback_allowed_hosts)
    webhooks = Webhooks(
        adapters.store,
        gate.metrics,
        CallbackPolicy(hosts=callback_hosts, give_up_s=settings.callback_give_up_s),
        accounts.webhook_secret,
    )
    submissions = Submissions(
        adapters.store,
        adapters.media,
        videos,
        gate,
        webhooks,
        limits=SubmissionLimits(
            lease_s=settings.submission_lease_s,
            # A queued row older than two leases was not sent, or its message was lost: the sweep sends it again.
            requeue_after_s=2 * settings.submission_lease_s,
            max_depth=settings.max_queued_submissions,
            callback_hosts=callback_hosts,
        ),
    )
    videos.on_taken_down = submissions.video_taken_down
    on_purge_finished(adapters.store, submissions.videos_purged)
    return submissions


def with_use_cases(
    settings: Settings, database: Database | None, adapters: Adapters, gate: Gate, models: Models
) -> CameoGuard:
    """Every use case over the adapters and the gate, and the engine their background work runs on."""
    store, media, policies = adapters.store, adapters.media, adapters.policies
    accounts = Accounts(store)
    videos = Videos(store, media, policies, gate)
    submissions = build_submissions(settings, adapters, videos, gate, accounts)
    retro_scans = RetroScans(store, policies, videos, media, store.clock, restrictions=adapters.restrictions)
    engine = background_engine(settings, submissions, retro_scans, store, media)
    voices = models.voices or shared_voices
    cameos = Cameos(
        store,
        media,
        policies,
        adapters.faces,
        adapters.thresholds,
        taxonomy=adapters.taxonomy,
        restrictions=adapters.restrictions,
        voices=voices,
        transcriber=models.transcriber or shared_transcriber,
        scan=retro_scans.start,
    )
    return CameoGuard(
        settings=settings,
        sql_database=database,
        store=store,
        media=media,
        policies=policies,
        faces=adapters.faces,
        keys=adapters.keys,
        publisher=adapters.publisher,
        gate=gate,
        accounts=accounts,
        cameos=cameos,
        guardians=Guardians(store, policies, cameos),
        use_requests=UseRequests(
            store,
            gate,
            store.clock,
            expire_after=timedelta(hours=settings.owner_approval_hours),
            notify=submissions.video_changed,
        ),
        restrictions=adapters.restrictions,
        protection=Protection(store, adapters.faces, adapters.thresholds, voices, media, scan=retro_scans.start),
        retro_scans=retro_scans,
        videos=videos,
        tracing=adapters.tracing,
        submissions=submissions,
        engine=engine,
        clock=store.clock,
    )
