"""The store protocols: what the use cases may ask of storage, one small interface per concept.

Each protocol is implemented on SQL (`safety.storage.sql`) and in memory (`safety.storage.memory`);
`Store.transaction()` binds every store to one transaction (`unit`). A function that works inside a transaction
takes only the stores it needs, typed by these protocols. No store commits: the transaction does. State changes
append to the audit log in the same transaction. This module is pure: it imports no database or media library.
"""

from safety.storage.content import BankStore, DecisionStore, PurgeStore, RegistryStore, TrackStore, VideoStore
from safety.storage.idempotency import IdempotencyStore, IdempotentAnswer
from safety.storage.operations import AuditStore, LockStore, ReviewStore, SubmissionStore
from safety.storage.people import AccountStore, ClientStore, ConsentStore, TemplateStore
from safety.storage.unit import Store, Transaction

__all__ = [
    "AccountStore",
    "AuditStore",
    "BankStore",
    "ClientStore",
    "ConsentStore",
    "DecisionStore",
    "IdempotencyStore",
    "IdempotentAnswer",
    "LockStore",
    "PurgeStore",
    "RegistryStore",
    "ReviewStore",
    "Store",
    "SubmissionStore",
    "TemplateStore",
    "TrackStore",
    "Transaction",
    "VideoStore",
]
