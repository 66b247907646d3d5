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
from collections.abc import Callable
from html import escape as _escape
from typing import Any, TextIO

from screening.engine.evaluate import cached_field_info
from screening.engine.memo import STALE_PREFIX as _STALE_PREFIX
from screening.engine.memo import STARTER_WARNING
from screening.engine.verdict import DISCLAIMER, LEVELS, VERDICTS
from screening.errors import BIDI_CONTROLS
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
h3{font-size:1rem;margin:.6rem 0 .2rem}.muted{color:#666;font-size:.85rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
.grid>div{min-width:0;overflow-x:auto}
.grid>div.wide{grid-column:span 2}
#verdict-chart{max-width:500px}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #e3e5e8;vertical-align:top}
th[data-key]{cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
tbody#deal-rows tr.row{cursor:pointer}tbody#deal-rows tr.row:hover{background:#eef3fb}
tbody#deal-rows tr.selected{background:#dfe9f8}
td.id{font-family:ui-monospace,monospace;font-size:.78rem;overflow-wrap:anywhere;min-width:9rem}
td.name{min-width:12rem}
.v{font-weight:600;white-space:nowrap}
.v-clear{color:#2e7d32}.v-covered{color:#546e7a}.v-filing_advised{color:#a67c00}
.v-filing_required{color:#d35400}.v-prohibited{color:#c62828}
.reason{display:inline-block;margin:0 .4rem .1rem 0;padding:0 .3rem;border-radius:3px;
background:#eef1f4;cursor:help}
.controls{display:flex;gap:.6rem;align-items:center;margin-bottom:.6rem;flex-wrap:wrap}
input,select{font:inherit;padding:.25rem .4rem}
tr.detail-row>td{background:#fbfcfd;padding:.6rem 1rem 1rem;border-bottom:3px solid #c5d3e8}
#detail{max-width:60rem}
.memo{border:1px solid #dde3ea;border-radius:6px;padding:.5rem .9rem;background:#fff}
.memo li{margin:.25rem 0}.past{color:#c62828;font-weight:600}
.hit{border-left:4px solid #90a4ae;padding:.3rem .7rem;margin:.6rem 0;background:#fafbfc}
.hit.o-prohibited{border-color:#c62828}.hit.o-filing_required{border-color:#ef6c00}
.hit.o-filing_advised{border-color:#f9a825}.hit.suppressed{opacity:.8;border-style:dashed}
.citation{font-family:ui-monospace,monospace;font-size:.8rem;color:#37474f}
code,.mono{font-family:ui-monospace,monospace;font-size:.8rem}
ul.tree{margin:.2rem 0 .2rem 1rem;padding-left:.6rem}
.alt{margin:.1rem 0 .1rem 1rem;font-style:italic;color:#555}
.problems li{font-family:ui-monospace,monospace;font-size:.8rem}
@media (max-width:900px){
.page{padding:.4rem}.grid>div.wide{grid-column:auto}
th.c-kind,td.c-kind,th.c-target,td.c-target,th.c-naics,td.c-naics{display:none}
td.id{min-width:6rem}td.name{min-width:8rem}
}
@media print{
body{background:#fff}.page{max-width:none;padding:0}
section,header{box-shadow:none;padding:0}
.controls,#summary,#shown,details.findings>:not(summary){display:none}
body.has-detail header,body.has-detail thead,body.has-detail tr.row{display:none}
tr.detail-row>td{border:0;padding:0}
.hit{break-inside:avoid}
}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var LEVELS = ["clear", "covered", "filing_advised", "filing_required", "prohibited"];
  var deals = JSON.parse(document.getElementById("deal-data").textContent);
  var book = JSON.parse(document.getElementById("rule-data").textContent);
  var rows = document.getElementById("deal-rows");
  var filter = document.getElementById("filter");
  var verdictFilter = document.getElementById("verdict-filter");
  var shown = document.getElementById("shown");
  var state = {key: "verdict", dir: -1, selected: -1};
  var byId = {};
  deals.forEach(function (d) { byId[d.id] = d; });

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function rule(id) { return book.rules[id] || [id, "", "", "finding", null]; }
  function levelClass(level) { return LEVELS.indexOf(level) >= 0 ? "v v-" + level : "v"; }
  function show(value) {
    if (value === null || value === undefined) { return "unknown"; }
    if (value === true) { return "yes"; }
    if (value === false) { return "no"; }
    if (Array.isArray(value)) { return value.length ? value.map(show).join(", ") : "none"; }
    if (typeof value === "object") {
      return Object.keys(value).map(function (k) { return k + ": " + show(value[k]); }).join("; ");
    }
    return String(value);
  }
  function reasonChip(id) {
    var r = rule(id), chip = el("span", r[0], "reason");
    chip.title = id + " · " + r[1];
    return chip;
  }
  function value(d, key) {
    if (key === "verdict") { return LEVELS.indexOf(d.verdict) * 5 + LEVELS.indexOf(d.ceiling); }
    if (key === "reasons") {
      return d.reasons.map(function (id) { return rule(id)[0]; }).join(" ");
    }
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
               d.source, d.reasons.join(" "),
               d.reasons.map(function (id) { return rule(id)[0]; }).join(" ")];
    return hay.join(" ").toLowerCase().indexOf(needle) >= 0;
  }
  function cell(tr, text, cls) { tr.appendChild(el("td", text, cls)); }
  function render() {
    var needle = filter.value.trim().toLowerCase();
    var level = verdictFilter.value;
    var list = deals.filter(function (d) { return matches(d, needle, level); });
    list.sort(compare);
    var frag = document.createDocumentFragment();
    list.forEach(function (d) {
      var tr = el("tr", null, "row" + (d.i === state.selected ? " selected" : ""));
      tr.tabIndex = 0;
      tr.dataset.index = String(d.i);
      cell(tr, d.id, "id");
      cell(tr, d.name, "name");
      cell(tr, d.kind, "c-kind");
      cell(tr, d.investor + (d.country ? " (" + d.country + ")" : ""));
      cell(tr, d.target, "c-target");
      cell(tr, d.naics, "c-naics");
      var higher = d.ceiling !== d.verdict;
      var v = el("td", d.verdict + (higher ? "?" : ""), levelClass(d.verdict));
      if (higher) { v.title = "provisional: could reach " + d.ceiling; }
      tr.appendChild(v);
      var reasons = el("td", null, "reasons");
      d.reasons.forEach(function (id) { reasons.appendChild(reasonChip(id)); });
      tr.appendChild(reasons);
      tr.addEventListener("click", function () { open(d.i, true); });
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { open(d.i, true); } });
      frag.appendChild(tr);
      if (d.i === state.selected) { frag.appendChild(detailRow(d)); }
    });
    rows.replaceChildren(frag);
    shown.textContent = list.length + " of " + deals.length + " deals";
  }
  function tree(items) {
    var ul = el("ul", null, "tree");
    items.forEach(function (b) {
      var li = el("li"), r = rule(b[0]);
      li.appendChild(el("span", r[0]));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", r[1], "citation"));
      li.title = b[0];
      if (b[1] && b[1].length) { li.appendChild(tree(b[1])); }
      ul.appendChild(li);
    });
    return ul;
  }
  function conditions(list) {
    var ul = el("ul"), group = null, into = ul;
    list.forEach(function (c) {
      if (c[1] !== group) {
        group = c[1];
        into = ul;
        if (group !== null) {
          var li = el("li", "one of these alternatives (one is enough):", "alt");
          into = el("ul");
          li.appendChild(into);
          ul.appendChild(li);
        }
      }
      into.appendChild(el("li", c[0]));
    });
    return ul;
  }
  function hitBox(h) {
    var r = rule(h.id), level = r[4];
    var cls = "hit" + (LEVELS.indexOf(level) >= 0 ? " o-" + level : "");
    var box = el("div", null, cls + (h.by ? " suppressed" : ""));
    var head = el("h3");
    var title = el("span", r[0], "rule-title");
    title.title = h.id;
    head.appendChild(title);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", level || r[3], levelClass(level)));
    box.appendChild(head);
    box.appendChild(el("div", r[1], "citation"));
    if (h.by) {
      var by = "would apply, but exempted by " + h.by.map(function (id) { return rule(id)[0]; })
        .join("; ");
      box.appendChild(el("p", by, "exempted"));
    }
    if (h.x) { box.appendChild(el("p", h.x, "explanation")); }
    var facts = h.f ? Object.keys(h.f) : [];
    if (facts.length) {
      var t = el("table", null, "facts");
      var hr = el("tr"); hr.appendChild(el("th", "fact")); hr.appendChild(el("th", "value"));
      t.appendChild(hr);
      facts.sort().forEach(function (k) {
        var tr = el("tr");
        tr.appendChild(el("td", book.facts[k] || k));
        tr.lastChild.title = k;
        tr.appendChild(el("td", show(h.f[k]), "value"));
        t.appendChild(tr);
      });
      box.appendChild(t);
    }
    if (h.c && h.c.length) {
      box.appendChild(el("div", "conditions that held:", "muted"));
      box.appendChild(conditions(h.c));
    }
    if (h.b && h.b.length) {
      box.appendChild(el("div", "findings it stood on:", "muted"));
      box.appendChild(tree(h.b));
    }
    return box;
  }
  function mitigation(m) {
    var box = el("div", null, "mitigation");
    box.appendChild(el("h3", "How to lower this (to " + m.target + " or lower, " + m.scope + ")"));
    if (m.status === "already") { box.appendChild(el("p", "already there", "muted")); }
    var ol = el("ol");
    m.mitigations.forEach(function (p) {
      var li = el("li");
      li.appendChild(el("span", p.concessions.map(function (c) { return c.label; }).join("; ")));
      li.appendChild(document.createTextNode(" → "));
      li.appendChild(el("span", p.level_after, levelClass(p.level_after)));
      if (p.raised.length) { li.appendChild(el("p", "raises " + p.raised.join(", "), "exempted")); }
      var changes = [];
      p.concessions.forEach(function (c) {
        c.changes.forEach(function (ch) { changes.push(ch.option); });
      });
      li.appendChild(el("div", changes.join("  "), "mono"));
      var ul = el("ul");
      p.stopped.forEach(function (s) {
        ul.appendChild(el("li", s.rule_id + " (" + s.citation + "): " + s.title + " stops"));
      });
      li.appendChild(ul);
      ol.appendChild(li);
    });
    box.appendChild(ol);
    if (m.status === "not_found") {
      var none = "nothing within " + m.max_changes + " change(s) reaches it; blocked by:";
      box.appendChild(el("p", none));
      var bl = el("ul");
      m.blockers.forEach(function (b) {
        bl.appendChild(el("li", b.rule_id + " (" + b.citation + "): " + b.title));
      });
      box.appendChild(bl);
    }
    box.appendChild(el("p", m.searched, "muted"));
    box.appendChild(el("p", m.note, "muted"));
    return box;
  }
  function memo(d) {
    var m = d.memo, box = el("div", null, "memo");
    box.appendChild(el("h3", "What to do"));
    var ul = el("ul", null, "actions");
    if (!m.actions.length) { ul.appendChild(el("li", "nothing: every regime is clear")); }
    m.actions.forEach(function (a) {
      var li = el("li", null, "action");
      li.appendChild(el("span", a[1], levelClass(a[1])));
      li.appendChild(document.createTextNode(" " + a[0] + ": "));
      var why = el("span", rule(a[2])[0]);
      why.title = a[2];
      li.appendChild(why);
      li.appendChild(document.createTextNode(" (" + rule(a[2])[1] + "). " + a[3]));
      if (a[5]) {
        li.appendChild(document.createTextNode(" " + a[5] + ": "));
        li.appendChild(el("strong", a[4] ? "by " + a[4] : "no date: the record lacks it"));
        if (a[6]) { li.appendChild(el("span", " past: before the screening date", "past")); }
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (m.clear.length) {
      box.appendChild(el("h3", "Why the other regimes are clear"));
      var cl = el("ul", null, "clear");
      m.clear.forEach(function (c) {
        var li = el("li");
        li.appendChild(el("code", c[0]));
        li.appendChild(document.createTextNode(" " + c[1] + ": " + book.strings[c[2]]));
        cl.appendChild(li);
      });
      box.appendChild(cl);
    }
    if (m.questions.length) {
      box.appendChild(el("h3", "Open questions, most consequential first"));
      var qs = el("ol", null, "questions");
      m.questions.forEach(function (q) {
        var li = el("li", null, "question");
        li.appendChild(el("span", "could reach " + q[0] + ": ", levelClass(q[0])));
        li.appendChild(el("span", book.strings[q[1]]));
        li.appendChild(el("span", " unknown: " + book.strings[q[2]], "muted"));
        qs.appendChild(li);
      });
      box.appendChild(qs);
    }
    box.appendChild(el("h3", "What the answer rests on"));
    var rests = el("ul", null, "rests");
    rests.appendChild(el("li", "rulebook " + book.version + " · as of " + d.as_of));
    var names = book.strings[m.lists] ? book.strings[m.lists].split(" ") : [];
    var lists = names.map(function (n) {
      var l = book.lists[n];
      return n + " (" + (l[1] || "undated") + (l[3] ? ", starter set of " + l[2] : "")
        + (l[4] && l[4] < d.as_of ? ", past its review date " + l[4] : "") + ")";
    });
    if (lists.length) { rests.appendChild(el("li", "reference lists: " + lists.join("; "))); }
    if (m.starter) { rests.appendChild(el("li", book.starter_warning, "past")); }
    m.warn.forEach(function (w) { rests.appendChild(el("li", w, "past")); });
    box.appendChild(rests);
    return box;
  }
  function detailRow(d) {
    var tr = el("tr", null, "detail-row"), td = el("td");
    td.colSpan = 8;
    var out = el("div");
    out.id = "detail";
    out.appendChild(el("h2", d.name));
    out.appendChild(el("div", d.id + " · " + d.kind + " · " + d.source + " · as of " + d.as_of
                              + " · rulebook " + book.version, "muted"));
    var v = el("p");
    v.appendChild(document.createTextNode("Verdict: "));
    v.appendChild(el("span", d.verdict, levelClass(d.verdict)));
    v.appendChild(document.createTextNode(" (" + d.memo.range + ")"));
    out.appendChild(v);
    if (d.consortium) {
      out.appendChild(el("h3", "Consortium: each foreign investor's own CFIUS duty ("
                                + d.consortium.length + ")"));
      var ms = el("ul", null, "actions");
      d.consortium.forEach(function (m) {
        var li = el("li");
        li.appendChild(el("span", m[2], levelClass(m[2])));
        li.appendChild(document.createTextNode(" " + m[0] + " (" + m[1] + "): " + m[3]));
        ms.appendChild(li);
      });
      out.appendChild(ms);
    }
    out.appendChild(memo(d));
    var outcomes = d.hits.filter(function (h) { return h.k === 0 && !h.by; });
    var exempted = d.hits.filter(function (h) { return h.k === 0 && h.by; });
    var exemptions = d.hits.filter(function (h) { return h.k === 1; });
    var findings = d.hits.filter(function (h) { return h.k === 2; });
    out.appendChild(el("h3", "Outcome rules that fired, most severe first ("
                             + outcomes.length + ")"));
    if (!outcomes.length) { out.appendChild(el("p", "no outcome rule fired", "muted")); }
    outcomes.forEach(function (h) { out.appendChild(hitBox(h)); });
    if (exempted.length || exemptions.length) {
      out.appendChild(el("h3", "Exempted and exemptions (" + (exempted.length + exemptions.length)
                               + ")"));
      exempted.concat(exemptions).forEach(function (h) { out.appendChild(hitBox(h)); });
    }
    var more = el("details", null, "findings");
    more.appendChild(el("summary", "Findings (" + findings.length + ")"));
    var fl = el("ul");
    findings.forEach(function (h) {
      var li = el("li"), r = rule(h.id);
      li.appendChild(el("span", r[0]));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", r[1], "citation"));
      li.title = h.id;
      fl.appendChild(li);
    });
    more.appendChild(fl);
    out.appendChild(more);
    if (d.mitigation) { out.appendChild(mitigation(d.mitigation)); }
    out.appendChild(el("p", book.disclaimer, "muted"));
    td.appendChild(out);
    tr.appendChild(td);
    return tr;
  }
  function open(i, fromClick) {
    state.selected = state.selected === i && fromClick ? -1 : i;
    document.body.className = state.selected >= 0 ? "has-detail" : "";
    render();
    if (state.selected < 0) {
      history.replaceState(null, "", location.pathname + location.search);
      return;
    }
    var id = "#" + encodeURIComponent(deals[i].id);
    if (location.hash !== id) { history.replaceState(null, "", id); }
    var row = rows.querySelector("tr.selected");
    if (row) { row.scrollIntoView({block: "start"}); }
  }
  function fromHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id && byId[id]) { open(byId[id].i, false); }
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
  window.addEventListener("hashchange", fromHash);
  render();
  fromHash();
})();
"""

_COLUMNS = (
    ("id", "Deal", ""),
    ("name", "Name", ""),
    ("kind", "Kind", "c-kind"),
    ("investor", "Investor", ""),
    ("target", "Target", "c-target"),
    ("naics", "NAICS", "c-naics"),
    ("verdict", "Verdict", ""),
    ("reasons", "Reasons", ""),
)
_KIND = {"outcome": 0, "exemption": 1, "finding": 2}


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def neutral_bidi(text: str) -> str:
    """Bidirectional controls (right-to-left overrides and the like) shown as ``[U+202E]``:
    inside a page they would reorder what the reader sees."""
    if not any(ch in BIDI_CONTROLS for ch in text):
        return text
    return "".join(f"[U+{ord(ch):04X}]" if ch in BIDI_CONTROLS else ch for ch in text)


def escape(text: str) -> str:
    """HTML-escaped text with bidi controls neutralised."""
    return _escape(neutral_bidi(text))


def script_json(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element (no ``<``, ``>``, ``&`` left, no bidi
    control: JSON escapes would be decoded back into them)."""
    return (
        neutral_bidi(text)
        .replace("&", "\\u0026")
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
    headers = "".join(
        f'<th data-key="{k}"'
        + (f' class="{cls}"' if cls else "")
        + (' aria-sort="descending"' if k == "verdict" else "")
        + f">{escape(label)}</th>"
        for k, label, cls in _COLUMNS
    )
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
        '<tbody id="deal-rows"></tbody></table>'
        '<p class="muted">Most severe first; click a deal for its memo (the address then links '
        "to it); hover over a reason for its rule id.</p></section>\n"
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
        ' role="img" aria-label="deals per verdict">'
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
    """One self-contained HTML page, its deal data streamed as results arrive.

    Each deal carries only what is its own (the memo, its hits with their explanations and
    facts); rule titles, citations, fact names and reference lists are written once, after the
    deals, for every deal to share.
    """

    def __init__(
        self,
        out: TextIO,
        *,
        book: Rulebook,
        mitigation: Callable[[Reviewed], dict[str, Any] | None] | None = None,
    ) -> None:
        """``mitigation`` gives a deal's "how to lower this" section (``review --mitigate``)."""
        self.out = out
        self.book = book
        self.count = 0
        self.mitigation = mitigation
        self.rules: set[str] = set()
        self.facts: set[str] = set()
        self.lists: set[str] = set()
        self.strings: dict[str, int] = {}
        out.write(_head(book))

    def _intern(self, text: str) -> int:
        """Text many deals share (why a regime is clear, a question, the lists used) is written
        once, after the deals; a deal holds its number."""
        return self.strings.setdefault(text, len(self.strings))

    def add(self, item: Reviewed) -> None:
        """Append one deal to the page's data."""
        data = json.loads(item.result_json)
        deal = {
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
            "ceiling": item.ceiling or item.verdict,
            "provisional": item.provisional,
            "reasons": list(item.reasons),
            "duplicate_of": item.duplicate_of,
            "as_of": data["as_of"],
            "mitigation": self.mitigation(item) if self.mitigation else None,
            **self._memo(data),
        }
        if data.get("consortium"):  # each member's own CFIUS duty
            deal["consortium"] = [
                [
                    m["name"],
                    "investor" if m["position"] is None else f"co_investors[{m['position']}]",
                    m["verdict"],
                    m["duty"],
                ]
                for m in data["consortium"]["members"]
            ]
        self.rules.update(item.reasons)
        self.out.write(",\n" if self.count else "\n")
        self.out.write(script_json(json.dumps(deal, ensure_ascii=False, separators=(",", ":"))))
        self.count += 1

    def _memo(self, data: dict[str, Any]) -> dict[str, Any]:
        memo = data.get("summary") or {}
        hits = {h["rule_id"]: h for h in data["hits"]}
        order = memo.get("order") or [h["rule_id"] for h in data["hits"]]
        lists = [li["name"] for li in memo.get("lists", [])]
        self.lists.update(lists)
        for a in memo.get("actions", []):
            self.rules.add(a["rule_id"])
        compact_hits = [self._hit(hits[rule_id]) for rule_id in order]
        return {
            "ceiling": memo.get("ceiling", data["verdict"]),
            "memo": {
                "range": memo.get("range", data["verdict"]),
                "actions": [
                    [
                        a["regime"],
                        a["level"],
                        a["rule_id"],
                        a["action"],
                        a["deadline"],
                        a["deadline_rule"],
                        a["past_deadline"],
                    ]
                    for a in memo.get("actions", [])
                ],
                "clear": [
                    [c["regime"], c["status"], self._intern(c["text"])]
                    for c in memo.get("clear", [])
                ],
                "questions": [
                    [
                        q["could_raise_to"],
                        self._intern(q["question"]),
                        self._intern(", ".join(q["unknown_facts"])),
                    ]
                    for q in memo.get("questions", [])
                ],
                "lists": self._intern(" ".join(lists)),
                "starter": any(li["starter"] for li in memo.get("lists", [])),
                "warn": [
                    w
                    for w in memo.get("warnings", [])
                    if w != STARTER_WARNING and not w.startswith(_STALE_PREFIX)
                ],
            },
            "hits": compact_hits,
        }

    def _hit(self, h: dict[str, Any]) -> dict[str, Any]:
        self.rules.add(h["rule_id"])
        self.rules.update(h["suppressed_by"])
        out: dict[str, Any] = {"id": h["rule_id"], "k": _KIND[h["kind"]]}
        if h["suppressed_by"]:
            out["by"] = h["suppressed_by"]
        if h["kind"] == "finding":
            return out  # collapsed: its title and citation come from the shared rule table
        out["x"] = h["explanation"]
        if h["kind"] == "outcome":
            out["f"] = h["facts"]
            self.facts.update(h["facts"])
            out["c"] = [[c["text"], c.get("alternatives")] for c in h["conditions"] if c["path"]]
            out["b"] = self._tree(h["because"])
        return out

    def _tree(self, because: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        for b in because:
            self.rules.add(b["rule_id"])
            out.append([b["rule_id"], self._tree(b["because"])] if b["because"] else [b["rule_id"]])
        return out

    def finish(self, summary: Summary) -> None:
        """Close the deal data, write the shared rule table, the summary and the script."""
        self.out.write("\n]</script>\n")
        book = self.book
        rules = {
            rule_id: [r.title, r.citation, r.regime, r.kind, r.outcome]
            for rule_id in sorted(self.rules)
            if (r := book.rules.get(rule_id)) is not None
        }
        facts = {}
        for path in sorted(self.facts):
            info = cached_field_info(path)
            facts[path] = info[1] if info else path
        lists = {}
        for name in sorted(self.lists):
            ref = book.references.get(name)
            if ref is not None:
                lists[name] = [
                    ref.title,
                    ref.retrieved.isoformat() if ref.retrieved else None,
                    len(ref.entries),
                    ref.starter,
                    ref.review_by.isoformat() if ref.review_by else None,
                ]
        shared = {
            "version": book.version,
            "rules": rules,
            "facts": facts,
            "lists": lists,
            "strings": list(self.strings),
            "starter_warning": STARTER_WARNING,
            "disclaimer": DISCLAIMER,
        }
        self.out.write('<script type="application/json" id="rule-data">')
        self.out.write(script_json(json.dumps(shared, ensure_ascii=False, separators=(",", ":"))))
        self.out.write("</script>\n")
        self.out.write(self._summary(summary))
        self.out.write(f"<script>{_SCRIPT}</script>\n</div>\n</body>\n</html>\n")

    def invalid(self, item: Invalid) -> None:
        """Skipped inputs are listed in the summary (from its capped samples)."""

    @staticmethod
    def _summary(s: Summary) -> str:
        regimes = "".join(
            f"<tr><td>{escape(regime)}</td>"
            + "".join(f"<td>{counts.get(lv, 0)}</td>" for lv in VERDICTS)
            + "</tr>"
            for regime, counts in sorted(s.regimes.items())
        )
        level_heads = "".join(f"<th>{lv}</th>" for lv in VERDICTS)
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
            f"{s.provisional} provisional (could reach a higher level: open questions)</p>"
            f'<div class="grid"><div><h3>Deals per verdict</h3>{verdict_chart(s.verdicts)}</div>'
            '<div id="per-regime" class="wide"><h3>Per regime</h3>'
            f"<table><tr><th>regime</th>{level_heads}"
            f"</tr>{regimes}</table></div>"
            + _counts_table("Per investor country", "per-country", s.countries, "country")
            + _counts_table("Per sector (NAICS)", "per-sector", sectors, "sector")
            + f"</div>{problem_block}</section>\n"
        )
