"""The finding type every analysis in :mod:`pulumi_meshgw.analysis` reports.

A :class:`Diagnostic` names one problem in one rendered Kubernetes object: which object (kind,
namespace, name), where in it (a dotted path such as ``spec.servers[0].port.number``), how bad it is
and what is wrong. Codes follow ``istioctl analyze`` (``IST0106``) where Istio has a code for the
problem, and are ``MGW``-prefixed otherwise.

This module is pure: it does not import Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..errors import problem_line

__all__ = ["Diagnostic", "Level"]


class Level(str, Enum):
    """How serious a diagnostic is (the levels ``istioctl analyze`` uses)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in one rendered object.

    Attributes:
        code: ``IST`` code where Istio has one (``IST0106`` is SchemaValidationError), else ``MGW``.
        level: How serious it is.
        kind: The object's kind, e.g. ``Gateway`` (empty if the object has none).
        namespace: The object's ``metadata.namespace`` (empty if unset or cluster-scoped).
        name: The object's ``metadata.name`` (empty if unset).
        path: Where in the object, e.g. ``spec.servers[0].port.number``; empty for the whole object.
        message: What is wrong, naming the offending value and what was expected.
    """

    code: str
    level: Level
    kind: str
    namespace: str
    name: str
    path: str
    message: str

    @property
    def object_ref(self) -> str:
        """``namespace/name``, or just ``name`` when there is no namespace."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-ready mapping with the level as its string value."""
        return {
            "code": self.code,
            "level": self.level.value,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        """Render as one terminal line.

        Example: ``error: Gateway istio-ingress/public spec.servers[0].port.number: ... [IST0106]``,
        the form of every message (:func:`pulumi_meshgw.errors.problem_line`).
        """
        subject = " ".join(part for part in (self.kind, self.object_ref) if part) or "<unnamed object>"
        where = f" {self.path}" if self.path else ""
        return problem_line(self.level.value, f"{subject}{where}", self.message, self.code)
