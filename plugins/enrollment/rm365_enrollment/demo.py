"""Demonstration people: about 25 with cards, across three locations (idempotent)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .models import Employee
from .service import DATABASE, PeopleService

DEMO_PEOPLE = [
    ("Aisha Khan", "Warehouse"),
    ("Ben Carter", "Warehouse"),
    ("Chloe Evans", "Warehouse"),
    ("Daniel Hughes", "Warehouse"),
    ("Ella Morris", "Warehouse"),
    ("Farid Rahman", "Warehouse"),
    ("Grace Patel", "Warehouse"),
    ("Harry Wilson", "Warehouse"),
    ("Isla Roberts", "Warehouse"),
    ("Jack Thompson", "Night shift"),
    ("Kasia Nowak", "Night shift"),
    ("Liam Walsh", "Night shift"),
    ("Maya Singh", "Night shift"),
    ("Noah Green", "Night shift"),
    ("Olivia Turner", "Shop"),
    ("Priya Shah", "Shop"),
    ("Quinn Baker", "Shop"),
    ("Rosa Garcia", "Shop"),
    ("Sam Lewis", "Shop"),
    ("Tom Price", "Office"),
    ("Uma Das", "Office"),
    ("Victor Reid", "Office"),
    ("Will Ahmed", "Warehouse"),
    ("Yasmin Ali", "Shop"),
    ("Zoe Clarke", "Office"),
]


def seed(kernel: Any) -> None:
    service = kernel.services.get("enrollment.people") or PeopleService(kernel)
    with kernel.databases.session(DATABASE) as session:
        if session.scalar(select(func.count()).select_from(Employee)):
            return
        for index, (name, location) in enumerate(DEMO_PEOPLE, 1):
            kind = "student" if index in (8, 18) else "employee"
            service.create(session, name=name, kind=kind, location=location, card_uid=f"04A1{index:04X}C3")
