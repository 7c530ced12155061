"""The contract every `Store` keeps, run alike on memory, SQLite and PostgreSQL: the unit of work (commit, rollback,
conflicts, snapshots, exclusive sections), the audit chain, accounts and hook clients. The other stores' contracts
are in the modules beside this one, on the same `store` fixture."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safety.audit import verify_chain
from safety.clock import FakeClock
from safety.domain import AgeBand, ConsentLevel
from safety.errors import ConflictError, UnknownUserError
from safety.records import Scope
from safety.storage import Store, Transaction
from safety.storage.memory import MemoryStore, MemoryTransaction
from tests.safety.storage.conftest import KEY, new_video


def test_a_memory_store_is_a_store_to_the_type_checker() -> None:
    # mypy checks these assignments structurally (every store, every signature); the test only runs them.
    store: Store = MemoryStore(KEY)
    with store.transaction() as tx:
        bound: Transaction = tx
        assert isinstance(bound, MemoryTransaction)
    assert store.audit_key == KEY


# the unit of work


def test_a_committed_transaction_is_seen_by_the_next(store: Store) -> None:
    with store.transaction() as tx:
        tx.accounts.add("maya", AgeBand.ADULT)
    with store.transaction() as tx:
        assert tx.accounts.get("maya").age_band is AgeBand.ADULT


def test_a_raising_transaction_leaves_nothing_behind(people: Store) -> None:
    with people.transaction() as tx:
        head = tx.audit.head()
    with pytest.raises(RuntimeError), people.transaction() as tx:
        tx.accounts.add("ana", AgeBand.ADULT)
        tx.accounts.unfollow("maya", "theo")
        tx.accounts.set_teen_controls("jun", actor="guardian:theo", level_cap=ConsentLevel.APPROVED)
        raise RuntimeError("the use case failed after writing")
    with people.transaction() as tx:
        assert tx.accounts.find("ana") is None
        assert tx.accounts.follows("maya", "theo")
        assert tx.accounts.get("jun").cameo_level_cap is None
        assert tx.audit.head() == head


def test_domain_errors_pass_through_as_they_are(people: Store) -> None:
    with pytest.raises(UnknownUserError), people.transaction() as tx:
        tx.accounts.get("nobody")


def test_a_unique_clash_is_a_conflict_and_the_first_row_stays(people: Store) -> None:
    with people.transaction() as tx:
        new_video(tx, video_id="vid_fixed")
    with pytest.raises(ConflictError), people.transaction() as tx:
        new_video(tx, "theo", video_id="vid_fixed")
    with people.transaction() as tx:
        assert tx.videos.get("vid_fixed").creator == "maya"


def test_a_row_naming_a_missing_row_is_a_conflict(people: Store) -> None:
    with pytest.raises(ConflictError), people.transaction() as tx:
        new_video(tx, "nobody")
    with pytest.raises(ConflictError), people.transaction() as tx:
        new_video(tx, remix_of="vid_missing")
    with people.transaction() as tx:
        assert tx.videos.recent() == []


def test_a_transaction_that_has_not_touched_storage_lets_another_run(people: Store) -> None:
    # A use case may run inside a block that has not read anything yet (the SQL session begins lazily).
    with people.transaction() as outer:
        with people.transaction() as inner:
            inner.accounts.add("ana", AgeBand.ADULT)
        assert outer.accounts.get("ana").handle == "ana"


def test_a_snapshot_sees_what_was_committed(people: Store) -> None:
    with people.snapshot() as view:
        assert [u for u in ("maya", "theo", "jun") if view.accounts.find(u)] == ["maya", "theo", "jun"]
        assert view.accounts.follows("theo", "maya")


def test_an_exclusive_section_admits_one_holder_at_a_time(store: Store) -> None:
    ttl = timedelta(minutes=5)
    with store.exclusive("sweeper", "replica-a", ttl) as first:
        assert first
        with store.exclusive("sweeper", "replica-b", ttl) as second:
            assert not second
    with store.exclusive("sweeper", "replica-b", ttl) as again:
        assert again, "released when the holder left"


def test_the_store_exposes_its_clock_and_key(store: Store, clock: FakeClock) -> None:
    assert store.clock is clock and store.audit_key == KEY


# the audit chain


def _actions(store: Store) -> list[tuple[str, str, str]]:
    with store.transaction() as tx:
        return [(e.actor, e.action, e.subject) for e in tx.audit.entries()]


def test_every_state_change_appends_an_entry_in_order(store: Store) -> None:
    with store.transaction() as tx:
        tx.accounts.add("maya", AgeBand.ADULT)
        tx.accounts.add("theo", AgeBand.ADULT)
        tx.accounts.follow("maya", "theo")
    with store.transaction() as tx:
        tx.accounts.unfollow("maya", "theo")
        assert not tx.accounts.unfollow("maya", "theo"), "nothing changed, nothing audited"
    assert _actions(store) == [
        ("system", "user.added", "maya"),
        ("system", "user.added", "theo"),
        ("maya", "user.followed", "theo"),
        ("maya", "user.unfollowed", "theo"),
    ]


def test_the_chain_verifies_and_ends_at_the_head(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        tx.audit.append("operator", "drill.noted", "system", {"codes": ("a", "b"), "n": 2})
    with people.transaction() as tx:
        entries = list(tx.audit.entries(batch=2))
        report = verify_chain(entries, KEY, head=tx.audit.head())
    assert report.ok, report.problem
    assert [e.seq for e in entries] == list(range(1, 7))
    assert entries[-1].details == {"codes": ["a", "b"], "n": 2}, "details come back as JSON"
    assert entries[-1].at == clock.now()


def test_the_chain_does_not_verify_under_another_key(people: Store) -> None:
    with people.transaction() as tx:
        report = verify_chain(tx.audit.entries(), b"another key", head=tx.audit.head())
    assert not report.ok and report.first_broken_seq == 1


def test_each_transaction_links_to_the_one_before(people: Store) -> None:
    with people.transaction() as tx:
        head = tx.audit.head()
        seq, last = head.seq, head.entry_hash
    with people.transaction() as tx:
        tx.accounts.add("ana", AgeBand.ADULT)
    with people.transaction() as tx:
        entry = list(tx.audit.entries())[-1]
        assert (entry.seq, entry.prev_hash) == (seq + 1, last)
        assert (tx.audit.head().seq, tx.audit.head().entry_hash) == (entry.seq, entry.entry_hash)


# accounts


def test_a_handle_is_taken_once(people: Store) -> None:
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.accounts.add("maya", AgeBand.TEEN)
    with people.transaction() as tx:
        assert tx.accounts.get("maya").age_band is AgeBand.ADULT
        assert tx.accounts.find("nobody") is None


def test_follows_are_recorded_once_and_never_of_oneself(people: Store) -> None:
    with people.transaction() as tx:
        assert not tx.accounts.follow("maya", "theo")
        assert tx.accounts.follow("jun", "maya")
        assert tx.accounts.follows("jun", "maya") and not tx.accounts.follows("maya", "jun")
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.accounts.follow("maya", "maya")


def test_a_deleted_account_loses_its_follows_both_ways(people: Store) -> None:
    with people.transaction() as tx:
        tx.accounts.follow("jun", "maya")
        assert tx.accounts.mark_deleted("maya") == ["jun", "theo"]
        assert tx.accounts.get("maya").deleted
        assert not tx.accounts.follows("theo", "maya") and not tx.accounts.follows("maya", "theo")
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.accounts.mark_deleted("maya")
    with pytest.raises(UnknownUserError), people.transaction() as tx:
        tx.accounts.follow("theo", "maya")


def test_guardians_and_their_controls(people: Store) -> None:
    with people.transaction() as tx:
        assert tx.accounts.add_guardian("jun", "theo")
        assert tx.accounts.add_guardian("jun", "maya")
        assert not tx.accounts.add_guardian("jun", "theo")
        tx.accounts.set_teen_controls("jun", actor="guardian:theo", policy_pack="teen_strict")
        tx.accounts.set_teen_controls("jun", actor="guardian:theo", level_cap=ConsentLevel.MUTUALS)
    with people.transaction() as tx:
        assert tx.accounts.guardians_of("jun") == ["maya", "theo"]
        assert tx.accounts.wards_of("theo") == ["jun"] and tx.accounts.wards_of("jun") == []
        jun = tx.accounts.get("jun")
        assert (jun.policy_pack, jun.cameo_level_cap) == ("teen_strict", ConsentLevel.MUTUALS)
    assert _actions(people)[-1] == ("guardian:theo", "guardian.controls_set", "jun")


# hook clients


def test_a_client_token_is_set_rotated_and_revoked(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.clients.set_token("studio", "h1", scopes=("generate", "app"), webhook_secret="s")
        assert not tx.clients.set_token("studio", "h2", scopes=("operator",))
    with store.transaction() as tx:
        assert tx.clients.client_for("h1") is None and tx.clients.client_for("h2") == "studio"
        client = tx.clients.api_client("h2")
        assert client is not None and client.scopes == (Scope.OPERATOR,) and not client.has_webhook_secret
        assert tx.clients.webhook_secret("studio") is None
        assert tx.clients.revoke("studio") and not tx.clients.revoke("studio")
        assert tx.clients.client_for("h2") is None


def test_clients_are_listed_by_name_revoked_ones_too(store: Store) -> None:
    with store.transaction() as tx:
        for name in ("zeta", "alpha", "mid"):
            tx.clients.set_token(name, f"hash-{name}", webhook_secret="s")
        tx.clients.revoke("mid")
    with store.transaction() as tx:
        listed = tx.clients.list_clients()
    assert [(c.name, c.active, c.has_webhook_secret) for c in listed] == [
        ("alpha", True, True),
        ("mid", False, True),
        ("zeta", True, True),
    ]


def test_two_clients_never_share_a_token(store: Store) -> None:
    with store.transaction() as tx:
        tx.clients.set_token("one", "same-hash")
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.clients.set_token("two", "same-hash")
