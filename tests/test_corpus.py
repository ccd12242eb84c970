"""The corpus: known-bad configurations must produce their code at their path, known-good ones none.

- ``corpus/bad/*.yaml``: raw YAML, checked like ``meshgw check``. The first line says what must be
  found: ``# expect: CODE PATH`` (a diagnostic with that code and exactly that path).
- ``corpus/bad_config/*.yaml``: a stack config (the ``meshgw:*`` values without the prefix), run
  through ``MeshSpec.from_config`` and ``plan_mesh`` as ``pulumi preview`` does. The expected
  problem is among the errors, or among the plan's warnings for warning-level checks.
- ``corpus/field/*.yaml``: failures Istio users reported in public (the second line links the
  report), copied from the project's shared case collection. The first line says what a correct
  analyzer reports: ``# expect: ERROR`` (some error-level finding), ``OK`` (none), or a code.
- ``corpus/good/*.yaml``: Istio's documented examples, each checked together with the shared
  ``_*.yaml`` gateway installs; no errors.
- ``corpus/good_config/*.yaml``: Istio's examples written as stack config; they plan, and the
  rendered objects analyze without errors.
- The stacks of ``stacks/`` (planned) and their reviewed renders (``golden/stacks``): no errors.

Adding a case is adding a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis import Level, MeshIndex, analyze_manifests
from pulumi_meshgw.cli.check import load_paths
from pulumi_meshgw.errors import ConfigError, Problem
from pulumi_meshgw.plan import plan_mesh
from pulumi_meshgw.spec import MeshSpec

from .conftest import STACKS, stack_config

CORPUS = Path(__file__).parent / "corpus"
BAD = sorted((CORPUS / "bad").glob("*.yaml"))
BAD_CONFIG = sorted((CORPUS / "bad_config").glob("*.yaml"))
FIELD = sorted((CORPUS / "field").glob("*.yaml"))
GOOD = sorted(p for p in (CORPUS / "good").glob("*.yaml") if not p.name.startswith("_"))
SHARED = sorted((CORPUS / "good").glob("_*.yaml"))
GOOD_CONFIG = sorted((CORPUS / "good_config").glob("*.yaml"))
GOLDEN = Path(__file__).parent / "golden" / "stacks"


def expectation(path: Path) -> tuple[str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: CODE PATH'"
    code, _, where = first.removeprefix("# expect: ").partition(" ")
    return code, where


def test_the_corpus_has_forty_distinct_mistakes() -> None:
    assert len(BAD) + len(BAD_CONFIG) >= 40
    # Distinct files, and no two files that are the same mistake in the same words.
    bodies = [p.read_text(encoding="utf-8").split("\n", 2)[2] for p in BAD + BAD_CONFIG]
    assert len(set(bodies)) == len(bodies)
    codes = {expectation(p)[0] for p in BAD + BAD_CONFIG}
    for code in ("IST0101", "IST0145", "IST0132", "IST0109", "IST0162", "IST0112", "IST0128"):
        assert code in codes
    for code in ("IST0129", "IST0134", "IST0138", "IST0106", "MGW0201", "MGW0202", "MGW0203"):
        assert code in codes


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_yaml_is_reported_at_its_path(path: Path) -> None:
    code, where = expectation(path)
    loaded = load_paths([path])
    assert not loaded.findings, loaded.findings
    diags = analyze_manifests(loaded.objects)
    hits = [d for d in diags if d.code == code and d.path == where]
    assert hits, f"expected {code} at {where}; got:\n" + "\n".join(map(str, diags))
    assert all(f" {where}: " in str(d) and d.message for d in hits)


def _plan_problems(config: dict[str, Any]) -> list[Problem]:
    try:
        return plan_mesh(MeshSpec.from_config(config)).warnings
    except ConfigError as err:
        return list(err.problems)


@pytest.mark.parametrize("path", BAD_CONFIG, ids=lambda p: p.stem)
def test_bad_stack_config_fails_at_its_config_path(path: Path) -> None:
    code, where = expectation(path)
    problems = _plan_problems(yaml.safe_load(path.read_text(encoding="utf-8")))
    hits = [p for p in problems if p.code == code and p.path == where]
    assert hits, f"expected {code} at {where}; got:\n" + "\n".join(map(str, problems))
    assert str(hits[0]).startswith(f"{where}: ")


def _errors(diags: list[Any]) -> list[str]:
    return [str(d) for d in diags if d.level is Level.ERROR]


@pytest.mark.parametrize("path", FIELD, ids=lambda p: p.stem)
def test_field_reports_get_the_expected_result(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expect = first.removeprefix("# expect: ").strip()
    loaded = load_paths([path])
    assert not loaded.findings
    diags = analyze_manifests(loaded.objects)
    if expect == "OK":
        assert _errors(diags) == []
    elif expect == "ERROR":
        assert _errors(diags), "expected an error; got:\n" + "\n".join(map(str, diags))
    else:
        assert expect in {d.code for d in diags}, "\n".join(map(str, diags))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_istio_documented_examples_have_no_errors(path: Path) -> None:
    loaded = load_paths([*SHARED, path])
    assert not loaded.findings
    assert _errors(analyze_manifests(loaded.objects)) == []


@pytest.mark.parametrize("path", GOOD_CONFIG, ids=lambda p: p.stem)
def test_istio_examples_as_stack_config_plan_and_analyze_clean(path: Path) -> None:
    spec = MeshSpec.from_config(yaml.safe_load(path.read_text(encoding="utf-8")))
    plan = plan_mesh(spec)
    # Istio's bookinfo serves host '*' on a public gateway, which is worth a warning (MGW0160).
    expected = [("gateways[0].servers[0].hosts[0]", "MGW0160")] if path.stem == "bookinfo" else []
    assert [(w.path, w.code) for w in plan.warnings] == expected
    index = MeshIndex()
    for item in spec.external:
        index.declare(item)
    assert _errors(analyze_manifests(plan.manifests(), index=index)) == []


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_stacks_analyze_clean(env: str) -> None:
    plan = plan_mesh(MeshSpec.from_config(stack_config(env)), base_dir=STACKS)
    assert _errors(analyze_manifests(plan.manifests())) == []
    rendered = GOLDEN / env
    if rendered.is_dir():  # what `meshgw render` wrote, checked as `meshgw check` would
        loaded = load_paths([rendered])
        assert not loaded.findings and loaded.objects
        assert _errors(analyze_manifests(loaded.objects)) == []


def test_a_corpus_check_can_fail() -> None:
    """The corpus test would notice a check that stops firing."""
    path = CORPUS / "bad" / "ist0132-host-not-served.yaml"
    objs = load_paths([path]).objects
    route = next(o for o in objs if o["kind"] == "VirtualService")
    route["spec"]["hosts"] = ["shop.example.com"]  # the host the Gateway serves: the fault is gone
    assert not [d for d in analyze_manifests(objs) if d.code == "IST0132"]
