"""The package schema, inferred from the components as the provider host infers it, with the
nested types under standard tokens.

The SDK's analyzer names each nested type after its Python class (``ServerArgs``); the package's
type tokens drop the ``Args`` suffix (``meshgw:index:Server``), because the SDK generators add it
to input types themselves: TypeScript, Go and C# would otherwise get ``ServerArgsArgs``. The Python
classes keep their names (docs/package.md).
"""

import dataclasses
from typing import Any

from pulumi.provider.experimental.analyzer import (
    Analyzer,
    ComponentDefinition,
    PropertyDefinition,
    TypeDefinition,
)
from pulumi.provider.experimental.schema import generate_schema

from .. import __version__
from .components import COMPONENTS, PACKAGE

__all__ = ["analysis", "schema", "type_name"]

SUFFIX = "Args"


def type_name(python_name: str) -> str:
    """The schema name of a nested type: its Python class name without the ``Args`` suffix.

    Args:
        python_name: The class name, e.g. ``ServerTLSArgs``.

    Returns:
        ``ServerTLS``; a name without the suffix (or the suffix alone) is returned unchanged.
    """
    stem = python_name.removesuffix(SUFFIX)
    return stem or python_name


def _retoken(prop: PropertyDefinition, names: dict[str, str]) -> PropertyDefinition:
    ref = prop.ref
    prefix = f"#/types/{PACKAGE}:index:"
    if ref is not None and ref.startswith(prefix):
        ref = prefix + names[ref.removeprefix(prefix)]
    return dataclasses.replace(
        prop,
        ref=ref,
        items=_retoken(prop.items, names) if prop.items else None,
        additional_properties=(
            _retoken(prop.additional_properties, names) if prop.additional_properties else None
        ),
    )


def _props(props: dict[str, PropertyDefinition], names: dict[str, str]) -> dict[str, PropertyDefinition]:
    return {k: _retoken(v, names) for k, v in props.items()}


def analysis() -> dict[str, Any]:
    """The SDK analyzer's result for :data:`COMPONENTS`, with every nested type renamed by
    :func:`type_name` and every reference to it rewritten.

    Returns:
        The analyzer's dict (``component_definitions``, ``type_definitions``, ``dependencies``,
        ``external_enum_types``); ``type_definitions`` is keyed by the new names, which the
        provider host also uses to find a type from a reference.

    Raises:
        ValueError: Two Python classes would get the same type token (``Server`` and
            ``ServerArgs``); the message names both.
    """
    result: dict[str, Any] = dict(Analyzer(PACKAGE).analyze(list(COMPONENTS)))
    old: dict[str, TypeDefinition] = result["type_definitions"]
    names = {name: type_name(name) for name in old}
    taken: dict[str, str] = {}
    for name, new in sorted(names.items()):
        if new in taken:
            raise ValueError(
                f"the classes {taken[new]} and {name} would both be the type {PACKAGE}:index:{new}; "
                "rename one of them in pulumi_meshgw/components/args.py"
            )
        taken[new] = name
    result["type_definitions"] = {
        names[n]: dataclasses.replace(t, name=names[n], properties=_props(t.properties, names))
        for n, t in old.items()
    }
    components: dict[str, ComponentDefinition] = result["component_definitions"]
    result["component_definitions"] = {
        n: dataclasses.replace(c, inputs=_props(c.inputs, names), outputs=_props(c.outputs, names))
        for n, c in components.items()
    }
    return result


def schema(version: str = __version__) -> dict[str, Any]:
    """The Pulumi package schema of ``meshgw`` (what ``pulumi package get-schema`` prints).

    Args:
        version: The version written into the schema. Default: the Python package's.
    """
    result = analysis()
    dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
    out: dict[str, Any] = generate_schema(
        PACKAGE, version, None, result["component_definitions"], result["type_definitions"], dependencies
    ).to_json()
    return out
