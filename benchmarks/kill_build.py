"""Fault trial (issue 15): kill ``critmin build --force`` at random points, N times.

Each trial starts a forced rebuild of a *copy* of the warehouse (in a temporary directory, so
``make bench`` never risks the real one), sends SIGKILL after a random delay within the time a
full build takes, and then checks the warehouse file left behind:

- **intact**: byte-identical to the warehouse before the trial (the build was killed before
  its atomic rename), or a complete new warehouse (killed after it);
- **data lost**: the file is missing, does not open, or has no successful build run / an empty
  ``tidy`` table — the previous warehouse was damaged.

After the trials, a normal ``critmin build --force`` must succeed and remove the temp files
the killed builds left (``.<name>.<pid>.building``). Reported: trials, killed mid-build vs
finished first, failures (data lost or an unexpected state), leftover temp files. Bounded: N
trials (``CRITMIN_KILL_TRIALS``, default 20), each at most one build long; it stops by itself.

    python benchmarks/kill_build.py [TRIALS]
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
TRIALS = int(os.environ.get("CRITMIN_KILL_TRIALS", "20"))


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _healthy(db: Path) -> str | None:
    """None if ``db`` is a complete warehouse, else what is wrong with it."""
    if not db.is_file():
        return "missing"
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            ok = con.execute("SELECT count(*) FROM meta.build_runs WHERE status='ok'").fetchone()
            if not ok or not ok[0]:
                return "no successful build run"
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='tidy'"
            ).fetchall():
                n = con.execute(f'SELECT count(*) FROM tidy."{t}"').fetchone()
                if not n or not n[0]:
                    return f"tidy.{t} is empty"
    except duckdb.Error as exc:
        return f"does not open: {str(exc).splitlines()[0]}"
    return None


def _build(db: Path, data: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("critmin")
    return subprocess.Popen(
        [str(exe), "-q", "--db", str(db), "--data-dir", str(data), "build", "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches all of it
    )


def run(db: Path, trials: int = TRIALS, seed: int | None = None) -> list[str]:
    """Run the trials on a copy of ``db``; return report lines."""
    data = Path(os.environ.get("CRITMIN_DATA", REPO / ".critmin" / "data"))
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="critmin-kill-") as tmp:
        copy = Path(tmp) / "critmin.duckdb"
        shutil.copy2(db, copy)
        t0 = time.perf_counter()
        first = _build(copy, data)
        if first.wait() != 0:
            return [f"kill-mid-build trials: the reference build failed (exit {first.returncode})"]
        full = time.perf_counter() - t0
        killed = finished = replaced = 0
        failures: list[str] = []
        for i in range(trials):
            before = _sha(copy)
            delay = rng.uniform(0.0, full * 1.3)  # some kills land after the rename
            proc = _build(copy, data)
            try:
                proc.wait(timeout=delay)
                finished += 1
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                killed += 1
            wrong = _healthy(copy)
            if wrong is not None:
                failures.append(f"trial {i + 1} (kill at {delay:.2f} s): {wrong}")
            elif _sha(copy) != before:  # healthy and new: the atomic rename had happened
                replaced += 1
        leftovers = len(list(Path(tmp).glob(".critmin.duckdb.*.building*")))
        final = _build(copy, data)
        recovered = final.wait() == 0 and _healthy(copy) is None
        remaining = len(list(Path(tmp).glob(".critmin.duckdb.*.building*")))
    lines = [
        f"kill-mid-build trials ({trials} × SIGKILL at a random point of a {full:.1f} s build)",
        f"  killed mid-build {killed}, finished before the kill {finished}; warehouse "
        f"unchanged {trials - len(failures) - replaced}, replaced whole by the new build "
        f"{replaced}",
        f"  failures {len(failures)}, data lost {len(failures)} (warehouse intact "
        f"{trials - len(failures)}/{trials})",
        f"  temp files left by killed builds {leftovers}, after the next build {remaining}; "
        f"next build {'succeeded' if recovered else 'FAILED'}",
    ]
    return lines + [f"  {f}" for f in failures[:10]]


if __name__ == "__main__":
    target = Path(os.environ.get("CRITMIN_DB", REPO / ".critmin" / "critmin.duckdb"))
    for line in run(target, int(sys.argv[1]) if len(sys.argv) > 1 else TRIALS):
        print(line)
