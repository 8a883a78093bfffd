"""Configuration in one place: flag > environment variable > cii_sheets.toml > default.

Every key can be set in the file, by an environment variable, and (for the dashboard) in
`.streamlit/secrets.toml`. `cii-sheets config` prints the effective values, secrets masked, with
where each came from. Unknown keys and wrong types are one-line errors at start-up.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cii_sheets import allowlist
from cii_sheets.problems import CiiSheetsError

DEFAULT_FILE = "cii_sheets.toml"
DEFAULT_STORE = "sqlite:///data/cii.sqlite"
DEFAULT_TIMEZONE = "Europe/London"  # where the Initiative works: "today" and times shown


@dataclass(frozen=True)
class Key:
    """How one setting is read and shown."""

    env: str
    kind: type  # str, bool or list (of str)
    help: str


KEYS: dict[str, Key] = {
    "workbook": Key("CII_WORKBOOK", list, "local .xlsx workbooks to read (one or several)"),
    "spreadsheet": Key(
        "CII_SPREADSHEET", list, "Google Spreadsheets' addresses or keys (one or several)"
    ),
    "sources": Key(
        "CII_SOURCES", list, "spreadsheets and workbooks read together, each with its own tabs"
    ),
    "credentials": Key("CII_CREDENTIALS", str, "path of the Google service-account key file"),
    "store": Key("CII_STORE", str, "SQLAlchemy URL of the snapshot store"),
    "notify": Key("CII_NOTIFY", list, "apprise URLs to send digests to"),
    "notify_always": Key("CII_NOTIFY_ALWAYS", bool, "send a digest after every sync"),
    "timezone": Key("CII_TIMEZONE", str, "time zone of 'today' and of times shown"),
    "allowed_emails": Key("CII_ALLOWED_EMAILS", list, "who may open the dashboard (emails)"),
    "allowed_domains": Key(
        "CII_ALLOWED_DOMAINS", list, "who may open the dashboard (email domains)"
    ),
    "allowed_tenants": Key(
        "CII_ALLOWED_TENANTS", list, "Microsoft Entra tenant ids whose sign-ins are trusted"
    ),
    "allow_open_access": Key(
        "CII_ALLOW_OPEN_ACCESS", bool, "serve the dashboard beyond localhost without a login"
    ),
}


@dataclass(frozen=True)
class Config:
    """The effective configuration."""

    workbook: tuple[str, ...] = ()
    spreadsheet: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    credentials: str | None = None
    store: str = DEFAULT_STORE
    notify: tuple[str, ...] = ()
    notify_always: bool = False
    timezone: str = DEFAULT_TIMEZONE
    allowed_emails: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    allowed_tenants: tuple[str, ...] = ()
    allow_open_access: bool = False
    origins: dict[str, str] = field(default_factory=dict, compare=False)  # key -> where from

    def may_see(self, claims: Mapping[str, Any]) -> bool:
        """Whether a signed-in person's ID token claims put them on the allow-list."""
        return allowlist.admits(
            claims, self.allowed_emails, self.allowed_domains, self.allowed_tenants
        )

    def source_entries(self) -> list[tuple[str, str]]:
        """Every source to read as (kind, where), kind "spreadsheet" or "workbook", in order.

        ``sources`` entries come first, then ``spreadsheet`` and ``workbook``; the same one
        given twice is read once.
        """
        entries = [(source_kind(e), e) for e in self.sources]
        entries += [("spreadsheet", e) for e in self.spreadsheet]
        entries += [("workbook", e) for e in self.workbook]
        return list(dict.fromkeys(entries))

    def masked(self) -> dict[str, tuple[str, str]]:
        """key -> (value with secrets masked, where it came from), for `cii-sheets config`."""
        return {
            name: (_mask(name, getattr(self, name)), self.origins.get(name, "default"))
            for name in KEYS
        }


def load(
    path: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Config:
    """Read the configuration: flags over environment over ``extra`` (secrets) over file.

    ``path`` is the file (default: CII_CONFIG, else ./cii_sheets.toml when it exists);
    ``extra`` is a mapping laid out like the file, such as Streamlit's secrets.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}

    file = _file(path, environ)
    if file is not None:
        for name, value in _read_file(file).items():
            values[name], origins[name] = _typed(name, value, str(file)), f"file {file}"
    for name, value in (extra or {}).items():
        if name in KEYS:
            values[name], origins[name] = _typed(name, value, "secrets"), "secrets"
    for name, key in KEYS.items():
        text = environ.get(key.env)
        if name == "credentials" and not text:
            text = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
            env_name = "GOOGLE_APPLICATION_CREDENTIALS"
        else:
            env_name = key.env
        if text:
            values[name], origins[name] = _from_env(name, text), f"environment {env_name}"
    for name, value in (flags or {}).items():
        if name not in KEYS:
            raise CiiSheetsError(f"Unknown setting '{name}'.")
        if value is not None and value != () and value != []:
            values[name], origins[name] = _typed(name, value, "flag"), "flag"
    for name in ("allowed_emails", "allowed_domains", "allowed_tenants"):
        if name in values:
            values[name] = _allow_list(name, values[name], origins[name])
    loaded = Config(**values, origins=origins)
    try:
        ZoneInfo(loaded.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CiiSheetsError(
            f"Unknown time zone '{loaded.timezone}' ({origins.get('timezone', 'default')}). "
            "Use a name like Europe/London."
        ) from None
    return loaded


def source_kind(entry: str) -> str:
    """Whether a ``sources`` entry names a workbook (an .xlsx path) or a Google spreadsheet."""
    text = entry.strip()
    if text.lower().endswith((".xlsx", ".xlsm")) or Path(text).is_file():
        return "workbook"
    return "spreadsheet"


def _file(path: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    if path is not None or environ.get("CII_CONFIG"):
        chosen = Path(path or environ["CII_CONFIG"])
        if not chosen.is_file():
            raise CiiSheetsError(
                f"No configuration file at {chosen}. Check --config or CII_CONFIG, or copy "
                f"cii_sheets.example.toml to start one."
            )
        return chosen
    default = Path(DEFAULT_FILE)
    return default if default.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CiiSheetsError(f"{path} is not valid TOML ({exc}). Fix it and run again.") from None
    except OSError as exc:
        raise CiiSheetsError(f"Cannot read {path}: {exc.strerror}.") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise CiiSheetsError(
            f"{path}: unknown setting '{unknown[0]}'. The settings are: {', '.join(KEYS)}."
        )
    return data


def _typed(name: str, value: Any, where: str) -> Any:
    kind = KEYS[name].kind
    if kind is list:
        items = [value] if isinstance(value, str | Path) else value
        if isinstance(items, list | tuple) and all(isinstance(i, str | Path) for i in items):
            return tuple(str(i) for i in items if str(i))
        raise CiiSheetsError(f'{where}: \'{name}\' must be a list of text, like ["a", "b"].')
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise CiiSheetsError(f"{where}: '{name}' must be true or false.")
    if isinstance(value, str | Path):
        return str(value) or None
    raise CiiSheetsError(f"{where}: '{name}' must be text in quotes.")


def _allow_list(name: str, entries: tuple[str, ...], where: str) -> tuple[str, ...]:
    """The allow-list entries in the form compared; a one-line error for one that is not."""
    normal: list[str] = []
    for entry in entries:
        if name == "allowed_emails":
            value = allowlist.normal_address(entry)
            what, fix = "an email address", "like name@example.org, one address per entry"
        elif name == "allowed_domains":
            value = allowlist.normal_domain(entry.removeprefix("@"))
            what, fix = "an email domain", "like example.org"
        else:
            text = allowlist.ascii_lower(entry)
            value = text if allowlist.TENANT_ID.fullmatch(text) else None
            what = "a Microsoft tenant id"
            fix = "as the Tenant ID on the Overview page of the Microsoft Entra admin centre"
        if value is None:
            raise CiiSheetsError(f"{where}: '{entry}' in '{name}' is not {what}. Write it {fix}.")
        normal.append(value)
    return tuple(normal)


def _from_env(name: str, text: str) -> Any:
    kind = KEYS[name].kind
    if name == "workbook" and Path(text.strip()).is_file():
        return (text.strip(),)  # one path that holds spaces
    if name in ("notify", "workbook", "spreadsheet", "sources"):
        return tuple(text.split())  # space-separated: a URL or a path may hold a comma
    if kind is list:
        return tuple(text.replace(",", " ").split())
    if kind is bool:
        if text.strip().lower() in {"1", "true", "yes", "on"}:
            return True
        if text.strip().lower() in {"0", "false", "no", "off", ""}:
            return False
        raise CiiSheetsError(f"{KEYS[name].env} must be true or false, not '{text}'.")
    return text


def _mask(name: str, value: Any) -> str:
    if value is None or value == ():
        return "(not set)"
    if name == "store":
        import sqlalchemy as sa  # here: only `cii-sheets config` shows the store's address

        try:
            return sa.engine.make_url(str(value)).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return "***"
    if name == "notify":
        return ", ".join(v.split("://", 1)[0] + "://***" for v in value)
    if name == "credentials":
        return f"{value} (file; its contents are never shown)"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def describe(config: Config) -> str:
    """The text `cii-sheets config` prints."""
    rows = config.masked()
    width = max(len(name) for name in rows)
    lines = ["Effective configuration (flag > environment > file > default):"]
    for name, (value, origin) in rows.items():
        lines.append(f"  {name:<{width}}  {value}    [{origin}]")
    return "\n".join(lines)
