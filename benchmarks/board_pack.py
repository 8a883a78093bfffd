"""The board pack: how fast the sample's pack is made, and how three typesetters compare.

1. The real command on the sample: `cii-sheets board-pack` run as a new process (what cron
   runs: Python start, imports, store, charts, typesetting, writing), then each step in one
   process, warm (medians of --repeats).
2. The same content (page 1's headline, the pace and funders charts as SVG from vl-convert, the
   learning table with a staff cell full of markup) typeset by typst, WeasyPrint and reportlab
   (+ svglib for the SVG charts): time, pages, file size, fonts embedded, raster images (0 means
   the charts stayed vector), whether the staff cell printed as written, import time in a new
   process, and the installed size of each engine with everything it pulls in from PyPI.
   WeasyPrint also needs pango from apt, which a fresh machine may not have (listed).

Run: .venv/bin/pip install -e '.[bench]' && .venv/bin/python benchmarks/board_pack.py
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import importlib.metadata as md
import io
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cii_sheets import sync  # noqa: E402
from cii_sheets.exports import board_pack  # noqa: E402
from cii_sheets.sample import write_sample  # noqa: E402
from cii_sheets.sources.workbook import WorkbookSource  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
STAFF = '#set page(width: 2cm) <b>bold</b> ] [ $x$ & "quotes"'
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


def timed(step: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """(median seconds, last result) over `repeats` calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


# --- The three engines, on the same content ---------------------------------------------------


def with_typst(content: dict[str, Any], charts: dict[str, str]) -> bytes:
    return board_pack.render(content, charts, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))


def with_weasyprint(content: dict[str, Any], charts: dict[str, str]) -> bytes:
    import weasyprint

    e = html.escape  # every staff value must be escaped by hand (or by a template's autoescape)

    def table(head: list[str], rows: list[list[str]]) -> str:
        cells = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><tr>{cells}</tr>{body}</table>"

    def svg(name: str) -> str:
        data = base64.b64encode(charts[name].encode()).decode()
        return f'<img style="width:100%" src="data:image/svg+xml;base64,{data}">'

    alerts = "".join(f"<li>{e(a)}</li>" for a in content["alerts"])
    page = f"""<html><head><style>
      @page {{ size: A4; margin: 16mm 18mm 22mm;
        @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt }}
        @bottom-left {{ content: "{e(content["footer"])}"; font-size: 8pt }} }}
      body {{ font-family: "DejaVu Serif"; font-size: 10pt }}
      table {{ width: 100%; border-collapse: collapse }}
      td, th {{ border-bottom: 0.3pt solid #ccc; text-align: left; padding: 2pt 4pt }}
      .break {{ page-break-before: always }}
    </style></head><body>
      <h1>Board pack</h1><p>{e(content["subtitle"])}</p>
      {table(["Figure", "Now", "Since " + content["since"]], content["headline"])}
      <p>{e(content["pace"])}</p>
      <h2>For the board's attention</h2><ul>{alerts}</ul>
      <div class="break"><h1>Fundraising pace</h1>{svg("pace")}
      <h2>Funders</h2>{svg("funders")}</div>
      <div class="break"><h1>Learning</h1>
      {table(["Date", "Finding", "Source", "Theme"], content["learning"]["rows"])}</div>
    </body></html>"""
    pdf = weasyprint.HTML(string=page).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def with_reportlab(content: dict[str, Any], charts: dict[str, str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table
    from reportlab.platypus.flowables import KeepInFrame
    from svglib.svglib import svg2rlg

    # The built-in Times/Helvetica are never embedded: a TrueType font must be registered.
    pdfmetrics.registerFont(TTFont("Serif", SERIF))
    pdfmetrics.registerFont(TTFont("Serif-Bold", SERIF_BOLD))
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = (
            "Serif-Bold" if "Heading" in style.name or "Title" in style.name else "Serif"
        )
    body = styles["BodyText"]
    e = html.escape  # Paragraph reads <b>, <font>, &amp;...: staff text must be escaped by hand

    def para(text: str) -> Paragraph:
        return Paragraph(e(text), body)

    def table(head: list[str], rows: list[list[str]]) -> Table:
        return Table([[para(h) for h in head]] + [[para(c) for c in r] for r in rows])

    def chart(name: str) -> KeepInFrame:
        drawing = svg2rlg(io.StringIO(charts[name]))
        scale = (A4[0] - 36 * mm) / drawing.width
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
        return KeepInFrame(A4[0] - 36 * mm, A4[1] / 2, [drawing])

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont("Serif", 8)
        canvas.drawString(18 * mm, 10 * mm, content["footer"])
        canvas.drawRightString(
            A4[0] - 18 * mm, 10 * mm, f"Page {doc.page}"
        )  # "of N" needs 2 passes

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm)
    story = [
        Paragraph("Board pack", styles["Title"]),
        para(content["subtitle"]),
        table(["Figure", "Now", "Since " + content["since"]], content["headline"]),
        para(content["pace"]),
        Paragraph("For the board's attention", styles["Heading2"]),
        *[para(a) for a in content["alerts"]],
        PageBreak(),
        Paragraph("Fundraising pace", styles["Heading1"]),
        chart("pace"),
        Paragraph("Funders", styles["Heading2"]),
        chart("funders"),
        PageBreak(),
        Paragraph("Learning", styles["Heading1"]),
        table(["Date", "Finding", "Source", "Theme"], content["learning"]["rows"]),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


ENGINES: dict[str, tuple[Callable[[dict[str, Any], dict[str, str]], bytes], str, str]] = {
    # name: (renderer, modules it imports, PyPI distributions it needs)
    "typst": (with_typst, "typst", "typst"),
    "WeasyPrint": (with_weasyprint, "weasyprint", "weasyprint"),
    "reportlab + svglib": (with_reportlab, "reportlab.platypus, svglib.svglib", "reportlab svglib"),
}
APT_NEEDS = {"WeasyPrint": "libpango-1.0-0 libpangoft2-1.0-0 (pango, harfbuzz, fontconfig)"}


def inspect(pdf: bytes) -> dict[str, Any]:
    """Pages, fonts embedded or not, raster images, and whether the staff cell is intact."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    embedded = missing = images = 0
    for page in reader.pages:
        images += len(page.images)
        for font in _fonts(page["/Resources"].get_object()):
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            has = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            embedded, missing = embedded + has, missing + (not has)
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    return {
        "pages": len(reader.pages),
        "fonts": f"{embedded} embedded, {missing} not",
        "images": images,
        "staff text intact": "yes" if STAFF in text else "NO",
    }


def _fonts(resources: Any) -> list[Any]:
    found = [f.get_object() for f in resources.get("/Font", {}).values()]
    for xobject in resources.get("/XObject", {}).values():
        inner = xobject.get_object().get("/Resources")
        if inner is not None:
            found += _fonts(inner.get_object())
    return found


def import_seconds(modules: str) -> float:
    """Importing the engine in a new Python process (what every cron run pays)."""
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def installed_mb(names: str) -> float:
    """Installed size of the distributions and everything they require (extras left out)."""
    seen: set[str] = set()
    todo = [n.lower() for n in names.split()]
    total = 0
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        total += sum((f.size or 0) for f in dist.files or [])
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0].lower())
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep each engine's PDF in this folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        book = write_sample(Path(folder) / "sample.xlsx")
        url = f"sqlite:///{Path(folder) / 'cii.sqlite'}"
        sync.run(WorkbookSource(book), url, AS_OF)
        out = Path(folder) / "pack.pdf"
        cli = str(Path(sys.executable).with_name("cii-sheets"))
        command = [cli, "board-pack", "--out", str(out), "--store", url, "--as-of", str(AS_OF)]
        runs = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            runs.append(time.perf_counter() - start)

        now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
        since = board_pack.default_since(AS_OF)
        read, stored = timed(lambda: board_pack.read_store(url), args.repeats)
        gather, content = timed(
            lambda: board_pack.pack_content(stored, AS_OF, since, now), args.repeats
        )
        draw, charts = timed(lambda: board_pack.pack_charts(stored, AS_OF), args.repeats)
        typeset, pdf = timed(lambda: board_pack.render(content, charts, now), args.repeats)

    print(f"The sample's board pack ({len(pdf):,} bytes, medians of {args.repeats})\n")
    print("| step | seconds |")
    print("|---|---:|")
    print(
        f"| `cii-sheets board-pack` as a new process, end to end | {statistics.median(runs):.2f} |"
    )
    for label, seconds in (
        ("read the store", read),
        ("gather the figures", gather),
        ("3 charts: altair -> vl-convert SVG", draw),
        ("typeset with typst", typeset),
    ):
        print(f"| {label} (warm, in one process) | {seconds:.3f} |")

    content = {**content, "learning": {**content["learning"]}}
    content["learning"]["rows"] = [["1 Jun 2026", STAFF, "Advisory Panel", ""]]
    charts = {k: charts[k] for k in ("pace", "funders", "timeline")}
    print("\nThe same content in three typesetters\n")
    head = (
        "| engine | seconds (warm) | import (s) | pages | bytes | fonts | raster images "
        "| staff cell as written | installed (MB, PyPI) | also from apt |"
    )
    print(head)
    print("|---|---:|---:|---:|---:|---|---:|---|---:|---|")
    for name, (render, module, dists) in ENGINES.items():
        try:
            for part in module.split(", "):
                __import__(part)
        except (ImportError, OSError) as exc:  # WeasyPrint raises OSError without pango
            print(f"| {name} | not installed: {exc.__class__.__name__} | | | | | | | | |")
            continue
        seconds, pdf = timed(lambda r=render: r(content, charts), args.repeats)
        found = inspect(pdf)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"{module.split('.')[0]}.pdf").write_bytes(pdf)
        print(
            f"| {name} | {seconds:.3f} | {import_seconds(module):.2f} | {found['pages']} "
            f"| {len(pdf):,} | {found['fonts']} | {found['images']} "
            f"| {found['staff text intact']} | {installed_mb(dists):.0f} "
            f"| {APT_NEEDS.get(name, 'nothing')} |"
        )
    print(
        f"\nCharts: vl-convert-python adds {installed_mb('vl-convert-python'):.0f} MB; "
        f"import {import_seconds('vl_convert'):.2f} s."
    )


if __name__ == "__main__":
    main()
