"""People: codes by number, search, deactivate versus purge, cards with one holder."""

from __future__ import annotations

import base64

from rm365_enrollment.models import CodeCounter
from sqlalchemy import select

BASE = "/api/v1/enrollment"


def test_codes_are_numbered_from_emp001(people):
    first, second = people.create("A"), people.create("B")
    assert (first["employee_code"], second["employee_code"]) == ("EMP001", "EMP002")
    assert first["status"] == "active" and first["fingerprints"] == [] and first["card_uid"] is None


def test_emp1000_follows_emp999_and_sorts_after_it(site, people):
    with site.kernel.databases.session("attendance") as session:
        session.add(CodeCounter(id=1, last_number=998))
    a, b = people.create("Nine"), people.create("Thousand")
    assert (a["employee_code"], b["employee_code"]) == ("EMP999", "EMP1000")
    codes = [p["employee_code"] for p in people.client.get(f"{BASE}/employees").json()["items"]]
    assert codes == ["EMP999", "EMP1000"]


def test_codes_are_never_reused_after_a_purge(site, people):
    admin = site.admin_client()
    person = people.create("Gone")
    assert admin.delete(f"{BASE}/employees/{person['id']}", params={"purge": "true"}).status_code == 200
    assert people.create("Next")["employee_code"] == "EMP002"


def test_list_searches_and_filters(people):
    people.create("Ada Lovelace", location="Shop")
    bob = people.create("Bob Stone", location="Warehouse", kind="student")
    people.client.delete(f"{BASE}/employees/{bob['id']}")
    page = people.client.get(f"{BASE}/employees", params={"q": "love"}).json()
    assert [p["name"] for p in page["items"]] == ["Ada Lovelace"] and page["total"] == 1
    assert set(page) >= {"items", "total", "page", "size"}
    assert people.client.get(f"{BASE}/employees", params={"status": "inactive"}).json()["total"] == 1
    assert people.client.get(f"{BASE}/employees", params={"location": "Shop"}).json()["total"] == 1
    assert people.client.get(f"{BASE}/employees", params={"q": "EMP2"}).json()["items"][0]["name"] == "Bob Stone"
    assert people.client.get(f"{BASE}/employees", params={"code": "emp002"}).json()["total"] == 1
    assert people.client.get(f"{BASE}/locations").json() == ["Shop", "Warehouse"]


def test_patch_changes_fields(people):
    person = people.create("Ada")
    response = people.client.patch(f"{BASE}/employees/{person['id']}", json={"name": "Ada L", "location": "Shop"})
    assert response.status_code == 200 and response.json()["name"] == "Ada L"
    assert people.client.patch(f"{BASE}/employees/{person['id']}", json={"kind": "robot"}).status_code == 422


def test_unknown_person_is_404(people):
    response = people.client.get(f"{BASE}/employees/999")
    assert response.status_code == 404 and "999" in response.json()["detail"]


def test_card_uid_is_normalised(people):
    person = people.create()
    response = people.card(person["id"], "04:a1 b2-c3")
    assert response.status_code == 200 and response.json()["card_uid"] == "04A1B2C3"
    assert people.card(person["id"], "not hex!").status_code == 422


def test_a_card_held_by_someone_else_is_409_naming_the_holder(people):
    ada, bob = people.create("Ada"), people.create("Bob")
    assert people.card(ada["id"], "04A1B2C3").status_code == 200
    response = people.card(bob["id"], "04 a1 b2 c3")
    assert response.status_code == 409
    assert "Ada" in response.json()["detail"] and response.json()["holder_id"] == ada["id"]


def test_card_can_be_removed(people):
    person = people.create()
    people.card(person["id"], "AB12")
    assert people.client.delete(f"{BASE}/employees/{person['id']}/card").json()["card_uid"] is None


def test_delete_deactivates_and_releases_the_card(people):
    ada, bob = people.create("Ada"), people.create("Bob")
    people.card(ada["id"], "AB12")
    response = people.client.delete(f"{BASE}/employees/{ada['id']}")
    assert response.status_code == 200
    assert response.json()["status"] == "inactive" and response.json()["card_uid"] is None
    assert people.card(bob["id"], "AB12").status_code == 200


def test_purge_needs_an_admin(people):
    person = people.create()
    response = people.client.delete(f"{BASE}/employees/{person['id']}", params={"purge": "true"})
    assert response.status_code == 403
    assert people.get(person["id"])["status"] == "active"


def test_purge_erases_the_person_and_is_logged(site, people):
    from rm365_enrollment.models import Fingerprint, Purge

    person = people.create()
    people.client.put(
        f"{BASE}/employees/{person['id']}/fingerprints/left_thumb",
        json={"template": base64.b64encode(b"x" * 40).decode()},
    )
    admin = site.admin_client()
    response = admin.delete(f"{BASE}/employees/{person['id']}", params={"purge": "true"})
    assert response.status_code == 200 and response.json()["purged"] is True
    assert people.client.get(f"{BASE}/employees/{person['id']}").status_code == 404
    with site.kernel.databases.session("attendance", readonly=True) as session:
        assert session.scalars(select(Fingerprint)).all() == []
        log = session.scalars(select(Purge)).one()
        assert log.employee_code == "EMP001" and log.by == admin.username


def test_routes_need_the_tab(site):
    client = site.client_with_tabs("attendance.kiosk")
    assert client.get(f"{BASE}/employees").status_code == 403
    card_only = site.client_with_tabs("enrollment.card")
    assert card_only.get(f"{BASE}/employees").status_code == 200
    assert card_only.post(f"{BASE}/employees", json={"name": "X"}).status_code == 403
