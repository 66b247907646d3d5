"""The rulebook: rule files and reference lists in ``rules/``, loaded, checked and versioned.

Layout of a rulebook directory::

    regimes.yaml             the regimes: id, title, what version of the regulation is encoded
    <regime>/*.yaml          rule files: ``regime:`` and a list of ``rules:``
    reference/*.yaml         reference lists (``reference:``), with source and date

Every problem found while loading is collected, sorted by ``file:line`` and raised together as a
:class:`~screening.errors.RulebookError`. Layers (``--rules DIR``) are loaded after the shipped
rulebook: a layer may add rules, replace a rule it names with ``override: true``, disable
shipped rules (``disable: [ids]``) and replace reference lists of the same name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from screening._version import __version__
from screening.errors import Problem, RulebookError
from screening.facts.view import all_paths
from screening.model._yaml import Document, DocumentError
from screening.model.levels import LEVELS
from screening.model.reference import ReferenceList, References, parse_reference
from screening.rulebook.cache import load_document
from screening.rulebook.conditions import (
    All,
    Condition,
    Leaf,
    Problems,
    finding_refs,
    leaves,
    parse_condition,
    suggest,
)

RULE_KINDS = ("finding", "outcome", "exemption")
CONFIDENCE = ("reg", "src", "mem")
_RULE_KEYS = {
    "id",
    "kind",
    "title",
    "citation",
    "outcome",
    "suppresses",
    "when",
    "explain",
    "notes",
    "effective",
    "examples",
    "confidence",
    "override",
    "regime",
}
_FILE_KEYS = {"regime", "rules", "disable", "notes"}
_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PATH = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


@dataclass(frozen=True)
class Example:
    """A deal fragment (merged onto the base example deal) that must or must not fire a rule."""

    fragment: dict[str, Any]
    fires: bool
    location: str
    name: str = ""


@dataclass(frozen=True)
class Rule:
    """One rule of the rulebook."""

    id: str
    kind: str
    regime: str
    title: str
    citation: str
    when: Condition
    explain: str
    location: str
    outcome: str | None = None
    suppresses: tuple[str, ...] = ()
    notes: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    confidence: str = "reg"
    examples: tuple[Example, ...] = ()
    stratum: int = 0

    def in_force(self, on: dt.date) -> bool:
        """Whether the rule is in effect on a date."""
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on < self.effective_to
        )

    @property
    def guarded(self) -> Condition:
        """The condition with the effective-date window added (hidden in explanations)."""
        extra: list[Condition] = []
        if self.effective_from is not None:
            extra.append(
                Leaf(
                    "deal.as_of", ">=", self.effective_from, "in effect", self.location, None, True
                )
            )
        if self.effective_to is not None:
            extra.append(
                Leaf("deal.as_of", "<", self.effective_to, "in effect", self.location, None, True)
            )
        if not extra:
            return self.when
        return All((*extra, self.when), self.location)


@dataclass(frozen=True)
class Regime:
    """A screening regime, such as CFIUS part 800."""

    id: str
    title: str
    citation: str
    version: str
    notes: str = ""


@dataclass(frozen=True, repr=False)
class Rulebook:
    """A loaded, checked rulebook."""

    def __repr__(self) -> str:
        return f"Rulebook(version={self.version!r}, rules={len(self.rules)})"

    def __getstate__(self) -> dict[str, Any]:
        # Sent to review workers: the fields only; per-process caches (the compiled plan,
        # registered engine rulesets) are rebuilt where they are used.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    rules: dict[str, Rule]
    regimes: dict[str, Regime]
    references: References
    version: str
    sources: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text, for the store
    labels: tuple[str, ...] = ()  # per layer, the directory name shown in rule locations

    @property
    def strata(self) -> list[list[Rule]]:
        """Rules grouped by stratum (findings a rule uses are in lower strata), ids sorted."""
        depth = max((r.stratum for r in self.rules.values()), default=0)
        return [
            sorted((r for r in self.rules.values() if r.stratum == s), key=lambda r: r.id)
            for s in range(depth + 1)
        ]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; a RulebookError naming close ids if there is none."""
        try:
            return self.rules[rule_id]
        except KeyError:
            raise RulebookError.one(
                "", "unknown-rule", f"no rule `{rule_id}`{suggest(rule_id, self.rules)}"
            ) from None


def default_rules_dir() -> Path:
    """The rulebook shipped with the package (``rules/`` in a checkout)."""
    package = Path(__file__).resolve().parents[1]  # screening/
    installed = package / "rules"  # inside a wheel
    if (installed / "regimes.yaml").is_file():
        return installed
    return package.parent / "rules"  # a checkout (editable install)


_CACHE: dict[tuple[str, ...], Rulebook] = {}


def load_rulebook(
    layers: list[Path] | None = None,
    *,
    base: Path | None = None,
    labels: list[str] | None = None,
) -> Rulebook:
    """Load the shipped rulebook (or ``base``) with optional layers on top; cached per process.

    ``labels`` name each directory in rule locations (default: ``rules`` for the shipped
    rulebook, else the directory as given); the audit store passes the recorded ones when it
    rebuilds a rulebook from its snapshot.
    """
    dirs = [base or default_rules_dir(), *(layers or [])]
    if labels is None:
        labels = [str(d) for d in dirs]
        if dirs[0] == default_rules_dir():
            labels[0] = "rules"
    key = tuple(str(d.resolve()) for d in dirs) + tuple(labels)
    stamp = tuple(
        f"{p}:{p.stat().st_mtime_ns}" for d in dirs if d.is_dir() for p in sorted(d.rglob("*.y*ml"))
    )
    cached = _CACHE.get(key + stamp)
    if cached is None:
        cached = _load(dirs, labels)
        _CACHE[key + stamp] = cached
    return cached


def _load(dirs: list[Path], labels: list[str]) -> Rulebook:
    problems: list[Problem] = []
    docs: list[tuple[int, Path, Document]] = []
    files: dict[str, str] = {}
    for layer, d in enumerate(dirs):
        if not d.is_dir():
            problems.append(Problem(str(d), "not-a-directory", "no rulebook directory here"))
            continue
        for path in sorted(d.rglob("*")):
            if path.is_dir():
                continue
            rel = path.relative_to(d).as_posix()
            if path.suffix in (".py", ".pyc", ".so"):
                problems.append(
                    Problem(str(path), "code-in-rules", "rule directories hold no code")
                )
                continue
            if path.suffix not in (".yaml", ".yml"):
                continue
            try:
                doc = load_document(path)  # from the parsed-document cache when intact
                # Locations are stable across machines: `rules/...` for the shipped rulebook.
                doc.path = str(Path(labels[layer]) / rel)
            except DocumentError as exc:
                problems.extend(exc.problems)
                continue
            files[f"{layer}/{rel}"] = path.read_text(encoding="utf-8").replace("\r\n", "\n")
            docs.append((layer, path, doc))

    regimes: dict[str, Regime] = {}
    refs: dict[str, ReferenceList] = {}
    rule_docs: list[tuple[int, Document]] = []
    for layer, path, doc in docs:
        data = doc.data
        if path.name == "regimes.yaml":
            regimes.update(_parse_regimes(doc, problems))
        elif isinstance(data, dict) and "reference" in data:
            ref = parse_reference(doc, problems)
            if ref is not None:
                if ref.name in refs and layer == 0:
                    problems.append(
                        Problem(
                            doc.where(("reference",)), "duplicate-reference", f"`{ref.name}` twice"
                        )
                    )
                refs[ref.name] = ref
        else:
            rule_docs.append((layer, doc))

    rules: dict[str, Rule] = {}
    disabled: set[str] = set()
    for layer, doc in rule_docs:
        for rule, override in _parse_rule_file(doc, problems, set(refs), regimes, disabled):
            if rule.id in rules and not (override and layer > 0):
                problems.append(
                    Problem(
                        rule.location,
                        "duplicate-rule",
                        f"rule `{rule.id}` is already defined at {rules[rule.id].location}"
                        + ("; a layer replaces it with `override: true`" if layer else ""),
                    )
                )
                continue
            rules[rule.id] = rule
    for rule_id in sorted(disabled):
        if rules.pop(rule_id, None) is None:
            problems.append(
                Problem("", "unknown-rule", f"cannot disable `{rule_id}`: no such rule")
            )

    rules = _check_references(rules, problems)
    if problems:
        raise RulebookError(problems)
    version = _version(files)
    return Rulebook(
        rules=dict(sorted(rules.items())),
        regimes=dict(sorted(regimes.items())),
        references=References(dict(sorted(refs.items()))),
        version=version,
        sources=tuple(str(d) for d in dirs),
        files=dict(sorted(files.items())),
        labels=tuple(labels),
    )


def _version(files: dict[str, str], tool_version: str = __version__) -> str:
    digest = hashlib.sha256()
    digest.update(f"dealscreen {tool_version}\n".encode())
    for rel, text in sorted(files.items()):
        digest.update(f"{rel}\n{len(text)}\n{text}".encode())
    return digest.hexdigest()[:16]


def _parse_regimes(doc: Document, problems: list[Problem]) -> dict[str, Regime]:
    out: dict[str, Regime] = {}
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("regimes"), list):
        problems.append(
            Problem(doc.where(()), "invalid-regimes", "expected `regimes:` with a list")
        )
        return out
    for i, raw in enumerate(data["regimes"]):
        where = doc.where(("regimes", i))
        if not isinstance(raw, dict) or not all(
            k in raw for k in ("id", "title", "citation", "version")
        ):
            problems.append(
                Problem(
                    where, "invalid-regime", "a regime needs `id`, `title`, `citation`, `version`"
                )
            )
            continue
        out[str(raw["id"])] = Regime(
            str(raw["id"]),
            str(raw["title"]),
            str(raw["citation"]),
            str(raw["version"]),
            str(raw.get("notes") or ""),
        )
    return out


def _parse_date(value: Any, where: str, problems: list[Problem]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(where, "invalid-date", f"`{value}` is not a date (YYYY-MM-DD)"))
        return None


def _parse_rule_file(
    doc: Document,
    problems: list[Problem],
    reference_names: set[str],
    regimes: dict[str, Regime],
    disabled: set[str],
) -> list[tuple[Rule, bool]]:
    data = doc.data
    if not isinstance(data, dict):
        problems.append(
            Problem(doc.where(()), "invalid-rule-file", "expected a mapping with `rules:`")
        )
        return []
    for key in sorted(set(data) - _FILE_KEYS):
        problems.append(
            Problem(
                doc.where((key,)), "unknown-key", f"unknown key `{key}`{suggest(key, _FILE_KEYS)}"
            )
        )
    for rule_id in data.get("disable") or []:
        disabled.add(str(rule_id))
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        problems.append(
            Problem(doc.where(("rules",)), "invalid-rule-file", "`rules:` must be a list")
        )
        return []
    file_regime = data.get("regime")
    out: list[tuple[Rule, bool]] = []
    for i, raw in enumerate(raw_rules):
        rule = _parse_rule(doc, ("rules", i), raw, file_regime, problems, reference_names, regimes)
        if rule is not None:
            out.append((rule, bool(isinstance(raw, dict) and raw.get("override"))))
    return out


def _parse_rule(
    doc: Document,
    key: tuple[str | int, ...],
    raw: Any,
    file_regime: Any,
    problems: list[Problem],
    reference_names: set[str],
    regimes: dict[str, Regime],
) -> Rule | None:
    where = doc.where(key)
    if not isinstance(raw, dict):
        problems.append(Problem(where, "invalid-rule", "a rule is a mapping"))
        return None
    before = len(problems)
    for k in sorted(set(raw) - _RULE_KEYS):
        problems.append(
            Problem(
                doc.where((*key, k)), "unknown-key", f"unknown key `{k}`{suggest(k, _RULE_KEYS)}"
            )
        )
    for k in ("id", "kind", "title", "citation", "when", "explain"):
        if not raw.get(k):
            problems.append(Problem(where, "missing-key", f"rule needs `{k}`"))
    if len(problems) > before:
        return None
    rule_id = str(raw["id"])
    if not _ID.match(rule_id):
        problems.append(
            Problem(
                doc.where((*key, "id")), "invalid-id", f"`{rule_id}` is not a dotted lower-case id"
            )
        )
    kind = str(raw["kind"])
    if kind not in RULE_KINDS:
        problems.append(
            Problem(
                doc.where((*key, "kind")),
                "invalid-kind",
                f"`{kind}` is not one of {', '.join(RULE_KINDS)}",
            )
        )
    regime = str(raw.get("regime") or file_regime or "")
    if regime not in regimes:
        problems.append(
            Problem(
                where,
                "unknown-regime",
                f"no regime `{regime}` in regimes.yaml{suggest(regime, regimes)}",
            )
        )
    outcome = raw.get("outcome")
    if kind == "outcome":
        if outcome not in LEVELS or outcome == "clear":
            problems.append(
                Problem(
                    doc.where((*key, "outcome")),
                    "invalid-outcome",
                    f"an outcome rule needs `outcome:` one of {', '.join(LEVELS[1:])}",
                )
            )
    elif outcome is not None:
        problems.append(
            Problem(doc.where((*key, "outcome")), "invalid-outcome", f"a {kind} has no outcome")
        )
    suppresses = raw.get("suppresses") or []
    if kind == "exemption" and not suppresses:
        problems.append(Problem(where, "missing-key", "an exemption needs `suppresses:`"))
    if kind != "exemption" and suppresses:
        problems.append(Problem(where, "invalid-key", "only an exemption has `suppresses:`"))
    confidence = str(raw.get("confidence") or "reg")
    if confidence not in CONFIDENCE:
        problems.append(
            Problem(
                doc.where((*key, "confidence")),
                "invalid-confidence",
                f"`{confidence}` is not reg, src or mem",
            )
        )
    effective = raw.get("effective") or {}
    if not isinstance(effective, dict) or set(effective) - {"from", "to"}:
        problems.append(
            Problem(
                doc.where((*key, "effective")),
                "invalid-effective",
                "`effective:` takes `from` and `to`",
            )
        )
        effective = {}
    start = _parse_date(effective.get("from"), doc.where((*key, "effective")), problems)
    end = _parse_date(effective.get("to"), doc.where((*key, "effective")), problems)
    if start and end and end <= start:
        problems.append(
            Problem(
                doc.where((*key, "effective")),
                "never-in-force",
                "`effective.to` is not after `from`",
            )
        )
    explain = str(raw["explain"])
    for placeholder in _PLACEHOLDER.findall(explain):
        if not _PATH.match(placeholder) or placeholder not in all_paths():
            problems.append(
                Problem(
                    doc.where((*key, "explain")),
                    "invalid-template",
                    f"`{{{placeholder}}}` is not a fact path{suggest(placeholder, all_paths())}",
                )
            )
    if _PLACEHOLDER.sub("", explain).count("{") or _PLACEHOLDER.sub("", explain).count("}"):
        problems.append(
            Problem(doc.where((*key, "explain")), "invalid-template", "unbalanced `{` or `}`")
        )
    cp = Problems([])
    cond = parse_condition(raw["when"], doc.where, (*key, "when"), cp, reference_names)
    problems.extend(Problem(*item) for item in cp.items)
    examples = _parse_examples(doc, key, raw.get("examples"), problems)
    if len(problems) > before or cond is None:
        return None
    return Rule(
        id=rule_id,
        kind=kind,
        regime=regime,
        title=str(raw["title"]),
        citation=str(raw["citation"]),
        when=cond,
        explain=" ".join(explain.split()),
        location=where,
        outcome=str(outcome) if outcome else None,
        suppresses=tuple(sorted(str(s) for s in suppresses)),
        notes=" ".join(str(raw.get("notes") or "").split()),
        effective_from=start,
        effective_to=end,
        confidence=confidence,
        examples=examples,
    )


def _parse_examples(
    doc: Document, key: tuple[str | int, ...], raw: Any, problems: list[Problem]
) -> tuple[Example, ...]:
    if raw is None:
        return ()
    where = doc.where((*key, "examples"))
    if not isinstance(raw, dict) or set(raw) - {"fires", "does_not_fire"}:
        problems.append(
            Problem(
                where, "invalid-examples", "`examples:` takes `fires` and `does_not_fire` lists"
            )
        )
        return ()
    out: list[Example] = []
    for name in ("fires", "does_not_fire"):
        items = raw.get(name) or []
        if not isinstance(items, list):
            problems.append(Problem(where, "invalid-examples", f"`{name}` must be a list"))
            continue
        for i, item in enumerate(items):
            loc = doc.where((*key, "examples", name, i))
            if not isinstance(item, dict):
                problems.append(
                    Problem(loc, "invalid-examples", "an example is a deal fragment mapping")
                )
                continue
            label = str(item.get("example", "")) if isinstance(item, dict) else ""
            fragment = {k: v for k, v in item.items() if k != "example"}
            out.append(Example(fragment, name == "fires", loc, label))
    return tuple(out)


def _check_references(rules: dict[str, Rule], problems: list[Problem]) -> dict[str, Rule]:
    """Check finding references and suppressions; compute strata; report cycles."""
    for rule in rules.values():
        for ref in finding_refs(rule.when):
            target = rules.get(ref.rule_id)
            if target is None:
                problems.append(
                    Problem(
                        ref.location,
                        "unknown-finding",
                        f"no rule `{ref.rule_id}`{suggest(ref.rule_id, rules)}",
                    )
                )
            elif target.kind != "finding":
                problems.append(
                    Problem(
                        ref.location,
                        "not-a-finding",
                        f"`{ref.rule_id}` is a {target.kind}, not a finding",
                    )
                )
        for sid in rule.suppresses:
            target = rules.get(sid)
            if target is None:
                problems.append(
                    Problem(
                        rule.location,
                        "unknown-rule",
                        f"suppresses `{sid}`: no such rule{suggest(sid, rules)}",
                    )
                )
            elif target.kind != "outcome":
                problems.append(
                    Problem(
                        rule.location,
                        "invalid-suppression",
                        f"`{sid}` is a {target.kind}; exemptions suppress outcomes",
                    )
                )
    if problems:
        return rules
    strata: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(rule_id: str, trail: tuple[str, ...]) -> int:
        if rule_id in strata:
            return strata[rule_id]
        if rule_id in visiting:
            cycle = " → ".join((*trail[trail.index(rule_id) :], rule_id))
            problems.append(
                Problem(
                    rules[rule_id].location,
                    "finding-cycle",
                    f"findings depend on each other: {cycle}",
                )
            )
            return 0
        visiting.add(rule_id)
        refs = finding_refs(rules[rule_id].when)
        d = 1 + max((depth(r.rule_id, (*trail, rule_id)) for r in refs), default=-1)
        visiting.discard(rule_id)
        strata[rule_id] = d
        return d

    for rule_id in sorted(rules):
        depth(rule_id, ())
    return {rid: replace(rule, stratum=strata.get(rid, 0)) for rid, rule in rules.items()}


def rule_paths(rule: Rule) -> list[str]:
    """The fact paths a rule reads."""
    return sorted({leaf.path for leaf in leaves(rule.guarded) if isinstance(leaf, Leaf)})


def rulebook_summary(book: Rulebook) -> str:
    """A canonical JSON summary of the rules (ids, kinds, citations), for diffs and hashing."""
    return json.dumps(
        [{"id": r.id, "kind": r.kind, "citation": r.citation} for r in book.rules.values()],
        sort_keys=True,
    )
