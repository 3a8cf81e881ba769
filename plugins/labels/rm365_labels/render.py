"""Drawing labels into a PDF with reportlab: the shelf label layout (fitted name, date, line,
price, SKU, UK and FR quantities, barcode with its text), TrueType fonts embedded (subsets of
Bitstream Vera, shipped with reportlab), barcodes as vector rectangles. The output is the same
bytes for the same rows (reportlab's invariant mode), and pages are written as rows arrive."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import IO

import reportlab
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .symbols import LINEAR_QUIET, QR, QR_QUIET, encode
from .templates import Template

REGULAR, BOLD = "LabelSans", "LabelSans-Bold"
_FONTS = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
pdfmetrics.registerFont(TTFont(REGULAR, os.path.join(_FONTS, "Vera.ttf")))
pdfmetrics.registerFont(TTFont(BOLD, os.path.join(_FONTS, "VeraBd.ttf")))

MAX_NAME_LINES = 4
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class LabelRow:
    """What one label prints (a job row's snapshot); ``copies`` labels of it are printed."""

    sku: str
    name: str
    barcode: str
    price_text: str
    uk_6m: str
    fr_6m: str
    line_date: str
    copies: int = 1


def width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _split_long(word: str, font: str, size: float, room: float) -> list[str]:
    """A word wider than a line, cut into pieces that fit."""
    pieces, current = [], ""
    for char in word:
        if current and width(current + char, font, size) > room:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap_name(name: str, room: float, size: float) -> tuple[list[str], bool]:
    """Greedy wrap of ``name`` into lines at most ``room`` points wide, the first word bold;
    returns the lines and whether they all fit in :data:`MAX_NAME_LINES`."""
    words = name.split()
    lines: list[str] = []
    current = ""
    for index, word in enumerate(words):
        font = BOLD if index == 0 else REGULAR
        candidate = f"{current} {word}" if current else word
        if _line_width(candidate, first=not lines) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        if width(word, font, size) <= room:
            current = word
        else:
            *whole, current = _split_long(word, font, size, room)
            lines.extend(whole)
    if current:
        lines.append(current)
    return lines, len(lines) <= MAX_NAME_LINES


def _line_width(line: str, *, first: bool, size: float = 1.0) -> float:
    if not first:
        return width(line, REGULAR, size)
    head, _, tail = line.partition(" ")
    return width(head, BOLD, size) + (width(" " + tail, REGULAR, size) if tail else 0.0)


@lru_cache(maxsize=8192)
def fit_name(name: str, room: float, largest: float, smallest: float) -> tuple[float, tuple[str, ...]]:
    """The font size (largest that fits, in half points) and the lines of ``name``: at most
    four lines, the last cut with an ellipsis when even the smallest size cannot hold it all."""
    name = " ".join(name.split()) or "-"
    size = largest
    while True:
        lines, fits = _wrap_at(name, room, size)
        if fits or size - 0.5 < smallest:
            break
        size -= 0.5
    if not fits:
        lines = lines[:MAX_NAME_LINES]
        last = lines[-1]
        while last and _line_width(last + ELLIPSIS, first=len(lines) == 1, size=size) > room:
            last = last[:-1].rstrip()
        lines[-1] = last + ELLIPSIS
    return size, tuple(lines)


def _wrap_at(name: str, room: float, size: float) -> tuple[list[str], bool]:
    # wrap_name measures at size 1 for the first line's bold word; scale room instead.
    return wrap_name(name, room / size, 1.0) if size else ([name], False)


def _draw_name(canvas: Canvas, lines: tuple[str, ...], x: float, top: float, size: float) -> float:
    """Draw the name lines from ``top`` down; the first word bold. Returns the y below them."""
    leading = size * 1.12
    y = top - size * 0.9
    for index, line in enumerate(lines):
        if index == 0:
            head, _, tail = line.partition(" ")
            canvas.setFont(BOLD, size)
            canvas.drawString(x, y, head)
            if tail:
                canvas.setFont(REGULAR, size)
                canvas.drawString(x + width(head + " ", BOLD, size), y, tail)
        else:
            canvas.setFont(REGULAR, size)
            canvas.drawString(x, y, line)
        y -= leading
    return y


def _draw_symbol(
    canvas: Canvas,
    kind: str,
    value: str,
    x: float,
    y: float,
    room_w: float,
    room_h: float,
    module: float,
    text_size: float,
) -> None:
    """A symbol inside the box (x, y, room_w, room_h), centred; a linear code with its text."""
    symbol = encode(kind, value)
    canvas.saveState()
    if symbol.kind == QR:
        side_modules = symbol.width + 2 * QR_QUIET
        m = min(room_w, room_h) / side_modules
        left = x + (room_w - symbol.width * m) / 2
        bottom = y + (room_h - symbol.height * m) / 2
        canvas.transform(m, 0, 0, m, left, bottom)
    else:
        m = min(module, room_w / (symbol.width + 2 * LINEAR_QUIET))
        text_h = text_size * 1.1
        left = x + (room_w - symbol.width * m) / 2
        canvas.setFont(REGULAR, text_size)
        canvas.drawCentredString(x + room_w / 2, y + text_size * 0.2, symbol.text)
        canvas.transform(m, 0, 0, room_h - text_h, left, y + text_h)
    canvas.addLiteral(symbol.ops)
    canvas.restoreState()


def draw_label(canvas: Canvas, template: Template, row: LabelRow, x0: float, y0: float) -> None:
    """One shelf label with its bottom left corner at (x0, y0) in points."""
    w, h = template.label_width * mm, template.label_height * mm
    portrait = h > w
    # Type scales with the label: against the 69 × 27 roll label, or by width alone on a
    # tall label, whose height goes to the code and the name.
    s = (
        min(template.label_width / 45, 2.2)
        if portrait
        else min(template.label_width / 69, template.label_height / 27, 2.2)
    )
    pad = 1.5 * mm * s
    if template.outline:
        canvas.rect(x0, y0, w, h, stroke=1, fill=0)
    small = 5.5 * s
    qr = template.symbology == QR
    if qr and portrait:
        side = min(w - 2 * pad, h * 0.45)
        _draw_symbol(canvas, QR, row.barcode, x0 + (w - side) / 2, y0 + pad, side, side, 0, 0)
        text_left, text_right, text_bottom = x0 + pad, x0 + w - pad, y0 + pad + side + pad
    elif qr:
        side = min(h - 2 * pad, w * 0.4)
        _draw_symbol(canvas, QR, row.barcode, x0 + w - pad - side, y0 + (h - side) / 2, side, side, 0, 0)
        text_left, text_right, text_bottom = x0 + pad, x0 + w - 2 * pad - side, y0 + pad
    else:
        bar_h = min(max(h * 0.36, 8 * mm), 30 * mm)
        _draw_symbol(
            canvas, template.symbology, row.barcode, x0 + pad, y0 + pad * 0.6, w - 2 * pad, bar_h, 0.33 * mm * s, 6 * s
        )
        text_left, text_right, text_bottom = x0 + pad, x0 + w - pad, y0 + pad * 0.6 + bar_h + 0.8 * mm
    top = y0 + h - pad
    text_w = text_right - text_left
    right_w = text_w * 0.36
    name_w = text_w - right_w - pad
    info_h = small * 1.25
    # Right column: price, then Date and Line to write on or printed.
    price_size = 13 * s
    while price_size > 7 and width(row.price_text, BOLD, price_size) > right_w:
        price_size -= 0.5
    right_x = text_right - right_w
    canvas.setFont(BOLD, price_size)
    canvas.drawRightString(text_right, top - price_size * 0.85, row.price_text)
    canvas.setFont(REGULAR, small)
    date_y = text_bottom + info_h
    canvas.drawString(right_x, date_y, "Date: ________")
    canvas.drawString(right_x, text_bottom + small * 0.2, "Line: " + (row.line_date or "________"))
    # Left column: the name (fitted), then SKU and the 6-month quantities.
    room_h = (top - text_bottom) - 2 * info_h
    largest = 7.5 * s
    while largest > 4 * s and largest * 1.12 * MAX_NAME_LINES > room_h:
        largest -= 0.5
    size, lines = fit_name(row.name, name_w, largest, min(largest, 5.0 * s))
    _draw_name(canvas, lines, text_left, top, size)
    canvas.setFont(REGULAR, small)
    canvas.drawString(text_left, date_y, f"SKU: {row.sku}")
    canvas.drawString(
        text_left, text_bottom + small * 0.2, f"UK 6m: {row.uk_6m or '____'}   FR 6m: {row.fr_6m or '____'}"
    )


class _CompressingCanvas(Canvas):
    """A canvas that compresses each page's content as the page ends. reportlab keeps every
    page's text until ``save()`` and compresses it then (as ASCII85 on top of Flate); a page
    of labels is about 17 KB of operators and under 2 KB compressed, so a 50,000-label job
    would hold some 120 MB of text. The finished stream is Flate only, as PDF readers expect."""

    def showPage(self) -> None:
        super().showPage()
        page = self._doc.Pages.pages[-1]
        text = page.stream
        if isinstance(text, str) and text and not page.Contents:
            stream = PDFStream(PDFDictionary({"Filter": PDFArray([PDFName("FlateDecode")])}))
            stream.content = zlib.compress(text.encode("latin-1"))
            stream.__Comment__ = "page stream"  # type: ignore[attr-defined]
            page.Contents = stream
            page.stream = None


def render_pdf(
    template: Template,
    rows: Iterable[LabelRow],
    out: IO[bytes],
    *,
    title: str = "Labels",
    total: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Write the labels of ``rows`` (each ``copies`` times) to ``out`` as one PDF; returns the
    number of labels. The same rows give the same bytes."""
    canvas = _CompressingCanvas(
        out,
        pagesize=(template.page_width * mm, template.page_height * mm),
        invariant=1,
        initialFontName=REGULAR,
        initialFontSize=8,
        pageCompression=1,
    )
    canvas.setTitle(title)
    canvas.setCreator("RM365 Toolbox labels")
    canvas.setLineWidth(0.5)
    per_page = template.per_page
    slot = count = 0
    for row in rows:
        for _ in range(row.copies):
            if slot == per_page:
                canvas.showPage()
                canvas.setLineWidth(0.5)
                slot = 0
            x, y = template.origin(slot)
            draw_label(canvas, template, row, x * mm, y * mm)
            slot += 1
            count += 1
            if progress is not None and count % 500 == 0:
                progress(count, total)
    if count == 0:
        canvas.setFont(REGULAR, 8)
        canvas.drawString(5 * mm, 5 * mm, "No labels")
    canvas.showPage()
    canvas.save()
    if progress is not None:
        progress(count, total)
    return count
