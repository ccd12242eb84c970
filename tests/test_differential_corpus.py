"""The differential corpus (``e2e/corpus.py``): seeded, covering every case, and a sample of it
analysed in-process against what Istio's source says ``istioctl analyze`` reports. The full run
against istioctl itself is ``e2e/differential.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from pulumi_meshgw.analysis import analyze_manifests

E2E = Path(__file__).resolve().parent.parent / "e2e"
sys.path.insert(0, str(E2E))

import corpus  # noqa: E402
from differential import compare  # noqa: E402


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
    assert result["only_meshgw"] == [] and result["only_istioctl"] == []
    assert result["precision"] == result["recall"] == 1.0
    assert {"IST0101", "IST0109", "IST0112", "IST0132", "IST0138", "IST0145"} <= set(result["codes"])
