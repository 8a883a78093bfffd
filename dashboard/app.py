"""The leadership dashboard: `streamlit run dashboard/app.py`; five pages over the synced store."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from cii_sheets import config  # noqa: E402
from cii_sheets import dashboard_figures as figs  # noqa: E402
from cii_sheets.problems import CiiSheetsError  # noqa: E402
from dashboard import access, data, downloads, ui  # noqa: E402

st.set_page_config(
    page_title="CII dashboard",
    page_icon="🏙️",
    layout="wide",
    initial_sidebar_state="expanded",
)

# A little less empty space above the title, so more fits on a 1366x768 laptop screen.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/fundraising.py", title="Fundraising", icon=":material/payments:"),
    st.Page("views/timeline.py", title="Timeline", icon=":material/timeline:"),
    st.Page("views/achievements.py", title="Achievements", icon=":material/emoji_events:"),
    st.Page("views/learning_impact.py", title="Learning and impact", icon=":material/lightbulb:"),
    st.Page("views/data_quality.py", title="Data quality", icon=":material/fact_check:"),
]
page = st.navigation(PAGES)

try:
    settings = data.settings()
except CiiSheetsError as exc:  # a mistake in cii_sheets.toml or the secrets
    st.title("CII dashboard")
    st.error(f"The configuration has a mistake: {ui.plain(exc)}", icon=":material/error:")
    st.stop()

access.gate(settings, data.secrets())

try:
    ctx = data.context()
except CiiSheetsError as exc:
    st.title("CII dashboard")
    st.error(
        f"{ui.plain(exc)}\n\nSet CII_STORE (or `store` in cii_sheets.toml) to the store the "
        f"sync writes to (the default is `{config.Config.store}`), then reload this page.",
        icon=":material/error:",
    )
    st.stop()

st.session_state["ctx"] = ctx
page.run()

with st.sidebar:
    st.divider()
    st.markdown(f"**{ui.plain(ctx.snapshot.settings.initiative_name)}**")
    st.caption(
        "A pooled fund placing secondees from London charities in the Greater London "
        "Authority. Goals: " + ui.plain("; ".join(ctx.goal_labels.values())) + "."
    )
    if ctx.has_data:
        downloads.excel_button(ctx)
        downloads.board_pack_button(ctx)
    st.caption(f"Today: {figs.uk_date(ctx.as_of)} (London)")
