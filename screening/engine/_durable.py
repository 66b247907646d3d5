"""The one module that imports durable_rules: a private, serialized adapter.

durable-rules 2.0.28 is frozen third-party C code. The adapter drives its C extension
(``durable_rules_engine``) directly rather than through the Python ``Host`` layer, whose
``json.loads``/``json.dumps`` of the whole session state around every action was most of the
engine's cost; of each action it reads only the rule's name (and, in a batch, the fact's id).
Screening hands it each fact as JSON text already written (:func:`run_text`,
:func:`run_many_text`); :func:`run` and :func:`run_many` take dicts.
What it does about durable-rules' pitfalls (see docs/engine.md; each has a test in
tests/test_durable.py):

* one process-wide lock around every engine call: the C core is not thread-safe;
* no ``Host`` at all, so no timer threads calling into the engine;
* ruleset definitions are copied before registration (``run`` is taken out of each rule);
* facts, never events (``post`` is consumed by the first matching rule);
* a fresh session id for every batch, and the session deleted in ``finally`` (1,024 live
  sessions per ruleset is a hard limit; nothing may leak between deals); a single fact goes
  into the ruleset's one kept session, emptied after the fact (retracted by its id, no action
  left) or deleted on any failure (see :func:`_run`); a fact that matched nothing leaves a
  session behind that cannot be deleted without crashing the C core, which is why the
  sentinel rule below exists;
* a batch of facts where one matches nothing raises "not handled" and runs no action at all:
  every ruleset carries a sentinel rule matching every deal fact, which must run once for each
  fact asserted, and each fact of a session has its own id (ids repeated in a session would
  be "already observed");
* a "not handled" or "already observed" result, an unknown rule or fact id in an action, or a
  missing sentinel is a defect and raises :class:`~screening.errors.EngineError`;
* rulesets cannot be unloaded: names carry the rulebook version, and registering the same
  name twice is skipped;
* a list test (``$iany``/``$iall``) whose inner expression ends in an ``$or`` makes the C core
  read uninitialized memory and refuse the ruleset at random (error 102): the compiler never
  emits one, and :func:`array_hazard` refuses one before it reaches the core.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from typing import Any

import durable_rules_engine as _core

from screening.errors import EngineError

_LOCK = threading.Lock()
_SESSIONS = itertools.count(1)
SENTINEL = "~sentinel"


class _Ruleset:
    """A ruleset in the C core: its handle and the action name of each rule."""

    __slots__ = ("actions", "handle")

    def __init__(self, handle: int, actions: dict[str, str]) -> None:
        self.handle = handle
        self.actions = actions


_RULESETS: dict[str, _Ruleset] = {}
_FAIL_ON: list[str | None] = [None]  # test hook: an action name that "fails"


def register(rulesets: dict[str, dict[str, Any]]) -> None:
    """Register ruleset definitions once each (they can never be unloaded).

    Each ruleset gets a sentinel rule matching every deal fact, so that no assertion is ever
    "not handled": a fact no rule matched still opens a session that is then deleted. (Without
    it, such a fact leaves a session that counts against the 1,024 limit, and deleting it
    crashes the C core.)
    """
    with _LOCK:
        for name, definition in rulesets.items():
            if name in _RULESETS:
                continue
            rules = {**definition, SENTINEL: {"all": [{"m": {"t": "deal"}}], "run": SENTINEL}}
            actions = {rule: str(spec["run"]) for rule, spec in rules.items()}
            plain = {
                rule: {k: v for k, v in spec.items() if k != "run"} for rule, spec in rules.items()
            }
            _RULESETS[name] = _Ruleset(_create(name, plain), actions)


def array_hazard(expr: Any) -> str | None:
    """A list test in ``expr`` that durable-rules may refuse at random, or None.

    For ``{"$iany"|"$iall": {path: inner}}`` the C core compiles ``inner`` and then checks the
    right operand of the node it ended on (rete.c, createAlpha). When ``inner`` is an ``$or``,
    an ``$and`` whose last part is such an ``inner``, or an empty ``$and``, that node is one the
    core never wrote (the ``$or``'s forward node, or the root): the check reads uninitialized
    heap and refuses the ruleset with error 102 when the byte there is 0x09 or 0x0C. Such a
    definition is refused here every time instead.
    """
    if isinstance(expr, list):
        for item in expr:
            found = array_hazard(item)
            if found is not None:
                return found
        return None
    if not isinstance(expr, dict):
        return None
    for key, value in expr.items():
        if key in ("$iany", "$iall") and isinstance(value, dict):
            for path, inner in value.items():
                if _ends_unwritten(inner):
                    return f"{key} over `{path}`"
        found = array_hazard(value)
        if found is not None:
            return found
    return None


def _ends_unwritten(inner: Any) -> bool:
    """Whether the core's compilation of a list test's ``inner`` ends on an unwritten node."""
    if not isinstance(inner, dict) or len(inner) != 1:
        return True  # the core reads only the first key: anything else is not ours
    ((key, value),) = inner.items()
    if key == "$or":
        return True
    if key == "$and":
        return not isinstance(value, list) or not value or _ends_unwritten(value[-1])
    return False


def _create(name: str, rules: dict[str, Any]) -> int:
    for rule, spec in rules.items():
        hazard = array_hazard(spec)
        if hazard is not None:
            raise EngineError(
                f"compiled rule {rule} of {name} has a list test ending in an `$or` ({hazard}),"
                " which durable-rules refuses at random (error 102)"
            )
    try:
        return int(_core.create_ruleset(name, json.dumps(rules, ensure_ascii=False)))
    except Exception as exc:  # the C core reports errors as bare exceptions with codes
        raise EngineError(f"durable-rules refused the compiled rulebook ({name}): {exc}") from exc


def _rule_name(message: str, rs: _Ruleset, ruleset: str) -> str:
    """The rule of an action message ``{"<rule>":{"m":{...}}}`` (checked against the ruleset)."""
    end = message.find('"', 2)
    rule = message[2:end]
    if not message.startswith('{"') or rule not in rs.actions:
        raise EngineError(f"durable-rules started an unknown action in {ruleset}: {message[:80]}")
    return rule


def _fact_id(message: str, ruleset: str) -> str:
    """The id of the fact an action matched: the fact's last key, as the adapter asserts it."""
    start = message.rfind('"id": "')
    if start < 0 or not message.endswith('"}}}'):
        raise EngineError(f"durable-rules action without a fact id in {ruleset}: {message[:80]}")
    return message[start + 7 : -4]


def _assert(ruleset: str, text: str, sid: str, many: bool) -> list[str]:
    """Assert the fact (or the list of facts) ``text`` into session ``sid`` and run its actions;
    the raw action messages. The caller holds the lock."""
    rs = _RULESETS.get(ruleset)
    if rs is None:
        raise EngineError(f"ruleset {ruleset} is not registered")
    handle = rs.handle
    messages: list[str] = []
    try:
        if many:
            code, state = _core.assert_facts(handle, text)
        else:
            code, state = _core.assert_fact(handle, text)
        if code != 0:
            _refused(code, ruleset, sid)
        started = _core.start_action_for_state(handle, state)
        message: str | None = started[1] if started else None
        fail_on = _FAIL_ON[0]
        while message is not None:
            messages.append(message)
            if fail_on is not None and rs.actions[_rule_name(message, rs, ruleset)] == fail_on:
                _core.abandon_action(handle, state)
                raise EngineError(f"a rule action failed in {ruleset}: injected failure")
            message = _core.complete_and_start_action(handle, state) or None
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"durable-rules failed in ruleset {ruleset}: {exc}") from exc
    finally:
        try:
            _core.delete_state(handle, sid)
        except Exception as exc:
            raise EngineError(f"could not delete session {sid}: {exc}") from exc
    return messages


_DEAL = '{"t": "deal"'
KEPT = "k"
"""The session id of every single-fact assertion: one kept session per ruleset (see `_run`)."""
_KEPT_TAIL = f', "sid": "{KEPT}", "id": "f1"}}'
_RETRACT = f'{{"sid": "{KEPT}", "id": "f1"}}'


def run(ruleset: str, fact: dict[str, Any]) -> list[str]:
    """Assert one deal fact (``t: deal``) into the ruleset's kept session; return the actions
    that ran."""
    fact = {**fact, "t": "deal", "sid": KEPT, "id": "f1"}
    return _run(ruleset, json.dumps(fact, ensure_ascii=False))


def run_text(ruleset: str, body: str) -> list[str]:
    """:func:`run` for a fact already written as JSON text without its closing brace, starting
    ``{"t": "deal"`` and without the keys ``sid`` and ``id`` (which this adds)."""
    if not body.startswith(_DEAL):
        raise EngineError(f"not a deal fact for {ruleset}: {body[:40]}")
    return _run(ruleset, body + _KEPT_TAIL)


def _run(ruleset: str, text: str) -> list[str]:
    """Assert one fact (id ``f1``) into the ruleset's kept session :data:`KEPT` and run its
    actions; the actions that ran, the sentinel's left out (each message's rule read as
    :func:`_rule_name` reads it, written out: the same check).

    Creating a session costs the C core more than matching the fact (it clears two 4 KB
    indexes per rule), so one session per ruleset is kept and emptied after every fact: the
    fact is retracted by its id (which deletes it and every frame that holds it), and no
    action may be left to run. On any failure the session is deleted instead, as a fresh
    session per fact did; the next fact opens a new one. A fact left behind would make the
    next one "already observed" (an error), never a quiet match.
    """
    fired: list[str] = []
    sentinels = 0
    with _LOCK:
        rs = _RULESETS.get(ruleset)
        if rs is None:
            raise EngineError(f"ruleset {ruleset} is not registered")
        handle = rs.handle
        actions = rs.actions
        emptied = False
        try:
            code, state = _core.assert_fact(handle, text)
            if code != 0:
                _refused(code, ruleset, KEPT)
            started = _core.start_action_for_state(handle, state)
            m: str | None = started[1] if started else None
            fail_on = _FAIL_ON[0]
            while m is not None:
                action = actions.get(m[2 : m.find('"', 2)]) if m.startswith('{"') else None
                if action is None:
                    raise EngineError(
                        f"durable-rules started an unknown action in {ruleset}: {m[:80]}"
                    )
                if action == fail_on:
                    _core.abandon_action(handle, state)
                    raise EngineError(f"a rule action failed in {ruleset}: injected failure")
                if action == SENTINEL:
                    sentinels += 1
                else:
                    fired.append(action)
                m = _core.complete_and_start_action(handle, state) or None
            _core.retract_fact(handle, _RETRACT)
            emptied = not _core.start_action_for_state(handle, state)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"durable-rules failed in ruleset {ruleset}: {exc}") from exc
        finally:
            if not emptied:
                try:
                    _core.delete_state(handle, KEPT)
                except Exception as exc:
                    raise EngineError(f"could not delete session {KEPT}: {exc}") from exc
    if sentinels != 1:
        raise EngineError(f"the sentinel rule of {ruleset} did not run")
    return fired


def _refused(code: int, ruleset: str, sid: str) -> None:
    """Raise the error for a result code of an assertion other than 0 (see :func:`_assert`)."""
    if code == 1:
        # Every registered ruleset has the sentinel rule, so this cannot be "no rule matched";
        # it means a fact was not a deal fact.
        raise EngineError(f"durable-rules did not handle the fact in {ruleset}")
    if code == 2:
        raise EngineError(f"durable-rules saw a fact of session {sid} as already asserted")
    raise EngineError(f"durable-rules answered {code} asserting into {ruleset}")


def run_many(ruleset: str, facts: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Assert several deal facts into one fresh session; the actions that ran for each fact.

    Each fact gets its own id in the session (its index), so actions are told apart by the fact
    they matched; the sentinel must run exactly once per fact.
    """
    if not facts:
        return []
    if any("id" in fact or "sid" in fact for fact in facts):
        raise EngineError("a deal fact may not carry its own `id` or `sid`")
    sid = f"s{next(_SESSIONS)}"
    # The id is the fact's last key, so the C core writes it last in each action's message.
    batch = [{**fact, "t": "deal", "sid": sid, "id": f"f{i}"} for i, fact in enumerate(facts)]
    return _run_many(ruleset, json.dumps(batch, ensure_ascii=False), sid, len(facts))


def run_many_text(ruleset: str, bodies: Sequence[str]) -> list[list[str]]:
    """:func:`run_many` for facts written as in :func:`run_text`."""
    if not bodies:
        return []
    if not all(body.startswith(_DEAL) for body in bodies):
        raise EngineError(f"not a deal fact for {ruleset}")
    sid = f"s{next(_SESSIONS)}"
    text = ", ".join([f'{body}, "sid": "{sid}", "id": "f{i}"}}' for i, body in enumerate(bodies)])
    return _run_many(ruleset, f"[{text}]", sid, len(bodies))


def _run_many(ruleset: str, text: str, sid: str, n: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(n)]
    sentinels = [0] * n
    with _LOCK:
        messages = _assert(ruleset, text, sid, True)
        rs = _RULESETS[ruleset]
        for m in messages:
            action = rs.actions[_rule_name(m, rs, ruleset)]
            fid = _fact_id(m, ruleset)
            index = int(fid[1:]) if fid[:1] == "f" and fid[1:].isdigit() else -1
            if not 0 <= index < n or fid != f"f{index}":
                raise EngineError(f"durable-rules action for an unknown fact `{fid}` in {ruleset}")
            if action == SENTINEL:
                sentinels[index] += 1
            else:
                out[index].append(action)
    if any(k != 1 for k in sentinels):
        raise EngineError(f"the sentinel rule of {ruleset} did not run once for every fact")
    return out


def session_state(ruleset: str, sid: str) -> Any:
    """The stored state of a session (for tests that check nothing is left behind)."""
    with _LOCK:
        rs = _RULESETS.get(ruleset)
        if rs is None:
            return None
        try:
            return json.loads(_core.get_state(rs.handle, sid))
        except Exception:
            return None


def session_facts(ruleset: str, sid: str) -> list[Any] | None:
    """The facts a session holds, or None when there is no such session (for tests that check
    the kept session is emptied after every fact)."""
    with _LOCK:
        rs = _RULESETS.get(ruleset)
        if rs is None:
            return None
        try:
            _core.get_state(rs.handle, sid)
        except Exception:
            return None
        facts: list[Any] = json.loads(_core.get_facts(rs.handle, sid))
        return facts


def last_session_id() -> str:
    """The id the previous :func:`run_many` (or :func:`run_many_text`) used."""
    global _SESSIONS
    with _LOCK:
        n = next(_SESSIONS)
        _SESSIONS = itertools.count(n)
        return f"s{n - 1}"


def inject_failure(action_name: str | None) -> None:
    """Test hook: make the named action fail inside the engine (None to stop)."""
    with _LOCK:
        _FAIL_ON[0] = action_name


def registered() -> list[str]:
    """Names of the rulesets registered in this process."""
    with _LOCK:
        return sorted(_RULESETS)
