"""Label templates: page and label sizes in millimetres, the grid of labels on a page and the
symbology each prints. ``GET /api/v1/labels/templates`` lists them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .symbols import AUTO, CODE128, QR


@dataclass(frozen=True)
class Template:
    """``columns`` × ``rows`` labels of ``label_width`` × ``label_height`` on a page of
    ``page_width`` × ``page_height``, the first one ``margin_left`` / ``margin_top`` from the
    page's top left corner, ``gap_x`` / ``gap_y`` apart. ``outline`` draws each label's box."""

    id: str
    title: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    margin_left: float
    margin_top: float
    gap_x: float = 0.0
    gap_y: float = 0.0
    symbology: str = CODE128
    outline: bool = False

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """The bottom left corner (mm, PDF coordinates) of the label in ``slot`` (0-based,
        across then down)."""
        column, row = slot % self.columns, slot // self.columns
        x = self.margin_left + column * (self.label_width + self.gap_x)
        top = self.margin_top + row * (self.label_height + self.gap_y)
        return x, self.page_height - top - self.label_height

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_page": self.per_page}


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        # The shelf label roll printer in use: one column of 7 boxed labels on 103 × 200 mm.
        Template(
            id="roll-69x27",
            title="Roll 69 × 27 mm (7 per 103 × 200 mm page)",
            page_width=103,
            page_height=200,
            label_width=69,
            label_height=27,
            columns=1,
            rows=7,
            margin_left=17,
            margin_top=2.5,
            gap_y=0.5,
            outline=True,
        ),
        Template(
            id="roll-69x27-qr",
            title="Roll 69 × 27 mm with a QR code",
            page_width=103,
            page_height=200,
            label_width=69,
            label_height=27,
            columns=1,
            rows=7,
            margin_left=17,
            margin_top=2.5,
            gap_y=0.5,
            symbology=QR,
            outline=True,
        ),
        # Office printers: A4 sheets of 3 × 8 labels of 63.5 × 33.9 mm.
        Template(
            id="a4-3x8",
            title="A4 sheet, 3 × 8 labels of 63.5 × 33.9 mm",
            page_width=210,
            page_height=297,
            label_width=63.5,
            label_height=33.9,
            columns=3,
            rows=8,
            margin_left=7.25,
            margin_top=12.9,
            gap_x=2.5,
            symbology=AUTO,
        ),
        Template(
            id="thermal-62x29",
            title="Thermal 62 × 29 mm, one label a page",
            page_width=62,
            page_height=29,
            label_width=62,
            label_height=29,
            columns=1,
            rows=1,
            margin_left=0,
            margin_top=0,
        ),
        Template(
            id="thermal-4x6in",
            title="Thermal 4 × 6 in, one label a page, QR code",
            page_width=101.6,
            page_height=152.4,
            label_width=101.6,
            label_height=152.4,
            columns=1,
            rows=1,
            margin_left=0,
            margin_top=0,
            symbology=QR,
        ),
    )
}
