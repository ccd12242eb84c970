"""The one reader of user YAML: stack files (``meshgw render``) and manifests (``meshgw check``).

User YAML is data, so everything that is not plain data is refused with the file and line, before
any value is built:

* bytes that are not UTF-8, and NUL bytes (a binary file, or a file saved in another encoding);
* tags other than plain data: ``!!binary``, ``!!set``, ``!!timestamp``, ``!!omap``, ``!!python/...``
  and any local ``!tag``. Plain maps, lists, strings, numbers, booleans and null remain;
* a key given twice in one mapping (the later one would silently replace the earlier, as a whole
  list of routes). Pulumi's own loader and ``kubectl apply`` refuse them too;
* anchors and aliases that expand to more than :data:`MAX_ALIAS_NODES` nodes beyond the file's own
  (an "alias bomb": ten lines that expand to 10^8 nodes), and aliases that contain themselves;
* nesting deeper than :data:`MAX_DEPTH` levels.

The checks run on the composed node graph, counting each shared node once per use without
expanding it, so a refused file costs time and memory in proportion to its size, not to its
expansion. libyaml's parser (PyYAML's ``CSafeLoader``) is used when PyYAML was built with it,
about ten times faster than the pure-Python one on large files (``bench/bench_yaml.py``).

Unquoted dates (``2024-01-01``) stay strings, as in Kubernetes and Pulumi, which decode YAML into
untyped values. Pure: no Pulumi, no I/O beyond what the caller hands in.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import MeshgwError, show

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "YamlInputError",
    "load_documents",
    "load_one",
]

MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may add to a document once expanded. Default: 100,000.

A stack or manifest that reuses a block through anchors stays far below it; an alias bomb is
refused before any value is built."""

MAX_DEPTH = 100
"""How deeply mappings and lists may nest. Default: 100 (Kubernetes and Istio objects need < 30)."""

_DATA_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
)
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class _Where:
    line: int
    column: int


class YamlInputError(MeshgwError):
    """A YAML file that cannot be read as plain data.

    Attributes:
        source: The file name (or another label) the text came from.
        line: 1-based line of the problem; 0 when it has none.
        column: 1-based column; 0 when it has none.
        problem: What is wrong and how to fix it.
    """

    code = "MGW0002"

    def __init__(self, source: str, line: int, column: int, problem: str) -> None:
        self.source, self.line, self.column, self.problem = source, line, column, problem
        where = source + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {problem}")


def _loader_class(yaml12: bool) -> type[yaml.SafeLoader]:
    """A safe loader without the timestamp resolver; with ``yaml12`` also YAML 1.2 scalars.

    ``yaml12`` resolves plain scalars as Pulumi's Go YAML library does for config: ``yes``/``on``
    and ``1:30`` stay strings; only ``true``/``false`` are booleans.
    """
    drop = {"tag:yaml.org,2002:timestamp"}
    if yaml12:
        drop |= {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"}
    cls: type[yaml.SafeLoader] = type("MeshgwLoader", (_BASE,), {})
    cls.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in drop]
        for first, resolvers in _BASE.yaml_implicit_resolvers.items()
    }
    if yaml12:
        cls.add_implicit_resolver(
            "tag:yaml.org,2002:bool", re.compile(r"\A(?:true|True|TRUE|false|False|FALSE)\Z"), list("tTfF")
        )
        cls.add_implicit_resolver(
            "tag:yaml.org,2002:int",
            re.compile(r"\A[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*)\Z"),
            list("-+0123456789"),
        )
    return cls


_LOADERS = {False: _loader_class(False), True: _loader_class(True)}


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            before = data[: err.start]
            line = before.count(b"\n") + 1
            column = err.start - (before.rfind(b"\n") + 1) + 1
            raise YamlInputError(
                source,
                line,
                column,
                f"byte 0x{data[err.start]:02x} is not UTF-8; save the file as UTF-8 text",
            ) from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        raise YamlInputError(source, line, column, "a NUL byte: this is not a text file")
    return text.removeprefix("\ufeff")


def _mark(node: yaml.Node) -> _Where:
    return _Where(node.start_mark.line + 1, node.start_mark.column + 1)


def _check_node(root: yaml.Node, source: str) -> None:
    """Refuse non-data tags, duplicate keys, deep nesting and alias expansion, without recursion.

    One pass visits each node object once (an alias is the same object as its anchor), checking
    tags, keys and depth. Only when some node is reached twice, through an alias, does a second
    pass measure the expanded size and depth, per node object and so without expanding anything.
    """
    seen: set[int] = set()
    shared = False
    # An explicit stack: deep input never hits Python's recursion limit.
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            shared = True
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            _refuse(node, source, f"nested more than {MAX_DEPTH} levels deep; flatten the structure")
        if node.tag not in _DATA_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            _refuse(
                node,
                source,
                f"the tag {tag} is not plain data; use a string, number, boolean, null, list or mapping",
            )
        if isinstance(node, yaml.MappingNode):
            _no_duplicate_keys(node, source)
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    if shared:
        _check_expansion(root, len(seen), source)


def _refuse(node: yaml.Node, source: str, problem: str) -> typing.NoReturn:
    where = _mark(node)
    raise YamlInputError(source, where.line, where.column, problem)


def _check_expansion(root: yaml.Node, distinct: int, source: str) -> None:
    """Measure the document with every alias expanded: its node count and its depth."""
    size: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, expanded depth)
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_nodes.discard(key)
            measured = [size[id(c)] for c in children]
            size[key] = (1 + sum(n for n, _ in measured), 1 + max((d for _, d in measured), default=0))
            continue
        if key in size:
            continue
        if key in open_nodes:
            _refuse(node, source, "an alias refers to a node that contains it (a cycle)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    expanded, depth = size[id(root)]
    if depth > MAX_DEPTH:
        _refuse(root, source, f"aliases nest this document more than {MAX_DEPTH} levels deep")
    if expanded - distinct > MAX_ALIAS_NODES:
        _refuse(
            root,
            source,
            f"anchors and aliases expand this document to {expanded} nodes, {expanded - distinct} more "
            f"than written; at most {MAX_ALIAS_NODES} are allowed (an alias bomb?)",
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _no_duplicate_keys(node: yaml.MappingNode, source: str) -> None:
    seen: dict[tuple[str, str], yaml.Node] = {}
    for k, _ in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
            continue
        ident = (k.tag, k.value)
        if ident in seen:
            first, where = _mark(seen[ident]), _mark(k)
            raise YamlInputError(
                source,
                where.line,
                where.column,
                f"the key {show(k.value)} is given twice in one mapping (first on line {first.line}); "
                "the later value would silently replace the earlier, so merge them into one",
            )
        seen[ident] = k


def _wrap(err: yaml.YAMLError, source: str) -> YamlInputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return YamlInputError(source, line, column, f"malformed YAML: {problem}")


def load_documents(data: bytes | str, source: str, *, yaml12: bool = False) -> Iterator[tuple[int, Any]]:
    """Yield ``(first line, value)`` for each document of a multi-document YAML text.

    Args:
        data: The file's bytes (checked as UTF-8) or text.
        source: The file name, used in every message.
        yaml12: Resolve plain scalars as YAML 1.2 (Pulumi config) instead of YAML 1.1 (Kubernetes).

    Yields:
        The 1-based line where each document starts, and its value (None for an empty document).

    Raises:
        YamlInputError: At the first document that is not plain data (see the module notes),
            with the file, line and column.
    """
    loader = _LOADERS[yaml12](_decode(data, source))
    try:
        while True:
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
                if node is None:
                    return
                _check_node(node, source)
                value = loader.construct_document(node)
            except yaml.YAMLError as err:
                raise _wrap(err, source) from None
            yield node.start_mark.line + 1, value
    finally:
        loader.dispose()


def load_one(data: bytes | str, source: str, *, yaml12: bool = False) -> tuple[Any, yaml.Node | None]:
    """Read a single-document YAML text; return its value and root node (None when empty).

    Raises:
        YamlInputError: As :func:`load_documents`, and for a second document in the text.
    """
    loader = _LOADERS[yaml12](_decode(data, source))
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_node(node, source)
        return loader.construct_document(node), node
    except yaml.YAMLError as err:
        raise _wrap(err, source) from None
    finally:
        loader.dispose()
