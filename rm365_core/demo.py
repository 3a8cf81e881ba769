"""The demo catalogue every plugin's ``demo_data`` sells, stocks and labels: the same SKUs in
the inventory, the sales data and the labels of ``rm365 serve --demo``."""

from __future__ import annotations

from typing import NamedTuple


class DemoItem(NamedTuple):
    sku: str
    name: str
    size: int  # units in the pack


# (code, name, strengths, form, pack sizes)
DEMO_PRODUCTS = [
    ("VITD3", "Vitamin D3 {s}", ["1000 IU", "2000 IU", "4000 IU"], "tablets", [120, 365]),
    ("VITC", "Vitamin C {s}", ["500mg", "1000mg"], "tablets", [60, 180]),
    ("VITK2", "Vitamin K2 MK-7 {s}", ["100mcg", "200mcg"], "capsules", [60, 120]),
    ("D3K2", "Vitamin D3 & K2 {s}", ["1000 IU/75mcg", "3000 IU/100mcg"], "capsules", [60, 180]),
    ("B12", "Vitamin B12 Methylcobalamin {s}", ["500mcg", "1000mcg"], "tablets", [60, 120]),
    ("BCOMP", "Vitamin B Complex {s}", ["High Strength"], "tablets", [60, 120, 180]),
    ("VITE", "Vitamin E {s}", ["400 IU"], "softgels", [60, 120]),
    ("MULTI", "Multivitamin & Minerals {s}", ["Adult", "50+", "Women", "Men"], "tablets", [90, 180]),
    ("MAGCIT", "Magnesium Citrate {s}", ["150mg", "200mg"], "tablets", [60, 180]),
    ("MAGGLY", "Magnesium Glycinate {s}", ["100mg", "120mg"], "capsules", [90, 120]),
    ("ZINC", "Zinc Picolinate {s}", ["15mg", "25mg"], "tablets", [120, 365]),
    ("IRON", "Iron Bisglycinate {s}", ["14mg", "20mg"], "capsules", [90]),
    ("CALD3", "Calcium & Vitamin D3 {s}", ["800mg/5mcg"], "tablets", [90, 180]),
    ("SELEN", "Selenium {s}", ["100mcg", "200mcg"], "tablets", [120]),
    ("IODINE", "Iodine (Kelp) {s}", ["150mcg"], "tablets", [365]),
    ("OMEGA3", "Omega-3 Fish Oil {s}", ["1000mg", "2000mg"], "softgels", [90, 180]),
    ("VOMEGA", "Vegan Omega-3 Algae Oil {s}", ["500mg"], "softgels", [60]),
    ("KRILL", "Antarctic Krill Oil {s}", ["500mg"], "softgels", [60, 120]),
    ("CODLIV", "Cod Liver Oil {s}", ["1000mg"], "capsules", [90, 180]),
    ("PROBIO", "Probiotic {s}", ["20 Billion CFU", "50 Billion CFU"], "capsules", [30, 60]),
    ("TURM", "Turmeric & Black Pepper {s}", ["1500mg", "2000mg"], "capsules", [60, 120]),
    ("COLLAG", "Marine Collagen {s}", ["1000mg"], "capsules", [90, 180]),
    ("BIOTIN", "Biotin {s}", ["5000mcg", "10000mcg"], "tablets", [120, 365]),
    ("FOLIC", "Folic Acid {s}", ["400mcg"], "tablets", [90, 180]),
    ("GLUCO", "Glucosamine & Chondroitin {s}", ["1500mg/400mg"], "tablets", [90, 180]),
    ("COQ10", "Coenzyme Q10 {s}", ["100mg", "200mg"], "softgels", [60, 120]),
    ("ASHWA", "Ashwagandha KSM-66 {s}", ["500mg", "600mg"], "capsules", [60, 120]),
    ("EPO", "Evening Primrose Oil {s}", ["1000mg"], "softgels", [90]),
    ("ELDER", "Black Elderberry {s}", ["600mg"], "capsules", [60]),
    ("ECHIN", "Echinacea {s}", ["1000mg"], "tablets", [90]),
    ("GINKGO", "Ginkgo Biloba {s}", ["120mg"], "tablets", [120]),
    ("SPIRU", "Organic Spirulina {s}", ["500mg"], "tablets", [180, 500]),
    ("CHLOR", "Organic Chlorella {s}", ["500mg"], "tablets", [180]),
    ("MILKTH", "Milk Thistle {s}", ["500mg"], "capsules", [90]),
    ("ACV", "Apple Cider Vinegar {s}", ["1500mg"], "capsules", [60, 120]),
    ("LTHEAN", "L-Theanine {s}", ["200mg"], "capsules", [60]),
    ("5HTP", "5-HTP Griffonia {s}", ["100mg"], "capsules", [60, 120]),
    ("SAWP", "Saw Palmetto {s}", ["500mg"], "capsules", [90]),
    ("CRANB", "Cranberry Extract {s}", ["5000mg"], "tablets", [90]),
    ("HYAL", "Hyaluronic Acid {s}", ["120mg"], "capsules", [60]),
    ("MSM", "MSM {s}", ["1000mg"], "tablets", [120]),
    ("LUTEIN", "Lutein & Zeaxanthin {s}", ["20mg"], "softgels", [60]),
    ("CHROM", "Chromium Picolinate {s}", ["200mcg"], "tablets", [120]),
    ("POTAS", "Potassium Citrate {s}", ["99mg"], "capsules", [90]),
    ("RESV", "Trans-Resveratrol {s}", ["250mg"], "capsules", [60]),
    ("PRENAT", "Pregnancy Multivitamin {s}", ["Complete"], "tablets", [60, 90]),
    ("KIDSMV", "Kids Multivitamin Gummies {s}", ["Berry"], "gummies", [60]),
    ("VITDSP", "Vitamin D3 Oral Spray {s}", ["1000 IU"], "ml", [15, 30]),
]


def demo_catalogue() -> list[DemoItem]:
    """Every demo item, in a fixed order."""
    items = []
    for code, name, strengths, form, sizes in DEMO_PRODUCTS:
        for s_index, strength in enumerate(strengths):
            for size in sizes:
                sku = f"{code}-{s_index + 1}-{size}" if len(strengths) > 1 else f"{code}-{size}"
                items.append(DemoItem(sku, f"{name.format(s=strength)}, {size} {form}", size))
    return items
