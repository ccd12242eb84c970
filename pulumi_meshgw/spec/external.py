"""Objects that exist outside this program but that its objects refer to.

A route may bind a Gateway someone else manages, send traffic to a Service of another team, use a
subset of their DestinationRule, or a Gateway may name a TLS Secret made by another tool. Declaring
those objects lets the analysis check references against them instead of reporting each one as
missing (IST0101). Config key: an item of ``meshgw:external``; the same items are accepted by
``meshgw check --declare FILE`` and by :func:`pulumi_meshgw.declare_external`.

Every item names its ``kind``; the fields it takes depend on the kind:

- ``Gateway``: ``namespace``, ``name``, optional ``hosts`` (the server hosts it serves, as written in
  its servers; default: unknown, so every route host is accepted).
- ``Service``: ``host`` (FQDN, or a short name with ``namespace``), optional ``ports`` (default:
  unknown, so destination ports are not checked). Covers Kubernetes Services and ServiceEntry hosts.
- ``Secret``: ``namespace``, ``name``.
- ``Workload``: ``namespace``, ``name``, ``labels`` (pod labels), optional ``ports`` (the ports of
  its Service; default: unknown).
- ``DestinationRule``: ``host`` (and ``namespace`` for a short host), ``subsets`` (names).
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from ._base import SpecModel, dns_label, dns_subdomain
from .istio import validate_gateway_host, validate_route_host

__all__ = ["ExternalKind", "ExternalObject"]

ExternalKind = Literal["Gateway", "Service", "Secret", "Workload", "DestinationRule"]

_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required, optional)
    "Gateway": ({"namespace", "name"}, {"hosts"}),
    "Service": ({"host"}, {"namespace", "ports"}),
    "Secret": ({"namespace", "name"}, set()),
    "Workload": ({"namespace", "name", "labels"}, {"ports"}),
    "DestinationRule": ({"host", "subsets"}, {"namespace"}),
}


class ExternalObject(SpecModel):
    """One object this program does not manage but refers to. Config key: an item of
    ``meshgw:external``."""

    kind: ExternalKind
    """``Gateway``, ``Service``, ``Secret``, ``Workload`` or ``DestinationRule``."""
    namespace: str | None = None
    """The object's namespace (for ``Service`` and ``DestinationRule``: the namespace a short
    ``host`` resolves in)."""
    name: str | None = None
    """``Gateway``, ``Secret`` and ``Workload``: the object's name."""
    host: str | None = None
    """``Service`` and ``DestinationRule``: the host, e.g. ``reviews.bookinfo.svc.cluster.local``."""
    hosts: list[str] | None = None
    """``Gateway``: the hosts its servers serve (``[namespace/]dnsName``). Default: unknown, so any
    route host is taken as served."""
    ports: list[int] | None = None
    """``Service``: its port numbers; ``Workload``: the ports of the Service in front of it.
    Default: unknown, so ports are not checked."""
    labels: dict[str, str] | None = None
    """``Workload``: the pod labels Gateways select."""
    subsets: list[str] | None = None
    """``DestinationRule``: the subset names it defines."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "namespace")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else dns_subdomain(v, "name")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return None if v is None else validate_route_host(v)

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [validate_gateway_host(h) for h in v]

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: list[int] | None) -> list[int] | None:
        for p in v or []:
            if not 1 <= p <= 65535:
                raise ValueError(f"port {p} is not between 1 and 65535")
        return v

    @field_validator("subsets")
    @classmethod
    def _subsets(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [dns_label(s, "subset name") for s in v]

    @model_validator(mode="after")
    def _fields_for_kind(self) -> ExternalObject:
        required, optional = _FIELDS[self.kind]
        fields = ("namespace", "name", "host", "hosts", "ports", "labels", "subsets")
        present = {f for f in fields if getattr(self, f) is not None}
        missing = sorted(required - present)
        extra = sorted(present - required - optional)
        problems = []
        if missing:
            problems.append(f"kind {self.kind} needs {', '.join(missing)}")
        if extra:
            allowed = ", ".join(sorted(required | optional))
            problems.append(f"kind {self.kind} does not take {', '.join(extra)} (it takes {allowed})")
        if self.kind == "Workload" and self.labels is not None and not self.labels:
            problems.append("kind Workload needs at least one label, or no Gateway could select it")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def ref(self) -> str:
        """A short description for messages: ``Gateway istio-system/ingress``."""
        what = self.host if self.host is not None else f"{self.namespace}/{self.name}"
        return f"{self.kind} {what}"
