"""Issue 19: bounded cost for any input, each case under a CPU and memory ceiling.

Every case runs the real command in a child process with RLIMIT_CPU and RLIMIT_AS set
(tests/bounded.py); a blow-up kills the child and fails the test. What must come out instead is
a located error (exit 2), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from tests.bounded import run_bounded


def _deal(**fragment: object) -> dict[str, object]:
    return merge(BASE_DEAL, fragment)


def _no_traceback(proc: object) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_huge_exponent_is_a_located_error(tmp_path: Path, suffix: str) -> None:
    """`1e9999999` in a decimal field once reached a quadratic int(Decimal) (>60 s)."""
    text = json.dumps(
        _deal(target={"facilities": [{"name": "a", "miles_to_listed_installation": 0}]})
    ).replace('"miles_to_listed_installation": 0', '"miles_to_listed_installation": 1e9999999')
    path = tmp_path / f"deal{suffix}"
    path.write_text(text)
    proc = run_bounded(["screen", str(path), "--no-store", "--format", "json"])
    assert proc.returncode == 2, proc.stderr
    assert f"deal{suffix}" in proc.stderr and "number" in proc.stderr
    _no_traceback(proc)


def test_json_integer_over_4300_digits_is_a_located_error(tmp_path: Path) -> None:
    text = json.dumps(_deal()).replace('"voting_pct": 5', '"voting_pct": ' + "9" * 5000)
    path = tmp_path / "deal.json"
    path.write_text(text)
    proc = run_bounded(["screen", str(path), "--no-store"])
    assert proc.returncode == 2, proc.stderr
    assert "deal.json" in proc.stderr and "digits" in proc.stderr
    _no_traceback(proc)


def test_jsonl_with_a_huge_integer_goes_on(tmp_path: Path) -> None:
    good = json.dumps(_deal(id="good"))
    bad = json.dumps(_deal(id="bad")).replace('"voting_pct": 5', '"voting_pct": ' + "9" * 5000)
    path = tmp_path / "deals.jsonl"
    path.write_text(f"{bad}\n{good}\n")
    proc = run_bounded(["review", str(path), "--no-store", "--format", "jsonl", "--workers", "1"])
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:1" in proc.stderr and "digits" in proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["deal_id"] == "good"
    _no_traceback(proc)


def test_problems_per_document_are_capped(tmp_path: Path) -> None:
    """A 2 MB file of invalid list items once printed a million lines and took 2.5 GB."""
    data = _deal()
    data["investor"]["nationalities"] = ["zz"] * 200_000  # type: ignore[index]
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(data))
    proc = run_bounded(["screen", str(path), "--no-store"])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 52, len(lines)
    assert "too-large" in proc.stderr and "deal.json" in proc.stderr
    _no_traceback(proc)


def test_many_invalid_items_within_the_node_cap_are_capped(tmp_path: Path) -> None:
    data = _deal()
    data["investor"]["nationalities"] = ["zz"] * 5_000  # type: ignore[index]
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(data))
    proc = run_bounded(["screen", str(path), "--no-store"])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 52, len(lines)
    assert "and 4950 more" in proc.stderr
    _no_traceback(proc)


def test_jsonl_line_over_the_size_cap_is_reported_and_skipped(tmp_path: Path) -> None:
    big = json.dumps(_deal(id="big", name="x" * 6_000_000))
    good = json.dumps(_deal(id="good"))
    path = tmp_path / "deals.jsonl"
    path.write_text(f"{big}\n{good}\n")
    proc = run_bounded(
        ["review", str(path), "--no-store", "--format", "jsonl", "--workers", "1"],
        memory=600_000_000,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:1" in proc.stderr and "too-large" in proc.stderr
    assert [json.loads(x)["deal_id"] for x in proc.stdout.splitlines()] == ["good"]
    _no_traceback(proc)


def test_yaml_with_too_many_nodes_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "deal.yaml"
    path.write_text("id: x\nitems:\n" + "- 1\n" * 400_000)
    proc = run_bounded(["screen", str(path), "--no-store"], memory=1_000_000_000)
    assert proc.returncode == 2, proc.stderr
    assert "deal.yaml" in proc.stderr and "too-large" in proc.stderr
    _no_traceback(proc)
