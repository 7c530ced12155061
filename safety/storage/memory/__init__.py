"""Every store in memory: the same protocols as `safety.storage.sql`, with SQLite's single-writer semantics.

`MemoryStore` satisfies `safety.storage.Store`; `safety.wiring.build(settings, store=MemoryStore(...))` runs the
whole gate on it, so tests of logic need no database. `tests/safety/storage/test_store_contract.py` runs one set of
assertions against it and against SQL on SQLite and PostgreSQL, so the two cannot drift apart unnoticed.
"""

from safety.storage.memory.unit import MemoryStore, MemoryTransaction

__all__ = ["MemoryStore", "MemoryTransaction"]
