"""The fund's grants as 360Giving open data: a JSON package and a spreadsheet, checked offline.

The grants come from a validation (a workbook or spreadsheet read now) or from the store (the
last sync). Before anything is written, the export checks what 360Giving's own Data Quality Tool
checks (through the problems validation found, made blocking where the standard needs it) and
then validates the package against the standard's JSON schemas shipped in
``cii_sheets/standards/360giving`` (draft 2020-12, with date-time and URI format checks). A file
that fails is not written; the problems name the Grants rows to fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from cii_sheets import metrics, schema
from cii_sheets.headlines import plural
from cii_sheets.problems import CiiSheetsError, Code, Problem, Severity
from cii_sheets.snapshot import Settings
from cii_sheets.store import Store
from cii_sheets.validate import Validation, sort_problems

ERROR, WARNING = Severity.ERROR, Severity.WARNING

VERSION = "1.4"  # the standard's major.minor, as the package's `version` states it
MAX_GRANTS = 50_000  # 360Giving's limit for one file
FORMATS = ("json", "xlsx")
STANDARD = "standards/360giving"
# The package schema names the grant schema by this address; it is served from the local copy.
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
# Problems validation reports as warnings (the grant still counts in the figures) that keep the
# grants from being published until they are fixed.
BLOCKING = frozenset({Code.NEEDED_TO_PUBLISH, Code.GRANT_IDENTIFIER, Code.FUTURE_AWARD})
# Warnings 360Giving's tools also give, shown by the export; other warnings (an extra column, a
# date outside the programme) are the Sync report's business, not the file's.
WORTH_A_LOOK = frozenset({Code.ORGANISATION_IDENTIFIER, Code.LONG_TITLE})
# The Settings keys for publishing; the export cannot do without the first three.
REQUIRED_SETTINGS = ("giving360_prefix", "funding_org_identifier", "funding_org_name")
PUBLISHING_SETTINGS = (*REQUIRED_SETTINGS, "publisher_website", "licence")

# Each grant field and its title in the standard's spreadsheet, for messages.
_TITLES = {
    "id": "Identifier",
    "title": "Title",
    "description": "Description",
    "currency": "Currency",
    "amountAwarded": "Amount Awarded",
    "awardDate": "Award Date",
    "startDate": "Planned Dates:Start Date",
    "endDate": "Planned Dates:End Date",
    "plannedDates": "Planned Dates:Start Date",
    "recipientOrganization": "Recipient Org:Identifier",
    "fundingOrganization": "Funding Org:Identifier",
    "grantProgramme": "Grant Programme:Title",
    "classifications": "Classifications:Code",
}


# --- What the export reads ----------------------------------------------------------------------


@dataclass
class Grants:
    """Validated grant rows, the settings and goals they need, and what validation said."""

    source: str
    settings: Settings
    rows: pd.DataFrame  # the store's `grants` table: only rows without errors
    goal_names: dict[str, str]
    problems: list[Problem] = field(default_factory=list)  # of the Grants and Settings tabs
    stale: bool = False  # the Grants tab could not be read: rows are the last good copy


def from_validation(validation: Validation) -> Grants:
    """The grants of a spreadsheet validated just now."""
    snapshot = validation.snapshot
    wanted = {schema.GRANTS_TAB.name, schema.SETTINGS_TAB.name}
    return Grants(
        validation.source,
        snapshot.settings,
        snapshot["grants"],
        snapshot.goal_names(),
        [p for p in validation.problems if _tab_name(p.tab) in wanted],
        stale=validation.tabs[schema.GRANTS_TAB.name].broken,
    )


def from_store(store: Store) -> Grants:
    """The grants of the last stored sync, with the problems that sync found."""
    run = store.latest_run(stored_only=True)
    if run is None:
        raise CiiSheetsError(
            "The store holds no sync yet. Run `cii-sheets sync` first, or export straight "
            "from the spreadsheet with --workbook or --spreadsheet."
        )
    snapshot = store.load_snapshot()
    stored = store.problems(int(run["id"]))
    wanted = {schema.GRANTS_TAB.name, schema.SETTINGS_TAB.name}
    problems = [
        Problem(
            Severity(r.severity),
            Code(r.code),
            r.tab,
            None if r.row is None else int(r.row),
            r.column,
            r.value,
            r.message,
            r.cell,
        )
        for r in stored.itertuples()
        if _tab_name(r.tab) in wanted and r.code in _CODES
    ]
    tabs = store.tabs()
    stale = bool(tabs.loc[tabs["tab"] == schema.GRANTS_TAB.name, "stale"].any())
    return Grants(
        f"{run['source']} (sync run {run['id']})",
        snapshot.settings,
        snapshot["grants"],
        snapshot.goal_names(),
        problems,
        stale=stale,
    )


_CODES = frozenset(str(c) for c in Code)


def _tab_name(title: str) -> str | None:
    tab = schema.match_tab(title)
    return tab.name if tab else None


# --- The export ---------------------------------------------------------------------------------


@dataclass
class Export:
    """What an export found and wrote; nothing is written when any problem is an error."""

    source: str
    problems: list[Problem]
    package: dict[str, Any] | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def export(
    grants: Grants,
    out: Path,
    formats: Sequence[str] = FORMATS,
    *,
    now: dt.datetime | None = None,
) -> Export:
    """Check the grants, build the package, validate it, and write it in each format."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    problems = readiness(grants)
    result = Export(grants.source, problems)
    if result.errors:
        sort_problems(result.problems)
        return result
    package = build_package(grants, now)
    result.problems += schema_problems(package, grants.rows["sheet_row"].tolist())
    sort_problems(result.problems)
    if result.errors:
        return result
    result.package = package
    stem = f"{grants.settings.giving360_prefix}-grants"
    writers = {"json": _json_bytes, "xlsx": _xlsx_bytes}
    files = [(out / f"{stem}.{kind}", writers[kind](package)) for kind in formats]
    out.mkdir(parents=True, exist_ok=True)
    for path, data in files:
        _write_atomically(path, data)
        result.written.append(path)
    return result


def readiness(grants: Grants) -> list[Problem]:
    """What stands between these grants and a publishable file (errors) or is worth a look."""
    problems: list[Problem] = []
    settings = grants.settings
    for key in REQUIRED_SETTINGS:
        if not getattr(settings, key):
            setting = next(s for s in schema.SETTINGS if s.key == key)
            problems.append(
                Problem(
                    ERROR,
                    Code.NEEDED_TO_PUBLISH,
                    schema.SETTINGS_TAB.name,
                    None,
                    "Value",
                    None,
                    f"Add the setting '{setting.name}' to the Settings tab, like "
                    f"{setting.example}. It is needed before the grants can be published.",
                )
            )
    for p in grants.problems:
        blocking = p.severity is ERROR or p.code in BLOCKING
        if _tab_name(p.tab) == schema.SETTINGS_TAB.name and not _about_publishing(p):
            continue  # other settings do not change the file
        if _tab_name(p.tab) == schema.GRANTS_TAB.name and p.severity is ERROR and p.row:
            # A row with an error is kept out of the snapshot: publishing now would drop it.
            message = (
                f"{p.message} Until this is fixed the grant is left out, so nothing is written."
            )
            problems.append(replace(p, message=message))
        elif blocking:
            problems.append(replace(p, severity=ERROR))
        elif p.code in WORTH_A_LOOK:
            problems.append(p)
    if grants.stale:
        problems.append(
            _whole_tab(
                "The Grants tab could not be read at the last sync (see its other problems), so "
                "only an older copy of the grants is known. Fix the tab, sync again, then export."
            )
        )
    elif grants.rows.empty and not any(p.severity is ERROR for p in problems):
        problems.append(
            _whole_tab(
                "There are no grants to publish. Add the fund's grants to the Grants tab, "
                "one per row, then export again."
            )
        )
    if len(grants.rows) > MAX_GRANTS:
        problems.append(
            _whole_tab(
                f"The Grants tab has {len(grants.rows):,} grants; a 360Giving file holds at most "
                f"{MAX_GRANTS:,}. Publish older grants in a file of their own."
            )
        )
    return problems


def _about_publishing(problem: Problem) -> bool:
    """Whether a Settings problem is about a 360Giving key (its message names the setting)."""
    names = [s.name for s in schema.SETTINGS if s.key in PUBLISHING_SETTINGS]
    return problem.code in BLOCKING or any(name in problem.message for name in names)


def build_package(grants: Grants, now: dt.datetime) -> dict[str, Any]:
    """The 360Giving package (schema 1.4): publishing metadata and one object per grant."""
    settings = grants.settings
    funder = {"id": settings.funding_org_identifier, "name": settings.funding_org_name}
    programme = {"title": settings.initiative_name}
    vocabulary = f"{settings.giving360_prefix}-goals"
    rows = grants.rows
    dates = {
        key: rows[key].dt.strftime("%Y-%m-%d").astype(object).where(rows[key].notna(), None)
        for key in ("award_date", "planned_start_date", "planned_end_date")
    }
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    items = []
    for i, row in enumerate(records):
        grant: dict[str, Any] = {
            "id": row["identifier"],
            "title": row["title"],
            "description": row["description"],
            "currency": row["currency"] or "GBP",
            "amountAwarded": _number(row["amount_awarded_gbp"]),
            "awardDate": dates["award_date"].iloc[i],
        }
        planned = {
            name: dates[key].iloc[i]
            for name, key in (("startDate", "planned_start_date"), ("endDate", "planned_end_date"))
            if dates[key].iloc[i]
        }
        if planned:
            grant["plannedDates"] = [planned]
        grant["recipientOrganization"] = [
            {"id": row["recipient_org_identifier"], "name": row["recipient_org_name"]}
        ]
        grant["fundingOrganization"] = [funder]
        grant["grantProgramme"] = [programme]
        goal = row["goal_id"]
        grant["classifications"] = [
            {"vocabulary": vocabulary, "code": goal, "title": grants.goal_names.get(goal, goal)}
        ]
        items.append({k: v for k, v in grant.items() if v is not None})
    total = metrics.gbp(float(rows["amount_awarded_gbp"].sum()))
    package: dict[str, Any] = {
        "version": VERSION,
        "title": f"{settings.initiative_name}: grants",
        "description": (
            f"The {len(items)} grants made by the {settings.initiative_name}, "
            f"{total} in all, published as 360Giving open data."
        ),
        "issued": now.date().isoformat(),
        "modified": now.isoformat().replace("+00:00", "Z"),
        "identifier": f"{settings.giving360_prefix}-grants",
        "publisher": {
            "name": settings.funding_org_name,
            "identifier": settings.funding_org_identifier,
        },
        "license": settings.licence,
        "grants": items,
    }
    if settings.publisher_website:
        package["publisher"]["website"] = settings.publisher_website
    return package


def _number(value: object) -> int | float | None:
    """Whole amounts as integers (45000, not 45000.0); pennies kept."""
    if value is None:
        return None
    amount = round(float(value), 2)  # type: ignore[arg-type]
    return int(amount) if amount.is_integer() else amount


# --- Validation against the standard ------------------------------------------------------------


def _standard_file(name: str) -> bytes:
    return resources.files("cii_sheets").joinpath(f"{STANDARD}/{name}").read_bytes()


@functools.cache
def validator() -> Draft202012Validator:
    """The package schema's validator, with the grant schema served from the local copy."""
    checker = Draft202012Validator.FORMAT_CHECKER
    if not {"date-time", "uri"} <= checker.checkers.keys():
        # Without these, both branches of every date's oneOf match and every grant fails.
        raise CiiSheetsError(
            "The date and web-address checks of jsonschema are not installed. Run "
            "pip install 'jsonschema[format-nongpl]', then export again."
        )
    package = json.loads(_standard_file("360-giving-package-schema.json"))
    # jsonschema checks `uniqueItems` by comparing every pair of grants: 2 minutes for 10,000.
    # `schema_problems` makes the same check in one pass instead.
    package["properties"]["grants"].pop("uniqueItems", None)
    return Draft202012Validator(package, registry=registry(), format_checker=checker)


@functools.cache
def registry() -> Registry[Any]:
    """The grant schema under both addresses it is known by, so nothing is fetched."""
    grant = json.loads(_standard_file("360-giving-schema.json"))
    # The standard's `$schema` is draft 2020-12 under http://, which referencing does not
    # detect by itself: say which draft it is.
    resource = DRAFT202012.create_resource(grant)
    return Registry().with_resources([(grant["$id"], resource), (GRANT_SCHEMA_URL, resource)])


def schema_problems(package: dict[str, Any], sheet_rows: Sequence[int]) -> list[Problem]:
    """Each way the package fails the standard's schemas, named by its Grants row."""
    problems = []
    errors = sorted(validator().iter_errors(package), key=lambda e: list(map(str, e.path)))
    for error in errors:
        path = list(error.absolute_path)
        row = column = None
        if len(path) >= 2 and path[0] == "grants" and isinstance(path[1], int):
            row = sheet_rows[path[1]] if path[1] < len(sheet_rows) else None
            fieldname = str(path[2]) if len(path) > 2 else None
            column = _TITLES.get(fieldname, fieldname) if fieldname else None
            where = schema.GRANTS_TAB.name
        else:  # the package's metadata, which comes from Settings
            where = schema.SETTINGS_TAB.name if path else schema.GRANTS_TAB.name
            column = "Value" if path else None
        problems.append(
            Problem(
                ERROR,
                Code.NOT_PUBLISHABLE,
                where,
                row,
                column,
                None,
                f"360Giving's schema does not accept this: {_plain(error)} Nothing is "
                f"written until it is fixed.",
            )
        )
    return problems + _repeated_grants(package, sheet_rows)


def _repeated_grants(package: dict[str, Any], sheet_rows: Sequence[int]) -> list[Problem]:
    """The package schema's `uniqueItems` on grants, in one pass: no grant twice."""
    first: dict[str, int] = {}
    problems = []
    for i, grant in enumerate(package.get("grants", [])):
        key = json.dumps(grant, sort_keys=True)
        row = sheet_rows[i] if i < len(sheet_rows) else None
        if key in first:
            problems.append(
                Problem(
                    ERROR,
                    Code.NOT_PUBLISHABLE,
                    schema.GRANTS_TAB.name,
                    row,
                    None,
                    None,
                    f"This grant is the same in every field as the one in row {first[key]}. "
                    f"360Giving's schema does not allow the same grant twice: delete one.",
                )
            )
        elif row is not None:
            first[key] = row
    return problems


def _plain(error: ValidationError) -> str:
    """A schema error in words staff can act on (the library's own text as a last resort)."""
    name = str(error.path[-1]) if error.path else "the file"
    title = _TITLES.get(name, name)
    if len(error.path) and error.path[0] != "grants":
        title = _SETTING_FOR.get(name, title)
    if error.validator == "oneOf" and name in ("awardDate", "startDate", "endDate", "issued"):
        return f"{title} must be a date written like 2018-12-04 (you have '{error.instance}')."
    if error.validator == "oneOf" and isinstance(error.instance, dict):
        needed = ("id", "title", "description", "currency", "amountAwarded", "awardDate")
        missing = [_TITLES[k] for k in needed if k not in error.instance]
        if missing:
            return f"a grant needs {', '.join(missing)}."
    if error.validator == "format" and error.validator_value == "uri":
        return f"{title} must be a web address starting with https://."
    if error.validator == "enum":
        return f"{title} '{error.instance}' is not in the standard's list."
    if error.validator == "type":
        return f"{title} must be a {_TYPE_WORDS.get(str(error.validator_value), 'value')}."
    if error.validator == "required":
        return f"{error.message.split(' is a required')[0]} is missing."
    return f"{title}: {error.message}."


# Package fields and the Settings key each comes from.
_SETTING_FOR = {
    "license": "Licence (in Settings)",
    "website": "Publisher website (in Settings)",
    "name": "Funding organisation name (in Settings)",
    "identifier": "Funding organisation identifier or 360Giving prefix (in Settings)",
}
_TYPE_WORDS = {"number": "number", "string": "text", "array": "list", "object": "group of fields"}


# --- Writing ------------------------------------------------------------------------------------


def _json_bytes(package: dict[str, Any]) -> bytes:
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@functools.cache
def template_titles() -> dict[str, tuple[str, ...]]:
    """Sheet name -> its column titles (for Meta, its field names) in the standard's template."""
    book = load_workbook(io.BytesIO(_standard_file(_TEMPLATE)), read_only=True)
    titles: dict[str, tuple[str, ...]] = {}
    for sheet in book.worksheets:
        if sheet.title == "Meta":
            cells = [row[0] for row in sheet.iter_rows(values_only=True) if row and row[0]]
        else:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            cells = [c for c in first if c]
        titles[sheet.title] = tuple(str(c) for c in cells)
    book.close()
    return titles


_TEMPLATE = "360-giving-schema-titles-with-meta-tab-2023.xlsx"


def spreadsheet_rows(package: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The package as the standard's spreadsheet: `grants`, `Classifications` and `Meta` sheets."""
    titles = template_titles()
    grant_rows: list[dict[str, Any]] = []
    classification_rows: list[list[Any]] = []
    for grant in package["grants"]:
        recipient, funder = grant["recipientOrganization"][0], grant["fundingOrganization"][0]
        planned = (grant.get("plannedDates") or [{}])[0]
        grant_rows.append(
            {
                "Identifier": grant["id"],
                "Title": grant["title"],
                "Description": grant["description"],
                "Currency": grant["currency"],
                "Amount Awarded": grant["amountAwarded"],
                "Award Date": grant["awardDate"],
                "Planned Dates:Start Date": planned.get("startDate"),
                "Planned Dates:End Date": planned.get("endDate"),
                "Recipient Org:Identifier": recipient["id"],
                "Recipient Org:Name": recipient["name"],
                "Funding Org:Identifier": funder["id"],
                "Funding Org:Name": funder["name"],
                "Grant Programme:Title": grant["grantProgramme"][0]["title"],
            }
        )
        classification_rows += [
            [grant["id"], c["vocabulary"], c["code"], c.get("title")]
            for c in grant.get("classifications", ())
        ]
    used = {title for row in grant_rows for title, value in row.items() if value is not None}
    header = [t for t in titles["grants"] if t in used]  # the template's order
    publisher = package["publisher"]
    meta = {
        "Version": package["version"],
        "Title": package["title"],
        "Description": package["description"],
        "Issued": package["issued"],
        "Identifier": package["identifier"],
        "Publisher:Name": publisher["name"],
        "Publisher:Website": publisher.get("website"),
        "Publisher:Identifier": publisher.get("identifier"),
        "Modified": package["modified"],
        "License": package["license"],
    }
    return {
        "grants": [header, *([row.get(t) for t in header] for row in grant_rows)],
        "Classifications": [list(titles["Classifications"][:4]), *classification_rows],
        "Meta": [[name, meta.get(name)] for name in titles["Meta"]],
    }


def _xlsx_bytes(package: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in spreadsheet_rows(package).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows():
            _as_text(cells)
        sheet.freeze_panes = "A2" if name != "Meta" else None
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _whole_tab(message: str) -> Problem:
    """A reason the Grants tab as a whole cannot be published."""
    return Problem(ERROR, Code.NOT_PUBLISHABLE, schema.GRANTS_TAB.name, None, None, None, message)


def _as_text(cells: Iterable[Cell]) -> None:
    """Keep typed text as text: openpyxl would store '=...' as a formula."""
    for cell in cells:
        if cell.data_type == "f":
            cell.data_type = "s"


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step, so a failure never leaves half a file."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- Words --------------------------------------------------------------------------------------


def summary(result: Export) -> str:
    """What the export did, or what to fix first, in the CLI's plain style."""
    lines = [f"360Giving export from {result.source}"]
    if result.ok and result.package is not None:
        grants = result.package["grants"]
        total = sum(float(g["amountAwarded"]) for g in grants)
        lines.append(
            f"Wrote {plural(len(grants), 'grant')} "
            f"({metrics.gbp(total)}), checked against the 360Giving Data Standard {VERSION}:"
        )
        lines += [f"  {path}" for path in result.written]
    else:
        lines.append(f"Nothing written: {plural(len(result.errors), 'thing')} to fix first.")
    if result.problems:
        lines.append("")
        for p in result.problems:
            place = ", ".join(
                part for part in (f"row {p.row}" if p.row else "", p.column or "") if part
            )
            where = f"{p.tab}{f' {place}' if place else ''}"
            lines.append(f"  {p.severity.upper():7} {where}: {p.message}")
    if result.ok:
        lines += [
            "",
            "To publish: put the file on your website at a stable address, then register it with "
            "360Giving (see the README, 'Publishing grants as 360Giving data').",
        ]
    return "\n".join(lines)
