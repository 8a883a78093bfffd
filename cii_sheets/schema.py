"""The spreadsheet contract as data: tabs, columns, aliases, kinds, choices and references.

Validation, the template writers, the store and the dashboard all read this module; nothing else
hard-codes a header, a choice or a table name.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources


class Kind(StrEnum):
    """What a cell must hold."""

    TEXT = "text"
    ID = "id"  # text that must be unique within its tab
    MONEY = "money"  # pounds, rounded to pennies
    DATE = "date"
    FTE = "fte"  # fraction of a full-time post, above 0 and at most 1
    GOAL = "goal"  # one goal, by ID or name
    GOALS = "goals"  # one or more goals, separated by commas or semicolons
    LINK = "link"  # an http(s) address
    CHOICE = "choice"  # one of Column.choices
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    """One column of a tab, as staff see it (``name``) and as the store keeps it (``key``)."""

    name: str
    key: str
    kind: Kind = Kind.TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    # (tab name, column key) this column's values must exist in, e.g. ("Pledges", "pledge_id").
    references: tuple[str, str] | None = None
    example: str = ""
    # (column key, choice): a required value that may stay empty while that column holds that
    # choice, e.g. Date pledged while the Status is Expected (a prospect has no date yet).
    may_wait_while: tuple[str, str] | None = None

    @property
    def unique(self) -> bool:
        return self.kind is Kind.ID


@dataclass(frozen=True)
class Tab:
    """One tab of the spreadsheet and the store table that mirrors it."""

    name: str
    table: str
    columns: tuple[Column, ...]
    required: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()
    # Pairs of (earlier, later) date column keys that must be in order.
    date_order: tuple[tuple[str, str], ...] = ()
    _by_key: dict[str, Column] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({c.key: c for c in self.columns})

    def column(self, key: str) -> Column:
        return self._by_key[key]

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.kind is Kind.ID), None)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def normalise_header(text: object) -> str:
    """Case-, space- and punctuation-insensitive form of a header: 'Amount (£)' -> 'amount'."""
    return re.sub(r"[^0-9a-z]+", "", str(text).casefold())


# --- Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One key of the Settings tab with its default."""

    name: str
    key: str
    kind: Kind
    default: object
    aliases: tuple[str, ...] = ()
    example: str = ""


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# 360Giving's recommended licence for published grants data (Creative Commons Attribution 4.0).
OPEN_LICENCE = "https://creativecommons.org/licenses/by/4.0/"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "Initiative name",
        "initiative_name",
        Kind.TEXT,
        "Citizenship and Integration Initiative",
        ("Name",),
    ),
    Setting(
        "Fundraising target (£)",
        "target_gbp",
        Kind.MONEY,
        1_000_000.0,
        ("Target", "Fundraising target"),
        "1000000",
    ),
    Setting(
        "Programme start",
        "programme_start",
        Kind.DATE,
        dt.date(2017, 1, 1),
        ("Start", "Programme start date"),
        "01/01/2017",
    ),
    Setting(
        "Programme end",
        "programme_end",
        Kind.DATE,
        dt.date(2022, 3, 31),
        ("End", "Programme end date"),
        "31/03/2022",
    ),
    Setting(
        "Minimum concurrent secondments",
        "min_secondments",
        Kind.NUMBER,
        2,
        ("Minimum secondments",),
        "2",
    ),
    Setting(
        "Maximum concurrent secondments",
        "max_secondments",
        Kind.NUMBER,
        5,
        ("Maximum secondments",),
        "5",
    ),
    Setting(
        "Financial year starts",
        "fy_start_month",
        Kind.CHOICE,
        "April",
        ("Financial year start",),
        "April",
    ),
    # For publishing the Grants tab as 360Giving open data; a blank value means "not set yet".
    Setting(
        "360Giving prefix",
        "giving360_prefix",
        Kind.TEXT,
        "",
        ("360G prefix", "Prefix"),
        "360G-cii",
    ),
    Setting(
        "Funding organisation identifier",
        "funding_org_identifier",
        Kind.TEXT,
        "",
        ("Funding Org:Identifier", "Funder identifier"),
        "GB-CHC-1234567",
    ),
    Setting(
        "Funding organisation name",
        "funding_org_name",
        Kind.TEXT,
        "",
        ("Funding Org:Name", "Funder name"),
        "Trust for London",
    ),
    Setting(
        "Publisher website",
        "publisher_website",
        Kind.LINK,
        "",
        ("Publisher:Website", "Website"),
        "https://trustforlondon.org.uk/",
    ),
    Setting(
        "Licence",
        "licence",
        Kind.LINK,
        OPEN_LICENCE,
        ("License",),
        OPEN_LICENCE,
    ),
)

SETTING_BY_HEADER: dict[str, Setting] = {
    normalise_header(alias): s for s in SETTINGS for alias in (s.name, *s.aliases)
}


# --- Tabs ---------------------------------------------------------------------------------------

GOAL_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("G1", "Civic engagement", "Encouraging the take up of citizenship and democratic engagement"),
    (
        "G2",
        "Young Londoners",
        "Supporting young Londoners to secure their legal rights to residence",
    ),
    (
        "G3",
        "Diversity, social contact and identity",
        "Celebrating diversity and building shared identity",
    ),
)

PLEDGE_STATUSES = ("Expected", "Confirmed", "Withdrawn")
SECONDMENT_STATUSES = ("Planned", "Active", "Completed", "Ended early")

SETTINGS_TAB = Tab(
    "Settings",
    "settings",
    (
        Column(
            "Setting", "setting", required=True, aliases=("Key", "Name"), example="Programme end"
        ),
        Column("Value", "value", required=True, example="31/03/2022"),
    ),
    description="Programme-wide settings; any key left out takes its default.",
)

GOALS_TAB = Tab(
    "Goals",
    "goals",
    (
        Column("Goal ID", "goal_id", Kind.ID, required=True, aliases=("ID",), example="G1"),
        Column(
            "Goal", "goal", required=True, aliases=("Name", "Goal name"), example="Civic engagement"
        ),
        Column("Description", "description"),
    ),
    required=True,
    description="The Initiative's shared goals.",
)

FUNDERS_TAB = Tab(
    "Funders",
    "funders",
    (
        Column(
            "Funder",
            "funder",
            Kind.ID,
            required=True,
            aliases=("Name", "Funder name"),
            example="Trust for London",
        ),
        Column("Type", "type", example="Charitable trust"),
        Column("Notes", "notes"),
    ),
    description="Everyone who gives to the pooled fund.",
)

PLEDGES_TAB = Tab(
    "Pledges",
    "pledges",
    (
        Column(
            "Pledge ID",
            "pledge_id",
            Kind.ID,
            required=True,
            aliases=("ID", "Pledge"),
            example="P001",
        ),
        Column(
            "Funder",
            "funder",
            required=True,
            references=("Funders", "funder"),
            example="Trust for London",
        ),
        Column(
            "Amount (£)",
            "amount_gbp",
            Kind.MONEY,
            required=True,
            aliases=("Amount", "Pledged"),
            example="25000",
        ),
        Column(
            "Date pledged",
            "date_pledged",
            Kind.DATE,
            required=True,
            aliases=("Pledge date", "Date"),
            example="01/04/2017",
            may_wait_while=("status", "Expected"),
        ),
        Column("Due by", "due_by", Kind.DATE, aliases=("Due", "Due date"), example="31/03/2018"),
        Column(
            "Status",
            "status",
            Kind.CHOICE,
            required=True,
            choices=PLEDGE_STATUSES,
            example="Confirmed",
        ),
        Column("Notes", "notes"),
    ),
    required=True,
    description="What each funder has promised.",
    date_order=(("date_pledged", "due_by"),),
)

PAYMENTS_TAB = Tab(
    "Payments",
    "payments",
    (
        Column(
            "Pledge ID",
            "pledge_id",
            required=True,
            aliases=("Pledge",),
            references=("Pledges", "pledge_id"),
            example="P001",
        ),
        Column(
            "Date received",
            "date_received",
            Kind.DATE,
            required=True,
            aliases=("Date", "Received"),
            example="15/05/2017",
        ),
        Column(
            "Amount (£)",
            "amount_gbp",
            Kind.MONEY,
            required=True,
            aliases=("Amount",),
            example="25000",
        ),
        Column("Reference", "reference", aliases=("Ref",)),
    ),
    description="Money received against a pledge.",
)

SECONDMENTS_TAB = Tab(
    "Secondments",
    "secondments",
    (
        Column(
            "Secondment ID", "secondment_id", Kind.ID, required=True, aliases=("ID",), example="S01"
        ),
        Column("Secondee", "secondee", required=True, aliases=("Name",), example="Amira Hassan"),
        Column(
            "Host organisation",
            "host_organisation",
            required=True,
            aliases=("Host", "Organisation", "Host organization", "Employer"),
            example="Citizens UK",
        ),
        Column("Role", "role"),
        Column("Goals", "goals", Kind.GOALS, required=True, aliases=("Goal",), example="G1, G3"),
        Column("FTE", "fte", Kind.FTE, required=True, example="0.6"),
        Column(
            "Start date",
            "start_date",
            Kind.DATE,
            required=True,
            aliases=("Start",),
            example="03/04/2017",
        ),
        Column(
            "End date", "end_date", Kind.DATE, required=True, aliases=("End",), example="31/03/2019"
        ),
        Column(
            "Status",
            "status",
            Kind.CHOICE,
            required=True,
            choices=SECONDMENT_STATUSES,
            example="Active",
        ),
        Column("Notes", "notes"),
    ),
    required=True,
    description="Secondees placed from civil society into the GLA.",
    date_order=(("start_date", "end_date"),),
)

MILESTONES_TAB = Tab(
    "Milestones",
    "milestones",
    (
        Column(
            "Milestone",
            "milestone",
            required=True,
            aliases=("Name", "Action"),
            example="First two secondments start",
        ),
        Column(
            "Planned date",
            "planned_date",
            Kind.DATE,
            required=True,
            aliases=("Planned", "Due"),
            example="03/04/2017",
        ),
        Column(
            "Actual date",
            "actual_date",
            Kind.DATE,
            aliases=("Actual", "Done"),
            example="03/04/2017",
        ),
        Column("Owner", "owner"),
        Column("Notes", "notes"),
    ),
    description="The delivery plan's milestones.",
)

ACHIEVEMENTS_TAB = Tab(
    "Achievements",
    "achievements",
    (
        Column(
            "Date", "date", Kind.DATE, required=True, aliases=("Achieved",), example="12/10/2017"
        ),
        Column(
            "Achievement",
            "achievement",
            required=True,
            aliases=("What",),
            example="Citizenship ceremony pilot",
        ),
        Column("Goal", "goal_id", Kind.GOAL, required=True, aliases=("Goal ID",), example="G1"),
        Column(
            "Secondment ID",
            "secondment_id",
            aliases=("Secondment",),
            references=("Secondments", "secondment_id"),
            example="S01",
        ),
        Column("Type", "type", example="Policy"),
        Column(
            "Evidence link",
            "evidence_link",
            Kind.LINK,
            aliases=("Evidence", "Link"),
            example="https://www.london.gov.uk/",
        ),
        Column("Notes", "notes"),
    ),
    required=True,
    description="What the Initiative has achieved, each against one goal.",
)

GRANTS_TAB = Tab(
    "Grants",
    "grants",
    (
        Column(
            "Identifier",
            "identifier",
            Kind.ID,
            required=True,
            aliases=("Grant ID",),
            example="360G-CII-001",
        ),
        Column("Title", "title", required=True, example="Legal advice in primary schools"),
        Column("Description", "description"),
        Column(
            "Recipient Org:Name",
            "recipient_org_name",
            required=True,
            aliases=("Recipient",),
            example="Coram Children's Legal Centre",
        ),
        Column("Recipient Org:Identifier", "recipient_org_identifier", example="GB-CHC-1234567"),
        Column(
            "Amount Awarded",
            "amount_awarded_gbp",
            Kind.MONEY,
            required=True,
            aliases=("Amount Awarded (£)", "Amount"),
            example="20000",
        ),
        Column("Award Date", "award_date", Kind.DATE, required=True, example="01/09/2018"),
        Column(
            "Planned Dates:Start Date",
            "planned_start_date",
            Kind.DATE,
            aliases=("Start Date",),
            example="01/10/2018",
        ),
        Column(
            "Planned Dates:End Date",
            "planned_end_date",
            Kind.DATE,
            aliases=("End Date",),
            example="30/09/2019",
        ),
        Column("Goal", "goal_id", Kind.GOAL, required=True, example="G2"),
        Column("Currency", "currency", example="GBP"),  # GBP when empty; ISO 4217 code
    ),
    description="Grants the fund makes outside the GLA, with 360Giving column titles.",
    date_order=(("planned_start_date", "planned_end_date"),),
)

IMPACT_BENEFICIARIES = (
    "Londoners and communities",
    "the GLA",
    "Funders",
    "Civil society organisations",
    "Secondees",
)

LEARNING_TAB = Tab(
    "Learning",
    "learning",
    (
        Column("Date", "date", Kind.DATE, required=True, aliases=("Learnt",), example="14/09/2018"),
        Column(
            "Finding",
            "finding",
            required=True,
            aliases=("Learning", "What we learnt"),
            example="Be clear on each partner's role from the start",
        ),
        Column(
            "Source",
            "source",
            required=True,
            aliases=("From", "Who"),
            example="Learning partner",
        ),
        Column("Theme", "theme", example="Practicalities of secondments"),
        Column("Goal", "goals", Kind.GOALS, aliases=("Goals",), example="G1, G3"),
        Column(
            "Evidence link",
            "evidence_link",
            Kind.LINK,
            aliases=("Evidence", "Link"),
            example="https://trustforlondon.org.uk/research/",
        ),
    ),
    description="What the Initiative has learnt, from its learning partner and its own people.",
)

IMPACT_TAB = Tab(
    "Impact",
    "impact",
    (
        Column(
            "Date", "date", Kind.DATE, required=True, aliases=("Observed",), example="14/09/2018"
        ),
        Column(
            "Statement",
            "statement",
            required=True,
            aliases=("Impact",),
            example="Funders have tested a new approach to partnership with the public sector",
        ),
        Column(
            "Who benefits",
            "who_benefits",
            Kind.CHOICE,
            required=True,
            aliases=("Beneficiary", "Beneficiaries", "Who"),
            choices=IMPACT_BENEFICIARIES,
            example="Funders",
        ),
        Column("Goal", "goal_id", Kind.GOAL, aliases=("Goal ID",), example="G1"),
        Column(
            "Evidence link",
            "evidence_link",
            Kind.LINK,
            aliases=("Evidence", "Link"),
            example="https://trustforlondon.org.uk/research/",
        ),
    ),
    description="The difference the Initiative makes, and for whom.",
)

SYNC_REPORT_TAB_NAME = "Sync report"

# In the order staff meet them in the spreadsheet; Settings and Goals first because the
# other tabs are read against them.
TABS: tuple[Tab, ...] = (
    SETTINGS_TAB,
    GOALS_TAB,
    FUNDERS_TAB,
    PLEDGES_TAB,
    PAYMENTS_TAB,
    SECONDMENTS_TAB,
    MILESTONES_TAB,
    ACHIEVEMENTS_TAB,
    GRANTS_TAB,
    LEARNING_TAB,
    IMPACT_TAB,
)
TAB_BY_NAME: dict[str, Tab] = {t.name: t for t in TABS}

# Secondments hold a list of goals; the store keeps them in their own link table.
SECONDMENT_GOALS_TABLE = "secondment_goals"

# What a spreadsheet shows for a formula that failed.
FORMULA_ERRORS = frozenset(
    {
        "#REF!",
        "#N/A",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#ERROR!",
        "#SPILL!",
        "#CALC!",
    }
)


@functools.cache
def currency_codes() -> frozenset[str]:
    """The ISO 4217 codes 360Giving accepts, from the standard's codelist shipped in the package."""
    text = (
        resources.files("cii_sheets")
        .joinpath("standards/360giving/currency.csv")
        .read_text("utf-8")
    )
    return frozenset(row["Code"] for row in csv.DictReader(io.StringIO(text)))


def match_tab(title: str) -> Tab | None:
    """The contract tab a sheet title stands for, ignoring case, spaces and punctuation."""
    wanted = normalise_header(title)
    for tab in TABS:
        if wanted in {normalise_header(n) for n in (tab.name, *tab.aliases)}:
            return tab
    return None
