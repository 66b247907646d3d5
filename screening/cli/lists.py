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
    type=click.Choice(["auto", "ofac", "ofac-xml", "csl", "csl-json", "ftm", "simple"]),
    default="auto",
    show_default=True,
    help="File format (auto: detect from the content).",
)
@click.option(
    "--dataset",
    metavar="NAME",
    help="OpenSanctions dataset to keep, with --format ftm (default: the list's usual dataset).",
)
@click.option("--published", metavar="DATE", help="Publication date of the list (YYYY-MM-DD).")
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
    dataset: str | None,
    published: str | None,
    retrieved: str | None,
    out: Path,
) -> None:
    """Convert an official download of a restricted list to a reference-list YAML file."""
    from screening.authoring.lists_import import dump_reference, import_list, problems_of
    from screening.errors import RulebookError

    doc = import_list(
        list_id,
        file,
        fmt=fmt,
        alt=alt,
        add=add,
        retrieved=parse_date(retrieved, "--retrieved"),
        published=parse_date(published, "--published"),
        dataset=dataset,
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


@lists.command("update")
@click.option(
    "--from",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding the downloaded files (sdn.csv, alt.csv, add.csv, consolidated.csv or "
    "consolidated.json, 1260h.csv, uflpa.csv, fcc_covered.csv, entities.ftm.json).",
)
@click.option(
    "--out",
    "layer",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Rulebook layer to update (lists go to LAYER/reference/restricted/).",
)
@click.option("--retrieved", metavar="DATE", help="Date the files were downloaded (YYYY-MM-DD).")
@click.option("--published", metavar="DATE", help="Publication date of the lists (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Download a list file first (repeatable; saved under the URL's file name, e.g. "
    ".../sdn.csv). Needs network on this machine; instead of --from.",
)
def update(
    folder: Path | None,
    layer: Path,
    retrieved: str | None,
    published: str | None,
    dry_run: bool,
    urls: tuple[str, ...],
) -> None:
    """Import every list downloaded to a folder, validate it and show what changed.

    Each list is compared with the one the layer holds (or, for a new layer, the bundled starter
    set): entries added, removed and changed. Files the command does not know are reported, never
    skipped silently. Re-screen the recorded deals afterwards with `dealscreen audit replay`.
    """
    from screening.authoring.lists_import import (
        diff,
        dump_reference,
        import_list,
        plan_update,
        problems_of,
    )
    from screening.errors import RulebookError
    from screening.model._yaml import load_file
    from screening.rulebook.book import default_rules_dir

    if (folder is None) == (not urls):
        raise click.UsageError("give the downloaded files with --from DIR, or --url URL to fetch")
    if urls:
        import tempfile

        from screening.authoring.lists_import import download

        folder = Path(tempfile.mkdtemp(prefix="dealscreen-lists-"))
        for url in urls:
            saved = download(url, folder)
            click.echo(f"dealscreen: downloaded {url} to {saved.name}", err=True)
    assert folder is not None
    plan, unread = plan_update(folder)
    for name in unread:
        click.echo(
            f"dealscreen: not read: {folder / name} (not a list file this command knows)", err=True
        )
    if not plan:
        raise click.UsageError(f"no list file in {folder}")
    docs = {}
    for list_id, (path, fmt) in plan.items():
        companions = {
            key: folder / f"{key}.csv"
            for key in ("alt", "add")
            if (folder / f"{key}.csv").is_file()
        }
        doc = import_list(
            list_id,
            path,
            fmt=fmt,
            alt=companions.get("alt") if fmt == "ofac" else None,
            add=companions.get("add") if fmt == "ofac" else None,
            retrieved=parse_date(retrieved, "--retrieved"),
            published=parse_date(published, "--published"),
        )
        target = layer / "reference" / "restricted" / f"{list_id}.yaml"
        problems = problems_of(doc, str(target))
        if problems:
            raise RulebookError(problems)
        docs[list_id] = (target, doc)
    for list_id, (target, doc) in docs.items():
        current = (
            target
            if target.is_file()
            else default_rules_dir() / "reference" / "restricted" / f"{list_id}.yaml"
        )
        old = (load_file(current).data or {}).get("entries", []) if current.is_file() else []
        old = [e if isinstance(e, dict) else {"value": str(e)} for e in old]
        change = diff(old, doc["entries"])
        click.echo(
            f"{list_id}: {len(doc['entries'])} entries ({len(old)} before): "
            f"{len(change['added'])} added, {len(change['removed'])} removed, "
            f"{len(change['changed'])} changed"
        )
        for kind in ("added", "removed", "changed"):
            for value in change[kind][:20]:
                click.echo(f"  {kind}: {value}")
            if len(change[kind]) > 20:
                click.echo(f"  … and {len(change[kind]) - 20} more {kind}")
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump_reference(doc), encoding="utf-8")
    if dry_run:
        click.echo("dealscreen: dry run: nothing written", err=True)
    else:
        click.echo(f"dealscreen: updated {len(docs)} list(s) in {layer}", err=True)


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
    from screening.facts.parties import (
        IMPORT_HINT,
        LISTS,
        POSSIBLE_MATCH_THRESHOLD,
        lists_used,
        screen_name,
    )
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
    used = lists_used(book.references, date)
    click.echo("screened against:")
    for use in used:
        click.echo(f"  {use.describe(date if as_of else None)}")
    if not all(use.official for use in used):
        click.echo(f"note: {IMPORT_HINT}")
