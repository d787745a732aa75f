"""critmin on Apache Spark: news archives (``critmin ingest --engine spark``), the analytics SQL
(``--engine spark`` on the metric commands) and Monte Carlo grids.

Everything here is optional: pyspark and sqlglot come with the ``critmin[spark]`` extra and Java
17 with ``scripts/install_spark.sh``; both are imported lazily, so the embedded DuckDB default
(``make run``) needs neither. A missing piece raises :class:`SparkUnavailableError`, one line
naming the script.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from typing import Any

from critmin.errors import CritminError

log = logging.getLogger(__name__)

MASTER_ENV = "CRITMIN_SPARK_MASTER"
DEFAULT_MASTER = "local[*]"
INSTALL_HINT = "run `bash scripts/install_spark.sh` (Java 17 and pip install -e '.[spark]')"


class SparkUnavailableError(CritminError, RuntimeError):
    """pyspark, sqlglot or Java is missing, or the Spark session could not start."""

    exit_code = 2


def require(module: str = "pyspark") -> Any:
    """Import ``module`` (pyspark or sqlglot) or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SparkUnavailableError(
            f"--engine spark needs the Python package {module!r}, which is not installed "
            f"({exc}). Fix: {INSTALL_HINT}"
        ) from None


_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.extraJavaOptions": "-Dlog4j2.level=ERROR",
}


def session(master: str | None = None, app: str = "critmin", **conf: str) -> Any:
    """The active SparkSession, or a new one on ``master`` (argument, else env
    ``CRITMIN_SPARK_MASTER``, else ``local[*]``; ``spark://…``, ``yarn``, ``k8s://…`` work)."""
    require("pyspark")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkUnavailableError(
            "--engine spark needs Java 17 and none is on PATH (JAVA_HOME unset). "
            f"Fix: {INSTALL_HINT}"
        )
    url = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    if url.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        # local workers run this interpreter (the one critmin is installed in); on a cluster,
        # PYSPARK_PYTHON names the shipped environment's python (README: Spark)
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(url).appName(app)
    for k, v in {**_CONF, **conf}.items():
        builder = builder.config(k, v)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start or the master is unreachable
        raise SparkUnavailableError(
            f"could not start Spark on master {url!r}: {str(exc).splitlines()[0][:300]}. Fix: "
            f"check the master URL (--master or {MASTER_ENV}) and Java 17; {INSTALL_HINT}"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    log.info("Spark %s on %s", spark.version, url)
    return spark
