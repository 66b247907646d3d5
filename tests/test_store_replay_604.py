"""A store written by the release at commit 604eb76 replays exactly under today's code.

The rule it keeps (docs/audit.md, Replay): a change to the derivation code must not change what
an older rulebook concludes from a record it screened. A fact whose meaning changes gets a new
name that only today's rulebook reads (``rights.dominant_minority`` beside
``rights.dominant_minority_stated``; ``deal.prior_*_cleared`` beside ``deal.prior_*_clearance``),
or the new meaning applies only under a rulebook that reads its marker fact
(``screening/facts/gates.py``: an unrecorded consortium member position, review J's part 850
and 202 meanings, the ECCN that points to a critical technology), so a screening recorded under
the old rulebook reaches the recorded decision again.

``tests/data/store_604eb76_fixtures.sql.gz`` is a SQL dump of the SQLite store that 604eb76
wrote: one screening of every deal file it accepts, in this order, each file once by content:

- ``fixtures/`` of 604eb76 itself (153 records: consortium members without ``prior``, ranges,
  partial lists, supply terms, EAR, outbound, data-security, energy, real-estate records);
- ``fixtures/`` of main at d869cb4 (its two consortium fixtures with ``held_before`` are refused
  by 604eb76; seven others are new or differ from 604eb76's and are recorded too, e.g. review
  J's and issue 12's; the rest are byte-identical and skipped);
- ``tests/data/replay_604eb76/*.yaml``: governance records with ``largest_other_holder_pct``
  and no stated dominant minority (a point, ranges, and a larger other holder), and part 202
  records whose meaning review J changed (real estate with a data transaction, two datasets
  that aggregate past a bulk threshold, a stipulated control conclusion), and supply terms that
  pass know-how to the investor with no ``export_control`` block.

Made with (from the repository root; any venv with this project's dependencies will do)::

    rm -rf /tmp/rel604 && mkdir /tmp/rel604 && git archive 604eb76 | tar -x -C /tmp/rel604
    git checkout d869cb4 -- fixtures    # on a scratch checkout: main's fixtures then
    PYTHONPATH=/tmp/rel604 .venv/bin/python tests/data/replay_604eb76/make_store.py \\
        /tmp/s604.db tests/data/store_604eb76_fixtures.sql.gz \\
        /tmp/rel604/fixtures fixtures tests/data/replay_604eb76

(``make_store.py`` prints the release it runs from: it must be ``/tmp/rel604/screening``.) To
extend the guarantee to a later release, make a store the same way with that release's code
and fixtures and add it to ``STORES``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screening.audit.store import Store
from tests.test_store_compat import restore_dump

DATA = Path(__file__).parent / "data"
STORES = {"604eb76": (DATA / "store_604eb76_fixtures.sql.gz", 167)}

# Replays every screening of the store in one child process: the recorded rulebook is another
# rulebook version, whose rulesets durable-rules can never unload, and the test suite's one
# process already holds many. Prints the failures as JSON: [screening id, deal id, message].
_REPLAY_ALL = """
import json, sys
from screening.audit.questions import replay
from screening.audit.store import Store
from screening.errors import ScreeningError

failures = []
with Store(sys.argv[1]) as store:
    ids = sorted(s.id for s in store.iter_screenings())
    for i in ids:
        try:
            rep = replay(store, i)
            if not rep.reproduced:
                failures.append([i, rep.deal_id, "not reproduced"])
        except ScreeningError as exc:
            failures.append([i, store.get(i).result.deal_id, str(exc)])
print(json.dumps({"replayed": len(ids), "failures": failures}))
"""


@pytest.mark.parametrize("release", sorted(STORES))
def test_the_release_store_verifies(release: str, tmp_path: Path) -> None:
    """The hash chain of the older store is intact under today's code (nothing rehashed)."""
    dump, count = STORES[release]
    with Store(f"sqlite:///{restore_dump(tmp_path, dump)}") as store:
        report = store.verify()
        assert report.ok, report.problems
        assert report.screenings == count
        deals = {s.result.deal_id for s in store.iter_screenings()}
    # the records that exercise the changed meanings are there
    assert {
        "gridstore-consortium-three-investors",
        "keel-valve-largest-holder-30pct",
        "keel-valve-largest-holder-range",
        "harborview-warehouse-with-health-data",
        "nanhai-cardiomed-two-health-datasets",
        "nanhai-cardiomed-4pct-control-stipulated",
        "lonestar-lithium-know-how-no-export-record",
    } <= deals


@pytest.mark.parametrize("release", sorted(STORES))
def test_every_screening_of_the_release_replays_exactly(release: str, tmp_path: Path) -> None:
    """Each screening reaches its recorded decision again under its recorded rulebook (verdicts,
    hits, facts, conditions, questions), then is screened with today's rulebook."""
    dump, count = STORES[release]
    proc = subprocess.run(
        [sys.executable, "-c", _REPLAY_ALL, f"sqlite:///{restore_dump(tmp_path, dump)}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["replayed"] == count
    assert out["failures"] == [], "\n".join(
        f"screening {i} ({deal}): {msg}" for i, deal, msg in out["failures"]
    )


def test_a_member_position_not_recorded_reads_as_its_rulebook_reads_it() -> None:
    """Today's rulebook reads the three-valued clearance facts: a member with neither `prior`
    nor `held_before` held what is not known. A rulebook that reads none of them (0.1.0)
    screens it as holding nothing, as when its screenings were recorded."""
    from screening import load_deal
    from screening.engine.consortium import UNKNOWN_PRIOR, member_record
    from screening.facts.gates import rulebook_reading

    deal = load_deal(
        Path(__file__).parents[1]
        / "fixtures/deals/nanling-mesa-diagnostics-observer-concert-unknown.yaml"
    )
    position = next(
        i for i, co in enumerate(deal.co_investors) if co.held_before is None and co.prior is None
    )
    assert member_record(deal, position).prior == UNKNOWN_PRIOR
    with rulebook_reading({"rights.dominant_minority_stated", "deal.prior_investment_clearance"}):
        assert member_record(deal, position).prior is None
    with rulebook_reading({"deal.prior_investment_cleared"}):
        assert member_record(deal, position).prior == UNKNOWN_PRIOR


def test_the_shipped_rulebook_reads_every_marker(rulebook: Any) -> None:
    """Today's rulebook opts into every meaning gated in screening/facts/gates.py (and the
    consortium's): were a marker no longer read, its meaning would silently fall back to the
    older one."""
    from screening.engine.consortium import UNKNOWN_PRIOR_MARKER
    from screening.engine.run import read_paths
    from screening.facts import gates

    markers = {
        value
        for name, value in vars(gates).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    } | {UNKNOWN_PRIOR_MARKER}
    assert len(markers) >= 3
    assert markers <= read_paths(rulebook)
