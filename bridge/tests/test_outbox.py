"""The offline queue: durable, oldest first, each id settled once."""

from __future__ import annotations

from datetime import UTC, datetime

from rm365_bridge.outbox import Outbox


def test_events_survive_a_reopen_in_the_order_they_were_queued(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    ids = [outbox.put("card.read", {"uid": f"C{i}"}) for i in range(3)]
    outbox.close()

    reopened = Outbox(tmp_path / "q.sqlite3")

    assert [e["id"] for e in reopened.batch()] == ids
    assert [e["data"]["uid"] for e in reopened.batch()] == ["C0", "C1", "C2"]


def test_an_event_keeps_the_time_it_happened(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    when = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)

    outbox.put("card.read", {"uid": "A"}, occurred_at=when)

    assert datetime.fromisoformat(outbox.batch()[0]["occurred_at"]) == when


def test_settling_removes_delivered_keeps_retries_and_dead_letters_rejected(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")
    a, b, c, d = (outbox.put("card.read", {"uid": uid}) for uid in "ABCD")

    counts = outbox.settle(
        [
            {"id": a, "status": "accepted"},
            {"id": b, "status": "duplicate"},
            {"id": c, "status": "rejected", "error": "card C is not registered"},
            {"id": d, "status": "retry"},
        ]
    )

    assert counts == {"delivered": 2, "rejected": 1, "kept": 1}
    assert [e["id"] for e in outbox.batch()] == [d]
    assert [(x["id"], x["error"]) for x in outbox.dead_letters()] == [(c, "card C is not registered")]
    assert outbox.get("last_delivery") is not None


def test_a_cursor_is_stored_with_its_event(tmp_path):
    outbox = Outbox(tmp_path / "q.sqlite3")

    outbox.put("card.read", {"uid": "A"}, cursor=("simulated.offset:/x", "42"))

    assert outbox.get("simulated.offset:/x") == "42" and len(outbox) == 1
