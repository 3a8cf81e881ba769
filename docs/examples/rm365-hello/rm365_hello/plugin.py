# rm365_hello/plugin.py  (entry point: hello = "rm365_hello.plugin")
from fastapi import APIRouter, Depends
from rm365_core import Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("hello"))])

@router.get("/ping")
def ping() -> dict:
    return {"pong": True}

@hookimpl
def register_routes():
    return router          # mounted at /api/v1/hello (the entry point's name)

@hookimpl
def register_tabs():
    return [Tab(id="hello", title="Hello")]
