"""What the ``meshgw`` package serves: the components, and component forms of the two routes.

``VirtualService`` and ``DestinationRule`` are custom resources in Python (one registration per
route, see the README); the package serves each as a component of the same name that holds the
custom resource, because a component package can only serve components. The objects they create
are the same.

This module does not use ``from __future__ import annotations``: the component provider host
reads the annotations as objects.
"""

from typing import Any

import pulumi

from ..components import EgressGateway, Gateway, GatewayWorkload, IngressGateway, Mesh, routes
from ..components.args import DestinationRuleArgs, VirtualServiceArgs

__all__ = ["COMPONENTS", "PACKAGE", "TOKENS", "DestinationRule", "VirtualService"]

PACKAGE = "meshgw"
"""The package name: the first part of every type token, and the name ``pulumi package add``
gives the generated SDKs."""


def _metadata(resource: pulumi.CustomResource) -> pulumi.Output[Any]:
    metadata: pulumi.Output[Any] = getattr(resource, "metadata")  # noqa: B009 (untyped output)
    return metadata


def _ref(metadata: Any) -> str:
    return f"{metadata['namespace']}/{metadata['name']}"


class VirtualService(pulumi.ComponentResource):
    """An Istio VirtualService bound to Gateways declared in the same program (the
    ``VirtualService`` custom resource of the Python API, as a component). Checks and errors are
    those of the Python API (docs/checks.md)."""

    ref: pulumi.Output[str]
    """The VirtualService's ``namespace/name``."""

    def __init__(
        self, name: str, args: VirtualServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:index:VirtualService", name, None, opts)
        self.resource = routes.VirtualService(name, args, pulumi.ResourceOptions(parent=self))
        self.ref = _metadata(self.resource).apply(_ref)
        self.register_outputs({"ref": self.ref})


class DestinationRule(pulumi.ComponentResource):
    """An Istio DestinationRule: subsets and traffic policy for one host (the ``DestinationRule``
    custom resource of the Python API, as a component)."""

    ref: pulumi.Output[str]
    """The DestinationRule's ``namespace/name``."""

    def __init__(
        self, name: str, args: DestinationRuleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:index:DestinationRule", name, None, opts)
        self.resource = routes.DestinationRule(name, args, pulumi.ResourceOptions(parent=self))
        self.ref = _metadata(self.resource).apply(_ref)
        self.register_outputs({"ref": self.ref})


COMPONENTS: list[type[pulumi.ComponentResource]] = [
    GatewayWorkload,
    Gateway,
    IngressGateway,
    VirtualService,
    DestinationRule,
    EgressGateway,
    Mesh,
]
"""The components the package serves, in schema order."""

TOKENS: dict[str, str] = {c.__name__: f"{PACKAGE}:index:{c.__name__}" for c in COMPONENTS}
"""``{component: type token}``. The tokens are stable: a program's URNs contain them, and the
Python components register under the same ones (``Gateway.TYPE``)."""
