"""Reliability: bad input always gives a located ScreeningError, rules are never lost silently,
and screenings leave nothing behind in the engine."""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import load_deal, load_rulebook, screen
from screening.authoring.examples import BASE_DEAL
from screening.cli.app import main
from screening.engine import _durable
from screening.engine.explain import render_json
from screening.errors import DealError, EngineError, RulebookError, ScreeningError
from screening.model.deal import Deal
from tests.conftest import FIXTURES
from tests.rulebook_helpers import make_rulebook, rule_file
from tests.strategies import full_deals

_TMP = Path(tempfile.mkdtemp(prefix="dealscreen-reliability-"))
_COUNTER = iter(range(10**9))


def _write(content: str | bytes, suffix: str) -> Path:
    path = _TMP / f"doc{next(_COUNTER)}{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Broken deal documents

_junk_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), -1, -50, -0.0001, 101, 1e308, 1e-320]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "-5",
            "1e999",
            "NaN",
            "Infinity",
            "-Infinity",
            "0x10",
            "2025-02-30",
            "CN\u0000",
            "\ud7ff",
            "\u202e",
            "🀄",
            "yes",
            "null",
            "~",
            "12%",
        ]
    ),
    st.text(max_size=8),
)
_junk = st.recursive(
    _junk_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _nested(depth: int) -> Any:
    out: Any = "leaf"
    for _ in range(depth):
        out = {"x": [out]}
    return out


@st.composite
def broken_deals(draw: st.DrawFn) -> dict[str, Any]:
    """A generated deal with a few fields replaced by junk, deleted, or added."""
    data = copy.deepcopy(draw(full_deals))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "extra", "deep"]))
        if action == "replace":
            parent[path[-1]] = draw(_junk)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "extra" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(_junk)
        elif action == "deep":
            parent[path[-1]] = _nested(draw(st.sampled_from([5, 50, 200])))
    return data


def _as_text(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, default=str)
    # JSON is YAML; flow style with YAML's own spellings for the odd numbers.
    return json.dumps(data, default=str).replace("NaN", ".nan").replace("Infinity", ".inf")


_BAD_TEXTS = [
    "",
    "---\n",
    "- just\n- a list\n",
    "id: [unclosed\n",
    "id: x\n  bad: indentation\n",
    '{"id": ',
    "\t\tid: tabs\n",
    "id: x\nid: y\n",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "id: !!python/object/apply:os.system [echo owned]\n",
    "id: !custom x\n",
    "id: !!binary aGVsbG8=\n",
    "[" * 600 + "]" * 600,
    '{"a": ' * 600 + "1" + "}" * 600,
    "x:\n" + "".join("  " * i + "- \n" for i in range(1, 300)),
    "%YAML 9.9\n---\nid: x\n",
    "id: x\n...\n---\nid: y\n",
    "? [complex, key]\n: value\n",
]
_BAD_BYTES = [
    b"\xff\xfe\x00i\x00d",
    b"id: \xc3\x28\n",
    b"name: \xed\xa0\x80\n",
    b"\x00\x00\x00",
    b"id: ok\n\x80\x81\x82\n",
]


def _assert_located(exc: ScreeningError, path: Path) -> None:
    assert exc.problems, "a ScreeningError must carry at least one problem"
    for problem in exc.problems:
        assert problem.location.startswith(str(path)), problem
        assert problem.code and problem.message and "\n" not in problem.message, problem


def _check_deal_file(path: Path) -> None:
    """load_deal gives a record or a located ScreeningError; a record screens or errs cleanly."""
    try:
        record = load_deal(path)
    except ScreeningError as exc:
        _assert_located(exc, path)
        return
    try:
        screen(record)
    except ScreeningError as exc:
        assert exc.problems and all(p.location for p in exc.problems)


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


@given(broken_deals(), st.sampled_from(["json", "yaml"]))
def test_broken_deal_documents_give_located_errors(data: dict[str, Any], fmt: str) -> None:
    """Wrong types, missing/extra fields, huge or negative numbers, deep nesting: never a crash."""
    _check_deal_file(_write(_as_text(data, fmt), f".{fmt}"))


@given(st.text(max_size=200), st.sampled_from([".yaml", ".json"]))
def test_arbitrary_text_gives_located_errors(text: str, suffix: str) -> None:
    """Any text at all, as YAML or JSON, loads or gives a located DealError."""
    _check_deal_file(_write(text, suffix))


@given(st.binary(max_size=200), st.sampled_from([".yaml", ".json"]))
def test_arbitrary_bytes_give_located_errors(raw: bytes, suffix: str) -> None:
    """Non-UTF-8 bytes and binary junk give a located DealError."""
    _check_deal_file(_write(raw, suffix))


@pytest.mark.parametrize("text", _BAD_TEXTS, ids=range(len(_BAD_TEXTS)))
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_hostile_documents_give_located_errors_and_no_traceback(text: str, suffix: str) -> None:
    """Invalid YAML, tags, alias bombs, deep nesting: a DealError, and exit 2 without traceback."""
    path = _write(text, suffix)
    with pytest.raises(DealError) as info:
        load_deal(path)
    _assert_located(info.value, path)
    code, err = _run_cli(["screen", str(path), "--no-store"])
    assert code == 2 and "Traceback" not in err and err.startswith("dealscreen: ")


@pytest.mark.skipif(
    os.environ.get("DEALSCREEN_HYPOTHESIS") != "thorough",
    reason="seconds per document: the YAML parser recurses until Python's limit",
)
def test_very_deep_documents_give_located_errors() -> None:
    """Nesting thousands deep (a few KB) is refused with a located error, not a RecursionError."""
    for text, suffix in (
        ("[" * 5000 + "]" * 5000, ".yaml"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, ".json"),
    ):
        path = _write(text, suffix)
        with pytest.raises(DealError) as info:
            load_deal(path)
        _assert_located(info.value, path)


@pytest.mark.parametrize("raw", _BAD_BYTES, ids=range(len(_BAD_BYTES)))
def test_non_utf8_deal_files_give_exit_2(raw: bytes) -> None:
    """Bytes that are not UTF-8 give a located DealError and exit status 2."""
    path = _write(raw, ".yaml")
    with pytest.raises(DealError) as info:
        load_deal(path)
    _assert_located(info.value, path)
    code, err = _run_cli(["screen", str(path), "--no-store"])
    assert code == 2 and "Traceback" not in err


@settings(max_examples=15)
@given(broken_deals(), st.sampled_from(["json", "yaml"]))
def test_cli_never_prints_a_traceback_for_bad_deals(data: dict[str, Any], fmt: str) -> None:
    """`dealscreen screen` on a broken deal exits 0 or 2, never with a traceback."""
    path = _write(_as_text(data, fmt), f".{fmt}")
    code, err = _run_cli(["screen", str(path), "--no-store", "--format", "json"])
    assert code in (0, 2) and "Traceback" not in err, err


def test_missing_deal_file_is_a_located_error() -> None:
    """A path that does not exist gives a DealError naming it."""
    path = _TMP / "absent.yaml"
    with pytest.raises(DealError) as info:
        load_deal(path)
    _assert_located(info.value, path)


# --------------------------------------------------------------------------------------------
# Broken rule files

_GOOD_RULE: dict[str, Any] = {
    "id": "t.rule",
    "kind": "outcome",
    "outcome": "filing_advised",
    "title": "A test rule",
    "citation": "31 CFR 800.401",
    "when": ["investor.foreign_person is true", "rights.voting_pct >= 25"],
    "explain": "{investor.name} holds {rights.voting_pct}.",
}
_bad_conditions = st.sampled_from(
    [
        "investor.foreign_person",
        "investor.nope is true",
        "rights.voting_pct >= lots",
        "rights.voting_pct => 25",
        "rights.voting_pct >= 25 25",
        "finding t.missing",
        "not finding",
        "investor.country in @no_such_list",
        "investor.country in [XX, ZZ]",
        "deal.kind in [not_a_kind]",
        "__import__('os')",
        "rights.voting_pct >= 1e999",
        "investor.lists contains any []",
        "{investor.name}",
        "",
        "rights.voting_pct",
    ]
)
_bad_templates = st.sampled_from(
    [
        "{deal.__class__}",
        "{0.__init__.__globals__}",
        "{investor.name",
        "investor.name}",
        "{investor.nope}",
        "{}",
        "{{investor.name}}",
        "{investor.name.__class__}",
        "{!r}",
        "{investor.name:>{width}}",
    ]
)


@st.composite
def broken_rules(draw: st.DrawFn) -> str:
    """A rule file with one rule broken in one to three ways."""
    rule = copy.deepcopy(_GOOD_RULE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(st.sampled_from(["replace", "delete", "extra", "condition", "template"]))
        key = draw(st.sampled_from(sorted(rule)))
        if action == "replace":
            rule[key] = draw(_junk)
        elif action == "delete":
            rule.pop(key, None)
        elif action == "extra":
            rule[draw(st.text(min_size=1, max_size=6))] = draw(_junk)
        elif action == "condition":
            rule["when"] = [draw(_bad_conditions)]
        else:
            rule["explain"] = draw(_bad_templates)
    text = json.dumps({"regime": "cfius_800", "rules": [rule]}, default=str)
    return text.replace("NaN", ".nan").replace("Infinity", ".inf")


def _check_rulebook(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = make_rulebook(Path(tmp), files)
        try:
            book = load_rulebook(base=base)
        except RulebookError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.location.startswith(str(base)), problem
                assert problem.code and "\n" not in problem.message, problem
            return
        try:  # a rulebook that loads must screen, or fail with a located error
            screen(Deal.model_validate(BASE_DEAL).root, rulebook=book)
        except ScreeningError as exc:
            assert exc.problems and all(p.location for p in exc.problems)


@given(broken_rules())
def test_broken_rule_files_give_located_errors(text: str) -> None:
    """Generated broken rules give a RulebookError with file:line locations, never a crash."""
    _check_rulebook({"t/r.yaml": text})


@settings(max_examples=20)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_rule_file_text_gives_located_errors(text: str) -> None:
    """Any text as a rule file loads or gives a located RulebookError."""
    _check_rulebook({"t/r.yaml": text})


@pytest.mark.parametrize("index", [2, 3, 8, 9, 12])
def test_hostile_rule_files_give_exit_2(index: int) -> None:
    """A hostile rule layer on the command line exits 2 with no traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        layer = Path(tmp) / "layer"
        (layer / "t").mkdir(parents=True)
        (layer / "t" / "r.yaml").write_text(_BAD_TEXTS[index], encoding="utf-8")
        code, err = _run_cli(
            ["screen", str(FIXTURES / _first_fixture()), "--no-store", "--rules", str(layer)]
        )
    assert code == 2 and "Traceback" not in err, err


def test_non_utf8_rule_file_is_a_located_error() -> None:
    """A rule file that is not UTF-8 gives a located RulebookError."""
    with tempfile.TemporaryDirectory() as tmp:
        base = make_rulebook(Path(tmp), {"t/r.yaml": rule_file()})
        (base / "t" / "r.yaml").write_bytes(b"regime: cfius_800\nrules: [\xff\xfe]\n")
        with pytest.raises(RulebookError) as info:
            load_rulebook(base=base)
    assert info.value.location.startswith(str(base / "t" / "r.yaml"))


def _first_fixture() -> str:
    return sorted(p.name for p in FIXTURES.glob("*.yaml"))[0]


# --------------------------------------------------------------------------------------------
# No silent rule loss


def _fixture_hits() -> tuple[Any, Any]:
    """A fixture deal and the result it gets, with hits of several kinds."""
    book = load_rulebook()
    best = None
    for path in sorted(FIXTURES.glob("*.yaml")):
        deal = load_deal(path)
        result = screen(deal, rulebook=book)
        if best is None or len(result.hits) > len(best[1].hits):
            best = (deal, result)
    assert best is not None and best[1].hits
    return best


@pytest.fixture(scope="module")
def hit_deal() -> tuple[Any, Any]:
    """The fixture deal with the most hits, and its result."""
    return _fixture_hits()


@pytest.fixture
def failing() -> Any:
    """Inject a failing action; always reset afterwards."""
    yield _durable.inject_failure
    _durable.inject_failure(None)


def test_failing_action_of_every_hit_makes_screening_fail(hit_deal: Any, failing: Any) -> None:
    """An error inside any fired rule's action raises EngineError: never a result without it."""
    deal, result = hit_deal
    for hit in result.hits:
        failing(f"+{hit.rule_id}")
        with pytest.raises(EngineError) as info:
            screen(deal)
        assert "a rule action failed" in str(info.value)
    failing(None)
    assert screen(deal) == result


def test_failing_refutation_and_sentinel_make_screening_fail(hit_deal: Any, failing: Any) -> None:
    """A failing "definitely false" action or sentinel is also loud, not a missing finding."""
    deal, _ = hit_deal
    book = load_rulebook()
    refuted = [r.id for r in book.rules.values() if r.kind == "finding"]
    raised = 0
    for rule_id in refuted:
        failing(f"-{rule_id}")
        try:
            screen(deal)
        except EngineError:
            raised += 1
    assert raised > 0  # some findings are refuted for this deal; each such one raised
    failing(_durable.SENTINEL)
    with pytest.raises(EngineError):
        screen(deal)


def test_engine_failure_on_the_command_line_is_exit_1(hit_deal: Any, failing: Any) -> None:
    """The CLI reports an engine defect as an internal error (exit 1), not as a verdict."""
    _, result = hit_deal
    failing(f"+{result.hits[0].rule_id}")
    path = FIXTURES / next(
        p.name for p in sorted(FIXTURES.glob("*.yaml")) if load_deal(p).id == result.deal_id
    )
    code, err = _run_cli(["screen", str(path), "--no-store"])
    assert code == 1 and "internal error" in err


# --------------------------------------------------------------------------------------------
# Isolation


def test_a_b_a_gives_identical_results() -> None:
    """Screening A, then B, then A again gives byte-identical results for A."""
    paths = sorted(FIXTURES.glob("*.yaml"))
    a, b = load_deal(paths[0]), load_deal(paths[-1])
    first = render_json(screen(a))
    render_json(screen(b))
    assert render_json(screen(a)) == first


@settings(max_examples=10)
@given(st.lists(full_deals, min_size=2, max_size=6))
def test_interleaved_deals_leave_no_state(deals: list[dict[str, Any]]) -> None:
    """Screening many deals in any order gives each its own result, and leaves no sessions."""
    records = [Deal.model_validate({**d, "id": f"d{i}"}).root for i, d in enumerate(deals)]
    alone = [render_json(screen(r)) for r in records]
    first_sid = int(_durable.last_session_id()[1:]) + 1
    mixed = [render_json(screen(r)) for r in reversed(records)]
    assert list(reversed(mixed)) == alone
    last_sid = int(_durable.last_session_id()[1:])
    names = _durable.registered()
    left = [
        (name, sid)
        for sid in range(first_sid, last_sid + 1)
        for name in names
        if _durable.session_state(name, f"s{sid}") is not None
    ]
    assert left == []
    assert all(_durable.session_facts(name, _durable.KEPT) in (None, []) for name in names)
