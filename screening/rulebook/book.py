"""The rulebook: rule files and reference lists in ``rules/``, loaded, checked and versioned.

Layout of a rulebook directory::

    regimes.yaml             the regimes: id, title, what version of the regulation is encoded
    <regime>/*.yaml          rule files: ``regime:`` and a list of ``rules:``
    reference/*.yaml         reference lists (``reference:``), with source and date
    negotiable.yaml          the negotiable terms of a deal (``negotiable:``), for mitigation

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from screening._version import __version__
from screening.errors import Problem, RulebookError
from screening.facts.view import all_paths, is_path
from screening.model._yaml import Document, DocumentError
from screening.model.levels import LEVELS
from screening.model.reference import ReferenceList, References, parse_reference
from screening.rulebook.cache import load_document
from screening.rulebook.conditions import (
    All,
    AnyOf,
    Condition,
    Leaf,
    Problems,
    check_mapping,
    finding_refs,
    leaves,
    parse_condition,
    suggest,
)
from screening.rulebook.negotiable import (
    NegotiableTerm,
    is_negotiable_document,
    parse_negotiable,
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
    "action",
}
_ACTION_KEYS = {"do", "deadline"}
_DEADLINE_KEYS = {"days", "before", "after", "citation"}
_ANCHORS = ("completion_date", "signing_date")
_FILE_KEYS = {"regime", "rules", "disable", "notes"}
# Limits a rulebook is checked against when it loads (docs/authoring.md "Limits"), so nothing
# fails later inside the engine: durable-rules refuses expressions nested about 17 deep (error
# 113), and compilation adds up to four levels of its own to a rule's `when:`; each finding level
# is one more stratum of rulesets.
MAX_CONDITION_DEPTH = 8
MAX_FINDING_DEPTH = 64
RULE_SUFFIXES = (".yaml", ".yml")
IGNORED_SUFFIXES = (".md", ".txt")
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
class Action:
    """What a deal team must do when an outcome rule fires, and by when.

    ``days`` before or after the deal's ``anchor`` date (``completion_date`` or
    ``signing_date``), under ``citation``; no deadline when ``days`` is None.
    """

    do: str
    days: int | None = None
    after: bool = False
    anchor: str = "completion_date"
    citation: str = ""


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
    action: Action | None = None

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


_T = TypeVar("_T")


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
    negotiable: tuple[NegotiableTerm, ...] = ()  # the deal terms a mitigation may concede

    @property
    def strata(self) -> list[list[Rule]]:
        """Rules grouped by stratum (findings a rule uses are in lower strata), ids sorted."""
        depth = max((r.stratum for r in self.rules.values()), default=0)
        return [
            sorted((r for r in self.rules.values() if r.stratum == s), key=lambda r: r.id)
            for s in range(depth + 1)
        ]

    def kept(self, name: str, build: Callable[[Rulebook], _T]) -> _T:
        """What ``build`` derives from this rulebook, built on first use and kept on the object
        (the rulebook is frozen; two rulebooks of one version may differ in the locations their
        rules carry, so it belongs to the object, not to the version). Not pickled: review
        workers rebuild it (``__getstate__`` sends the fields only)."""
        kept: _T | None = self.__dict__.get(name)
        if kept is None:
            kept = build(self)
            object.__setattr__(self, name, kept)
        return kept

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
    layers: Sequence[str | Path] | str | Path | None = None,
    *,
    base: str | Path | None = None,
    labels: list[str] | None = None,
) -> Rulebook:
    """Load the shipped rulebook (or ``base``) with optional layers on top; cached per process.

    ``labels`` name each directory in rule locations (default: ``rules`` for the shipped
    rulebook, else the directory as given); the audit store passes the recorded ones when it
    rebuilds a rulebook from its snapshot.
    """
    if isinstance(layers, str | Path):
        layers = [layers]  # one layer directory
    dirs = [Path(base) if base else default_rules_dir(), *(Path(p) for p in layers or [])]
    if labels is None:
        labels = [str(d) for d in dirs]
        if dirs[0] == default_rules_dir():
            labels[0] = "rules"
    key = tuple(str(d.resolve()) for d in dirs) + tuple(labels)
    stamp = tuple(
        f"{p}:{p.stat().st_mtime_ns}" for d in dirs if d.is_dir() for p in sorted(d.rglob("*"))
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
            if any(part.startswith(".") for part in path.relative_to(d).parts):
                continue  # hidden files and folders (.git, editor swap files)
            if path.suffix in (".py", ".pyc", ".so"):
                problems.append(
                    Problem(str(path), "code-in-rules", "rule directories hold no code")
                )
                continue
            if path.suffix in IGNORED_SUFFIXES:
                continue
            if path.suffix not in RULE_SUFFIXES:
                problems.append(
                    Problem(
                        str(path),
                        "unknown-file",
                        "not loaded: rule files end in .yaml or .yml (lower case); "
                        "move backups and other files out of the rules directory",
                    )
                )
                continue
            if path.name == "regimes.yaml" and rel != "regimes.yaml":
                problems.append(
                    Problem(
                        f"{path}:1",
                        "misplaced-regimes",
                        "`regimes.yaml` belongs at the top of a rules directory",
                    )
                )
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
    terms: dict[str, NegotiableTerm] = {}
    rule_docs: list[tuple[int, Document]] = []
    for layer, path, doc in docs:
        data = doc.data
        if path.name == "regimes.yaml" and path.parent == dirs[layer]:
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
        elif is_negotiable_document(data):
            # A layer's term of the same id replaces the shipped one.
            terms.update((t.id, t) for t in parse_negotiable(doc, problems))
        else:
            rule_docs.append((layer, doc))

    rules: dict[str, Rule] = {}
    disabled: dict[str, str] = {}
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
    for rule_id, where in sorted(disabled.items()):
        if rules.pop(rule_id, None) is None:
            problems.append(
                Problem(
                    where,
                    "unknown-rule",
                    f"cannot disable `{rule_id}`: no such rule{suggest(rule_id, rules)}",
                )
            )
    if disabled:
        # A disabled rule no longer needs setting aside: drop it from exemptions' `suppresses`.
        for rule_id, rule in list(rules.items()):
            kept = tuple(t for t in rule.suppresses if t not in disabled)
            if kept != rule.suppresses:
                rules[rule_id] = replace(rule, suppresses=kept)

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
        negotiable=tuple(terms[k] for k in sorted(terms)),
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
    disabled: dict[str, str],
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
    to_disable = data.get("disable")
    if to_disable is not None and (
        not isinstance(to_disable, list) or not all(isinstance(x, str) for x in to_disable)
    ):
        problems.append(
            Problem(doc.where(("disable",)), "invalid-disable", "`disable:` is a list of rule ids")
        )
        to_disable = []
    for i, rule_id in enumerate(to_disable or []):
        disabled[rule_id] = doc.where(("disable", i))
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
            out.append((rule, isinstance(raw, dict) and raw.get("override") is True))
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
    before = len(problems)
    if not check_mapping(
        doc.where,
        key,
        raw,
        problems,
        allowed=_RULE_KEYS,
        required=("id", "kind", "title", "citation", "when", "explain"),
        what="a rule",
        needs="rule",
        invalid_code="invalid-rule",
    ):
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
    override = raw.get("override")
    if override is not None and not isinstance(override, bool):
        problems.append(
            Problem(
                doc.where((*key, "override")),
                "invalid-value",
                f"`override:` is true or false, not `{override!r}`",
            )
        )
    suppresses = raw.get("suppresses") or []
    if not isinstance(suppresses, list) or not all(isinstance(x, str) for x in suppresses):
        problems.append(
            Problem(
                doc.where((*key, "suppresses")),
                "invalid-suppression",
                "`suppresses:` is a list of rule ids",
            )
        )
        suppresses = []
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
        if not _PATH.match(placeholder) or not is_path(placeholder):
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
    if cond is not None and condition_depth(cond) > MAX_CONDITION_DEPTH:
        problems.append(
            Problem(
                doc.where((*key, "when")),
                "too-deep",
                f"`when:` is nested {condition_depth(cond)} levels deep; the limit is "
                f"{MAX_CONDITION_DEPTH}: split it into findings",
            )
        )
    examples = _parse_examples(doc, key, raw.get("examples"), problems)
    action = _parse_action(doc, key, raw.get("action"), kind, problems)
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
        action=action,
    )


def _parse_action(
    doc: Document, key: tuple[str | int, ...], raw: Any, kind: str, problems: list[Problem]
) -> Action | None:
    """``action: {do: TEXT, deadline: {days: N, before|after: ANCHOR, citation: TEXT}}``."""
    if raw is None:
        return None
    where = doc.where((*key, "action"))
    if kind != "outcome":
        problems.append(Problem(where, "invalid-key", "only an outcome rule has `action:`"))
        return None
    if not isinstance(raw, dict) or not raw.get("do") or set(raw) - _ACTION_KEYS:
        problems.append(
            Problem(where, "invalid-action", "`action:` takes `do: TEXT` and `deadline:`")
        )
        return None
    deadline = raw.get("deadline")
    if deadline is None:
        return Action(" ".join(str(raw["do"]).split()))
    where = doc.where((*key, "action", "deadline"))
    anchors = (
        [k for k in ("before", "after") if k in deadline] if isinstance(deadline, dict) else []
    )
    if (
        not isinstance(deadline, dict)
        or set(deadline) - _DEADLINE_KEYS
        or len(anchors) != 1
        or deadline[anchors[0]] not in _ANCHORS
        or not isinstance(deadline.get("days"), int)
        or isinstance(deadline.get("days"), bool)
        or deadline["days"] < 0
        or not deadline.get("citation")
    ):
        problems.append(
            Problem(
                where,
                "invalid-action",
                "`deadline:` takes `days: N`, `before:` or `after:` completion_date or "
                "signing_date, and `citation:`",
            )
        )
        return None
    return Action(
        " ".join(str(raw["do"]).split()),
        days=int(deadline["days"]),
        after=anchors[0] == "after",
        anchor=str(deadline[anchors[0]]),
        citation=str(deadline["citation"]),
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
    strata = _strata(rules, problems)
    return {rid: replace(rule, stratum=strata.get(rid, 0)) for rid, rule in rules.items()}


def condition_depth(cond: Condition) -> int:
    """Levels of `all`/`any` nesting in a condition (a leaf is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Condition, int]] = [(cond, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, All | AnyOf):
            stack.extend((child, depth + 1) for child in node.children)
    return deepest


def _strata(rules: dict[str, Rule], problems: list[Problem]) -> dict[str, int]:
    """The stratum of every rule (findings it depends on come first), without recursion; a
    cycle or a chain deeper than MAX_FINDING_DEPTH is a located problem."""
    deps = {
        rid: sorted({r.rule_id for r in finding_refs(rule.when)}) for rid, rule in rules.items()
    }
    strata: dict[str, int] = {}
    for root in sorted(rules):
        if root in strata:
            continue
        trail: list[str] = [root]
        on_trail = {root}
        iters = [iter(deps[root])]
        while iters:
            child = next(iters[-1], None)
            if child is None:
                done = trail.pop()
                on_trail.discard(done)
                iters.pop()
                strata[done] = 1 + max((strata.get(c, 0) for c in deps[done]), default=-1)
                continue
            if child in strata:
                continue
            if child in on_trail:
                cycle = " → ".join((*trail[trail.index(child) :], child))
                problems.append(
                    Problem(
                        rules[child].location,
                        "finding-cycle",
                        f"findings depend on each other: {cycle}",
                    )
                )
                strata[child] = 0
                continue
            trail.append(child)
            on_trail.add(child)
            iters.append(iter(deps[child]))
    for rid in sorted(strata):
        if strata[rid] > MAX_FINDING_DEPTH:
            problems.append(
                Problem(
                    rules[rid].location,
                    "chain-too-deep",
                    f"`{rid}` rests on a chain of {strata[rid]} findings; the limit is "
                    f"{MAX_FINDING_DEPTH}",
                )
            )
            break
    return strata


def rule_paths(rule: Rule) -> list[str]:
    """The fact paths a rule reads."""
    return sorted({leaf.path for leaf in leaves(rule.guarded) if isinstance(leaf, Leaf)})


def rulebook_summary(book: Rulebook) -> str:
    """A canonical JSON summary of the rules (ids, kinds, citations), for diffs and hashing."""
    return json.dumps(
        [{"id": r.id, "kind": r.kind, "citation": r.citation} for r in book.rules.values()],
        sort_keys=True,
    )
