"""Reports on a hand-computed fixture: a day with two breaks, a night shift over the DST
change, lateness and overtime against the standard day, status, counts, CSV and PDF."""

from __future__ import annotations

import csv
import io

import pytest

BASE = "/api/v1/attendance"

# 2 March (GMT): three sessions, two breaks (15 and 30 minutes).
TWO_BREAKS = [
    "2026-03-02T08:00:00Z",
    "2026-03-02T10:00:00Z",
    "2026-03-02T10:15:00Z",
    "2026-03-02T12:30:00Z",
    "2026-03-02T13:00:00Z",
    "2026-03-02T17:30:00Z",
]
# Night of 28/29 March: 22:00 GMT to 06:00 BST is 7 hours (clocks go forward at 01:00).
DST_NIGHT = ["2026-03-28T22:00:00Z", "2026-03-29T05:00:00Z"]
# 1 April (BST): 09:20 to 17:00 local, 20 minutes late.
LATE_DAY = ["2026-04-01T08:20:00Z", "2026-04-01T16:00:00Z"]


@pytest.fixture
def ada(desk):
    person = desk.person("Ada Lovelace", location="Shop")
    for at in TWO_BREAKS + DST_NIGHT + LATE_DAY:
        desk.clocked(person["id"], at)
    return person


def test_work_hours_sum_sessions_and_subtract_breaks(desk, ada):
    page = desk.get("/work-hours", employee_id=ada["id"])
    days = {row["date"]: row for row in page["items"]}
    assert list(days) == ["2026-03-02", "2026-03-28", "2026-04-01"]
    march = days["2026-03-02"]
    assert (march["worked_hours"], march["break_hours"], march["sessions"]) == (8.75, 0.75, 3)
    assert (march["first_in"], march["last_out"]) == ("2026-03-02T08:00:00Z", "2026-03-02T17:30:00Z")
    assert (march["late_minutes"], march["overtime_hours"]) == (0, 0.75)
    assert page["worked_hours"] == 8.75 + 7 + 7.67 and page["total"] == 3


def test_a_night_shift_over_the_dst_change_belongs_to_the_day_it_started(desk, ada):
    night = desk.get("/work-hours", employee_id=ada["id"], **{"from": "2026-03-28", "to": "2026-03-29"})["items"]
    assert [(r["date"], r["worked_hours"], r["break_hours"]) for r in night] == [("2026-03-28", 7.0, 0.0)]


def test_lateness_is_against_the_local_standard_start(desk, ada):
    late = desk.get("/work-hours", employee_id=ada["id"], **{"from": "2026-04-01", "to": "2026-04-01"})["items"][0]
    assert (late["late_minutes"], late["worked_hours"], late["overtime_hours"]) == (20, 7.67, 0)


def test_reports_filter_by_location_and_name(desk, ada):
    bob = desk.person("Bob Stone", location="Warehouse")
    desk.clocked(bob["id"], "2026-03-02T09:00:00Z")
    assert desk.get("/work-hours", location="Warehouse")["total"] == 1
    assert desk.get("/logs", q="stone")["total"] == 1
    assert desk.get("/logs", q="ada", **{"from": "2026-03-02", "to": "2026-03-02"})["total"] == 6


def test_logs_are_newest_first_with_source(desk, ada):
    rows = desk.get("/logs", employee_id=ada["id"])["items"]
    assert rows[0]["at"] == "2026-04-01T16:00:00Z" and rows[0]["direction"] == "out"
    assert rows[0]["source"] == "manual" and rows[0]["corrected"] is False


def test_work_hours_csv_has_breaks_subtracted(desk, ada):
    response = desk.client.get(f"{BASE}/work-hours.csv", params={"employee_id": ada["id"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["date"] == "2026-03-02" and rows[0]["worked_hours"] == "8.75" and rows[0]["break_hours"] == "0.75"
    assert rows[0]["first_in"] == "2026-03-02 08:00"


def test_logs_csv_is_in_local_time(desk, ada):
    response = desk.client.get(f"{BASE}/logs.csv", params={"from": "2026-04-01", "to": "2026-04-01"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["local_time"][:16] for r in rows] == ["2026-04-01T17:00", "2026-04-01T09:20"]


def test_work_hours_pdf(desk, ada):
    response = desk.client.get(f"{BASE}/work-hours.pdf", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_from_after_to_is_422(desk):
    response = desk.client.get(f"{BASE}/work-hours", params={"from": "2026-03-02", "to": "2026-03-01"})
    assert response.status_code == 422


def test_status_and_daily_stats_now(desk):
    ada, bob, cy = desk.person("Ada"), desk.person("Bob"), desk.person("Cy")
    desk.clocked(ada["id"], None)
    desk.client.post(
        f"{BASE}/events", json={"employee_id": bob["id"], "at": _minutes_ago(90), "direction": "in", "reason": "forgot"}
    )
    desk.client.post(
        f"{BASE}/events",
        json={"employee_id": bob["id"], "at": _minutes_ago(30), "direction": "out", "reason": "forgot"},
    )
    states = {row["name"]: row for row in desk.get("/status")["items"]}
    assert states["Ada"]["state"] == "in" and states["Ada"]["since"] is not None
    assert states["Bob"]["state"] == "out" and states["Bob"]["hours_today"] == 1.0 or _crossed_midnight()
    assert states["Cy"]["state"] == "absent" and states["Cy"]["since"] is None
    stats = desk.get("/daily-stats")
    assert stats["total"] == 3 and stats["checked_in"] == 1 and stats["absent"] + stats["checked_out"] == 2
    del cy


def _minutes_ago(minutes: int) -> str:
    from datetime import timedelta

    from rm365_core import utcnow

    return (utcnow() - timedelta(minutes=minutes)).isoformat()


def _crossed_midnight() -> bool:
    """Bob's hour may fall on yesterday's date when the test runs just after midnight."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from rm365_core import utcnow

    zone = ZoneInfo("Europe/London")
    return (utcnow() - timedelta(minutes=90)).astimezone(zone).date() != utcnow().astimezone(zone).date()


def test_a_night_shift_with_a_break_after_midnight_is_one_day(desk):
    jack = desk.person("Jack")
    for at in (
        "2026-03-02T22:00:00Z",
        "2026-03-03T02:00:00Z",
        "2026-03-03T02:30:00Z",
        "2026-03-03T06:00:00Z",
        "2026-03-03T22:00:00Z",
        "2026-03-04T06:00:00Z",
    ):
        desk.clocked(jack["id"], at)
    days = desk.get("/work-hours", employee_id=jack["id"])["items"]
    assert [(d["date"], d["worked_hours"], d["break_hours"], d["sessions"], d["late_minutes"]) for d in days] == [
        ("2026-03-02", 7.5, 0.5, 2, 0),
        ("2026-03-03", 8.0, 0.0, 1, 0),
    ]


def test_day_rows_agree_with_a_full_rebuild_after_late_events(site, desk):
    """The incremental day rows equal a recomputation from all events (the rule in one place)."""
    from rm365_attendance import engine
    from rm365_attendance.models import WorkDay
    from sqlalchemy import select

    ada = desk.person()
    times = [
        "2026-03-02T22:00:00Z",
        "2026-03-03T06:00:00Z",
        "2026-03-03T08:00:00Z",
        "2026-03-03T12:00:00Z",
        "2026-03-03T02:00:00Z",
        "2026-03-03T02:20:00Z",
        "2026-03-03T12:30:00Z",
        "2026-03-03T16:00:00Z",
    ]
    for at in times:
        desk.clocked(ada["id"], at)

    def rows():
        with site.kernel.databases.session("attendance", readonly=True) as session:
            return [
                (r.day, r.worked_seconds, r.break_seconds, r.sessions, r.open)
                for r in session.scalars(select(WorkDay).order_by(WorkDay.day))
            ]

    incremental = rows()
    service = site.kernel.services.get("attendance.clock")
    with site.kernel.databases.session("attendance") as session:
        engine.rebuild_all(session, [ada["id"]], service.settings.zone, service.max_shift)
    assert rows() == incremental
