"""A seeded generator of mesh configurations, valid and broken, for the differential test.

Each configuration is a list of Kubernetes and Istio objects that lives in namespaces of its own
(``c0001-edge``, ``c0001-shop``, ...) and selects gateway pods by a label of its own, so many
configurations can be analysed together in one directory (one ``istioctl analyze`` run) without
seeing each other. Gateway workloads are Pods, as in a cluster dump: Istio's analyzers match
selectors against Pods (``pkg/config/analysis/analyzers/gateway/gateway.go``).

Every configuration is built from one *case*, a kind of fault from the classes of the analysis
(workloads, host resolution, DestinationRules, routes against servers, Service ports, objects a
finding is reported on, admission rules) or a valid variant of it. ``expected`` is what Istio's
source says ``istioctl analyze`` reports, as (code, kind, namespace, name); the differential test
compares the two tools, and the unit tests hold ``meshgw check`` to ``expected`` on a sample.

Usage: ``generate(count, seed)`` returns the configurations; ``write(configs, directory)`` writes
one YAML file per configuration.
"""

from __future__ import annotations

import base64
import datetime
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
Finding = tuple[str, str, str, str]  # (code, kind, namespace, name)
NET = "networking.istio.io/v1"


@dataclass
class Config:
    """One generated configuration: its objects, the case it exercises, what Istio reports."""

    ident: str
    case: str
    objects: list[Obj]
    expected: set[Finding] = field(default_factory=set)


class _Builder:
    """Objects of one configuration, in namespaces and labels of its own."""

    def __init__(self, ident: str, rng: random.Random, cert: tuple[str, str]) -> None:
        self.ident, self.rng, self.cert = ident, rng, cert
        self.objects: list[Obj] = []
        self.expected: set[Finding] = set()
        self.edge, self.shop, self.other = (f"{ident}-edge", f"{ident}-shop", f"{ident}-other")
        self.label = {"istio": f"gw-{ident}"}

    def add(self, obj: Obj) -> Obj:
        self.objects.append(obj)
        return obj

    def expect(self, code: str, kind: str, ns: str, name: str) -> None:
        self.expected.add((code, kind, ns, name))

    # -- objects ---------------------------------------------------------------------------------

    def workload(self, name: str = "ingress", labels: dict[str, str] | None = None) -> None:
        pod_labels = {**(labels or self.label), "sidecar.istio.io/inject": "true"}
        self.add(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": self.edge, "labels": pod_labels},
                "spec": {"containers": [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.28.0"}]},
            }
        )

    def gateway_service(self, ports: tuple[int, ...] = (80, 443)) -> None:
        names = {80: "http2", 443: "https"}
        self.add(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "ingress", "namespace": self.edge},
                "spec": {
                    "selector": dict(self.label),
                    "ports": [
                        # Other ports carry the Gateways' HTTP servers. Named tcp-, they would
                        # clash with the app Services' http-8080 across a batch (MGW0140): one mesh.
                        {"name": names.get(p, f"http-{p}"), "port": p, "targetPort": p, "protocol": "TCP"}
                        for p in ports
                    ],
                },
            }
        )

    def secret(self, name: str = "site-cert", ns: str | None = None) -> None:
        crt, key = self.cert
        self.add(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "kubernetes.io/tls",
                "metadata": {"name": name, "namespace": ns or self.edge},
                "data": {"tls.crt": crt, "tls.key": key},
            }
        )

    def app_service(
        self, name: str = "shop", ns: str | None = None, ports: tuple[int, ...] = (8080,)
    ) -> None:
        self.add(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": ns or self.shop},
                "spec": {
                    "selector": {"app": name},
                    "ports": [{"name": f"http-{p}", "port": p, "protocol": "TCP"} for p in ports],
                },
            }
        )

    def gateway(
        self,
        name: str = "site",
        hosts: tuple[str, ...] = ("www.example.com",),
        *,
        port: int = 80,
        tls: dict[str, Any] | None = None,
        selector: dict[str, str] | None = None,
    ) -> Obj:
        server: dict[str, Any] = {
            "port": {"number": port, "name": f"p-{port}", "protocol": "HTTPS" if tls else "HTTP"},
            "hosts": list(hosts),
        }
        if tls:
            server["tls"] = tls
        return self.add(
            {
                "apiVersion": NET,
                "kind": "Gateway",
                "metadata": {"name": name, "namespace": self.edge},
                "spec": {"selector": dict(selector or self.label), "servers": [server]},
            }
        )

    def route(
        self,
        name: str = "site",
        hosts: tuple[str, ...] = ("www.example.com",),
        *,
        gateways: list[str] | None = None,
        dest: dict[str, Any] | None = None,
        ns: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Obj:
        spec: dict[str, Any] = {
            "hosts": list(hosts),
            "http": [
                {"route": [{"destination": dest or self.fqdn_dest()}]},
            ],
        }
        if gateways is not None:
            spec["gateways"] = gateways
        spec.update(extra or {})
        return self.add(
            {
                "apiVersion": NET,
                "kind": "VirtualService",
                "metadata": {"name": name, "namespace": ns or self.shop},
                "spec": spec,
            }
        )

    def service_entry(self, name: str, ns: str, hosts: list[str], port: tuple[int, str], **spec: Any) -> None:
        number, protocol = port
        body = {
            "hosts": hosts,
            "location": "MESH_EXTERNAL",
            "resolution": "DNS",
            "ports": [{"number": number, "name": protocol.lower(), "protocol": protocol}],
            **spec,
        }
        self.add(
            {
                "apiVersion": NET,
                "kind": "ServiceEntry",
                "metadata": {"name": name, "namespace": ns},
                "spec": body,
            }
        )

    def destination_rule(self, **spec: Any) -> None:
        body = {"host": f"shop.{self.shop}.svc.cluster.local", **spec}
        meta = {"name": "shop", "namespace": self.shop}
        self.add({"apiVersion": NET, "kind": "DestinationRule", "metadata": meta, "spec": body})

    def partner_route(self) -> None:
        host = f"api.{self.ident}.example.com"
        self.route(hosts=(host,), dest={"host": host, "port": {"number": 443}})

    def fqdn_dest(self, port: int | None = 8080) -> dict[str, Any]:
        dest: dict[str, Any] = {"host": f"shop.{self.shop}.svc.cluster.local"}
        if port is not None:
            dest["port"] = {"number": port}
        return dest

    def base(self) -> None:
        """A gateway workload (Pod and Service), its Gateway and the app's Service."""
        self.workload()
        self.gateway_service()
        self.app_service()
        self.gateway()

    def gw_ref(self, name: str = "site") -> str:
        return f"{self.edge}/{name}"


Case = Callable[[_Builder], None]


def _ok(b: _Builder) -> None:
    b.base()
    b.route(gateways=[b.gw_ref()])


def _ok_tls(b: _Builder) -> None:
    b.workload()
    b.gateway_service()
    b.app_service()
    b.secret()
    b.gateway(port=443, tls={"mode": "SIMPLE", "credentialName": "site-cert"})
    b.route(gateways=[b.gw_ref()])


def _selector_matches_nothing(b: _Builder) -> None:
    b.workload()
    b.gateway_service()
    b.app_service()
    b.gateway(selector={"istio": f"typo-{b.ident}"})
    b.expect("IST0101", "Gateway", b.edge, "site")


def _gateway_ref_missing(b: _Builder) -> None:
    b.base()
    b.route(gateways=[f"{b.shop}/site"])  # the Gateway is in the edge namespace
    b.expect("IST0101", "VirtualService", b.shop, "site")
    # No host of the route is in a Gateway that does not exist (virtualservice/gateways.go).
    b.expect("IST0132", "VirtualService", b.shop, "site")


def _host_not_served(b: _Builder) -> None:
    b.base()
    b.route(hosts=("blog.example.com",), gateways=[b.gw_ref()])
    b.expect("IST0132", "VirtualService", b.shop, "site")


def _host_partly_served(b: _Builder) -> None:
    """One host of two is served: Istio's IST0132 asks only for some host (ours: MGW0134)."""
    b.base()
    b.route(hosts=("www.example.com", "blog.example.com"), gateways=[b.gw_ref()])


def _second_gateway_serves_no_host(b: _Builder) -> None:
    """Each bound Gateway must serve some host of the route (virtualservice/gateways.go)."""
    b.workload()
    b.gateway_service(ports=(80, 8080))
    b.app_service()
    b.gateway()
    b.gateway("admin", ("admin.example.com",), port=8080)
    b.route(gateways=[b.gw_ref(), b.gw_ref("admin")])
    b.expect("IST0132", "VirtualService", b.shop, "site")


def _short_host_elsewhere(b: _Builder) -> None:
    b.base()
    b.route(ns=b.edge, gateways=["site"], dest={"host": "shop", "port": {"number": 8080}})
    b.expect("IST0101", "VirtualService", b.edge, "site")


def _short_host_local(b: _Builder) -> None:
    b.base()
    b.route(gateways=[b.gw_ref()], dest={"host": "shop", "port": {"number": 8080}})


def _name_dot_namespace(b: _Builder) -> None:
    b.base()
    b.route(gateways=[b.gw_ref()], dest={"host": f"shop.{b.shop}", "port": {"number": 8080}})
    b.expect("IST0101", "VirtualService", b.shop, "site")


def _unknown_host(b: _Builder) -> None:
    b.base()
    b.route(
        gateways=[b.gw_ref()], dest={"host": f"nowhere.{b.shop}.svc.cluster.local", "port": {"number": 80}}
    )
    b.expect("IST0101", "VirtualService", b.shop, "site")


def _port_not_on_service(b: _Builder) -> None:
    b.base()
    b.route(gateways=[b.gw_ref()], dest=b.fqdn_dest(port=9999))
    b.expect("IST0101", "VirtualService", b.shop, "site")


def _port_required(b: _Builder) -> None:
    b.workload()
    b.gateway_service()
    b.app_service(ports=(8080, 9090))
    b.gateway()
    b.route(gateways=[b.gw_ref()], dest=b.fqdn_dest(port=None))
    b.expect("IST0112", "VirtualService", b.shop, "site")


def _conflicting_gateways(b: _Builder) -> None:
    # The same host string: Istio compares hosts as strings (pilot/pkg/model/gateway.go,
    # CheckDuplicates), so a wildcard beside www.example.com would be no conflict.
    b.base()
    b.gateway("site-2", ("www.example.com",))
    b.expect("IST0145", "Gateway", b.edge, "site")
    b.expect("IST0145", "Gateway", b.edge, "site-2")


def _gateways_wildcard_overlap(b: _Builder) -> None:
    """A name beside a wildcard that covers it is no conflict: istiod serves both, the more
    specific first (gateway/conflictinggateway.go compares hosts as written)."""
    b.base()
    b.gateway("site-2", ("*.example.com",))


def _gateways_other_port(b: _Builder) -> None:
    b.workload()
    b.gateway_service(ports=(80, 8080))
    b.app_service()
    b.gateway()
    b.gateway("site-2", port=8080)


def _duplicate_certificate(b: _Builder) -> None:
    b.workload()
    b.gateway_service()
    b.app_service()
    b.secret()
    tls = {"mode": "SIMPLE", "credentialName": "site-cert"}
    b.gateway("a", ("a.example.com",), port=443, tls=tls)
    b.gateway("b", ("b.example.com",), port=443, tls=tls)
    b.expect("IST0138", "Gateway", b.edge, "a")
    b.expect("IST0138", "Gateway", b.edge, "b")


def _mesh_host_twice(b: _Builder) -> None:
    b.app_service()
    b.route("r1", ("shop",))
    b.route("r2", (f"shop.{b.shop}.svc.cluster.local",))
    b.expect("IST0109", "VirtualService", b.shop, "r1")
    b.expect("IST0109", "VirtualService", b.shop, "r2")


def _mesh_host_twice_disjoint_export(b: _Builder) -> None:
    b.app_service()
    b.route("r1", (f"shop.{b.shop}.svc.cluster.local",), extra={"exportTo": ["."]})
    b.route("r2", (f"shop.{b.shop}.svc.cluster.local",), ns=b.other, extra={"exportTo": ["."]})


def _subset_undefined(b: _Builder) -> None:
    b.base()
    dest = {**b.fqdn_dest(), "subset": "v9"}
    b.route(gateways=[b.gw_ref()], dest=dest)
    b.expect("IST0101", "VirtualService", b.shop, "site")


def _subset_defined(b: _Builder) -> None:
    b.base()
    b.add(  # the pods the subset selects (else IST0173, destinationrule/subset.go)
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "shop-v1", "namespace": b.shop, "labels": {"app": "shop", "v": "1"}},
            "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
        }
    )
    b.destination_rule(subsets=[{"name": "v1", "labels": {"v": "1"}}])
    b.route(gateways=[b.gw_ref()], dest={**b.fqdn_dest(), "subset": "v1"})


def _subset_selects_no_pods(b: _Builder) -> None:
    # Labels of this configuration only: Istio matches subsets against the pods of every namespace.
    b.base()
    version = f"{b.ident}-v1"
    b.add(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "shop-v1",
                "namespace": b.shop,
                "labels": {"app": "shop", "version": version},
            },
            "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
        }
    )
    subsets = [
        {"name": "v1", "labels": {"version": version}},
        {"name": "v2", "labels": {"version": f"{b.ident}-v2"}},
    ]
    b.destination_rule(subsets=subsets[: b.rng.choice((1, 2))])
    if len(b.objects[-1]["spec"]["subsets"]) == 2:
        b.expect("IST0173", "DestinationRule", b.shop, "shop")


def _destination_rule_host_unknown(b: _Builder) -> None:
    # The short host resolves in the rule's namespace; the Service lives in another one.
    b.app_service()
    short = b.rng.choice((True, False))
    host = "shop" if short else f"shop.{b.shop}.svc.cluster.local"
    ns = b.other if short else b.shop
    meta = {"name": "shop", "namespace": ns}
    body = {"host": host, "trafficPolicy": {"connectionPool": {"http": {"idleTimeout": "30s"}}}}
    b.add({"apiVersion": NET, "kind": "DestinationRule", "metadata": meta, "spec": body})
    if short:
        b.expect("IST0174", "DestinationRule", ns, "shop")


def _origination_without_ca(b: _Builder) -> None:
    b.app_service()
    b.destination_rule(trafficPolicy={"tls": {"mode": "SIMPLE"}})
    b.expect("IST0128", "DestinationRule", b.shop, "shop")


def _tcp_entry_without_addresses(b: _Builder) -> None:
    b.service_entry("db", b.shop, [f"db.{b.ident}.example.com"], (5432, "TCP"))
    b.expect("IST0134", "ServiceEntry", b.shop, "db")


def _gateway_port_not_on_service(b: _Builder) -> None:
    b.workload()
    b.gateway_service(ports=(80,))
    b.app_service()
    b.gateway(port=8443)
    b.expect("IST0162", "Gateway", b.edge, "site")


def _port_name_unsupported(b: _Builder) -> None:
    b.add(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "blog", "namespace": b.shop},
            "spec": {
                "selector": {"app": "blog"},
                "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}],
            },
        }
    )
    b.expect("IST0118", "Service", b.shop, "blog")


def _weights_not_100(b: _Builder) -> None:
    b.base()
    route = b.route(gateways=[b.gw_ref()])
    route["spec"]["http"][0]["route"] = [
        {"destination": b.fqdn_dest(), "weight": 60},
        {"destination": b.fqdn_dest(), "weight": 30},
    ]


def _weights_zero(b: _Builder) -> None:
    b.base()
    route = b.route(gateways=[b.gw_ref()])
    route["spec"]["http"][0]["route"] = [
        {"destination": b.fqdn_dest(), "weight": 0},
        {"destination": b.fqdn_dest(), "weight": 0},
    ]
    b.expect("IST0106", "VirtualService", b.shop, "site")


def _entry_hidden_by_export(b: _Builder) -> None:
    b.service_entry("partner", b.other, [f"api.{b.ident}.example.com"], (443, "TLS"), exportTo=["."])
    b.partner_route()
    b.expect("IST0101", "VirtualService", b.shop, "site")


def _entry_visible(b: _Builder) -> None:
    b.service_entry("partner", b.other, [f"*.{b.ident}.example.com"], (443, "TLS"), resolution="NONE")
    b.partner_route()


def _redirect_route_only_on_443(b: _Builder) -> None:
    b.workload()
    b.gateway_service()
    b.app_service()
    b.secret()
    gw = b.gateway(port=443, tls={"mode": "SIMPLE", "credentialName": "site-cert"})
    gw["spec"]["servers"].insert(
        0,
        {
            "port": {"number": 80, "name": "http", "protocol": "HTTP"},
            "hosts": ["www.example.com"],
            "tls": {"httpsRedirect": True},
        },
    )
    route = b.route(gateways=[b.gw_ref()])
    route["spec"]["http"][0]["match"] = [{"port": 443}]


CASES: dict[str, Case] = {
    "ok": _ok,
    "ok-tls": _ok_tls,
    "selector-matches-nothing": _selector_matches_nothing,
    "gateway-ref-missing": _gateway_ref_missing,
    "host-not-served": _host_not_served,
    "host-partly-served": _host_partly_served,
    "second-gateway-serves-no-host": _second_gateway_serves_no_host,
    "short-host-elsewhere": _short_host_elsewhere,
    "short-host-local": _short_host_local,
    "name-dot-namespace": _name_dot_namespace,
    "unknown-host": _unknown_host,
    "port-not-on-service": _port_not_on_service,
    "port-required": _port_required,
    "conflicting-gateways": _conflicting_gateways,
    "gateways-other-port": _gateways_other_port,
    "gateways-wildcard-overlap": _gateways_wildcard_overlap,
    "duplicate-certificate": _duplicate_certificate,
    "mesh-host-twice": _mesh_host_twice,
    "mesh-host-twice-disjoint-export": _mesh_host_twice_disjoint_export,
    "subset-undefined": _subset_undefined,
    "subset-defined": _subset_defined,
    "subset-selects-no-pods": _subset_selects_no_pods,
    "destination-rule-host-unknown": _destination_rule_host_unknown,
    "origination-without-ca": _origination_without_ca,
    "tcp-entry-without-addresses": _tcp_entry_without_addresses,
    "gateway-port-not-on-service": _gateway_port_not_on_service,
    "port-name-unsupported": _port_name_unsupported,
    "weights-not-100": _weights_not_100,
    "weights-zero": _weights_zero,
    "entry-hidden-by-export": _entry_hidden_by_export,
    "entry-visible": _entry_visible,
    "redirect-route-only-on-443": _redirect_route_only_on_443,
}
"""Every case, by name. Cases without an expected finding are the valid variants."""


def self_signed(
    not_before: datetime.datetime, not_after: datetime.datetime, seed: bytes = bytes(range(32))
) -> tuple[str, str]:
    """A self-signed Ed25519 certificate for ``*.example.com`` and its key, each base64 PEM (as in
    a Secret's ``data``). Ed25519 signs deterministically, so a fixed ``seed`` and validity give
    the same bytes every run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.example.com")]), critical=False)
        .sign(key, None)
    )
    crt_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(crt_pem).decode(), base64.b64encode(key_pem).decode()


def _certificate() -> tuple[str, str]:
    """The certificate every configuration shares: valid 2026 to 2036, the same bytes every run."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    return self_signed(start, start + datetime.timedelta(days=3650))


def generate(count: int, seed: int) -> list[Config]:
    """``count`` configurations, the same for the same ``seed``: every case in turn (so each class
    is covered), in an order and with variations drawn from the seed."""
    rng = random.Random(seed)
    cert = _certificate()
    names = sorted(CASES)
    out: list[Config] = []
    for i in range(count):
        case = names[i % len(names)] if i < len(names) else rng.choice(names)
        b = _Builder(f"c{i:04d}", rng, cert)
        CASES[case](b)
        out.append(Config(b.ident, case, b.objects, b.expected))
    return out


def write(configs: list[Config], directory: Path) -> list[Path]:
    """One ``<ident>.yaml`` per configuration in ``directory``; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for c in configs:
        path = directory / f"{c.ident}.yaml"
        path.write_text(yaml.safe_dump_all(c.objects, sort_keys=True), encoding="utf-8")
        paths.append(path)
    return paths


def batches(configs: list[Config], size: int) -> Iterator[list[Config]]:
    """``configs`` in groups of ``size`` (one analysis run each)."""
    for i in range(0, len(configs), size):
        yield configs[i : i + size]
