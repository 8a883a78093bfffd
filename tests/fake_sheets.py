"""A fake Google Sheets API at the HTTP level (``responses``): stateful, strict, logged, faulty.

It answers what the project and the usual gspread way call:

- ``POST {TOKEN_URI}``: the OAuth token endpoint; checks the JWT grant's RS256 signature
  against the test key and its claims, and hands out an access token;
- ``GET spreadsheets/{key}``: with ``includeGridData`` and a ``fields`` mask, applied as Google
  applies it; grid data shaped like Google's (trailing empty cells and rows omitted, ``{}``
  for an empty row or cell in the middle, date serials with a DATE number format, error cells
  as ``errorValue`` with their ``formattedValue``);
- ``POST spreadsheets/{key}:batchUpdate``: addSheet, updateSheetProperties, updateCells,
  repeatCell, setDataValidation, addProtectedRange, applied atomically (any invalid request
  -> HTTP 400 and nothing changes), with Google's grid-limit and duplicate-title checks;
- ``GET|PUT spreadsheets/{key}/values/{range}`` and ``POST .../values/{range}:clear``: the
  values API that gspread's ``get_all_records``/``clear``/``update`` use, with quoted ranges
  such as ``'Sync report'!A1:G20``, ``[]`` for empty rows in the middle and no ``values`` key
  for an empty range.

Every request is logged; faults can be queued (429 with Retry-After, 500, 503, a dropped
connection, a timeout, a malformed JSON body, 403, 404) and are served before the real answer.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime as dt
import functools
import json
import re
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import responses
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

API = "https://sheets.googleapis.com/v4/spreadsheets"
TOKEN_URI = "https://oauth2.fake-google.test/token"
KEY = "1CiiFakeSpreadsheetKey_abcdefghijklmnopqrstu"
EPOCH = dt.date(1899, 12, 30)
# google-auth always puts Google's own token endpoint in the assertion's audience.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"

ERROR_TYPES = {
    "#REF!": ("REF", "Reference does not exist."),
    "#N/A": ("N_A", "Did not find value."),
    "#VALUE!": ("VALUE", "Function expects a number."),
    "#DIV/0!": ("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero."),
    "#NAME?": ("NAME", "Unknown range name."),
    "#NUM!": ("NUM", "Result too large."),
    "#NULL!": ("NULL_VALUE", "Null value."),
    "#ERROR!": ("ERROR", "Formula parse error."),
}


# --- keys and the token endpoint --------------------------------------------------------------


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_info(key: rsa.RSAPrivateKey, token_uri: str = TOKEN_URI) -> dict[str, str]:
    """A service-account key's contents, as Google Cloud's JSON key download has them."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "cii-test",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "cii-sync@cii-test.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/cii-sync",
        "universe_domain": "googleapis.com",
    }


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(assertion: str, public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    """The claims of an RS256 JWT, after checking its signature (raises if it is wrong)."""
    header_b64, payload_b64, signature_b64 = assertion.split(".")
    header = json.loads(_b64decode(header_b64))
    assert header["alg"] == "RS256", header
    public_key.verify(
        _b64decode(signature_b64),
        f"{header_b64}.{payload_b64}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    claims: dict[str, Any] = json.loads(_b64decode(payload_b64))
    return claims


# --- cells --------------------------------------------------------------------------------------


def cell_data(value: object) -> dict[str, Any] | None:
    """What Google stores for a value typed into a cell (None: the cell is empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return {
            "userEnteredValue": {"boolValue": value},
            "effectiveValue": {"boolValue": value},
            "formattedValue": str(value).upper(),
        }
    if isinstance(value, dt.datetime):
        serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        fmt = {"numberFormat": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm:ss"}}
        return {
            "userEnteredValue": {"numberValue": serial},
            "effectiveValue": {"numberValue": serial},
            "formattedValue": value.strftime("%d/%m/%Y %H:%M:%S"),
            "userEnteredFormat": copy.deepcopy(fmt),
            "effectiveFormat": fmt,
        }
    if isinstance(value, dt.date):
        serial_days = (value - EPOCH).days
        fmt = {"numberFormat": {"type": "DATE", "pattern": "dd/mm/yyyy"}}
        return {
            "userEnteredValue": {"numberValue": serial_days},
            "effectiveValue": {"numberValue": serial_days},
            "formattedValue": value.strftime("%d/%m/%Y"),
            "userEnteredFormat": copy.deepcopy(fmt),
            "effectiveFormat": fmt,
        }
    if isinstance(value, int | float):
        return {
            "userEnteredValue": {"numberValue": value},
            "effectiveValue": {"numberValue": value},
            "formattedValue": f"{value:g}" if isinstance(value, float) else str(value),
        }
    text = str(value)
    if text in ERROR_TYPES:
        kind, message = ERROR_TYPES[text]
        return {
            "userEnteredValue": {"formulaValue": "=Sheet9!A1"},
            "effectiveValue": {"errorValue": {"type": kind, "message": message}},
            "formattedValue": text,
        }
    return {
        "userEnteredValue": {"stringValue": text},
        "effectiveValue": {"stringValue": text},
        "formattedValue": text,
    }


def _effective(entered: dict[str, Any]) -> dict[str, Any]:
    """What the fake shows for a value written through the API (it computes only HYPERLINK)."""
    if "formulaValue" in entered:
        found = re.fullmatch(r'=HYPERLINK\("[^"]*","([^"]*)"\)', entered["formulaValue"])
        if found:
            return {"stringValue": found.group(1)}
        return {"errorValue": {"type": "ERROR", "message": "The fake computes no formulas."}}
    return copy.deepcopy(entered)


def a1(row: int, col: int) -> str:
    letters = ""
    n = col + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


# --- field masks --------------------------------------------------------------------------------


def parse_fields(mask: str) -> dict[str, Any]:
    """``a,b(c,d/e)`` -> {"a": {}, "b": {"c": {}, "d": {"e": {}}}}; {} keeps everything below."""
    tree: dict[str, Any] = {}
    stack = [tree]
    token = ""
    path_nodes: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal token
        if token:
            node = stack[-1]
            parts = re.split(r"[./]", token)
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(parts[-1], {})
            path_nodes.append(node[parts[-1]])
        token = ""

    for char in mask.replace(" ", ""):
        if char == ",":
            flush()
            path_nodes.clear()
        elif char == "(":
            flush()
            stack.append(path_nodes[-1])
            path_nodes.clear()
        elif char == ")":
            flush()
            stack.pop()
            path_nodes.clear()
        else:
            token += char
    flush()
    return tree


def apply_fields(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, sub in tree.items():
            if key == "*":
                return value
            if key in value:
                out[key] = apply_fields(value[key], sub)
        return out
    return value


def _set_path(target: dict[str, Any], path: list[str], source: dict[str, Any] | None) -> None:
    """Copy ``source``'s value at ``path`` into ``target`` (or delete it there when absent)."""
    found: Any = source
    for part in path:
        found = found.get(part) if isinstance(found, dict) else None
    node = target
    for part in path[:-1]:
        node = node.setdefault(part, {})
    if found is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(found)


def _prune(cell: dict[str, Any]) -> None:
    for key in list(cell):
        if isinstance(cell[key], dict):
            _prune(cell[key])
            if not cell[key]:
                del cell[key]


# --- the fake -----------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Sheet:
    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    column_count: int = 26
    frozen: int = 0
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    protected: list[dict[str, Any]] = field(default_factory=list)

    def properties(self) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen:
            grid["frozenRowCount"] = self.frozen
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }

    def row_data(self) -> list[dict[str, Any]]:
        """Google's rowData: rows up to the last non-empty one; cells up to the last in a row."""
        if not self.cells:
            return []
        width: dict[int, int] = {}
        for r, c in self.cells:
            width[r] = max(width.get(r, 0), c + 1)
        rows: list[dict[str, Any]] = []
        for r in range(max(width) + 1):
            if r not in width:
                rows.append({})
                continue
            rows.append(
                {"values": [copy.deepcopy(self.cells.get((r, c), {})) for c in range(width[r])]}
            )
        return rows

    def values(self, render: str = "FORMATTED_VALUE") -> list[list[Any]]:
        """The values API's view: formatted text, ``[]`` for empty rows in the middle."""
        out: list[list[Any]] = []
        for row in self.row_data():
            cells = []
            for cell in row.get("values", []):
                if render == "FORMATTED_VALUE":
                    cells.append(cell.get("formattedValue", ""))
                else:
                    effective = cell.get("effectiveValue", {})
                    cells.append(next(iter(effective.values()), ""))
            while cells and cells[-1] == "":
                cells.pop()
            out.append(cells)
        while out and not out[-1]:
            out.pop()
        return out

    def used_range(self) -> str:
        rows = self.values()
        if not rows:
            return quote_title(self.title) + "!A1:Z1000"
        width = max(len(r) for r in rows)
        return f"{quote_title(self.title)}!A1:{a1(len(rows) - 1, max(width, 1) - 1)}"


@dataclass
class Logged:
    method: str
    url: str
    path: str
    params: dict[str, str]
    body: Any
    kind: str  # token, read, write, values-get, values-clear, values-update, fault

    @property
    def batch(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("requests", [])) if self.kind == "write" else []


@dataclass
class Fault:
    kind: str
    retry_after: str | None = None
    method: str | None = None  # GET / POST / PUT, or any


class FakeSheets:
    """One spreadsheet behind a fake Sheets API and token endpoint."""

    def __init__(
        self,
        key: str = KEY,
        *,
        title: str = "CII records",
        locale: str = "en_GB",
        time_zone: str = "Europe/London",
        public_key: rsa.RSAPublicKey | None = None,
        client_email: str = "cii-sync@cii-test.iam.gserviceaccount.com",
    ) -> None:
        self.key = key
        self.title = title
        self.locale = locale
        self.time_zone = time_zone
        self.public_key = public_key
        self.client_email = client_email
        self.sheets: list[Sheet] = []
        self.log: list[Logged] = []
        self.faults: deque[Fault] = deque()
        self.shared = True
        self.tokens: set[str] = set()
        self.claims: list[dict[str, Any]] = []

    # --- set-up ---------------------------------------------------------------------------------

    def install(self, mock: responses.RequestsMock) -> FakeSheets:
        mock.add_callback(responses.POST, TOKEN_URI, callback=self._token)
        pattern = re.compile(re.escape(API) + r"/.*")
        for method in (responses.GET, responses.POST, responses.PUT):
            mock.add_callback(method, pattern, callback=self._sheets)
        return self

    def add_tab(
        self, title: str, rows: list[list[object]] | None = None, sheet_id: int | None = None
    ) -> Sheet:
        sheet = Sheet(
            sheet_id if sheet_id is not None else 1000 + 17 * len(self.sheets),
            title,
            len(self.sheets),
        )
        for r, row in enumerate(rows or []):
            for c, value in enumerate(row):
                data = cell_data(value)
                if data is not None:
                    sheet.cells[(r, c)] = data
        used = max((r for r, _ in sheet.cells), default=0) + 1
        sheet.row_count = max(sheet.row_count, used)
        self.sheets.append(sheet)
        return sheet

    def fail(self, kind: str, times: int = 1, retry_after: str | None = None) -> None:
        """Serve ``kind`` for the next ``times`` Sheets API requests, then answer normally."""
        for _ in range(times):
            self.faults.append(Fault(kind, retry_after))

    def sheet(self, title: str) -> Sheet:
        wanted = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == wanted:
                return sheet
        raise KeyError(title)

    def has(self, title: str) -> bool:
        return any(s.title.casefold() == title.casefold() for s in self.sheets)

    def requests_of(self, *kinds: str) -> list[Logged]:
        return [r for r in self.log if r.kind in kinds]

    def snapshot(self) -> str:
        """Every tab's state, to check that something did not change."""
        return json.dumps(
            [
                [s.sheet_id, s.title, s.frozen, sorted((f"{k}", v) for k, v in s.cells.items())]
                for s in self.sheets
            ],
            sort_keys=True,
            default=str,
        )

    # --- the token endpoint ---------------------------------------------------------------------

    def _token(self, request: requests.PreparedRequest) -> Any:
        form = dict(urllib.parse.parse_qsl(_text(request.body)))
        self.log.append(Logged("POST", str(request.url), "token", {}, form, "token"))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _json(400, {"error": "unsupported_grant_type"})
        try:
            assert self.public_key is not None
            claims = verify_jwt(form.get("assertion", ""), self.public_key)
        except Exception:
            return _json(
                400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            )
        if claims.get("iss") != self.client_email or claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            return _json(400, {"error": "invalid_grant", "error_description": "Bad claims."})
        self.claims.append(claims)
        token = f"ya29.fake-{len(self.tokens) + 1}"
        self.tokens.add(token)
        return _json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    # --- the Sheets API -------------------------------------------------------------------------

    def _sheets(self, request: requests.PreparedRequest) -> Any:
        url = urllib.parse.urlsplit(str(request.url))
        path = urllib.parse.unquote(url.path[len("/v4/spreadsheets/") :])
        params = dict(urllib.parse.parse_qsl(url.query))
        body = json.loads(_text(request.body)) if request.body else None
        kind = _kind(str(request.method), path)
        self.log.append(Logged(str(request.method), str(request.url), path, params, body, kind))
        if self.faults:
            fault = self.faults.popleft()
            return self._fault(fault)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        key = re.split(r"[/:]", path, maxsplit=1)[0]
        if key != self.key:
            return _error(404, "Requested entity was not found.", "NOT_FOUND")
        if not self.shared:
            return _error(403, "The caller does not have permission", "PERMISSION_DENIED")
        try:
            if kind == "read":
                return _json(200, self._get(params))
            if kind == "write":
                return _json(200, self._batch_update(body or {}))
            if kind == "values-get":
                return _json(200, self._values_get(path, params))
            if kind == "values-clear":
                return _json(200, self._values_clear(path))
            if kind == "values-update":
                return _json(200, self._values_update(path, body or {}))
        except ApiError as exc:
            return _error(exc.code, exc.message, exc.status)
        return _error(404, f"Not a method the fake knows: {request.method} {path}", "NOT_FOUND")

    def _fault(self, fault: Fault) -> Any:
        if fault.kind == "connection":
            return requests.ConnectionError("Connection aborted: remote end closed connection")
        if fault.kind == "timeout":
            return requests.ReadTimeout("Read timed out. (read timeout=60)")
        if fault.kind == "malformed":
            return (200, {"Content-Type": "application/json"}, '{"spreadsheetId": "trunc')
        if fault.kind == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            message = (
                "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                "minute per user' of service 'sheets.googleapis.com'."
            )
            return _error(429, message, "RESOURCE_EXHAUSTED", headers)
        if fault.kind in ("500", "503"):
            status = int(fault.kind)
            text = (
                "Internal error encountered."
                if status == 500
                else "The service is currently unavailable."
            )
            return _error(status, text, "INTERNAL" if status == 500 else "UNAVAILABLE")
        if fault.kind == "403":
            return _error(403, "The caller does not have permission", "PERMISSION_DENIED")
        if fault.kind == "403-disabled":
            return _error(
                403,
                "Google Sheets API has not been used in project 1234 before or it is disabled.",
                "PERMISSION_DENIED",
                details=[{"reason": "SERVICE_DISABLED"}],
            )
        if fault.kind == "404":
            return _error(404, "Requested entity was not found.", "NOT_FOUND")
        raise AssertionError(f"unknown fault {fault.kind}")

    def _get(self, params: dict[str, str]) -> dict[str, Any]:
        grid = params.get("includeGridData", "false") == "true"
        sheets = []
        for sheet in sorted(self.sheets, key=lambda s: s.index):
            entry: dict[str, Any] = {"properties": sheet.properties()}
            if sheet.protected:
                entry["protectedRanges"] = copy.deepcopy(sheet.protected)
            if grid:
                rows = sheet.row_data()
                entry["data"] = [{"rowData": rows} if rows else {}]
            sheets.append(entry)
        body = {
            "spreadsheetId": self.key,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }
        if "fields" in params:
            body = apply_fields(body, parse_fields(params["fields"]))
        return body

    # --- batchUpdate ----------------------------------------------------------------------------

    def _batch_update(self, body: dict[str, Any]) -> dict[str, Any]:
        before = (copy.deepcopy(self.sheets),)
        replies = []
        try:
            for request in body.get("requests", []):
                (name, spec), *rest = request.items()
                if rest:
                    raise ApiError(400, "Each request holds exactly one kind.", "INVALID_ARGUMENT")
                handler = getattr(self, f"_do_{name}", None)
                if handler is None:
                    raise ApiError(400, f"Unknown request {name}", "INVALID_ARGUMENT")
                replies.append(handler(spec) or {})
        except ApiError:
            (self.sheets,) = before
            raise
        return {"spreadsheetId": self.key, "replies": replies}

    def _by_id(self, sheet_id: object) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}", "INVALID_ARGUMENT")

    def _do_addSheet(self, spec: dict[str, Any]) -> dict[str, Any]:
        props = spec.get("properties", {})
        title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
        if self.has(title):
            raise ApiError(
                400,
                f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. '
                "Please enter another name.",
                "INVALID_ARGUMENT",
            )
        sheet_id = props.get("sheetId", 9000 + len(self.sheets))
        if any(s.sheet_id == sheet_id for s in self.sheets):
            raise ApiError(
                400, f"A sheet with the id {sheet_id} already exists.", "INVALID_ARGUMENT"
            )
        grid = props.get("gridProperties", {})
        sheet = Sheet(
            sheet_id,
            title,
            len(self.sheets),
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
            grid.get("frozenRowCount", 0),
        )
        self._check_frozen(sheet)
        self.sheets.append(sheet)
        return {"addSheet": {"properties": sheet.properties()}}

    def _check_frozen(self, sheet: Sheet) -> None:
        if sheet.frozen >= sheet.row_count:
            raise ApiError(
                400, "You can't freeze all visible rows on the sheet.", "INVALID_ARGUMENT"
            )

    def _do_updateSheetProperties(self, spec: dict[str, Any]) -> None:
        props = spec.get("properties", {})
        sheet = self._by_id(props.get("sheetId"))
        fields = [f.strip() for f in spec.get("fields", "").split(",") if f.strip()]
        if not fields:
            raise ApiError(400, "At least one field must be updated", "INVALID_ARGUMENT")
        grid = props.get("gridProperties", {})
        for name in fields:
            if name == "title":
                sheet.title = props["title"]
            elif name == "gridProperties.rowCount":
                sheet.row_count = grid["rowCount"]
                sheet.cells = {k: v for k, v in sheet.cells.items() if k[0] < sheet.row_count}
            elif name == "gridProperties.columnCount":
                sheet.column_count = grid["columnCount"]
                sheet.cells = {k: v for k, v in sheet.cells.items() if k[1] < sheet.column_count}
            elif name == "gridProperties.frozenRowCount":
                sheet.frozen = grid.get("frozenRowCount", 0)
            else:
                raise ApiError(400, f"The fake does not update {name}", "INVALID_ARGUMENT")
        self._check_frozen(sheet)

    def _grid(self, sheet: Sheet, grid: dict[str, Any]) -> tuple[int, int, int, int]:
        bounds = (
            grid.get("startRowIndex", 0),
            grid.get("endRowIndex", sheet.row_count),
            grid.get("startColumnIndex", 0),
            grid.get("endColumnIndex", sheet.column_count),
        )
        if bounds[1] > sheet.row_count or bounds[3] > sheet.column_count:
            raise ApiError(400, f"Range ({sheet.title}) exceeds grid limits.", "INVALID_ARGUMENT")
        return bounds

    def _write_cell(self, sheet: Sheet, r: int, c: int, given: dict[str, Any], fields: str) -> None:
        cell = sheet.cells.get((r, c), {})
        for name in [f.strip() for f in fields.split(",") if f.strip()]:
            if name == "*":
                cell = copy.deepcopy(given)
                break
            _set_path(cell, name.split("."), given)
        if "userEnteredValue" in cell:
            cell["effectiveValue"] = _effective(cell["userEnteredValue"])
            shown = next(iter(cell["effectiveValue"].values()))
            cell["formattedValue"] = shown if not isinstance(shown, dict) else "#ERROR!"
        else:
            cell.pop("effectiveValue", None)
            cell.pop("formattedValue", None)
        if "userEnteredFormat" in cell:
            cell["effectiveFormat"] = copy.deepcopy(cell["userEnteredFormat"])
        else:
            cell.pop("effectiveFormat", None)
        _prune(cell)
        if cell:
            sheet.cells[(r, c)] = cell
        else:
            sheet.cells.pop((r, c), None)

    def _do_updateCells(self, spec: dict[str, Any]) -> None:
        fields = spec.get("fields")
        if not fields:
            raise ApiError(400, "updateCells needs fields", "INVALID_ARGUMENT")
        if "range" in spec:
            sheet = self._by_id(spec["range"].get("sheetId"))
            r0, r1, c0, c1 = self._grid(sheet, spec["range"])
            rows = spec.get("rows", [])
            for r in range(r0, r1):
                values = rows[r - r0].get("values", []) if r - r0 < len(rows) else []
                for c in range(c0, c1):
                    given = values[c - c0] if c - c0 < len(values) else {}
                    if given or (r, c) in sheet.cells:
                        self._write_cell(sheet, r, c, given, fields)
            return
        start = spec.get("start", {})
        sheet = self._by_id(start.get("sheetId"))
        r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
        rows = spec.get("rows", [])
        width = max((len(row.get("values", [])) for row in rows), default=0)
        self._grid(
            sheet,
            {
                "startRowIndex": r0,
                "endRowIndex": r0 + len(rows),
                "startColumnIndex": c0,
                "endColumnIndex": c0 + width,
            },
        )
        for i, row in enumerate(rows):
            for j, given in enumerate(row.get("values", [])):
                self._write_cell(sheet, r0 + i, c0 + j, given, fields)

    def _do_repeatCell(self, spec: dict[str, Any]) -> None:
        sheet = self._by_id(spec["range"].get("sheetId"))
        r0, r1, c0, c1 = self._grid(sheet, spec["range"])
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._write_cell(sheet, r, c, spec.get("cell", {}), spec["fields"])

    def _do_setDataValidation(self, spec: dict[str, Any]) -> None:
        sheet = self._by_id(spec["range"].get("sheetId"))
        r0, r1, c0, c1 = self._grid(sheet, spec["range"])
        rule = spec.get("rule")
        for r in range(r0, r1):
            for c in range(c0, c1):
                cell = sheet.cells.setdefault((r, c), {})
                if rule:
                    cell["dataValidation"] = copy.deepcopy(rule)
                else:
                    cell.pop("dataValidation", None)
                if not cell:
                    del sheet.cells[(r, c)]

    def _do_addProtectedRange(self, spec: dict[str, Any]) -> dict[str, Any]:
        protected = copy.deepcopy(spec["protectedRange"])
        sheet = self._by_id(protected["range"].get("sheetId"))
        self._grid(sheet, protected["range"])
        protected["protectedRangeId"] = 500 + sum(len(s.protected) for s in self.sheets)
        # Google echoes the range without its zero indexes.
        protected["range"] = {
            k: v for k, v in protected["range"].items() if v != 0 or k == "sheetId"
        }
        if not protected.get("warningOnly"):
            protected["editors"] = {"users": [self.client_email]}
        sheet.protected.append(protected)
        return {"addProtectedRange": {"protectedRange": protected}}

    # --- the values API (the usual gspread way) -----------------------------------------------

    def _range_sheet(self, path: str) -> tuple[Sheet, str]:
        name = path.split("/values/", 1)[1]
        name = name.rsplit(":clear", 1)[0] if name.endswith(":clear") else name
        title, _, cells = name.partition("!")
        if title.startswith("'") and title.endswith("'"):
            title = title[1:-1].replace("''", "'")
        try:
            return self.sheet(title), cells
        except KeyError:
            raise ApiError(400, f"Unable to parse range: {name}", "INVALID_ARGUMENT") from None

    def _values_get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        sheet, _ = self._range_sheet(path)
        rows = sheet.values(params.get("valueRenderOption", "FORMATTED_VALUE"))
        body: dict[str, Any] = {"range": sheet.used_range(), "majorDimension": "ROWS"}
        if rows:
            body["values"] = rows
        return body

    def _values_clear(self, path: str) -> dict[str, Any]:
        sheet, _ = self._range_sheet(path)
        cleared = sheet.used_range()
        for key in list(sheet.cells):
            cell = sheet.cells[key]
            for name in ("userEnteredValue", "effectiveValue", "formattedValue"):
                cell.pop(name, None)
            if not cell:
                del sheet.cells[key]
        return {"spreadsheetId": self.key, "clearedRange": cleared}

    def _values_update(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        sheet, cells = self._range_sheet(path)
        found = re.match(r"([A-Z]+)(\d+)", cells or "A1")
        assert found, cells
        col = 0
        for ch in found.group(1):
            col = col * 26 + ord(ch) - 64
        c0, r0 = col - 1, int(found.group(2)) - 1
        rows = body.get("values", [])
        if r0 + len(rows) > sheet.row_count:
            sheet.row_count = r0 + len(rows)  # the values API grows the grid
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                data = cell_data(value)
                if data is None:
                    sheet.cells.pop((r0 + i, c0 + j), None)
                else:
                    sheet.cells[(r0 + i, c0 + j)] = data
        width = max((len(r) for r in rows), default=1)
        return {
            "spreadsheetId": self.key,
            "updatedRange": f"{quote_title(sheet.title)}!{a1(r0, c0)}:"
            f"{a1(r0 + max(len(rows), 1) - 1, c0 + width - 1)}",
            "updatedRows": len(rows),
            "updatedColumns": width,
            "updatedCells": sum(len(r) for r in rows),
        }


def _text(body: object) -> str:
    if body is None:
        return ""
    return body.decode() if isinstance(body, bytes) else str(body)


def _kind(method: str, path: str) -> str:
    if path.endswith(":batchUpdate"):
        return "write"
    if "/values/" in path:
        if path.endswith(":clear"):
            return "values-clear"
        return "values-update" if method == "PUT" else "values-get"
    return "read"


def _json(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    return (
        status,
        {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        json.dumps(body),
    )


def _error(
    code: int,
    message: str,
    status: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> tuple[int, dict[str, str], str]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return _json(code, {"error": error}, headers)


# --- a whole fake world for one test ----------------------------------------------------------


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@functools.cache
def session_private_key() -> rsa.RSAPrivateKey:
    """One RSA key per test session, generated here: no key material lives in the repository."""
    return new_private_key()


@dataclass
class World:
    """The fake API with one spreadsheet, a real key file for it, and a fake clock."""

    fake: FakeSheets
    key_file: Path
    info: dict[str, str]
    clock: FakeClock

    def retry(self, **overrides: Any) -> Any:
        from cii_sheets.google_client import Retry

        settings: dict[str, Any] = {
            "sleep": self.clock.sleep,
            "clock": self.clock,
            "jitter": lambda: 1.0,
        }
        settings.update(overrides)
        return Retry(**settings)

    def source(self, key_or_url: str | None = None, **retry: Any) -> Any:
        from cii_sheets.sources.google import GoogleSource

        return GoogleSource(key_or_url or self.fake.key, self.key_file, retry=self.retry(**retry))


@contextlib.contextmanager
def fake_world(
    tmp_path: Path, tabs: dict[str, list[list[object]]] | None = None
) -> Iterator[World]:
    """``responses`` active with the fake installed; ``tabs`` added in order."""
    key = session_private_key()
    info = service_account_info(key)
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info), encoding="utf-8")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeSheets(public_key=key.public_key(), client_email=info["client_email"])
        fake.install(mock)
        for title, rows in (tabs or {}).items():
            fake.add_tab(title, rows)
        yield World(fake, key_file, info, FakeClock())


# --- several spreadsheets behind one fake API ------------------------------------------------


def install_several(mock: responses.RequestsMock, fakes: list[FakeSheets]) -> None:
    """Several spreadsheets behind one fake API: each request goes to the spreadsheet its key
    names (an unknown key gets the first's 404), and one sign-in serves them all, as at Google."""
    first = fakes[0]
    for fake in fakes[1:]:
        fake.tokens = first.tokens
    by_key = {fake.key: fake for fake in fakes}

    def route(request: requests.PreparedRequest) -> Any:
        path = urllib.parse.unquote(urllib.parse.urlsplit(str(request.url)).path)
        key = re.split(r"[/:]", path[len("/v4/spreadsheets/") :], maxsplit=1)[0]
        return by_key.get(key, first)._sheets(request)

    mock.add_callback(responses.POST, TOKEN_URI, callback=first._token)
    pattern = re.compile(re.escape(API) + r"/.*")
    for method in (responses.GET, responses.POST, responses.PUT):
        mock.add_callback(method, pattern, callback=route)


@dataclass
class Worlds:
    """The fake API with several spreadsheets, one key file for them all, and a fake clock."""

    fakes: list[FakeSheets]
    key_file: Path
    clock: FakeClock

    def source(self, keys: list[str] | None = None) -> Any:
        """The spreadsheets read together, through one client, as the configuration makes them."""
        from cii_sheets.google_client import Retry, SheetsClient
        from cii_sheets.sources.google import GoogleSource
        from cii_sheets.sources.several import SeveralSources

        retry = Retry(sleep=self.clock.sleep, clock=self.clock, jitter=lambda: 1.0)
        client = SheetsClient(self.key_file, retry)
        return SeveralSources(
            [GoogleSource(k, client=client) for k in keys or [f.key for f in self.fakes]]
        )

    def requests(self) -> dict[str, list[str]]:
        """Each spreadsheet's Sheets API requests by kind, in order; sign-ins left out."""
        return {f.key: [r.kind for r in f.log if r.kind != "token"] for f in self.fakes}


@contextlib.contextmanager
def fake_worlds(
    tmp_path: Path, spreadsheets: dict[str, dict[str, list[list[object]]]]
) -> Iterator[Worlds]:
    """``responses`` active with one fake spreadsheet per key, each with its tabs in order."""
    key = session_private_key()
    info = service_account_info(key)
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info), encoding="utf-8")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fakes = []
        for sheet_key, tabs in spreadsheets.items():
            fake = FakeSheets(
                sheet_key, public_key=key.public_key(), client_email=info["client_email"]
            )
            for n, (title, rows) in enumerate(tabs.items()):
                # Tab ids differ between spreadsheets, so a link to the wrong one would show.
                fake.add_tab(title, rows, sheet_id=len(fakes) * 100 + n + 1)
            fakes.append(fake)
        install_several(mock, fakes)
        yield Worlds(fakes, key_file, FakeClock())
