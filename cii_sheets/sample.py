"""Write the illustrative sample workbook that ``cii-sheets demo PATH`` starts from.

The programme is real (a GLA decision of December 2016, ADD2056, and the funders' 2018
overview); every figure, date, secondee and link here is illustrative. Secondees' names are
invented. The programme end is moved to 31/03/2027 (the decision spoke of 2020, the overview of
2022) so that the sample still has live secondments, pledges and milestones in 2026.

The data are fixed (no randomness, no "today"), and the file is saved with fixed timestamps, so
every run writes the same bytes. Six realistic staff mistakes are planted, listed in
``SAMPLE_MISTAKES``, so the data-quality view has something to show; everything else is clean
apart from one extra column ("Contact email" on Funders), which is a warning.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook

from cii_sheets.schema import GOAL_DEFAULTS, SYNC_REPORT_TAB_NAME, TAB_BY_NAME, TABS
from cii_sheets.template import format_workbook, save_reproducibly

D = dt.date


class SampleMistake(NamedTuple):
    """A mistake planted in the sample: where it is and what is wrong."""

    tab: str
    row: int  # sheet row, header = row 1
    column: str  # the header as written in the sample
    value: Any  # the cell as written
    what: str


SAMPLE_MISTAKES: tuple[SampleMistake, ...] = (
    SampleMistake(
        "Achievements", 9, "Goal", "Civic engagment", "goal name misspelt (Civic engagement)"
    ),
    SampleMistake("Payments", 23, "Pledge ID", "P099", "payment for a pledge that does not exist"),
    SampleMistake("Pledges", 12, "Amount (£)", "ten k", "amount in words instead of 10000"),
    SampleMistake("Secondments", 9, "FTE", 60, "FTE typed as 60 (should be 0.6 or 60%)"),
    SampleMistake("Milestones", 10, "Planned date", "TBC", "planned date not a date"),
    SampleMistake(
        "Secondments", 10, "Status", "Active", "still Active although it ended on 31/01/2024"
    ),
)

SETTINGS_ROWS: tuple[tuple[str, Any], ...] = (
    ("Initiative name", "Citizenship and Integration Initiative"),
    ("Fundraising target (£)", 1_000_000),
    ("Programme start", D(2017, 1, 1)),
    # Extended from 31/03/2022 for illustration, so the sample is live in 2026.
    ("Programme end", D(2027, 3, 31)),
    ("Minimum concurrent secondments", 2),
    ("Maximum concurrent secondments", 5),
    ("Financial year starts", "April"),
    # For publishing the Grants tab as 360Giving data (Trust for London holds the pooled fund).
    ("360Giving prefix", "360G-CII"),
    ("Funding organisation identifier", "GB-CHC-205629"),
    ("Funding organisation name", "Trust for London"),
    ("Publisher website", "https://trustforlondon.org.uk/"),
    ("Licence", "https://creativecommons.org/licenses/by/4.0/"),
)

FUNDERS_HEADER = ("Funder", "Type", "Notes", "Contact email")
FUNDERS: tuple[tuple[Any, ...], ...] = (
    ("Trust for London", "Charitable trust", "Founding funder; holds the pooled fund", None),
    ("Unbound Philanthropy", "Private foundation", "Founding partner", "grants@example.org"),
    ("Paul Hamlyn Foundation", "Charitable foundation", "Founding partner", None),
    ("Barrow Cadbury Trust", "Charitable trust", None, "grants@example.org"),
    ("Esmée Fairbairn Foundation", "Charitable foundation", None, None),
    ("John Lyon's Charity", "Charitable trust", "Young Londoners strand", None),
    ("City Bridge Trust", "Charitable trust", "Joined 2024", None),
)

# Pledge ID, Funder, Amount (£), Date pledged, Due by, Status, Notes
PLEDGES: tuple[tuple[Any, ...], ...] = (
    ("P001", "Trust for London", 200_000, D(2016, 12, 20), D(2020, 4, 30), "Confirmed",
     "Founding pledge, four annual instalments"),
    ("P002", "Unbound Philanthropy", 120_000, D(2016, 12, 20), D(2019, 3, 31), "Confirmed",
     "Founding pledge"),
    ("P003", "Paul Hamlyn Foundation", 120_000, D(2017, 1, 10), D(2018, 6, 30), "Confirmed",
     "Founding pledge"),
    ("P004", "Barrow Cadbury Trust", 60_000, "03/04/2017", D(2018, 6, 30), "Confirmed", None),
    ("P005", "Esmée Fairbairn Foundation", 60_000, D(2017, 6, 15), D(2019, 8, 31), "Confirmed",
     None),
    ("P006", "John Lyon's Charity", 30_000, D(2017, 10, 12), D(2018, 3, 31), "Confirmed",
     "For the Young Londoners work"),
    ("P007", "Barrow Cadbury Trust", 20_000, D(2018, 11, 1), D(2019, 11, 30), "Withdrawn",
     "Withdrawn after the trust's strategy review"),
    ("P008", "Trust for London", 80_000, D(2019, 4, 1), D(2021, 3, 31), "Confirmed",
     "Years 3 and 4"),
    ("P009", "Unbound Philanthropy", 50_000, D(2019, 6, 3), D(2020, 3, 31), "Confirmed", None),
    ("P010", "Paul Hamlyn Foundation", 40_000, "15/01/2020", D(2021, 12, 31), "Confirmed", None),
    ("P011", "John Lyon's Charity", "ten k", D(2021, 9, 1), D(2022, 9, 30), "Confirmed",
     "Young Londoners Forum"),
    ("P012", "Barrow Cadbury Trust", 25_000, D(2021, 4, 20), D(2022, 3, 31), "Confirmed", None),
    ("P013", "Esmée Fairbairn Foundation", 30_000, D(2022, 5, 10), D(2024, 3, 31), "Confirmed",
     None),
    ("P014", "Trust for London", 45_000, D(2023, 4, 3), D(2026, 3, 31), "Confirmed",
     "Three instalments of 15,000"),
    ("P015", "Unbound Philanthropy", 25_000, D(2024, 2, 1), D(2025, 3, 31), "Confirmed", None),
    ("P016", "City Bridge Trust", 20_000, D(2024, 9, 16), D(2026, 6, 30), "Confirmed",
     "Invoice sent March 2026"),
    ("P017", "Paul Hamlyn Foundation", 30_000, D(2025, 4, 1), D(2027, 3, 31), "Confirmed",
     "Two instalments"),
    ("P018", "Esmée Fairbairn Foundation", 40_000, D(2026, 1, 20), D(2027, 3, 31), "Expected",
     "Decision at the March board"),
    ("P019", "John Lyon's Charity", 25_000, "02/03/2026", D(2027, 3, 31), "Expected", None),
    ("P020", "City Bridge Trust", 50_000, D(2026, 5, 11), D(2027, 3, 31), "Expected",
     "Application submitted"),
)  # fmt: skip

# Pledge ID, Date received, Amount (£), Reference
PAYMENTS: tuple[tuple[Any, ...], ...] = (
    ("P002", D(2017, 2, 15), 40_000, "UP-2017-01"),
    ("P003", D(2017, 3, 20), 60_000, "PHF-17-0320"),
    ("P001", "18/04/2017", 50_000, "TFL-CII-01"),
    ("P004", D(2017, 6, 30), 30_000, "BCT-0630"),
    ("P005", D(2017, 7, 31), 20_000, "EFF-1"),
    ("P006", D(2017, 12, 14), 30_000, "JLC-1712"),
    ("P002", D(2018, 2, 15), 40_000, "UP-2018-01"),
    ("P001", D(2018, 4, 17), 50_000, "TFL-CII-02"),
    ("P003", D(2018, 5, 21), 60_000, "PHF-18-0521"),
    ("P004", D(2018, 6, 29), 30_000, "BCT-0629"),
    ("P005", D(2018, 7, 31), 20_000, "EFF-2"),
    ("P002", D(2019, 2, 14), 40_000, "UP-2019-01"),
    ("P001", D(2019, 4, 16), 50_000, "TFL-CII-03"),
    ("P008", D(2019, 5, 20), 40_000, "TFL-CII-04"),
    ("P005", D(2019, 7, 31), 20_000, "EFF-3"),
    ("P009", D(2019, 9, 2), 50_000, "UP-2019-02"),
    ("P001", D(2020, 4, 14), 50_000, "TFL-CII-05"),
    ("P010", D(2020, 4, 27), 20_000, "PHF-20-0427"),
    ("P008", D(2020, 5, 18), 40_000, "TFL-CII-06"),
    ("P012", D(2021, 6, 1), 25_000, "BCT-2106"),
    ("P010", D(2021, 10, 4), 20_000, "PHF-21-1004"),
    ("P099", D(2022, 1, 17), 5_000, "Bank transfer 88213"),
    ("P013", D(2022, 7, 11), 15_000, "EFF-4"),
    ("P013", D(2023, 7, 10), 15_000, "EFF-5"),
    ("P014", "02/05/2023", 15_000, "TFL-CII-07"),
    ("P015", D(2024, 3, 4), 25_000, "UP-2024-01"),
    ("P014", D(2024, 5, 7), 15_000, "TFL-CII-08"),
    ("P017", D(2025, 6, 2), 15_000, "PHF-25-0602"),
)

# Secondment ID, Secondee, Host organisation, Role, Goals, FTE, Start date, End date, Status, Notes
CORAM = "Coram Children's Legal Centre"
JFKL = "Just for Kids Law (Let us Learn)"
SECONDMENTS: tuple[tuple[Any, ...], ...] = (
    ("S01", "Priya Placeholder", "Citizens UK", "Civic engagement lead", "G1", 0.6,
     "03/04/2017", D(2019, 3, 31), "Completed", "One of the first two secondments"),
    ("S02", "Kwame Example", CORAM, "Young Londoners policy officer", "G2", 0.6,
     D(2017, 4, 3), D(2019, 3, 31), "Completed", "One of the first two secondments"),
    ("S03", "Grace Sample", JFKL, "Youth participation officer", "G2, G3", 0.5,
     D(2017, 9, 4), D(2019, 8, 30), "Completed", None),
    ("S04", "Tomasz Testcase", "New Europeans", "EU citizens' rights adviser",
     "G1, Diversity, social contact and identity", 0.4, D(2018, 1, 8), D(2019, 6, 28),
     "Ended early", "Returned to host for settled status casework"),
    ("S05", "Lena Mockford", "Migrants Organise", "Community engagement officer", "G3", 0.8,
     D(2019, 4, 1), D(2021, 3, 31), "Completed", None),
    ("S06", "Omar Demo", "Citizens UK", "Democratic participation adviser", "G1", 0.6,
     D(2019, 4, 1), D(2021, 9, 30), "Completed", None),
    ("S07", "Rosa Fiction", CORAM, "Legal status adviser", "Young Londoners", 0.6,
     D(2020, 10, 1), D(2022, 9, 30), "Completed", None),
    ("S08", "Dev Illustrative", JFKL, "Young Londoners Forum coordinator", "G2", 60,
     D(2021, 4, 6), D(2023, 3, 31), "Completed", None),
    ("S09", "Nia Madeup", "Migrants Organise", "Welcome groups lead", "G3; G1", 0.5,
     D(2022, 1, 10), D(2024, 1, 31), "Active", None),
    ("S10", "Felix Pretend", "New Europeans", "Civic participation officer", "G1", 0.4,
     D(2023, 4, 3), D(2025, 3, 31), "Completed", None),
    ("S11", "Hana Notreal", "Citizens UK", "Belonging and identity lead", "G1, G3", 0.6,
     "06/11/2023", D(2025, 10, 31), "Completed", None),
    ("S12", "Ben Invented", CORAM, "Legal rights policy officer", "G2", 0.6,
     D(2025, 4, 1), D(2027, 3, 31), "Active", None),
    ("S13", "Ines Imaginary", "Migrants Organise", "Social contact programme lead", "G3", 0.5,
     D(2025, 9, 1), D(2027, 2, 26), "Active", None),
    ("S14", "Yusuf Hypothetical", JFKL, "Youth voice officer", "G2, G1", 0.4,
     D(2026, 10, 5), D(2027, 3, 31), "Planned", "Agreement being signed"),
)  # fmt: skip

# Milestone, Planned date, Actual date, Owner, Notes
GLA_TEAM = "GLA Social Integration team"
MILESTONES: tuple[tuple[Any, ...], ...] = (
    ("Trust for London first call for proposals", D(2017, 1, 16), D(2017, 1, 16),
     "Trust for London", "From the GLA decision's delivery plan"),
    ("First two secondments start at City Hall", D(2017, 4, 3), "03/04/2017", GLA_TEAM,
     "From the GLA decision's delivery plan"),
    ("Learning partner appointed (Renaisi)", D(2017, 6, 30), D(2017, 7, 14),
     "Trust for London", None),
    ("Review phase 1 secondments", D(2017, 11, 30), D(2017, 12, 12), "Advisory Panel",
     "From the GLA decision's delivery plan"),
    ("Mayor's Social Integration Strategy published", D(2018, 3, 31), D(2018, 3, 6), GLA_TEAM,
     "Secondees contributed"),
    ("Second round of secondments starts", D(2019, 4, 1), D(2019, 4, 1), GLA_TEAM, None),
    ("Years 1-2 learning report published", D(2019, 6, 28), D(2019, 7, 10), "Renaisi", None),
    ("Phase 3 secondments review", D(2025, 11, 28), D(2025, 12, 5), "Advisory Panel", None),
    ("Legacy plan agreed with the GLA", "TBC", None, "Advisory Panel", None),
    ("Funders' decision on continuing beyond 2027", D(2026, 3, 31), None, "Trust for London",
     "Waiting on two boards"),
    ("Final learning report", D(2027, 2, 26), None, "Renaisi", None),
    ("Programme closes; final report to funders", D(2027, 3, 31), None, "Trust for London", None),
)  # fmt: skip

# Date, Achievement, Goal, Secondment ID, Type, Evidence link, Notes
GLA = "https://www.london.gov.uk/programmes-strategies/communities-and-social-justice"
TFL = "https://trustforlondon.org.uk/research"
ACHIEVEMENTS: tuple[tuple[Any, ...], ...] = (
    ("12/10/2017", "Citizenship ceremony pilot: new ways of delivering ceremonies", "G1", "S01",
     "Pilot", f"{GLA}/citizenship-ceremonies-pilot", None),
    (D(2018, 1, 22), "Political literacy resources for schools commissioned", "G1", "S01",
     "Commission", f"{GLA}/political-literacy-resources", None),
    (D(2018, 3, 6), "Contributions to the Mayor's Strategy for Social Integration", "G3", "S04",
     "Policy", f"{GLA}/social-integration-strategy", "Detailed policy briefings"),
    (D(2018, 5, 15), "Young Londoners Forum set up for young people with insecure status",
     "Young Londoners", "S03", "Engagement", f"{GLA}/young-londoners-forum", None),
    (D(2018, 9, 20), "GLA guidance for young people with insecure status and professionals",
     "G2", "S02", "Guidance", f"{GLA}/guidance-young-people-insecure-status", None),
    (D(2018, 11, 8), "Small grants scheme for welcome groups launched", "G3", None, "Grant",
     f"{TFL}/welcome-groups-small-grants", None),
    (D(2018, 12, 4), "Legal advice pilot for families with insecure status in primary schools",
     "G2", None, "Grant", f"{TFL}/legal-advice-primary-schools-pilot", "Grant 360G-CII-2018-001"),
    (D(2019, 5, 2), "Voter registration stalls at citizenship ceremonies", "Civic engagment",
     "S06", "Pilot", f"{GLA}/voter-registration-ceremonies", None),
    (D(2019, 10, 17), "EU Londoners outreach with community groups", "G1", None, "Engagement",
     f"{GLA}/eu-londoners-hub", None),
    (D(2020, 6, 10), "Guidance on online citizenship ceremonies during lockdown", "G1", "S06",
     "Guidance", f"{GLA}/online-citizenship-ceremonies", None),
    (D(2021, 2, 15), "Legal status advice toolkit for youth workers", "G2", "S07", "Guidance",
     f"{GLA}/legal-status-toolkit", None),
    (D(2021, 11, 18), "Young Londoners Forum report to the Deputy Mayor", "G2", "S08",
     "Engagement", f"{GLA}/young-londoners-forum-report", None),
    (D(2022, 6, 20), "Welcome groups network grows to 40 groups", "G3", "S09", "Engagement",
     f"{TFL}/welcome-groups-network", None),
    (D(2023, 9, 14), "Civic participation pilot with four borough councils", "G1", "S10",
     "Pilot", f"{GLA}/civic-participation-pilot", None),
    (D(2024, 10, 3), "Community belonging events in six boroughs", "G3", "S11", "Engagement",
     f"{GLA}/belonging-events", None),
    (D(2025, 7, 9), "Citizenship fee guidance for care leavers", "G2", "S12", "Guidance",
     f"{GLA}/citizenship-fees-care-leavers", None),
    (D(2026, 2, 12), "Social contact programme for newly arrived families", "G3", "S13",
     "Pilot", f"{GLA}/social-contact-programme", None),
)  # fmt: skip

# 360Giving columns, in the order of schema.GRANTS_TAB; valid to publish as they are. Recipients
# have internal identifiers on the fund's prefix, as 360Giving advises when no registered number
# is to hand (the sample invents no charity numbers). Currency is left empty: pounds.
GRANTS: tuple[tuple[Any, ...], ...] = (
    ("360G-CII-2018-001", "Legal advice in primary schools",
     "Pilot of legal advice for families with insecure immigration status, through primary "
     "schools", CORAM, "360G-CII-ORG-001", 45_000, D(2018, 12, 4), D(2019, 1, 7),
     D(2020, 1, 31), "G2", None),
    ("360G-CII-2019-001", "Small grants for welcome groups",
     "Small grants for groups that welcome newcomers to London", "Migrants Organise",
     "360G-CII-ORG-002", 30_000, D(2019, 2, 1), D(2019, 3, 1), D(2020, 2, 28), "G3", None),
    ("360G-CII-2022-001", "Young Londoners Forum peer research",
     "Young people with insecure status research barriers to citizenship", JFKL,
     "360G-CII-ORG-003", 25_000, D(2022, 3, 14), "01/04/2022", D(2023, 3, 31), "G2", None),
)  # fmt: skip


# Date, Finding, Source, Theme, Goal, Evidence link. The 2018 rows are the learning partner's
# findings in the funders' 2018 overview (dated September 2018, when it was written); the later
# rows are illustrative.
OVERVIEW_2018 = f"{TFL}/citizenship-and-integration-initiative-overview-2018"
RENAISI = "Learning partner (Renaisi)"
LEARNING: tuple[tuple[Any, ...], ...] = (
    (D(2018, 9, 3), "A complex multi-sector collaboration needs clarity on each partner's role",
     RENAISI, "Roles in a multi-sector collaboration", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Each partner must be able to keep its independence and critical distance",
     RENAISI, "Independence", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Much was learnt on the practicalities of setting up effective secondments",
     RENAISI, "Practicalities of secondments", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Success rests on enough experienced civil society organisations with the "
     "capacity to take part", RENAISI, "Conditions for success", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Success rests on the strength of existing relationships across sectors",
     RENAISI, "Conditions for success", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Success rests on commitment and buy-in on all sides", RENAISI,
     "Conditions for success", None, OVERVIEW_2018),
    (D(2020, 3, 12), "Secondees need a named GLA line manager from their first week",
     "Secondee reflection", "Practicalities of secondments", "G1", None),
    (D(2021, 7, 1), "Young people with insecure status engage best through peers they know",
     "Secondee reflection", "Working with young Londoners", "G2", None),
    (D(2023, 11, 16), "Host organisations should plan cover before a secondment starts",
     "Advisory Panel", "Practicalities of secondments", None, None),
    (D(2025, 12, 5), "Borough councils join in when a pilot comes with a ready-made toolkit",
     "Advisory Panel", "Roles in a multi-sector collaboration", "G1, G3", None),
    (D(2026, 10, 8), "A legacy plan needs the GLA's own budget lines, not only goodwill",
     RENAISI, "Independence", None, None),
)  # fmt: skip

# Date, Statement, Who benefits, Goal, Evidence link. The five 2018 statements are the impact
# to date in the funders' 2018 overview; the later rows are illustrative.
IMPACT: tuple[tuple[Any, ...], ...] = (
    (D(2018, 9, 3), "Issues affecting and disadvantaging some people and communities in London "
     "have gained greater resource and focus within the GLA's broader agenda",
     "Londoners and communities", None, OVERVIEW_2018),
    (D(2018, 9, 3), "The GLA has gained capacity, benefitted from secondees' expertise and "
     "developed projects and policy faster than would otherwise have been possible", "the GLA",
     None, OVERVIEW_2018),
    (D(2018, 9, 3), "Funders have tested a new approach to partnership with the public sector",
     "Funders", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Civil society organisations have gained insight into the GLA and the "
     "opportunities to work with the public sector, and strengthened their partnerships with "
     "each other", "Civil society organisations", None, OVERVIEW_2018),
    (D(2018, 9, 3), "Secondees have increased their knowledge of the public sector, built "
     "relationships with GLA colleagues and developed projects and policy for the GLA",
     "Secondees", None, OVERVIEW_2018),
    (D(2021, 11, 18), "Young Londoners with insecure status put their case to the Deputy Mayor "
     "directly", "Londoners and communities", "G2", f"{GLA}/young-londoners-forum-report"),
    (D(2024, 10, 3), "Six boroughs now run belonging events with their own staff",
     "Londoners and communities", "G3", f"{GLA}/belonging-events"),
    (D(2026, 10, 20), "Care leavers can find the citizenship fee guidance on every borough's "
     "leaving-care pages", "Londoners and communities", "G2", None),
)  # fmt: skip


def build_sample() -> Workbook:
    """The sample as an openpyxl Workbook (not yet saved)."""
    data: dict[str, tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]] = {
        "Settings": (_header("Settings"), SETTINGS_ROWS),
        "Goals": (_header("Goals"), GOAL_DEFAULTS),
        "Funders": (FUNDERS_HEADER, FUNDERS),
        "Pledges": (_header("Pledges"), PLEDGES),
        "Payments": (_header("Payments"), PAYMENTS),
        "Secondments": (_header("Secondments"), SECONDMENTS),
        "Milestones": (_header("Milestones"), MILESTONES),
        "Achievements": (_header("Achievements"), ACHIEVEMENTS),
        "Grants": (_header("Grants"), GRANTS),
        "Learning": (_header("Learning"), LEARNING),
        "Impact": (_header("Impact"), IMPACT),
    }
    book = Workbook()
    book.remove(book.active)
    for tab in TABS:
        header, rows = data[tab.name]
        sheet = book.create_sheet(tab.name)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    book.create_sheet(SYNC_REPORT_TAB_NAME)
    format_workbook(book)
    return book


def write_sample(path: str | os.PathLike[str]) -> Path:
    """Write the sample workbook to ``path``; the same bytes every time."""
    return save_reproducibly(build_sample(), path)


def _header(tab: str) -> tuple[str, ...]:
    return tuple(c.name for c in TAB_BY_NAME[tab].columns)
