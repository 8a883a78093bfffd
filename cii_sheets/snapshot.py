"""The validated data: programme settings plus one typed DataFrame per store table.

Validation produces a Snapshot, the store saves and loads one, and metrics reads one; so `check`,
`sync` and the dashboard compute their figures from the very same shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import pandas as pd

from cii_sheets import schema
from cii_sheets.schema import Kind


@dataclass(frozen=True)
class Settings:
    """Programme-wide settings from the Settings tab, with the contract's defaults."""

    initiative_name: str = "Citizenship and Integration Initiative"
    target_gbp: float = 1_000_000.0
    programme_start: dt.date = dt.date(2017, 1, 1)
    programme_end: dt.date = dt.date(2022, 3, 31)
    min_secondments: int = 2
    max_secondments: int = 5
    fy_start_month: int = 4  # April
    # For publishing grants as 360Giving data; empty until set in the Settings tab.
    giving360_prefix: str = ""
    funding_org_identifier: str = ""
    funding_org_name: str = ""
    publisher_website: str = ""
    licence: str = schema.OPEN_LICENCE

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def empty_frame(tab: schema.Tab) -> pd.DataFrame:
    """A frame with a tab's store columns, typed, and no rows."""
    columns: dict[str, pd.Series] = {"sheet_row": pd.Series(dtype="int64")}
    for column in tab.columns:
        columns[column.key] = pd.Series(dtype=column_dtype(column.kind))
    return pd.DataFrame(columns)


def column_dtype(kind: Kind) -> str:
    """The pandas dtype a column of this kind has in a Snapshot."""
    if kind in (Kind.MONEY, Kind.FTE, Kind.NUMBER):
        return "float64"
    if kind is Kind.DATE:
        return "datetime64[ns]"
    return "object"


def empty_secondment_goals() -> pd.DataFrame:
    return pd.DataFrame(
        {"secondment_id": pd.Series(dtype="object"), "goal_id": pd.Series(dtype="object")}
    )


@dataclass
class Snapshot:
    """Settings plus one frame per table, each holding only rows fit for the figures."""

    settings: Settings = field(default_factory=Settings)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tab in schema.TABS:
            if tab is not schema.SETTINGS_TAB:
                self.tables.setdefault(tab.table, empty_frame(tab))
        self.tables.setdefault(schema.SECONDMENT_GOALS_TABLE, empty_secondment_goals())

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    def goal_names(self) -> dict[str, str]:
        """Goal ID -> name, from the Goals tab or the contract's defaults when it is empty."""
        goals = self.tables["goals"]
        if goals.empty:
            return {gid: name for gid, name, _ in schema.GOAL_DEFAULTS}
        return dict(zip(goals["goal_id"], goals["goal"], strict=True))
