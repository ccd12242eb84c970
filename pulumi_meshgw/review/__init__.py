"""Reviewing a mesh change: what it does for traffic, compared route by route (``meshgw diff``),
and the same analysis as ``meshgw check`` over a Pulumi stack's resources (the policy pack).

Pure: no Pulumi imports. :func:`mesh_view` reads manifests, :func:`diff_views` compares two views,
:func:`format_diff` prints the result as text, Markdown or JSON.
"""

from __future__ import annotations

from .diff import Change, Flag, MeshDiff, diff_views
from .model import MeshView, mesh_view
from .report import DiffFormat, format_diff

__all__ = ["Change", "DiffFormat", "Flag", "MeshDiff", "MeshView", "diff_views", "format_diff", "mesh_view"]
