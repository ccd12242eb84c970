"""The ``meshgw`` Pulumi package: the components served to every Pulumi language.

Pulumi's component provider host (``pulumi.provider.experimental``) serves the Python components
over gRPC and infers the package schema from their typed Args (:mod:`pulumi_meshgw.components.args`)
and output annotations. ``pulumi package add`` then generates a typed SDK for TypeScript, Go, C#,
Java or Python, and Pulumi YAML uses the types directly. See docs/package.md.

Package name ``meshgw``, version the Python package's, type tokens ``meshgw:index:<Component>``
(:data:`TOKENS`).
"""

from __future__ import annotations

from .components import COMPONENTS, PACKAGE, TOKENS, DestinationRule, VirtualService

__all__ = ["COMPONENTS", "PACKAGE", "TOKENS", "DestinationRule", "VirtualService"]
