"""Who may see the dashboard once signed in: the allow-list, and what a sign-in must prove.

A sign-in is let in only on positive evidence from the provider that issued its ID token, told
by the token's `iss` claim (never by which button was pressed):

- Google (`iss` https://accounts.google.com): `email_verified` is exactly true and `email` is on
  the list.
- Microsoft Entra ID (`iss` https://login.microsoftonline.com/{tid}/v2.0): the tenant `tid` is
  one of `allowed_tenants` and `preferred_username` is on the list. Entra tokens carry no
  `email_verified`, and any tenant's admin can set its users' `email` to anything; a listed
  tenant is trusted to say who its accounts are.
- Any other issuer, or a claim missing or of the wrong type: refused.

Addresses are compared exactly: ASCII letters lower-cased and nothing else (no `casefold`, which
turns the Kelvin sign into `k` and the long s into `s`), exactly one `@`, no spaces or control
characters, and internationalised domains in their IDNA 2008 (`xn--`) form. A domain entry matches
that domain and its sub-domains only.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import idna

GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
MICROSOFT_ISSUER = re.compile(r"https://login\.microsoftonline\.com/([0-9a-f-]+)/v2\.0")
TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def ascii_lower(text: str) -> str:
    """`text` with A-Z lower-cased and every other character left as it is."""
    return text.translate(_ASCII_LOWER)


def _visible(text: str) -> bool:
    """No spaces, control, format (zero-width, direction) or unassigned characters."""
    return all(unicodedata.category(ch)[0] not in "CZ" for ch in text)


def normal_domain(text: object) -> str | None:
    """A domain in the form compared (lower-case ASCII, `xn--` labels), or None if not one."""
    if not isinstance(text, str) or not text or not _visible(text):
        return None
    try:
        # uts46=False: no Unicode mapping, which would fold look-alikes into ASCII letters.
        encoded = idna.encode(ascii_lower(text), uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = encoded.split(".")
    if len(labels) < 2 or labels[-1].isdigit():  # one label, or an IP address
        return None
    return ascii_lower(encoded)


def normal_address(text: object) -> str | None:
    """An email address in the form compared, or None when it is not exactly one address."""
    if not isinstance(text, str) or text.count("@") != 1 or not _visible(text):
        return None
    local, domain = text.split("@")
    normal = normal_domain(domain)
    if not local or normal is None:
        return None
    return f"{ascii_lower(local)}@{normal}"


def on_list(address: object, emails: Iterable[str], domains: Iterable[str]) -> bool:
    """Whether an address is one of `emails` or in one of `domains` (both in normal form)."""
    normal = normal_address(address)
    if normal is None:
        return False
    domain = normal.rsplit("@", 1)[1]
    return normal in set(emails) or any(
        domain == entry or domain.endswith(f".{entry}") for entry in domains
    )


def issuer(claims: Mapping[str, Any]) -> str | None:
    """ "google" or "microsoft" by the token's `iss` claim; None for any other issuer."""
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return None
    if iss in GOOGLE_ISSUERS:
        return "google"
    if MICROSOFT_ISSUER.fullmatch(iss):
        return "microsoft"
    return None


def address(claims: Mapping[str, Any]) -> str:
    """The address a sign-in is judged by (Microsoft: `preferred_username`), for display."""
    name = "preferred_username" if issuer(claims) == "microsoft" else "email"
    value = claims.get(name) or claims.get("email")
    return value if isinstance(value, str) else ""


def admits(
    claims: Mapping[str, Any],
    emails: Iterable[str],
    domains: Iterable[str],
    tenants: Iterable[str],
) -> bool:
    """Whether a signed-in person's ID token claims put them on the allow-list."""
    provider = issuer(claims)
    if provider == "google":
        verified = claims.get("email_verified") is True  # JSON true; not "true", 1 or missing
        return verified and on_list(claims.get("email"), emails, domains)
    if provider == "microsoft":
        named = MICROSOFT_ISSUER.fullmatch(str(claims["iss"]))
        tid = claims.get("tid")
        return (
            named is not None
            and tid == named[1]  # the tenant the issuer names, not only a claim beside it
            and tid in set(tenants)
            and on_list(claims.get("preferred_username"), emails, domains)
        )
    return False
