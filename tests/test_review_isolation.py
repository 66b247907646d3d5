"""Issue 19: a bad deal never stops a batch; --resume skips recorded deals without screening them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main
from screening.engine import run as engine_run


def _deal(i: int, **fragment: object) -> dict[str, Any]:
    return merge(BASE_DEAL, {"id": f"deal-{i}", "name": f"Deal {i}", **fragment})  # type: ignore[no-any-return]


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_an_internal_error_in_one_deal_is_reported_and_the_batch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect while screening a chunk is retried deal by deal; only the failing deal is reported."""
    real = engine_run.screen
    real_batch = engine_run.screen_batch

    def flaky(deal: Any, **kw: Any) -> Any:
        if deal.id == "deal-2":
            raise RuntimeError("boom inside the engine")
        return real(deal, **kw)

    def flaky_batch(deals: Any, **kw: Any) -> Any:
        deals = list(deals)
        if any(d.id == "deal-2" for d in deals):
            raise RuntimeError("boom inside the engine")
        return real_batch(deals, **kw)

    monkeypatch.setattr(engine_run, "screen", flaky)
    monkeypatch.setattr(engine_run, "screen_batch", flaky_batch)
    stream = _jsonl(tmp_path / "d.jsonl", [_deal(1), _deal(2), _deal(3)])
    out = tmp_path / "report.json"
    code, _, err = _cli(
        ["review", str(stream), "--no-store", "--workers", "1", "--out", str(out)], capsys
    )
    assert code == 1, err
    assert f"{stream}:2: internal-error:" in err and "boom inside the engine" in err
    assert "Traceback" not in err
    report = json.loads(out.read_text())
    assert [r["result"]["deal_id"] for r in report["results"]] == ["deal-1", "deal-3"]
    assert any(p["code"] == "internal-error" for p in report["summary"]["problems"])


def test_tiny_numbers_do_not_abort_a_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once error 309 on `1e-05` aborted the whole batch with no report."""
    stream = _jsonl(tmp_path / "d.jsonl", [_deal(1, rights={"voting_pct": "0.00001"}), _deal(2)])
    code, out, err = _cli(
        ["review", str(stream), "--no-store", "--workers", "1", "--format", "jsonl"], capsys
    )
    assert code == 0, err
    assert [json.loads(x)["deal_id"] for x in out.splitlines()] == ["deal-1", "deal-2"]


def test_resume_does_not_screen_recorded_deals_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _jsonl(tmp_path / "d.jsonl", [_deal(1), _deal(2, rights={"voting_pct": 30})])
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    args = ["review", str(stream), "--workers", "1", "--format", "jsonl", "--db", db]
    code, first, err = _cli(args, capsys)
    assert code == 0, err
    more = _jsonl(tmp_path / "d.jsonl", [_deal(1), _deal(2, rights={"voting_pct": 30}), _deal(3)])
    screened: list[str] = []
    real = engine_run.screen
    real_batch = engine_run.screen_batch

    def counting(deal: Any, **kw: Any) -> Any:
        screened.append(deal.id)
        return real(deal, **kw)

    def counting_batch(deals: Any, **kw: Any) -> Any:
        deals = list(deals)
        screened.extend(d.id for d in deals)
        return real_batch(deals, **kw)

    monkeypatch.setattr(engine_run, "screen", counting)
    monkeypatch.setattr(engine_run, "screen_batch", counting_batch)
    code, second, err = _cli(["review", str(more), *args[2:], "--resume"], capsys)
    assert code == 0, err
    assert screened == ["deal-3"]
    assert "recorded 1 screenings" in err and "2 already there" in err

    # the report of the resumed run still holds every deal, the recorded ones from the store
    # (the memo is a view computed at screening time and is not stored: rows read back from
    # the store carry none)
    def without_memo(line: str) -> dict[str, Any]:
        return {k: v for k, v in json.loads(line).items() if k != "summary"}

    assert [without_memo(x) for x in second.splitlines()[:2]] == [
        without_memo(x) for x in first.splitlines()
    ]
    assert json.loads(second.splitlines()[2])["deal_id"] == "deal-3"
