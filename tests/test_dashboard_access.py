"""Who may see the dashboard: the login gate with AppTest's `at.user`, and the open-access gate
both as a matrix of Host and Origin headers and against a live `streamlit run` server spoken to
by a websocket client as an attacker would (DNS rebinding, a TCP forwarder)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import streamlit.config
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from cii_sheets import sync
from cii_sheets.sample import write_sample
from cii_sheets.sources.workbook import WorkbookSource
from dashboard import access

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
# Where `streamlit run` listens when started from the repository root, as shipped.
SHIPPED_ADDRESS = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"][
    "address"
]
PORT = 8501  # Streamlit's default server.port, which AppTest keeps
LOCAL = {"host": [f"localhost:{PORT}"], "origin": [f"http://localhost:{PORT}"]}
NOT_LOCAL = "Open access is local only"
SECONDEE = "Priya Placeholder"  # a name in the sample workbook's Secondments tab
TENANT = "6f1b0c2e-5a4d-4e8f-9b3a-0c1d2e3f4a5b"  # made up
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-only-cookie-secret",
        "google": {
            "client_id": "test-client",
            "client_secret": "test-secret",
            "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
        },
    }
}


def shows_figures(at: AppTest) -> bool:
    """The Overview's headline figures (or any page's metrics) are on the page."""
    cards = any('class="cii-card"' in str(e.proto.body) for e in at.get("html"))
    return cards or len(at.metric) >= 4


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("access")
    write_sample(folder / "sample.xlsx")
    url = f"sqlite:///{folder / 'cii.sqlite'}"
    assert sync.run(WorkbookSource(folder / "sample.xlsx"), url).run_id == 1
    return url


@pytest.fixture
def listen_on() -> Iterator[Callable[[str | None], None]]:
    """Set Streamlit's server.address for one test (AppTest reads the process's config)."""
    key = "server.address"
    before, where = streamlit.config.get_option(key), streamlit.config.get_where_defined(key)

    def set_address(address: str | None) -> None:
        streamlit.config.set_option(key, address)

    set_address(SHIPPED_ADDRESS)  # as `streamlit run` from the repository root, whatever the cwd
    yield set_address
    streamlit.config.set_option(key, before, where_defined=where)


@pytest.fixture
def headers(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, list[str]]], None]:
    """Set the Host and Origin headers the gate sees (AppTest's session has no connection)."""

    def set_headers(values: dict[str, list[str]]) -> None:
        monkeypatch.setattr(access, "connection_headers", lambda: values)

    return set_headers


@pytest.fixture
def run(
    store: str,
    monkeypatch: pytest.MonkeyPatch,
    listen_on: Callable[[str | None], None],
    headers: Callable[[dict[str, list[str]]], None],
) -> Callable[..., AppTest]:
    monkeypatch.setenv("CII_STORE", store)
    for name in ("CII_WORKBOOK", "CII_SPREADSHEET", "CII_ALLOW_OPEN_ACCESS", "CII_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CII_ALLOWED_DOMAINS", "trustforlondon.org.uk")
    monkeypatch.setenv("CII_ALLOWED_EMAILS", "chair@example.org")
    monkeypatch.setenv("CII_ALLOWED_TENANTS", TENANT)
    headers(LOCAL)  # a browser on this computer, unless a test says otherwise

    def start(
        user: dict | None = None, secrets: dict | None = None, url: str | None = None
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets.update(secrets or {})
        if user is not None:
            at.user = user
        if url:
            at.context["url"] = url
        return at.run()

    return start


def _text(at: AppTest) -> str:
    """The page's text as shown (`ui.plain`'s backslash escapes removed)."""
    parts = [
        e.value
        for kind in ("markdown", "info", "warning", "error", "caption", "title")
        for e in getattr(at, kind)
    ]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def google(email: str, **claims: object) -> dict:
    """A signed-in Google user as `st.user` holds them: the ID token's claims."""
    return {
        "is_logged_in": True,
        "iss": "https://accounts.google.com",
        "email": email,
        "email_verified": True,
        **claims,
    }


# --- With a login -----------------------------------------------------------------------------


def test_an_allowed_user_sees_the_figures_and_can_sign_out(run: Callable[..., AppTest]) -> None:
    microsoft = {
        "is_logged_in": True,
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "tid": TENANT,
        "preferred_username": "someone@trustforlondon.org.uk",
    }
    for user in (google("someone@trustforlondon.org.uk"), google("Chair@Example.org"), microsoft):
        at = run(user, AUTH)
        assert not at.exception
        assert shows_figures(at), user
        assert any(b.label == "Sign out" for b in at.button)
        assert "Open access" not in _text(at)


def test_a_user_outside_the_list_is_refused_politely_and_sees_no_figures(
    run: Callable[..., AppTest],
) -> None:
    at = run(google("stranger@gmail.com"), AUTH)
    assert not at.exception
    assert not shows_figures(at) and len(at.dataframe) == 0
    text = _text(at)
    assert "stranger@gmail.com" in text and "not on the list" in text
    assert "£" not in text
    assert [b.label for b in at.button] == ["Sign out"]


def test_a_signed_out_viewer_is_asked_to_sign_in(run: Callable[..., AppTest]) -> None:
    at = run({"is_logged_in": False}, AUTH)
    assert not at.exception
    assert not shows_figures(at)
    assert [b.label for b in at.button] == ["Sign in with Google"]


@pytest.mark.parametrize(
    "user",
    [
        google("someone@trustforlondon.org.uk", email_verified=False),
        google("chair@example.org", email_verified="true"),
        {k: v for k, v in google("chair@example.org").items() if k != "email_verified"},
        google("someone@evil-trustforlondon.org.uk"),
        google("\u212a@trustforlondon.org.uk.evil.com"),
        {  # Microsoft: any tenant's admin can set a user's email; an unlisted tenant is refused
            "is_logged_in": True,
            "iss": "https://login.microsoftonline.com/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/v2.0",
            "tid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "preferred_username": "chair@example.org",
            "email": "chair@example.org",
        },
    ],
    ids=["unverified", "verified-as-text", "no-verified-claim", "look-alike", "two-at", "tenant"],
)
def test_a_sign_in_without_positive_evidence_is_refused(
    run: Callable[..., AppTest], user: dict
) -> None:
    at = run(user, AUTH)
    assert not at.exception
    assert not shows_figures(at) and len(at.dataframe) == 0
    text = _text(at)
    assert "not on the list" in text and "£" not in text
    assert [b.label for b in at.button] == ["Sign out"]


# --- Without a login: AppTest ---------------------------------------------------------------


def test_without_a_login_every_page_says_it_is_open(run: Callable[..., AppTest]) -> None:
    at = run()
    assert not at.exception
    assert "Open access: no login is set up" in _text(at)
    assert shows_figures(at)
    at.switch_page("views/timeline.py").run()
    assert "Open access: no login is set up" in _text(at)


def test_without_a_login_a_local_looking_url_opens_nothing(
    run: Callable[..., AppTest],
    headers: Callable[[dict[str, list[str]]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The URL is the page's to report; the Host and Origin the server saw decide."""
    headers({"host": [f"evil.test:{PORT}"], "origin": [f"http://evil.test:{PORT}"]})
    at = run(url=f"http://localhost:{PORT}/")
    assert not at.exception
    assert not shows_figures(at) and len(at.dataframe) == 0
    assert NOT_LOCAL in _text(at) and f"http://localhost:{PORT}/" in _text(at)

    monkeypatch.setenv("CII_ALLOW_OPEN_ACCESS", "true")  # the admin's explicit choice
    at = run(url="https://cii.example.org/")
    assert shows_figures(at)
    assert "Open access" in _text(at)


def test_the_shipped_config_listens_on_this_computer_only() -> None:
    assert SHIPPED_ADDRESS == "127.0.0.1"


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "", None, "192.168.1.20"])
def test_without_a_login_a_server_listening_beyond_this_computer_shows_nothing(
    run: Callable[..., AppTest],
    listen_on: Callable[[str | None], None],
    monkeypatch: pytest.MonkeyPatch,
    address: str | None,
) -> None:
    """Local Host and Origin headers prove nothing when anyone can connect."""
    listen_on(address)
    at = run(url=f"http://localhost:{PORT}/")
    assert not at.exception
    assert not shows_figures(at) and len(at.dataframe) == 0
    assert NOT_LOCAL in _text(at)

    monkeypatch.setenv("CII_ALLOW_OPEN_ACCESS", "true")
    at = run()
    assert shows_figures(at)
    assert "Open access" in _text(at)


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_without_a_login_a_loopback_server_shows_the_figures_locally(
    run: Callable[..., AppTest], listen_on: Callable[[str | None], None], address: str
) -> None:
    listen_on(address)
    at = run()
    assert not at.exception
    assert shows_figures(at)


# --- Without a login: the Host and Origin matrix ---------------------------------------------


def _local(host: str | None, origin: str | None, address: str = "127.0.0.1", port: int = PORT):
    hosts = [] if host is None else [host]
    origins = [] if origin is None else [origin]
    return access.local_viewer(address, port, hosts, origins)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("localhost:8501", "http://localhost:8501"),
        ("127.0.0.1:8501", "http://127.0.0.1:8501"),
        ("[::1]:8501", "http://[::1]:8501"),
        ("127.1.2.3:8501", "http://127.1.2.3:8501"),  # all of 127.0.0.0/8 is loopback
        ("LOCALHOST:8501", "http://LocalHost:8501"),
        ("localhost:8501", "http://127.0.0.1:8501"),  # a page on another local name
        ("localhost:8501", "https://localhost:8501"),  # served with TLS
    ],
)
def test_loopback_host_and_origin_at_the_servers_port_is_local(host: str, origin: str) -> None:
    assert _local(host, origin)


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("evil.test:8501", "http://evil.test:8501"),  # DNS rebinding, or a TCP forwarder
        ("localhost:8501", "http://evil.test:8501"),  # another site's page
        ("evil.test:8501", "http://localhost:8501"),
        ("192.168.1.20:8501", "http://192.168.1.20:8501"),  # the machine's network address
        ("0.0.0.0:8501", "http://0.0.0.0:8501"),
        ("localhost:8502", "http://localhost:8502"),  # another local server's page
        ("localhost:8501", "http://localhost:8502"),
        ("localhost:8502", "http://localhost:8501"),
        ("localhost", "http://localhost"),  # port 80, not the server's
        ("localhost:8501", None),  # no Origin: not a browser
        (None, "http://localhost:8501"),
        (None, None),
        ("localhost:8501", "null"),  # a sandboxed page or a file
        ("localhost:8501", "file://"),
        ("localhost:8501", "http://localhost:8501/"),  # not what a browser sends
        ("localhost.:8501", "http://localhost.:8501"),
        ("localhost.evil.test:8501", "http://localhost.evil.test:8501"),
        ("127.0.0.1.nip.io:8501", "http://127.0.0.1.nip.io:8501"),
        ("[::ffff:127.0.0.1]:8501", "http://[::ffff:127.0.0.1]:8501"),
        ("evil.test@localhost:8501", "http://localhost:8501"),
        ("localhost:8501/x", "http://localhost:8501"),
        ("localhost:notaport", "http://localhost:8501"),
        ("localhost:99999", "http://localhost:8501"),
        ("localhost:0", "http://localhost:0"),
        ("", ""),
    ],
)
def test_anything_else_is_not_local(host: str | None, origin: str | None) -> None:
    assert not _local(host, origin)


def test_the_server_address_and_port_and_each_header_once_are_required() -> None:
    both = ("localhost:8501", "http://localhost:8501")
    assert not _local(*both, address="0.0.0.0")
    assert not _local(*both, address="")
    assert not _local(*both, address="192.168.1.20")
    assert _local(*both, address="localhost") and _local(*both, address="::1")
    assert not _local(*both, port=8502)
    assert _local("localhost", "http://localhost", port=80)
    assert not _local("localhost:0", "http://localhost:0", port=80)
    assert _local("localhost", "https://localhost", port=443)
    assert not access.local_viewer(
        "127.0.0.1", PORT, ["localhost:8501", "evil.test:8501"], ["http://localhost:8501"]
    )
    assert not access.local_viewer(
        "127.0.0.1", PORT, ["localhost:8501"], ["http://localhost:8501", "http://evil.test:8501"]
    )


# --- Without a login: a live server and a websocket client ------------------------------------


@dataclass
class Visit:
    """What a websocket client received for one run of one page."""

    kinds: list[str] = field(default_factory=list)  # element types, in order
    texts: list[str] = field(default_factory=list)
    raw: bytes = b""  # every message as sent, tables and chart data included
    accepted: bool = True  # False when Streamlit itself refused the connection

    def text(self) -> str:
        return re.sub(r"\\(.)", r"\1", "\n".join(self.texts))


@pytest.fixture(scope="module")
def live(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`streamlit run dashboard/app.py` without a login, on 127.0.0.1 and a free port.

    Run from an empty folder with its own HOME, so no secrets.toml or cii_sheets.toml applies.
    """
    folder = tmp_path_factory.mktemp("live")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CII_")}
    env.update(CII_STORE=store, HOME=str(folder))
    command = [sys.executable, "-m", "streamlit", "run", APP, "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = folder / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def visit(port: int, host: str, origin: str | None, page: str = "", url: str = "") -> Visit:
    """Run one page over Streamlit's websocket as a browser page would, with these headers.

    The TCP connection goes to 127.0.0.1 whatever `host` says, as it does after DNS rebinding
    or through a forwarder; `url` is what the page claims its address is.
    """
    seen = Visit()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        with connect(
            f"ws://{host}/_stcore/stream",
            sock=sock,
            origin=Origin(origin) if origin else None,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            open_timeout=30,
        ) as ws:
            message = BackMsg()
            message.rerun_script.page_name = page
            message.rerun_script.context_info.url = url or f"http://localhost:{port}/{page}"
            ws.send(message.SerializeToString())
            while True:
                data = ws.recv(timeout=60)
                assert isinstance(data, bytes)
                seen.raw += data
                forward = ForwardMsg()
                forward.ParseFromString(data)
                if forward.WhichOneof("type") == "script_finished":
                    return seen
                if forward.WhichOneof("type") == "delta" and forward.delta.HasField("new_element"):
                    element = forward.delta.new_element
                    kind = str(element.WhichOneof("type"))
                    seen.kinds.append(kind)
                    for name in ("body", "label", "value"):
                        value = getattr(getattr(element, kind), name, None)
                        if isinstance(value, str):
                            seen.texts.append(value)
    except InvalidStatus:
        seen.accepted = False
        return seen
    finally:
        sock.close()


@pytest.mark.parametrize("page", ["", "timeline"])
@pytest.mark.parametrize("name", ["localhost", "127.0.0.1"])
def test_live_a_browser_on_this_computer_sees_the_figures(live: int, name: str, page: str) -> None:
    seen = visit(live, f"{name}:{live}", f"http://{name}:{live}", page)
    assert "metric" in seen.kinds or b'class="cii-card"' in seen.raw  # Overview's figures
    assert "Open access: no login is set up" in seen.text()
    if page == "timeline":  # the client reads what the attack below must not
        assert SECONDEE.encode() in seen.raw


@pytest.mark.parametrize("page", ["", "timeline"])
@pytest.mark.parametrize(
    ("host", "origin", "by_streamlit"),
    [
        ("evil.test:{port}", "http://evil.test:{port}", False),  # DNS rebinding, a forwarder
        ("192.0.2.10:{port}", "http://192.0.2.10:{port}", False),  # an address of the machine
        ("localhost:{port}", None, False),  # no Origin: not a browser
        ("localhost:{port}", "http://evil.test:{port}", True),  # another site's page
    ],
    ids=["rebinding", "machine-ip", "no-origin", "cross-site"],
)
def test_live_any_other_connection_sees_only_the_notice(
    live: int, host: str, origin: str | None, by_streamlit: bool, page: str
) -> None:
    """The attack as found: a local-looking URL reported over a connection from elsewhere.

    Streamlit itself refuses a connection whose Origin differs from its Host (`by_streamlit`);
    one whose Origin matches its Host, as after DNS rebinding, reaches the gate.
    """
    seen = visit(
        live,
        host.format(port=live),
        origin.format(port=live) if origin else None,
        page,
        url=f"http://localhost:{live}/{page}",
    )
    assert seen.accepted is not by_streamlit
    assert "metric" not in seen.kinds and "dataframe" not in seen.kinds
    assert b'class="cii-card"' not in seen.raw
    assert SECONDEE.encode() not in seen.raw and "£".encode() not in seen.raw
    if seen.accepted:
        assert NOT_LOCAL in seen.text()
