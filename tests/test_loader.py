"""Reading deal records: YAML and JSON, every problem located and collected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening import DealError, load_deal
from screening.authoring.examples import BASE_DEAL
from screening.model.deal import Deal


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_and_json_give_the_same_record(tmp_path: Path) -> None:
    """A record round-trips: record → JSON → record, and YAML equals JSON."""
    js = write(tmp_path, "d.json", json.dumps(BASE_DEAL))
    record = load_deal(js)
    again = Deal.model_validate(json.loads(record.model_dump_json())).root
    assert again == record


def test_errors_are_collected_with_lines_and_paths(tmp_path: Path) -> None:
    """Every invalid field is reported with file:line and a data path, sorted."""
    path = write(
        tmp_path,
        "bad.yaml",
        "id: bad\nname: Bad\nkind: equity_stake\ninvestor:\n  name: X\n  kind: compny\n"
        "  country: ZZ\ntarget:\n  name: T\nrights:\n  voting_pct: 130\n  extra: 1\n",
    )
    with pytest.raises(DealError) as info:
        load_deal(path)
    got = [
        (p.location.replace(str(path), "bad.yaml"), p.code, p.message) for p in info.value.problems
    ]
    assert got == [
        (
            "bad.yaml:6",
            "invalid-deal",
            "$.investor.kind: input should be 'company', 'individual', "
            "'fund', 'government' or 'state_owned_enterprise'",
        ),
        (
            "bad.yaml:7",
            "invalid-deal",
            "$.investor.country: `ZZ` is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            "bad.yaml:11",
            "invalid-deal",
            "$.rights.voting_pct: input should be less than or equal to 100",
        ),
        ("bad.yaml:12", "invalid-deal", "$.rights.extra: unknown field"),
    ]


def test_unknown_kind(tmp_path: Path) -> None:
    """A deal kind outside the union names the allowed kinds."""
    path = write(tmp_path, "k.yaml", "id: k\nname: K\nkind: merger\n")
    with pytest.raises(DealError) as info:
        load_deal(path)
    assert info.value.message.startswith("$.kind: `kind` must be one of acquisition, equity_stake")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: [1", "invalid-yaml"),
        ("a: &x [1]\nb: *x\n", "yaml-alias"),
        ("a: !!python/object/apply:os.system [ls]\n", "yaml-tag"),
        ("- 1\n- 2\n", "invalid-deal"),
    ],
)
def test_unsafe_or_broken_yaml(tmp_path: Path, text: str, code: str) -> None:
    """Broken YAML, aliases and tags are refused with a located error."""
    with pytest.raises(DealError) as info:
        load_deal(write(tmp_path, "x.yaml", text))
    assert info.value.code == code
    assert info.value.location.startswith(str(tmp_path / "x.yaml"))


def test_not_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a clean error."""
    path = tmp_path / "b.yaml"
    path.write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(DealError) as info:
        load_deal(path)
    assert info.value.code == "not-utf8"


def test_missing_file() -> None:
    """A file that is not there says so."""
    with pytest.raises(DealError) as info:
        load_deal("no/such/deal.yaml")
    assert (info.value.location, info.value.code) == ("no/such/deal.yaml", "file-not-found")


def test_too_many_decimal_places(tmp_path: Path) -> None:
    """Percentages carry at most 6 decimal places (so the engine compares them exactly)."""
    data = json.loads(json.dumps(BASE_DEAL))
    data["rights"]["voting_pct"] = "24.9999999"
    with pytest.raises(DealError) as info:
        load_deal(write(tmp_path, "p.json", json.dumps(data)))
    assert info.value.message == "$.rights.voting_pct: at most 6 decimal places are allowed"


def test_folded_scalars_read_as_yaml_says() -> None:
    """Folded text has no fold markers left in it (ruamel's round-trip composer adds BEL)."""
    from screening.model._yaml import parse

    data = parse("a: >-\n  one two\n  three four\nb: |\n  x\n  y\n", "t").data
    assert data == {"a": "one two three four", "b": "x\ny\n"}
