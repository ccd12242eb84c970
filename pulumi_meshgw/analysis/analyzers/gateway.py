"""Gateway analyzers: the Gateway against the workloads it selects and the other Gateways on them.

After Istio's ``pkg/config/analysis/analyzers/gateway/`` (``gateway.go``: selector matches no pods,
IST0101; ``conflictinggateway.go``: one host and port on one workload in two Gateways, IST0145;
``certificate.go``: one certificate on two Gateways of a workload, IST0138; ``secret.go``: the
credential must live beside the pods, IST0101, and hold a valid certificate, IST0161) and
``IST0162`` (port not on the workload's Service).
Our own: MGW0204 (internal host on an internet-facing load balancer), MGW0146 (one DNS name
twice on a TLS port, where Istio's analyzer does not look).
"""

from __future__ import annotations

import base64
import datetime

from cryptography import x509

from ...spec.hardening import open_source_ranges
from .._access import Key, Manifest, key_of, labels, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..index import (
    ISTIO_NETWORKING_GROUP,
    GatewayInfo,
    MeshIndex,
    NsName,
    ServerInfo,
    WorkloadInfo,
)
from ._base import WORKLOADS, Analyzer
from ._base import diag as _diag


def _looks_internal(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name.endswith(_INTERNAL_SUFFIXES):
        return True
    return any(label in _INTERNAL_LABELS for label in name.split("."))


def internet_facing(svc: Manifest) -> bool:
    """Whether ``svc`` is a LoadBalancer reachable from anywhere: not private by annotation or
    class, and not narrowed by ``loadBalancerSourceRanges`` (``0.0.0.0/0`` narrows nothing)."""
    spec = mapping(svc.get("spec"))
    ranges = [r for r in seq(spec.get("loadBalancerSourceRanges")) if isinstance(r, str)]
    if spec.get("type") != "LoadBalancer" or (ranges and not open_source_ranges(ranges)):
        return False  # ranges narrow it, unless one of them is a /0
    annotations = labels(mapping(svc.get("metadata")).get("annotations"))
    for name, values in _INTERNAL_LB_ANNOTATIONS.items():
        if annotations.get(name) in values:
            return False
    return "internal" not in (text(spec.get("loadBalancerClass")) or "")


# Labels that say "not for the internet" (MGW0204). "local" is left out on purpose: multi-network
# east-west gateways serve "*.local" on a public load balancer, protected by mTLS.
_INTERNAL_LABELS = frozenset({"internal", "intranet", "intra", "corp", "private", "lan"})
_INTERNAL_SUFFIXES = (".internal", ".home.arpa")
# Annotations and classes that make a LoadBalancer private (MGW0204).
_INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
    "networking.gke.io/load-balancer-type": {"Internal"},
    "cloud.google.com/load-balancer-type": {"Internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
    "service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
}


def _check_gateway(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    key = key_of(obj)
    gw = index.gateways.get((key[1], key[2]))
    if gw is None or gw.external:
        return []
    out: list[Diagnostic] = []
    matched = index.workloads_for(gw.selector)
    if not matched:
        out.append(
            _diag(
                key,
                "IST0101",
                Level.ERROR,
                "spec.selector",
                f"selector {gw.selector} matches no gateway workload in this program; bind the Gateway "
                "to a workload object, or declare an external workload with these labels",
            )
        )
    for w in matched:
        ports = index.service_ports(w)
        fronted = not w.managed or bool(index.services_for(w))
        exposed = [s for s in index.services_for(w) if internet_facing(s)] if w.managed else []
        for srv in gw.servers:
            if ports is not None and srv.number is not None and srv.number not in ports:
                out.append(_port_not_on_service(key, w, srv, ports, fronted))
            for cred in srv.credential_names:
                out.extend(_check_credential(index, key, gw, w, srv, cred))
            if srv.number is not None:
                out.extend(_check_conflicts(index, key, gw, w, srv))
            if exposed and srv.tls_mode not in ("MUTUAL", "ISTIO_MUTUAL", "AUTO_PASSTHROUGH"):
                out.extend(_check_exposure(key, w, srv, exposed[0]))
    # One finding per (object, path, code): a Deployment, its ReplicaSet and its Pods are one
    # workload seen three times in a cluster dump.
    unique: dict[tuple[str, str, str, str, str], Diagnostic] = {}
    for d in out:
        unique.setdefault((d.code, d.kind, d.namespace, d.name, d.path), d)
    return list(unique.values())


def _check_credential(
    index: MeshIndex, key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo, cred: str
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    path = f"spec.servers[{srv.index}].tls.credentialName"
    secret = index.secret_objects.get((w.namespace, cred))
    problem = credential_problem(secret) if secret is not None else None
    if problem is not None:
        out.append(
            _diag(
                key,
                "IST0161",
                Level.ERROR,
                path,
                f"secret {w.namespace}/{cred} {problem}, so the gateway cannot serve this server's TLS; "
                "put a valid certificate and key in it",
            )
        )
    if w.namespace not in index.secrets.get(cred, set()):
        elsewhere = sorted(index.secrets.get(cred, set()))
        if elsewhere:
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR,
                    path,
                    f"secret {cred!r} is in namespace(s) {', '.join(elsewhere)}, "
                    f"but the gateway pods run in {w.namespace!r} and Istio only reads "
                    f"credentials from the pods' namespace; create it in {w.namespace!r}",
                )
            )
        else:
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.WARNING,
                    path,
                    f"secret {cred!r} is not declared in this program; it must "
                    f"exist in namespace {w.namespace!r} before traffic arrives, or the server "
                    "is never served",
                )
            )
    me = (gw.namespace, gw.name)
    first = index.certificates.setdefault((w.key, cred), (me, srv.index))
    if first[0] != me:
        out.append(
            _diag(
                key,
                "IST0138",
                Level.WARNING,
                path,
                f"certificate secret {cred!r} is also used by Gateway {first[0][0]}/{first[0][1]} "
                f"(servers[{first[1]}]) on the same workload {w.namespace}/{w.name}; browsers reuse "
                "an HTTP/2 connection for every host the certificate covers and get 404s for the "
                "other Gateway's hosts. Give each Gateway its own certificate, or serve the hosts "
                "from one Gateway",
            )
        )
        # Istio reports it on every Gateway involved (analyzers/gateway/certificate.go).
        out.append(
            _diag(
                ("Gateway", *first[0]),
                "IST0138",
                Level.WARNING,
                f"spec.servers[{first[1]}].tls.credentialName",
                f"certificate secret {cred!r} is also used by Gateway {gw.ref} (servers[{srv.index}]) on "
                f"the same workload {w.namespace}/{w.name}; browsers reuse an HTTP/2 connection for "
                "every host the certificate covers and get 404s for the other Gateway's hosts. Give "
                "each Gateway its own certificate, or serve the hosts from one Gateway",
            )
        )
    return out


def credential_problem(secret: Manifest, now: datetime.datetime | None = None) -> str | None:
    """What makes a gateway credential Secret unusable, or None (IST0161).

    As Istio reads it (``pilot/pkg/credentials/kube/secrets.go``, ``ExtractCertInfo``, then
    ``pilot/pkg/xds/sds.go``, ``ValidateCertificate``): non-empty ``cert``/``key``, else non-empty
    ``tls.crt``/``tls.key``; the certificate PEM parses and every certificate in it is valid now.
    Values masked as ``[secret]`` (a render) are unknown and pass.
    """
    data, plain = mapping(secret.get("data")), mapping(secret.get("stringData"))
    if "[secret]" in {*map(str, data.values()), *map(str, plain.values())}:
        return None
    values = {str(k): str(v) for k, v in data.items()}
    values.update((str(k), base64.b64encode(str(v).encode()).decode()) for k, v in plain.items())
    for cert_key, key_key in (("cert", "key"), ("tls.crt", "tls.key")):
        if values.get(cert_key) and values.get(key_key):
            break
    else:
        pairs = [p for p in (("cert", "key"), ("tls.crt", "tls.key")) if p[0] in values and p[1] in values]
        if pairs:
            return f"has the keys {pairs[0][0]!r} and {pairs[0][1]!r}, but they are empty"
        found = ", ".join(sorted(values)) or "none"
        return f"has neither tls.crt and tls.key nor cert and key (keys: {found})"
    try:
        pem = base64.b64decode(values[cert_key], validate=True)
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        return f"holds no parsable PEM certificate in {cert_key!r} ({error})"
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    for cert in certs:
        if moment > cert.not_valid_after_utc:
            return f"holds a certificate that expired on {cert.not_valid_after_utc:%Y-%m-%d}"
        if moment < cert.not_valid_before_utc:
            return f"holds a certificate not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
    return None


def _check_conflicts(
    index: MeshIndex, key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo
) -> list[Diagnostic]:
    """IST0145 as Istio's ConflictingGatewayAnalyzer reports it (``analyzers/gateway/
    conflictinggateway.go``, ``isGWConflict`` over ``pilot/pkg/model/gateway.go``,
    ``CheckDuplicates``): another Gateway on the same pods, port and ``bind`` lists the very same
    host string, on every Gateway involved. ``a.example.com`` beside ``*.example.com`` is no
    conflict (istiod serves both; the more specific name wins).

    MGW0146 is ours, for what that analyzer does not see: the same DNS name on two TLS servers of
    one Gateway, or of two Gateways under different namespace scopes (``shop/a.example.com`` and
    ``a.example.com``). istiod gives each TLS server a filter chain matching its SNI names without
    the scope, so two servers claim one SNI name and one of them is never served (docs/checks.md).
    """
    assert srv.number is not None
    out: list[Diagnostic] = []
    slot = index.listeners[(w.key, srv.number, srv.bind)]
    me = (gw.namespace, gw.name)
    for scope, host in srv.hosts:
        for other_host, (other_gw, other_idx) in slot.intersecting(host):
            if (other_gw, other_idx) == (me, srv.index) or other_host != host:
                continue
            servers = index.gateways[other_gw].servers if other_gw in index.gateways else []
            other = next((x for x in servers if x.index == other_idx), None)
            if other is None:
                continue
            same_string = (scope, host) in other.hosts
            if other_gw != me and same_string:
                out.extend(_conflict(key, gw, w, srv, host, other_gw, other_idx))
                break  # one finding per host: the first claim is the one to name
            if srv.has_tls and other.has_tls:
                where = (
                    f"servers[{other_idx}] of this Gateway"
                    if other_gw == me
                    else f"Gateway {other_gw[0]}/{other_gw[1]} (servers[{other_idx}], another scope)"
                )
                out.append(
                    _diag(
                        key,
                        "MGW0146",
                        Level.ERROR,
                        f"spec.servers[{srv.index}].hosts",
                        f"host {host!r} on TLS port {srv.number} is already listed by {where} on the same "
                        f"workload {w.namespace}/{w.name}; istiod matches TLS servers by SNI name without "
                        "the namespace scope, so one of the two is never served. List each host in one "
                        "server per port",
                    )
                )
                break
    marker = (w.key, me, srv.index)
    if marker not in index._claimed:
        index._claimed.add(marker)
        for _, host in srv.hosts:
            slot.add(host, (me, srv.index))
    return out


def _conflict(
    key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo, host: str, other_gw: NsName, other_idx: int
) -> list[Diagnostic]:
    """IST0145 on both Gateways that list ``host`` on one port of workload ``w``."""
    return [
        _diag(
            key,
            "IST0145",
            Level.ERROR,
            f"spec.servers[{srv.index}].hosts",
            f"host {host!r} on port {srv.number} is already claimed by Gateway {other_gw[0]}/{other_gw[1]} "
            f"on the same workload {w.namespace}/{w.name}; Istio keeps one and drops the other. Serve "
            "each host from one Gateway, or use another port",
        ),
        # Istio reports it on every Gateway involved (conflictinggateway.go).
        _diag(
            ("Gateway", *other_gw),
            "IST0145",
            Level.ERROR,
            f"spec.servers[{other_idx}].hosts",
            f"host {host!r} on port {srv.number} is also claimed by Gateway {gw.ref} on the same workload "
            f"{w.namespace}/{w.name}; Istio keeps one and drops the other. Serve each host from one "
            "Gateway, or use another port",
        ),
    ]


# VirtualService ----------------------------------------------------------------------------


def _port_not_on_service(
    key: Key, w: WorkloadInfo, srv: ServerInfo, ports: set[int], fronted: bool
) -> Diagnostic:
    """IST0162 (``analyzers/gateway/gateway.go``): the server's port is neither a port nor a target
    port of a Service in front of the pods. Istio reports it as a warning in every case; here it is
    an error when Services front the pods (the port is then unreachable from outside) and a warning
    when none does (the Service may be managed elsewhere)."""
    path = f"spec.servers[{srv.index}].port.number"
    if not fronted:
        return _diag(
            key,
            "IST0162",
            Level.WARNING,
            path,
            f"no Service in this input selects workload {w.namespace}/{w.name}, so nothing forwards "
            f"port {srv.number} to it; add a Service with that port, or declare the workload with "
            "its Service ports",
        )
    return _diag(
        key,
        "IST0162",
        Level.ERROR,
        path,
        f"port {srv.number} is not a port of the Service in front of workload "
        f"{w.namespace}/{w.name} (ports: {sorted(ports) or 'none'}); add it to the "
        "workload's Service ports or use one of those",
    )


def _check_exposure(key: Key, w: WorkloadInfo, srv: ServerInfo, svc: Manifest) -> list[Diagnostic]:
    """MGW0204: a host that looks internal, served through an internet-facing load balancer."""
    svc_key = key_of(svc)
    out = []
    for j, (_, host) in enumerate(srv.hosts):
        if _looks_internal(host):
            out.append(
                _diag(
                    key,
                    "MGW0204",
                    Level.WARNING,
                    f"spec.servers[{srv.index}].hosts[{j}]",
                    f"host {host!r} looks internal, but workload {w.namespace}/{w.name} serves it "
                    f"through Service {svc_key[1]}/{svc_key[2]}, an internet-facing LoadBalancer with "
                    "no loadBalancerSourceRanges: anyone on the internet can reach it. Serve it from "
                    "an internal or cluster-only gateway, or restrict the load balancer with "
                    "loadBalancerSourceRanges",
                )
            )
    return out


ANALYZER = Analyzer(
    name="gateway",
    subjects=frozenset({(ISTIO_NETWORKING_GROUP, "Gateway")}),
    inputs=frozenset(
        {
            (ISTIO_NETWORKING_GROUP, "Gateway"),
            ("", "Service"),
            ("", "Secret"),
            ("cert-manager.io", "Certificate"),
        }
    )
    | WORKLOADS,
    codes=frozenset({"IST0101", "IST0138", "IST0145", "IST0161", "IST0162", "MGW0146", "MGW0204"}),
    check=_check_gateway,
)
