"""The HTML review report, opened in real headless Chromium (Debian's, driven by playwright)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from screening.authoring.examples import BASE_DEAL, merge
from screening.cli.app import main
from screening.review.bulk import Options, Reviewed, review
from tests.conftest import require

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the test extra is not installed: the browser tests skip (see below)
    sync_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DEALSCREEN_CHROMIUM", "/usr/bin/chromium")
XSS = "<script>alert(1)</script>"
PROHIBITED = "haiyun-petrochemical-sdn-gulfline-lubricants"  # prohibited, with list facts
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
    shutil.copy(ROOT / "fixtures" / "deals" / f"{PROHIBITED}.yaml", deals / "c-prohibited.yaml")
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
    """Headless Chromium from the system (skipped when absent, failed under CI's
    DEALSCREEN_REQUIRE_ALL=1)."""
    require(sync_playwright is not None, "the browser tests need playwright (the test extra)")
    require(Path(CHROMIUM).is_file(), f"the browser tests need Chromium at {CHROMIUM}")
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
    return pg.eval_on_selector_all(
        "#deal-rows tr.row", "rows => rows.map(r => r.cells[0].textContent)"
    )


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
    assert pg.eval_on_selector_all("script", "s => s.length") == 3  # two JSON, one code
    assert pg.eval_on_selector_all("img", "s => s.length") == 0
    pg.click("#deal-rows tr:has-text('alert(1)')")
    assert pg.text_content("#detail h2") == XSS
    pg.wait_for_timeout(100)
    assert dialogs == []
    assert requests == [report[0].as_uri()]


def test_summary_has_counts_and_an_svg_chart(page: tuple[Page, list[Any], list[str]]) -> None:
    """The summary shows the deal count, an SVG bar per verdict and the per-group tables."""
    pg, _, _ = page
    assert "4 deals: 4 screened, 0 invalid" in (pg.text_content("#counts") or "")
    assert pg.eval_on_selector_all("#verdict-chart rect", "r => r.length") == 5
    assert "CN" in (pg.text_content(".per-country") or "")
    assert "cfius_800" in (pg.text_content("#per-regime") or "")


def test_sorting_and_filtering(
    page: tuple[Page, list[Any], list[str]], report: tuple[Path, str]
) -> None:
    """Column headers sort both ways; the text box and the verdict list filter rows."""
    pg, _, _ = page
    fixture_id = report[1]
    every = [fixture_id, PROHIBITED, "xss", "zz-open"]
    assert _ids(pg)[0] == PROHIBITED
    pg.click("th[data-key=id]")
    assert _ids(pg) == sorted(every)
    pg.click("th[data-key=id]")
    assert _ids(pg) == sorted(every, reverse=True)
    pg.fill("#filter", "alert(1)")
    assert _ids(pg) == ["xss"]
    assert pg.text_content("#shown") == "1 of 4 deals"
    pg.fill("#filter", "")
    cell = pg.eval_on_selector("#deal-rows tr", "r => r.cells[6].textContent")
    verdict = cell.split(" — ")[0].rstrip("?")  # the floor, before any range mark
    pg.select_option("#verdict-filter", verdict)
    rows = pg.eval_on_selector_all(
        "#deal-rows tr.row", "rows => rows.map(r => r.cells[6].textContent)"
    )
    assert rows and all(v.rstrip("?") == verdict for v in rows)


def test_drill_down_shows_hits_citations_facts_tree_suppressed_and_questions(
    page: tuple[Page, list[Any], list[str]], report: tuple[Path, str]
) -> None:
    """Clicking a deal shows its memo, every deciding hit with citation, facts (as values) and
    finding tree, the exempted hits, and the open questions."""
    pg, _, _ = page
    assert pg.is_hidden("#detail")
    pg.click(f"#deal-rows tr:has-text('{report[1]}')")
    assert pg.is_visible("#detail")
    hits = pg.eval_on_selector_all(
        "#detail .hit",
        "hs => hs.map(h => [h.querySelector('.rule-title').title,"
        " h.querySelector('.citation').textContent])",
    )
    assert hits and all(rule and citation for rule, citation in hits)
    assert all("CFR" in citation or "U.S.C." in citation for _, citation in hits)
    assert pg.eval_on_selector_all("#detail .hit.suppressed", "h => h.length") >= 1
    assert "would apply, but exempted by" in (pg.text_content("#detail .hit.suppressed") or "")
    assert pg.eval_on_selector_all("#detail ul.tree li", "c => c.length") >= 1
    assert "What the answer rests on" in (pg.text_content("#detail .memo") or "")
    assert "starter" in (pg.text_content("#detail .memo .rests") or "")
    pg.click(f"#deal-rows tr:has-text('{PROHIBITED}')")
    values = pg.eval_on_selector_all(
        "#detail table.facts td.value", "c => c.map(x => x.textContent)"
    )
    assert "ofac_sdn" in values
    assert not any(v[:1] in '"[{' or v in ("true", "false", "null") for v in values)
    actions = pg.text_content("#detail .memo .actions") or ""
    assert "prohibited" in actions and "Do not complete the deal" in actions
    pg.click("#deal-rows tr:has-text('zz-open')")
    questions = pg.eval_on_selector_all("#detail .question", "q => q.map(x => x.textContent)")
    assert questions and all("unknown:" in q and "could reach" in q for q in questions)


def test_most_severe_first_with_reasons_in_words(
    page: tuple[Page, list[Any], list[str]],
) -> None:
    """Rows come most severe verdict first; a reason shows the rule's title, its id on hover."""
    pg, _, _ = page
    levels = ["clear", "covered", "filing_advised", "filing_required", "prohibited"]
    verdicts = pg.eval_on_selector_all(
        "#deal-rows tr.row", "rows => rows.map(r => r.cells[6].textContent.replace('?', ''))"
    )
    ranks = [levels.index(v) for v in verdicts]
    assert ranks == sorted(ranks, reverse=True)
    chips = pg.eval_on_selector_all(".reason", "cs => cs.map(c => [c.textContent, c.title])")
    assert chips
    assert all(" " in text and title.split(" · ")[0].count(".") >= 1 for text, title in chips)


def test_drill_down_opens_in_view_and_is_linkable(
    browser: Browser, report: tuple[Path, str], tmp_path: Path
) -> None:
    """The clicked deal's detail opens right under its row, inside the window, at both widths;
    the address names the deal, and opening that address opens the deal. Screenshots of the
    list and the detail at 1400 and 800 px are kept for a person to look at."""
    for width in (1400, 800):
        pg = browser.new_page(viewport={"width": width, "height": 900})
        pg.goto(report[0].as_uri())
        pg.wait_for_selector("#deal-rows tr")
        pg.screenshot(path=str(tmp_path / f"list-{width}.png"), full_page=True)
        pg.click(f"#deal-rows tr:has-text('{report[1]}')")
        top = pg.eval_on_selector("#detail", "d => d.getBoundingClientRect().top")
        assert 0 <= top < 900
        assert pg.evaluate("location.hash") == "#" + report[1]
        following = pg.eval_on_selector("tr.selected", "r => r.nextElementSibling.className")
        assert following == "detail-row"
        assert pg.evaluate("document.documentElement.scrollWidth") <= width
        pg.screenshot(path=str(tmp_path / f"detail-{width}.png"))
        pg.close()
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    pg.goto(report[0].as_uri() + "#zz-open")
    pg.wait_for_selector("#detail")
    assert pg.text_content("#detail h2") == "Open questions deal"
    pg.close()
    assert all(
        (tmp_path / f"{kind}-{w}.png").stat().st_size > 0
        for kind in ("list", "detail")
        for w in (1400, 800)
    )


def test_narrow_window_keeps_ids_and_names_readable(
    browser: Browser, report: tuple[Path, str]
) -> None:
    """At 800 px the lesser columns give way, so no id or name wraps to many lines."""
    pg = browser.new_page(viewport={"width": 800, "height": 900})
    pg.goto(report[0].as_uri())
    pg.wait_for_selector("#deal-rows tr")
    assert pg.is_hidden("#deal-rows td.c-kind >> nth=0")
    heights = pg.eval_on_selector_all(
        "#deal-rows td.id, #deal-rows td.name",
        "cs => cs.map(c => c.getBoundingClientRect().height"
        " / (parseFloat(getComputedStyle(c).fontSize) * 1.2))",
    )
    assert heights and max(heights) < 9
    pg.close()


def test_no_csp_violation_and_a_print_stylesheet(
    browser: Browser, report: tuple[Path, str]
) -> None:
    """The page's own styles and script pass its Content-Security-Policy (nothing is blocked);
    printed with a deal open, only that deal's memo and detail remain."""
    pg = browser.new_page()
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(m.text))
    pg.goto(report[0].as_uri())
    pg.wait_for_selector("#deal-rows tr")
    pg.click("#deal-rows tr:has-text('zz-open')")
    assert not [m for m in messages if "Content Security Policy" in m], messages
    pg.emulate_media(media="print")
    assert pg.is_hidden("header")
    assert pg.is_hidden("#summary")
    assert pg.is_hidden("#deal-rows tr.row >> nth=0")
    assert pg.is_visible("#detail .memo")
    pg.close()


def test_page_size_per_deal_on_the_fixtures() -> None:
    """Over every fixture the page holds at most 5 KB per deal: detail shared by many deals
    (rule titles, citations, reference lists, common reasons) is written once."""
    import io

    from screening.review.bulk import Summary
    from screening.review.report.html import HtmlReport
    from screening.rulebook.book import load_rulebook

    book = load_rulebook()
    out = io.StringIO()
    report = HtmlReport(out, book=book)
    for item in review([ROOT / "fixtures" / "deals"], Options(workers=1)):
        assert isinstance(item, Reviewed)
        report.add(item)
    report.finish(Summary(rulebook_version=book.version, screened=report.count))
    assert report.count > 50
    assert len(out.getvalue().encode()) / report.count <= 5 * 1024
