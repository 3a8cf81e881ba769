"""The clocking rules: the toggle in time order across midnight, the duplicate window,
idempotent event ids, late and out-of-order events, unknown cards and inactive people."""

from __future__ import annotations

BASE = "/api/v1/attendance"


def directions(desk, employee_id):
    rows = desk.get("/logs", employee_id=employee_id)["items"]
    return [(r["at"][:16], r["direction"]) for r in sorted(rows, key=lambda r: r["at"])]


def test_first_clock_is_in_then_out(desk):
    ada = desk.person()
    first = desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    assert first == {
        "employee_id": ada["id"],
        "name": "Ada Lovelace",
        "direction": "in",
        "at": "2026-03-02T08:00:00Z",
        "duplicate": False,
    }
    assert desk.clocked(ada["id"], "2026-03-02T16:00:00Z")["direction"] == "out"


def test_night_shift_across_midnight_closes(desk):
    ada = desk.person()
    assert desk.clocked(ada["id"], "2026-03-02T22:00:00Z")["direction"] == "in"
    assert desk.clocked(ada["id"], "2026-03-03T06:00:00Z")["direction"] == "out"
    assert desk.clocked(ada["id"], "2026-03-03T22:00:00Z")["direction"] == "in"


def test_an_in_older_than_the_maximum_shift_starts_again(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")  # forgot to clock out
    assert desk.clocked(ada["id"], "2026-03-03T08:00:00Z")["direction"] == "in"


def test_a_repeat_within_the_window_is_a_duplicate_and_not_recorded(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    again = desk.clocked(ada["id"], "2026-03-02T08:00:20Z")
    assert again["duplicate"] is True and again["direction"] == "in"
    assert desk.get("/logs", employee_id=ada["id"])["total"] == 1
    assert desk.clocked(ada["id"], "2026-03-02T08:00:40Z")["direction"] == "out"


def test_an_event_id_seen_before_returns_the_original_answer(desk):
    ada = desk.person()
    first = desk.clocked(ada["id"], "2026-03-02T08:00:00Z", event_id="abc-1")
    retry = desk.clocked(ada["id"], "2026-03-02T12:00:00Z", event_id="abc-1")
    assert retry == first
    assert desk.get("/logs", employee_id=ada["id"])["total"] == 1


def test_late_out_of_order_events_come_out_in_time_order(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    desk.clocked(ada["id"], "2026-03-02T17:00:00Z")
    # A bridge that was offline reports the lunch break afterwards.
    assert desk.clocked(ada["id"], "2026-03-02T12:00:00Z")["direction"] == "out"
    desk.clocked(ada["id"], "2026-03-02T12:30:00Z")
    assert directions(desk, ada["id"]) == [
        ("2026-03-02T08:00", "in"),
        ("2026-03-02T12:00", "out"),
        ("2026-03-02T12:30", "in"),
        ("2026-03-02T17:00", "out"),
    ]
    day = desk.get("/work-hours", employee_id=ada["id"])["items"][0]
    assert (day["worked_hours"], day["break_hours"], day["sessions"]) == (8.5, 0.5, 2)


def test_clock_by_card_normalises_the_uid(desk):
    ada = desk.person(card="04A1B2C3")
    response = desk.clock(card_uid="04 a1:b2 c3")
    assert response.status_code == 200 and response.json()["employee_id"] == ada["id"]


def test_unknown_card_is_404_naming_it(desk):
    response = desk.clock(card_uid="DEADBEEF")
    assert response.status_code == 404 and "DEADBEEF" in response.json()["detail"]


def test_an_inactive_person_cannot_clock(desk):
    ada = desk.person()
    desk.client.delete(f"/api/v1/enrollment/employees/{ada['id']}")
    response = desk.clock(ada["id"])
    assert response.status_code == 409 and "inactive" in response.json()["detail"]


def test_deactivating_keeps_the_history(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    desk.client.delete(f"/api/v1/enrollment/employees/{ada['id']}")
    assert desk.get("/logs", employee_id=ada["id"])["total"] == 1
    assert desk.get("/work-hours", employee_id=ada["id"])["total"] == 1


def test_purge_erases_the_history(site, desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z", event_id="k1")
    desk.clocked(ada["id"], "2026-03-02T16:00:00Z")
    admin = site.admin_client()
    assert admin.delete(f"/api/v1/enrollment/employees/{ada['id']}", params={"purge": "true"}).status_code == 200
    from rm365_attendance.models import ClockEvent, ClockKey, WorkDay
    from sqlalchemy import func, select

    with site.kernel.databases.session("attendance", readonly=True) as session:
        for model in (ClockEvent, ClockKey, WorkDay):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_give_exactly_one_of_employee_and_card(desk):
    assert desk.clock().status_code == 422
    assert desk.clock(1, card_uid="AB").status_code == 422


def test_a_kiosk_clocks_by_card_only(site, desk):
    desk.person(card="AB12")
    kiosk = site.client_with_tabs("attendance.kiosk")
    assert kiosk.post(f"{BASE}/clock", json={"card_uid": "ab12"}).json()["direction"] == "in"
    assert kiosk.post(f"{BASE}/clock", json={"employee_id": 1}).status_code == 403
    assert kiosk.get(f"{BASE}/kiosk/recent").json()[0]["name"] == "Ada Lovelace"
    assert kiosk.get(f"{BASE}/logs").status_code == 403


def test_future_times_are_refused(desk):
    ada = desk.person()
    assert desk.clock(ada["id"], "2099-01-01T00:00:00Z").status_code == 422
