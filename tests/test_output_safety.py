"""Issue 19: every CSV cell neutralised, terminal escapes escaped, bidi overrides neutralised."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main

EVIL_NAME = "Acme \x1b[2J\x1b]0;pwned\x07 \u202etxt.exe\u202c Corp\x9b31m"


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _evil_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    deal = merge(BASE_DEAL, {"id": "d1", "name": "=" + EVIL_NAME})
    (folder / "=1+1+cmd|' calc'!A0.json").write_text(json.dumps(deal), encoding="utf-8")
    (folder / "@dup.json").write_text(json.dumps(deal), encoding="utf-8")
    return folder


def test_every_csv_cell_is_neutralised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _evil_folder(tmp_path)
    hits = tmp_path / "hits.csv"
    monkeypatch.chdir(folder)  # sources are then the bare file names
    code, out, err = _cli(
        [
            "review",
            ".",
            "--no-store",
            "--workers",
            "1",
            "--format",
            "csv",
            "--csv-hits",
            str(hits),
        ],
        capsys,
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))[1:] + list(csv.reader(io.StringIO(hits.read_text())))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    # file names (source) and duplicate_of once went out raw
    deals = list(csv.DictReader(io.StringIO(out)))
    assert [d["source"] for d in deals] == ["'=1+1+cmd|' calc'!A0.json", "'@dup.json"]
    assert deals[1]["duplicate_of"] == "'=1+1+cmd|' calc'!A0.json"


@pytest.mark.parametrize("fmt", ["text", "table"])
def test_control_characters_in_deal_text_are_escaped_on_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    path = tmp_path / "d.json"
    path.write_text(
        json.dumps(merge(BASE_DEAL, {"name": EVIL_NAME, "investor": {"name": EVIL_NAME}}))
    )
    if fmt == "text":
        code, out, err = _cli(["screen", str(path), "--no-store"], capsys)
    else:
        code, out, err = _cli(
            ["review", str(path), "--no-store", "--workers", "1", "--format", "table"], capsys
        )
    assert code == 0, err
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "\u202e" not in text
    assert "\\x1b" in out


def test_bidi_overrides_are_neutralised_in_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(merge(BASE_DEAL, {"name": EVIL_NAME})))
    out = tmp_path / "r.html"
    code, _, err = _cli(
        ["review", str(path), "--no-store", "--workers", "1", "--out", str(out)], capsys
    )
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f":
        assert ch not in page
    assert "\\u202e" not in page.lower()
    assert "U+202E" in page
