"""The board pack end to end: the sample synced, the PDF written, then read back with pypdf."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from conftest import MESSY_AS_OF, MESSY_TABS, write_workbook
from test_deploy import CLI, DEPLOY, _cii_args, _parses, _unit
from test_notify import Receiver, receiver  # noqa: F401  (the fixture)

from cii_sheets import cli, headlines, metrics, sync
from cii_sheets import dashboard_figures as figs
from cii_sheets.exports import board_pack
from cii_sheets.metrics import gbp
from cii_sheets.sample import PAYMENTS, PLEDGES, write_sample
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store

AS_OF = "2026-11-23"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    """The sample synced into a store, and what `sync --json` printed for it."""
    folder = tmp_path_factory.mktemp("pack")
    book = write_sample(folder / "sample.xlsx")
    url = f"sqlite:///{folder / 'cii.sqlite'}"
    return url, _sync_json(book, url)


def _sync_json(book: Path, url: str) -> dict[str, object]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            ["sync", "--workbook", str(book), "--store", url, "--as-of", AS_OF, "--json"]
        )
    assert code == sync.EXIT_DATA_ERRORS  # the sample's planted mistakes
    result: dict[str, object] = json.loads(out.getvalue())
    return result


def _pack(url: str, path: Path, *extra: str) -> pypdf.PdfReader:
    code = cli.main(["board-pack", "--out", str(path), "--store", url, "--as-of", AS_OF, *extra])
    assert code == sync.EXIT_OK
    return pypdf.PdfReader(path)


def _text(reader: pypdf.PdfReader, page: int | None = None) -> str:
    pages = reader.pages if page is None else [reader.pages[page]]
    text = "\n".join(p.extract_text() for p in pages)
    return re.sub(r"[ \t]+", " ", text)


def _flat(text: str) -> str:
    """Text with line breaks (where the PDF wrapped a paragraph) as single spaces."""
    return re.sub(r"\s+", " ", text)


def test_page_one_figures_are_those_of_sync_json(
    sample_store: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, synced = sample_store
    figures = synced["figures"]
    assert isinstance(figures, dict)
    page1 = _text(_pack(url, tmp_path / "pack.pdf"), 0)

    expected_lines = [
        f"Fundraising target {gbp(figures['target_gbp'])}",
        f"Pledged (confirmed) {gbp(figures['pledged_gbp'])} "
        f"({figures['percent_of_target']}% of target)",
        f"Received {gbp(figures['received_gbp'])}",
        f"Expected (pipeline) {gbp(figures['expected_gbp'])}",
        f"Outstanding {gbp(figures['outstanding_gbp'])}",
        f"Overdue {gbp(figures['overdue_gbp'])}",
        f"Granted {gbp(figures['granted_gbp'])}",
        f"{figures['active_secondments']} secondments running on 23 Nov 2026 "
        f"({figures['active_fte']:g} FTE)",
        f"Milestones: {figures['milestones']['done']} done, "
        f"{figures['milestones']['upcoming']} upcoming, {figures['milestones']['overdue']} overdue",
    ]
    for line in expected_lines:
        assert line in page1, line
    for goal_id, count in figures["achievements_by_goal"].items():
        assert re.search(rf"{goal_id} [^\n]+ {count} \d+\n", page1), goal_id
    flat = _flat(page1)
    left_out = figures["rows_left_out"]
    assert f"{sum(left_out.values())} rows with errors are left out" in flat
    for tab, count in left_out.items():
        assert f"{tab} {count}" in flat
    # In money too: the planted payment to an unknown pledge, and the pledge typed as 'ten k'.
    pledge_ids = {p[0] for p in PLEDGES}
    orphan = sum(p[2] for p in PAYMENTS if p[0] not in pledge_ids)
    assert f"Payments 1 ({gbp(orphan)})" in flat
    assert "Pledges 1 (amount not readable)" in flat
    alerts = synced["alerts"]
    assert isinstance(alerts, list) and alerts
    for alert in alerts:
        assert alert["message"] in flat
    # The pace verdict in words, and the change since the end of the last quarter.
    assert "Figures as of 23 Nov 2026; changes since 30 Sep 2026." in page1
    assert "Since 30 Sep 2026" in page1
    # The Overview's own rounded verdict, worked out here from the stored snapshot.
    with Store(url) as store:
        snapshot = store.load_snapshot()
    everything = figs.fundraising_selection(snapshot, dt.date.fromisoformat(AS_OF))
    verdict = headlines.pace(
        metrics.cumulative(everything.pledges, everything.payments),
        everything.expected_gbp,
        snapshot.settings,
        dt.date.fromisoformat(AS_OF),
    ).sentence
    assert verdict in flat and "still to raise" in verdict


def test_the_sample_pack_is_short_a4_vector_with_embedded_fonts(
    sample_store: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, _ = sample_store
    reader = _pack(url, tmp_path / "pack.pdf")
    assert 2 <= len(reader.pages) <= 6
    # The milestones are listed, overdue first (the sample's decision on continuing is overdue).
    milestones = _flat(_text(reader))
    assert "Overdue Funders' decision on continuing beyond 2027" in milestones
    assert "No milestones recorded" not in milestones
    fonts = 0
    for number, page in enumerate(reader.pages, start=1):
        assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]  # A4 in points
        assert re.search(rf"Page {number} of {len(reader.pages)}", page.extract_text())
        # The footer: source (in words, never a file path) and date.
        assert "Data from the workbook" in page.extract_text()
        assert ".xlsx" not in page.extract_text()
        assert "synced" in page.extract_text()
        assert not page.images, "charts must be vector graphics, not pictures"
        for font in _fonts(page):
            descriptor = (
                font.get("/FontDescriptor")
                or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts += 1
    assert fonts
    text = _text(reader)
    for heading in ("Fundraising pace", "Funders", "Secondments", "Milestones", "Learning"):
        assert heading in text
    assert "Pledged (confirmed)" in _text(reader, 1)  # the pace chart's legend is text
    assert "Priya Placeholder" not in text  # no secondee's name leaves in the mailed pack


def _fonts(page: pypdf.PageObject) -> list[pypdf.generic.DictionaryObject]:
    found = []

    def walk(resources: pypdf.generic.DictionaryObject) -> None:
        for font in resources.get("/Font", {}).values():
            found.append(font.get_object())
        for xobject in resources.get("/XObject", {}).values():
            inner = xobject.get_object().get("/Resources")
            if inner is not None:
                walk(inner.get_object())

    walk(page["/Resources"].get_object())
    return found


def test_learning_and_impact_are_in_the_pack(
    sample_store: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, _ = sample_store
    reader = _pack(url, tmp_path / "pack.pdf", "--since", "2018-06-30")
    text = _flat(_text(reader))
    assert "Funders have tested a new approach to partnership with the public sector" in text
    assert "Achievements since 30 Jun 2018" in text
    assert "Political literacy resources" not in text  # dated January 2018, before --since


STAFF_TEXT = '#set page(width: 2cm) <b>bold</b> ] [ $x^2$ *not bold* @ref // not a comment "'


def test_staff_text_is_set_as_text_never_as_markup(tmp_path: Path) -> None:
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Learning"] = [
        ["Date", "Finding", "Source"],
        ["01/06/2019", STAFF_TEXT, "#pagebreak() \\ ]"],
    ]
    tabs["Impact"] = [
        ["Date", "Statement", "Who benefits"],
        ["02/06/2019", '#{ panic("x") } ` `` `', "Funders"],
    ]
    book = write_workbook(tmp_path / "book.xlsx", tabs)
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    sync.run(WorkbookSource(book), url, MESSY_AS_OF)
    path = tmp_path / "pack.pdf"
    code = cli.main(["board-pack", "--out", str(path), "--store", url, "--as-of", "2019-06-30"])
    assert code == sync.EXIT_OK
    reader = pypdf.PdfReader(path)
    text = _flat(_text(reader))
    assert "#set page(width: 2cm) <b>bold</b> ] [ $x^2$ *not bold* @ref" in text
    assert "#pagebreak() \\ ]" in text
    assert '#{ panic("x") }' in text
    for page in reader.pages:
        assert [round(float(v)) for v in page.mediabox[2:]] == [595, 842]


def test_a_stale_tab_is_named_on_page_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    sync.run(WorkbookSource(write_workbook(tmp_path / "a.xlsx", MESSY_TABS)), url, MESSY_AS_OF)
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Payments"][0][0] = "Pledge number"  # the required Pledge ID header renamed
    sync.run(WorkbookSource(write_workbook(tmp_path / "b.xlsx", tabs)), url, MESSY_AS_OF)
    page1 = _flat(_text(pypdf.PdfReader(_write(url, tmp_path)), 0))
    assert "Not up to date:" in page1
    assert "could not read Payments" in page1


def _write(url: str, tmp_path: Path) -> Path:
    path = tmp_path / "pack.pdf"
    args = ["board-pack", "--out", str(path), "--store", url, "--as-of", "2019-06-30"]
    assert cli.main(args) == sync.EXIT_OK
    return path


@pytest.mark.parametrize("empty", [False, True])
def test_no_store_or_an_empty_store_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], empty: bool
) -> None:
    db = tmp_path / "cii.sqlite"
    if empty:  # a store with its tables but no sync yet
        from cii_sheets.store import Store

        Store(f"sqlite:///{db}").dispose()
    out = tmp_path / "pack.pdf"
    code = cli.main(["board-pack", "--out", str(out), "--store", f"sqlite:///{db}"])
    err = capsys.readouterr().err
    assert code == sync.EXIT_FAILED
    assert len(err.strip().splitlines()) == 1
    assert "cii-sheets sync" in err
    assert not out.exists()
    assert db.exists() is empty  # a mistyped path never leaves an empty store behind


def test_notify_sends_the_pdf_as_an_attachment(
    sample_store: tuple[str, dict[str, object]],
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    url, _ = sample_store
    path = tmp_path / "pack.pdf"
    _pack(url, path, "--notify", receiver.url)
    assert len(receiver.bodies) == 1
    attachments = receiver.bodies[0]["attachments"]
    assert isinstance(attachments, list) and len(attachments) == 1
    assert attachments[0]["filename"] == "pack.pdf"
    assert base64.b64decode(attachments[0]["base64"]) == path.read_bytes()


def test_a_channel_that_refuses_is_exit_2_after_writing(
    sample_store: tuple[str, dict[str, object]], tmp_path: Path
) -> None:
    url, _ = sample_store
    path = tmp_path / "pack.pdf"
    args = ["board-pack", "--out", str(path), "--store", url, "--as-of", AS_OF]
    code = cli.main([*args, "--notify", "json://127.0.0.1:9/"])  # nothing listens on port 9
    assert code == sync.EXIT_FAILED
    assert path.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("as_of", "since"),
    [
        (dt.date(2026, 11, 23), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 9, 30)),
        (dt.date(2026, 9, 30), dt.date(2026, 6, 30)),
        (dt.date(2026, 1, 15), dt.date(2025, 12, 31)),
        (dt.date(2026, 4, 1), dt.date(2026, 3, 31)),
    ],
)
def test_default_since_is_the_end_of_the_previous_quarter(as_of: dt.date, since: dt.date) -> None:
    assert board_pack.default_since(as_of) == since


def test_the_monthly_cron_line_writes_and_mails_the_pack(
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    lines = [
        line
        for line in (DEPLOY / "crontab.board-pack").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    [line] = lines
    command = line.split(None, 5)[5]
    for args in _cii_args(command):
        _parses(args)
    home = tmp_path / "opt-cii-sheets"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / ".venv" / "bin" / "cii-sheets").symlink_to(CLI)
    book = write_sample(home / "data" / "sample.xlsx")
    store = f"sqlite:///{home / 'data' / 'cii.sqlite'}"
    sync.run(WorkbookSource(book), store, dt.date.today())
    (home / "cii_sheets.toml").write_text(f'store = "{store}"\n')
    (home / "board-pack.env").write_text(f"CII_BOARD_PACK_NOTIFY='{receiver.url}'\n")

    done = subprocess.run(
        ["bash", "-c", command.replace("/opt/cii-sheets", str(home))],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, (home / "data" / "board-pack.log").read_text()
    pdf = (home / "data" / "board-pack.pdf").read_bytes()
    [body] = receiver.bodies
    assert base64.b64decode(body["attachments"][0]["base64"]) == pdf


def test_the_board_pack_units_are_well_formed() -> None:
    service = _unit("cii-sheets-board-pack.service")
    assert service["Service"]["Type"] == "oneshot"
    [args] = _cii_args(service["Service"]["ExecStart"].replace("${", "{"))
    _parses(args)
    assert args[args.index("board-pack") + 1 :][:2] == [
        "--out",
        "/opt/cii-sheets/data/board-pack.pdf",
    ]
    timer = _unit("cii-sheets-board-pack.timer")
    assert timer["Install"]["WantedBy"] == "timers.target"
    if shutil.which("systemd-analyze"):
        checked = subprocess.run(
            ["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        assert "-01 07:00:00" in checked.stdout


def test_a_store_from_before_the_money_table_still_makes_a_pack(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    sync.run(WorkbookSource(write_workbook(tmp_path / "a.xlsx", MESSY_TABS)), url, MESSY_AS_OF)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as a store written by an earlier version would be
        conn.execute(sa.text("DROP TABLE left_out_money"))
    engine.dispose()
    page1 = _flat(_text(pypdf.PdfReader(_write(url, tmp_path)), 0))
    assert "Pledges 4;" in page1  # counted as before, without the money it never stored
