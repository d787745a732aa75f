"""Vendor the dashboard's browser assets from the npm registry, or verify them.

The dashboard and the brief load no asset from a CDN: chart, map and font files are copied
from npm packages into ``src/critmin/web/static/vendor/`` together with each package's
licence, and ``vendor/MANIFEST.json`` records package, version, source path and sha256 of
every file.

    python scripts/vendor_assets.py --check     # offline: every file present, hash matches
    python scripts/vendor_assets.py --fetch     # re-download with `npm pack` and rewrite

``--check`` is what the test suite runs; ``--fetch`` needs the ``npm`` client and is only
needed to upgrade a package (edit PACKAGES, run it, commit the result).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "critmin" / "web" / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

# package, version, licence (SPDX), {destination: path inside the npm tarball}
PACKAGES: list[tuple[str, str, str, dict[str, str]]] = [
    ("d3", "7.9.0", "ISC", {"d3/d3.min.js": "dist/d3.min.js", "d3/LICENSE": "LICENSE"}),
    (
        "topojson-client",
        "3.1.0",
        "ISC",
        {
            "topojson-client/topojson-client.min.js": "dist/topojson-client.min.js",
            "topojson-client/LICENSE": "LICENSE",
        },
    ),
    (
        "world-atlas",
        "2.0.2",
        "ISC (code); Natural Earth data: public domain",
        {
            "world-atlas/countries-110m.json": "countries-110m.json",
            "world-atlas/LICENSE": "LICENSE",
        },
    ),
    (
        "@fontsource/noto-sans-kr",
        "5.3.0",
        "OFL-1.1",
        {
            f"noto-sans-kr/{subset}-{weight}.woff2": (
                f"files/noto-sans-kr-{subset}-{weight}-normal.woff2"
            )
            for subset in ("korean", "latin")
            for weight in (400, 700)
        }
        | {"noto-sans-kr/LICENSE": "LICENSE"},
    ),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch() -> None:
    if shutil.which("npm") is None:
        sys.exit("vendor_assets: the `npm` client is not installed. Fix: apt-get install npm")
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for package, version, licence, files in PACKAGES:
            out = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            info = json.loads(out.stdout)[0]
            tarball = Path(tmp) / info["filename"]
            record = {
                "package": package,
                "version": version,
                "licence": licence,
                "integrity": info["integrity"],
                "files": {},
            }
            with tarfile.open(tarball) as tar:
                for dest, member in files.items():
                    src = tar.extractfile(f"package/{member}")
                    if src is None:
                        sys.exit(f"vendor_assets: {package}@{version} has no {member}")
                    target = VENDOR / dest
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(src.read())
                    record["files"][dest] = {"from": member, "sha256": sha256(target)}
            entries.append(record)
            print(f"vendored {package}@{version}: {len(files)} files", file=sys.stderr)
    MANIFEST.write_text(json.dumps({"packages": entries}, indent=2) + "\n", encoding="utf-8")


def check() -> list[str]:
    """Problems with the vendored files (empty when all is well)."""
    if not MANIFEST.is_file():
        return [f"{MANIFEST} is missing. Fix: python scripts/vendor_assets.py --fetch"]
    problems = []
    listed = set()
    for pkg in json.loads(MANIFEST.read_text(encoding="utf-8"))["packages"]:
        if not any(Path(d).name == "LICENSE" for d in pkg["files"]):
            problems.append(f"{pkg['package']}: no LICENSE file vendored")
        for dest, meta in pkg["files"].items():
            listed.add(dest)
            path = VENDOR / dest
            if not path.is_file():
                problems.append(f"{dest}: missing")
            elif sha256(path) != meta["sha256"]:
                problems.append(f"{dest}: sha256 {sha256(path)} ≠ manifest {meta['sha256']}")
    for path in VENDOR.rglob("*"):
        rel = path.relative_to(VENDOR).as_posix()
        if path.is_file() and path != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not in the manifest")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetch", action="store_true", help="re-download with npm pack")
    parser.add_argument("--check", action="store_true", help="verify files against manifest")
    args = parser.parse_args()
    if args.fetch:
        fetch()
    problems = check()
    for p in problems:
        print(f"vendor_assets: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("vendor_assets: all vendored files match the manifest", file=sys.stderr)


if __name__ == "__main__":
    main()
