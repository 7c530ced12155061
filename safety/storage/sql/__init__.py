"""Storage: narrow stores on SQL.

`tables` defines the rows (SQLModel), `database` opens engines and applies Alembic migrations, `dialect` holds
what differs between SQLite and PostgreSQL, and `sql/` has one module per concept implementing the protocols of
`safety.storage`. `unit.Store.transaction()` binds them all to one transaction. Rows never leave this package:
stores convert them to the records of `safety.records` explicitly.
"""

from safety.storage.sql.database import Database, open_database
from safety.storage.sql.unit import Store, Transaction

__all__ = ["Database", "Store", "Transaction", "open_database"]
