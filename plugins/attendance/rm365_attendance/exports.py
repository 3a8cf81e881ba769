"""CSV and PDF forms of the reports (times in the site's zone)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from rm365_core import DomainError

#: A PDF is for reading and printing; larger exports are CSV.
MAX_PDF_ROWS = 10_000

HOURS_COLUMNS = [
    "employee_code",
    "name",
    "date",
    "first_in",
    "last_out",
    "worked_hours",
    "break_hours",
    "sessions",
    "late_minutes",
    "overtime_hours",
]
LOG_COLUMNS = ["id", "employee_code", "name", "local_time", "direction", "source", "device", "corrected"]


def _cell(value: Any, zone: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        return "'" + value if value[:1] in ("=", "+", "-", "@") and not _number(value) else value
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(" ", "minutes")[:16]
    return str(value)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(rows: Iterable[dict[str, Any]], columns: list[str], zone: Any) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows):
        writer.writerow([_cell(row.get(c), zone) for c in columns])
        if count % 5000 == 0:  # each chunk is a hop to the server's thread pool
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def hours_pdf(rows: list[dict[str, Any]], zone: Any, title: str, totals: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if len(rows) > MAX_PDF_ROWS:
        raise DomainError(
            422, f"{len(rows)} rows is too many for a PDF (at most {MAX_PDF_ROWS}): narrow the dates or export CSV"
        )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title, leftMargin=24, rightMargin=24)
    styles = getSampleStyleSheet()
    header = [
        "Code",
        "Name",
        "Date",
        "First in",
        "Last out",
        "Worked h",
        "Break h",
        "Sessions",
        "Late min",
        "Overtime h",
    ]
    data = [header]
    for row in rows:
        data.append(
            [
                row["employee_code"],
                row["name"][:40],
                str(row["date"]),
                row["first_in"].astimezone(zone).strftime("%H:%M"),
                row["last_out"].astimezone(zone).strftime("%H:%M") if row["last_out"] else "open",
                f"{row['worked_hours']:.2f}",
                f"{row['break_hours']:.2f}",
                str(row["sessions"]),
                str(row["late_minutes"]),
                f"{row['overtime_hours']:.2f}",
            ]
        )
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f2937")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f4f6")]),
                ("ALIGN", (5, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    summary = (
        f"{totals['days']} person-days, {totals['worked_hours']:.2f} h worked (breaks subtracted), "
        f"{totals['break_hours']:.2f} h of breaks"
    )
    doc.build([Paragraph(title, styles["Title"]), Paragraph(summary, styles["Normal"]), Spacer(1, 8), table])
    return buffer.getvalue()
