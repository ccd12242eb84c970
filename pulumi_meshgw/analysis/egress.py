"""Consistency of egress-gateway objects: do the ServiceEntry, Gateway, DestinationRules and
VirtualService of each destination agree on ports, protocols, subsets, SNI and TLS?

An egress route is a VirtualService bound to ``mesh`` and to a Gateway. Its ``mesh`` rules send
traffic to the gateway's Service (a subset on a port); its gateway rules send it on to the external
host. Every one of these must line up, and nothing in Istio says so when they do not: the symptom is
a 503, a TLS handshake failure, or a request sent in plain text to a TLS port. The checks:

- MGW0301: the ServiceEntry of a host routed through a gateway resolves with ``DNS``; ``NONE`` makes
  the gateway forward to its own address and loop.
- MGW0302: each ``mesh`` rule's subset exists on a DestinationRule for the gateway Service.
- MGW0303: the subset's TLS for the port is ``ISTIO_MUTUAL`` and its ``sni`` is the routed host;
  the Gateway server on that port is ``ISTIO_MUTUAL`` and serves that SNI.
- MGW0304: ports and protocols agree: the ``mesh`` rule's port is a ServiceEntry port of the right
  protocol (HTTP for ``http`` rules, TLS for ``tls`` rules), the Gateway listens on the routed port
  with the matching protocol (HTTPS for HTTP inside mesh TLS, TLS for passthrough), and the gateway
  rule's destination port is a ServiceEntry port.
- MGW0305: every ``mesh`` rule has a gateway rule on the port it routes to, of the matching kind
  (``http`` for ``http``, ``tcp`` for ``tls``).
- MGW0306: TLS origination agrees with the external port: an HTTPS ServiceEntry port reached by an
  ``http`` gateway rule has a DestinationRule that originates TLS on it (otherwise the request goes
  out in plain text to a TLS port); a ``MUTUAL`` origination names its ``credentialName``; a TLS or
  HTTP port has no origination.

Pure: manifests in, :class:`Diagnostic` out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import show
from .diagnostics import Diagnostic, Level
from .hosts import fqdn, split_scoped_host

__all__ = ["check_egress_consistency"]

Manifest = Mapping[str, Any]
_Key = tuple[str, str, str]


def _key(obj: Manifest) -> _Key:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _err(key: _Key, code: str, path: str, message: str) -> Diagnostic:
    return Diagnostic(code, Level.ERROR, key[0], key[1], key[2], path, message)


def _spec(obj: Manifest) -> Mapping[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _istio(obj: Manifest, kind: str) -> bool:
    return obj.get("kind") == kind and str(obj.get("apiVersion", "")).startswith("networking.istio.io/")


class _Objects:
    """The objects indexed by what the checks look up."""

    def __init__(self, manifests: Iterable[Manifest]) -> None:
        self.gateways: dict[tuple[str, str], Manifest] = {}
        self.entries: dict[str, list[Manifest]] = defaultdict(list)  # host -> ServiceEntries
        self.rules: dict[str, list[Manifest]] = defaultdict(list)  # FQDN host -> DestinationRules
        self.routes: list[Manifest] = []
        for m in manifests:
            ns = _key(m)[1]
            spec = _spec(m)
            if _istio(m, "Gateway"):
                self.gateways[(ns, _key(m)[2])] = m
            elif _istio(m, "ServiceEntry"):
                for h in spec.get("hosts") or []:
                    self.entries[str(h)].append(m)
            elif _istio(m, "DestinationRule") and isinstance(spec.get("host"), str):
                self.rules[fqdn(spec["host"], ns)].append(m)
            elif _istio(m, "VirtualService"):
                self.routes.append(m)

    def entry_port(self, host: str, number: int) -> tuple[Manifest, Mapping[str, Any]] | None:
        for se in self.entries.get(host, []):
            for p in _spec(se).get("ports") or []:
                if p.get("number") == number:
                    return se, p
        return None

    def subset_tls(self, host: str, subset: str, port: int) -> tuple[bool, Mapping[str, Any] | None]:
        """(subset found, the TLS settings that apply to ``port`` in it)."""
        for dr in self.rules.get(host, []):
            for s in _spec(dr).get("subsets") or []:
                if s.get("name") != subset:
                    continue
                policy = s.get("trafficPolicy") or _spec(dr).get("trafficPolicy") or {}
                return True, _port_tls(policy, port)
        return False, None

    def origination(self, host: str, port: int) -> Mapping[str, Any] | None:
        for dr in self.rules.get(host, []):
            tls = _port_tls(_spec(dr).get("trafficPolicy") or {}, port)
            if tls is not None and tls.get("mode") in ("SIMPLE", "MUTUAL"):
                return tls
        return None


def _port_tls(policy: Mapping[str, Any], port: int) -> Mapping[str, Any] | None:
    for pl in policy.get("portLevelSettings") or []:
        if (pl.get("port") or {}).get("number") == port:
            return _mapping(pl.get("tls"))
    return _mapping(policy.get("tls"))


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _server(gw: Manifest, port: int, sni: str) -> Mapping[str, Any] | None:
    for srv in _spec(gw).get("servers") or []:
        if (srv.get("port") or {}).get("number") != port:
            continue
        names = [split_scoped_host(str(h))[1] for h in srv.get("hosts") or []]
        if sni in names or "*" in names:
            return _mapping(srv)
    return None


def _qualified(ref: str, namespace: str) -> str:
    return ref if "/" in ref else f"{namespace}/{ref}"


def _gateway_refs(vs: Manifest) -> list[tuple[str, str]]:
    ns = _key(vs)[1]
    out = []
    for ref in _spec(vs).get("gateways") or []:
        if ref == "mesh":
            continue
        gns, sep, name = str(ref).partition("/")
        out.append((gns, name) if sep else (ns, str(ref)))
    return out


def check_egress_consistency(manifests: Sequence[Manifest]) -> list[Diagnostic]:
    """Check that the egress objects among ``manifests`` agree with each other.

    Only VirtualServices bound to both ``mesh`` and a Gateway in ``manifests`` are egress routes;
    everything else is ignored, so the whole rendered mesh may be passed.

    Args:
        manifests: Rendered objects (any kinds).

    Returns:
        Error diagnostics, on the object where the disagreement shows; empty when consistent.
    """
    objs = _Objects(manifests)
    out: list[Diagnostic] = []
    for vs in objs.routes:
        spec = _spec(vs)
        if "mesh" not in (spec.get("gateways") or []):
            continue
        gateways = [(ref, objs.gateways[ref]) for ref in _gateway_refs(vs) if ref in objs.gateways]
        if not gateways:
            continue
        out.extend(_check_route(objs, vs, gateways))
    return out


def _rules(spec: Mapping[str, Any], block: str) -> list[tuple[int, Mapping[str, Any], Mapping[str, Any]]]:
    """(index, rule, its first match) of a route block."""
    out = []
    for i, rule in enumerate(spec.get(block) or []):
        for m in rule.get("match") or [{}]:
            out.append((i, rule, m))
    return out


def _check_route(
    objs: _Objects, vs: Manifest, gateways: list[tuple[tuple[str, str], Manifest]]
) -> list[Diagnostic]:
    key = _key(vs)
    spec = _spec(vs)
    hosts = [str(h) for h in spec.get("hosts") or []]
    out: list[Diagnostic] = []
    for host in hosts:
        for se in objs.entries.get(host, []):
            resolution = _spec(se).get("resolution")
            if resolution not in ("DNS", "DNS_ROUND_ROBIN"):
                out.append(
                    _err(
                        _key(se),
                        "MGW0301",
                        "spec.resolution",
                        f"resolution {show(resolution)} for {host}, which is routed through an egress "
                        f"gateway; "
                        "with NONE the gateway forwards to its own address and loops. Use DNS",
                    )
                )
    # Gateway rules, by (gateway ref, port): what each mesh rule must find on the other side.
    onward: dict[tuple[str, int], tuple[str, int, Mapping[str, Any]]] = {}
    for block in ("http", "tcp"):
        for i, rule, m in _rules(spec, block):
            for ref in m.get("gateways") or []:
                if ref != "mesh" and isinstance(m.get("port"), int):
                    onward[(_qualified(str(ref), key[1]), m["port"])] = (block, i, rule)
    for (gns, gname), gw in gateways:
        ref = f"{gns}/{gname}"
        for block, expected in (("http", "http"), ("tls", "tcp")):
            for i, rule, m in _rules(spec, block):
                if m.get("gateways") != ["mesh"]:
                    continue
                path = f"spec.{block}[{i}]"
                names = m.get("sniHosts") or hosts
                sni = str(names[0]) if names else ""
                mesh_port = m.get("port")
                entry = objs.entry_port(sni, mesh_port) if isinstance(mesh_port, int) else None
                want_proto = "HTTP" if block == "http" else "TLS"
                if entry is None or str(entry[1].get("protocol", "")).upper() != want_proto:
                    out.append(
                        _err(
                            key,
                            "MGW0304",
                            f"{path}.match",
                            f"port {mesh_port} of {sni} is not a {want_proto} port of its ServiceEntry, "
                            f"so sidecars never apply this {block} rule",
                        )
                    )
                for d, dest in enumerate(rule.get("route") or []):
                    out.extend(_check_hop(objs, key, f"{path}.route[{d}].destination", dest, gw, sni, block))
                    gw_port = ((dest.get("destination") or {}).get("port") or {}).get("number")
                    nxt = onward.get((ref, gw_port)) if isinstance(gw_port, int) else None
                    if nxt is None or nxt[0] != expected:
                        out.append(
                            _err(
                                key,
                                "MGW0305",
                                path,
                                f"traffic sent to gateway {ref} port {gw_port} has no {expected} rule "
                                f"matching gateways [{ref}] and port {gw_port} to take it on to {sni}",
                            )
                        )
                    else:
                        out.extend(_check_onward(objs, key, nxt, sni))
    return out


def _check_hop(
    objs: _Objects,
    key: _Key,
    path: str,
    dest: Mapping[str, Any],
    gw: Manifest,
    sni: str,
    block: str,
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    d = dest.get("destination") or {}
    host, subset = fqdn(str(d.get("host", "")), key[1]), d.get("subset")
    port = (d.get("port") or {}).get("number")
    if not isinstance(port, int):
        return [_err(key, "MGW0304", f"{path}.port", "the route to the gateway needs an explicit port")]
    if not subset:
        return [
            _err(
                key,
                "MGW0302",
                f"{path}.subset",
                "the route to the gateway has no subset, so no DestinationRule sets the ISTIO_MUTUAL "
                "hop and its SNI",
            )
        ]
    found, tls = objs.subset_tls(host, str(subset), port)
    if not found:
        out.append(
            _err(
                key, "MGW0302", f"{path}.subset", f"subset {show(subset)} of {host} is in no DestinationRule"
            )
        )
    elif tls is None or tls.get("mode") != "ISTIO_MUTUAL":
        mode = None if tls is None else tls.get("mode")
        out.append(
            _err(
                key,
                "MGW0303",
                f"{path}.subset",
                f"subset {show(subset)} of {host} uses TLS mode {show(mode)} on port {port}; the hop to "
                f"an egress "
                "gateway must be ISTIO_MUTUAL (gateways get no auto-mTLS)",
            )
        )
    elif tls.get("sni") != sni:
        out.append(
            _err(
                key,
                "MGW0303",
                f"{path}.subset",
                f"subset {show(subset)} of {host} sends SNI {show(tls.get('sni'))} on port {port}, but "
                f"the route "
                f"is for {show(sni)}; the gateway picks the server by SNI",
            )
        )
    srv = _server(gw, port, sni)
    gkey = _key(gw)
    want = "HTTPS" if block == "http" else "TLS"
    if srv is None:
        out.append(
            _err(
                gkey,
                "MGW0304",
                "spec.servers",
                f"no server on port {port} for {sni}, which {key[1]}/{key[2]} routes to this gateway",
            )
        )
    else:
        proto = str((srv.get("port") or {}).get("protocol", "")).upper()
        mode = (srv.get("tls") or {}).get("mode")
        if mode != "ISTIO_MUTUAL":
            out.append(
                _err(
                    gkey,
                    "MGW0303",
                    "spec.servers",
                    f"the server on port {port} for {sni} uses TLS mode {show(mode)}; egress gateway servers "
                    "terminate the mesh hop and must be ISTIO_MUTUAL",
                )
            )
        if proto != want:
            out.append(
                _err(
                    gkey,
                    "MGW0304",
                    "spec.servers",
                    f"the server on port {port} for {sni} is {proto}, but the route is a {block} rule; "
                    f"use {want}",
                )
            )
    return out


def _check_onward(
    objs: _Objects, key: _Key, rule: tuple[str, int, Mapping[str, Any]], host: str
) -> list[Diagnostic]:
    block, i, body = rule
    out: list[Diagnostic] = []
    for d, dest in enumerate(body.get("route") or []):
        path = f"spec.{block}[{i}].route[{d}].destination"
        dd = dest.get("destination") or {}
        port = (dd.get("port") or {}).get("number")
        dhost = str(dd.get("host", ""))
        entry = objs.entry_port(dhost, port) if isinstance(port, int) else None
        if entry is None or not isinstance(port, int):
            out.append(
                _err(
                    key,
                    "MGW0304",
                    f"{path}.port",
                    f"port {port} is not a port of the ServiceEntry of {dhost}",
                )
            )
            continue
        proto = str(entry[1].get("protocol", "")).upper()
        tls = objs.origination(dhost, port)
        if proto == "HTTPS" and block == "http" and tls is None:
            out.append(
                _err(
                    key,
                    "MGW0306",
                    path,
                    f"{dhost}:{port} is HTTPS but no DestinationRule originates TLS to it, so requests "
                    "would leave in plain text to a TLS port",
                )
            )
        elif proto != "HTTPS" and tls is not None:
            out.append(
                _err(
                    key,
                    "MGW0306",
                    path,
                    f"a DestinationRule originates TLS to {dhost}:{port}, whose ServiceEntry port is {proto}",
                )
            )
        elif tls is not None and tls.get("mode") == "MUTUAL" and not tls.get("credentialName"):
            out.append(
                _err(
                    key,
                    "MGW0306",
                    path,
                    f"MUTUAL origination to {dhost}:{port} names no credentialName; the gateway has no "
                    "client certificate to present",
                )
            )
        if proto == "TLS" and block != "tcp":
            out.append(
                _err(key, "MGW0304", path, f"{dhost}:{port} is TLS passthrough but reached by a {block} rule")
            )
        if dhost != host:
            out.append(
                _err(key, "MGW0304", f"{path}.host", f"the gateway rule sends {host} traffic to {dhost}")
            )
    return out
