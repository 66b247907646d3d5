"""The HTML review report, opened in real headless Chromium (Debian's, driven by playwright)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main
from screening.review.bulk import Options, Reviewed, review

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
XSS = "<script>alert(1)</script>"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _suppressed_fixture() -> Path:
    """A fixture deal whose screening has a suppressed hit and a finding tree."""
    for item in review([ROOT / "fixtures" / "deals"], Options(workers=1)):
        if isinstance(item, Reviewed):
            hits = json.loads(item.result_json)["hits"]
            if any(h["suppressed_by"] for h in hits) and any(h["because"] for h in hits):
                return Path(item.source)
    pytest.fail("no fixture deal with a suppressed hit and a finding tree")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A report over: a suppressed-hit fixture, an XSS-named deal, a deal with open questions."""
    folder = tmp_path_factory.mktemp("html")
    deals = folder / "deals"
    deals.mkdir()
    fixture = _suppressed_fixture()
    shutil.copy(fixture, deals / "a-fixture.yaml")
    xss = merge(
        BASE_DEAL,
        {"id": "xss", "name": XSS, "investor": {"name": "<img src=x onerror=alert(2)>&amp;"}},
    )
    open_questions = merge(
        BASE_DEAL,
        {
            "id": "zz-open",
            "name": "Open questions deal",
            "target": {"critical_technologies": None},
            "rights": {"voting_pct": 30, "board_seats": 2},
        },
    )
    (deals / "b.jsonl").write_text(
        json.dumps(xss) + "\n" + json.dumps(open_questions) + "\n", encoding="utf-8"
    )
    out = folder / "review.html"
    code = main(
        [
            "review",
            str(deals),
            "--format",
            "html",
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-store",
        ]
    )
    assert code == 0
    fixture_id = json.loads(next(iter(review([fixture], Options(workers=1)))).result_json)  # type: ignore[union-attr]
    yield out, fixture_id["deal_id"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Browser, report: tuple[Path, str]) -> Iterator[tuple[Page, list[Any], list[str]]]:
    """The report open in a fresh page, recording dialogs and every request."""
    dialogs: list[Any] = []
    requests: list[str] = []
    pg = browser.new_page()
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(report[0].as_uri())
    pg.wait_for_selector("#deal-rows tr")
    yield pg, dialogs, requests
    pg.close()


def _ids(pg: Page) -> list[str]:
    return pg.eval_on_selector_all("#deal-rows tr", "rows => rows.map(r => r.cells[0].textContent)")


def test_deal_text_is_rendered_as_text_and_no_script_runs(
    page: tuple[Page, list[Any], list[str]], report: tuple[Path, str]
) -> None:
    """A deal named <script>alert(1)</script> shows as text; no dialog; no network request."""
    pg, dialogs, requests = page
    names = pg.eval_on_selector_all(
        "#deal-rows tr", "rows => rows.map(r => r.cells[1].textContent)"
    )
    assert XSS in names
    investors = pg.eval_on_selector_all(
        "#deal-rows tr", "rows => rows.map(r => r.cells[3].textContent)"
    )
    assert "<img src=x onerror=alert(2)>&amp; (CN)" in investors
    assert pg.eval_on_selector_all("script", "s => s.length") == 2
    assert pg.eval_on_selector_all("img", "s => s.length") == 0
    pg.click("#deal-rows tr:has-text('alert(1)')")
    assert pg.text_content("#detail h2") == XSS
    pg.wait_for_timeout(100)
    assert dialogs == []
    assert requests == [report[0].as_uri()]


def test_summary_has_counts_and_an_svg_chart(page: tuple[Page, list[Any], list[str]]) -> None:
    """The summary shows the deal count, an SVG bar per verdict and the per-group tables."""
    pg, _, _ = page
    assert "3 deals: 3 screened, 0 invalid" in (pg.text_content("#counts") or "")
    assert pg.eval_on_selector_all("#verdict-chart rect", "r => r.length") == 5
    assert "CN" in (pg.text_content(".per-country") or "")
    assert "cfius_800" in (pg.text_content("#per-regime") or "")


def test_sorting_and_filtering(
    page: tuple[Page, list[Any], list[str]], report: tuple[Path, str]
) -> None:
    """Column headers sort both ways; the text box and the verdict list filter rows."""
    pg, _, _ = page
    fixture_id = report[1]
    assert _ids(pg) == [fixture_id, "xss", "zz-open"]
    pg.click("th[data-key=id]")
    assert _ids(pg) == sorted([fixture_id, "xss", "zz-open"])
    pg.click("th[data-key=id]")
    assert _ids(pg) == sorted([fixture_id, "xss", "zz-open"], reverse=True)
    pg.fill("#filter", "alert(1)")
    assert _ids(pg) == ["xss"]
    assert pg.text_content("#shown") == "1 of 3 deals"
    pg.fill("#filter", "")
    cell = pg.eval_on_selector("#deal-rows tr", "r => r.cells[6].textContent")
    verdict = cell.split(" — ")[0]  # the floor, before any range
    pg.select_option("#verdict-filter", verdict)
    rows = pg.eval_on_selector_all("#deal-rows tr", "rows => rows.map(r => r.cells[6].textContent)")
    assert rows and all(v.split(" — ")[0] == verdict for v in rows)


def test_drill_down_shows_hits_citations_facts_tree_suppressed_and_questions(
    page: tuple[Page, list[Any], list[str]], report: tuple[Path, str]
) -> None:
    """Clicking a deal shows every hit with citation, facts and finding tree; suppressed hits
    and open questions have their own sections."""
    pg, _, _ = page
    assert pg.is_hidden("#detail")
    pg.click(f"#deal-rows tr:has-text('{report[1]}')")
    assert pg.is_visible("#detail")
    hits = pg.eval_on_selector_all(
        "#detail .hit",
        "hs => hs.map(h => [h.querySelector('.rule-id').textContent,"
        " h.querySelector('.citation').textContent])",
    )
    assert hits and all(rule and citation for rule, citation in hits)
    assert all("CFR" in citation or "U.S.C." in citation for _, citation in hits)
    assert pg.eval_on_selector_all("#detail .hit.suppressed", "h => h.length") >= 1
    assert "would apply, but exempted by" in (pg.text_content("#detail .hit.suppressed") or "")
    assert pg.eval_on_selector_all("#detail ul.tree li code", "c => c.length") >= 1
    assert pg.eval_on_selector_all("#detail table.facts td", "c => c.length") >= 2
    pg.click("#deal-rows tr:has-text('zz-open')")
    questions = pg.eval_on_selector_all("#detail .question", "q => q.map(x => x.textContent)")
    assert questions and all("unknown:" in q for q in questions)
