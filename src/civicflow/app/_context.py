"""The application context: database engine, sessions, the ledger, settings, and migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from civicflow.app._encrypted import bind_field_keys
from civicflow.core import ConfigurationError, Location, Record, Settings, get_settings
from civicflow.eventlog import Engine as AnalyticsEngine
from civicflow.eventlog import make_engine
from civicflow.ledger import Ledger, Signer, check_tree_head_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITE_OPTION = "civicflow_write"
LEDGER_HEAD = "civicflow.ledger_head"
"""``Session.info`` key of the signed tree head to publish once the session has committed."""
_log = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL, with the psycopg 3 driver for plain ``postgresql://`` URLs."""
    url = settings.resolved_database_url()
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_db_engine(url: str) -> Engine:
    """A SQLAlchemy engine; SQLite gets foreign keys, a busy timeout and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # SQLAlchemy, not the driver, decides when a transaction begins (see _begin)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            # a deleted or overwritten value is zeroed, not left in a free page (erasure)
            cur.execute("PRAGMA secure_delete = ON")
            # WAL: readers (the web) never wait for the writer, and commits cost one fsync
            cur.execute("PRAGMA journal_mode = WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A write transaction takes the write lock up front (waiting up to the busy timeout).
            # A deferred one that read first fails at once with "database is locked" when
            # another writer committed in between — under concurrent web requests, often.
            immediate = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


@dataclass(frozen=True, slots=True)
class MigrationStatus(Record):
    """Where the database's schema stands against the migrations shipped with this version."""

    _json = True
    _extra = ("up_to_date",)

    current: str | None
    head: str
    url: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def migration_status(engine: Engine) -> MigrationStatus:
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return MigrationStatus(
        current=current, head=head, url=engine.url.render_as_string(hide_password=True)
    )


def upgrade_database(engine: Engine, revision: str = "head") -> MigrationStatus:
    """Apply the migrations (idempotent)."""
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return migration_status(engine)


def downgrade_database(engine: Engine, revision: str) -> MigrationStatus:
    """Undo migrations down to ``revision`` (``"base"``: an empty schema; all data is lost)."""
    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return migration_status(engine)


class AppContext:
    """What every use case needs: ``engine``, ``session()``, ``ledger`` and ``settings``."""

    def __init__(self, *, engine: Engine, settings: Settings, ledger: Ledger) -> None:
        self.engine = engine
        self.settings = settings
        self.ledger = ledger
        # the sensitive fields' key ring: the setting as it is when a value is read or written
        bind_field_keys(engine, lambda: self.settings.privacy_key_file)
        self._sessions = sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        self._analytics: AnalyticsEngine | None = None
        self.analytics_lock = threading.RLock()
        """Serialises use of :meth:`analytics_engine`, whose connection is not thread-safe."""
        self.created_database = False
        """True when this process created the database's schema from nothing (the command
        line's first use, :func:`~civicflow.app.open_local_app`): the moment to say where."""

    def analytics_engine(self) -> AnalyticsEngine:
        """The configured analytics engine (``Settings.engine``), made on first use."""
        with self.analytics_lock:
            if self._analytics is None:
                self._analytics = make_engine(
                    self.settings.engine, spark_master=self.settings.spark_master
                )
            return self._analytics

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one write transaction: committed when the block ends, rolled back on
        error. On SQLite it holds the write lock from the start."""
        with self._sessions.begin() as session:
            yield session
        self.publish_ledger_head(session.info.pop(LEDGER_HEAD, None))

    def publish_ledger_head(self, head: Any) -> None:
        """Publish a committed change's signed tree head (``Settings.ledger_tree_head_file``).
        The change is committed already, so a failure is logged, not raised: the next change
        publishes a newer head, and verify reports how far the published one lags."""
        try:
            self.ledger.publish(head)
        except OSError as exc:
            _log.warning("could not publish the ledger tree head: %s", exc)

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it never takes the write lock)."""
        with self._read_sessions() as session:
            yield session

    def migration_status(self) -> MigrationStatus:
        return migration_status(self.engine)

    def upgrade(self) -> MigrationStatus:
        return upgrade_database(self.engine)

    def close(self) -> None:
        with self.analytics_lock:
            if self._analytics is not None:
                self._analytics.close()
                self._analytics = None
        self.engine.dispose()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_app(
    *,
    settings: Settings | None = None,
    require_migrated: bool = False,
    checkpoint_every: int = 1,
    engine: Engine | None = None,
) -> AppContext:
    """Open the application database and ledger named by ``settings`` (default: environment)."""
    settings = settings or get_settings()
    engine = engine or make_db_engine(database_url(settings))
    signer = (
        Signer.from_pem_file(settings.ledger_signing_key_file)
        if settings.ledger_signing_key_file is not None
        else None
    )
    head_file = settings.resolved_tree_head_file()
    check_tree_head_file(head_file)
    ctx = AppContext(
        engine=engine,
        settings=settings,
        ledger=Ledger(signer=signer, checkpoint_every=checkpoint_every, tree_head_file=head_file),
    )
    if require_migrated:
        status = ctx.migration_status()
        if not status.up_to_date:
            ctx.close()
            raise ConfigurationError(
                "database is not migrated: run `civicflow db upgrade`",
                where=Location(field="database_url"),
                found=f"schema revision {status.current or 'none (empty database)'} at {status.url}",
                expected=f"revision {status.head}",
                fix="run `civicflow db upgrade` (with the same CIVICFLOW_DATABASE_URL)",
            )
    return ctx
