"""Corrections need a reason and keep who, when, before and after; the periodic job closes
check-ins left open past the maximum shift, marked automatic."""

from __future__ import annotations

from datetime import UTC, datetime

BASE = "/api/v1/attendance"


def test_add_a_missing_event_with_a_reason(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    response = desk.client.post(
        f"{BASE}/events",
        json={
            "employee_id": ada["id"],
            "at": "2026-03-02T16:00:00Z",
            "direction": "out",
            "reason": "forgot to clock out",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["corrected"] is True and response.json()["source"] == "correction"
    assert desk.get("/work-hours", employee_id=ada["id"])["items"][0]["worked_hours"] == 8.0
    audit = desk.get("/corrections")["items"][0]
    assert audit["action"] == "add" and audit["reason"] == "forgot to clock out"
    assert audit["by"] == desk.client.username and audit["before"] is None and audit["after"]["direction"] == "out"


def test_a_correction_without_a_reason_is_refused(desk):
    ada = desk.person()
    event = desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    del event
    row = desk.get("/logs")["items"][0]
    assert desk.client.patch(f"{BASE}/events/{row['id']}", json={"at": "2026-03-02T08:05:00Z"}).status_code == 422
    assert desk.client.patch(f"{BASE}/events/{row['id']}", json={"reason": "  "}).status_code == 422
    assert desk.client.delete(f"{BASE}/events/{row['id']}").status_code == 422


def test_edit_keeps_before_and_after_and_recomputes_hours(desk):
    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    desk.clocked(ada["id"], "2026-03-02T17:00:00Z")
    out = desk.get("/logs")["items"][0]
    response = desk.client.patch(
        f"{BASE}/events/{out['id']}", json={"at": "2026-03-02T16:00:00Z", "reason": "left at four"}
    )
    assert response.status_code == 200 and response.json()["corrected"] is True
    assert desk.get("/work-hours")["items"][0]["worked_hours"] == 8.0
    audit = desk.get("/corrections")["items"][0]
    assert audit["before"]["at"].startswith("2026-03-02T17:00") and audit["after"]["at"].startswith("2026-03-02T16:00")


def test_delete_an_event_rederives_the_toggle(desk):
    ada = desk.person()
    for at in ("2026-03-02T08:00:00Z", "2026-03-02T08:05:00Z", "2026-03-02T17:00:00Z"):
        desk.clocked(ada["id"], at)
    mistaken = [r for r in desk.get("/logs")["items"] if r["at"] == "2026-03-02T08:05:00Z"][0]
    response = desk.client.delete(f"{BASE}/events/{mistaken['id']}", params={"reason": "double tap"})
    assert response.status_code == 200
    rows = sorted(desk.get("/logs")["items"], key=lambda r: r["at"])
    assert [r["direction"] for r in rows] == ["in", "out"]
    assert desk.get("/corrections")["items"][0]["action"] == "delete"


def test_corrections_need_the_manual_tab(site, desk):
    viewer = site.client_with_tabs("attendance.logs")
    ada = desk.person()
    response = viewer.post(
        f"{BASE}/events",
        json={"employee_id": ada["id"], "at": "2026-03-02T16:00:00Z", "direction": "out", "reason": "x"},
    )
    assert response.status_code == 403


def test_the_job_closes_check_ins_left_open_past_the_maximum_shift(site, desk):
    ada, bob = desk.person("Ada"), desk.person("Bob")
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    desk.clocked(bob["id"], "2026-03-02T08:00:00Z")
    desk.clocked(bob["id"], "2026-03-02T16:00:00Z")
    service = site.kernel.services.get("attendance.clock")
    with site.kernel.databases.session("attendance") as session:
        result = service.close_open_checkins(session, now=datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert result == {"closed": 1, "flagged": 0}
    closing = desk.get("/logs", employee_id=ada["id"])["items"][0]
    assert closing["automatic"] is True and closing["direction"] == "out" and closing["at"] == "2026-03-02T16:00:00Z"
    assert desk.get("/corrections")["items"][0]["action"] == "auto-close"
    assert desk.get("/work-hours", employee_id=ada["id"])["items"][0]["worked_hours"] == 8.0


def test_the_job_runs_as_a_kernel_job(site, desk):
    from rm365_attendance.jobs import close_open_checkins

    ada = desk.person()
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    assert close_open_checkins(site.kernel, lambda *a, **k: None) == {"closed": 1, "flagged": 0}
    assert close_open_checkins(site.kernel, lambda *a, **k: None) == {"closed": 0, "flagged": 0}


def test_flag_mode_marks_for_review(rm365_site, monkeypatch):
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", "0")
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_ACTION", "flag")
    site = rm365_site(plugins=["enrollment", "attendance"])
    client = site.client_with_tabs("enrollment", "attendance")
    person = client.post("/api/v1/enrollment/employees", json={"name": "Ada"}).json()
    client.post(f"{BASE}/clock", json={"employee_id": person["id"], "at": "2026-03-02T08:00:00Z"})
    with site.kernel.databases.session("attendance") as session:
        result = site.kernel.services.get("attendance.clock").close_open_checkins(session)
    assert result == {"closed": 0, "flagged": 1}
    assert client.get(f"{BASE}/logs").json()["items"][0]["needs_review"] is True


def test_the_job_is_periodic_and_runs_through_the_kernel(rm365_site, monkeypatch):
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", "0")
    site = rm365_site(plugins=["enrollment", "attendance"])
    client = site.client_with_tabs("enrollment", "attendance")
    person = client.post("/api/v1/enrollment/employees", json={"name": "Ada"}).json()
    client.post(f"{BASE}/clock", json={"employee_id": person["id"], "at": "2026-03-02T08:00:00Z"})
    from datetime import timedelta

    from rm365_attendance.jobs import close_open_checkins

    from rm365_core import Job

    site.kernel.jobs.add(
        Job(name="close-open-checkins", func=close_open_checkins, every=timedelta(minutes=15), tab="attendance.manual"),
        owner="attendance",
    )
    run = site.kernel.jobs.run_now("attendance.close-open-checkins")
    assert run.as_dict()["result"] == {"closed": 1, "flagged": 0}


def test_the_job_is_registered_every_fifteen_minutes_by_default(rm365_site, monkeypatch):
    monkeypatch.delenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", raising=False)
    from rm365_attendance.plugin import register_jobs

    (job,) = register_jobs()
    assert job.every is not None and job.every.total_seconds() == 900
