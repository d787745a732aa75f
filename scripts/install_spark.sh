#!/usr/bin/env bash
# Install what `--engine spark` and the spark-marked tests need:
#   openjdk-17-jre-headless  Java for Spark, from Debian's packages (skipped when java 17+ is on PATH)
#   pyspark, sqlglot         the optional extra `critmin[spark]`, into the project's .venv
# Idempotent: does nothing when both are present. Installing Java needs root (or sudo).
# The embedded default (`make run`, DuckDB) needs neither.
set -euo pipefail

VENV="${VENV:-.venv}"
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }

if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_spark: need root to install openjdk-17-jre-headless. Fix: run as root, or apt-get install openjdk-17-jre-headless" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_spark: no apt-get on this machine. Fix: install a Java 17 runtime and put java on PATH (or set JAVA_HOME)" >&2
    exit 1
  fi
  echo "install_spark: installing openjdk-17-jre-headless from Debian's packages" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >&2
fi
echo "install_spark: $(java -version 2>&1 | head -n1)" >&2

if [ ! -x "$VENV/bin/python" ]; then
  echo "install_spark: no virtual environment at $VENV. Fix: run make setup first" >&2
  exit 1
fi
if "$VENV/bin/python" -c "import pyspark, sqlglot, pandas" >/dev/null 2>&1; then
  echo "install_spark: pyspark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)') already installed" >&2
  exit 0
fi
echo "install_spark: installing critmin[spark] (pyspark, pandas, sqlglot) into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet -e '.[spark]'
"$VENV/bin/python" -c 'import pyspark; print("install_spark: pyspark", pyspark.__version__)' >&2
