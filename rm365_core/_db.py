"""The database registry: named logical databases, engines, sessions and model bases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ._settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def database_metadata(database: str) -> MetaData:
    """The ``MetaData`` of tables stored in the logical database ``database``, with the
    kernel's constraint naming convention. The typed way to declare a plugin's base::

        class Base(DeclarativeBase):
            metadata = database_metadata("inventory")
    """
    return MetaData(naming_convention=NAMING_CONVENTION, info={"database": database})


def make_base(database: str) -> type[DeclarativeBase]:
    """A declarative base whose tables live in the logical database ``database``.

    >>> Base = make_base("inventory")
    >>> class Item(Base): ...
    """

    metadata = database_metadata(database)

    class Base(DeclarativeBase):
        pass

    Base.metadata = metadata
    Base.__doc__ = f"Models stored in the logical database {database!r}."
    return Base


_EVENTS_KEY = "rm365_events"
_EMIT_KEY = "rm365_emit"


def emit_on_commit(session: Session, event: str, data: Any, room: str | list[str] | None = None) -> None:
    """Queue a realtime event that is sent once ``session``'s transaction commits, and never
    if it rolls back. Services call this next to the change it announces::

        emit_on_commit(session, "inventory.changed", {"sku": sku}, room="inventory")

    An event queued inside a savepoint (``session.begin_nested()``) is dropped when that
    savepoint rolls back; the events queued outside it are still sent at the commit.
    The database registry flushes the queue after the commit; a session made elsewhere
    (no registry) drops it on commit, like a site without a realtime hub."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_EVENTS_KEY, []).append((transaction, event, data, room))


def _after_commit(session: Session) -> None:
    events = session.info.pop(_EVENTS_KEY, None)
    emit: Callable[..., None] | None = session.info.get(_EMIT_KEY)
    if events and emit is not None:
        for _transaction, event_name, data, room in events:
            emit(event_name, data, room=room)


def _within(transaction: Any, ancestor: Any) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction was rolled back
        session.info.pop(_EVENTS_KEY, None)
        return
    events = session.info.get(_EVENTS_KEY)
    if events:  # a savepoint: only what was queued inside it goes
        events[:] = [entry for entry in events if not _within(entry[0], previous)]


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("sqlite:///", 1)[-1]
    if path and path != ":memory:":
        import os
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Password hashes live here: only the owner may read the file (SQLite gives its
        # -wal and -shm files the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is broken).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the lock up front so that two transactions never deadlock while
        # upgrading from read to write; read-only sessions ask for DEFERRED.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _server_engine(url: str) -> Engine:
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)


class Databases:
    """Engines and session factories for every logical database, created on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[str, Engine] = {}
        self._makers: dict[tuple[str, bool], sessionmaker[Session]] = {}
        self._lock = threading.Lock()
        self.names: set[str] = {"core"}
        #: Where ``emit_on_commit`` events go after a commit (the kernel's ``emit``).
        self.emit: Callable[..., None] | None = None
        #: Put in every session's ``info`` (the kernel's listeners find their callbacks there).
        self.session_info: dict[str, Any] = {}

    def declare(self, name: str) -> None:
        """Make a logical database known (plugins declare theirs in their manifest)."""
        self.names.add(name)

    def url(self, name: str) -> str:
        return self.settings.database_url_for(name)

    def engine(self, name: str) -> Engine:
        engine = self._engines.get(name)
        if engine is not None:
            return engine
        with self._lock:
            if name not in self._engines:
                url = self.url(name)
                self.names.add(name)
                self._engines[name] = _sqlite_engine(url) if url.startswith("sqlite") else _server_engine(url)
            return self._engines[name]

    def _emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        if self.emit is not None:
            self.emit(event, data, room=room)

    def is_sqlite(self, name: str) -> bool:
        return self.engine(name).dialect.name == "sqlite"

    def sessionmaker(self, name: str, *, readonly: bool = False) -> sessionmaker[Session]:
        key = (name, readonly)
        maker = self._makers.get(key)
        if maker is None:
            engine = self.engine(name)
            if readonly and engine.dialect.name == "sqlite":
                engine = engine.execution_options(sqlite_begin="DEFERRED")  # type: ignore[assignment]
            maker = sessionmaker(bind=engine, expire_on_commit=False, info={**self.session_info, _EMIT_KEY: self._emit})
            self._makers[key] = maker
        return maker

    @contextmanager
    def session(self, name: str, *, readonly: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        session = self.sessionmaker(name, readonly=readonly)()
        try:
            yield session
            if not readonly:
                session.commit()
            # A read-only session just closes: its objects stay readable after the block.
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def check(self) -> dict[str, str]:
        """``{name: "ok" | "error"}`` for every known database."""
        result: dict[str, str] = {}
        for name in sorted(self.names):
            try:
                with self.engine(name).connect() as conn:
                    conn.execute(text("SELECT 1"))
                result[name] = "ok"
            except Exception:  # noqa: BLE001 - reported, never raised
                result[name] = "error"
        return result

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        self._makers.clear()
