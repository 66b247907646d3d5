"""Helping people write records: schema descriptions, did-you-mean, country names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.errors import DealError
from screening.model.deal import Deal
from screening.model.loader import load_deal


def _properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            out.append((f"{path}.{name}", prop))
        for key, value in node.items():
            out.extend(_properties(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for value in node:
            out.extend(_properties(value, path))
    return out


def test_every_field_of_the_schema_has_a_description() -> None:
    """`dealscreen schema` documents every field a record can carry."""
    schema = Deal.model_json_schema()
    props = _properties(schema)
    assert len(props) > 500
    assert [p for p, prop in props if "description" not in prop] == []


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "deal.yaml"
    path.write_text(text)
    with pytest.raises(DealError) as info:
        load_deal(path)
    return [p.render() for p in info.value.problems]


def test_an_unknown_field_gets_did_you_mean(tmp_path: Path) -> None:
    """A misspelt field is an error naming the field it was probably meant to be."""
    text = "id: x\nname: X\nkind: equity_stake\ninvestor: {name: I, kind: company}\n"
    text += "target: {name: T}\nrights: {votng_pct: 30}\n"
    assert _problems(tmp_path, text) == [
        f"{tmp_path / 'deal.yaml'}:6: invalid-deal: $.rights.votng_pct: unknown field "
        "(did you mean `voting_pct`?)"
    ]


@pytest.mark.parametrize(
    ("given", "code"), [("China", "CN"), ("United States", "US"), ("DEU", "DE")]
)
def test_a_country_given_by_name_gets_its_code(tmp_path: Path, given: str, code: str) -> None:
    """`country: China` is an error that says which ISO 3166 alpha-2 code to use."""
    text = f"id: x\nname: X\nkind: equity_stake\ninvestor: {{name: I, kind: company, country: {given}}}\n"
    text += "target: {name: T}\n"
    assert _problems(tmp_path, text) == [
        f"{tmp_path / 'deal.yaml'}:4: invalid-deal: $.investor.country: `{given}` is not a "
        f"country code: use ISO 3166 alpha-2: {code}"
    ]


def test_schema_command_prints_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI prints the same schema, descriptions included."""
    from screening.cli.app import main

    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "decision_threshold_pct" in json.dumps(printed)
