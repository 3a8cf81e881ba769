"""Barcode symbols as vector drawing operators: Code128 and EAN-13 (python-barcode's encoders)
and QR (segno's encoder). Each symbol is encoded once per process (cached) and turned into PDF
rectangle operators in module units, bars and QR modules merged into as few rectangles as
possible, so drawing one is a transform plus one literal string: no images, no files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import barcode
import segno

CODE128, EAN13, QR = "code128", "ean13", "qr"
#: ``auto``: EAN-13 when the value is a valid EAN-13, otherwise Code128.
AUTO = "auto"
SYMBOLOGIES = (CODE128, EAN13, QR, AUTO)
#: Quiet zones in modules either side of a linear symbol, and around a QR code.
LINEAR_QUIET = 10
QR_QUIET = 2
_DARK_RUN = re.compile(rb"[^\x00]+")


@dataclass(frozen=True)
class Symbol:
    """An encoded symbol: ``width`` × ``height`` modules (height 1 for a linear code, whose
    bars are drawn stretched), ``ops`` the PDF fill operators drawing its dark modules."""

    kind: str
    value: str
    width: int
    height: int
    ops: str
    text: str  # the human-readable text printed under a linear code


def valid_ean13(value: str) -> bool:
    """13 digits whose last is the EAN check digit."""
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        return False
    digits = [int(c) for c in value]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    return check == digits[12]


def symbology_for(kind: str, value: str) -> str:
    """The symbology a template's choice gives for ``value``."""
    if kind == AUTO:
        return EAN13 if valid_ean13(value) else CODE128
    if kind == EAN13 and not valid_ean13(value):
        return CODE128
    return kind


def _runs_ops(modules: str) -> str:
    """``x 0 w 1 re`` for each run of dark modules, then a fill."""
    ops: list[str] = []
    x, n = 0, len(modules)
    while x < n:
        if modules[x] == "1":
            start = x
            while x < n and modules[x] == "1":
                x += 1
            ops.append(f"{start} 0 {x - start} 1 re")
        else:
            x += 1
    return " ".join(ops) + " f"


def _qr_ops(matrix: Sequence[bytes | bytearray]) -> str:
    """Dark modules (any non-zero byte) merged into rectangles: runs along each row, then runs
    that repeat on the rows below joined into one taller rectangle. Row 0 is the top (PDF y
    grows upwards)."""
    size = len(matrix)
    open_runs: dict[tuple[int, int], int] = {}  # (x0, x1) -> first row
    rects: list[tuple[int, int, int, int]] = []
    for y in range(size + 1):
        runs = {m.span() for m in _DARK_RUN.finditer(matrix[y])} if y < size else set()
        for run in [r for r in open_runs if r not in runs]:
            top = open_runs.pop(run)
            rects.append((run[0], top, run[1] - run[0], y - top))
        for run in runs:
            if run not in open_runs:
                open_runs[run] = y
    rects.sort()
    return " ".join([f"{x} {size - top - h} {w} {h} re" for x, top, w, h in rects]) + " f"


def encoding_problem(kind: str, value: str) -> str | None:
    """Why ``value`` cannot be drawn in symbology ``kind`` (cheaply, without encoding it), or
    None. QR takes any text; Code128 (and ``auto`` or EAN-13 falling back to it) printable ASCII."""
    if not value:
        return "the code is empty"
    if symbology_for(kind, value) == CODE128 and not (value.isascii() and value.isprintable()):
        return "Code128 takes printable ASCII only"
    return None


@lru_cache(maxsize=8192)
def encode(kind: str, value: str) -> Symbol:
    """The symbol for ``value`` in symbology ``kind`` (``auto`` resolved). Raises ValueError
    when ``value`` cannot be encoded."""
    kind = symbology_for(kind, value)
    if kind == QR:
        # A fixed mask: every mask is valid and scans from clean vector modules, and choosing
        # the "best" one (scoring all eight) costs five times the encoding itself.
        qr = segno.make_qr(value, error="m", mask=0, boost_error=False)
        matrix = qr.matrix
        return Symbol(QR, value, len(matrix), len(matrix), _qr_ops(matrix), value)
    if kind == EAN13:
        code = barcode.get_barcode_class("ean13")(value[:12])
        modules = "".join(code.build())
        return Symbol(EAN13, value, len(modules), 1, _runs_ops(modules), code.get_fullcode())
    if not value or not value.isascii() or not value.isprintable():
        raise ValueError(f"Code128 needs printable ASCII, not {value!r}")
    modules = "".join(barcode.get_barcode_class("code128")(value).build())
    return Symbol(CODE128, value, len(modules), 1, _runs_ops(modules), value)
