"""Configuration: precedence, masked secrets, and one-line errors for unknown keys and types."""

from __future__ import annotations

from pathlib import Path

import pytest

from cii_sheets import config
from cii_sheets.problems import CiiSheetsError

FILE = """
workbook = "from-file.xlsx"
store = "postgresql+psycopg://cii:s3cret@db.example.org/cii"
notify = ["slack://TokenA/TokenB/TokenC", "json://hooks.example.org/x?token=abc"]
timezone = "Europe/London"
allowed_domains = ["trustforlondon.org.uk"]
"""


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "cii_sheets.toml"
    path.write_text(FILE)
    return path


def test_flag_beats_environment_beats_file_beats_default(toml: Path) -> None:
    env = {"CII_WORKBOOK": "from-env.xlsx", "CII_STORE": "sqlite:///env.sqlite"}
    loaded = config.load(toml, flags={"workbook": "from-flag.xlsx"}, environ=env)

    assert loaded.workbook == ("from-flag.xlsx",)
    assert loaded.origins["workbook"] == "flag"
    assert loaded.store == "sqlite:///env.sqlite"
    assert loaded.origins["store"] == "environment CII_STORE"
    assert loaded.timezone == "Europe/London"
    assert loaded.origins["timezone"] == f"file {toml}"
    assert loaded.notify_always is False
    assert "notify_always" not in loaded.origins  # the default


def test_environment_lists_and_booleans() -> None:
    env = {
        "CII_NOTIFY": "json://a/ mailto://b@c.org",
        "CII_NOTIFY_ALWAYS": "yes",
        "CII_ALLOWED_EMAILS": "a@x.org, b@y.org",
        "GOOGLE_APPLICATION_CREDENTIALS": "/keys/sa.json",
    }
    loaded = config.load(environ=env)
    assert loaded.notify == ("json://a/", "mailto://b@c.org")
    assert loaded.notify_always is True
    assert loaded.allowed_emails == ("a@x.org", "b@y.org")
    assert loaded.credentials == "/keys/sa.json"
    assert loaded.origins["credentials"] == "environment GOOGLE_APPLICATION_CREDENTIALS"


def test_secrets_are_masked(toml: Path) -> None:
    text = config.describe(config.load(toml, environ={}))
    assert "s3cret" not in text and "TokenA" not in text and "token=abc" not in text
    assert "postgresql+psycopg://cii:***@db.example.org/cii" in text
    assert "slack://***, json://***" in text
    assert f"[file {toml}]" in text


def test_unknown_key_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "cii_sheets.toml"
    path.write_text('workbok = "x.xlsx"\n')
    with pytest.raises(CiiSheetsError, match="unknown setting 'workbok'") as error:
        config.load(path, environ={})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("notify = 'json://a'\nnotify_always = 'yes'\n", "'notify_always' must be true or false"),
        ("allowed_emails = [1, 2]\n", "'allowed_emails' must be a list of text"),
        ("store = 5\n", "'store' must be text"),
        ("store = \n", "is not valid TOML"),
    ],
)
def test_wrong_types_are_one_line_errors(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "cii_sheets.toml"
    path.write_text(text)
    with pytest.raises(CiiSheetsError, match=says):
        config.load(path, environ={})


def test_a_missing_config_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CiiSheetsError, match="No configuration file"):
        config.load(environ={"CII_CONFIG": str(tmp_path / "nope.toml")})


def test_allow_list_by_email_or_domain() -> None:
    loaded = config.load(
        flags={
            "allowed_emails": ["Chair@Example.org"],
            "allowed_domains": ["trustforlondon.org.uk"],
        },
        environ={},
    )
    google = {"iss": "https://accounts.google.com", "email_verified": True}
    assert loaded.may_see({**google, "email": "chair@example.org"})
    assert loaded.may_see({**google, "email": "someone@trustforlondon.org.uk"})
    assert not loaded.may_see({**google, "email": "someone@gmail.com"})
    assert not loaded.may_see({**google, "email": None})


def test_allow_list_entries_are_kept_in_the_form_compared() -> None:
    tenant = "6F1B0C2E-5A4D-4E8F-9B3A-0C1D2E3F4A5B"
    loaded = config.load(
        environ={
            "CII_ALLOWED_EMAILS": "Chair@Example.ORG",
            "CII_ALLOWED_DOMAINS": "@TrustForLondon.org.uk, münchen.de",
            "CII_ALLOWED_TENANTS": tenant,
        }
    )
    assert loaded.allowed_emails == ("chair@example.org",)
    assert loaded.allowed_domains == ("trustforlondon.org.uk", "xn--mnchen-3ya.de")
    assert loaded.allowed_tenants == (tenant.lower(),)
    assert loaded.origins["allowed_tenants"] == "environment CII_ALLOWED_TENANTS"


@pytest.mark.parametrize(
    ("name", "entry", "says"),
    [
        ("allowed_emails", "a@b@example.org", "is not an email address"),
        ("allowed_emails", "trustforlondon.org.uk", "is not an email address"),
        ("allowed_domains", "org", "is not an email domain"),
        ("allowed_domains", "evil .org", "is not an email domain"),
        ("allowed_domains", "\u212aent.org.uk", "is not an email domain"),
        ("allowed_tenants", "trustforlondon.onmicrosoft.com", "is not a Microsoft tenant id"),
    ],
)
def test_a_malformed_allow_list_entry_is_a_one_line_error(
    tmp_path: Path, name: str, entry: str, says: str
) -> None:
    path = tmp_path / "cii_sheets.toml"
    path.write_text(f'{name} = ["{entry}"]\n', encoding="utf-8")
    with pytest.raises(CiiSheetsError, match=says) as raised:
        config.load(path, environ={})
    assert str(raised.value).startswith(f"file {path}: '")
    assert "\n" not in str(raised.value)


def test_the_documented_example_file_loads() -> None:
    example = Path(__file__).parent.parent / "cii_sheets.example.toml"
    loaded = config.load(example, environ={})
    assert loaded.spreadsheet and loaded.spreadsheet[0].startswith("https://docs.google.com/")
    assert loaded.allowed_domains == ("trustforlondon.org.uk",)
