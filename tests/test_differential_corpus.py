"""The differential corpus (``e2e/corpus.py``): seeded, covering every case, and a sample of it
analysed in-process against what Istio's source says ``istioctl analyze`` reports. The full run
against istioctl itself is ``e2e/differential.py``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis import analyze_manifests

E2E = Path(__file__).resolve().parent.parent / "e2e"
sys.path.insert(0, str(E2E))

import corpus  # noqa: E402
from differential import compare, report  # noqa: E402


def test_the_corpus_is_seeded_and_covers_every_case() -> None:
    first = corpus.generate(60, seed=3)
    again = corpus.generate(60, seed=3)
    assert [yaml.safe_dump_all(c.objects) for c in first] == [yaml.safe_dump_all(c.objects) for c in again]
    assert {c.case for c in first} == set(corpus.CASES)
    other = corpus.generate(60, seed=4)
    assert [c.case for c in other] != [c.case for c in first]
    broken = [c for c in first if c.expected]
    assert 0 < len(broken) < len(first)  # valid and broken configurations mixed


def test_a_sample_agrees_with_istios_expected_findings() -> None:
    configs = corpus.generate(2 * len(corpus.CASES), seed=11)
    objects = [o for c in configs for o in c.objects]  # one run over all, as a batch directory
    ours = {(d.code, d.kind, d.namespace, d.name) for d in analyze_manifests(objects)}
    expected = set().union(*(c.expected for c in configs))
    result = compare(ours, expected)
    assert result["only_meshgw"] == [] and result["only_istio"] == []
    assert result["precision"] == result["recall"] == 1.0
    assert {"IST0101", "IST0109", "IST0112", "IST0132", "IST0138", "IST0145"} <= set(result["codes"])
    # The classes fixed against Istio's analyzers: each with its right value.
    by_case = {c.case: c for c in configs}
    missing = by_case["gateway-ref-missing"]
    assert {f[0] for f in missing.expected} == {"IST0101", "IST0132"}
    for case in ("gateways-wildcard-overlap", "host-partly-served", "subset-defined"):
        assert by_case[case].expected == set()
        assert not {f for f in ours if f[2].startswith(by_case[case].ident) and f[0].startswith("IST")}
    partly = by_case["host-partly-served"]
    assert ("MGW0134", "VirtualService", f"{partly.ident}-shop", "site") in ours


def test_an_istio_code_only_meshgw_reports_counts_against_precision() -> None:
    """Codes are compared when meshgw reports them or implements them, not only when both tools
    happened to report them: a false IST0145 that Istio never reports lowers precision."""
    ours = {
        ("IST0101", "Gateway", "a", "x"),
        ("IST0145", "Gateway", "a", "x"),
        ("MGW0134", "VirtualService", "a", "r"),
    }
    theirs = {
        ("IST0101", "Gateway", "a", "x"),
        ("IST0162", "Gateway", "a", "x"),
        ("IST0173", "DestinationRule", "a", "d"),
    }
    result = compare(ours, theirs, {"IST0101", "IST0145", "IST0162"})
    assert result["codes"] == ["IST0101", "IST0145", "IST0162"]  # not MGW0134, not IST0173
    assert result["precision"] == 0.5 and result["recall"] == 0.5
    assert result["per_code"]["IST0145"] == {"compared": True, "agreed": 0, "only_meshgw": 1, "only_istio": 0}
    assert result["per_code"]["IST0173"]["compared"] is False
    table = report(result)
    assert table[0].split() == ["code", "agreed", "only", "meshgw", "only", "Istio"]
    assert "IST0145        0            1           0" in table
    assert any(line.startswith("IST0173") and "not compared" in line for line in table)


def test_the_script_fails_below_target_or_when_istioctl_sees_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``main`` exits 1 when precision or recall is under target, or when istioctl reports a
    finding the reference does not; 0 when they agree."""
    import differential

    tool = tmp_path / "tool"
    tool.write_text("")
    finding = ("IST0132", "VirtualService", "c0000-shop", "site")
    other = ("IST0101", "VirtualService", "c0000-shop", "site")
    argv = ["--analyzer", str(tool), "--istioctl", str(tool), "--count", "2", "--seed", "1"]

    def run(ours: set[Any], reference: set[Any], file_mode: set[Any]) -> int:
        monkeypatch.setattr(differential, "meshgw_findings", lambda d: ours)
        monkeypatch.setattr(differential, "reference_findings", lambda a, d: reference)
        monkeypatch.setattr(differential, "istioctl_findings", lambda a, d: file_mode)
        return int(differential.main(argv))

    assert run({finding, other}, {finding, other}, {other}) == 0
    assert run({finding, other}, {finding}, set()) == 1  # precision 0.5
    assert run({finding}, {finding, other}, set()) == 1  # recall 0.5
    assert run({finding}, {finding}, {other}) == 1  # istioctl sees what the reference does not
