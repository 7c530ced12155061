"""Migrations and the repository's rules, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from safety import CameoGuard, ConflictError
from safety.domain import CameoStatus, ConsentLevel
from safety.records import GrantKind
from safety.storage.sql import open_database


def test_migrations_match_the_models_and_are_idempotent(services: CameoGuard) -> None:
    again = open_database(services.settings.resolved_database_url)
    with again.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    again.dispose()
    assert diff == []


def test_consent_grants_keep_history(people: CameoGuard) -> None:
    with people.store.transaction() as tx:
        tx.consent.create_cameo("maya", face_model="test")
        tx.consent.set_level("maya", ConsentLevel.APPROVED)
        tx.consent.set_grant("maya", "theo", GrantKind.APPROVE)
        assert tx.consent.snapshot("maya", "theo").approved
        tx.consent.set_grant("maya", "theo", GrantKind.BLOCK)
        snapshot = tx.consent.snapshot("maya", "theo")
        assert snapshot.blocked and not snapshot.approved
        assert tx.consent.revoke_grant("maya", "theo", GrantKind.BLOCK)
        assert not tx.consent.snapshot("maya", "theo").blocked
    from sqlalchemy import text

    with people.database.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, revoked_at IS NOT NULL FROM consent_grants ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("approve", True), ("block", True)]


def test_one_active_cameo_per_owner(people: CameoGuard) -> None:
    with people.store.transaction() as tx:
        tx.consent.create_cameo("maya", face_model="test")
    try:
        with people.store.transaction() as tx:
            tx.consent.create_cameo("maya", face_model="test", status=CameoStatus.ACTIVE)
    except ConflictError:
        pass
    else:
        raise AssertionError("a second active cameo was accepted")


def test_failed_transaction_writes_nothing(people: CameoGuard) -> None:
    before = people.tracing.verify_audit().entries
    try:
        with people.store.transaction() as tx:
            tx.accounts.follow("jun", "maya")
            tx.accounts.add("maya", tx.accounts.get("maya").age_band)
    except ConflictError:
        pass
    with people.store.transaction() as tx:
        assert not tx.accounts.follows("jun", "maya")
    assert people.tracing.verify_audit().entries == before


def test_concurrent_audit_appends_stay_chained(people: CameoGuard) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def follow(i: int) -> None:
        handle = f"user{i}"
        people.accounts.add_user(handle)
        people.accounts.follow(handle, "maya")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(follow, range(24)))
    report = people.tracing.verify_audit()
    assert report.ok, report.problem


def test_the_upgrade_removes_plain_hashes_left_by_earlier_purges(services: CameoGuard) -> None:
    """Purges before keyed digests left `sha256:` of prompts and handles, which a dictionary reverses: migration 0011
    removes them (they cannot be keyed again without the originals) and keeps keyed ones."""
    import hashlib
    import json

    from alembic import command
    from sqlalchemy import text

    from safety.audit import is_personal_digest
    from safety.storage.sql.database import _alembic_config
    from tests.safety.revocation_state import scenario

    state = scenario(services, chain_length=2)
    services.cameos.revoke("maya", "theo")
    legacy, keyed = state["chain"]
    plain = "sha256:" + hashlib.sha256(b"maya").hexdigest()
    with services.database.engine.begin() as conn:
        conn.execute(
            text("UPDATE videos SET prompt = :p, declared_cameos = :d WHERE id = :v"),
            {"p": "sha256:" + hashlib.sha256(b"scene root").hexdigest(), "d": json.dumps([plain]), "v": legacy},
        )
    with services.database.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0010")
    with services.database.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    with services.store.transaction() as tx:
        cleaned, kept = tx.videos.get(legacy), tx.videos.get(keyed)
    assert cleaned.prompt == "" and cleaned.declared_cameos == ()
    assert is_personal_digest(kept.prompt)
