"""`CameoGuard`: every use case of one deployment, built once by `build`, and the few things done to all of them
together (the review service, warming the models, closing)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from policies import PolicyBook
from safety.clock import Clock
from safety.engine import Engine
from safety.errors import ConfigurationError
from safety.faces.engine import FaceEngine
from safety.gate import Gate
from safety.mediastore import MediaStore
from safety.publishing import ProvenanceKeys, Publisher
from safety.restrictions import RestrictionJudge
from safety.settings import Settings
from safety.storage import Store
from safety.storage.sql import Database
from safety.usecases.accounts import Accounts
from safety.usecases.cameos import Cameos
from safety.usecases.guardians import Guardians
from safety.usecases.protection import Protection
from safety.usecases.retro_scans import RetroScans
from safety.usecases.review import CaseFiles, ReviewDecisions, ReviewerSessions, ReviewReports, ReviewService
from safety.usecases.submissions import Submissions
from safety.usecases.tracing import Tracing
from safety.usecases.use_requests import UseRequests
from safety.usecases.videos import Videos


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
            ReviewerSessions(
                self.store,
                session_minutes=session_minutes,
                clock=self.clock,
                password_kib=self.settings.reviewer_password_kib,
            ),
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
        # In this order: tasks still running write to the store, so the engine stops first; the checkpoint then
        # covers their audit entries, and only then is the database let go.
        self.engine.close()
        self.store.checkpoint()
        if self.sql_database is not None:
            self.sql_database.dispose()

    def __enter__(self) -> CameoGuard:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
