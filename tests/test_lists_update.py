"""Official list formats at size, provenance, and `dealscreen lists update` with its diff."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from screening.authoring.lists_import import detect_format, diff, import_list, plan_update
from screening.errors import UsageError
from screening.facts.parties import screen_name
from screening.model._yaml import load_file
from screening.model.reference import References, parse_reference
from tests.conftest import ROOT
from tests.list_generator import generate_list

DATA = ROOT / "tests" / "data"
CSL_JSON = DATA / "restricted_csl_sample.json"
FTM = DATA / "restricted_ftm_sample.ftm.json"
ON = dt.date(2026, 6, 1)


def test_formats_are_detected_from_the_content() -> None:
    """JSON objects with a schema and properties are FollowTheMoney; other JSON is the CSL."""
    assert detect_format(CSL_JSON) == "csl-json"
    assert detect_format(FTM) == "ftm"


def test_csl_json_keeps_the_requested_list() -> None:
    """Rows are kept by their source; aliases in any script and the country come along."""
    doc = import_list("bis_entity_list", CSL_JSON)
    assert [e["value"] for e in doc["entries"]] == ["Huawei Technologies Co., Ltd."]
    attrs = doc["entries"][0]["attributes"]
    assert attrs["aliases"] == ["Huawei", "华为技术有限公司"] and attrs["country"] == "CN"
    assert [e["value"] for e in import_list("bis_meu_list", CSL_JSON)["entries"]] == [
        "Aviation Industry Corporation of China, Ltd."
    ]


def test_ftm_keeps_the_dataset_and_drops_vessels() -> None:
    """An OpenSanctions file gives the entities of the list's dataset, without vessels."""
    doc = import_list("ofac_sdn", FTM)
    assert [e["value"] for e in doc["entries"]] == ["Public Joint Stock Company Sberbank of Russia"]
    assert doc["entries"][0]["from"] == "2022-04-06"
    assert [e["value"] for e in import_list("dod_1260h", FTM)["entries"]] == [
        "Hangzhou Hikvision Digital Technology Co., Ltd."
    ]


def test_provenance_names_each_file_with_its_hash_and_counts() -> None:
    """An import records the format, each file's SHA-256 and size, and what it counted."""
    doc = import_list("ofac_sdn", FTM, published=dt.date(2026, 11, 27))
    prov = doc["provenance"]
    assert prov["format"] == "ftm" and prov["entries"] == 1 and prov["names"] == 3
    assert prov["published"] == "2026-11-27"
    [file] = prov["files"]
    assert file["name"] == FTM.name and len(file["sha256"]) == 64
    assert file["bytes"] == FTM.stat().st_size


def test_imported_cyrillic_alias_matches_a_russian_record(tmp_path: Path) -> None:
    """A party written in Cyrillic with a Russian legal form matches the imported entry."""
    from screening.authoring.lists_import import dump_reference

    path = tmp_path / "ofac_sdn.yaml"
    path.write_text(dump_reference(import_list("ofac_sdn", FTM)), encoding="utf-8")
    problems: list[object] = []
    ref = parse_reference(load_file(path), problems)  # type: ignore[arg-type]
    assert ref is not None and not problems and ref.provenance["format"] == "ftm"
    s = screen_name(
        "Публичное акционерное общество Сбербанк России", References({ref.name: ref}), ON
    )
    assert [(m.entry, m.how) for m in s.matches] == [
        ("Public Joint Stock Company Sberbank of Russia", "name")
    ]


def test_diff_reports_added_removed_and_changed() -> None:
    """Entries are compared by name; any change of aliases, dates or attributes is a change."""
    old = [{"value": "A"}, {"value": "B", "attributes": {"aliases": ["b"]}}, {"value": "C"}]
    new = [{"value": "B", "attributes": {"aliases": ["b", "bee"]}}, {"value": "C"}, {"value": "D"}]
    assert diff(old, new) == {"added": ["D"], "removed": ["A"], "changed": ["B"]}


def test_update_plan_prefers_official_files_and_reports_the_rest(tmp_path: Path) -> None:
    """Official files win over the OpenSanctions file; unknown files are named, not skipped."""
    for src, name in ((FTM, "entities.ftm.json"), (CSL_JSON, "consolidated.json")):
        shutil.copy(src, tmp_path / name)
    shutil.copy(DATA / "restricted_sdn_sample.csv", tmp_path / "sdn.csv")
    (tmp_path / "notes.txt").write_text("x")
    plan, unread = plan_update(tmp_path)
    assert {k: (p.name, f) for k, (p, f) in plan.items()} == {
        "bis_entity_list": ("consolidated.json", "csl-json"),
        "bis_meu_list": ("consolidated.json", "csl-json"),
        "bis_unverified_list": ("consolidated.json", "csl-json"),
        "dod_1260h": ("entities.ftm.json", "ftm"),
        "fcc_covered_list": ("entities.ftm.json", "ftm"),
        "ns_cmic": ("consolidated.json", "csl-json"),
        "ofac_sdn": ("sdn.csv", "ofac"),
        "uflpa_entity_list": ("entities.ftm.json", "ftm"),
    }
    assert unread == ["notes.txt"]


def test_cli_update_shows_the_diff_then_writes_the_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lists update --dry-run` writes nothing; without it the layer holds the new lists."""
    from screening.cli.app import main

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shutil.copy(CSL_JSON, downloads / "consolidated.json")
    layer = tmp_path / "layer"
    args = ["lists", "update", "--from", str(downloads), "--out", str(layer)]
    assert main([*args, "--dry-run", "--retrieved", "2026-11-29"]) == 0
    out, err = capsys.readouterr()
    assert "dry run: nothing written" in err and not layer.exists()
    assert (
        "bis_meu_list: 1 entries" in out
        and "  added: Aviation Industry Corporation of China, Ltd." in out
    )
    assert main([*args, "--retrieved", "2026-11-29"]) == 0
    out, err = capsys.readouterr()
    assert "updated 4 list(s)" in err
    written = layer / "reference" / "restricted" / "bis_meu_list.yaml"
    assert written.is_file()
    # A second run against the layer itself: nothing changed.
    assert main(args) == 0
    out, _ = capsys.readouterr()
    assert "bis_meu_list: 1 entries (1 before): 0 added, 0 removed, 0 changed" in out
    assert main(["lists", "check", "AVIC", "--rules", str(layer)]) == 0
    out, _ = capsys.readouterr()
    assert (
        "BIS Military End-User List entry `Aviation Industry Corporation of China, Ltd.` by alias"
        in out
    )


def test_cli_update_of_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that does not exist: exit 2 and one located message."""
    from screening.cli.app import main

    assert main(["lists", "update", "--from", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    _, err = capsys.readouterr()
    assert "not-a-directory" in err and "Traceback" not in err


def test_generated_full_size_list_screens_every_name_the_same_way() -> None:
    """On a 2,000-entry generated list, an exact listed name is always a match (the index is sound)."""
    ref = generate_list("restricted_ofac_sdn", 2000)
    refs = References({ref.name: ref})
    for entry in ref.entries[::97]:
        s = screen_name(entry.value, refs, ON)
        assert entry.value in {m.entry for m in s.matches}


def test_cli_update_downloads_from_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--url` fetches each file (here from a loopback HTTP server) and updates the layer."""
    import functools
    import http.server
    import threading

    from screening.cli.app import main

    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(CSL_JSON, served / "consolidated.json")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/consolidated.json"
        layer = tmp_path / "layer"
        assert main(["lists", "update", "--url", url, "--out", str(layer)]) == 0
        _, err = capsys.readouterr()
        assert "downloaded" in err and "updated 4 list(s)" in err
        assert (layer / "reference" / "restricted" / "bis_entity_list.yaml").is_file()
        missing = f"http://127.0.0.1:{server.server_address[1]}/nothing.csv"
        assert main(["lists", "update", "--url", missing, "--out", str(layer)]) == 2
        assert "download-failed" in capsys.readouterr()[1]
    finally:
        server.shutdown()
        server.server_close()


def test_ofac_advanced_xml(tmp_path: Path) -> None:
    """SDN_ADVANCED.XML: primary alias as name, others as aliases in any script, vessels dropped."""
    xml = DATA / "restricted_sdn_advanced_sample.xml"
    assert detect_format(xml) == "ofac-xml"
    doc = import_list("ofac_sdn", xml)
    assert [(e["value"], e["from"]) for e in doc["entries"]] == [
        ("SAMPLE PERSON", "2024-03-05"),
        ("XINJIANG PRODUCTION AND CONSTRUCTION CORPS", "2020-07-31"),
    ]
    assert doc["entries"][1]["attributes"]["aliases"] == ["XPCC", "新疆生产建设兵团"]
    assert doc["entries"][0]["attributes"]["program"] == "SDGT] [IFSR"
    broken = tmp_path / "sdn_advanced.xml"
    broken.write_text("<Sanctions><DistinctParties>", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        import_list("ofac_sdn", broken)
    assert err.value.problems[0].code == "invalid-xml"


def _full_size_files(tmp_path: Path, entries: int) -> tuple[Path, Path]:
    """A CSL JSON file and an OpenSanctions file holding the same generated list."""
    import json

    ref = generate_list("restricted_bis_entity_list", entries, seed=5)
    csl = {
        "results": [
            {
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "name": e.value,
                "alt_names": e.attributes["aliases"],
                "addresses": [{"country": "CN"}],
                "start_date": "2024-01-02",
            }
            for e in ref.entries
        ]
    }
    csl_path = tmp_path / "consolidated.json"
    csl_path.write_text(json.dumps(csl, ensure_ascii=False), encoding="utf-8")
    ftm_path = tmp_path / "entities.ftm.json"
    with ftm_path.open("w", encoding="utf-8") as fh:
        for i, e in enumerate(ref.entries):
            entity = {
                "id": f"gen-{i}",
                "schema": "Company",
                "properties": {"name": [e.value], "alias": e.attributes["aliases"]},
                "datasets": ["us_bis_entity"],
            }
            fh.write(json.dumps(entity, ensure_ascii=False) + "\n")
    return csl_path, ftm_path


def test_full_size_imports_agree(tmp_path: Path) -> None:
    """20,000 generated entries with ~50,000 aliases import the same through CSL JSON and FtM."""
    csl_path, ftm_path = _full_size_files(tmp_path, 20_000)
    a = import_list("bis_entity_list", csl_path)
    b = import_list("bis_entity_list", ftm_path)
    assert a["provenance"]["entries"] == b["provenance"]["entries"] == 20_000
    assert a["provenance"]["names"] == b["provenance"]["names"] > 50_000
    assert [e["value"] for e in a["entries"]] == [e["value"] for e in b["entries"]]
