"""Importing official restricted-list CSV downloads (OFAC SDN, CSL, simple) into reference YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from screening.authoring.lists_import import detect_format, dump_reference, import_list
from screening.errors import UsageError
from screening.facts.parties import screen_name
from screening.model._yaml import load_file
from screening.model.reference import References, parse_reference
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
SDN, ALT, ADD = (DATA / f"restricted_{n}_sample.csv" for n in ("sdn", "alt", "add"))
CSL = DATA / "restricted_csl_sample.csv"
SIMPLE = DATA / "restricted_simple_sample.csv"


def test_detect_format() -> None:
    """Header rows tell the CSL and simple formats apart; no header means OFAC's sdn.csv."""
    assert [detect_format(p) for p in (SDN, CSL, SIMPLE)] == ["ofac", "csl", "simple"]


def test_ofac_sdn_with_aliases_and_countries() -> None:
    """sdn.csv rows become entries with alt.csv aliases, add.csv countries and programs."""
    doc = import_list("ofac_sdn", SDN, alt=ALT, add=ADD, retrieved=dt.date(2026, 11, 28))
    assert doc["reference"] == "restricted_ofac_sdn"
    assert doc["retrieved"] == "2026-11-28"
    names = [e["value"] for e in doc["entries"]]
    assert names == sorted(names)
    assert "SAMPLE VESSEL ONE" not in names  # vessels are left out
    assert "DOE, John" in names  # individuals are kept
    xpcc = next(e for e in doc["entries"] if e["value"].startswith("XINJIANG"))
    assert xpcc["attributes"] == {
        "aliases": ["XPCC", "XINJIANG CORPS", "BINGTUAN"],
        "country": "CN",
        "program": "GLOMAG",
        "source": "OFAC SDN ent_num 28560",
    }
    multi = next(e for e in doc["entries"] if e["value"].startswith("SAMPLE BLOCKED"))
    assert multi["attributes"]["program"] == "IFSR; SDGT"
    assert multi["attributes"]["country"] == "AE"


def test_csl_filters_by_source() -> None:
    """Only the requested list's rows of the Consolidated Screening List are kept."""
    el = import_list("bis_entity_list", CSL)
    assert [e["value"] for e in el["entries"]] == [
        "Hoshine Silicon Industry (Shanshan) Co., Ltd.",
        "Huawei Technologies Co., Ltd.",
    ]
    huawei = el["entries"][1]
    assert huawei["from"] == "2019-05-16"
    assert huawei["attributes"]["aliases"] == ["Huawei"]
    assert huawei["attributes"]["country"] == "CN"
    assert huawei["attributes"]["source"] == "84 FR 22961"
    meu = import_list("bis_meu_list", CSL)
    assert meu["entries"][0]["attributes"]["aliases"] == ["Sample Aero Research Institute", "SAI"]
    assert [e["value"] for e in import_list("ns_cmic", CSL)["entries"]] == ["CHINA MOBILE LIMITED"]
    assert [e["value"] for e in import_list("ofac_sdn", CSL)["entries"]] == [
        "XINJIANG PRODUCTION AND CONSTRUCTION CORPS"
    ]


def test_csl_rejects_lists_it_does_not_carry() -> None:
    """Lists outside the CSL need the simple format."""
    with pytest.raises(UsageError) as err:
        import_list("dod_1260h", CSL, fmt="csl")
    assert (err.value.code, err.value.location, err.value.message) == (
        "not-in-csl",
        "--list",
        "`dod_1260h` is not in the Consolidated Screening List: use `--format simple`",
    )


def test_simple_format() -> None:
    """The simple CSV keeps aliases, country (names become ISO codes) and listing dates."""
    doc = import_list("dod_1260h", SIMPLE)
    tencent = doc["entries"][1]
    assert tencent == {
        "value": "Tencent Holdings Ltd.",
        "from": "2025-01-07",
        "attributes": {
            "aliases": ["Tencent"],
            "country": "KY",
            "program": "1260H",
            "source": "DoD 1260H notice (Jan. 7, 2025)",
            "listed": "2025-01-07",
        },
    }


def test_unknown_list() -> None:
    """An unknown list id is a usage error naming the choices."""
    with pytest.raises(UsageError) as err:
        import_list("sdn", SDN)
    assert err.value.code == "unknown-list"


def test_round_trip_and_matching(tmp_path: Path) -> None:
    """The written YAML loads as a reference list, and its aliases match."""
    doc = import_list("ofac_sdn", SDN, alt=ALT, add=ADD)
    out = tmp_path / "ofac_sdn.yaml"
    out.write_text(dump_reference(doc), encoding="utf-8")
    problems: list[object] = []
    ref = parse_reference(load_file(out), problems)  # type: ignore[arg-type]
    assert ref is not None and not problems
    s = screen_name("Bingtuan", References({ref.name: ref}), dt.date(2026, 1, 1))
    assert [(m.list_id, m.entry, m.how) for m in s.matches] == [
        ("ofac_sdn", "XINJIANG PRODUCTION AND CONSTRUCTION CORPS", "alias")
    ]


def test_cli_import_writes_a_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lists import` writes a reference file that a rulebook layer loads, replacing the starter set."""
    from screening.cli.app import main

    out = tmp_path / "layer" / "reference" / "restricted" / "ofac_sdn.yaml"
    code = main(
        [
            "lists",
            "import",
            "--list",
            "ofac_sdn",
            str(SDN),
            "--alt",
            str(ALT),
            "--retrieved",
            "2026-11-28",
            "--out",
            str(out),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "wrote 5 entries of `restricted_ofac_sdn`" in err
    code = main(["lists", "check", "Xinjiang Corps", "--rules", str(tmp_path / "layer")])
    text, err = capsys.readouterr()
    assert code == 0, err
    assert "OFAC SDN List entry `XINJIANG PRODUCTION AND CONSTRUCTION CORPS` by alias" in text


def test_cli_import_bad_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad --retrieved date exits 2 with one clear message."""
    from screening.cli.app import main

    code = main(
        [
            "lists",
            "import",
            "--list",
            "ofac_sdn",
            str(SDN),
            "--retrieved",
            "soon",
            "--out",
            str(tmp_path / "x.yaml"),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "invalid-date: `soon` is not a date (YYYY-MM-DD)" in err
