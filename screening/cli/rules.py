"""``dealscreen rules``: the rule authoring toolchain (list, show, lint, test, coverage, diff).

Every command that loads a rulebook loads the shipped one, then the layers listed in the
configuration (``dealscreen.toml`` or ``[tool.dealscreen]`` in ``pyproject.toml``), then each
``--rules DIR`` in the order given: a later layer takes precedence over an earlier one.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import click

from screening.cli.common import parse_date
from screening.errors import RulebookError, UsageError
from screening.rulebook.book import Rule, Rulebook, load_rulebook
from screening.rulebook.conditions import All, AnyOf, Condition, finding_refs
from screening.rulebook.config import load_config, resolve_layers

_FORMAT = click.Choice(["text", "json"])
_VERSION = re.compile(r"^[0-9a-f]{16}$")
WIDTH = 100


def _layers(layers: tuple[str, ...]) -> list[Path]:
    return resolve_layers(layers)


def _book(layers: tuple[str, ...]) -> Rulebook:
    return load_rulebook(_layers(layers))


_rules_option = click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules and configured layers (repeatable).",
)


@click.group()
def rules() -> None:
    """Author and check rules: list, show, lint, test, coverage, diff."""


# ---------------------------------------------------------------------------------------------


@rules.command("list")
@click.option("--regime", metavar="R", help="Only the rules of this regime.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_rules_option
def list_rules(regime: str | None, fmt: str, layers: tuple[str, ...]) -> None:
    """List the rules of the rulebook."""
    book = _book(layers)
    if regime is not None and regime not in book.regimes:
        from screening.rulebook.conditions import suggest

        raise UsageError.one(
            "--regime", "unknown-regime", f"no regime `{regime}`{suggest(regime, book.regimes)}"
        )
    chosen = [r for r in book.rules.values() if regime is None or r.regime == regime]
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "outcome": r.outcome,
                        "regime": r.regime,
                        "title": r.title,
                        "citation": r.citation,
                        "location": r.location,
                    }
                    for r in chosen
                ],
                indent=2,
            )
        )
        return
    width = max((len(r.id) for r in chosen), default=2)
    for r in chosen:
        kind = r.outcome if r.kind == "outcome" and r.outcome else r.kind
        line = f"{r.id:<{width}}  {kind:<15}  {r.citation}"
        click.echo(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…")
    click.echo(f"{len(chosen)} rules (rulebook {book.version})")


# ---------------------------------------------------------------------------------------------


def _tree(cond: Condition, indent: int) -> list[str]:
    pad = "  " * indent
    if isinstance(cond, All | AnyOf):
        name = "all" if isinstance(cond, All) else "any"
        line = cond.location.rpartition(":")[2]
        out = [f"{pad}{name}:  (line {line})"]
        for child in cond.children:
            out.extend(_tree(child, indent + 1))
        return out
    line = cond.location.rpartition(":")[2]
    return [f"{pad}- {cond.text}  (line {line})"]


def render_rule(book: Rulebook, rule: Rule) -> str:
    """A rule as ``rules show`` prints it."""
    wrap = textwrap.TextWrapper(width=WIDTH, initial_indent="  ", subsequent_indent="  ")
    lines = [f"{rule.id}  ({rule.location})", f"  {rule.title}"]
    kind = f"outcome: {rule.outcome}" if rule.kind == "outcome" else rule.kind
    lines += [
        f"  kind: {kind}    regime: {rule.regime}    confidence: {rule.confidence}",
        f"  citation: {rule.citation}",
    ]
    if rule.effective_from or rule.effective_to:
        lines.append(
            f"  effective: from {rule.effective_from or '-'} to {rule.effective_to or '-'}"
        )
    if rule.suppresses:
        lines.append(f"  suppresses: {', '.join(rule.suppresses)}")
    by = sorted(r.id for r in book.rules.values() if rule.id in r.suppresses)
    if by:
        lines.append(f"  suppressed by: {', '.join(by)}")
    readers = sorted(
        r.id for r in book.rules.values() if any(f.rule_id == rule.id for f in finding_refs(r.when))
    )
    if readers:
        lines.extend(wrap.wrap(f"read by: {', '.join(readers)}"))
    lines.append("when:")
    conds = rule.when.children if isinstance(rule.when, All) else (rule.when,)
    for cond in conds:
        lines.extend(_tree(cond, 1))
    lines.append("explain:")
    lines.extend(wrap.wrap(rule.explain))
    if rule.notes:
        lines.append("notes:")
        lines.extend(wrap.wrap(rule.notes))
    for fires, title in ((True, "fire"), (False, "do not fire")):
        examples = [e for e in rule.examples if e.fires is fires]
        lines.append(f"examples that {title}: {len(examples)}")
        for e in examples:
            lines.append(
                f"  - {e.name or json.dumps(e.fragment, default=str)}  (line "
                f"{e.location.rpartition(':')[2]})"
            )
    return "\n".join(lines) + "\n"


@rules.command()
@click.argument("rule_id")
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
@_rules_option
def show(rule_id: str, fmt: str, layers: tuple[str, ...]) -> None:
    """Show one rule: citation, conditions, examples, file:line, notes."""
    book = _book(layers)
    rule = book.rule(rule_id)
    if fmt == "json":
        from screening.authoring.rulediff import normalize

        click.echo(json.dumps({**normalize(rule), "location": rule.location}, indent=2))
        return
    click.echo(render_rule(book, rule), nl=False)


# ---------------------------------------------------------------------------------------------


@rules.command()
@_rules_option
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
@click.option(
    "--today",
    metavar="DATE",
    help="Review reference lists as of this date [default: `today` in the "
    "configuration, else the newest `retrieved` date].",
)
def lint(layers: tuple[str, ...], fmt: str, today: str | None) -> None:
    """Check the rulebook; exit 0 when clean (warnings shown), 2 on errors."""
    from screening.authoring.lint import lint as run_lint

    config = load_config()
    report = run_lint(_layers(layers), today=parse_date(today, "--today") or config.today)
    click.echo(report.render_json() if fmt == "json" else report.render_text(), nl=False)
    if report.errors:
        n = len(report.errors)
        raise RulebookError.one("", "lint-errors", f"{n} error{'s' * (n != 1)} in the rulebook")


@rules.command("test")
@_rules_option
@click.option(
    "--rule",
    "rule_ids",
    multiple=True,
    metavar="RULE_ID",
    help="Only this rule's examples (repeatable).",
)
def test_rules(layers: tuple[str, ...], rule_ids: tuple[str, ...]) -> None:
    """Run every rule's embedded examples; exit 2 when one fails."""
    from screening.authoring.examples import run_examples

    book = _book(layers)
    for rule_id in rule_ids:
        book.rule(rule_id)
    results = run_examples(book, list(rule_ids) or None)
    failed = [r for r in results if not r.passed]
    for r in failed:
        click.echo(f"{r.describe()} (rule at {r.rule.location})")
    count = len({r.rule.id for r in results})
    click.echo(
        f"{len(results)} examples of {count} rules: {len(results) - len(failed)} passed, "
        f"{len(failed)} failed"
    )
    if failed:
        raise RulebookError.one(
            "", "examples-failed", f"{len(failed)} of {len(results)} examples failed"
        )


@rules.command("coverage")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_rules_option
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
def coverage_cmd(paths: tuple[Path, ...], layers: tuple[str, ...], fmt: str) -> None:
    """Which rules and which conditions the deals at PATH... exercised."""
    from screening.authoring.coverage import coverage

    report = coverage(_book(layers), paths)
    click.echo(report.to_json() if fmt == "json" else report.render_text(), nl=False)


# ---------------------------------------------------------------------------------------------


def _resolve(spec: str, db: str | None) -> Rulebook:
    """A rulebook directory, a layer directory (on the shipped rulebook) or a recorded version."""
    from screening.authoring.rulediff import is_rulebook_dir

    path = Path(spec)
    if path.is_dir():
        return load_rulebook(base=path) if is_rulebook_dir(path) else load_rulebook([path])
    if _VERSION.match(spec):
        from screening.audit.store import Store, default_url

        url = db or default_url()
        if "://" in url or Path(url).is_file():
            return Store(url, create=False).rulebook(spec)
    raise UsageError.one(
        spec, "unknown-rulebook", "neither a rulebook directory nor a recorded rulebook version"
    )


@rules.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--deals",
    "deal_paths",
    multiple=True,
    metavar="PATH",
    type=click.Path(exists=True, path_type=Path),
    help="Deal files or directories: report the deals whose verdict changes.",
)
@click.option("--format", "fmt", type=_FORMAT, default="text", show_default=True)
@click.option(
    "--db",
    envvar="DEALSCREEN_DB",
    metavar="URL",
    help="Audit store holding recorded rulebook versions.",
)
def diff(old: str, new: str, deal_paths: tuple[Path, ...], fmt: str, db: str | None) -> None:
    """Rules added, removed and changed from OLD to NEW (directories or recorded versions).

    A directory with regimes.yaml is a whole rulebook; any other directory is a layer on the
    shipped rulebook.
    """
    from screening.authoring.coverage import deal_paths as find_deals
    from screening.authoring.rulediff import diff_rulebooks
    from screening.model.loader import load_deal

    before, after = _resolve(old, db), _resolve(new, db)
    deals = [(str(p), load_deal(p)) for p in find_deals(deal_paths)]
    result = diff_rulebooks(before, after, deals)
    click.echo(result.to_json() if fmt == "json" else result.render_text(), nl=False)


__all__ = ["rules"]
