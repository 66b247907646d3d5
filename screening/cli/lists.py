"""``dealscreen lists``: import official restricted-list downloads and check a name.

``lists import`` turns an official CSV download into a reference-list YAML file for a rulebook
layer (which then replaces the bundled starter set); ``lists check`` screens one name against the
lists of the rulebook, as the ``parties`` section does for every party and owner of a deal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from screening.cli.common import parse_date


@click.group()
def lists() -> None:
    """Restricted-party lists: import the official downloads, check a name."""


@lists.command("import")
@click.option(
    "--list",
    "list_id",
    required=True,
    metavar="LIST",
    help="List id: bis_entity_list, bis_meu_list, bis_unverified_list, dod_1260h, "
    "fcc_covered_list, ns_cmic, ofac_sdn, uflpa_entity_list.",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "ofac", "csl", "simple"]),
    default="auto",
    show_default=True,
    help="CSV format (auto: detect from the header).",
)
@click.option(
    "--alt",
    type=click.Path(dir_okay=False, path_type=Path),
    help="OFAC alt.csv (aliases), with --format ofac.",
)
@click.option(
    "--add",
    type=click.Path(dir_okay=False, path_type=Path),
    help="OFAC add.csv (addresses, for countries), with --format ofac.",
)
@click.option("--retrieved", metavar="DATE", help="Date the file was downloaded (YYYY-MM-DD).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Reference YAML to write, e.g. rules-layer/reference/restricted/ofac_sdn.yaml.",
)
def import_(
    list_id: str,
    file: Path,
    fmt: str,
    alt: Path | None,
    add: Path | None,
    retrieved: str | None,
    out: Path,
) -> None:
    """Convert an official CSV download of a restricted list to a reference-list YAML file."""
    from screening.authoring.lists_import import dump_reference, import_list, problems_of
    from screening.errors import RulebookError

    doc = import_list(
        list_id, file, fmt=fmt, alt=alt, add=add, retrieved=parse_date(retrieved, "--retrieved")
    )
    problems = problems_of(doc, str(out))
    if problems:
        raise RulebookError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dump_reference(doc), encoding="utf-8")
    click.echo(
        f"dealscreen: wrote {len(doc['entries'])} entries of `{doc['reference']}` to {out}",
        err=True,
    )


@lists.command("check")
@click.argument("name")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Screen against the entries in force on this date "
    "(default: every entry not removed from its list).",
)
@click.option(
    "--rules",
    "layers",
    multiple=True,
    metavar="DIR",
    help="A rulebook layer on top of the shipped rules (repeatable).",
)
def check(name: str, as_of: str | None, layers: tuple[str, ...]) -> None:
    """Screen one NAME against the restricted lists of the rulebook."""
    from screening.facts.names import normalize
    from screening.facts.parties import LISTS, POSSIBLE_MATCH_THRESHOLD, screen_name
    from screening.rulebook.book import load_rulebook

    book = load_rulebook([Path(p) for p in layers])
    date = parse_date(as_of, "--as-of") or dt.date.max
    result = screen_name(name, book.references, date)
    click.echo(f"{name}  (normalized: {normalize(name)})")
    for m in result.matches:
        click.echo(f"  match: {m.describe()}")
    for m in result.possible:
        click.echo(f"  possible match: {m.describe()}")
    if not result.matches and not result.possible:
        click.echo(
            f"  no match on {len(LISTS)} lists (best similarity {result.best_score}; "
            f"possible-match threshold {POSSIBLE_MATCH_THRESHOLD})"
        )
