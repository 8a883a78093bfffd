"""The one Google Sheets client: sign-in, bounded retries, and the count of requests made.

The reader (``sources.google``), the Sync report writer (``writeback``) and ``init-sheet``
(``sheet_setup``) all call Google through ``SheetsClient``; nothing else imports gspread.

gspread provides the authorised HTTP client (google-auth underneath); the retries are ours:
gspread 6.2.1's ``BackOffHTTPClient`` retries forever and ignores Retry-After. Ours retry 429,
5xx, timeouts and dropped connections a few times with exponential backoff and full jitter,
wait at least what Retry-After asks, and give up within about two minutes, with a one-line
reason that says what to do. One client serves every spreadsheet of a run, so the service
account signs in once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import gc
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.auth.exceptions
import gspread
import requests
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL, SPREADSHEET_URL

from cii_sheets.problems import CiiSheetsError

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
CREDENTIAL_VARIABLES = ("CII_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS")
SHEET_URL = "https://docs.google.com/spreadsheets/d/{key}/edit"

_CHECK_NETWORK = "Check the internet connection (and any proxy), then run again"
_TRY_LATER = "Google is having trouble: try again later (the next nightly run will)"
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{10,}$")
_URL_KEY_RE = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


# --- credentials --------------------------------------------------------------------------------


def find_credentials(path: str | os.PathLike[str] | None = None) -> Path:
    """The key file to use: ``path``, else CII_CREDENTIALS, else GOOGLE_APPLICATION_CREDENTIALS."""
    if path:
        return Path(path)
    for name in CREDENTIAL_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return Path(value)
    raise CiiSheetsError(
        "No Google service-account key given. Pass --credentials PATH (or set CII_CREDENTIALS) "
        "to the JSON key file downloaded from Google Cloud."
    )


def load_credentials(
    key: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> service_account.Credentials:
    """Service-account credentials from a key file path, or from the key's contents as a dict."""
    if isinstance(key, Mapping):
        info, where = dict(key), "The service-account key given"
    else:
        path = find_credentials(key)
        where = f"{path}"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CiiSheetsError(
                f"No service-account key file at {path}. Check the path given with "
                "--credentials or CII_CREDENTIALS, or download a new JSON key from Google Cloud."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CiiSheetsError(
                f"Could not read the key file {path} ({_reason(exc)}). Check it is the JSON key "
                "downloaded from Google Cloud and that you can read it."
            ) from None
        try:
            info = json.loads(text)
        except ValueError:
            raise CiiSheetsError(
                f"{path} is not a service-account key: it is not JSON. Download the key again "
                "from Google Cloud (Service accounts > Keys > Add key > JSON)."
            ) from None
        if not isinstance(info, dict):
            raise CiiSheetsError(
                f"{path} is not a service-account key. Download the key again from Google Cloud "
                "(Service accounts > Keys > Add key > JSON)."
            )
    if info.get("type", "service_account") != "service_account":
        raise CiiSheetsError(
            f"{where} is a '{_oneline(str(info.get('type')))}' key, not a service-account key. "
            "Create a service account in Google Cloud and download its JSON key."
        )
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if missing:
        raise CiiSheetsError(
            f"{where} is not a complete service-account key (no {', '.join(missing)}). Download "
            "the key again from Google Cloud (Service accounts > Keys > Add key > JSON)."
        )
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise CiiSheetsError(
            f"{where} has a private key that cannot be used ({_reason(exc)}). Download a new "
            "JSON key from Google Cloud."
        ) from None


def spreadsheet_key(key_or_url: str) -> str:
    """The spreadsheet's key from a full sheet URL or the key itself."""
    text = key_or_url.strip()
    found = _URL_KEY_RE.search(text)
    if found:
        return found.group(1)
    if _KEY_RE.fullmatch(text):
        return text
    raise CiiSheetsError(
        f"'{_oneline(text, 80)}' is not a Google Sheets address or key. Copy the spreadsheet's "
        "address from the browser (https://docs.google.com/spreadsheets/d/KEY/edit) or its KEY."
    )


# --- retries ------------------------------------------------------------------------------------


@dataclass
class Retry:
    """How the API calls retry: bounded, exponential with full jitter, honouring Retry-After."""

    tries: int = 5
    base_seconds: float = 2.0
    cap_seconds: float = 32.0
    budget_seconds: float = 120.0  # all waiting and requests of one call, at most
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read: per request
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random  # in [0, 1)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try ``attempt + 2``: full jitter, never less than Retry-After."""
        backoff = self.jitter() * min(self.cap_seconds, self.base_seconds * 2**attempt)
        return max(backoff, retry_after or 0.0)


class _Transient(Exception):
    """A failure worth another try; ``reason`` is what to say if the tries run out."""

    def __init__(self, reason: str, advice: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) in seconds; None when absent or odd."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


# --- the client ---------------------------------------------------------------------------------


class SheetsClient:
    """Authorised calls to Google Sheets with our retries; counts every HTTP attempt.

    One client serves every spreadsheet of a run. The key is loaded on the first call, so a
    missing or bad key is an error of the run (or of each Google source), never of start-up.
    """

    def __init__(
        self,
        credentials: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        retry: Retry | None = None,
    ) -> None:
        self._given = credentials
        self.retry = retry or Retry()
        self.requests_made = 0
        self._credentials: service_account.Credentials | None = None
        self._gspread: gspread.Client | None = None
        self._key = ""  # the spreadsheet of the call under way, for its messages

    @property
    def credentials(self) -> service_account.Credentials:
        if self._credentials is None:
            self._credentials = load_credentials(self._given)
        return self._credentials

    @property
    def email(self) -> str:
        return str(getattr(self._credentials, "service_account_email", "") or "")

    def _http(self) -> gspread.Client:
        if self._gspread is None:
            # gspread's plain HTTPClient (an AuthorizedSession over the credentials), never its
            # BackOffHTTPClient: the retries are ours.
            self._gspread = gspread.Client(self.credentials, http_client=gspread.HTTPClient)
        return self._gspread

    def get(self, key: str, fields: str, include_grid_data: bool = True) -> dict[str, Any]:
        """``spreadsheets.get`` with a fields mask: one request (plus any retries)."""
        params = {"includeGridData": str(include_grid_data).lower(), "fields": fields}
        body = self._call(key, "get", SPREADSHEET_URL % key, params=params, what="read")
        if not isinstance(body, dict):
            raise CiiSheetsError(
                "Google's answer was not a spreadsheet (unexpected JSON). Try again later; if it "
                "keeps happening, report it with the output of `cii-sheets -v`."
            )
        return body

    def batch_update(self, key: str, requests_: list[dict[str, Any]]) -> None:
        """``spreadsheets.batchUpdate``: every change in one request (plus any retries)."""
        self._call(
            key,
            "post",
            SPREADSHEET_BATCH_UPDATE_URL % key,
            json_body={"requests": requests_, "includeSpreadsheetInResponse": False},
            what="write",
            need_body=False,
        )

    def _call(
        self,
        key: str,
        method: str,
        url: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        need_body: bool = True,
    ) -> Any:
        http = self._http()
        self._key = key
        retry = self.retry
        started = retry.clock()
        last: _Transient | None = None
        tries = 0
        while tries < retry.tries:
            if last is not None:
                wait = retry.delay(tries - 1, last.retry_after)
                if retry.clock() - started + wait > retry.budget_seconds:
                    break
                log.info("Google %s failed (%s); trying again in %.1fs", what, last.reason, wait)
                retry.sleep(wait)
            tries += 1
            # No single request may carry the call far past its budget.
            left = max(5.0, retry.budget_seconds - (retry.clock() - started))
            connect, read = retry.timeout
            http.set_timeout((min(connect, left), min(read, left)))
            try:
                return self._once(http, method, url, params, json_body, need_body)
            except _Transient as exc:
                last = exc
        assert last is not None
        spent = retry.clock() - started
        raise self._error(
            f"{last.reason}, after {tries} tr{'y' if tries == 1 else 'ies'} over "
            f"{spent:.0f} seconds. {last.advice}"
        )

    def _once(
        self,
        http: gspread.Client,
        method: str,
        url: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        need_body: bool,
    ) -> Any:
        self.requests_made += 1
        try:
            response = http.http_client.request(method, url, params=params, json=json_body)
        except APIError as exc:
            raise self._api_error(exc) from None
        except requests.Timeout:
            raise _Transient("Google did not answer in time", _CHECK_NETWORK) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(
                f"Could not reach Google ({_network_reason(exc)})", _CHECK_NETWORK
            ) from None
        except google.auth.exceptions.TransportError as exc:
            raise _Transient(
                f"Could not reach Google to sign in ({_network_reason(exc)})", _CHECK_NETWORK
            ) from None
        except google.auth.exceptions.RefreshError as exc:
            raise self._error(
                f"Google refused the service-account key {self.email or ''} "
                f"({_refresh_reason(exc)}). The key may have been deleted or disabled: create a "
                "new JSON key in Google Cloud and use that"
            ) from None
        if not need_body:
            return None
        try:
            return parse_json(response.content)
        except ValueError:
            raise _Transient(
                "Google's answer could not be read (not valid JSON)", _TRY_LATER
            ) from None

    def _api_error(self, exc: APIError) -> Exception:
        response = exc.response
        status = response.status_code
        message = _oneline(str(exc.error.get("message", "")), 160)
        text = json.dumps(exc.error).lower()
        if status == 429 or "rate_limit_exceeded" in text or "ratelimitexceeded" in text:
            return _Transient(
                "Google's Sheets API quota was exceeded (HTTP 429)",
                "Wait a few minutes and run again; if it keeps happening, sync less often",
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status >= 500:
            return _Transient(
                f"Google Sheets had a server error (HTTP {status})",
                _TRY_LATER,
                retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status == 404:
            return self._error(
                f"No spreadsheet with the key {self._key} (HTTP 404). Check the address or key "
                "given with --spreadsheet: copy it from the browser's address bar"
            )
        if status == 403 and ("service_disabled" in text or "has not been used" in text):
            return self._error(
                "The Google Sheets API is not enabled for this key's Google Cloud project "
                f"(HTTP 403: {message}). Enable it (APIs & Services > Enable APIs > Google "
                "Sheets API), wait a few minutes, then run again"
            )
        if status == 403:
            return self._error(
                f"Permission denied (HTTP 403): the spreadsheet {self._key} is not shared with "
                f"the service account {self.email or '(unknown email)'}. Share the spreadsheet "
                "with it as Editor (Share button, paste that email), then run again"
            )
        if status == 401:
            return self._error(
                f"Google did not accept the sign-in of {self.email or 'the service account'} "
                "(HTTP 401). Create a new JSON key in Google Cloud and use that"
            )
        return self._error(f"Google refused the request (HTTP {status}: {message})")

    def _error(self, text: str) -> CiiSheetsError:
        error = CiiSheetsError(_oneline(text.rstrip(".") + ".", 400))
        error.api_requests = self.requests_made  # type: ignore[attr-defined]
        return error


def _reason(exc: BaseException) -> str:
    return _oneline(str(exc) or type(exc).__name__, 120)


def _network_reason(exc: BaseException) -> str:
    text = str(exc)
    for hint in ("Name or service not known", "Temporary failure in name resolution"):
        if hint in text:
            return "no network, or no DNS"
    if "Connection refused" in text:
        return "connection refused"
    if "reset" in text.lower() or "aborted" in text.lower():
        return "the connection dropped"
    return "no network, or the connection dropped"


def _refresh_reason(exc: google.auth.exceptions.RefreshError) -> str:
    data = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(data, dict) and data.get("error"):
        return _oneline(
            f"{data.get('error')}: {data.get('error_description', '')}".rstrip(": "), 120
        )
    return _reason(exc)


def _oneline(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small dicts and lists.

    They hold no cycles, and the collector's passes over them took 80% of the time of parsing a
    100,000-row answer (benchmarks/google_requests.py: about 2.3 s with it, 0.5-0.7 s without).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_json(content: bytes) -> Any:
    """A JSON answer, parsed with the collector paused."""
    with gc_paused():
        return json.loads(content)
