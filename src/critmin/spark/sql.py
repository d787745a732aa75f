"""critmin's metric SQL on Spark SQL, transpiled from DuckDB with sqlglot.

The metric queries are written once, in a portable subset of DuckDB's SQL, and run on DuckDB by
default. :func:`to_spark` turns one into Spark SQL: parameters become literals (doubles as exact
``CAST('…' AS DOUBLE)``, dicts as ``STRUCT(v AS k, …)``, lists as arrays of those), so small
inputs such as GeoPolRisk's importer → member-code pairs (``unnest($cells)``) need no session
table; ``tidy.*``/``staging.*``/``meta.*`` tables become the names
:class:`Tables` resolves, and the traps sqlglot leaves are refused with the fix instead of
silently changing the answer (:func:`portability_issues`):

- ``list(x ORDER BY y)`` becomes an unordered ``COLLECT_LIST``: sort explicitly
  (``list_sort(list(struct_pack(key := …, …)))``);
- ``first(x ORDER BY y)``: use ``arg_min``/``arg_max`` (Spark ``min_by``/``max_by``) over an
  ``x`` that is never NULL (``coalesce`` it, or join back on the first row's key): DuckDB's
  ``arg_min`` skips rows whose ``x`` is NULL, Spark's ``min_by`` returns that NULL;
- ``INT128``/``HUGEINT`` casts: Spark has no 128-bit integers;
- a division whose divisor is not ``nullif(…, 0)``: Spark 4's ANSI mode raises on division by
  zero where DuckDB returns NULL.

:class:`SparkConnection` wraps a DuckDB connection: the metric queries run on Spark, everything
else (name look-ups, lineage) on DuckDB, so :mod:`critmin.analytics` runs unchanged with
``--engine spark``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from critmin.errors import CritminError
from critmin.spark import require

log = logging.getLogger(__name__)

SCHEMAS = ("tidy", "staging", "meta")


class NotPortableError(CritminError, ValueError):
    """A metric query uses SQL that Spark would run differently or not at all."""


def _tree(sql: str) -> Any:
    sqlglot = require("sqlglot")
    return sqlglot.parse_one(sql, read="duckdb")


def portability_issues(sql: str) -> list[str]:
    """What in ``sql`` (DuckDB) would not mean the same on Spark; empty when portable."""
    from sqlglot import exp

    tree, issues = _tree(sql), []
    for node in tree.find_all(exp.ArrayAgg, exp.First, exp.Last, exp.AnyValue):
        if isinstance(node.this, exp.Order):
            issues.append(
                f"{node.sql('duckdb')[:60]}: an ordered aggregate (Spark drops the ORDER BY). "
                "Fix: list_sort(list(...)) with the sort key first, or arg_min/arg_max"
            )
    for node in tree.find_all(exp.DataType):
        if node.this in (exp.DataType.Type.INT128, exp.DataType.Type.UINT128):
            issues.append(f"{node.sql('duckdb')}: no 128-bit integers on Spark. Fix: BIGINT")
    for node in tree.find_all(exp.Div):
        if not _nonzero(node.expression):
            issues.append(
                f"{node.sql('duckdb')[:60]}: division without nullif (Spark's ANSI mode raises "
                "on 0). Fix: x / nullif(y, 0)"
            )
    return issues


def _nonzero(d: Any) -> bool:
    """A divisor that cannot be 0: nullif(…), a non-zero number, or a CASE of those."""
    from sqlglot import exp

    if isinstance(d, exp.Paren):
        return _nonzero(d.this)
    if isinstance(d, exp.Nullif):
        return True
    if isinstance(d, exp.Literal):
        return not d.is_string and float(d.this) != 0
    if isinstance(d, exp.Case):
        branches = [i.args["true"] for i in d.args.get("ifs", [])] + [d.args.get("default")]
        return all(b is not None and _nonzero(b) for b in branches)
    return False


def _literal(value: object) -> Any:
    from sqlglot import exp

    if isinstance(value, float):
        return exp.cast(exp.Literal.string(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    if isinstance(value, dict):  # a struct, as DuckDB binds a dict: STRUCT(v AS k, …)
        return exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier(k), expression=_literal(v))
                for k, v in value.items()
            ]
        )
    return exp.convert(value)


def to_spark(
    sql: str, params: dict[str, Any] | Sequence[Any] | None = None, tables: Any = None
) -> str:
    """The Spark SQL of a portable DuckDB query, with ``params`` bound as literals and tables
    renamed by ``tables`` (a mapping ``'tidy.trade' -> name``, or a :class:`Tables`)."""
    from sqlglot import exp

    issues = portability_issues(sql)
    if issues:
        raise NotPortableError("not portable to Spark: " + "; ".join(issues))
    tree = _tree(sql)
    positional = list(params) if isinstance(params, Sequence) else []
    named = params if isinstance(params, dict) else {}

    def bind(node: Any) -> Any:
        if isinstance(node, exp.Placeholder):
            name = node.name
            if name and name != "?" and name in named:
                return _literal(named[name])
            if positional:
                return _literal(positional.pop(0))
            raise NotPortableError(f"no value for parameter {node.sql('duckdb')} in {params!r}")
        if isinstance(node, exp.Parameter):
            key = node.name
            if key.isdigit() and int(key) - 1 < len(positional):
                return _literal(positional[int(key) - 1])
            if key in named:
                return _literal(named[key])
        if isinstance(node, exp.Table) and node.db in SCHEMAS and tables is not None:
            name = tables[f"{node.db}.{node.name}"]
            alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
            return exp.to_table(name).as_(alias.this, copy=False) if alias else exp.to_table(name)
        return node

    return str(tree.transform(bind).sql("spark"))


def spark_parses(spark: Any, sql: str) -> None:
    """Raise unless Spark's own parser accepts ``sql`` (needs no data or tables)."""
    spark._jsparkSession.sessionState().sqlParser().parsePlan(sql)


class Tables:
    """Where the metric queries' tables live on Spark.

    ``source`` None: the warehouse's tables, exported once to Parquet under ``cache`` (keyed by
    the warehouse file's size and time) and registered as temporary views; a folder:
    ``<folder>/<schema>/<table>`` (Parquet files or folders), e.g. a lakehouse export;
    ``catalog``: tables of the same names (``tidy.trade`` …) in the session's Spark catalogue.
    """

    def __init__(self, spark: Any, duck: duckdb.DuckDBPyConnection, db: Path | None,
                 source: str | None = None, cache: Path | None = None) -> None:  # fmt: skip
        self.spark, self.duck, self.source = spark, duck, source
        key = "none"
        if db is not None and db.is_file():
            st = db.stat()
            key = hashlib.sha256(
                f"{db.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()
            ).hexdigest()
        self.cache = (cache or (db.parent if db else Path(".critmin")) / "spark-cache") / key[:16]
        self.names: dict[str, str] = {}

    def __getitem__(self, qualified: str) -> str:
        if self.source == "catalog":
            return qualified
        if qualified not in self.names:
            view = "critmin_" + qualified.replace(".", "__")
            self.spark.read.parquet(str(self._parquet(qualified))).createOrReplaceTempView(view)
            self.names[qualified] = view
        return self.names[qualified]

    def _parquet(self, qualified: str) -> Path:
        schema, table = qualified.split(".")
        if self.source:
            for p in (Path(self.source) / schema / table, Path(self.source) / f"{qualified}"):
                for cand in (p, p.with_suffix(".parquet")):
                    if cand.exists():
                        return cand
            raise CritminError(
                f"no Parquet for {qualified} under {self.source} (looked for {schema}/{table}"
                f"[.parquet]). Fix: export it there, or use --spark-tables catalog"
            )
        out = self.cache / f"{qualified}.parquet"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            # through Arrow: the warehouse connection is sandboxed (no file writes from SQL)
            import pyarrow.parquet as pq

            pq.write_table(self.duck.execute(f"SELECT * FROM {qualified}").to_arrow_table(), tmp)
            tmp.rename(out)
            log.info("exported %s to %s for Spark", qualified, out)
        return out


def _py(value: Any) -> Any:
    """A Spark value as DuckDB's Python client returns it (structs as dicts, arrays as lists)."""
    if hasattr(value, "asDict"):
        return {k: _py(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_py(v) for v in value]
    return value


class _Result:
    def __init__(self, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
        self.rows, self.description = rows, [(c, None) for c in columns]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


def _key(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


class SparkConnection:
    """A DuckDB connection whose metric queries (``metric_sql``) run on Spark."""

    def __init__(self, duck: duckdb.DuckDBPyConnection, spark: Any, tables: Tables,
                 metric_sql: Iterable[str]) -> None:  # fmt: skip
        self.duck, self.spark, self.tables = duck, spark, tables
        self.metric = {_key(s) for s in metric_sql}
        self.ran_on_spark = 0

    def execute(self, sql: str, params: Any = None) -> Any:
        if _key(sql) not in self.metric:
            return self.duck.execute(sql, params)
        df = self.spark.sql(to_spark(sql, params, self.tables))
        rows = [tuple(_py(v) for v in r) for r in df.collect()]
        self.ran_on_spark += 1
        log.info("ran on Spark: %d rows (%s…)", len(rows), _key(sql)[:60])
        return _Result(rows, df.columns)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.duck, name)
