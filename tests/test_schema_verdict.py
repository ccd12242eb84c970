"""The compiled verdict (jsonschema-rs) agrees with jsonschema, which explains the errors.

``validate_manifest`` asks jsonschema-rs first and goes on to jsonschema only for an object that
is invalid; an object the fast verdict passes is never looked at again. So the two must agree on
every object, or a schema error would go unreported. This checks them on every object of the test
corpora and golden files, and on each with one leaf replaced by an edge value (a wrong type, an
empty string, a trailing newline that RE2's ``$`` refuses, a negative or fractional number).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis import schema

ROOT = Path(__file__).parent
MAX_LEAVES = 80
EDGE_VALUES: tuple[Any, ...] = (
    "",
    "x\n",
    "*",
    -1,
    0,
    1.5,
    65536,
    True,
    None,
    [],
    {},
    "10x",
    2**31,
    "2006-01-02T15:04:05",
)


def _objects() -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted([*ROOT.glob("corpus/**/*.yaml"), *ROOT.glob("golden/**/*.yaml")]):
        if "fuzz" in path.parts:
            continue  # alias bombs and broken encodings, on purpose (tests/test_fuzz.py)
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # the fuzz corpus holds files that are not YAML on purpose
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and "kind" in doc:
                found.setdefault(yaml.safe_dump(doc, sort_keys=True), doc)
    return list(found.values())


def _validators(obj: dict[str, Any]) -> tuple[Any, Any] | None:
    api_version, kind = obj["apiVersion"], obj["kind"]
    if not isinstance(kind, str):
        return None
    group, _, version = api_version.rpartition("/")
    if group.endswith("istio.io"):
        key = f"{group}/{version}/{kind}"
        if key not in schema._istio_index():
            return None
        return schema._istio_verdict(key), schema._istio_validator(key)
    catalog = schema._core_catalog()
    definition = catalog.kinds.get((group, version, kind)) if catalog else None
    if definition is None:
        return None
    return schema._core_verdict(definition), schema._core_validator(definition)


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if path or key == "spec":
                yield from _leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaf_paths(value, (*path, i))
    else:
        yield path


def _variants(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``obj``, then ``obj`` with one leaf replaced at a time (in place, restored after each)."""
    yield obj
    for n, path in enumerate(list(itertools.islice(_leaf_paths(obj), MAX_LEAVES))):
        node: Any = obj
        for part in path[:-1]:
            node = node[part]
        original = node[path[-1]]
        for value in EDGE_VALUES[n % 3 :: 3]:  # a third of the values at each leaf, in turn
            node[path[-1]] = value
            yield obj
        node[path[-1]] = original


OBJECTS = _objects()


def test_the_corpora_hold_istio_and_core_objects() -> None:
    kinds = {o["kind"] for o in OBJECTS if _validators(o) is not None}
    assert {"Gateway", "VirtualService", "DestinationRule", "Deployment", "Service"} <= kinds


@pytest.mark.parametrize("index", range(len(OBJECTS)))
def test_the_verdict_agrees_with_jsonschema(index: int) -> None:
    obj = OBJECTS[index]
    pair = _validators(obj)
    if pair is None:
        return
    verdict, explainer = pair
    disagree = [
        yaml.safe_dump(case, sort_keys=True)
        for case in _variants(copy.deepcopy(obj))
        if verdict.is_valid(case) != (next(explainer.iter_errors(case), None) is None)
    ]
    assert disagree == []
