"""Fingerprints: metadata only in answers, templates encrypted at rest, never in an answer
or a log line; fingers by name; the key generated into the data folder when unset."""

from __future__ import annotations

import base64
import logging

from rm365_enrollment.models import Fingerprint
from sqlalchemy import select

BASE = "/api/v1/enrollment"
TEMPLATE = b"\x01\x02MINUTIAE-OF-ADA" * 20
B64 = base64.b64encode(TEMPLATE).decode()


def put(people, employee_id, finger="right_index", template=B64):
    return people.client.put(
        f"{BASE}/employees/{employee_id}/fingerprints/{finger}", json={"template": template, "format": "iso19794-2"}
    )


def test_enrolled_fingers_are_listed_without_templates(people):
    person = people.create()
    response = put(people, person["id"])
    assert response.status_code == 200
    assert [f["finger"] for f in response.json()["fingerprints"]] == ["right_index"]
    assert B64 not in response.text and "template" not in response.text
    listing = people.client.get(f"{BASE}/employees").text
    assert B64 not in listing and "template" not in listing


def test_templates_are_encrypted_at_rest(site, people):
    person = people.create()
    put(people, person["id"])
    with site.kernel.databases.session("attendance", readonly=True) as session:
        stored = session.scalars(select(Fingerprint.template_encrypted)).one()
    assert TEMPLATE not in stored and B64.encode() not in stored
    assert (site.kernel.settings.data_dir / "enrollment_template_key").exists()
    service = site.kernel.services.get("enrollment.people")
    assert service.cipher.decrypt(stored) == TEMPLATE


def test_no_log_line_carries_a_template(people, caplog):
    caplog.set_level(logging.DEBUG)
    person = people.create()
    put(people, person["id"])
    put(people, person["id"], template="!!not base64!!")
    assert B64 not in caplog.text


def test_a_bad_template_error_does_not_echo_it(people):
    person = people.create()
    response = put(people, person["id"], template="!!not base64!!")
    assert response.status_code == 422 and "!!not base64!!" not in response.text


def test_unknown_finger_is_404(people):
    person = people.create()
    assert put(people, person["id"], finger="left_toe").status_code == 404


def test_delete_a_finger(people):
    person = people.create()
    put(people, person["id"], "left_thumb")
    put(people, person["id"], "right_thumb")
    response = people.client.delete(f"{BASE}/employees/{person['id']}/fingerprints/left_thumb")
    assert [f["finger"] for f in response.json()["fingerprints"]] == ["right_thumb"]
    assert people.client.delete(f"{BASE}/employees/{person['id']}/fingerprints/left_thumb").status_code == 404


def test_templates_for_sync_are_decrypted_for_active_people_only(site, people):
    ada, bob = people.create("Ada"), people.create("Bob")
    put(people, ada["id"])
    put(people, bob["id"], "left_index")
    people.client.delete(f"{BASE}/employees/{bob['id']}")
    service = site.kernel.services.get("enrollment.people")
    with site.kernel.databases.session("attendance", readonly=True) as session:
        templates = service.templates_for_sync(session)
    assert templates == [{"employee_code": "EMP001", "finger": "right_index", "template": B64}]


def test_key_rotation_reencrypts(site, people, monkeypatch):
    from cryptography.fernet import Fernet
    from rm365_enrollment.crypto import TemplateCipher
    from rm365_enrollment.settings import EnrollmentSettings

    person = people.create()
    put(people, person["id"])
    service = site.kernel.services.get("enrollment.people")
    old_key = (site.kernel.settings.data_dir / "enrollment_template_key").read_text().strip()
    new_key = Fernet.generate_key().decode()
    service._cipher = TemplateCipher(
        EnrollmentSettings(template_key=new_key, old_template_keys=[old_key]), site.kernel.settings.data_dir
    )
    with site.kernel.databases.session("attendance") as session:
        assert service.rotate_key(session) == 1
    with site.kernel.databases.session("attendance", readonly=True) as session:
        stored = session.scalars(select(Fingerprint.template_encrypted)).one()
    assert Fernet(new_key).decrypt(stored) == TEMPLATE


def test_scan_without_an_online_device_is_a_clear_409_or_404(people):
    person = people.create()
    response = people.client.post(f"{BASE}/employees/{person['id']}/card/scan", json={"device_id": 999})
    assert response.status_code in (404, 409) and response.json()["detail"]
