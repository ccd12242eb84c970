"""Every analyzer keeps to its declaration: it reports only on its subjects, only the codes it
declares, and reads only kinds it names (as Istio's ``analysis.Metadata.Inputs``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from pulumi_meshgw.analysis import MeshIndex
from pulumi_meshgw.analysis._access import api_group, key_of
from pulumi_meshgw.analysis.analyzers import ANALYZERS, analyzers_for
from pulumi_meshgw.cli.check import load_paths

CORPUS = Path(__file__).parent.parent / "corpus"
INPUTS = sorted([*CORPUS.glob("bad/*.yaml"), *CORPUS.glob("good/*.yaml"), *CORPUS.glob("field/*.yaml")])


def test_names_are_unique_and_subjects_are_inputs() -> None:
    assert len({a.name for a in ANALYZERS}) == len(ANALYZERS)
    for a in ANALYZERS:
        assert a.subjects <= a.inputs, a.name
        assert a.codes, a.name


def test_dispatch_follows_the_subjects() -> None:
    assert [a.name for a in analyzers_for("networking.istio.io", "Gateway")] == ["gateway"]
    assert analyzers_for("networking.istio.io", "NoSuchKind") == ()


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_analyzer_emits_only_its_declared_codes(path: Path) -> None:
    objs = load_paths([path]).objects
    index = MeshIndex()
    index.add(objs)
    emitted: dict[str, set[str]] = defaultdict(set)
    for obj in objs:
        for a in analyzers_for(api_group(obj), key_of(obj)[0]):
            emitted[a.name].update(d.code for d in a.check(index, obj))
    for a in ANALYZERS:
        assert emitted[a.name] <= a.codes, f"{a.name} emitted undeclared {emitted[a.name] - a.codes}"


def test_the_declarations_are_exercised() -> None:
    """The corpus reaches every code each analyzer declares, so the test above can fail."""
    emitted: set[str] = set()
    for path in INPUTS:
        objs = load_paths([path]).objects
        index = MeshIndex()
        index.add(objs)
        for obj in objs:
            for a in analyzers_for(api_group(obj), key_of(obj)[0]):
                emitted.update(d.code for d in a.check(index, obj))
    declared = set().union(*(a.codes for a in ANALYZERS))
    assert sorted(declared - emitted) == []
