"""Syncs never interleave: a file lock for a SQLite store, a lock inside the database otherwise.

A file lock only guards one machine. With PostgreSQL the nightly job and the dashboard's "Sync
now" may run on two hosts, so the lock is a PostgreSQL advisory lock, held on its own connection
for the whole sync and released by the server if the process dies.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import filelock
import sqlalchemy as sa

from cii_sheets.problems import CiiSheetsError
from cii_sheets.store import describe_url, parse_store_url, sqlite_path

# One advisory lock key for "a CII sync", the same in every process: the first 8 bytes of a hash.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"cii-sheets sync").digest()[:8], "big", signed=True)
POLL_SECONDS = 0.2


def _busy(where: str) -> CiiSheetsError:
    return CiiSheetsError(
        f"Another sync is already running ({where}). Wait for it to finish, then run this again."
    )


@contextmanager
def sync_lock(url: str, timeout: float) -> Iterator[None]:
    """Hold the store's sync lock, waiting up to ``timeout`` seconds for another sync to end."""
    if parse_store_url(url).get_backend_name() == "postgresql":
        with _advisory_lock(url, timeout):
            yield
    else:
        with _file_lock(lock_path(url), timeout):
            yield


@contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    try:
        # filelock takes any error creating the file for "someone else holds it" and waits out
        # the timeout; try it ourselves first so a folder we cannot write to is named at once.
        path.touch(exist_ok=True)
    except OSError as exc:
        raise CiiSheetsError(
            f"Cannot create the lock file {path} beside the store ({exc.strerror or exc}). "
            "Choose a store in a folder you can write to."
        ) from None
    lock = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise _busy(f"lock {path}") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _advisory_lock(url: str, timeout: float) -> Iterator[None]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        conn = _locked_connection(engine, url, timeout)
        try:
            yield
        finally:
            # Closing the session releases the lock even when the unlock itself fails (the
            # server may have gone away during the sync).
            with suppress(sa.exc.SQLAlchemyError):
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            conn.close()
    finally:
        engine.dispose()


def _locked_connection(engine: sa.Engine, url: str, timeout: float) -> sa.Connection:
    """A connection holding the advisory lock, once the sync holding it (if any) has ended."""
    try:
        conn = engine.connect()
    except sa.exc.SQLAlchemyError as exc:
        raise CiiSheetsError(
            f"Cannot open the store at {describe_url(url)} to take the sync lock "
            f"({type(exc).__name__}). Check that the database is running and the --store URL."
        ) from exc
    try:
        deadline = time.monotonic() + timeout
        try_lock = sa.text("SELECT pg_try_advisory_lock(:key)")
        while not conn.execute(try_lock, {"key": ADVISORY_KEY}).scalar():
            if time.monotonic() >= deadline:
                raise _busy(f"lock held in the database {describe_url(url)}")
            time.sleep(POLL_SECONDS)
    except sa.exc.SQLAlchemyError as exc:
        conn.close()
        raise CiiSheetsError(
            f"Could not take the sync lock in the store at {describe_url(url)} "
            f"({type(exc).__name__}). Check that the database is running, then run this again."
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def lock_path(url: str) -> Path:
    """Beside a SQLite file; otherwise in the temporary folder, one per store URL."""
    path = sqlite_path(url)
    if path is not None:
        return path.with_name(path.name + ".lock")
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cii-sheets-{digest}.lock"
