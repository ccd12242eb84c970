"""VirtualService analyzers: each route against its gateways, hosts and destinations.

After Istio's ``pkg/config/analysis/analyzers/virtualservice/`` (``gateways.go``: gateway missing,
IST0101, and no host of the route in a bound Gateway, IST0132; ``destinationhosts.go``:
destination host and port, IST0101 and IST0112; ``destinationrules.go``: subset undefined,
IST0101; ``conflictingmeshgatewayhosts.go``: one host routed twice for the mesh, IST0109). Our
own: MGW0132 (exportTo hides the route from its gateway), MGW0134 (a host of the route that no
bound gateway serves, beside hosts that are served), MGW0205 (route lists the bound servers never
use), MGW0202 (ServiceEntry visible where the egress route is not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...spec.istio import weight_split
from .._access import Key, Manifest, integer, key_of, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..hosts import CLUSTER_DOMAIN, fqdn
from ..index import (
    GATEWAY_API_GROUP,
    ISTIO_NETWORKING_GROUP,
    ROOT_NAMESPACE,
    GatewayInfo,
    MeshIndex,
    NsName,
    ServerInfo,
    gateway_ref,
    visible,
)
from ._base import Analyzer
from ._base import diag as _diag


def _check_virtual_service(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    key = key_of(obj)
    ns = key[1]
    spec = mapping(obj.get("spec"))
    out: list[Diagnostic] = []
    gateways = spec.get("gateways")
    refs = [r for r in seq(gateways) if isinstance(r, str)] if gateways is not None else ["mesh"]
    hosts = [h for h in seq(spec.get("hosts")) if isinstance(h, str)]
    export_to = spec.get("exportTo")
    bound: list[GatewayInfo] = []
    mesh_bound = "mesh" in refs
    for i, ref in enumerate(refs):
        if ref == "mesh":
            continue
        gns, gname = gateway_ref(ref, ns)
        gw = index.gateways.get((gns, gname))
        if gw is None:
            others = sorted(index.gateway_names.get(gname, set()))
            hint = (
                f"; did you mean {', '.join(f'{o}/{gname}' for o in others)}?"
                if others
                else "; declare the Gateway before the routes that bind to it, or declare it as "
                "an external Gateway"
            )
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR,
                    f"spec.gateways[{i}]",
                    f"gateway {gns}/{gname} does not exist in this program{hint}",
                )
            )
            # Istio's GatewayAnalyzer (analyzers/virtualservice/gateways.go, analyzeVirtualService)
            # also finds none of the hosts in a Gateway that does not exist: IST0132 beside IST0101.
            out.append(
                _diag(
                    key,
                    "IST0132",
                    Level.WARNING,
                    f"spec.gateways[{i}]",
                    f"no host of this route ({', '.join(hosts)}) can be served by gateway {gns}/{gname}, "
                    "which does not exist",
                )
            )
            continue
        bound.append(gw)
        if not any(_serves(index, gw, ns, h) for h in hosts):
            out.append(_host_not_in_gateway(key, i, hosts, gw, Level.WARNING if mesh_bound else Level.ERROR))
        if export_to is not None and not _exported(seq(export_to), ns, gw.namespace):
            out.append(
                _diag(
                    key,
                    "MGW0132",
                    Level.ERROR,
                    "spec.exportTo",
                    f"exportTo {list(seq(export_to))} hides this route from gateway {gw.ref}; add "
                    f"{gw.namespace!r} or '*' to exportTo",
                )
            )
    served = [any(_serves(index, gw, ns, h) for gw in bound) for h in hosts]
    for i, host in enumerate(hosts):
        if bound and any(served) and not served[i]:
            # Istio's IST0132 asks only whether some host of the route is in each Gateway; a host
            # no bound Gateway serves, beside hosts that are served, is ours (docs/checks.md).
            names = ", ".join(g.ref for g in bound)
            out.append(
                _diag(
                    key,
                    "MGW0134",
                    Level.WARNING if mesh_bound else Level.ERROR,
                    f"spec.hosts[{i}]",
                    f"host {host!r} is not served by the bound gateway(s) {names} (they serve "
                    f"{_served_hosts(bound)}), so requests for it get a 404; add it to a server's "
                    "hosts or bind a Gateway that serves it",
                )
            )
        if mesh_bound:
            out.extend(_check_mesh_host(index, key, i, host, visible(export_to, ns)))
    out.extend(_check_route_kinds(index, key, spec, ns, hosts, bound))
    out.extend(_check_matches(key, spec, refs, bound))
    out.extend(_check_unrouted_servers(index, key, spec, hosts, bound))
    if mesh_bound and bound:
        out.extend(_check_egress_visibility(index, key, hosts, export_to, bound))
    out.extend(_check_destinations(index, key, spec, refs))
    out.extend(_check_weights(key, spec))
    return out


def _served_hosts(gateways: list[GatewayInfo]) -> str:
    """The hosts ``gateways`` serve, for a message: the first five and how many more."""
    served = sorted({h for g in gateways for s in g.servers for _, h in s.hosts})
    return ", ".join(served[:5]) + (f" and {len(served) - 5} more" if len(served) > 5 else "")


def _host_not_in_gateway(key: Key, i: int, hosts: list[str], gw: GatewayInfo, level: Level) -> Diagnostic:
    """IST0132 as Istio's GatewayAnalyzer reports it (``analyzers/virtualservice/gateways.go``,
    ``vsHostInGateway``): for the ``i``-th gateway of the route, no host of the route matches a
    host of that Gateway's servers (their ``ns/`` parts read for the route's namespace)."""
    return _diag(
        key,
        "IST0132",
        level,
        f"spec.gateways[{i}]",
        f"no host of this route ({', '.join(hosts) or 'none'}) is served by gateway {gw.ref} (it serves "
        f"{_served_hosts([gw])}), so requests for them get a 404 there; add them to a server's "
        "hosts or bind a Gateway that serves them",
    )


def _match_gateways(match: Mapping[str, Any], ns: str) -> set[NsName | str] | None:
    """The gateways a match is limited to (``mesh`` kept as is), or None when it names none."""
    names = [g for g in seq(match.get("gateways")) if isinstance(g, str)]
    if not names:
        return None
    return {g if g == "mesh" else gateway_ref(g, ns) for g in names}


def _check_matches(
    key: Key, spec: Mapping[str, Any], refs: list[str], bound: list[GatewayInfo]
) -> list[Diagnostic]:
    """MGW0207: match conditions that no bound server can meet, so the rule never applies. A
    route only attaches to the gateways of ``spec.gateways``, and a match applies on a server when
    its ``gateways`` include the server's Gateway and its ``port`` is the server's port
    (``pilot/pkg/networking/core/route/route.go``, ``sourceMatchHTTP``, and the listener port)."""
    ns = key[1]
    attached: set[NsName | str] = {r if r == "mesh" else gateway_ref(r, ns) for r in refs}
    by_ref = {(g.namespace, g.name): g for g in bound}
    out: list[Diagnostic] = []
    for block in ("http", "tcp", "tls"):
        for r, rule in enumerate(seq(spec.get(block))):
            for m, raw in enumerate(seq(mapping(rule).get("match"))):
                match = mapping(raw)
                path = f"spec.{block}[{r}].match[{m}]"
                limited = _match_gateways(match, ns)
                for g, name in enumerate(seq(match.get("gateways"))):
                    target = name if name == "mesh" else gateway_ref(str(name), ns)
                    if target not in attached:
                        out.append(
                            _diag(
                                key,
                                "MGW0207",
                                Level.WARNING,
                                f"{path}.gateways[{g}]",
                                f"gateway {name!r} is not in spec.gateways, and a route only attaches to "
                                "the gateways listed there, so this condition never holds; add it to "
                                "spec.gateways or remove it",
                            )
                        )
                port = match.get("port")
                scope = attached if limited is None else limited & attached
                if not isinstance(port, int) or "mesh" in scope:
                    continue
                gateways = [by_ref[s] for s in scope if isinstance(s, tuple) and s in by_ref]
                if not gateways or any(not g.hosts_known or g.external for g in gateways):
                    continue
                numbers = sorted({s.number for g in gateways for s in g.servers if s.number is not None})
                if port not in numbers:
                    out.append(
                        _diag(
                            key,
                            "MGW0207",
                            Level.WARNING,
                            f"{path}.port",
                            f"port {port} is not a port of any server of "
                            f"{', '.join(g.ref for g in gateways)} (ports: "
                            f"{', '.join(map(str, numbers)) or 'none'}), so this match never applies; use "
                            "one of those ports or remove the condition",
                        )
                    )
    return out


def _applies(rule: Mapping[str, Any], gw: GatewayInfo, srv: ServerInfo, ns: str) -> bool:
    """Whether an http rule can match requests arriving on ``srv`` of ``gw``."""
    matches = [mapping(m) for m in seq(rule.get("match"))]
    if not matches:
        return True
    for match in matches:
        limited = _match_gateways(match, ns)
        if limited is not None and (gw.namespace, gw.name) not in limited:
            continue
        port = match.get("port")
        if isinstance(port, int) and port != srv.number:
            continue
        return True
    return False


def _check_unrouted_servers(
    index: MeshIndex, key: Key, spec: Mapping[str, Any], hosts: list[str], bound: list[GatewayInfo]
) -> list[Diagnostic]:
    """MGW0206: a bound HTTP server serves one of the route's hosts, but none of its http rules can
    apply there (each matches another port or gateway). Envoy then has no route for the host on
    that server and answers 404; on an ``httpsRedirect`` server the redirect is never sent either
    (https://github.com/istio/istio/issues/34609)."""
    rules = [mapping(r) for r in seq(spec.get("http"))]
    if not rules:
        return []
    ns = key[1]
    out: list[Diagnostic] = []
    for gw in bound:
        if gw.external or not gw.hosts_known:
            continue
        for srv in gw.servers:
            if srv.route_block != "http" and not srv.https_redirect:
                continue
            served = [h for h in hosts if _served_on(gw, srv, ns, h)]
            if not served or any(_applies(r, gw, srv, ns) for r in rules):
                continue
            if _routed_elsewhere(index, key, gw, srv, served):
                continue
            effect = (
                "plain-HTTP requests get a 404 instead of the redirect to HTTPS"
                if srv.https_redirect
                else "requests get a 404"
            )
            out.append(
                _diag(
                    key,
                    "MGW0206",
                    Level.ERROR,
                    "spec.http",
                    f"host {served[0]!r} is served by {gw.ref} servers[{srv.index}] (port {srv.number}), "
                    f"but every http rule of this route matches another port or gateway, so Envoy has no "
                    f"route for it there and {effect}. Add a rule without a port match (or one matching "
                    f"port {srv.number})",
                )
            )
    return out


def _routed_elsewhere(index: MeshIndex, key: Key, gw: GatewayInfo, srv: ServerInfo, hosts: list[str]) -> bool:
    """Whether another VirtualService bound to ``gw`` has a rule for one of ``hosts`` that applies
    on ``srv``: a gateway merges the routes of every VirtualService for a host."""
    for host in hosts:
        for _, other in index.route_hosts.intersecting(host):
            other_key = key_of(other)
            if other_key == key:
                continue
            spec = mapping(other.get("spec"))
            refs = [r for r in seq(spec.get("gateways")) if isinstance(r, str)]
            if (gw.namespace, gw.name) not in {gateway_ref(r, other_key[1]) for r in refs if r != "mesh"}:
                continue
            if any(_applies(mapping(r), gw, srv, other_key[1]) for r in seq(spec.get("http"))):
                return True
    return False


def _served_on(gw: GatewayInfo, srv: ServerInfo, vs_ns: str, host: str) -> bool:
    for _, (hns, s) in gw.served.intersecting(host):
        if s is srv and (hns in ("*", vs_ns) or (hns == "." and vs_ns == gw.namespace)):
            return True
    return False


def _check_mesh_host(
    index: MeshIndex, key: Key, i: int, host: str, scope: set[str] | None
) -> list[Diagnostic]:
    """IST0109 (``analyzers/virtualservice/conflictingmeshgatewayhosts.go``): two VirtualServices
    bound to ``mesh`` route one host in a namespace where both are visible (their ``exportTo``
    overlap, or one is exported everywhere). Istio reports it on every VirtualService involved."""
    full = fqdn(host, key[1])
    claims = index.mesh_hosts.setdefault(full, [])
    out: list[Diagnostic] = []
    for prev, prev_scope in claims:
        if prev == key or not (scope is None or prev_scope is None or scope & prev_scope):
            continue
        for subject, other in ((key, prev), (prev, key)):
            out.append(
                _diag(
                    subject,
                    "IST0109",
                    Level.ERROR,
                    "spec.hosts" if subject == prev else f"spec.hosts[{i}]",
                    f"host {full!r} is routed for the mesh by both VirtualService {subject[1]}/{subject[2]} "
                    f"and {other[1]}/{other[2]}; sidecars merge them unpredictably. Put both in one "
                    "VirtualService",
                )
            )
        break
    if (key, scope) not in claims:
        claims.append((key, scope))
    return out


def _check_weights(key: Key, spec: Mapping[str, Any]) -> list[Diagnostic]:
    """MGW0108: weights over several destinations that do not sum to 100. Istio accepts them (only
    a total of 0 is rejected, ``pkg/config/validation/validation.go``) and Envoy divides by the
    total; the finding says what split results."""
    out: list[Diagnostic] = []
    for block in ("http", "tcp", "tls"):
        for r, rule in enumerate(seq(spec.get(block))):
            dests = seq(mapping(rule).get("route"))
            split = weight_split([integer(mapping(d).get("weight")) for d in dests])
            if split is not None:
                out.append(_diag(key, "MGW0108", Level.WARNING, f"spec.{block}[{r}]", split))
    return out


def _serves(index: MeshIndex, gw: GatewayInfo, vs_ns: str, host: str) -> bool:
    if not gw.hosts_known:
        return True
    for _, (hns, _srv) in gw.served.intersecting(host):
        if hns in ("*", vs_ns) or (hns == "." and vs_ns == gw.namespace):
            return True
    return False


def _check_route_kinds(
    index: MeshIndex, key: Key, spec: Mapping[str, Any], ns: str, hosts: list[str], bound: list[GatewayInfo]
) -> list[Diagnostic]:
    """MGW0205: the route lists this VirtualService has are none of those its servers use."""
    blocks = [b for b in ("http", "tls", "tcp") if seq(spec.get(b))]
    if not blocks or not bound:
        return []
    needed: dict[str, tuple[GatewayInfo, ServerInfo]] = {}
    for host in hosts:
        for gw in bound:
            for _, (hns, srv) in gw.served.intersecting(host):
                if not (hns in ("*", ns) or (hns == "." and ns == gw.namespace)):
                    continue
                block = srv.route_block
                if block is not None:
                    needed.setdefault(block, (gw, srv))
    if not needed or needed.keys() & set(blocks):
        return []
    parts = []
    for block, (gw, srv) in sorted(needed.items()):
        mode = (
            f" {srv.tls_mode or 'PASSTHROUGH (mode omitted)'}" if srv.has_tls or srv.protocol == "TLS" else ""
        )
        parts.append(
            f"{gw.ref} servers[{srv.index}] ({srv.protocol}{mode} on port {srv.number}) uses {block}"
        )
    want = " or ".join(sorted(needed))
    return [
        _diag(
            key,
            "MGW0205",
            Level.ERROR,
            f"spec.{blocks[0]}",
            f"this VirtualService only has {', '.join(blocks)} routes, which the servers it binds "
            f"never apply: {'; '.join(parts)}. Requests for its hosts find no route; write the "
            f"routes as {want} (TLS passthrough is routed by tls with sniHosts, terminated TLS by "
            "tcp, HTTP and terminated HTTPS by http)",
        )
    ]


def _check_egress_visibility(
    index: MeshIndex, key: Key, hosts: list[str], export_to: Any, bound: list[GatewayInfo]
) -> list[Diagnostic]:
    """MGW0202: a ServiceEntry shows an egress host to namespaces the egress route does not."""
    route_ns = visible(export_to, key[1])
    if route_ns is None:
        return []
    out: list[Diagnostic] = []
    via = ", ".join(g.ref for g in bound)
    for host in hosts:
        for se in index.entries.get(host, []):
            se_key = key_of(se)
            seen = visible(mapping(se.get("spec")).get("exportTo"), se_key[1])
            extra = "all namespaces" if seen is None else ", ".join(sorted(seen - route_ns))
            if seen is not None and not seen - route_ns:
                continue
            out.append(
                _diag(
                    se_key,
                    "MGW0202",
                    Level.WARNING,
                    "spec.exportTo",
                    f"this ServiceEntry makes {host!r} known in {extra}, but the egress route "
                    f"VirtualService {key[1]}/{key[2]} (through gateway {via}) is only exported to "
                    f"{', '.join(sorted(route_ns)) or 'no namespace'}; sidecars elsewhere send {host} "
                    "straight out and bypass the egress gateway. Give the ServiceEntry the route's "
                    "exportTo",
                )
            )
    return out


def _check_destinations(
    index: MeshIndex, key: Key, spec: Mapping[str, Any], refs: list[str]
) -> list[Diagnostic]:
    export_to = spec.get("exportTo")
    out: list[Diagnostic] = []
    for block in ("http", "tcp", "tls"):
        for r, raw_rule in enumerate(seq(spec.get(block))):
            rule = mapping(raw_rule)
            clients = _clients(index, key[1], _rule_refs(rule, refs, key[1]), export_to)
            dests = [
                (f"spec.{block}[{r}].route[{d}].destination", mapping(mapping(x).get("destination")))
                for d, x in enumerate(seq(rule.get("route")))
            ]
            if block == "http":
                if isinstance(rule.get("mirror"), Mapping):
                    dests.append((f"spec.{block}[{r}].mirror", rule["mirror"]))
                for m, mirror in enumerate(seq(rule.get("mirrors"))):
                    dest = mapping(mapping(mirror).get("destination"))
                    dests.append((f"spec.{block}[{r}].mirrors[{m}].destination", dest))
            for path, dest in dests:
                out.extend(_check_destination(index, key, path, dest, export_to, clients))
    return out


def _did_you_mean(index: MeshIndex, host: str, ns: str) -> str:
    """Services the unresolved ``host`` was probably meant to name: a short name written in the
    wrong namespace, or ``name.namespace`` without ``.svc.cluster.local``."""
    name, dot, rest = host.partition(".")
    if not dot:
        places = sorted(index.service_namespaces.get(name, set()) - {ns})
    elif "." not in rest and rest in index.service_namespaces.get(name, set()):
        places = [rest]
    else:
        return ""
    return (
        "; did you mean " + " or ".join(f"{name}.{p}.svc.{CLUSTER_DOMAIN}" for p in places) if places else ""
    )


def _check_subset_path(
    index: MeshIndex, key: Key, path: str, host: str, full: str, subset: str, clients: list[str]
) -> list[Diagnostic]:
    """MGW0133: the subset is defined, but not in the DestinationRule that the calling proxies
    use (:meth:`MeshIndex.rule_for`: client namespace, then host namespace, then root namespace,
    never merged), so requests to it fail with 503 there. Istio's own analyzer
    (``analyzers/virtualservice/destinationrules.go``) looks for the subset in any rule."""
    out: list[Diagnostic] = []
    for client in clients:
        rule = index.rule_for(full, client)
        if rule is not None and subset in rule.subsets:
            continue
        holders = sorted(
            f"{k[1]}/{k[2]}" for r in index.rules.all_for(full) if subset in r.subsets for k in r.merged
        )
        if not holders:
            continue  # defined only by a declaration or a selector-scoped rule: nothing to compare
        used = (
            f"they use DestinationRule {rule.key[1]}/{rule.key[2]}, which does not define it (it "
            "shadows the others)"
            if rule is not None
            else "none of those is visible to them"
        )
        out.append(
            _diag(
                key,
                "MGW0133",
                Level.ERROR,
                f"{path}.subset",
                f"subset {subset!r} of {host!r} is defined by DestinationRule {', '.join(holders)}, but "
                f"proxies in namespace {client} take their rule from {client}, then the host's namespace, "
                f"then {ROOT_NAMESPACE}, and never merge rules: {used}. Requests to the subset fail "
                "with 503 there; define the subset in the rule they use",
            )
        )
        break
    return out


def _rule_refs(rule: Mapping[str, Any], refs: list[str], ns: str) -> list[str]:
    """The gateways of ``refs`` a rule applies on: all of them unless every match names some."""
    matches = [mapping(m) for m in seq(rule.get("match"))]
    limits = [_match_gateways(m, ns) for m in matches]
    if not matches or any(lim is None for lim in limits):
        return refs
    allowed = set().union(*(lim for lim in limits if lim is not None))
    return [r for r in refs if (r if r == "mesh" else gateway_ref(r, ns)) in allowed]


def _clients(index: MeshIndex, ns: str, refs: list[str], export_to: Any) -> list[str]:
    """The namespaces of the proxies that apply a route: the pods of its bound Gateways, and for
    ``mesh`` its own namespace (and those it is exported to, by name)."""
    out: list[str] = []
    for ref in refs:
        if ref == "mesh":
            seen = visible(export_to, ns)
            out.extend([ns] if seen is None else sorted(seen | {ns}))
            continue
        gw = index.gateways.get(gateway_ref(ref, ns))
        if gw is not None and not gw.external:
            out.extend(w.namespace for w in index.workloads_for(gw.selector))
    return list(dict.fromkeys(out))


def _check_destination(
    index: MeshIndex,
    key: Key,
    path: str,
    dest: Mapping[str, Any],
    export_to: Any = None,
    clients: list[str] | None = None,
) -> list[Diagnostic]:
    host = text(dest.get("host"))
    if not host:
        return []
    out: list[Diagnostic] = []
    full = fqdn(host, key[1])
    if not index.resolves(key[1], export_to, host):
        # IST0101 as analyzers/virtualservice/destinationhosts.go. A program's index does not hold
        # the Services it routes to, so there only a likely mistake (did-you-mean) is reported.
        hint = _did_you_mean(index, host, key[1])
        if hint or index.hosts_complete:
            # With a did-you-mean the mistake is near certain: an error. Without one the Service
            # may live outside the files checked (istioctl says error; see docs/checks.md).
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR if hint else Level.WARNING,
                    f"{path}.host",
                    f"host {host!r} (as {full}) is no Service or ServiceEntry host visible in namespace "
                    f"{key[1]}{hint}; a short name resolves in the route's own namespace, and requests "
                    "routed to an unknown host fail with 503"
                    + ("" if hint else ". If the Service is managed elsewhere, declare it"),
                )
            )
            return out
    subset = text(dest.get("subset"))
    clients = clients or []
    if subset and subset not in index.subsets.get(full, set()):
        known = sorted(index.subsets.get(full, set()))
        fix = (
            f"defined subsets: {', '.join(known)}"
            if known
            else "no DestinationRule in this program defines subsets for it"
        )
        out.append(
            _diag(
                key,
                "IST0101",
                Level.ERROR,
                f"{path}.subset",
                f"subset {subset!r} of host {host!r} is not defined ({fix}); requests "
                "routed to it fail with 503. Add the subset to a DestinationRule for "
                f"{full}",
            )
        )
    elif subset:
        out.extend(_check_subset_path(index, key, path, host, full, subset, clients))
    info = index.host_info(full)
    if info is None or info.ports is None:
        return out  # a host we do not know: nothing to say about its ports
    ports = sorted(info.ports)
    where = ", ".join(dict.fromkeys(info.sources))
    port = integer(mapping(dest.get("port")).get("number"))
    if "port" not in dest and len(ports) > 1:
        out.append(
            _diag(
                key,
                "IST0112",
                Level.ERROR,
                f"{path}.port",
                f"host {host!r} has several ports ({', '.join(map(str, ports))}, from {where}), so "
                "Istio cannot tell which one to send to; set port.number",
            )
        )
    elif port is not None and port not in info.ports:
        out.append(
            _diag(
                key,
                "IST0101",
                Level.ERROR,
                f"{path}.port.number",
                f"port {port} is not a port of {host!r} ({where} has "
                f"{', '.join(map(str, ports)) or 'no ports'}), so requests find no upstream and "
                "fail with 503; use one of those ports or add the port to the Service",
            )
        )
    return out


# AuthorizationPolicy -------------------------------------------------------------------------


def _exported(export_to: Sequence[Any], vs_ns: str, gw_ns: str) -> bool:
    for e in export_to:
        if e == "*" or e == gw_ns or (e == "." and vs_ns == gw_ns):
            return True
    return False


ANALYZER = Analyzer(
    name="virtualservice",
    subjects=frozenset({(ISTIO_NETWORKING_GROUP, "VirtualService")}),
    inputs=frozenset(
        {
            (ISTIO_NETWORKING_GROUP, "VirtualService"),
            (ISTIO_NETWORKING_GROUP, "Gateway"),
            (GATEWAY_API_GROUP, "Gateway"),
            (ISTIO_NETWORKING_GROUP, "DestinationRule"),
            (ISTIO_NETWORKING_GROUP, "ServiceEntry"),
            ("", "Service"),
        }
    ),
    codes=frozenset(
        {
            "IST0101",
            "IST0109",
            "IST0112",
            "IST0132",
            "MGW0108",
            "MGW0132",
            "MGW0133",
            "MGW0134",
            "MGW0202",
            "MGW0205",
            "MGW0206",
            "MGW0207",
        }
    ),
    check=_check_virtual_service,
)
