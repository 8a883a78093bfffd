"""The allow-list: which ID token claims let a signed-in person see the dashboard.

Each case is a token as Streamlit hands it to the app (`st.user`: the ID token's claims), judged
against one configuration, loaded the way the dashboard loads it.
"""

from __future__ import annotations

from typing import Any

import pytest

from cii_sheets import allowlist, config

TENANT = "6f1b0c2e-5a4d-4e8f-9b3a-0c1d2e3f4a5b"  # made up
OTHER_TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"  # made up
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"  # personal Microsoft accounts

SETTINGS = config.load(
    flags={
        "allowed_emails": ["Chair@Example.org", "kate@example.org", "sam@example.org"],
        "allowed_domains": ["trustforlondon.org.uk", "@münchen.de"],
        "allowed_tenants": [TENANT.upper()],
    },
    environ={},
)


def google(email: object, **claims: Any) -> dict[str, Any]:
    """A Google ID token's claims: verified unless told otherwise."""
    token = {"iss": "https://accounts.google.com", "email": email, "email_verified": True}
    return {**token, **claims, "is_logged_in": True}


def microsoft(username: object, tid: str = TENANT, **claims: Any) -> dict[str, Any]:
    """A Microsoft Entra ID v2.0 ID token's claims (no `email_verified`, as Entra sends)."""
    token = {
        "iss": f"https://login.microsoftonline.com/{tid}/v2.0",
        "tid": tid,
        "preferred_username": username,
    }
    return {**token, **claims, "is_logged_in": True}


ADMITTED = {
    "a domain on the list": google("someone@trustforlondon.org.uk"),
    "a sub-domain of it": google("someone@x.trustforlondon.org.uk"),
    "a deeper sub-domain": google("someone@a.b.trustforlondon.org.uk"),
    "ASCII capitals in the domain": google("someone@TrustForLondon.ORG.uk"),
    "an address on the list": google("chair@example.org"),
    "ASCII capitals in the address": google("CHAIR@EXAMPLE.ORG"),
    "Google's issuer without https": google("chair@example.org", iss="accounts.google.com"),
    "an internationalised domain": google("anna@münchen.de"),
    "the same domain in IDNA form": google("anna@xn--mnchen-3ya.de"),
    "Microsoft, listed tenant": microsoft("someone@trustforlondon.org.uk"),
    "Microsoft, listed tenant, listed address": microsoft("Chair@example.org"),
    "the button pressed does not matter": google("chair@example.org", provider="microsoft"),
}

REFUSED = {
    # Look-alike domains
    "a look-alike domain before": google("someone@evil-trustforlondon.org.uk"),
    "the domain inside another": google("someone@trustforlondon.org.uk.evil.com"),
    "a dot read as a wildcard": google("someone@trustforlondonxorg.uk"),
    "a letter added": google("someone@trustforlondon.org.ukk"),
    "the parent domain": google("someone@org.uk"),
    "an address entry is not a domain": google("other@example.org"),
    "nor its sub-domains": google("chair@mail.example.org"),
    "an address entry inside another domain": google("chair@example.org.evil.com"),
    # Unicode that case-folds (or maps) to ASCII
    "Kelvin sign in the local part": google("\u212aate@example.org"),
    "long s in the local part": google("\u017fam@example.org"),
    "Kelvin sign in the domain": google("someone@trustforlondon.org.u\u212a"),
    "long s in the domain": google("someone@tru\u017ftforlondon.org.uk"),
    "full-width letters": google("someone@\uff54rustforlondon.org.uk"),
    "Cyrillic look-alike": google("someone@trustforl\u043endon.org.uk"),
    "Unicode capitals in the domain": google("anna@M\u00dcNCHEN.de"),
    # Not exactly one address
    "two @, the listed domain last": google("someone@evil.com@trustforlondon.org.uk"),
    "two @, the listed domain first": google("someone@trustforlondon.org.uk@evil.com"),
    "no @": google("trustforlondon.org.uk"),
    "nothing before the @": google("@trustforlondon.org.uk"),
    "a space inside": google("some one@trustforlondon.org.uk"),
    "a leading space": google(" chair@example.org"),
    "a trailing space": google("chair@example.org "),
    "a trailing newline": google("chair@example.org\n"),
    "a no-break space": google("chair@example.org\u00a0"),
    "a NUL": google("chair@example.org\x00"),
    "a zero-width space": google("chair\u200b@example.org"),
    "a trailing dot": google("someone@trustforlondon.org.uk."),
    "an IP address": google("someone@127.0.0.1"),
    # email_verified: only JSON true counts
    "not verified": google("chair@example.org", email_verified=False),
    "verified as text": google("chair@example.org", email_verified="true"),
    "unverified as text": google("chair@example.org", email_verified="false"),
    "verified as 1": google("chair@example.org", email_verified=1),
    "verified as 0": google("chair@example.org", email_verified=0),
    "verified as null": google("chair@example.org", email_verified=None),
    "verified missing": {"iss": "https://accounts.google.com", "email": "chair@example.org"},
    # Missing or odd addresses
    "no email": google(None),
    "email not text": google(["chair@example.org"]),
    "empty email": google(""),
    # Microsoft: the tenant vouches, not the email claim
    "Microsoft, another tenant": microsoft("someone@trustforlondon.org.uk", OTHER_TENANT),
    "Microsoft, personal account": microsoft("someone@trustforlondon.org.uk", CONSUMER_TENANT),
    "Microsoft, tid claim not the issuer's": {
        **microsoft("someone@trustforlondon.org.uk", OTHER_TENANT),
        "tid": TENANT,
    },
    "Microsoft, no tid": {
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "preferred_username": "someone@trustforlondon.org.uk",
    },
    "Microsoft, listed tenant, address off the list": microsoft("someone@gmail.com"),
    "Microsoft, email listed, username not": microsoft(
        "someone@tenant.onmicrosoft.com", email="chair@example.org"
    ),
    "Microsoft, no username": microsoft(None, email="chair@example.org"),
    "Microsoft, email_verified claimed": microsoft(
        "someone@trustforlondon.org.uk",
        OTHER_TENANT,
        email="someone@trustforlondon.org.uk",
        email_verified=True,
    ),
    "Microsoft v1.0 issuer": {
        **microsoft("someone@trustforlondon.org.uk"),
        "iss": f"https://sts.windows.net/{TENANT}/",
    },
    # Other issuers
    "another issuer": google("chair@example.org", iss="https://evil.example/"),
    "an issuer like Google's": google("chair@example.org", iss="https://accounts.google.com.evil"),
    "no issuer": {"email": "chair@example.org", "email_verified": True, "provider": "google"},
    "issuer not text": google("chair@example.org", iss=["https://accounts.google.com"]),
}


@pytest.mark.parametrize("claims", ADMITTED.values(), ids=ADMITTED.keys())
def test_admitted(claims: dict[str, Any]) -> None:
    assert SETTINGS.may_see(claims)


@pytest.mark.parametrize("claims", REFUSED.values(), ids=REFUSED.keys())
def test_refused(claims: dict[str, Any]) -> None:
    assert not SETTINGS.may_see(claims)


def test_an_empty_allow_list_admits_nobody() -> None:
    nobody = config.load(environ={})
    assert not nobody.may_see(google("chair@example.org"))
    assert not nobody.may_see(microsoft("chair@example.org"))


def test_microsoft_needs_a_listed_tenant_even_for_a_listed_address() -> None:
    no_tenants = config.load(flags={"allowed_emails": ["chair@example.org"]}, environ={})
    assert no_tenants.may_see(google("chair@example.org"))
    assert not no_tenants.may_see(microsoft("chair@example.org"))


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Chair@Example.ORG", "chair@example.org"),
        ("anna@München.de", "anna@xn--mnchen-3ya.de"),
        ("anna@M\u00dcNCHEN.de", None),  # Ü is not lower-cased: only ASCII letters are
        ("Ünal@example.org", "Ünal@example.org"),  # non-ASCII local parts are kept exactly
        ("\u212a@example.org", "\u212a@example.org"),  # never folded to "k"
    ],
)
def test_addresses_are_compared_in_one_exact_form(text: str, normal: str | None) -> None:
    assert allowlist.normal_address(text) == normal


def test_the_address_shown_is_the_one_judged() -> None:
    assert allowlist.address(google("a@x.org")) == "a@x.org"
    assert allowlist.address(microsoft("b@y.org", email="c@z.org")) == "b@y.org"
    assert allowlist.address({"is_logged_in": True}) == ""
