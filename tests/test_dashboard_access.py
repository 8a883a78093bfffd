"""Who may see the dashboard: AppTest with `at.user`, the login secrets and the allow-list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cii_sheets import sync
from cii_sheets.sample import write_sample
from cii_sheets.sources.workbook import WorkbookSource

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
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
def run(store: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
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
    parts = [
        e.value
        for kind in ("markdown", "info", "warning", "error", "caption", "title")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


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
