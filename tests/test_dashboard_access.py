"""Who may see the dashboard: AppTest with `at.user`, the login secrets and the allow-list."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit.config
from streamlit.testing.v1 import AppTest

from cii_sheets import sync
from cii_sheets.sample import write_sample
from cii_sheets.sources.workbook import WorkbookSource

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "app.py")
# Where `streamlit run` listens when started from the repository root, as shipped.
SHIPPED_ADDRESS = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"][
    "address"
]
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
def run(
    store: str, monkeypatch: pytest.MonkeyPatch, listen_on: Callable[[str | None], None]
) -> Callable[..., AppTest]:
    monkeypatch.setenv("CII_STORE", store)
    for name in ("CII_WORKBOOK", "CII_SPREADSHEET", "CII_ALLOW_OPEN_ACCESS", "CII_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CII_ALLOWED_DOMAINS", "trustforlondon.org.uk")
    monkeypatch.setenv("CII_ALLOWED_EMAILS", "chair@example.org")

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


def test_an_allowed_user_sees_the_figures_and_can_sign_out(run: Callable[..., AppTest]) -> None:
    for email in ("someone@trustforlondon.org.uk", "Chair@Example.org"):
        at = run({"is_logged_in": True, "email": email}, AUTH)
        assert not at.exception
        assert len(at.metric) >= 4, email
        assert any(b.label == "Sign out" for b in at.button)
        assert "Open access" not in _text(at)


def test_a_user_outside_the_list_is_refused_politely_and_sees_no_figures(
    run: Callable[..., AppTest],
) -> None:
    at = run({"is_logged_in": True, "email": "stranger@gmail.com"}, AUTH)
    assert not at.exception
    assert len(at.metric) == 0 and len(at.dataframe) == 0
    text = _text(at)
    assert "stranger@gmail.com" in text and "not on the list" in text
    assert "£" not in text
    assert [b.label for b in at.button] == ["Sign out"]


def test_a_signed_out_viewer_is_asked_to_sign_in(run: Callable[..., AppTest]) -> None:
    at = run({"is_logged_in": False}, AUTH)
    assert not at.exception
    assert len(at.metric) == 0
    assert [b.label for b in at.button] == ["Sign in with Google"]


def test_without_a_login_every_page_says_it_is_open(run: Callable[..., AppTest]) -> None:
    at = run()
    assert not at.exception
    assert "Open access: no login is set up" in _text(at)
    assert len(at.metric) >= 4
    at.switch_page("views/timeline.py").run()
    assert "Open access: no login is set up" in _text(at)


def test_without_a_login_it_shows_nothing_beyond_this_computer(
    run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = run(url="https://cii.example.org/")
    assert not at.exception
    assert len(at.metric) == 0
    assert "only on the computer it runs on" in _text(at)

    monkeypatch.setenv("CII_ALLOW_OPEN_ACCESS", "true")
    at = run(url="https://cii.example.org/")
    assert len(at.metric) >= 4
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
    """A local-looking URL or Host header proves nothing: the viewer chooses them."""
    listen_on(address)
    for url in (None, "http://localhost:8501/", "http://127.0.0.1:8501/"):
        at = run(url=url)
        assert not at.exception
        assert len(at.metric) == 0 and len(at.dataframe) == 0, url
        assert "only on the computer it runs on" in _text(at)

    monkeypatch.setenv("CII_ALLOW_OPEN_ACCESS", "true")  # the admin's explicit choice
    at = run()
    assert len(at.metric) >= 4
    assert "Open access" in _text(at)


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_without_a_login_a_loopback_server_shows_the_figures_locally(
    run: Callable[..., AppTest], listen_on: Callable[[str | None], None], address: str
) -> None:
    listen_on(address)
    at = run(url="http://localhost:8501/")
    assert not at.exception
    assert len(at.metric) >= 4


def test_an_allowed_address_the_provider_has_not_verified_is_refused(
    run: Callable[..., AppTest],
) -> None:
    for email in ("someone@trustforlondon.org.uk", "chair@example.org"):
        at = run({"is_logged_in": True, "email": email, "email_verified": False}, AUTH)
        assert not at.exception
        assert len(at.metric) == 0 and len(at.dataframe) == 0
        text = _text(at)
        assert "not on the list" in text and "£" not in text
        assert [b.label for b in at.button] == ["Sign out"]
    # Verified, or not said at all (some providers leave the claim out): let in.
    for verified in ({"email_verified": True}, {}):
        user = {"is_logged_in": True, "email": "someone@trustforlondon.org.uk", **verified}
        assert len(run(user, AUTH).metric) >= 4
