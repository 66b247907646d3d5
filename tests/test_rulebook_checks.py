"""Issue 19: whatever can fail at screening time is a located load-time error; no rule is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import load_rulebook
from screening.authoring.examples import BASE_DEAL, merge
from screening.engine.compiler import compile_rulebook
from screening.engine.run import run_rules
from screening.errors import RulebookError
from screening.facts.derive import derive
from screening.model.deal import Deal
from tests.rulebook_helpers import GOOD, make_rulebook, rule_file


def _rule(rule_id: str, when: str, kind: str = "finding", extra: str = "") -> str:
    return f"""
    - id: {rule_id}
      kind: {kind}
      title: T
      citation: test
      when:
        {when}
      explain: "x"
      {extra}
    """


def _load_error(tmp_path: Path, files: dict[str, str]) -> RulebookError:
    base = make_rulebook(tmp_path, files)
    with pytest.raises(RulebookError) as info:
        load_rulebook([base])
    return info.value


def _located(err: RulebookError, code: str, name: str) -> None:
    hits = [p for p in err.problems if p.code == code]
    assert hits, err.render()
    assert all(name in p.location and p.location.rsplit(":", 1)[-1].isdigit() for p in hits), [
        p.location for p in hits
    ]


def test_finding_ids_that_are_prefixes_of_others_compile_and_agree(tmp_path: Path) -> None:
    text = rule_file(
        _rule("t.control", "- rights.voting_pct > 50"),
        _rule("t.control.minor", "- rights.voting_pct > 10"),
        _rule("t.both", "- finding t.control\n        - not finding t.control.minor"),
        _rule("t.either", "- finding t.control.minor"),
    )
    book = load_rulebook([make_rulebook(tmp_path, {"p.yaml": text})])
    for pct in (5, 30, 60):
        deal = Deal.model_validate(merge(BASE_DEAL, {"rights": {"voting_pct": pct}})).root
        ev = run_rules(book, derive(deal, book.references, deal.completion_date), check=True)
        assert ev.status["t.control"] is (pct > 50)
        assert ev.status["t.control.minor"] is (pct > 10)
        assert ev.status["t.both"] is False
        assert ev.status["t.either"] is (pct > 10)


def test_datetime_compared_with_a_date_is_a_located_error(tmp_path: Path) -> None:
    err = _load_error(
        tmp_path, {"d.yaml": rule_file(_rule("t.d", "- deal.as_of >= 2024-01-01T10:00:00"))}
    )
    _located(err, "type-mismatch", "d.yaml")


def test_any_nested_too_deep_is_a_located_error(tmp_path: Path) -> None:
    when: Any = "rights.voting_pct > 10"
    for _ in range(17):
        when = {"any": [when, "rights.voting_pct > 20"]}
    import json

    text = rule_file(
        _rule("t.deep", "").replace("when:\n        \n", f"when: {json.dumps(when)}\n")
    )
    err = _load_error(tmp_path, {"deep.yaml": text})
    _located(err, "too-deep", "deep.yaml")


@pytest.mark.parametrize(
    "leaf",
    [
        "investor.country not in @excepted_foreign_states",
        "target.cici_items contains none @tiny_dated",
    ],
)
def test_nesting_within_the_limit_works_in_the_engine(tmp_path: Path, leaf: str) -> None:
    import json

    from screening.rulebook.book import MAX_CONDITION_DEPTH

    # the deepest leaf compiles to the engine's own nesting (a dated reference list)
    when: Any = leaf
    for i in range(MAX_CONDITION_DEPTH):
        when = {("any" if i % 2 else "all"): [when, "rights.voting_pct > 20"]}
    text = rule_file(
        _rule("t.deep", "").replace("when:\n        \n", f"when: {json.dumps(when)}\n")
    )
    tiny = (
        "reference: tiny_dated\ntitle: t\nsource: test\nretrieved: 2026-01-01\n"
        "entries:\n  - {value: a, from: 2020-01-01, to: 2030-01-01}\n"
        "  - {value: b, from: 2021-01-01}\n"
    )
    files = {"deep.yaml": text, "reference/tiny.yaml": tiny}
    book = load_rulebook([make_rulebook(tmp_path, files)])
    deal = Deal.model_validate(merge(BASE_DEAL, {"rights": {"voting_pct": 30}})).root
    run_rules(book, derive(deal, book.references, deal.completion_date), check=True)


def test_a_long_finding_chain_is_a_located_error_not_a_recursion_error(tmp_path: Path) -> None:
    rules = [_rule("t.c0", "- rights.voting_pct > 10")]
    rules += [_rule(f"t.c{i}", f"- finding t.c{i - 1}") for i in range(1, 1500)]
    err = _load_error(tmp_path, {"chain.yaml": rule_file(*rules)})
    _located(err, "chain-too-deep", "chain.yaml")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("regime: cfius_800\ndisable: 5\nrules: []\n", "invalid-disable"),
        ("regime: cfius_800\ndisable: [no.such]\nrules: []\n", "unknown-rule"),
        (
            rule_file(
                _rule("t.x", "- rights.voting_pct > 10", "exemption", "suppresses: 5"),
            ),
            "invalid-suppression",
        ),
    ],
)
def test_disable_and_suppresses_are_checked_with_a_location(
    tmp_path: Path, text: str, code: str
) -> None:
    err = _load_error(tmp_path, {"layer.yaml": text})
    _located(err, code, "layer.yaml")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("r.YAML", "unknown-file"),
        ("r.yaml~", "unknown-file"),
        ("r.json", "unknown-file"),
        ("sub/regimes.yaml", "misplaced-regimes"),
    ],
)
def test_every_file_under_a_rules_directory_is_loaded_or_reported(
    tmp_path: Path, name: str, code: str
) -> None:
    text = "regimes: []\n" if name.endswith("regimes.yaml") else rule_file(GOOD)
    base = make_rulebook(tmp_path, {name: text})
    with pytest.raises(RulebookError) as info:
        load_rulebook([base])
    assert info.value.code == code, info.value.render()
    assert name in info.value.location


def test_override_must_be_a_boolean(tmp_path: Path) -> None:
    text = rule_file(GOOD.replace("kind: finding", "kind: finding\n  override: 'false'"))
    err = _load_error(tmp_path, {"o.yaml": text})
    _located(err, "invalid-value", "o.yaml")


def test_lint_reports_what_the_engine_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lint registers the compiled rulebook as the first screening would; a refusal is an error."""
    from screening.authoring.lint import lint
    from screening.engine import _durable
    from screening.errors import EngineError

    def refuse(rulesets: Any) -> None:
        raise EngineError("durable-rules refused the compiled rulebook: error code: 113")

    monkeypatch.setattr(_durable, "register", refuse)
    text = rule_file(_rule("t.lint_engine", "- rights.voting_pct > 17"))
    report = lint([make_rulebook(tmp_path, {"e.yaml": text})])
    assert [p.code for p in report.errors] == ["engine-refused"]


_DATED_LISTS = (
    "reference: tiny_lists\ntitle: t\nsource: test\nretrieved: 2026-01-01\n"
    "entries:\n  - {value: ofac_sdn, from: 2020-01-01, to: 2030-01-01}\n"
    "  - {value: ns_cmic, from: 2031-01-01}\n  - bis_entity_list\n"
)


@pytest.mark.parametrize(
    ("lists", "as_of", "listed"),
    [
        (["ofac_sdn"], "2025-06-30", True),  # within its dates
        (["ofac_sdn"], "2019-06-30", False),  # before them
        (["ofac_sdn"], "2030-01-01", False),  # `to` is exclusive
        (["ns_cmic"], "2025-06-30", False),  # not yet listed
        (["ns_cmic"], "2031-01-01", True),
        (["bis_entity_list", "ns_cmic"], "2025-06-30", True),  # an undated entry
        ([], "2025-06-30", False),
    ],
)
def test_dated_entries_of_a_list_test_hold_by_the_screening_date_in_the_engine(
    tmp_path: Path, lists: list[str], as_of: str, listed: bool
) -> None:
    """`contains any @list` and `contains none @list` with dated entries: the engine agrees
    with the evaluator (run_rules checks). Inside a durable-rules list test only the element
    exists, so an entry's dates are tested on the deal beside it; tested inside, they never
    held (`contains any` missed an entry in force) and `contains none` ignored them."""
    import datetime as dt

    text = rule_file(
        _rule("t.any", "- investor.lists contains any @tiny_lists"),
        _rule("t.none", "- investor.lists contains none @tiny_lists"),
        _rule("t.not_any", "- not finding t.any"),
        _rule("t.not_none", "- not finding t.none"),
    )
    files = {"lists.yaml": text, "reference/tiny_lists.yaml": _DATED_LISTS}
    book = load_rulebook(base=make_rulebook(tmp_path, files))  # these rules alone
    deal = Deal.model_validate(merge(BASE_DEAL, {"investor": {"lists": lists}})).root
    view = derive(deal, book.references, dt.date.fromisoformat(as_of))
    ev = run_rules(book, view, check=True)
    assert ev.status["t.any"] is listed
    assert ev.status["t.none"] is (not listed)
    assert ev.status["t.not_any"] is (not listed)
    assert ev.status["t.not_none"] is listed


@pytest.mark.parametrize(("as_of", "held"), [("2025-06-30", True), ("2019-06-30", False)])
def test_a_rule_without_dates_reading_a_dated_list_gets_the_screening_date(
    tmp_path: Path, as_of: str, held: bool
) -> None:
    """The engine fact carries `deal.as_of` for every ruleset testing a dated entry, not only
    for rules with effective dates (without it the entry never held in the engine)."""
    import datetime as dt

    tiny = (
        "reference: tiny_states\ntitle: t\nsource: test\nretrieved: 2026-01-01\n"
        "entries:\n  - {value: CN, from: 2020-01-01}\n"
    )
    text = rule_file(
        _rule("t.in", "- investor.country in @tiny_states"),
        _rule("t.out", "- investor.country not in @tiny_states"),
        _rule("t.not_in", "- not finding t.in"),
    )
    files = {"states.yaml": text, "reference/tiny_states.yaml": tiny}
    book = load_rulebook(base=make_rulebook(tmp_path, files))  # these rules alone
    deal = Deal.model_validate(BASE_DEAL).root
    ev = run_rules(book, derive(deal, book.references, dt.date.fromisoformat(as_of)), check=True)
    assert (ev.status["t.in"], ev.status["t.out"], ev.status["t.not_in"]) == (
        held,
        not held,
        not held,
    )
    for rs in compile_rulebook(book):
        assert ("deal.as_of" in json.dumps(rs.definition)) <= ("deal.as_of" in rs.paths), rs.name
