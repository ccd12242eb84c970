"""The package schema, inferred from the components as the provider host infers it."""

from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

from .. import __version__
from .components import COMPONENTS, PACKAGE

__all__ = ["schema"]


def schema(version: str = __version__) -> dict[str, Any]:
    """The Pulumi package schema of ``meshgw`` (what ``pulumi package get-schema`` prints).

    Args:
        version: The version written into the schema. Default: the Python package's.
    """
    result = Analyzer(PACKAGE).analyze(list(COMPONENTS))
    dependencies = sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}")
    out: dict[str, Any] = generate_schema(
        PACKAGE, version, None, result["component_definitions"], result["type_definitions"], dependencies
    ).to_json()
    return out
