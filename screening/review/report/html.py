"""The ``html`` report: one self-contained page (inline CSS and JS, no network, works offline).

The page holds a summary (counts per verdict with an inline SVG chart, per regime, per investor
country, per NAICS sector), a sortable and filterable table of deals, and a drill-down per deal:
every hit with its citation, matched facts, conditions and finding tree, suppressed hits and open
questions.

Escaping: every piece of text the page shows from a deal either goes through ``html.escape``
(the static summary) or travels as JSON inside ``<script type="application/json">`` with ``<``,
``>`` and ``&`` written as ``\\u003c`` and so on, and is put into the page with ``textContent``
(never ``innerHTML``). A Content-Security-Policy allows only this page's own script and style
(by hash) and no network at all, so even a mistake in escaping could not run injected script.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from typing import TextIO

from screening.engine.verdict import DISCLAIMER, LEVELS
from screening.review.bulk import Invalid, Reviewed, Summary
from screening.review.report._common import LEVEL_COLORS, BaseReport, sector_name
from screening.rulebook.book import Rulebook

_STYLE = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f}
body{margin:0;background:#f6f7f9}
.page{display:flex;flex-direction:column;gap:1rem;max-width:1280px;margin:0 auto;padding:1rem}
header{order:-2}#summary{order:-1}
section,header{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 2px #0002}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:.2rem 0 .6rem}
h3{font-size:1rem;margin:.2rem 0}.muted{color:#666;font-size:.85rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1rem}
.grid>div{min-width:0;overflow-x:auto}
.grid>div.wide{grid-column:span 2}
@media (max-width:800px){.grid>div.wide{grid-column:auto}}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #e3e5e8;vertical-align:top}
th[data-key]{cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
tbody#deal-rows tr{cursor:pointer}tbody#deal-rows tr:hover{background:#eef3fb}
tbody#deal-rows tr.selected{background:#dfe9f8}
.v{font-weight:600;white-space:nowrap}
.v-clear{color:#2e7d32}.v-covered{color:#546e7a}.v-filing_advised{color:#a67c00}
.v-filing_required{color:#d35400}.v-prohibited{color:#c62828}
.controls{display:flex;gap:.6rem;align-items:center;margin-bottom:.6rem;flex-wrap:wrap}
input,select{font:inherit;padding:.25rem .4rem}
.hit{border-left:4px solid #90a4ae;padding:.3rem .7rem;margin:.6rem 0;background:#fafbfc}
.hit.o-prohibited{border-color:#c62828}.hit.o-filing_required{border-color:#ef6c00}
.hit.o-filing_advised{border-color:#f9a825}.hit.suppressed{opacity:.8;border-style:dashed}
.citation{font-family:ui-monospace,monospace;font-size:.8rem;color:#37474f}
code,.mono{font-family:ui-monospace,monospace;font-size:.8rem}
ul.tree{margin:.2rem 0 .2rem 1rem;padding-left:.6rem}
.problems li{font-family:ui-monospace,monospace;font-size:.8rem}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var LEVELS = ["clear", "covered", "filing_advised", "filing_required", "prohibited"];
  var deals = JSON.parse(document.getElementById("deal-data").textContent);
  var rows = document.getElementById("deal-rows");
  var filter = document.getElementById("filter");
  var verdictFilter = document.getElementById("verdict-filter");
  var shown = document.getElementById("shown");
  var detail = document.getElementById("detail");
  var state = {key: "i", dir: 1, selected: -1};

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function levelClass(level) { return LEVELS.indexOf(level) >= 0 ? "v v-" + level : "v"; }
  function value(d, key) {
    if (key === "verdict") { return LEVELS.indexOf(d.verdict); }
    if (key === "reasons") { return d.reasons.join(" "); }
    return d[key];
  }
  function compare(a, b) {
    var x = value(a, state.key), y = value(b, state.key);
    if (x < y) { return -state.dir; }
    if (x > y) { return state.dir; }
    return a.i - b.i;
  }
  function matches(d, needle, level) {
    if (level && d.verdict !== level) { return false; }
    if (!needle) { return true; }
    var hay = [d.id, d.name, d.kind, d.investor, d.country, d.target, d.naics, d.verdict,
               d.source, d.reasons.join(" ")].join(" ").toLowerCase();
    return hay.indexOf(needle) >= 0;
  }
  function render() {
    var needle = filter.value.trim().toLowerCase();
    var level = verdictFilter.value;
    var list = deals.filter(function (d) { return matches(d, needle, level); });
    list.sort(compare);
    var frag = document.createDocumentFragment();
    list.forEach(function (d) {
      var tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.index = String(d.i);
      if (d.i === state.selected) { tr.className = "selected"; }
      tr.appendChild(el("td", d.id, "mono"));
      tr.appendChild(el("td", d.name));
      tr.appendChild(el("td", d.kind));
      tr.appendChild(el("td", d.investor + (d.country ? " (" + d.country + ")" : "")));
      tr.appendChild(el("td", d.target));
      tr.appendChild(el("td", d.naics));
      tr.appendChild(el("td", d.verdict + (d.provisional ? "?" : ""), levelClass(d.verdict)));
      tr.appendChild(el("td", d.reasons.join(", "), "mono"));
      tr.addEventListener("click", function () { show(d.i); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { show(d.i); } });
      frag.appendChild(tr);
    });
    rows.replaceChildren(frag);
    shown.textContent = list.length + " of " + deals.length + " deals";
  }
  function tree(items) {
    var ul = el("ul", null, "tree");
    items.forEach(function (b) {
      var li = el("li");
      li.appendChild(el("code", b.rule_id));
      li.appendChild(document.createTextNode(": " + b.title + " "));
      li.appendChild(el("span", b.citation, "citation"));
      if (b.because && b.because.length) { li.appendChild(tree(b.because)); }
      ul.appendChild(li);
    });
    return ul;
  }
  function hitBox(h) {
    var cls = "hit" + (LEVELS.indexOf(h.outcome) >= 0 ? " o-" + h.outcome : "");
    var box = el("div", null, cls + (h.suppressed_by.length ? " suppressed" : ""));
    var head = el("h3");
    head.appendChild(el("code", h.rule_id, "rule-id"));
    head.appendChild(document.createTextNode(" " + h.title + " "));
    head.appendChild(el("span", h.outcome || h.kind, levelClass(h.outcome)));
    box.appendChild(head);
    box.appendChild(el("div", h.citation + (h.source ? " · " + h.source : ""), "citation"));
    if (h.suppressed_by.length) {
      var by = "would apply, but exempted by " + h.suppressed_by.join(", ");
      box.appendChild(el("p", by, "exempted"));
    }
    box.appendChild(el("p", h.explanation, "explanation"));
    var facts = Object.keys(h.facts);
    if (facts.length) {
      var t = el("table", null, "facts");
      var hr = el("tr"); hr.appendChild(el("th", "fact")); hr.appendChild(el("th", "value"));
      t.appendChild(hr);
      facts.sort().forEach(function (k) {
        var tr = el("tr");
        tr.appendChild(el("td", k, "mono"));
        tr.appendChild(el("td", JSON.stringify(h.facts[k]), "mono"));
        t.appendChild(tr);
      });
      box.appendChild(t);
    }
    if (h.conditions.length) {
      box.appendChild(el("div", "conditions that held:", "muted"));
      var ul = el("ul");
      h.conditions.forEach(function (c) { ul.appendChild(el("li", c.text)); });
      box.appendChild(ul);
    }
    if (h.because.length) {
      box.appendChild(el("div", "findings it stood on:", "muted"));
      box.appendChild(tree(h.because));
    }
    return box;
  }
  function show(i) {
    var d = deals[i], r = d.result;
    state.selected = i;
    Array.prototype.forEach.call(rows.children, function (tr) {
      tr.className = tr.dataset.index === String(i) ? "selected" : "";
    });
    var out = document.createDocumentFragment();
    out.appendChild(el("h2", d.name));
    out.appendChild(el("div", d.id + " · " + d.kind + " · " + d.source + " · as of " + r.as_of
                              + " · rulebook " + r.rulebook_version, "muted"));
    var v = el("p");
    v.appendChild(document.createTextNode("Verdict: "));
    var prov = r.provisional ? " (provisional)" : "";
    v.appendChild(el("span", r.verdict + prov, levelClass(r.verdict)));
    out.appendChild(v);
    var regimes = el("ul", null, "regimes");
    Object.keys(r.regimes).forEach(function (k) {
      var g = r.regimes[k], li = el("li");
      li.appendChild(el("code", g.regime));
      li.appendChild(document.createTextNode(" " + g.title + ": "));
      var gp = g.provisional ? " (provisional)" : "";
      li.appendChild(el("span", g.verdict + gp, levelClass(g.verdict)));
      regimes.appendChild(li);
    });
    out.appendChild(regimes);
    if (r.consortium) {
      out.appendChild(el("h3", "Consortium: each foreign investor's own CFIUS duty ("
                                + r.consortium.members.length + ")"));
      var ms = el("ul", null, "regimes");
      r.consortium.members.forEach(function (m) {
        var li = el("li");
        var where = m.position === null ? "investor" : "co_investors[" + m.position + "]";
        li.appendChild(document.createTextNode(m.name + " (" + where + "): "));
        var mp = m.provisional ? " (provisional)" : "";
        li.appendChild(el("span", m.verdict + mp, levelClass(m.verdict)));
        li.appendChild(document.createTextNode(" \u2014 " + m.duty));
        ms.appendChild(li);
      });
      out.appendChild(ms);
      out.appendChild(el("p", r.consortium.basis, "muted"));
    }
    var active = r.hits.filter(function (h) { return !h.suppressed_by.length; });
    var suppressed = r.hits.filter(function (h) { return h.suppressed_by.length; });
    out.appendChild(el("h3", "Hits (" + active.length + ")"));
    if (!active.length) { out.appendChild(el("p", "no rule fired", "muted")); }
    active.forEach(function (h) { out.appendChild(hitBox(h)); });
    out.appendChild(el("h3", "Suppressed hits (" + suppressed.length + ")"));
    if (!suppressed.length) { out.appendChild(el("p", "none", "muted")); }
    suppressed.forEach(function (h) { out.appendChild(hitBox(h)); });
    out.appendChild(el("h3", "Open questions (" + r.open_questions.length + ")"));
    var qs = el("ul", null, "questions");
    r.open_questions.forEach(function (q) {
      var li = el("li", null, "question");
      li.appendChild(el("span", q.question));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "unknown: " + q.unknown_facts.join(", "), "muted"));
      qs.appendChild(li);
    });
    out.appendChild(qs);
    out.appendChild(el("p", r.disclaimer, "muted"));
    detail.replaceChildren(out);
    detail.hidden = false;
  }
  Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (th) {
    th.addEventListener("click", function () {
      var key = th.dataset.key;
      state.dir = state.key === key ? -state.dir : 1;
      state.key = key;
      Array.prototype.forEach.call(document.querySelectorAll("th[data-key]"), function (o) {
        o.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      render();
    });
  });
  filter.addEventListener("input", render);
  verdictFilter.addEventListener("change", render);
  render();
})();
"""

_COLUMNS = (
    ("id", "Deal"),
    ("name", "Name"),
    ("kind", "Kind"),
    ("investor", "Investor"),
    ("target", "Target"),
    ("naics", "NAICS"),
    ("verdict", "Verdict"),
    ("reasons", "Reasons"),
)


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def script_json(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` left)."""
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _head(book: Rulebook) -> str:
    csp = (
        f"default-src 'none'; script-src '{_hash(_SCRIPT)}'; style-src '{_hash(_STYLE)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    options = "".join(f'<option value="{lv}">{lv}</option>' for lv in LEVELS)
    headers = "".join(f'<th data-key="{k}">{escape(label)}</th>' for k, label in _COLUMNS)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>dealscreen review</title>\n"
        f'<style>{_STYLE}</style>\n</head>\n<body>\n<div class="page">\n'
        "<header><h1>dealscreen review</h1>"
        f'<div class="muted">rulebook {escape(book.version)} · '
        f"regimes: {escape(', '.join(book.regimes))}</div>"
        f'<p class="muted">{escape(DISCLAIMER)}</p></header>\n'
        '<section id="deals"><h2>Deals</h2><div class="controls">'
        '<input id="filter" type="search" placeholder="filter: id, name, party, country, rule…"'
        ' aria-label="filter deals">'
        '<select id="verdict-filter" aria-label="verdict"><option value="">every verdict</option>'
        f'{options}</select><span id="shown" class="muted"></span></div>'
        f'<table id="deal-table"><thead><tr>{headers}</tr></thead>'
        '<tbody id="deal-rows"></tbody></table></section>\n'
        '<section id="detail" hidden></section>\n'
        '<script type="application/json" id="deal-data">['
    )


def _counts_table(title: str, cls: str, counts: dict[str, int], label: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{n}</td></tr>"
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return (
        f'<div class="{cls}"><h3>{escape(title)}</h3><table><tr><th>{escape(label)}</th>'
        f"<th>deals</th></tr>{rows}</table></div>"
    )


def verdict_chart(verdicts: dict[str, int]) -> str:
    """An inline SVG bar chart of deals per verdict."""
    top = max(verdicts.values(), default=0) or 1
    bar_h, gap, label_w, bar_w = 22, 6, 120, 320
    height = len(LEVELS) * (bar_h + gap)
    parts = [
        f'<svg id="verdict-chart" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {label_w + bar_w + 60} {height}" width="100%"'
        f' style="max-width:{label_w + bar_w + 60}px" role="img" aria-label="deals per verdict">'
    ]
    for i, level in enumerate(reversed(LEVELS)):
        n = verdicts.get(level, 0)
        y = i * (bar_h + gap)
        w = round(bar_w * n / top)
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{level}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" '
            f'fill="{LEVEL_COLORS[level]}"><title>{level}: {n}</title></rect>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


class HtmlReport(BaseReport):
    """One self-contained HTML page, its deal data streamed as results arrive."""

    def __init__(self, out: TextIO, *, book: Rulebook) -> None:
        self.out = out
        self.count = 0
        out.write(_head(book))

    def add(self, item: Reviewed) -> None:
        """Append one deal to the page's data."""
        head = json.dumps(
            {
                "i": self.count,
                "source": item.source,
                "id": item.deal_id,
                "name": item.deal_name,
                "kind": item.kind,
                "investor": item.investor,
                "country": item.investor_country,
                "target": item.target,
                "naics": item.naics,
                "verdict": item.verdict,
                "provisional": item.provisional,
                "reasons": list(item.reasons),
                "duplicate_of": item.duplicate_of,
            },
            ensure_ascii=False,
        )
        self.out.write(",\n" if self.count else "\n")
        self.out.write(script_json(head[:-1] + ', "result": ' + item.result_json + "}"))
        self.count += 1

    def finish(self, summary: Summary) -> None:
        """Close the data, write the summary section and the script."""
        self.out.write("\n]</script>\n")
        self.out.write(self._summary(summary))
        self.out.write(f"<script>{_SCRIPT}</script>\n</div>\n</body>\n</html>\n")

    def invalid(self, item: Invalid) -> None:
        """Skipped inputs are listed in the summary (from its capped samples)."""

    @staticmethod
    def _summary(s: Summary) -> str:
        regimes = "".join(
            f"<tr><td>{escape(regime)}</td>"
            + "".join(f"<td>{counts[lv]}</td>" for lv in LEVELS)
            + "</tr>"
            for regime, counts in sorted(s.regimes.items())
        )
        level_heads = "".join(f"<th>{lv}</th>" for lv in LEVELS)
        problems = "".join(
            f"<li>{escape(p.render())}</li>" for p in [*s.invalid_problems, *s.duplicate_problems]
        )
        more = s.invalid + s.duplicates - len(s.invalid_problems) - len(s.duplicate_problems)
        problem_block = (
            f'<div id="problems"><h3>Skipped inputs and duplicate ids</h3>'
            f'<ul class="problems">{problems}</ul>'
            + (f'<p class="muted">and more not listed ({more})</p>' if more > 0 else "")
            + "</div>"
            if problems
            else ""
        )
        sectors = {sector_name(k): v for k, v in s.sectors.items()}
        return (
            '<section id="summary"><h2>Summary</h2>'
            f'<p id="counts">{s.screened + s.invalid} deals: {s.screened} screened, '
            f"{s.invalid} invalid (skipped), {s.duplicates} duplicate ids, "
            f"{s.provisional} provisional (open questions)</p>"
            f'<div class="grid"><div><h3>Deals per verdict</h3>{verdict_chart(s.verdicts)}</div>'
            '<div id="per-regime" class="wide"><h3>Per regime</h3>'
            f"<table><tr><th>regime</th>{level_heads}"
            f"</tr>{regimes}</table></div>"
            + _counts_table("Per investor country", "per-country", s.countries, "country")
            + _counts_table("Per sector (NAICS)", "per-sector", sectors, "sector")
            + f"</div>{problem_block}</section>\n"
        )
