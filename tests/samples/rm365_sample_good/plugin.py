"""Hook implementations of the good sample: notes behind the ``good`` tab."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm365_core import Intent, Job, Tab, db_session, hookimpl, require_tab

from .models import Base, Note

router = APIRouter(dependencies=[Depends(require_tab("good"))])


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)


@router.get("/notes")
def list_notes(session: Session = Depends(db_session("samples", readonly=True))) -> list[dict]:
    return [{"id": n.id, "text": n.text} for n in session.scalars(select(Note).order_by(Note.id))]


@router.post("/notes", status_code=201, dependencies=[Depends(require_tab("good.write"))])
def add_note(body: NoteIn, session: Session = Depends(db_session("samples"))) -> dict:
    note = Note(text=body.text)
    session.add(note)
    session.commit()
    return {"id": note.id, "text": note.text}


def count_notes(kernel: Any, progress: Any) -> int:
    with kernel.databases.session("samples", readonly=True) as session:
        return len(session.scalars(select(Note.id)).all())


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(id="good", title="Good", module="/plugins/good/index.js"),
        Tab(id="good.write", title="Write notes"),
    ]


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_jobs() -> list[Job]:
    return [Job(name="count-notes", func=count_notes, tab="good")]


@hookimpl
def register_realtime() -> list[Intent]:
    return [Intent("good.ping", tab="good", handler=lambda principal, data, sid: {"ok": True})]
