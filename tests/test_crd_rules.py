"""The CRDs' CEL rules (MGW0109): each corpus object breaks one rule, or none, and the check names
exactly that rule; the API server agrees (e2e/apiserver/run). Plus Go's duration grammar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis import analyze_manifests, validate_manifest
from pulumi_meshgw.analysis.crd_rules import CRD_RULE_CODE, go_duration

CORPUS = Path(__file__).parent / "corpus" / "crd_rules"
FILES = sorted(CORPUS.glob("*.yaml"))


def expected(path: Path) -> tuple[str, str] | None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: the first line says what to expect"
    text = first.removeprefix("# expect: ")
    if text == "nothing":
        return None
    where, _, message = text.partition(": ")
    return where, message


def load(path: Path) -> dict[str, Any]:
    obj: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return obj


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_object_breaks_exactly_the_rule_it_names(path: Path) -> None:
    got = [(d.code, d.path, d.message) for d in validate_manifest(load(path))]
    want = expected(path)
    if want is None:
        assert got == []
        return
    ((code, where, message),) = got
    # The rule's own message, then (for a value the rule cannot read) what is wrong with it.
    assert (code, where) == (CRD_RULE_CODE, want[0]) and message.startswith(want[1])


def test_the_corpus_covers_kinds_and_both_outcomes() -> None:
    kinds = {load(p)["kind"] for p in FILES}
    assert {"Gateway", "VirtualService", "DestinationRule", "ServiceEntry"} <= kinds
    assert sum(expected(p) is None for p in FILES) >= 3
    assert sum(expected(p) is not None for p in FILES) >= 12


def test_meshgw_check_reports_them_as_errors_under_our_code() -> None:
    found = analyze_manifests([load(CORPUS / "reject-duration-under-1ms.yaml")])
    (rule,) = [d for d in found if d.code == CRD_RULE_CODE]
    assert str(rule.level) == "error" and rule.path == "spec.http[0].timeout"


def test_an_admission_rule_at_the_same_path_is_not_repeated() -> None:
    # A ServiceEntry host of "*": Istio's webhook (IST0106) and the CRD rule both refuse it.
    entry = load(CORPUS / "accept-serviceentry-edges.yaml")
    entry["spec"]["hosts"] = ["*"]
    found = [(d.code, d.path) for d in analyze_manifests([entry]) if d.path == "spec.hosts[0]"]
    assert ("IST0106", "spec.hosts[0]") in found and (CRD_RULE_CODE, "spec.hosts[0]") not in found


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("1ms", 10**6),
        ("1.5s", 1_500_000_000),
        ("1h2m3.5s", 3_723_500_000_000),
        ("+.5s", 500_000_000),
        ("5.s", 5 * 10**9),
        ("-1.5h", -5_400_000_000_000),
        ("1µs", 1000),
        ("300us", 300_000),
    ],
)
def test_go_durations(text: str, nanoseconds: int) -> None:
    assert go_duration(text) == nanoseconds


@pytest.mark.parametrize("text", ["", "10", "1d", "1e3s", "2s ", " 2s", ".s", "s", "1.5", "+", "1h-2m"])
def test_what_go_refuses(text: str) -> None:
    assert go_duration(text) is None


@pytest.mark.parametrize("value", ["10sec", "0s", "-5s"])
def test_a_bad_duration_in_a_route_of_the_config_fails_the_plan_at_its_config_path(value: str) -> None:
    # The spec models pass route fields through to the CRD; its CEL rule on durations runs in the
    # plan (so at preview), at the config path, not only in the analysis of the rendered objects.
    from pulumi_meshgw.errors import ConfigError
    from pulumi_meshgw.plan import plan_config
    from tests.conftest import minimal_mesh

    config = minimal_mesh()
    config["virtualServices"][0]["http"][0]["timeout"] = value
    with pytest.raises(ConfigError) as err:
        plan_config(config)
    assert [(p.path, p.code) for p in err.value.problems] == [
        ("virtualServices[0].http[0].timeout", "MGW0109")
    ]
