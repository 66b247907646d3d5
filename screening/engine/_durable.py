"""The one module that imports durable_rules: a private, serialized adapter.

durable-rules 2.0.28 is frozen third-party C code. What this adapter does about its pitfalls
(see docs/engine.md; each has a test in tests/test_durable.py):

* one process-wide lock around every engine call: the C core is not thread-safe;
* a ``Host`` subclass with a no-op ``_run``: no timer threads calling into the engine;
* ruleset definitions are deep-copied before registration, which mutates them;
* facts, never events (``post`` is consumed by the first matching rule);
* one fact per assertion with a fresh session id, and the session deleted in ``finally``
  (1,024 live sessions per ruleset is a hard limit; nothing may leak between deals); a fact
  that matched nothing leaves a session behind that cannot be deleted without crashing the C
  core, which is why the sentinel rule below exists;
* a batch of facts where one matches nothing raises "not handled" and runs no action at all,
  so facts are asserted one at a time, and every ruleset carries a sentinel rule matching
  every deal fact;
* ``MessageNotHandledException`` is "no rule matched", an ordinary outcome;
  ``MessageObservedException`` and an ``exception`` in the returned state are defects and raise
  :class:`~screening.errors.EngineError`;
* rulesets cannot be unloaded: names carry the rulebook version, and registering the same
  name twice is skipped.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from typing import Any

from durable import engine as _engine

from screening.errors import EngineError

_LOCK = threading.Lock()
_SESSIONS = itertools.count(1)

Action = Callable[[Any], None]


class _Host(_engine.Host):  # type: ignore[misc]
    """A Host without timer threads, whose actions report into the adapter."""

    def __init__(self) -> None:
        self.fired: list[str] = []
        self.fail_on: str | None = None  # test hook: an action name that raises
        super().__init__()

    def _run(self) -> None:
        """Do not start the self-re-arming timer threads of the stock Host."""

    def get_action(self, action_name: str) -> Action:
        """Every action records its name; the test hook can make one raise."""

        def action(_closure: Any) -> None:
            if self.fail_on == action_name:
                raise RuntimeError(f"injected failure in {action_name}")
            self.fired.append(action_name)

        return action


_HOST: _Host | None = None
_REGISTERED: set[str] = set()


def _host() -> _Host:
    global _HOST
    if _HOST is None:
        _HOST = _Host()
    return _HOST


SENTINEL = "~sentinel"


def register(rulesets: dict[str, dict[str, Any]]) -> None:
    """Register ruleset definitions once each (they can never be unloaded).

    Each ruleset gets a sentinel rule matching every deal fact, so that no assertion is ever
    "not handled": a fact no rule matched still opens a session that is then deleted. (Without
    it, such a fact leaves a session that counts against the 1,024 limit, and deleting it
    crashes the C core.)
    """
    with _LOCK:
        fresh = {
            name: {**d, SENTINEL: {"all": [{"m": {"t": "deal"}}], "run": SENTINEL}}
            for name, d in rulesets.items()
            if name not in _REGISTERED
        }
        if not fresh:
            return
        try:
            _host().set_rulesets(copy.deepcopy(fresh))
        except Exception as exc:  # the C core reports errors as bare exceptions with codes
            raise EngineError(f"durable-rules refused the compiled rulebook: {exc}") from exc
        _REGISTERED.update(fresh)


def run(ruleset: str, fact: dict[str, Any]) -> list[str]:
    """Assert one deal fact (``t: deal``) into a fresh session; return the actions that ran."""
    sid = f"s{next(_SESSIONS)}"
    fact = {**fact, "t": "deal", "sid": sid, "id": "f1"}
    with _LOCK:
        host = _host()
        host.fired = []
        try:
            state = host.assert_fact(ruleset, fact)
        except _engine.MessageNotHandledException as exc:
            # Every registered ruleset has the sentinel rule, so this cannot be "no rule
            # matched"; it means the fact was not a deal fact, and its half-made session
            # could neither be used nor deleted safely.
            raise EngineError(f"durable-rules did not handle the fact in {ruleset}") from exc
        except _engine.MessageObservedException as exc:
            raise EngineError(f"durable-rules saw fact {sid} as already asserted") from exc
        except Exception as exc:
            raise EngineError(f"durable-rules failed in ruleset {ruleset}: {exc}") from exc
        finally:
            try:
                host.delete_state(ruleset, sid)
            except Exception as exc:
                raise EngineError(f"could not delete session {sid}: {exc}") from exc
        if isinstance(state, dict) and state.get("exception"):
            raise EngineError(f"a rule action failed in {ruleset}: {state['exception']}")
        if SENTINEL not in host.fired:
            raise EngineError(f"the sentinel rule of {ruleset} did not run")
        return [name for name in host.fired if name != SENTINEL]


def session_state(ruleset: str, sid: str) -> Any:
    """The stored state of a session (for tests that check nothing is left behind)."""
    with _LOCK:
        try:
            return _host().get_state(ruleset, sid)
        except Exception:
            return None


def last_session_id() -> str:
    """The id the previous :func:`run` used."""
    global _SESSIONS
    with _LOCK:
        n = next(_SESSIONS)
        _SESSIONS = itertools.count(n)
        return f"s{n - 1}"


def inject_failure(action_name: str | None) -> None:
    """Test hook: make the named action raise inside the engine (None to stop)."""
    with _LOCK:
        _host().fail_on = action_name


def registered() -> list[str]:
    """Names of the rulesets registered in this process."""
    with _LOCK:
        return sorted(_REGISTERED)
