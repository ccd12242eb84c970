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
from ._access import mapping
from .diagnostics import Diagnostic, Level
from .hosts import fqdn, service_of, split_scoped_host
from .rule_lookup import ROOT_NAMESPACE, RuleIndex, RuleInfo, visible

__all__ = ["check_egress_consistency"]

Manifest = Mapping[str, Any]
_Key = tuple[str, str, str]
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


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
        self.rules = RuleIndex()  # DestinationRules, for the lookup path of each proxy
        self.routes: list[Manifest] = []
        self.pods: list[tuple[str, Mapping[str, Any]]] = []  # (namespace, pod labels)
        for m in manifests:
            ns = _key(m)[1]
            spec = _spec(m)
            if _istio(m, "Gateway"):
                self.gateways[(ns, _key(m)[2])] = m
            elif _istio(m, "ServiceEntry"):
                for h in spec.get("hosts") or []:
                    self.entries[str(h)].append(m)
            elif _istio(m, "DestinationRule"):
                self.rules.add(m)
            elif _istio(m, "VirtualService"):
                self.routes.append(m)
            elif m.get("kind") == "Pod":
                self.pods.append((ns, mapping(mapping(m.get("metadata")).get("labels"))))
            elif m.get("kind") in _WORKLOADS:
                template = mapping(mapping(spec.get("template")).get("metadata"))
                self.pods.append((ns, mapping(template.get("labels"))))

    def rule(self, host: str, client: str, pod: Mapping[str, str] | None = None) -> RuleInfo | None:
        """The DestinationRule proxies in ``client`` (with pod labels ``pod``, when known) use for
        ``host`` (:mod:`.rule_lookup`)."""
        svc = service_of(host)
        homes = [svc[1]] if svc is not None else []
        homes += [_key(se)[1] for se in self.entries.get(host, [])]
        return self.rules.lookup(host, client, homes, pod)

    def gateway_pods(self, gw: Manifest) -> tuple[str, dict[str, str]]:
        """Where the gateway's pods run and their labels (what its proxies look rules up with):
        the first workload its selector picks, else the Gateway's namespace and selector."""
        selector = {str(k): str(v) for k, v in mapping(_spec(gw).get("selector")).items()}
        found = sorted(
            (ns, sorted(pod.items()))
            for ns, pod in self.pods
            if selector and all(pod.get(k) == v for k, v in selector.items())
        )
        if found:
            return found[0][0], {str(k): str(v) for k, v in found[0][1]}
        return _key(gw)[1], selector

    def entry_port(self, host: str, number: int) -> tuple[Manifest, Mapping[str, Any]] | None:
        for se in self.entries.get(host, []):
            for p in _spec(se).get("ports") or []:
                if p.get("number") == number:
                    return se, p
        return None

    def subset_tls(
        self, host: str, subset: str, port: int, client: str
    ) -> tuple[RuleInfo | None, bool, Mapping[str, Any] | None]:
        """(the rule proxies in ``client`` use for ``host``, whether it defines ``subset``, the TLS
        settings that apply to ``port`` in it)."""
        rule = self.rule(host, client)
        body = rule.subset_specs.get(subset) if rule is not None else None
        if rule is None or body is None:
            return rule, False, None
        policy = mapping(body.get("trafficPolicy")) or mapping(rule.spec.get("trafficPolicy"))
        return rule, True, _port_tls(policy, port)

    def origination(
        self, host: str, port: int, client: tuple[str, dict[str, str]]
    ) -> tuple[RuleInfo | None, Mapping[str, Any] | None]:
        """(the rule the gateway pods ``client`` (namespace, labels) use for ``host``, its TLS
        origination on ``port``)."""
        rule = self.rule(host, *client)
        if rule is None:
            return None, None
        tls = _port_tls(mapping(rule.spec.get("trafficPolicy")), port)
        return rule, tls if tls is not None and tls.get("mode") in ("SIMPLE", "MUTUAL") else None

    def elsewhere(self, host: str, rule: RuleInfo | None) -> str:
        """`` (it shadows ...)`` naming the other rules for ``host`` that a proxy does not use."""
        others = sorted(
            f"{k[1]}/{k[2]}"
            for r in self.rules.all_for(host)
            for k in r.merged
            if rule is None or k not in rule.merged
        )
        if not others:
            return ""
        used = "no DestinationRule" if rule is None else f"DestinationRule {rule.key[1]}/{rule.key[2]}"
        return (
            f" (the proxies there use {used}, not {', '.join(others)}: a proxy takes its rule from its own "
            f"namespace, then the host's, then {ROOT_NAMESPACE}, where exported to it, and never merges them)"
        )


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
    # The sidecars that apply the mesh rules: the route's namespace and those it is exported to.
    exported = visible(spec.get("exportTo"), key[1])
    clients = [key[1], *sorted((exported or set()) - {key[1], "*"})]
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
                    out.extend(
                        _check_hop(objs, key, f"{path}.route[{d}].destination", dest, gw, sni, block, clients)
                    )
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
                        out.extend(_check_onward(objs, key, nxt, sni, objs.gateway_pods(gw)))
    return out


def _check_hop(
    objs: _Objects,
    key: _Key,
    path: str,
    dest: Mapping[str, Any],
    gw: Manifest,
    sni: str,
    block: str,
    clients: list[str],
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
    # Each client namespace's view of the rules; the first that gets the hop wrong is reported.
    views = [(c, *objs.subset_tls(host, str(subset), port, c)) for c in clients]
    client, rule, found, tls = next((v for v in views if not _hop_ok(v[2], v[3], sni)), views[0])
    shadow = objs.elsewhere(host, rule)
    if not found:
        out.append(
            _err(
                key,
                "MGW0302",
                f"{path}.subset",
                f"subset {show(subset)} of {host} is in no DestinationRule that proxies in namespace "
                f"{client} use{shadow}",
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
                f"an egress gateway must be ISTIO_MUTUAL (gateways get no auto-mTLS){shadow}",
            )
        )
    elif tls.get("sni") != sni:
        out.append(
            _err(
                key,
                "MGW0303",
                f"{path}.subset",
                f"subset {show(subset)} of {host} sends SNI {show(tls.get('sni'))} on port {port}, but "
                f"the route is for {show(sni)}; the gateway picks the server by SNI{shadow}",
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


def _hop_ok(found: bool, tls: Mapping[str, Any] | None, sni: str) -> bool:
    return found and tls is not None and tls.get("mode") == "ISTIO_MUTUAL" and tls.get("sni") == sni


def _check_onward(
    objs: _Objects,
    key: _Key,
    rule: tuple[str, int, Mapping[str, Any]],
    host: str,
    client: tuple[str, dict[str, str]],
) -> list[Diagnostic]:
    """The gateway rule's hop to the external host, as the gateway's proxies (in ``client``) see
    it: their DestinationRule for the host decides the TLS origination."""
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
        used, tls = objs.origination(fqdn(dhost, key[1]), port, client)
        shadow = objs.elsewhere(fqdn(dhost, key[1]), used)
        if proto == "HTTPS" and block == "http" and tls is None:
            out.append(
                _err(
                    key,
                    "MGW0306",
                    path,
                    f"{dhost}:{port} is HTTPS but no DestinationRule that the gateway's proxies (namespace "
                    f"{client[0]}) use originates TLS to it, so requests would leave in plain text to a TLS "
                    f"port{shadow}",
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
