"""Pure analysis of rendered Kubernetes and Istio manifests.

Everything here works on plain mappings (the objects a render produces) and returns
:class:`Diagnostic` values. This layer never imports Pulumi.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, Level
from .schema import validate_manifest, validate_manifests

__all__ = ["Diagnostic", "Level", "validate_manifest", "validate_manifests"]
