"""Labels to PDF: 1,000 roll labels with Code128 drawn as vector shapes, next to the approach
it replaces (python-barcode renders one PNG file per label with Pillow, reportlab places the
images) in the same run; 1,000 QR labels; the peak memory of a big job in a child process.

Aims: the 1,000 Code128 labels under 1 s, at least 20x faster than the PNG way and a PDF at
least 10x smaller; 1,000 QR labels under 3 s; 50,000 labels without 50,000 labels' memory.

    uv run python benchmarks/bench_labels.py                 # ~40 s; memory for 20,000 labels
    uv run python benchmarks/bench_labels.py --big 50000     # the 50,000-label memory figure
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time

from rm365_labels.render import LabelRow, render_pdf
from rm365_labels.symbols import encode
from rm365_labels.templates import TEMPLATES


def rows(n: int, offset: int = 0) -> list[LabelRow]:
    return [
        LabelRow(
            sku=f"VITD3-{i:05d}",
            name=f"Vitamin D3 {1000 + i % 4000} IU High Strength Softgels {i % 7 + 1} x 120",
            barcode=str(700000000000000000 + (i + offset) * 7919),
            price_text=f"£{5 + i % 30}.99",
            uk_6m=str(i % 300),
            fr_6m=str(i % 120),
            line_date="01/12/2026",
        )
        for i in range(n)
    ]


def ours(template: str, labels: list[LabelRow]) -> tuple[float, int]:
    encode.cache_clear()  # encode every symbol afresh: no help from earlier runs
    out = io.BytesIO()
    start = time.perf_counter()
    render_pdf(TEMPLATES[template], labels, out)
    return time.perf_counter() - start, len(out.getvalue())


def png_per_label(labels: list[LabelRow]) -> tuple[float, int]:
    """The replaced approach: a PNG file per barcode (python-barcode + Pillow), placed with
    reportlab, text in Helvetica; the same page and label geometry."""
    import barcode
    from barcode.writer import ImageWriter
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    template = TEMPLATES["roll-69x27"]
    out = io.BytesIO()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        canvas = Canvas(out, pagesize=(template.page_width * mm, template.page_height * mm))
        for index, row in enumerate(labels):
            slot = index % template.per_page
            if index and slot == 0:
                canvas.showPage()
                path = None
            x, y = (v * mm for v in template.origin(slot))
            code = barcode.get_barcode_class("code128")(row.barcode, writer=ImageWriter())
            path = code.save(os.path.join(folder, f"label-{index}"), options={"write_text": True})
            canvas.rect(x, y, 69 * mm, 27 * mm)
            canvas.setFont("Helvetica-Bold", 7)
            canvas.drawString(x + 4, y + 27 * mm - 10, row.name[:40])
            canvas.setFont("Helvetica", 6)
            canvas.drawString(x + 4, y + 27 * mm - 30, f"SKU: {row.sku}  UK 6m: {row.uk_6m}  FR 6m: {row.fr_6m}")
            canvas.setFont("Helvetica-Bold", 13)
            canvas.drawRightString(x + 69 * mm - 4, y + 27 * mm - 14, row.price_text)
            canvas.drawImage(path, x + 10 * mm, y + 1.5 * mm, 49 * mm, 12 * mm)
        canvas.save()
    return time.perf_counter() - start, len(out.getvalue())


def peak_memory_child(count: int) -> None:
    """Render ``count`` labels streamed from a generator and print the peak RSS (MiB)."""
    import resource

    def stream() -> object:
        for chunk in range(0, count, 1000):
            yield from rows(min(1000, count - chunk), offset=chunk)

    with open("/proc/self/status") as status:
        before = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    sink = open(os.devnull, "wb")  # noqa: SIM115 - the PDF's bytes are not kept
    start = time.perf_counter()
    render_pdf(TEMPLATES["roll-69x27"], stream(), sink)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {elapsed:.2f} {before:.0f} {peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="labels in the Code128 and QR runs")
    parser.add_argument("--big", type=int, default=20000, help="labels in the memory run (0 to skip)")
    parser.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        peak_memory_child(args.memory_child)
        return

    labels = rows(args.count)
    ours("roll-69x27", rows(20))  # warm up fonts and imports
    vector_s, vector_bytes = ours("roll-69x27", labels)
    qr_s, qr_bytes = ours("roll-69x27-qr", labels)
    png_s, png_bytes = png_per_label(labels)
    print(f"{args.count} roll labels, Code128 as vector shapes: {vector_s:.2f} s, {vector_bytes / 1e6:.2f} MB")
    print(f"{args.count} roll labels, PNG per label (baseline):  {png_s:.2f} s, {png_bytes / 1e6:.2f} MB")
    print(f"  ratio: {png_s / vector_s:.1f}x faster (aim >= 20x), {png_bytes / vector_bytes:.1f}x smaller (aim >= 10x)")
    print(f"  aim under 1 s for 1,000: {'met' if vector_s * 1000 / args.count < 1 else 'missed'}")
    print(
        f"{args.count} roll labels, QR as merged rectangles: {qr_s:.2f} s, {qr_bytes / 1e6:.2f} MB"
        f" (aim under 3 s for 1,000: {'met' if qr_s * 1000 / args.count < 3 else 'missed'})"
    )
    if args.big:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(args.big)], capture_output=True, text=True, check=True
        ).stdout.split()
        count, elapsed, before, peak = int(out[0]), float(out[1]), float(out[2]), float(out[3])
        print(
            f"{count} labels streamed to a PDF: {elapsed:.1f} s, peak RSS {peak:.0f} MiB "
            f"({peak - before:.0f} MiB over the {before:.0f} MiB before rendering)"
        )


if __name__ == "__main__":
    main()
