"""Authentication of a Gateway: JWT, external authorization, and mesh mTLS behind it.

- JWT: a RequestAuthentication ``<gateway>-jwt`` (one ``jwtRules`` entry per issuer) and a DENY
  AuthorizationPolicy ``<gateway>-jwt`` that refuses, on the named hosts and paths of this Gateway
  except ``excludePaths``, requests without a principal from the issuer
  (``notRequestPrincipals: ["<issuer>/*"]``), and requests whose token lacks a required claim value
  (``when: request.auth.claims[...]`` with ``notValues``; a token without the claim is refused
  too). A RequestAuthentication alone accepts requests that carry no token at all; this pair is
  Istio's documented way to require one. DENY rather than ALLOW, so that the policy does not cut
  the traffic of other Gateways (or other hosts) on the same pods.
- External authorization: an AuthorizationPolicy ``<gateway>-ext-authz`` with ``action: CUSTOM``
  and the named provider, for the named hosts and paths.
- Peer authentication: a namespace-wide PeerAuthentication ``default`` in each named namespace.

Every object lives in the workload's pod namespace and selects its pods (except the
PeerAuthentications, which live in the backends' namespaces).
"""

from __future__ import annotations

from typing import Any

from ..spec.resources import GatewaySpec
from ..spec.security import JwtRule
from ..spec.workload import WorkloadSpec
from ._meta import Manifest, standard_labels
from ._scope import gateway_scopes
from .authorization_policy import render_authorization_policy
from .peer_authentication import render_peer_authentication
from .request_authentication import render_request_authentication

__all__ = ["PEER_AUTHENTICATION_OWNER", "render_authentication", "render_peer_authentications"]

PEER_AUTHENTICATION_OWNER = "meshgw-mtls"
"""``app.kubernetes.io/name`` of the PeerAuthentications: one per namespace, shared by every
Gateway that names the namespace, so not named after any of them."""


def _jwt_rule(rule: JwtRule) -> dict[str, Any]:
    out: dict[str, Any] = {"issuer": rule.issuer}
    if rule.jwks_uri is not None:
        out["jwksUri"] = rule.jwks_uri
    if rule.jwks is not None:
        out["jwks"] = rule.jwks
    if rule.audiences:
        out["audiences"] = list(rule.audiences)
    if rule.from_headers is not None:
        out["fromHeaders"] = [h.dump() for h in rule.from_headers]
    if rule.from_params is not None:
        out["fromParams"] = list(rule.from_params)
    if rule.forward_original_token is not None:
        out["forwardOriginalToken"] = rule.forward_original_token
    return out


def _paths(paths: list[str], exclude: list[str]) -> dict[str, Any]:
    op: dict[str, Any] = {}
    if paths:
        op["paths"] = list(paths)
    if exclude:
        op["notPaths"] = list(exclude)
    return op


def render_authentication(spec: GatewaySpec, workload: WorkloadSpec) -> list[Manifest]:
    """The JWT and external-authorization objects of a Gateway, in apply order.

    Order: RequestAuthentication, then the JWT AuthorizationPolicy, then the CUSTOM policy. (The
    PeerAuthentications are :func:`render_peer_authentications`, since several Gateways may name
    the same namespace.)

    Returns:
        The objects, or ``[]`` without authentication options.
    """
    auth = spec.authentication
    if auth is None:
        return []
    ns, selector = workload.pod_namespace, workload.selector_labels
    labels = standard_labels(spec.name, "gateway-authentication", spec.labels)
    out: list[Manifest] = []
    if auth.jwt:
        name = f"{spec.name}-jwt"
        out.append(
            render_request_authentication(name, ns, selector, [_jwt_rule(r) for r in auth.jwt], labels=labels)
        )
        rules: list[dict[str, Any]] = []
        for r in auth.jwt:
            scopes = gateway_scopes(
                spec, r.hosts, http_only=True, skip_redirects=True, target_port=workload.target_port
            )
            op = _paths(r.paths, r.exclude_paths)
            for s in scopes:
                rules.append(
                    s.rule(from_=[{"source": {"notRequestPrincipals": [f"{r.issuer}/*"]}}], operation=op)
                )
            for c in r.claims:
                cond = {"key": c.key, "notValues": list(c.values)}
                rules.extend(s.rule(operation=op, when=[cond]) for s in scopes)
        out.append(render_authorization_policy(name, ns, selector, rules, action="DENY", labels=labels))
    if auth.ext_authz is not None:
        x = auth.ext_authz
        scopes = gateway_scopes(
            spec, x.hosts, http_only=True, skip_redirects=True, target_port=workload.target_port
        )
        op = _paths(x.paths, x.exclude_paths)
        policy = render_authorization_policy(
            f"{spec.name}-ext-authz",
            ns,
            selector,
            [s.rule(operation=op) for s in scopes],
            action="CUSTOM",
            labels=labels,
        )
        # The provider sits next to the action; the shared renderer does not model it.
        policy["spec"] = {**policy["spec"], "provider": {"name": x.provider}}
        policy["spec"] = dict(sorted(policy["spec"].items()))
        out.append(policy)
    return out


def render_peer_authentications(spec: GatewaySpec) -> list[Manifest]:
    """One namespace-wide PeerAuthentication ``default`` per namespace the Gateway names, sorted."""
    auth = spec.authentication
    pa = auth.peer_authentication if auth is not None else None
    if pa is None:
        return []
    labels = standard_labels(PEER_AUTHENTICATION_OWNER, "mesh-mtls")
    return [render_peer_authentication(ns, pa.mode, labels=labels) for ns in sorted(pa.namespaces)]
