"""Work derive() skips for a rulebook that never sees it (issue 14, derive, seventh round): a
section the rulebook reads nothing of, investor facts it neither reads nor shows, the parties
facts shown only when read. The screening results are the same bytes as with everything worked
out; under today's rulebook nothing is skipped."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screening import Deal, load_deal, load_rulebook
from screening.authoring.fixtures_gen import generate
from screening.engine.run import derive_for, read_paths, resolve_as_of
from screening.facts import derive as derive_mod
from screening.facts import parties
from screening.facts.derive import SECTION_REFERENCES, derive
from screening.facts.sections import REGISTRY
from screening.facts.sections import parties as party_section
from screening.facts.view import SHOWN_WHEN_READ
from screening.model.reference import recording_use

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures" / "deals").glob("*.y*ml"))


def _deals(n: int = 200) -> list[Any]:
    return [load_deal(p) for p in FIXTURES] + [
        Deal.model_validate(d).root for d in generate(n, seed=41)
    ]


def test_a_skippable_section_reads_only_the_lists_it_names() -> None:
    """A section is skipped only when the rulebook has none of the reference lists its deriver
    may read (the memo names the lists a screening read): every fixture and generated deal,
    on its date and on two others, reads no other list, and explains only the section's own
    facts (a result shows no derivation of a section its rulebook does not read)."""
    book = load_rulebook()
    refs = book.references
    checked = 0
    for deal in _deals():
        for as_of in {resolve_as_of(deal, None), *_DATES}:
            for name, lists in SECTION_REFERENCES.items():
                with recording_use() as used:
                    _, explained = REGISTRY[name][1](deal, refs, as_of)
                assert used <= set(lists), (deal.id, name, used)
                # its derivations are its own facts' (hidden with the section)
                assert all(p.startswith(name + ".") for p in explained or {}), (deal.id, name)
                checked += bool(used)
    assert checked > 20  # the lists named are read somewhere


_DATES = (dt.date(2024, 6, 1), dt.date(2027, 6, 1))


def test_a_skipped_fact_is_shown_only_when_read() -> None:
    """Each investor group and parties fact skipped is explained, where it is, only under
    SHOWN_WHEN_READ: a result never shows the derivation of a fact its rulebook does not read."""
    book = load_rulebook()
    written: set[str] = set()
    for deal in _deals(100):
        view = derive(deal, book.references, resolve_as_of(deal, None))
        written |= set(view.derivations)
    groups = {p for paths in derive_mod._INVESTOR_GROUPS.values() for p in paths}
    parties = {
        *party_section._RECIPIENT,
        *party_section._ENTITY_LIST_RECIPIENT,
        party_section._TRADING_BAN,
    }
    explained = written & (groups | parties)
    assert explained and explained <= SHOWN_WHEN_READ, explained - SHOWN_WHEN_READ


def test_todays_rulebook_skips_nothing() -> None:
    """Today's rulebook reads every fact the skipping could leave out: its fact views are the
    views derived without a rulebook."""
    book = load_rulebook()
    lean = derive_mod._lean(read_paths(book), book.references)
    assert lean.investor == frozenset()
    assert lean.sections is not None
    assert all(callable(d) for _, d in lean.sections)
    for deal in _deals(30):
        as_of = resolve_as_of(deal, None)
        assert (
            derive_for(book, deal, as_of).model_dump_json()
            == derive(deal, book.references, as_of).model_dump_json()
        )


# A rulebook of today's regimes that read no section of broker, credit, defense, export,
# farmland or offtake and no investor fact skipped (the part 800 and 802 rules read those), with
# none of the reference lists those sections read: the shape of an older or a narrower rulebook.
_DROPPED_REGIMES = (
    "afida",
    "cfius_800",
    "cfius_802",
    "clean_energy",
    "dod_batteries",
    "ear",
    "padfa",
    "supply_chain",
)


def _narrow_rulebook(tmp: Path) -> Path:
    base = tmp / "rules"
    shutil.copytree(ROOT / "rules", base)
    for regime in _DROPPED_REGIMES:
        shutil.rmtree(base / regime)
    for lists in SECTION_REFERENCES.values():
        for name in lists:
            (base / "reference" / f"{name}.yaml").unlink()
    return base


# In a child process (a second rulebook's rulesets stay registered for good): the narrower
# rulebook screens every fixture and generated deals with the work skipped and with everything
# worked out; prints what was skipped and the deals whose results differ.
_NARROW = """
import json, sys
from pathlib import Path
from screening import Deal, load_deal, load_rulebook, screen, screen_many
from screening.authoring.fixtures_gen import generate
from screening.engine.run import derive_for, read_paths, resolve_as_of
from screening.facts import derive as derive_mod
from screening.facts import parties
from screening.facts.sections import parties as party_section
from screening.facts.sections.base import Section

book = load_rulebook(base=Path(sys.argv[1]))
deals = [load_deal(p) for p in sys.argv[2:]]
deals += [Deal.model_validate(d).root for d in generate(60, seed=43)]
lean = derive_mod._lean(read_paths(book), book.references)
skipped = sorted(n for n, d in lean.sections if isinstance(d, Section))
views = [derive_for(book, d, resolve_as_of(d, None)) for d in deals]
unknown = sum(v.investor.coc_tie is None for v in views)
fast = [screen(d, rulebook=book).model_dump_json() for d in deals]
fast_many = [r.model_dump_json() for r in screen_many(deals, rulebook=book)]
derive_mod._lean = lambda reads, references: derive_mod._FULL
party_section.needed = lambda *paths: True
slow = [screen(d, rulebook=book).model_dump_json() for d in deals]
differ = [d.id for d, a, b, c in zip(deals, fast, fast_many, slow) if not a == b == c]
print(json.dumps({"skipped": skipped, "groups": sorted(lean.investor), "unknown": unknown,
                  "n": len(deals), "differ": differ}))
"""


def test_a_narrower_rulebook_screens_the_same_bytes_with_the_work_skipped(tmp_path: Path) -> None:
    """A rulebook that reads none of five sections, four investor groups and two parties facts
    skips them (left unknown), and every fixture's and 60 generated deals' results are
    byte-identical to those with every fact worked out (screen and screen_many)."""
    proc = subprocess.run(
        [sys.executable, "-c", _NARROW, str(_narrow_rulebook(tmp_path)), *map(str, FIXTURES)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["differ"] == []
    assert out["n"] > 150
    assert out["skipped"] == sorted(SECTION_REFERENCES), out
    assert out["groups"] == sorted(derive_mod._INVESTOR_GROUPS), out
    assert out["unknown"] == out["n"]  # the skipped fact is left unknown


def test_a_name_screening_serves_every_date_of_its_span() -> None:
    """A screening is kept by the span of the lists' dates its date falls in, not the date: a
    name screened again on another date of the span is served from what was kept, and on every
    break date, the day before it and the day after, each kept screening is the fresh one."""
    book = load_rulebook()
    refs = book.references
    kept = parties._reference_data(refs)
    assert len(kept.breaks) > 3
    names = ["Huawei Technologies Co., Ltd.", "CATL", "Huawen Tech", "SMIC", "Acme Widgets LLC"]
    days = sorted({b + dt.timedelta(days=k) for b in kept.breaks for k in (-1, 0, 1)} | set(_DATES))
    for day in days:
        screen = parties.DealScreener(refs, day)
        for name in names:
            assert screen(name, []) == parties._screen_name(
                name, refs, day, (), parties.POSSIBLE_MATCH_THRESHOLD
            ), (name, day)
    # two dates of one span: the second screening is the first, not made again
    first, last = kept.breaks[-2], kept.breaks[-1] - dt.timedelta(days=1)
    assert parties._span(kept, first) == parties._span(kept, last) and first < last
    made = parties.DealScreener(refs, first)("Some Unlisted Name 123456", [])
    assert parties.DealScreener(refs, last)("Some Unlisted Name 123456", []) is made


def test_a_name_no_list_holds_a_key_of_is_screened_as_the_full_steps_screen_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The short way for a name none of whose forms has a key some list holds (most names)
    gives what the full steps give: every name of the fixtures and generated deals, every
    listed name and alias, and near misses, with and without declared lists."""
    book = load_rulebook()
    refs = book.references
    kept = parties._reference_data(refs)
    names: set[str] = set()
    for deal in _deals(60):
        parties_, target = party_section._parties(
            deal, refs, resolve_as_of(deal, None), parties.DealScreener(refs, _DATES[0])
        )
        names |= {n.name for p in [*parties_, target] for n in parties.walk(p)}
    for _, index in kept.ordered:
        names |= {n.text for n in index.names} | {n.text + " Holdings (XY)" for n in index.names}
    names |= {"", "(", "Co.", "ZTE (ZTE)", "Huawen Tech (HT)", "（中兴）"}
    declared = ((), ("ofac_sdn",))
    short = {
        (n, d, day): parties._screen_kept(n, kept, day, d, parties.POSSIBLE_MATCH_THRESHOLD)
        for n in names
        for d in declared
        for day in _DATES
    }
    monkeypatch.setattr(parties, "_held", lambda query, kept: True)  # always the full steps
    taken = 0
    for (n, d, day), screening in short.items():
        full = parties._screen_kept(n, kept, day, d, parties.POSSIBLE_MATCH_THRESHOLD)
        assert screening == full, (n, d, day)
        taken += not d and not full.matches and not full.possible
    assert taken > 200
