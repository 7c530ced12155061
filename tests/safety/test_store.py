"""Migrations and the repository's rules, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, make_url, text
from sqlmodel import SQLModel

from safety import CameoGuard, ConflictError, Settings, build
from safety.clock import FakeClock
from safety.domain import AgeBand, CameoStatus, ConsentLevel
from safety.edges.cli import main
from safety.records import BankName, GrantKind, TemplateSubject
from safety.storage.sql import open_database
from safety.storage.sql.database import head_revision, schema_state
from tests.conftest import POSTGRES_URL

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


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


def test_the_upgrade_to_never_reused_ids_keeps_rows_ids_and_indexes(tmp_path: Path) -> None:
    """Migration 0012 rebuilds face templates, frame hashes and bank hashes on SQLite with AUTOINCREMENT: a database
    that already holds rows keeps them (same ids, same stamps, same indexes), and from then on a replacement moves
    every stamp (SQLite no longer hands the deleted highest id out again). From an empty file of its own: the
    session's template is already at head."""
    from alembic import command
    from sqlalchemy import inspect

    from safety.storage.sql import Store as SqlStore
    from safety.storage.sql.database import Database, _alembic_config, _sqlite_engine
    from tests.safety.storage.conftest import KEY, new_video

    url = f"sqlite:///{tmp_path / 'before-0012.db'}"
    engine = _sqlite_engine(url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0011")
    store = SqlStore(Database(engine=engine, url=url), KEY, FakeClock())
    with store.transaction() as tx:
        tx.accounts.add("maya", AgeBand.ADULT)
        video = new_video(tx)
        tx.templates.add_templates(TemplateSubject.PROTECTED, "Ada", "m1", [b"ada-1", b"ada-2"])
        tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"c" * 32, 90)])
        newest = tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"d" * 32, 90)])
    # Published as the 0011 schema kept it (today's registry also writes tables that came later).
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO published_records (video_id, sha256, watermark_token, manifest_signed, status, created_at)"
                " VALUES (:v, :s, 1, 1, 'live', CURRENT_TIMESTAMP)"
            ),
            {"v": video, "s": "1" * 64},
        )
        for t, digest, quality in [(0.0, b"a" * 32, 90), (1.0, b"b" * 32, 80)]:
            conn.execute(
                text("INSERT INTO frame_hashes (video_id, t, digest, quality) VALUES (:v, :t, :d, :q)"),
                {"v": video, "t": t, "d": digest, "q": quality},
            )

    def contents() -> tuple[object, ...]:
        with store.transaction() as tx:
            return (
                [(t.subject, t.vector) for t in tx.templates.gallery("m1")],
                tx.templates.gallery_stamp("m1"),
                tx.registry.fingerprint_entries(),
                tx.registry.fingerprint_stamp(),
                tx.banks.index_entries(),
                tx.banks.stamp(),
            )

    def indexes() -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        inspector = inspect(engine)
        return {
            table: sorted(
                (str(i["name"]), tuple(str(c) for c in i["column_names"])) for i in inspector.get_indexes(table)
            )
            for table in ("face_templates", "frame_hashes", "bank_hashes")
        }

    before, indexes_before = contents(), indexes()
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    assert contents() == before
    assert indexes() == indexes_before and all(indexes_before.values())
    _, gallery_stamp, _, fingerprint_stamp, _, bank_stamp = before

    with store.transaction() as tx:
        tx.templates.delete_templates(TemplateSubject.PROTECTED, "Ada")
    with store.transaction() as tx:
        tx.templates.add_templates(TemplateSubject.PROTECTED, "Bo", "m1", [b"bo-1", b"bo-2"])
        tx.registry.record_publication(
            video, sha256="2" * 64, watermark_token=2, frame_hashes=[(0.0, b"e" * 32, 90), (1.0, b"f" * 32, 80)]
        )
        tx.banks.remove_entry(newest)
    with store.transaction() as tx:
        tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"g" * 32, 90)])
    after = contents()
    assert after[1] != gallery_stamp and after[3] != fingerprint_stamp and after[5] != bank_stamp
    engine.dispose()


# --- upgrades and start-up: `cameoguard migrate`, a lock around it, and refusals ---------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (no template), as a new deployment's first start finds it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set CAMEOGUARD_TEST_POSTGRES_URL to run this on PostgreSQL")
    name = f"e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _cameoguard(home: Path, database_url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("cameoguard")), "--home", str(home), *args],
        env={**os.environ, "CAMEOGUARD_DATABASE_URL": database_url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        return schema_state(engine).current
    finally:
        engine.dispose()


def _migrate_to(database_url: str, revision: str) -> None:
    """The schema an older version left: migrated up to `revision` only."""
    from alembic import command

    from safety.storage.sql.database import _alembic_config

    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [("migrate", "--json"), ("init", "--json")])
def test_five_processes_starting_at_once_on_an_empty_database_never_race(
    empty_database_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`migrate` and the embedded default's own migration at start take the migration lock: five at once all
    succeed, the schema is at head once, and (for `migrate`) exactly one of them did the work."""
    processes = [_cameoguard(tmp_path / f"home{i}", empty_database_url, *command) for i in range(5)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    for code, out, err in results:
        assert code == 0, err
    assert _revision(empty_database_url) == head_revision()
    if command[0] == "migrate":
        changed = [json.loads(out)["changed"] for _code, out, _err in results]
        assert changed.count(True) == 1, changed


def test_production_refuses_a_schema_behind_and_names_the_command(
    empty_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _migrate_to(empty_database_url, "0009")
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("CAMEOGUARD_ENV", "production")
    home = tmp_path / "home"
    for command in (["serve", "--port", "18080"], ["worker"], ["review", "serve", "--port", "18501"], ["init"]):
        capsys.readouterr()
        assert main(["--home", str(home), *command]) == 5, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cameoguard migrate" in err and "0009" in err, (command, err)
    assert _revision(empty_database_url) == "0009", "nothing but `cameoguard migrate` changes the schema in production"
    assert main(["--home", str(home), "migrate", "--check"]) == 1
    assert main(["--home", str(home), "migrate"]) == 0
    assert _revision(empty_database_url) == head_revision()
    assert main(["--home", str(home), "migrate", "--check"]) == 0


def test_the_embedded_default_keeps_migrating_by_itself(empty_database_url: str, tmp_path: Path) -> None:
    _migrate_to(empty_database_url, "0009")
    with build(Settings(home=tmp_path / "home", database_url=empty_database_url)):
        pass
    assert _revision(empty_database_url) == head_revision()


def test_a_schema_ahead_of_this_version_is_refused_in_every_mode(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer version migrated the database (a rolling upgrade): an older process refuses to start rather than
    write rows the newer schema does not expect."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", database_url)
    for env in ("development", "production"):
        monkeypatch.setenv("CAMEOGUARD_ENV", env)
        for command in (["init"], ["migrate"]):
            capsys.readouterr()
            assert main(["--home", str(tmp_path / "home"), *command]) == 5, (env, command)
            err = capsys.readouterr().err
            assert "9999_from_the_future" in err and "newer" in err and err.count("\n") == 1, err
