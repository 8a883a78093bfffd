"""Learning findings and impact statements: selections and counts for the page and the pack (pure).

No streamlit here. Like `dashboard_figures`, every function takes a Snapshot or DataFrames and
returns DataFrames, so the dashboard's "Learning and impact" page and the board pack list the
same rows in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cii_sheets import dashboard_figures as figs
from cii_sheets.snapshot import Snapshot

NO_THEME = "No theme given"
NO_GOAL = "No goal given"


def _goal_ids(values: pd.Series) -> pd.Series:
    """Each cell's goal IDs as a list ('G1,G3' -> ['G1', 'G3']; empty -> [])."""
    return values.fillna("").astype(str).str.split(",").map(lambda ids: [g for g in ids if g])


def _keep(
    frame: pd.DataFrame,
    goal_lists: pd.Series,
    period: figs.Period,
    goals: Sequence[str],
    search: str,
    text_columns: list[str],
) -> pd.Series:
    keep = period.mask(frame["date"])
    if goals:
        wanted = set(goals)
        keep &= goal_lists.map(lambda ids: bool(wanted & set(ids)))
    if search.strip():
        haystack = frame[text_columns].fillna("").astype(str).agg(" ".join, axis=1)
        keep &= haystack.str.casefold().str.contains(search.strip().casefold(), regex=False)
    return keep


def learning_table(
    snapshot: Snapshot,
    period: figs.Period = figs.ALL_TIME,
    goals: Sequence[str] = (),
    search: str = "",
) -> pd.DataFrame:
    """Findings in the period and goals whose text matches the search, newest first."""
    learning = snapshot["learning"]
    labels = figs.goal_labels(snapshot)
    goal_lists = _goal_ids(learning["goals"])
    frame = pd.DataFrame(
        {
            "date": learning["date"],
            "finding": learning["finding"],
            "source": learning["source"],
            "theme": learning["theme"].fillna(NO_THEME),
            "goals": goal_lists.map(lambda ids: ", ".join(labels.get(g, g) for g in ids)),
            "evidence_link": learning["evidence_link"],
        }
    )
    keep = _keep(frame, goal_lists, period, goals, search, ["finding", "source", "theme", "goals"])
    return frame[keep].sort_values("date", ascending=False, kind="stable").reset_index(drop=True)


def impact_table(
    snapshot: Snapshot,
    period: figs.Period = figs.ALL_TIME,
    goals: Sequence[str] = (),
    search: str = "",
) -> pd.DataFrame:
    """Impact statements in the period and goals whose text matches the search, newest first."""
    impact = snapshot["impact"]
    labels = figs.goal_labels(snapshot)
    goal_lists = _goal_ids(impact["goal_id"])
    frame = pd.DataFrame(
        {
            "date": impact["date"],
            "statement": impact["statement"],
            "who_benefits": impact["who_benefits"],
            "goal": impact["goal_id"].map(labels).fillna(impact["goal_id"]).fillna(NO_GOAL),
            "evidence_link": impact["evidence_link"],
        }
    )
    keep = _keep(frame, goal_lists, period, goals, search, ["statement", "who_benefits", "goal"])
    return frame[keep].sort_values("date", ascending=False, kind="stable").reset_index(drop=True)


def findings_by_year(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Findings per calendar year and `by` (theme or source), oldest year first."""
    if table.empty:
        return pd.DataFrame({"year": [], by: [], "findings": []})
    frame = table.assign(year=table["date"].dt.year.astype(str))
    counts = frame.groupby(["year", by]).size().rename("findings").reset_index()
    return counts.sort_values(["year", by]).reset_index(drop=True)


def impact_counts(table: pd.DataFrame, by: str, order: Sequence[str] = ()) -> pd.DataFrame:
    """Statements per `by` (who_benefits or goal); every name in `order` listed, zero included."""
    counts = table[by].value_counts()
    names = [*order, *sorted(set(counts.index) - set(order))]
    return pd.DataFrame({by: names, "statements": [int(counts.get(n, 0)) for n in names]})
