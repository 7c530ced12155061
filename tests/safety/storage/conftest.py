"""One store per backend for the contract tests: in memory, SQL on SQLite and SQL on PostgreSQL (when
CAMEOGUARD_TEST_POSTGRES_URL is set, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test). Each SQL store is a
copy of the session's migrated template, dropped afterwards. Every store reads a fake clock, so a test moves time
instead of sleeping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from safety.clock import FakeClock
from safety.domain import AgeBand
from safety.records import NewVideo
from safety.storage import Store, Transaction
from safety.storage.memory import MemoryStore
from safety.storage.sql import Store as SqlStore
from safety.storage.sql import open_database
from tests.conftest import fresh_database

KEY = b"contract-test-audit-key-32-bytes"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FakeClock,
    sqlite_template: Path,
    postgres_template: str | None,
) -> Iterator[Store]:
    """An empty store on each backend (SQL ones copied from the session's migrated template)."""
    if request.param == "memory":
        yield MemoryStore(KEY, clock)
        return
    with fresh_database(request.param, tmp_path, sqlite_template, postgres_template) as url:
        database = open_database(url)
        try:
            yield SqlStore(database, KEY, clock)
        finally:
            database.dispose()


@pytest.fixture
def people(store: Store, clock: FakeClock) -> Store:
    """The store with maya and theo (adults, mutuals) and jun (a teen); a second passes after."""
    with store.transaction() as tx:
        tx.accounts.add("maya", AgeBand.ADULT)
        tx.accounts.add("theo", AgeBand.ADULT)
        tx.accounts.add("jun", AgeBand.TEEN)
        tx.accounts.follow("maya", "theo")
        tx.accounts.follow("theo", "maya")
    clock.advance(timedelta(seconds=1))
    return store


def new_video(
    tx: Transaction,
    creator: str = "maya",
    *,
    cameos: tuple[str, ...] = (),
    remix_of: str | None = None,
    prompt: str = "a calm lake",
    video_id: str | None = None,
) -> str:
    """A video in `checking`, with a draft file."""
    return tx.videos.create(
        NewVideo(
            creator=creator,
            prompt=prompt,
            content_sha256="ab" * 32,
            size_bytes=1000,
            duration_s=2.0,
            width=64,
            height=48,
            draft_path=Path(f"/drafts/{uuid.uuid4().hex[:8]}.mp4"),
            declared_cameos=cameos,
            remix_of=remix_of,
            policy_ref="default@1",
            video_id=video_id,
        )
    )
