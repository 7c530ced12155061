"""Wiring: build every adapter and use case once from `Settings`.

`build(settings)` opens the database, prepares the media store, loads the policy packs, and builds the face
engine, the publisher (signer and marker) and the gate with its checks; models load lazily on first use, once.
The CLI, the HTTP app, the console, the generator and the scheduler each hold one `CameoGuard`. Tests pass fakes
for the adapters here (face analyzer, checks, publisher parts, clock, and a ready store such as
`safety.storage.memory.MemoryStore`) instead of patching internals.
"""

from __future__ import annotations

import os
import random
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
from policies.restrictions import load_restriction_taxonomy
from provenance import EncoderSettings, InvisibleWatermark, SegmentIndex
from safety.checks import (
    Check,
    ConsentCheck,
    DeepfakeCheck,
    FramesNsfwCheck,
    HashBankCheck,
    InputImageCheck,
    LikenessCheck,
    MediaCheck,
    PromptClassifierCheck,
    PromptRulesCheck,
)
from safety.checks.deepfake import installed_cards
from safety.checks.models import Models
from safety.checks.prompt_classifier import examples_path
from safety.checks.speech import MultilingualTranscriber, SpeechCheck, Transcriber, WhisperTranscriber
from safety.classifiers.prompt import shared_prompt_classifiers
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
from safety.usecases.review import CaseFiles, ReviewDecisions, ReviewerSessions, ReviewReports, ReviewService
from safety.usecases.revocation import finish_pending, on_purge_finished
from safety.usecases.submissions import SubmissionLimits, Submissions
from safety.usecases.tracing import Tracing
from safety.usecases.use_requests import UseRequests
from safety.usecases.videos import Videos
from safety.usecases.webhooks import CallbackPolicy, Webhooks
from safety.voices import DvectorEmbedder, VoiceEmbedder


def load_policy(ref: str) -> PolicyPack:
    """A bundled pack by name, or a pack file by path; `ConfigurationError` naming every problem."""
    try:
        if ref in bundled_pack_names():
            return load_bundled_pack(ref)
        return load_pack(Path(ref))
    except PolicyError as exc:
        raise ConfigurationError(f"policy `{ref}` cannot be used:\n{exc}") from None


_TRANSCRIBER = WhisperTranscriber()
ENGLISH_STRETCHES: WhisperTranscriber | None = None
"""The model that hears stretches in English beside the multilingual one: none, because Whisper base reads real
English better than tiny.en (word error rate 0.14 against 0.20, bench/speech.py), though at four times the cost."""
_MULTILINGUAL: dict[str, MultilingualTranscriber] = {}


def shared_transcriber() -> Transcriber:
    """The process-wide English speech model (the enrollment challenge's digits; it loads on first use)."""
    return _TRANSCRIBER


def shared_multilingual_transcriber(cache_root: Path) -> Callable[[], Transcriber]:
    """The process-wide multilingual speech model: put together under the first service's cache that asks for it
    (`safety.speech_models`) and loaded once, on first use."""

    def transcriber() -> Transcriber:
        if "model" not in _MULTILINGUAL:
            _MULTILINGUAL.setdefault("model", MultilingualTranscriber(cache_root, english=ENGLISH_STRETCHES))
        return _MULTILINGUAL["model"]

    return transcriber


_VOICES = DvectorEmbedder()


def shared_voices() -> VoiceEmbedder:
    """The process-wide voice encoder (it loads on first use)."""
    return _VOICES


def default_checks(
    faces: FaceEngine,
    banks: Callable[[], SegmentIndex],
    watermark: Callable[[], InvisibleWatermark],
    deepfake_cards: Sequence[Path] = (),
    models: Models = Models(),
    prompt_heads: Path | None = None,
    restrictions: RestrictionJudge | None = None,
    voice_gallery: Callable[[str], Sequence[GalleryTemplate]] | None = None,
    cache_root: Path = Path("var/cache"),
) -> list[Check]:
    """The checks every submission passes through, in the order they are reported. The deepfake slot runs only
    when an operator has installed a model card (or a model is given): no deepfake detector ships by default."""
    prompts = models.prompts or shared_prompt_classifiers(prompt_heads)
    checks: list[Check] = [
        MediaCheck(),
        PromptRulesCheck(),
        PromptClassifierCheck(prompts),
        ConsentCheck(restrictions),
        LikenessCheck(faces),
        InputImageCheck(faces, watermark),
        FramesNsfwCheck(models.nudity),
        HashBankCheck(banks),
        SpeechCheck(
            models.transcriber or shared_multilingual_transcriber(cache_root),
            prompts,
            restrictions,
            voices=models.voices or shared_voices,
            voice_gallery=voice_gallery,
        ),
    ]
    if deepfake_cards or models.deepfake is not None:
        checks.append(DeepfakeCheck(list(deepfake_cards), models=models.deepfake))
    return checks


@dataclass
class CameoGuard:
    """Every use case, built once; close it (or use it as a context manager) to release the database."""

    settings: Settings
    """What it was built from."""
    sql_database: Database | None
    """The opened, migrated database; None for a store given to `build` (in memory)."""
    store: Store
    """Transactions over the narrow stores."""
    media: MediaStore
    """Drafts, quarantine, published files, cameo references."""
    policies: PolicyBook
    """The adult and teen packs."""
    faces: FaceEngine
    """The face analyzer (lazy) and gallery."""
    keys: ProvenanceKeys
    """Signing credentials, watermark key and trust anchors."""
    publisher: Publisher
    """Marks, signs and fingerprints published files."""
    gate: Gate
    """The pre-publish gate."""
    accounts: Accounts
    """Users, follows, hook clients."""
    cameos: Cameos
    """Enrollment and consent."""
    guardians: Guardians
    """Parental controls over teens' likenesses."""
    use_requests: UseRequests
    """Owners' approval of each use of their likeness."""
    retro_scans: RetroScans
    """Searches of published videos for people enrolled or protected later."""
    protection: Protection
    """Protected people and face tools."""
    videos: Videos
    """Submissions, views, reports, take-downs."""
    tracing: Tracing
    """verify, banks, the audit chain."""
    submissions: Submissions
    """Asynchronous submissions and their callbacks."""
    engine: Engine
    """Where background work runs (in-process, or Celery workers behind a broker)."""
    clock: Clock
    """Where time comes from."""
    restrictions: RestrictionJudge
    """Judges owners' restrictions on meaning (the gate, the consent check, purges and the sweeper share it)."""

    @property
    def database(self) -> Database:
        """The SQL database; `ConfigurationError` when this CameoGuard runs on a store without one."""
        if self.sql_database is None:
            raise ConfigurationError("this CameoGuard runs on a store without a database (in memory)")
        return self.sql_database

    def review_service(
        self,
        *,
        lease_minutes: float = 10.0,
        session_minutes: float = 480.0,
        quality_share: float = 0.1,
        rng: random.Random | None = None,
    ) -> ReviewService:
        """The console's use case: leases, sessions and the share of decisions re-reviewed blind."""
        return ReviewService(
            ReviewerSessions(self.store, session_minutes=session_minutes, clock=self.clock),
            CaseFiles(self.store, self.policies, self.videos),
            ReviewDecisions(
                self.store,
                self.policies,
                self.videos,
                self.gate,
                lease_minutes=lease_minutes,
                quality_share=quality_share,
                rng=rng,
                clock=self.clock,
            ),
            ReviewReports(self.store, clock=self.clock),
        )

    def warm_up(self) -> dict[str, float]:
        """Load every model now (a service at start, before it takes requests); seconds per check."""
        return self.gate.warm_up()

    def close(self) -> None:
        """Stop background work (in-process tasks already running finish), checkpoint the audit chain and release
        the database."""
        self.engine.close()
        self.store.checkpoint()
        if self.sql_database is not None:
            self.sql_database.dispose()

    def __enter__(self) -> CameoGuard:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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
    media = MediaStore(settings.media_root)
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        media.ensure()
        probe_file = settings.home / f".writable-{os.getpid()}"
        probe_file.touch()
        probe_file.unlink()
    except OSError as exc:
        raise ConfigurationError(f"home {settings.home} cannot hold cameoguard's data: {exc.strerror or exc}") from None
    database: Database | None = None
    if store is None:
        clock = clock or SYSTEM_CLOCK
        # The embedded default migrates by itself; in production only `cameoguard migrate` changes the schema, and
        # every other process refuses a schema that is not the one it was written for.
        database = open_database(settings.resolved_database_url, migrate_schema=not settings.production)
        audit_key, *retired = load_audit_keys(settings)
        sql_store = SqlStore(
            database,
            audit_key,
            clock,
            checkpoints=CheckpointFile(settings.checkpoint_path, audit_key, retired=tuple(retired)),
            checkpoint_every=settings.audit_checkpoint_every,
            retired_audit_keys=tuple(retired),
        )
        sql_store.key_head()
        store = sql_store
    elif clock is not None and clock is not store.clock:
        raise ConfigurationError("a store given to build() keeps its own clock: pass the clock to the store")
    clock = store.clock
    choices = {pack.name: pack for pack in (load_policy(ref) for ref in settings.teen_policy_choices)}
    try:
        policies = PolicyBook(
            adult=load_policy(settings.adult_policy), teen=load_policy(settings.teen_policy), teen_choices=choices
        )
    except ValueError as exc:
        raise ConfigurationError(f"CAMEOGUARD_TEEN_POLICY_CHOICES: {exc}") from None

    def gallery_stamp(model_id: str) -> tuple[int, int]:
        with store.transaction() as tx:
            return tx.templates.gallery_stamp(model_id)

    def gallery_templates(model_id: str) -> list[GalleryTemplate]:
        with store.transaction() as tx:
            return [
                GalleryTemplate(t.subject_kind.value, t.subject, embedding_from_bytes(t.vector))
                for t in tx.templates.gallery(model_id)
            ]

    # The analyzer is built lazily (first use), so commands that never look at a face never load a model.
    pack_dir = settings.models_root / settings.face_pack if settings.face_pack else None
    faces = FaceEngine(
        (lambda: face_analyzer) if face_analyzer else (lambda: build_analyzer(settings.face_backend, pack_dir)),
        gallery_stamp,
        gallery_templates,
    )

    def thresholds() -> MatchThresholds:
        model_id = faces.analyzer().model_id
        # Thresholds belong to a model: a distance from one model means nothing for another.
        found = policies.adult.likeness.models.get(model_id)
        if found is None:
            raise ModelUnavailable(f"policy {policies.adult.ref} has no match thresholds for `{model_id}`")
        return found

    # Keys are read at start: a production service with a missing key refuses to start rather than to sign.
    keys = load_keys(settings)
    encoder = EncoderSettings(settings.publish_encoder, settings.publish_preset, settings.publish_crf)
    publisher = publisher or Publisher(keys, settings.tsa_url, encoder=encoder)
    tracing = Tracing(store, lambda: publisher.watermark, keys.trust_anchors_pem, media.root)
    try:
        taxonomy = load_restriction_taxonomy(settings.restriction_topics)
    except PolicyError as exc:
        raise ConfigurationError(str(exc)) from None
    restrictions = models.restrictions or shared_restriction_judge(
        taxonomy, examples_path("prompts.yaml"), settings.cache_root / "prompt-heads"
    )
    gate = Gate(
        store,
        media,
        policies,
        default_checks(
            faces,
            tracing.bank_index,
            lambda: publisher.watermark,
            installed_cards(settings.models_root / "deepfake"),
            models,
            settings.cache_root / "prompt-heads",
            restrictions,
            gallery_templates,
            settings.cache_root,
        )
        if checks is None
        else checks,
        publisher=publisher,
        restrictions=restrictions,
        fail_checks=settings.fail_checks,
        check_workers=settings.check_workers,
        mark_during_checks=settings.mark_during_checks,
    )
    accounts = Accounts(store)
    videos = Videos(store, media, policies, gate)
    callback_hosts = tuple(h.casefold() for h in settings.callback_allowed_hosts)
    webhooks = Webhooks(
        store,
        gate.metrics,
        CallbackPolicy(hosts=callback_hosts, give_up_s=settings.callback_give_up_s),
        accounts.webhook_secret,
    )
    submissions = Submissions(
        store,
        media,
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
    on_purge_finished(store, submissions.videos_purged)
    retro_scans = RetroScans(store, policies, videos, media, clock, restrictions=restrictions)
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
    submissions.send = engine.send
    retro_scans.send = engine.send
    cameos = Cameos(
        store,
        media,
        policies,
        faces,
        thresholds,
        taxonomy=taxonomy,
        restrictions=restrictions,
        voices=models.voices or shared_voices,
        transcriber=models.transcriber or shared_transcriber,
        scan=retro_scans.start,
    )
    protection = Protection(store, faces, thresholds, models.voices or shared_voices, media, scan=retro_scans.start)
    return CameoGuard(
        settings=settings,
        sql_database=database,
        store=store,
        media=media,
        policies=policies,
        faces=faces,
        keys=keys,
        publisher=publisher,
        gate=gate,
        accounts=accounts,
        cameos=cameos,
        guardians=Guardians(store, policies, cameos),
        use_requests=UseRequests(
            store,
            gate,
            clock,
            expire_after=timedelta(hours=settings.owner_approval_hours),
            notify=submissions.video_changed,
        ),
        restrictions=restrictions,
        protection=protection,
        retro_scans=retro_scans,
        videos=videos,
        tracing=tracing,
        submissions=submissions,
        engine=engine,
        clock=clock,
    )
