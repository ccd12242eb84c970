"""Istio's webhook rules for a Telemetry.

From ``pkg/config/validation/validation_istiod.go`` (``validateTelemetryFilter``: the filter parses
as CEL) and ``pkg/config/validation/validation.go`` (``validateTelemetryTracing``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cel

from .._access import mapping, seq
from ..diagnostics import Level
from .common import Found

__all__ = ["validate_telemetry"]


def validate_telemetry(spec: Mapping[str, Any]) -> Found:
    """``validateTelemetryFilter`` (``validation_istiod.go``: the filter parses as CEL) and
    ``validateTelemetryTracing`` (no empty custom tag name)."""
    out: Found = []
    for i, logging in enumerate(seq(spec.get("accessLogging"))):
        expression = mapping(mapping(logging).get("filter")).get("expression")
        if "filter" in mapping(logging) and isinstance(expression, str | None):
            try:
                cel.compile(expression or "")
            except ValueError as err:
                out.append(
                    (
                        ("accessLogging", i, "filter", "expression"),
                        Level.ERROR,
                        f"must be a valid CEL expression: {err}",
                    )
                )
    for i, tracing in enumerate(seq(spec.get("tracing"))):
        if "" in mapping(mapping(tracing).get("customTags")):
            out.append((("tracing", i, "customTags"), Level.ERROR, "tag name may not be empty"))
    return out
