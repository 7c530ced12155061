"""The store protocols: what the use cases may ask of storage, one small interface per concept.

Each protocol is implemented once on SQL (`safety.store.sql`) and bound to a transaction by
`safety.store.Store.transaction()`; a function that works inside a transaction takes only the stores it needs,
typed by these protocols. No store commits: the transaction does. State changes append to the audit log in the
same transaction. This module is pure: it imports no database or media library.
"""

from safety.stores.content import BankStore, DecisionStore, PurgeStore, RegistryStore, TrackStore, VideoStore
from safety.stores.operations import AuditStore, LockStore, ReviewStore
from safety.stores.people import AccountStore, ClientStore, ConsentStore, TemplateStore

__all__ = [
    "AccountStore",
    "AuditStore",
    "BankStore",
    "ClientStore",
    "ConsentStore",
    "DecisionStore",
    "LockStore",
    "PurgeStore",
    "RegistryStore",
    "ReviewStore",
    "TemplateStore",
    "TrackStore",
    "VideoStore",
]
