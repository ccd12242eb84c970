"""Pure analysis of rendered Kubernetes and Istio manifests.

Everything here works on plain mappings (the objects a render produces, or any YAML a user hands
``meshgw check``) and returns :class:`Diagnostic` values. :func:`analyze_manifests` runs every check;
:class:`MeshIndex` is the incremental registry the components check each object against. This layer
never imports Pulumi.
"""

from __future__ import annotations

from .admission import admission_diagnostics
from .diagnostics import Diagnostic, Level
from .engine import analyze_manifests
from .index import MeshIndex
from .schema import validate_manifest, validate_manifests

__all__ = [
    "Diagnostic",
    "Level",
    "MeshIndex",
    "admission_diagnostics",
    "analyze_manifests",
    "validate_manifest",
    "validate_manifests",
]
