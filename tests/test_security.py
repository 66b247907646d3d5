"""Security of inputs: nothing dealscreen reads can make it run code, and results do not depend
on the process they were computed in."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from screening import load_deal, load_rulebook
from screening.errors import DealError, RulebookError
from tests.conftest import ROOT
from tests.rulebook_helpers import GOOD, make_rulebook, rule_file

PACKAGE = ROOT / "screening"

# Names that run or import code chosen by data, or deserialize it.
_FORBIDDEN = re.compile(
    r"(?<![\w.])(eval|exec|compile)\s*\(|__import__|\bimportlib\b|\bpickle\b|\bmarshal\b|\bshelve\b"
    r"|\bdill\b|\bos\.system\b|shell\s*=\s*True|\.format_map\s*\(|\bunsafe_load\b|typ\s*=\s*[\"']unsafe"
)


# Raw SQL: sqlalchemy's text(), or a statement built by formatting (constant pragmas are fine).
_RAW_SQL = re.compile(
    r"(?<!\w)text\(|(execute|exec_driver_sql)\(\s*f[\"']"
    r"|(execute|exec_driver_sql)\(.*(\.format\(|%\s*[(\w]|[\"']\s*\+)"
)


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


# The one place that compiles code: the engine's functions written out once per rulebook from
# fixed text, every datum a constant of a table, never text of the source (engine/_generated.py
# refuses a source with a literal; tests/test_engine_codegen.py shows hostile ids stay data).
_GENERATED = {
    ("screening/engine/_generated.py", 'code = _CODE[key] = compile(source, filename, "exec")'),
    ("screening/engine/_generated.py", "exec(code, namespace)"),
}


def test_no_eval_exec_import_or_pickle_in_the_package() -> None:
    """The package never evaluates, imports or unpickles anything named by data."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _FORBIDDEN.search(line.split("#", 1)[0])
        and (path.relative_to(ROOT).as_posix(), line.strip()) not in _GENERATED
    ]
    assert found == []


def test_no_sql_is_built_from_strings() -> None:
    """SQL goes through the ORM with bound parameters: no text() and no formatted statements."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _RAW_SQL.search(line.split("#", 1)[0])
    ]
    assert found == []


def test_the_greps_would_catch_what_they_look_for() -> None:
    """The patterns match each thing they forbid (and not `evaluate(` or a constant pragma)."""
    for bad in (
        'sa.text("x")',
        'conn.execute(f"select {x}")',
        'c.execute("a" + b)',
        'c.exec_driver_sql("x %s" % y)',
        'c.execute("x {}".format(y))',
    ):
        assert _RAW_SQL.search(bad), bad
    assert not _RAW_SQL.search('conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")')
    for bad in (
        "eval(x)",
        "exec (x)",
        "__import__('os')",
        "import pickle",
        "compile(src)",
        "subprocess.run(c, shell=True)",
        "s.format_map(d)",
        "yaml.unsafe_load(t)",
    ):
        assert _FORBIDDEN.search(bad), bad
    for fine in ("evaluate(cond)", "evaluation", "re.compile(p)", "executor"):
        assert not _FORBIDDEN.search(fine), fine


@pytest.mark.parametrize(
    "template",
    [
        "{deal.__class__}",
        "{0.__init__.__globals__}",
        "{investor.name.__class__.__mro__}",
        "{investor.__dict__}",
        "{deal.kind!r}",
        "{investor.name:{investor.country}}",
        "{investor[name]}",
        "{}",
        "{0}",
    ],
)
def test_templates_cannot_reach_attributes_or_call_anything(tmp_path: Path, template: str) -> None:
    """An explanation template is fact paths only; anything else is refused at load."""
    rule = GOOD.replace("{investor.name} is a foreign person.", f"Seen {template}.")
    base = make_rulebook(tmp_path, {"t/r.yaml": rule_file(rule)})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    assert {p.code for p in info.value.problems} == {"invalid-template"}
    assert info.value.location == f"{base / 't' / 'r.yaml'}:9"


_TAGS = [
    "!!python/object/apply:os.system [echo owned]",
    "!!python/object/new:subprocess.Popen [[echo, owned]]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!custom value",
    "!<tag:example.com,2000:x> value",
]


@pytest.mark.parametrize("tag", _TAGS)
def test_yaml_tags_are_refused_in_deals(tmp_path: Path, tag: str) -> None:
    """A deal file with any non-standard YAML tag is refused, with its line."""
    path = tmp_path / "deal.yaml"
    path.write_text(f"id: x\nname: {tag}\n", encoding="utf-8")
    with pytest.raises(DealError) as info:
        load_deal(path)
    assert (info.value.location, info.value.code) == (f"{path}:2", "yaml-tag")


@pytest.mark.parametrize("tag", _TAGS)
def test_yaml_tags_are_refused_in_rule_files(tmp_path: Path, tag: str) -> None:
    """A rule file with any non-standard YAML tag is refused, with its line."""
    base = make_rulebook(tmp_path, {"t/r.yaml": f"regime: cfius_800\nrules:\n  - id: {tag}\n"})
    with pytest.raises(RulebookError) as info:
        load_rulebook(base=base)
    assert (info.value.location, info.value.code) == (f"{base / 't' / 'r.yaml'}:3", "yaml-tag")


def test_alias_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    """A "billion laughs" document is refused at its first anchor, without expanding it."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DealError) as info:
        load_deal(path)
    assert (info.value.location, info.value.code) == (f"{path}:1", "yaml-alias")


def test_python_files_in_a_rules_layer_are_refused(tmp_path: Path) -> None:
    """A rule layer carrying Python is refused, and nothing in it is imported."""
    marker = tmp_path / "imported"
    base = make_rulebook(
        tmp_path,
        {
            "t/r.yaml": rule_file(GOOD),
            "t/__init__.py": f"open({str(marker)!r}, 'w').close()\n",
        },
    )
    with pytest.raises(RulebookError):
        load_rulebook(base=base)
    assert not marker.exists()


# --------------------------------------------------------------------------------------------
# Determinism across processes

_BATCH_SCRIPT = """
import sys
from pathlib import Path
from screening import load_deal, load_rulebook, screen
from screening.engine.explain import render_json
from screening.authoring.fixtures_gen import generate
from screening.model.deal import Deal

book = load_rulebook()
deals = [load_deal(p) for p in sorted(Path(sys.argv[1]).glob("*.yaml"))]
deals += [Deal.model_validate(d).root for d in generate(40, seed=3)]
if sys.argv[2] == "reversed":
    deals.reverse()
out = sorted(render_json(screen(d, rulebook=book)) for d in deals)
sys.stdout.write("".join(out))
"""


def _batch_in_a_process(seed: str, order: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _BATCH_SCRIPT, str(ROOT / "fixtures" / "deals"), order],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return done.stdout


def test_same_batch_in_two_processes_gives_identical_json() -> None:
    """Two processes with different PYTHONHASHSEED (and batch order) give byte-identical JSON."""
    one = _batch_in_a_process("1", "forward")
    two = _batch_in_a_process("4242", "reversed")
    assert one and hashlib.sha256(one).hexdigest() == hashlib.sha256(two).hexdigest()
