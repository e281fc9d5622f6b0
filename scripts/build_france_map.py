"""Build gateway/web/static/france.svg: metropolitan France drawn from the
communes data set (every 0.22° cell holding a commune is filled), so the booking
page shows a map with no tile server and no internet.

    python scripts/build_france_map.py
"""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "services/scheduling/data/communes.csv.gz"
OUT = ROOT / "gateway/web/static/france.svg"
WEST, EAST, SOUTH, NORTH = -5.3, 9.7, 41.3, 51.2
CELL = 0.22
SCALE = 60  # SVG units per degree of longitude (before the cos correction)
KX = SCALE * math.cos(math.radians(46.5))


def main() -> None:
    cells: set[tuple[int, int]] = set()
    with gzip.open(DATA, "rt", encoding="utf-8") as data:
        for row in csv.DictReader(data, delimiter=";"):
            if row["precision"] != "commune" or len(row["departement"]) != 2:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            if WEST <= lon <= EAST and SOUTH <= lat <= NORTH:
                cells.add((int((lon - WEST) / CELL), int((NORTH - lat) / CELL)))
    w, h = (EAST - WEST) * KX, (NORTH - SOUTH) * SCALE
    cw, ch = CELL * KX, CELL * SCALE
    path = "".join(
        f"M{x * cw:.1f} {y * ch:.1f}h{cw:.1f}v{ch:.1f}h-{cw:.1f}z"
        for x, y in sorted(cells)
    )
    OUT.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'data-west="{WEST}" data-north="{NORTH}" data-kx="{KX:.4f}" data-ky="{SCALE}">'
        f'<path d="{path}" fill="#dfe6ef" stroke="#dfe6ef" stroke-width="0.6"/></svg>\n'
    )
    print(f"{len(cells)} cells → {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
