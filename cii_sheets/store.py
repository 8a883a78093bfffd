"""The snapshot database (SQLAlchemy; SQLite by default): one table per tab, plus runs and problems.

The store is a public interface: analysts may open it with any SQL tool. Each sync writes in one
transaction, so a sync that fails at any point leaves the previous snapshot whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from cii_sheets import schema
from cii_sheets.config import DEFAULT_STORE
from cii_sheets.problems import CiiSheetsError
from cii_sheets.schema import Kind
from cii_sheets.snapshot import Settings, Snapshot, column_dtype
from cii_sheets.validate import Validation

metadata = sa.MetaData()


def _sql_type(kind: Kind) -> sa.types.TypeEngine[Any]:
    if kind is Kind.MONEY:
        return sa.Numeric(14, 2, asdecimal=False)
    if kind in (Kind.FTE, Kind.NUMBER):
        return sa.Float()
    if kind is Kind.DATE:
        return sa.Date()
    return sa.Text()


DATA_TABLES: dict[str, sa.Table] = {
    tab.table: sa.Table(
        tab.table,
        metadata,
        sa.Column("sheet_row", sa.Integer, nullable=False),
        *(
            sa.Column(c.key, _sql_type(c.kind), nullable=not c.required or bool(c.may_wait_while))
            for c in tab.columns
        ),
    )
    for tab in schema.TABS
    if tab is not schema.SETTINGS_TAB
}
DATA_TABLES[schema.SECONDMENT_GOALS_TABLE] = sa.Table(
    schema.SECONDMENT_GOALS_TABLE,
    metadata,
    sa.Column("secondment_id", sa.Text, nullable=False),
    sa.Column("goal_id", sa.Text, nullable=False),
)
SETTINGS_TABLE = sa.Table(
    "settings",
    metadata,
    sa.Column("setting", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
SYNC_RUNS = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("spreadsheet_url", sa.Text),
    sa.Column("as_of", sa.Date),
    # ok: no errors; errors: stored, with data errors to fix; failed: could not run, nothing stored
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("warnings", sa.Integer, nullable=False, default=0),
    sa.Column("alerts", sa.Integer, nullable=False, default=0),
    sa.Column("rows_left_out", sa.Integer, nullable=False, default=0),
    sa.Column("api_requests", sa.Integer, nullable=False, default=0),
    sa.Column("stale_tabs", sa.Text, nullable=False, default=""),  # comma-separated tab names
    sa.Column("sheet_ids", sa.Text),  # JSON: tab title -> Google tab id, for links to cells
    sa.Column("message", sa.Text),  # why a failed run failed
    # JSON: each source read together, [{source, url, sheet_ids, error}], for links per source
    sa.Column("sources", sa.Text),
)
TABS_STATE = sa.Table(
    "tabs",
    metadata,
    sa.Column("tab", sa.Text, primary_key=True),
    sa.Column("title", sa.Text),  # as found in the sheet
    sa.Column("rows", sa.Integer, nullable=False),  # rows in the snapshot
    sa.Column("left_out", sa.Integer, nullable=False),
    sa.Column("stale", sa.Boolean, nullable=False),
    sa.Column("last_good_run_id", sa.Integer),
    sa.Column("source", sa.Text),  # the spreadsheet or workbook it was last read from
)
PROBLEMS = sa.Table(
    "problems",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("sync_runs.id"), nullable=False, index=True),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("tab", sa.Text, nullable=False),
    sa.Column("row", sa.Integer),
    sa.Column("column", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("cell", sa.Text),
    sa.Column("source", sa.Text),  # the spreadsheet or workbook holding the tab
)
# Per run and tab with money (Pledges, Payments, Grants): the pounds on the rows left out because
# of an error, and how many of those rows had no readable amount, for the board pack's "how
# complete" line. A table of its own, so that stores made before it simply gain it.
LEFT_OUT_MONEY = sa.Table(
    "left_out_money",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("sync_runs.id"), nullable=False, index=True),
    sa.Column("tab", sa.Text, nullable=False),
    sa.Column("amount_gbp", sa.Numeric(14, 2, asdecimal=False), nullable=False),
    sa.Column("unreadable_rows", sa.Integer, nullable=False),
)
ALERTS = sa.Table(
    "alerts",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("sync_runs.id"), nullable=False, index=True),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("tab", sa.Text, nullable=False),
    sa.Column("row", sa.Integer),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
)

# One row per watched source: when `cii-sheets watch` last looked, what it found, and when it
# last synced a change; rewritten every interval (one small row), so the dashboard can tell.
WATCH = sa.Table(
    "watch",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("looked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("interval_seconds", sa.Integer, nullable=False),
    # unchanged, synced, failed (could not read or store), stopped
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True)),  # when a change was last synced
    sa.Column("run_id", sa.Integer),  # the run that change stored
    sa.Column("message", sa.Text),  # why the last look failed
)


def store_url(url: str | None = None) -> str:
    """The store to use: the argument, else CII_STORE, else the default SQLite file."""
    return url or os.environ.get("CII_STORE") or DEFAULT_STORE


STORE_EXAMPLES = "like sqlite:///data/cii.sqlite (a file) or postgresql+psycopg://user@host/cii"


def describe_url(url: str) -> str:
    """The store's URL for messages and logs, with any password masked."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        # Unparseable: still never echo what may be a password after "user:".
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def parse_store_url(url: str) -> sa.URL:
    """The store's URL, parsed; a one-line error saying what is wrong with a bad one."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise CiiSheetsError(
            f"The store '{describe_url(url)}' is not a database address. Write it "
            f"{STORE_EXAMPLES}, in --store or CII_STORE."
        ) from None
    except ValueError as exc:  # e.g. a port that is not a number
        raise CiiSheetsError(
            f"The store address '{describe_url(url)}' cannot be read ({exc}). Write it "
            f"{STORE_EXAMPLES}; a port is a number, like :5432."
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise CiiSheetsError(
            f"The store '{describe_url(url)}' is an in-memory database, which keeps nothing "
            "once the sync ends. Give a file, like sqlite:///data/cii.sqlite."
        )
    return parsed


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = parse_store_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def prepare_store_folder(url: str) -> None:
    """Check a SQLite store's folder exists: a typo must not quietly create a new store elsewhere.

    The default store's folder (data/) is the tool's own, so it is created when missing.
    """
    path = sqlite_path(url)
    if path is None or path.parent.is_dir():
        return
    if url == DEFAULT_STORE:
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    raise CiiSheetsError(
        f"The folder {path.parent} for the store {path.name} does not exist. Check the path in "
        "--store or CII_STORE for a typo, or create the folder first."
    )


P = ParamSpec("P")
R = TypeVar("R")


def _store_errors(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Any database error while reading becomes a one-line error saying what could not be done."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except sa.exc.SQLAlchemyError as exc:
                raise CiiSheetsError(
                    f"Could not {action} from the store ({_first_line(exc)}). If another "
                    "program has the store open, close it; then try again."
                ) from exc

        return guarded

    return wrap


def _first_line(exc: sa.exc.SQLAlchemyError) -> str:
    reason = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    return f"{type(exc).__name__}: {str(reason).splitlines()[0] if str(reason) else ''}"


def _utc(now: dt.datetime | None = None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _records(frame: pd.DataFrame, table: sa.Table) -> list[dict[str, Any]]:
    """Rows as plain Python values (dates as dates, missing as None) for an insert."""
    columns = [c.name for c in table.columns]
    out = frame.reindex(columns=columns).copy()
    for column in table.columns:
        if isinstance(column.type, sa.Date):
            out[column.name] = pd.to_datetime(out[column.name]).dt.date
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")  # type: ignore[return-value]


class Store:
    """The snapshot database at a SQLAlchemy URL."""

    def __init__(self, url: str | None = None) -> None:
        self.url = store_url(url)
        shown = describe_url(self.url)
        parse_store_url(self.url)
        prepare_store_folder(self.url)
        try:
            self.engine: Engine = sa.create_engine(self.url)
        except (sa.exc.NoSuchModuleError, ImportError) as exc:
            raise CiiSheetsError(
                f"The store '{shown}' names a database this tool cannot use here ({exc}). Use "
                f"SQLite or PostgreSQL, {STORE_EXAMPLES}."
            ) from None
        except Exception as exc:  # a missing driver, a bad option in the URL
            raise CiiSheetsError(
                f"Cannot open the store at {shown} ({type(exc).__name__}: {exc}). Check the "
                "--store URL or CII_STORE."
            ) from None
        try:
            _create_tables(self.engine)
            _add_new_columns(self.engine)
            _relax_not_null(self.engine)
        except sa.exc.SQLAlchemyError as exc:
            raise CiiSheetsError(
                f"Cannot open the store at {shown} ({_first_line(exc)}). Check the --store URL "
                "or CII_STORE, that the database is running, and that you may write to it."
            ) from exc

    def dispose(self) -> None:
        """Close the store's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    # --- Writing ---------------------------------------------------------------------------

    def save(
        self,
        validation: Validation,
        *,
        started_at: dt.datetime,
        api_requests: int = 0,
        spreadsheet_url: str | None = None,
        sheet_ids: dict[str, int] | None = None,
        sources: list[dict[str, Any]] | None = None,
    ) -> int:
        """Store one validated sync in one transaction and return its run id.

        Tabs with a broken structure keep their previous rows and are marked stale. ``sources``
        lists each source read together (``SourceInfo.to_dict``), for links per spreadsheet.
        """
        try:
            return self._save(
                validation, started_at, api_requests, spreadsheet_url, sheet_ids, sources
            )
        except sa.exc.SQLAlchemyError as exc:
            raise CiiSheetsError(
                f"Could not save the snapshot ({exc.__class__.__name__}: "
                f"{str(exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc).splitlines()[0]}). "
                f"The previous snapshot is unchanged; check the store's disk and permissions, "
                f"then run the sync again."
            ) from exc

    def _save(
        self,
        validation: Validation,
        started_at: dt.datetime,
        api_requests: int,
        spreadsheet_url: str | None,
        sheet_ids: dict[str, int] | None,
        sources: list[dict[str, Any]] | None = None,
    ) -> int:
        stale = validation.stale_tabs
        with self.engine.begin() as conn:
            run_id = self._insert_run(
                conn,
                source=validation.source,
                spreadsheet_url=spreadsheet_url,
                started_at=started_at,
                as_of=validation.as_of,
                outcome="errors" if validation.errors else "ok",
                errors=len(validation.errors),
                warnings=len(validation.warnings),
                alerts=len(validation.alerts),
                rows_left_out=sum(validation.left_out.values()),
                api_requests=api_requests,
                stale_tabs=",".join(stale),
                sheet_ids=json.dumps(sheet_ids or {}),
                sources=json.dumps(sources) if sources else None,
            )
            fresh = [t for t in schema.TABS if t.name not in stale]
            for tab in fresh:
                if tab is schema.SETTINGS_TAB:
                    self._replace_settings(conn, validation.snapshot.settings)
                else:
                    self._replace(conn, tab.table, validation.snapshot[tab.table])
            if "Secondments" not in stale:
                table = schema.SECONDMENT_GOALS_TABLE
                self._replace(conn, table, validation.snapshot[table])
            self._insert_rows(
                conn,
                PROBLEMS,
                [{"run_id": run_id, **p.to_dict(), "cell": p.cell} for p in validation.problems],
            )
            self._insert_rows(
                conn, ALERTS, [{"run_id": run_id, **a.to_dict()} for a in validation.alerts]
            )
            self._insert_rows(
                conn,
                LEFT_OUT_MONEY,
                [
                    {"run_id": run_id, "tab": tab, "amount_gbp": gbp, "unreadable_rows": unread}
                    for tab, (gbp, unread) in validation.left_out_money.items()
                ],
            )
            self._update_tabs(conn, validation, run_id)
        return run_id

    def record_failure(
        self, source: str, started_at: dt.datetime, message: str, api_requests: int = 0
    ) -> int:
        """Note a sync that could not run; the snapshot itself is left untouched."""
        try:
            with self.engine.begin() as conn:
                return self._insert_run(
                    conn,
                    source=source,
                    started_at=started_at,
                    outcome="failed",
                    api_requests=api_requests,
                    message=message,
                )
        except sa.exc.SQLAlchemyError as exc:
            raise CiiSheetsError(
                f"Could not record the failed run: {exc.__class__.__name__}"
            ) from exc

    def _insert_run(self, conn: Connection, **values: Any) -> int:
        values.setdefault("finished_at", _utc())
        result = conn.execute(SYNC_RUNS.insert().values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def _replace(self, conn: Connection, table_name: str, frame: pd.DataFrame) -> None:
        table = DATA_TABLES[table_name]
        conn.execute(table.delete())
        self._insert_rows(conn, table, _records(frame, table))

    def _insert_rows(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            conn.execute(table.insert(), rows)

    def _replace_settings(self, conn: Connection, settings: Settings) -> None:
        conn.execute(SETTINGS_TABLE.delete())
        rows = [
            {
                "setting": key,
                "value": value.isoformat() if isinstance(value, dt.date) else str(value),
            }
            for key, value in settings.to_dict().items()
        ]
        self._insert_rows(conn, SETTINGS_TABLE, rows)

    def _update_tabs(self, conn: Connection, validation: Validation, run_id: int) -> None:
        previous = {r.tab: r for r in conn.execute(sa.select(TABS_STATE))}
        conn.execute(TABS_STATE.delete())
        rows = []
        for name, result in validation.tabs.items():
            before = previous.get(name)
            table = result.tab.table
            rows.append(
                {
                    "tab": name,
                    # A missing tab keeps its last title, so it stays "had" until it is back.
                    "title": result.title or (before.title if before else None),
                    "rows": (before.rows if before else 0)
                    if result.broken
                    else len(validation.snapshot[table])
                    if name != "Settings"
                    else result.rows,
                    "left_out": result.left_out,
                    "stale": result.broken,
                    "last_good_run_id": (before.last_good_run_id if before else None)
                    if result.broken
                    else run_id,
                    "source": result.source or (before.source if before else None),
                }
            )
        self._insert_rows(conn, TABS_STATE, rows)

    # --- Reading ---------------------------------------------------------------------------

    @_store_errors("read the snapshot")
    def load_snapshot(self) -> Snapshot:
        """The latest stored data, typed as validation produced it."""
        with self.engine.connect() as conn:
            settings_rows = {r.setting: r.value for r in conn.execute(sa.select(SETTINGS_TABLE))}
            tables = {name: self._load_table(conn, name) for name in DATA_TABLES}
        return Snapshot(settings=_settings_from_rows(settings_rows), tables=tables)

    def _load_table(self, conn: Connection, name: str) -> pd.DataFrame:
        table = DATA_TABLES[name]
        rows = conn.execute(sa.select(table)).mappings().all()
        frame = pd.DataFrame(rows, columns=[c.name for c in table.columns])
        tab = next((t for t in schema.TABS if t.table == name), None)
        if tab is None:
            return frame.astype(object)
        frame["sheet_row"] = frame["sheet_row"].astype("int64")
        for column in tab.columns:
            dtype = column_dtype(column.kind)
            if dtype == "datetime64[ns]":
                frame[column.key] = pd.to_datetime(frame[column.key]).astype(dtype)
            elif dtype == "float64":
                frame[column.key] = pd.to_numeric(frame[column.key]).astype(dtype)
            else:
                frame[column.key] = frame[column.key].astype(object)
        return frame

    @_store_errors("read the sync runs")
    def runs(self, limit: int | None = None) -> pd.DataFrame:
        """Sync runs, newest first."""
        query = sa.select(SYNC_RUNS).order_by(SYNC_RUNS.c.id.desc())
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=SYNC_RUNS.c.keys())

    @_store_errors("read the latest sync run")
    def latest_run(self, *, stored_only: bool = False) -> dict[str, Any] | None:
        """The newest run (or the newest that stored a snapshot), as a dict."""
        query = sa.select(SYNC_RUNS).order_by(SYNC_RUNS.c.id.desc()).limit(1)
        if stored_only:
            query = query.where(SYNC_RUNS.c.outcome != "failed")
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    @_store_errors("read the previous sync run")
    def previous_stored_run(self, run_id: int) -> dict[str, Any] | None:
        """The newest run before ``run_id`` that stored a snapshot."""
        query = (
            sa.select(SYNC_RUNS)
            .where(SYNC_RUNS.c.id < run_id, SYNC_RUNS.c.outcome != "failed")
            .order_by(SYNC_RUNS.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    def problems(self, run_id: int) -> pd.DataFrame:
        return self._per_run(PROBLEMS, run_id)

    def alerts(self, run_id: int) -> pd.DataFrame:
        return self._per_run(ALERTS, run_id)

    def left_out_money(self, run_id: int) -> pd.DataFrame:
        """Per tab with money: pounds on the rows a run left out; rows with no readable amount."""
        return self._per_run(LEFT_OUT_MONEY, run_id)

    @_store_errors("read the tabs' state")
    def tabs(self) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return pd.DataFrame(
                conn.execute(sa.select(TABS_STATE)).mappings().all(), columns=TABS_STATE.c.keys()
            )

    @_store_errors("read a run's problems")
    def _per_run(self, table: sa.Table, run_id: int) -> pd.DataFrame:
        """A run's rows with missing values as None (not NaN), as the records were."""
        query = sa.select(table).where(table.c.run_id == run_id)
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=table.c.keys())
        return frame.astype(object).where(frame.notna(), None)

    def record_watch(self, source: str, **values: Any) -> None:
        """Note one look of `cii-sheets watch` (its heartbeat); keeps changed_at and run_id."""
        try:
            with self.engine.begin() as conn:
                where = WATCH.c.source == source
                before = conn.execute(sa.select(WATCH).where(where)).mappings().first()
                row = {**(dict(before) if before else {}), **values, "source": source}
                conn.execute(WATCH.delete().where(where))
                conn.execute(WATCH.insert().values(**row))
        except sa.exc.SQLAlchemyError as exc:
            raise CiiSheetsError(
                f"Could not note the watch's last look in the store ({exc.__class__.__name__})."
            ) from exc

    @_store_errors("read when the watch last looked")
    def watch_status(self) -> dict[str, Any] | None:
        """The watch's latest look (of whichever source it watches), or None if it never ran."""
        query = sa.select(WATCH).order_by(WATCH.c.looked_at.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return dict(row) if row else None

    @_store_errors("read a sync run")
    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run by its id."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(SYNC_RUNS).where(SYNC_RUNS.c.id == run_id)).mappings()
            found = row.first()
        return dict(found) if found else None


def _create_tables(engine: Engine) -> None:
    """Make the tables a new store lacks.

    Two processes opening a new store at once (a sync and the dashboard) may both find a table
    missing and both create it; the loser's CREATE fails with "already exists". Looking again
    then finds every table, so one retry settles it.
    """
    try:
        metadata.create_all(engine)
    except sa.exc.SQLAlchemyError:
        metadata.create_all(engine)


def _add_new_columns(engine: Engine) -> None:
    """Add the columns a newer version defines to a store made by an older one.

    `create_all` makes missing tables but never alters one, so an existing store would refuse
    every sync. Such as Grants' Currency in a data table, or the source of each tab, problem and
    alert beside them: each is added as nullable (data tables are rewritten whole by each sync,
    so it is filled from the next sync on; older runs keep it empty).
    """
    inspector = sa.inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    name = f"{quote(column.name)} {kind}"
                    conn.execute(sa.text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {name}"))


def _settings_from_rows(rows: dict[str, str]) -> Settings:
    defaults = Settings()
    values: dict[str, Any] = {}
    for key, default in defaults.to_dict().items():
        if key not in rows:
            continue
        text = rows[key]
        if isinstance(default, dt.date):
            values[key] = dt.date.fromisoformat(text)
        elif isinstance(default, float):
            values[key] = float(text)
        elif isinstance(default, int):
            values[key] = int(text)
        else:
            values[key] = text
    return Settings(**{**defaults.to_dict(), **values})


def _relax_not_null(engine: Engine) -> None:
    """Let a store made before a column could be empty (Date pledged of an Expected pledge) hold
    empty values there: PostgreSQL drops the constraint; SQLite, which cannot, copies the table.
    """
    inspector = sa.inspect(engine)
    for name, table in DATA_TABLES.items():
        if not inspector.has_table(name):
            continue
        strict = {c["name"] for c in inspector.get_columns(name) if not c["nullable"]}
        loose = [c.name for c in table.columns if c.nullable and c.name in strict]
        if not loose:
            continue
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                rows = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
                table.drop(conn)
                table.create(conn)
                if rows:
                    conn.execute(table.insert(), rows)
            else:
                for column in loose:
                    conn.execute(
                        sa.text(f'ALTER TABLE "{name}" ALTER COLUMN "{column}" DROP NOT NULL')
                    )
