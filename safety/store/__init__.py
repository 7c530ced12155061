"""Storage: the database behind one narrow interface.

`tables` defines the rows (SQLModel), `database` opens engines and applies Alembic migrations, and `repository`
is the only code that reads or writes rows; it converts them to and from the domain's frozen values explicitly.
"""

from safety.store.database import Database, open_database
from safety.store.repository import ReviewItemRecord, Store, Transaction, VideoRecord

__all__ = ["Database", "ReviewItemRecord", "Store", "Transaction", "VideoRecord", "open_database"]
