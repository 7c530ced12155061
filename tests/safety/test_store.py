"""Migrations and the repository's rules, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from safety import ConflictError, Services
from safety.domain import CameoStatus, ConsentLevel
from safety.store import open_database


def test_migrations_match_the_models_and_are_idempotent(services: Services) -> None:
    again = open_database(services.settings.resolved_database_url)
    with again.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    again.dispose()
    assert diff == []


def test_consent_grants_keep_history(people: Services) -> None:
    with people.store.transaction() as tx:
        tx.create_cameo("maya", face_model="test")
        tx.set_consent_level("maya", ConsentLevel.APPROVED)
        tx.set_grant("maya", "theo", "approve")
        assert tx.consent_snapshot("maya", "theo").approved
        tx.set_grant("maya", "theo", "block")
        snapshot = tx.consent_snapshot("maya", "theo")
        assert snapshot.blocked and not snapshot.approved
        assert tx.revoke_grant("maya", "theo", "block")
        assert not tx.consent_snapshot("maya", "theo").blocked
    from sqlalchemy import text

    with people.database.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, revoked_at IS NOT NULL FROM consent_grants ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("approve", True), ("block", True)]


def test_one_active_cameo_per_owner(people: Services) -> None:
    with people.store.transaction() as tx:
        tx.create_cameo("maya", face_model="test")
    try:
        with people.store.transaction() as tx:
            tx.create_cameo("maya", face_model="test", status=CameoStatus.ACTIVE)
    except ConflictError:
        pass
    else:
        raise AssertionError("a second active cameo was accepted")


def test_failed_transaction_writes_nothing(people: Services) -> None:
    before = people.verify_audit().entries
    try:
        with people.store.transaction() as tx:
            tx.follow("jun", "maya")
            tx.add_user("maya", tx.get_user("maya").age_band)
    except ConflictError:
        pass
    with people.store.transaction() as tx:
        assert not tx.follows("jun", "maya")
    assert people.verify_audit().entries == before


def test_concurrent_audit_appends_stay_chained(people: Services) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def follow(i: int) -> None:
        handle = f"user{i}"
        people.add_user(handle)
        people.follow(handle, "maya")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(follow, range(24)))
    report = people.verify_audit()
    assert report.ok, report.problem
