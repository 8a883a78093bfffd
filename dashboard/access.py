"""Who may see the dashboard: an OpenID Connect login (st.login) and the configured allow-list.

The dashboard shows secondees' names, so it is not open to the world. With an `[auth]` section in
`.streamlit/secrets.toml`, everyone signs in with Google or Microsoft and only the allowed email
addresses (verified by the provider) or domains get in; everyone else gets a polite refusal.
Without one, the dashboard says so on every page and shows its data only when the server listens
on this computer alone (`server.address` a loopback address, as `.streamlit/config.toml` sets it)
and the viewer reached it by a local name, unless the admin has set `allow_open_access`. The
viewer's Host header and URL are the viewer's to choose, so they never open the gate on their own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from cii_sheets.config import Config
from dashboard.ui import plain

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}  # "": no URL or Host header (tests)
PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft"}


def providers(secrets: Mapping[str, Any]) -> list[str]:
    """The login providers in the secrets' [auth] section ([auth.google], [auth.microsoft]...).

    An [auth] section holding a single provider's settings directly gives [""]: st.login().
    """
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping):
        return []
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    return named or [""]


def viewer_host() -> str:
    """The host name the viewer used to reach the dashboard."""
    url = st.context.url or ""
    host = urlsplit(url).hostname if url else None
    if host is None:
        host = (st.context.headers.get("host") or "").rsplit(":", 1)[0]
    return host.strip("[]").lower()


def listens_locally(address: object) -> bool:
    """True when the server's address is a loopback one (unset or empty means every interface)."""
    text = str(address or "").strip().strip("[]").lower()
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def open_without_login(settings: Config) -> bool:
    """May this viewer see the figures without a login?

    Decided first on where the server listens, which the viewer cannot change; the host the
    viewer used is an extra condition, never enough on its own.
    """
    if settings.allow_open_access:
        return True
    return listens_locally(st.get_option("server.address")) and viewer_host() in LOCAL_HOSTS


def gate(settings: Config, secrets: Mapping[str, Any]) -> None:
    """Let this viewer through, or show why not and stop the page."""
    logins = providers(secrets)
    if logins:
        _login_gate(settings, logins)
        return
    if not open_without_login(settings):
        st.title("CII dashboard")
        st.error(
            "This dashboard has no login set up, so it shows its figures only on the computer "
            "it runs on, and only while it listens on that computer alone (`address = "
            '"127.0.0.1"` in `.streamlit/config.toml`). To open it from elsewhere, the admin '
            "sets up a Google or Microsoft login (see the README: who may see the dashboard).",
            icon=":material/lock:",
        )
        st.stop()
    st.warning(
        "Open access: no login is set up, so anyone who can open this address sees these "
        "figures and the secondees' names. The admin can require a Google or Microsoft login "
        "(see the README).",
        icon=":material/lock_open:",
    )


def _login_gate(settings: Config, logins: list[str]) -> None:
    if not st.user.is_logged_in:
        st.title("CII dashboard")
        st.write(
            "The Citizenship and Integration Initiative's dashboard is for its funders, staff and "
            "partners. Please sign in with your work account."
        )
        for provider in logins:
            label = f"Sign in with {PROVIDER_NAMES.get(provider, provider.title())}".strip()
            st.button(
                label if provider else "Sign in",
                on_click=st.login,
                args=(provider,) if provider else (),
                key=f"login-{provider or 'default'}",
                type="primary",
            )
        st.stop()
    email = str(st.user.get("email") or "")
    # An address the provider says it has not verified proves nothing about who signed in.
    if st.user.get("email_verified") is False or not settings.may_see(email):
        st.title("CII dashboard")
        st.info(
            f"Thank you for signing in{f' as {plain(email)}' if email else ''}. This dashboard is "
            "open only to the people the Initiative has listed, and this account is not on the "
            "list. If you should have access, please ask the CII team to add your email "
            "address, then sign in again.",
            icon=":material/lock:",
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {plain(email)}")
        st.button("Sign out", on_click=st.logout, key="logout")
