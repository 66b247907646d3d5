"""Bulk review: discovery, streaming, order, determinism across workers, reports, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from screening import Deal, ScreeningResult
from screening.authoring.examples import BASE_DEAL, merge
from screening.authoring.fixtures_gen import generate, generate_jsonl
from screening.cli.app import main
from screening.model.deal import DEAL_KINDS
from screening.review.bulk import Invalid, Options, Reviewed, discover, review
from screening.review.report.csv import safe
from screening.review.report.html import script_json

ROOT = Path(__file__).resolve().parent.parent


def _deal(i: int, **fragment: object) -> dict[str, object]:
    return merge(BASE_DEAL, {"id": f"deal-{i}", "name": f"Deal {i}", **fragment})  # type: ignore[no-any-return]


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def batch(tmp_path: Path) -> Path:
    """A folder: two YAML deals, one JSON deal, a JSONL stream with a bad line and a bad deal."""
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yaml").write_text(json.dumps(_deal(1)), encoding="utf-8")
    (folder / "sub" / "b.yml").write_text(
        json.dumps(_deal(2, investor={"country": "JP", "principal_place_of_business": "JP"})),
        encoding="utf-8",
    )
    (folder / "c.json").write_text(json.dumps(_deal(3, rights={"voting_pct": 30})), "utf-8")
    (folder / "notes.txt").write_text("not a deal", encoding="utf-8")
    (folder / ".hidden.yaml").write_text("{", encoding="utf-8")
    bad_deal = _deal(6)
    bad_deal["rights"] = {**bad_deal["rights"], "voting_pct": 101}  # type: ignore[dict-item]
    stream = folder / "d.jsonl"
    stream.write_text(
        json.dumps(_deal(4))
        + "\n\n"
        + "{not json\n"
        + json.dumps(_deal(5))
        + "\n"
        + json.dumps(bad_deal)
        + "\n"
        + json.dumps(_deal(1, name="Deal one again"))
        + "\n",
        encoding="utf-8",
    )
    return folder


def test_discover_is_recursive_sorted_and_skips_hidden_and_other_files(batch: Path) -> None:
    """Folders are walked in sorted order; dot files and unknown suffixes are left out."""
    found = [p.relative_to(batch).as_posix() for p in discover([batch]) if isinstance(p, Path)]
    assert found == ["a.yaml", "c.json", "d.jsonl", "sub/b.yml"]


def test_review_streams_in_input_order_with_located_problems(batch: Path) -> None:
    """Items come in input order; bad lines and bad deals are located, counted and skipped."""
    items = list(review([batch], Options(workers=1)))
    sources = [i.source.removeprefix(str(batch) + "/") for i in items]
    assert sources == [
        "a.yaml",
        "c.json",
        "d.jsonl:1",
        "d.jsonl:3",
        "d.jsonl:4",
        "d.jsonl:5",
        "d.jsonl:6",
        "sub/b.yml",
    ]
    bad_line, bad_deal = items[3], items[5]
    assert isinstance(bad_line, Invalid) and isinstance(bad_deal, Invalid)
    assert [p.render() for p in bad_line.problems] == [
        f"{batch}/d.jsonl:3: invalid-json: expecting property name enclosed in double quotes"
    ]
    assert [p.render() for p in bad_deal.problems] == [
        f"{batch}/d.jsonl:5: invalid-deal: $.rights.voting_pct: input should be less than or "
        "equal to 100"
    ]
    duplicate = items[6]
    assert isinstance(duplicate, Reviewed)
    assert duplicate.duplicate_of == f"{batch}/a.yaml"


def test_missing_date_is_an_invalid_deal_located_by_field(tmp_path: Path) -> None:
    """A deal the engine refuses (no date) is an invalid input with its source and field."""
    deal = _deal(1)
    del deal["completion_date"]
    stream = _write_jsonl(tmp_path / "x.jsonl", [deal])
    (item,) = list(review([stream], Options(workers=1)))
    assert isinstance(item, Invalid)
    assert item.problems[0].location == f"{stream}:1"
    assert item.problems[0].code == "missing-date"
    assert item.problems[0].message.startswith("$.completion_date: ")


def test_results_round_trip_and_keep_deals(tmp_path: Path) -> None:
    """Each item's result and (when kept) deal read back as the library types."""
    stream = _write_jsonl(tmp_path / "x.jsonl", [_deal(1)])
    (item,) = list(review([stream], Options(workers=1, keep_deals=True)))
    assert isinstance(item, Reviewed)
    assert item.result().deal_id == "deal-1"
    assert item.deal() == Deal.model_validate(_deal(1)).root


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_workers_give_byte_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """N=1 and N=2 write the same bytes, in input order, for every format."""
    stream = tmp_path / "deals.jsonl"
    stream.write_text("".join(generate_jsonl(300, seed=5)), encoding="utf-8")
    for fmt in ("jsonl", "html"):
        outputs = []
        for workers in ("1", "2"):
            out = tmp_path / f"out-{workers}.{fmt}"
            code, _, err = _cli(
                [
                    "review",
                    str(stream),
                    "--no-store",
                    "--format",
                    fmt,
                    "--workers",
                    workers,
                    "--out",
                    str(out),
                ],
                capsys,
            )
            assert code == 0, err
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1]
    lines = (tmp_path / "out-1.jsonl").read_text().splitlines()
    assert [json.loads(line)["deal_id"] for line in lines] == [f"synth-{i:07d}" for i in range(300)]
    ScreeningResult.model_validate_json(lines[0])


def test_invalid_input_exits_2_after_writing_the_report(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid deals are reported on stderr, the report still holds every valid deal, exit 2."""
    out = tmp_path / "r.json"
    code, _, err = _cli(
        ["review", str(batch), "--no-store", "--workers", "1", "--out", str(out)], capsys
    )
    assert code == 2
    doc = json.loads(out.read_text())
    assert len(doc["results"]) == 6
    assert doc["summary"]["invalid"] == 2 and doc["summary"]["duplicates"] == 1
    assert f"dealscreen: {batch}/d.jsonl:3: invalid-json:" in err
    assert f"dealscreen: {batch}/d.jsonl:6: duplicate-id: deal id `deal-1` was already used" in err
    assert "reviewed 8 deals in" in err
    assert err.rstrip().endswith("dealscreen: invalid-input: 2 of 8 deals were invalid and skipped")


def test_fail_on_exits_3_and_csv_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--fail-on exits 3 when a deal reaches the level; CSV has a row per deal and per hit."""
    stream = _write_jsonl(tmp_path / "x.jsonl", [_deal(1, name="=HYPERLINK()"), _deal(2)])
    out, hits = tmp_path / "r.csv", tmp_path / "hits.csv"
    code, _, err = _cli(
        [
            "review",
            str(stream),
            "--no-store",
            "--workers",
            "1",
            "--out",
            str(out),
            "--csv-hits",
            str(hits),
            "--fail-on",
            "clear",
        ],
        capsys,
    )
    assert code == 3
    assert err.rstrip().endswith(
        "dealscreen: --fail-on: fail-on-reached: 2 deals reached `clear` or above"
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["deal_id"] for r in rows] == ["deal-1", "deal-2"]
    assert rows[0]["deal_name"] == "'=HYPERLINK()"
    hit_rows = list(csv.DictReader(io.StringIO(hits.read_text())))
    assert {r["rule_id"] for r in hit_rows} >= {"cfius.foreign_person"}
    code, _, _ = _cli(
        [
            "review",
            str(stream),
            "--no-store",
            "--workers",
            "1",
            "--format",
            "jsonl",
            "--fail-on",
            "prohibited",
        ],
        capsys,
    )
    assert code == 0


def test_table_report_and_default_format_in_a_pipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table shows one row per deal; without --format a pipe gets JSON Lines."""
    stream = _write_jsonl(tmp_path / "x.jsonl", [_deal(1, name="[bold]x[/bold]")])
    code, out, _ = _cli(
        ["review", str(stream), "--no-store", "--workers", "1", "--format", "table"], capsys
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["DEAL", "KIND", "INVESTOR", "TARGET", "VERDICT", "REASONS"]
    assert lines[1].split()[:2] == ["deal-1", "equity_stake"]
    assert "\x1b[" not in out
    code, out, _ = _cli(["review", str(stream), "--no-store", "--workers", "1"], capsys)
    assert json.loads(out)["deal_id"] == "deal-1"


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing path is an invalid input; --csv-hits without csv is a usage error."""
    code, _, err = _cli(["review", str(tmp_path / "nope.yaml"), "--no-store"], capsys)
    assert code == 2 and f"{tmp_path}/nope.yaml: file-not-found: no such file" in err
    code, _, err = _cli(
        ["review", str(tmp_path), "--no-store", "--format", "json", "--csv-hits", "h.csv"], capsys
    )
    assert code == 2
    assert "dealscreen: --csv-hits: usage: `--csv-hits` needs `--format csv`" in err


def test_store_sink_records_and_resume_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reviewed deals are recorded in the store; --resume does not record them twice."""
    pytest.importorskip("screening.audit.store")
    stream = _write_jsonl(tmp_path / "x.jsonl", [_deal(1), _deal(2)])
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    args = ["review", str(stream), "--workers", "1", "--format", "jsonl", "--db", db]
    code, _, err = _cli(args, capsys)
    assert code == 0 and "recorded 2 screenings" in err
    code, _, err = _cli([*args, "--resume"], capsys)
    assert code == 0 and "recorded 0 screenings" in err and "2 already there" in err


def test_fixtures_generate_is_deterministic_and_valid(capsys: pytest.CaptureFixture[str]) -> None:
    """The generator gives the same bytes for a seed, valid deals of every kind and country."""
    code, out, _ = _cli(["fixtures", "generate", "--count", "400", "--seed", "9"], capsys)
    assert code == 0
    assert out == "".join(generate_jsonl(400, seed=9))
    assert out != "".join(generate_jsonl(400, seed=10))
    deals = [Deal.model_validate(d).root for d in generate(400, seed=9)]
    assert {d.kind for d in deals} == set(DEAL_KINDS)
    assert {"CN", "HK", "JP", "DE", "GB", "CA", "US"} <= {d.investor.country for d in deals}
    assert len({d.id for d in deals}) == 400


def test_fixture_folder_reviews_with_expected_verdicts() -> None:
    """Every fixture deal is screened, and its verdict is the one its `expected` block names."""
    fixtures = ROOT / "fixtures" / "deals"
    if not any(fixtures.glob("*.y*ml")):
        pytest.fail("no fixture deals")
    items = list(review([fixtures], Options(workers=2, keep_deals=True)))
    invalid = [p.render() for i in items if isinstance(i, Invalid) for p in i.problems]
    assert not invalid
    got = {i.deal_id: i.verdict for i in items if isinstance(i, Reviewed)}
    want = {
        i.deal_id: (i.deal().expected or {}).get("verdict")
        for i in items
        if isinstance(i, Reviewed)
    }
    assert got == want


def test_escaping_helpers() -> None:
    """Script JSON has no raw < > &; CSV formula cells get a leading quote."""
    assert script_json('{"a": "</script><b>&"}') == (
        '{"a": "\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'
    )
    assert safe("=1+1") == "'=1+1" and safe("+x") == "'+x" and safe("plain") == "plain"


def test_copying_a_fixture_twice_reports_a_duplicate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files with the same deal id: both screened, the second reported as a duplicate."""
    src = tmp_path / "a.json"
    src.write_text(json.dumps(_deal(1)), encoding="utf-8")
    shutil.copy(src, tmp_path / "b.json")
    code, out, err = _cli(
        ["review", str(tmp_path), "--no-store", "--workers", "1", "--format", "jsonl"], capsys
    )
    assert code == 0
    assert len(out.splitlines()) == 2
    assert f"{tmp_path}/b.json: duplicate-id: deal id `deal-1` was already used at " in err
