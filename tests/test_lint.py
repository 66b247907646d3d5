"""Linting a rulebook: one test per lint code, asserting code, severity, message and file:line."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pycountry

from screening.authoring.lint import CODES, LintReport, lint, lint_rulebook
from screening.rulebook.book import load_rulebook
from tests.authoring_helpers import small_rulebook as make_rulebook
from tests.rulebook_helpers import rule_file

EXAMPLES = """
examples:
  fires: [{example: fires}]
  does_not_fire: [{example: does not fire}]
"""


def rule(
    rule_id: str, *when: str, kind: str = "outcome", extra: str = "", examples: str = EXAMPLES
) -> str:
    """A rule snippet: conditions one per line; outcome rules advise a filing."""
    outcome = "outcome: filing_advised\n" if kind == "outcome" else ""
    conds = "".join(f"  - {c}\n" for c in when)
    body = (
        f"id: {rule_id}\nkind: {kind}\n{outcome}title: A test rule\ncitation: 31 CFR 800.101\n"
        f"when:\n{conds}explain: A test rule fired.\n"
        + textwrap.dedent(extra).strip("\n")
        + ("\n" if extra else "")
        + textwrap.dedent(examples).strip("\n")
        + "\n"
    )
    return "- " + textwrap.indent(body, "  ")[2:]


def run(
    tmp_path: Path, *rules: str, files: dict[str, str] | None = None, today: dt.date | None = None
) -> tuple[LintReport, list[tuple[str, str, str, str]]]:
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(*rules), **(files or {})})
    report = lint(base=base, today=today)
    prefix = str(base) + "/"
    return report, [
        (p.location.replace(prefix, ""), p.severity, p.code, p.message.replace(prefix, ""))
        for p in report.problems
    ]


def test_clean_rule_has_no_problems(tmp_path: Path) -> None:
    """A satisfiable outcome rule with both kinds of example lints clean."""
    report, problems = run(tmp_path, rule("t.ok", "rights.voting_pct >= 25"))
    assert problems == []
    assert report.version is not None and not report.errors


def test_load_errors_pass_through_as_errors(tmp_path: Path) -> None:
    """A load error (unknown fact, with its suggestion) is a lint error at its file:line."""
    _, problems = run(tmp_path, rule("t.typo", "rights.votng_pct >= 25"))
    assert problems == [
        (
            "t/r.yaml:9",
            "error",
            "unknown-fact",
            "no fact `rights.votng_pct` (did you mean `rights.voting_pct`?)",
        ),
    ]


def test_never_fires_numeric_bounds(tmp_path: Path) -> None:
    """`x >= 50` and `x < 25` on one path can never both hold."""
    _, problems = run(
        tmp_path, rule("t.never", "rights.voting_pct >= 50", "rights.voting_pct < 25")
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-fires",
            "rule `t.never` can never fire: `rights.voting_pct < 25` contradicts "
            "`rights.voting_pct >= 50`",
        ),
    ]


def test_never_fires_two_values(tmp_path: Path) -> None:
    """`==` two different values of one fact can never both hold."""
    _, problems = run(
        tmp_path, rule("t.never", "deal.kind == equity_stake", "deal.kind == lending")
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-fires",
            "rule `t.never` can never fire: `deal.kind == lending` contradicts "
            "`deal.kind == equity_stake`",
        ),
    ]


def test_never_fires_integer_gap(tmp_path: Path) -> None:
    """A whole-number fact strictly between 3 and 4 has no value."""
    _, problems = run(tmp_path, rule("t.never", "rights.board_seats > 3", "rights.board_seats < 4"))
    assert [p[2] for p in problems] == ["never-fires"]


def test_never_fires_finding_and_its_negation(tmp_path: Path) -> None:
    """`finding F` and `not finding F` together can never hold; so a rule needing it neither."""
    finding = rule("t.foreign", "investor.foreign_person is true", kind="finding")
    never = rule("t.never", "finding t.foreign", "not finding t.foreign")
    user = rule("t.user", "finding t.never_f")
    never_f = rule("t.never_f", "rights.voting_pct > 60", "rights.voting_pct < 10", kind="finding")
    _, problems = run(tmp_path, finding, never, never_f, user)
    assert problems == [
        (
            "t/r.yaml:13",
            "error",
            "never-fires",
            "rule `t.never` can never fire: `not finding t.foreign` contradicts `finding t.foreign`",
        ),
        (
            "t/r.yaml:25",
            "error",
            "never-fires",
            "rule `t.never_f` can never fire: `rights.voting_pct < 10` contradicts "
            "`rights.voting_pct > 60`",
        ),
        (
            "t/r.yaml:36",
            "error",
            "never-fires",
            "rule `t.user` can never fire: it needs finding `t.never_f`, which can never fire",
        ),
    ]


def test_never_fires_contains_none(tmp_path: Path) -> None:
    """A list fact cannot contain a value and contain none of a list holding it."""
    _, problems = run(
        tmp_path,
        rule(
            "t.never",
            "investor.lists contains ofac_sdn",
            "investor.lists contains none [ofac_sdn, bis_entity_list]",
        ),
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-fires",
            "rule `t.never` can never fire: `investor.lists contains none [ofac_sdn, "
            "bis_entity_list]` contradicts `investor.lists contains ofac_sdn`",
        ),
    ]


def test_never_fires_value_excluded_by_list(tmp_path: Path) -> None:
    """`in [a, b]` with `!= a` and `!= b` leaves no value (a three-way contradiction)."""
    _, problems = run(
        tmp_path,
        rule(
            "t.never",
            "deal.kind in [equity_stake, lending]",
            "deal.kind != equity_stake",
            "deal.kind != lending",
        ),
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-fires",
            "rule `t.never` can never fire: together `deal.kind in [equity_stake, lending]`, "
            "`deal.kind != equity_stake`, `deal.kind != lending` leave no value of `deal.kind`",
        ),
    ]


def test_never_fires_reference_list_empty_while_in_force(tmp_path: Path) -> None:
    """`in @list` when no entry of the list is in force during the rule's effective dates."""
    ref = """
        reference: t_states
        title: Test states
        source: test
        retrieved: 2026-01-01
        review_by: 2027-01-01
        entries:
          - {value: GB, to: 2019-01-01}
        """
    _, problems = run(
        tmp_path,
        rule("t.never", "investor.country in @t_states", extra="effective: {from: 2020-01-01}"),
        files={"reference/t.yaml": ref},
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-fires",
            "rule `t.never` can never fire: `investor.country in @t_states` holds for no value",
        ),
    ]


def test_enumerated_value_outside_allowed_values(tmp_path: Path) -> None:
    """A value an enumerated fact can never have is caught when the rulebook loads."""
    _, problems = run(tmp_path, rule("t.enum", "deal.kind == merger"))
    assert problems == [
        ("t/r.yaml:9", "error", "unknown-value", "`merger` is not a value of `deal.kind`"),
    ]


def test_never_in_force(tmp_path: Path) -> None:
    """A screening-date condition outside the rule's effective dates: never in force."""
    _, problems = run(
        tmp_path,
        rule(
            "t.old",
            "deal.as_of < 2019-06-01",
            extra="effective: {from: 2020-02-13}",
        ),
    )
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "never-in-force",
            "rule `t.old` is never in force: `deal.as_of < 2019-06-01` contradicts "
            "`effective: from 2020-02-13`",
        ),
    ]


def test_effective_to_before_from(tmp_path: Path) -> None:
    """Effective dates that end before they start exclude every date (a load error)."""
    _, problems = run(
        tmp_path,
        rule(
            "t.window",
            "rights.voting_pct > 5",
            extra="effective: {from: 2024-01-01, to: 2023-01-01}",
        ),
    )
    assert problems == [
        ("t/r.yaml:11", "error", "never-in-force", "`effective.to` is not after `from`"),
    ]


def test_dead_branch(tmp_path: Path) -> None:
    """A branch of `any` that contradicts the rule's other conditions is a warning."""
    text = rule("t.dead", "rights.voting_pct >= 50").replace(
        "    - rights.voting_pct >= 50\n",
        "    - rights.voting_pct >= 50\n    - any:\n        - rights.voting_pct < 10\n"
        "        - rights.board_seat is true\n",
    )
    _, problems = run(tmp_path, text)
    assert problems == [
        (
            "t/r.yaml:11",
            "warning",
            "dead-branch",
            "this branch of `any` in rule `t.dead` can never hold: `rights.voting_pct < 10` "
            "contradicts `rights.voting_pct >= 50`",
        ),
    ]


def test_always_suppressed(tmp_path: Path) -> None:
    """An exemption whose conditions are among the rule's own suppresses it always."""
    outcome = rule("t.out", "investor.foreign_person is true", "rights.voting_pct >= 10")
    exemption = rule(
        "t.exempt", "rights.voting_pct >= 10", kind="exemption", extra="suppresses: [t.out]"
    )
    _, problems = run(tmp_path, outcome, exemption)
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "always-suppressed",
            "rule `t.out` is always suppressed by exemption `t.exempt` (t/r.yaml:15): every "
            "condition of the exemption is one of the rule's own",
        ),
    ]


def test_exemption_with_its_own_condition_is_fine(tmp_path: Path) -> None:
    """An exemption that needs something more than the rule does is not reported."""
    outcome = rule("t.out", "rights.voting_pct >= 10")
    exemption = rule(
        "t.exempt",
        "rights.voting_pct >= 10",
        "investor.excepted_investor is true",
        kind="exemption",
        extra="suppresses: [t.out]",
    )
    assert run(tmp_path, outcome, exemption)[1] == []


def test_missing_examples_in_base_rulebook(tmp_path: Path) -> None:
    """A rule of the base rulebook needs both kinds of example: an error per missing kind."""
    no_negative = "examples:\n  fires: [{example: fires}]\n"
    _, problems = run(
        tmp_path,
        rule("t.half", "rights.voting_pct > 5", examples=no_negative),
        rule("t.none", "rights.voting_pct > 6", examples=""),
    )
    assert problems == [
        ("t/r.yaml:3", "error", "missing-examples", "rule `t.half` has no `does_not_fire` example"),
        (
            "t/r.yaml:13",
            "error",
            "missing-examples",
            "rule `t.none` has no `does_not_fire` example",
        ),
        ("t/r.yaml:13", "error", "missing-examples", "rule `t.none` has no `fires` example"),
    ]


def test_missing_examples_in_a_layer_is_a_warning(tmp_path: Path) -> None:
    """A rule a layer adds without examples is a warning, not an error."""
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(rule("t.ok", "rights.voting_pct > 5"))})
    layer = tmp_path / "layer"
    (layer / "ours").mkdir(parents=True)
    (layer / "ours" / "r.yaml").write_text(
        rule_file(rule("ours.no_examples", "rights.voting_pct > 7", examples="")), encoding="utf-8"
    )
    report = lint([layer], base=base)
    assert [
        (p.location.replace(str(tmp_path) + "/", ""), p.severity, p.code, p.message)
        for p in report.problems
    ] == [
        (
            "layer/ours/r.yaml:3",
            "warning",
            "missing-examples",
            "rule `ours.no_examples` has no `does_not_fire` example",
        ),
        (
            "layer/ours/r.yaml:3",
            "warning",
            "missing-examples",
            "rule `ours.no_examples` has no `fires` example",
        ),
    ]


def test_rule_too_large(tmp_path: Path) -> None:
    """A rule compiling to more engine tests than one ruleset holds is an error."""
    codes = sorted(c.alpha_2 for c in pycountry.countries)[:70]
    _, problems = run(tmp_path, rule("t.big", f"investor.country in [{', '.join(codes)}]"))
    assert problems == [
        (
            "t/r.yaml:3",
            "error",
            "rule-too-large",
            "rule `t.big` compiles to 70 engine tests; the limit is 60: split it into findings",
        ),
    ]


def test_unused_finding(tmp_path: Path) -> None:
    """A finding no rule reads is a warning."""
    _, problems = run(tmp_path, rule("t.lonely", "rights.voting_pct > 5", kind="finding"))
    assert problems == [
        ("t/r.yaml:3", "warning", "unused-finding", "finding `t.lonely` is read by no rule"),
    ]


def test_needs_false_negated_outcome_branch(tmp_path: Path) -> None:
    """`not finding F` where F leads to an outcome of the same regime is flagged: while F is
    unknown neither branch holds (covered = control OR (not control AND ...))."""
    _, problems = run(
        tmp_path,
        rule("t.control", "rights.voting_pct > 50", kind="finding"),
        rule("t.by_control", "finding t.control"),
        rule("t.by_seat", "rights.board_seat is true", "not finding t.control"),
    )
    assert problems == [
        (
            "t/r.yaml:31",
            "warning",
            "needs-false",
            "`not finding t.control` in `t.by_seat`: `t.control` itself leads to "
            "`t.by_control`, so while it is unknown neither branch holds; drop the negation "
            "(the higher outcome outranks) or write an exemption",
        ),
    ]


def test_needs_false_exception_fact(tmp_path: Path) -> None:
    """A yes/no fact required false that an exemption tests true is an exception written as a
    condition: flagged (an unknown exception must keep the outcome, as an exemption does)."""
    _, problems = run(
        tmp_path,
        rule("t.covered", "rights.board_seat is true", "target.air_carrier is false"),
        rule(
            "t.exempt",
            "target.air_carrier is true",
            kind="exemption",
            extra="suppresses: [t.other]",
        ),
        rule("t.other", "rights.voting_pct > 50"),
    )
    assert problems == [
        (
            "t/r.yaml:10",
            "warning",
            "needs-false",
            "`target.air_carrier is false` in `t.covered`: `target.air_carrier` is an exception "
            "fact (exemption `t.exempt` tests it true); make this exception an exemption so that "
            "an unknown one keeps the outcome",
        ),
    ]


REF = """
reference: t_list
title: Test list
source: test
retrieved: 2020-01-01
{review}entries:
  - GB
"""


def test_review_overdue_against_newest_retrieved_date(tmp_path: Path) -> None:
    """Without --today, a list is reviewed against the newest `retrieved` date of any list."""
    report, problems = run(
        tmp_path,
        rule("t.ok", "rights.voting_pct > 5"),
        files={"reference/t.yaml": REF.format(review="review_by: 2020-06-30\n")},
    )
    assert report.today == dt.date(2026, 11, 28)
    assert problems == [
        (
            "reference/t.yaml:1",
            "warning",
            "review-overdue",
            "reference list `t_list` was due for review on 2020-06-30 (today is 2026-11-28)",
        ),
    ]


def test_review_overdue_with_today(tmp_path: Path) -> None:
    """`--today` decides; the clock never does."""
    files = {"reference/t.yaml": REF.format(review="review_by: 2020-06-30\n")}
    assert (
        run(
            tmp_path, rule("t.ok", "rights.voting_pct > 5"), files=files, today=dt.date(2020, 6, 30)
        )[1]
        == []
    )
    _, problems = run(
        tmp_path, rule("t.ok", "rights.voting_pct > 5"), files=files, today=dt.date(2020, 7, 1)
    )
    assert [p[2] for p in problems] == ["review-overdue"]


def test_no_review_date(tmp_path: Path) -> None:
    """A reference list without `review_by` is a warning."""
    _, problems = run(
        tmp_path,
        rule("t.ok", "rights.voting_pct > 5"),
        files={"reference/t.yaml": REF.format(review="")},
    )
    assert problems == [
        (
            "reference/t.yaml:1",
            "warning",
            "no-review-date",
            "reference list `t_list` has no `review_by` date",
        ),
    ]


def test_duplicate_id_in_layer_without_override(tmp_path: Path) -> None:
    """A layer redefining a rule without `override: true` is a lint error at the layer's line."""
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(rule("t.ok", "rights.voting_pct > 5"))})
    layer = tmp_path / "layer"
    (layer / "t").mkdir(parents=True)
    (layer / "t" / "r.yaml").write_text(rule_file(rule("t.ok", "rights.voting_pct > 9")))
    report = lint([layer], base=base)
    assert [
        (p.location.replace(str(tmp_path) + "/", ""), p.code, p.message) for p in report.problems
    ] == [
        (
            "layer/t/r.yaml:3",
            "duplicate-rule",
            f"rule `t.ok` is already defined at {base}/t/r.yaml:3; a layer replaces it with "
            "`override: true`",
        ),
    ]


def test_problems_sorted_and_rendered(tmp_path: Path) -> None:
    """Problems come sorted by file and line; text and JSON carry the same problems."""
    report, problems = run(
        tmp_path,
        rule("t.b", "rights.voting_pct > 50", "rights.voting_pct < 5"),
        rule("t.a", "rights.voting_pct > 5", examples=""),
    )
    assert [p[0] for p in problems] == ["t/r.yaml:3", "t/r.yaml:15", "t/r.yaml:15"]
    text = report.render_text().splitlines()
    assert text[0].endswith(
        "error: never-fires: rule `t.b` can never fire: "
        "`rights.voting_pct < 5` contradicts `rights.voting_pct > 50`"
    )
    assert text[-1].startswith("3 errors, 0 warnings in 2 rules (rulebook ")
    data = json.loads(report.render_json())
    assert (data["errors"], data["warnings"]) == (3, 0)
    assert [p["code"] for p in data["problems"]] == [p[2] for p in problems]


def test_every_code_is_tested() -> None:
    """Every lint code has a severity and is exercised in this file."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{code}"' in source for code in CODES)
    assert set(CODES.values()) == {"error", "warning"}


def test_shipped_rulebook_lints_without_errors() -> None:
    """The shipped rulebook has no lint errors, and every rule has both kinds of example."""
    report = lint()
    assert report.errors == [], report.render_text()
    assert not [p for p in report.problems if p.code == "missing-examples"]


def test_shipped_rulebook_needs_no_branch_known_false() -> None:
    """Issue 11: no shipped rule needs an exception or a higher branch known false (the TID
    risk factor's excepted-investor case is an exemption, not a `not finding` condition)."""
    found = [p for p in lint_rulebook(load_rulebook()) if p.code == "needs-false"]
    assert found == []
