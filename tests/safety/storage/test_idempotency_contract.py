"""Idempotency keys on every backend: a key is claimed once per client, answered once, given back when its request
failed, and forgotten after its day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safety.clock import FakeClock
from safety.errors import ConflictError
from safety.storage import Store


def test_a_key_is_claimed_once_per_client_and_keeps_its_answer(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.idempotency.find("pipeline", "k1") is None
        tx.idempotency.start("pipeline", "k1")
        tx.idempotency.start("other", "k1")  # another client's key of the same name is another key
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.idempotency.start("pipeline", "k1")
    with store.transaction() as tx:
        pending = tx.idempotency.find("pipeline", "k1")
        assert pending is not None and not pending.answered
        tx.idempotency.complete("pipeline", "k1", "f" * 64, 202, "application/json", '{"id": 1}')
    with store.transaction() as tx:
        kept = tx.idempotency.find("pipeline", "k1")
    assert kept is not None and kept.answered
    assert (kept.fingerprint, kept.status_code, kept.content_type, kept.body) == (
        "f" * 64,
        202,
        "application/json",
        '{"id": 1}',
    )


def test_an_unanswered_key_is_given_back_and_an_answered_one_is_not(store: Store) -> None:
    with store.transaction() as tx:
        tx.idempotency.start("pipeline", "failed")
        tx.idempotency.start("pipeline", "done")
        tx.idempotency.complete("pipeline", "done", "a" * 64, 201, "application/json", "{}")
    with store.transaction() as tx:
        tx.idempotency.abandon("pipeline", "failed")
        tx.idempotency.abandon("pipeline", "done")
    with store.transaction() as tx:
        assert tx.idempotency.find("pipeline", "failed") is None
        assert tx.idempotency.find("pipeline", "done") is not None
        tx.idempotency.start("pipeline", "failed")  # a retry claims it afresh


def test_keys_are_forgotten_after_their_time(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        tx.idempotency.start("pipeline", "old")
    clock.advance(timedelta(hours=25))
    with store.transaction() as tx:
        tx.idempotency.start("pipeline", "new")
    with store.transaction() as tx:
        assert tx.idempotency.expire(clock.now() - timedelta(hours=24)) == 1
        assert tx.idempotency.find("pipeline", "old") is None
        assert tx.idempotency.find("pipeline", "new") is not None
