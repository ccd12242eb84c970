"""Istio's webhook rules for an AuthorizationPolicy and a RequestAuthentication.

From ``pkg/config/validation/validation.go``: ``ValidateAuthorizationPolicy`` and
``validateJwtRule``; and ``ValidateAttribute`` and ``ValidatePorts``
(``pkg/config/security/security.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._access import mapping, seq, text
from ..diagnostics import Level
from .common import Found, Path, ip_or_cidr

__all__ = ["validate_authorization_policy", "validate_request_authentication"]


def validate_authorization_policy(spec: Mapping[str, Any]) -> Found:
    """``ValidateAuthorizationPolicy``: ``provider`` only with ``CUSTOM``; no empty source,
    operation or value; a condition with a key and values."""
    out: Found = []
    action = text(spec.get("action")) or "ALLOW"
    if "provider" in spec and action != "CUSTOM":
        out.append(
            (("provider",), Level.ERROR, f"`provider` must not be with non CUSTOM action, found {action}")
        )
    if action == "CUSTOM":
        if not text(mapping(spec.get("provider")).get("name")):
            out.append((("provider", "name"), Level.ERROR, "`provider.name` must not be empty"))
        for r, rule in enumerate(seq(spec.get("rules"))):
            for f, item in enumerate(seq(mapping(rule).get("from"))):
                for field in (
                    "principals",
                    "notPrincipals",
                    "requestPrincipals",
                    "notRequestPrincipals",
                    "namespaces",
                    "notNamespaces",
                    "serviceAccounts",
                    "notServiceAccounts",
                ):
                    if field in mapping(mapping(item).get("source")):
                        name = field[0].upper() + field[1:]
                        out.append(
                            (
                                ("rules", r, "from", f, "source", field),
                                Level.ERROR,
                                f"From.{name} is currently not supported with CUSTOM action",
                            )
                        )
    for r, rule in enumerate(seq(spec.get("rules"))):
        rule = mapping(rule)
        for f, item in enumerate(seq(rule.get("from"))):
            source = mapping(item).get("source")
            at: Path = ("rules", r, "from", f, "source")
            out.extend(_no_empty(at, source, "`from.source` must not be empty"))
            for field in ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"):
                for i, block in enumerate(seq(mapping(source).get(field))):
                    if isinstance(block, str) and block and not ip_or_cidr(block):
                        what = "CIDR range" if "/" in block else "IP address"
                        out.append(((*at, field, i), Level.ERROR, f"bad {what} ({block})"))
        for t, item in enumerate(seq(rule.get("to"))):
            operation = mapping(item).get("operation")
            at = ("rules", r, "to", t, "operation")
            out.extend(_no_empty(at, operation, "`to.operation` must not be empty"))
            for field in ("ports", "notPorts"):  # security.ValidatePorts
                for i, port in enumerate(seq(mapping(operation).get(field))):
                    if isinstance(port, str) and port and not (port.isdigit() and int(port) <= 65535):
                        out.append(((*at, field, i), Level.ERROR, f"bad port ({port})"))
        for w, cond in enumerate(seq(rule.get("when"))):
            cond = mapping(cond)
            at = ("rules", r, "when", w)
            key = text(cond.get("key"))
            if not key:
                out.append(((*at, "key"), Level.ERROR, "`key` must not be empty"))
                continue
            if not seq(cond.get("values")) and not seq(cond.get("notValues")):
                out.append(
                    (at, Level.ERROR, f"at least one of `values` or `notValues` must be set for key {key}")
                )
            for field in ("values", "notValues"):
                values = [v for v in seq(cond.get(field)) if isinstance(v, str)]
                problem = _attribute(key, values)
                if problem:
                    out.append(
                        ((*at, field), Level.ERROR, f"invalid `{field[:-1]}` for `key` {key}: {problem}")
                    )
    return out


_MAP_KEYS = ("request.headers", "request.auth.claims", "experimental.envoy.filters.")


_PLAIN_KEYS = frozenset(
    {
        "source.namespace",
        "source.principal",
        "source.trustDomain",
        "request.auth.principal",
        "request.auth.audiences",
        "request.auth.presenter",
        "connection.sni",
        "source.serviceAccount",
    }
)


def _attribute(key: str, values: list[str]) -> str | None:
    """``security.ValidateAttribute`` (``pkg/config/security/security.go``): the reason the
    condition's values are refused for ``key``, or None."""
    if "" in values:
        return f"empty value not allowed, found in {key}"
    if key.startswith(_MAP_KEYS):
        opened = key.find("[")
        return (
            None
            if key.endswith("]") and 0 < opened < len(key) - 2
            else f"bad key ({key}): should have format a[b]"
        )
    if key in ("source.ip", "remote.ip", "destination.ip"):
        bad = [v for v in values if not ip_or_cidr(v)]
        return f"bad IP address or CIDR range ({bad[0]})" if bad else None
    if key == "destination.port":
        bad = [v for v in values if not (v.isdigit() and int(v) <= 65535)]
        return f"bad port ({bad[0]})" if bad else None
    if key in _PLAIN_KEYS:
        return None
    if key == "destination.namespace":
        return f"attribute {key} is replaced by the metadata.namespace"
    if key.startswith("destination.labels"):
        return f"attribute {key} is replaced by the workload selector"
    if key in ("destination.name", "destination.user"):
        return f"deprecated attribute {key}: only supported in v1alpha1"
    return f"unknown attribute: {key}"


def _no_empty(at: Path, block: Any, empty: str) -> Found:
    if not isinstance(block, Mapping):
        return []
    if not any(seq(v) for v in block.values()):
        return [(at, Level.ERROR, empty)]
    return [
        ((*at, field, i), Level.ERROR, f"empty value not allowed, found in {field}")
        for field, values in block.items()
        for i, value in enumerate(seq(values))
        if value == ""
    ]


def validate_request_authentication(spec: Mapping[str, Any]) -> Found:
    """``validateJwtRule``: an issuer or a JWKS URI; no empty audience or header name."""
    out: Found = []
    for i, raw in enumerate(seq(spec.get("jwtRules"))):
        rule, at = mapping(raw), ("jwtRules", i)
        if not text(rule.get("issuer")) and not text(rule.get("jwksUri")):
            out.append((at, Level.ERROR, "issuer or jwksUri must be non-empty string"))
        for a, audience in enumerate(seq(rule.get("audiences"))):
            if audience == "":
                out.append(((*at, "audiences", a), Level.ERROR, "audience must be non-empty string"))
        for h, header in enumerate(seq(rule.get("fromHeaders"))):
            if not text(mapping(header).get("name")):
                out.append(
                    (
                        (*at, "fromHeaders", h, "name"),
                        Level.ERROR,
                        "location header name must be non-empty string",
                    )
                )
    return out
