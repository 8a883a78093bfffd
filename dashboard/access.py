"""Who may see the dashboard: an OpenID Connect login (st.login) and the configured allow-list.

The dashboard shows secondees' names, so it is not open to the world. With an `[auth]` section in
`.streamlit/secrets.toml`, everyone signs in with Google or Microsoft and only those the allow-list
admits on the provider's positive evidence get in (`cii_sheets.allowlist`); everyone else gets a
polite refusal. Without one, the dashboard says so on every page and shows its data only to a
viewer on this computer, decided from what the server itself sees: it listens on a loopback
address, and the connection's Host and Origin headers both name a loopback host with the
server's port. A browser does not let a web page set those two headers, so another site open in
the viewer's browser (DNS rebinding, cross-site requests) cannot read the figures. The URL the
page reports (`st.context.url`) is the page's own to choose and is never consulted. The admin may
open the figures to all with `allow_open_access`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, urlsplit

import streamlit as st

from cii_sheets import allowlist
from cii_sheets.config import Config
from dashboard.ui import plain

PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft"}
DEFAULT_PORTS = {"http": 80, "https": 443}
IPV4_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
IPV6_LOOPBACK = ipaddress.ip_address("::1")


def providers(secrets: Mapping[str, Any]) -> list[str]:
    """The login providers in the secrets' [auth] section ([auth.google], [auth.microsoft]...).

    An [auth] section holding a single provider's settings directly gives [""]: st.login().
    """
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping):
        return []
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    return named or [""]


def listens_locally(address: object) -> bool:
    """True when the server's address is a loopback one (unset or empty means every interface)."""
    text = str(address or "").strip().strip("[]").lower()
    return text == "localhost" or _loopback_ip(text)


def _loopback_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return ip in IPV4_LOOPBACK if ip.version == 4 else ip == IPV6_LOOPBACK


def _names_loopback(parts: SplitResult, server_port: int, default_port: int) -> bool:
    """Whether a parsed Host or Origin is a loopback host at the server's port, and no more."""
    try:
        port = default_port if parts.port is None else parts.port
    except ValueError:  # not a number, or out of range
        return False
    host = parts.hostname or ""
    return (
        (host == "localhost" or _loopback_ip(host))
        and port == server_port
        and not (parts.username or parts.password or parts.path or parts.query or parts.fragment)
    )


def local_viewer(
    address: object, server_port: int, hosts: Sequence[str], origins: Sequence[str]
) -> bool:
    """Whether a connection comes from a browser page served by this dashboard on this computer.

    `hosts` and `origins` are every value of the connection's Host and Origin headers. Each must
    be sent exactly once. A missing Origin means a client that is not a browser: such a client
    can send any headers it likes, so its headers prove nothing, and it is refused.
    """
    if not listens_locally(address) or len(hosts) != 1 or len(origins) != 1:
        return False
    origin = urlsplit(origins[0])
    if origin.scheme not in DEFAULT_PORTS:  # also "null", sent by sandboxed pages and files
        return False
    default_port = DEFAULT_PORTS[origin.scheme]
    return _names_loopback(origin, server_port, default_port) and _names_loopback(
        urlsplit(f"//{hosts[0]}"), server_port, default_port
    )


def connection_headers() -> dict[str, list[str]]:
    """The Host and Origin headers of this viewer's connection, as the server received them."""
    headers = st.context.headers
    return {name: headers.get_all(name) for name in ("host", "origin")}


def open_without_login(settings: Config) -> bool:
    """May this viewer see the figures without a login?"""
    if settings.allow_open_access:
        return True
    headers = connection_headers()
    return local_viewer(
        st.get_option("server.address"),
        int(st.get_option("server.port")),
        headers.get("host", []),
        headers.get("origin", []),
    )


def gate(settings: Config, secrets: Mapping[str, Any]) -> None:
    """Let this viewer through, or show why not and stop the page."""
    logins = providers(secrets)
    if logins:
        _login_gate(settings, logins)
        return
    if not open_without_login(settings):
        st.title("CII dashboard")
        port = int(st.get_option("server.port"))
        st.error(
            "Open access is local only. This dashboard has no login set up, so it shows its "
            f"figures only in a browser on the computer it runs on, at http://localhost:{port}/, "
            'while it listens on that computer alone (`address = "127.0.0.1"` in '
            "`.streamlit/config.toml`). To open it from elsewhere, the admin sets up a Google or "
            "Microsoft login (see the README: who may see the dashboard).",
            icon=":material/lock:",
        )
        st.stop()
    st.caption(  # one quiet line: a banner here would push the figures off the first screen
        "Open access: no login is set up, so anyone who can open this "
        "address sees these figures and the secondees' names. The admin can require a Google "
        "or Microsoft login (see the README)."
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
    email = allowlist.address(st.user)
    if not settings.may_see(st.user):
        st.title("CII dashboard")
        st.info(
            f"Thank you for signing in{f' as {plain(email)}' if email else ''}. This dashboard is "
            "open only to the people the Initiative has listed, and this account is not on the "
            "list. If you should have access, please ask the CII team to add your email "
            "address (and for a Microsoft work account, your organisation), then sign in again.",
            icon=":material/lock:",
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {plain(email)}")
        st.button("Sign out", on_click=st.logout, key="logout")
