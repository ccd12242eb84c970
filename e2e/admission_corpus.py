"""A seeded generator of single Istio objects for the admission differential.

Each object starts from a valid base object of its kind and has one or two fields changed (or
removed) to a value drawn from a pool of edge values: empty strings, wildcards, ports 0 and 65536,
bad durations, regexes, CIDRs and IPs, header names, weights, percentages, duplicate names,
missing required fields, conflicting oneofs and unknown fields. About one object in ten is left
valid. The decision to compare is per object: does Istio's validating webhook accept it
(``istioctl validate``), and does ``meshgw check`` report no error on it.

Every object is ``admission/adm-<seed>-<n>`` (metadata is never mutated), so many objects are
validated in one file and Istio's per-object errors (``Kind/namespace/name: ...``) map back to
them.

Usage: ``generate(count, seed)`` returns the samples; ``write(samples, path)`` writes one YAML
stream.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
NAMESPACE = "admission"
DELETE = object()
"""A mutation value that removes the field (a missing required field)."""


@dataclass
class Sample:
    """One generated object and the mutations applied to its base."""

    kind: str
    obj: Obj
    mutations: list[tuple[str, Any]]

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def fields(self) -> list[str]:
        """The mutated field paths, with list indices folded (``http[].timeout``)."""
        return [re.sub(r"\[\d+\]", "[]", p) for p, _ in self.mutations]


# -- pools of edge values --------------------------------------------------------------------------

HOSTS = [
    "",
    "*",
    "*.example.com",
    "shop.example.com",
    "a.*.example.com",
    "*example.com",
    "shop",
    "shop.shop",
    "shop.shop.svc.cluster.local",
    "UPPER.example.com",
    "-bad.example.com",
    "10.0.0.1",
    "shop.example.com.",
    "a..b",
    "ns/shop.example.com",
    "*.",
    "x" * 64 + ".com",
    "*.global",
    "shop_1.example.com",
    "::1",
]
PORTS = [0, 1, 80, 443, 15021, 65535, 65536, -1, 99999]
PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "TCP", "TLS", "MONGO", "http", "UDP", "", "FOO", "TCP-x"]
PORT_NAMES = ["", "http", "http-web", "UPPER", "a b", "http_1", "x" * 70]
DURATIONS = ["0s", "1s", "1ms", "0.5s", "1h", "-1s", "", "1x", "5", "0.0001s", "1us", "10m", "1h30m"]
WEIGHTS = [0, 1, 50, 100, 101, -1, 2147483648]
PERCENTS = [0, 0.01, 50, 100, 100.1, 101, -1]
INTS = [0, 1, 3, -1, 2147483647, 2147483648]
IPS = [
    "10.0.0.1",
    "0.0.0.0",
    "::",
    "fe80::1",
    "10.0.0.0/8",
    "10.0.0.1/33",
    "300.1.1.1",
    "",
    "abc",
    "unix:///var/run/x.sock",
    "unix://",
    "10.0.0.0/0",
    "::/0",
    "10.0.0.1:80",
]
HEADER_NAMES = [
    "x-user",
    "X-User",
    "",
    ":authority",
    "host",
    "x user",
    "x-ümlaut",
    "x-envoy-foo",
    "content-length",
    "x_a",
]
STRING_MATCHES = [
    {"exact": "/"},
    {"prefix": ""},
    {"prefix": "/api"},
    {"regex": "("},
    {"regex": ".*"},
    {"regex": "(?i)abc"},
    {"exact": ""},
    {},
    {"exact": "/a", "prefix": "/b"},
]
REGEXES = ["(", ".*", "a{2,1}", "(?=x)", "\\d+", ""]
GATEWAY_REFS = [
    "mesh",
    "shop",
    "istio-ingress/shop",
    "istio-ingress/",
    "/shop",
    "a/b/c",
    "shop.istio-ingress",
    "UPPER",
    "",
    "istio-ingress/*",
    "*/shop",
]
TLS_MODES = [
    "PASSTHROUGH",
    "SIMPLE",
    "MUTUAL",
    "AUTO_PASSTHROUGH",
    "ISTIO_MUTUAL",
    "OPTIONAL_MUTUAL",
    "",
    "FOO",
]
CLIENT_TLS_MODES = ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL", "", "FOO"]
TLS_VERSIONS = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3", "TLSV9"]
NAMES = ["", "v1", "V1", "a.b", "a_b", "-x", "x" * 64, "a b"]
LABEL_MAPS = [
    {},
    {"app": ""},
    {"": "x"},
    {"app": "shop"},
    {"a/b/c": "x"},
    {"app": "x" * 64},
    {"example.com/app": "shop"},
    {"app": "a b"},
]
URIS = [
    "",
    "https://issuer.example.com/jwks",
    "http://issuer.example.com",
    "not a uri",
    "https://",
    "ftp://x",
    "https://example.com:99999/x",
]
PATHS = ["/api/*", "*", "/a*b", "*/x", "", "/{*}", "/{**}/x", "/{*}/{**}", "/a?b"]
METHODS = ["GET", "get", "", "*", "FOO"]
PORT_STRINGS = ["80", "0", "65536", "abc", "", "8080"]
UNKNOWN = {"bogus": 1}


# -- base objects and the fields each kind mutates -------------------------------------------------


def _base(kind: str) -> tuple[str, dict[str, Any]]:
    """The apiVersion and a valid spec of ``kind``."""
    net, sec, tel = "networking.istio.io/v1", "security.istio.io/v1", "telemetry.istio.io/v1"
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "Gateway": (
            net,
            {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {
                        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                        "hosts": ["shop.example.com"],
                    },
                    {
                        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["shop.example.com"],
                        "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"},
                        "name": "https",
                    },
                ],
            },
        ),
        "VirtualService": (
            net,
            {
                "hosts": ["shop.example.com"],
                "gateways": ["istio-ingress/shop"],
                "http": [
                    {
                        "name": "main",
                        "match": [{"uri": {"prefix": "/"}}],
                        "route": [
                            {
                                "destination": {
                                    "host": "shop.shop.svc.cluster.local",
                                    "port": {"number": 8080},
                                },
                                "weight": 90,
                            },
                            {
                                "destination": {
                                    "host": "shop-v2.shop.svc.cluster.local",
                                    "port": {"number": 8080},
                                },
                                "weight": 10,
                            },
                        ],
                        "timeout": "5s",
                        "retries": {"attempts": 3, "perTryTimeout": "2s"},
                    }
                ],
            },
        ),
        "DestinationRule": (
            net,
            {
                "host": "shop.shop.svc.cluster.local",
                "trafficPolicy": {
                    "connectionPool": {
                        "tcp": {"maxConnections": 100, "connectTimeout": "1s"},
                        "http": {"http2MaxRequests": 100},
                    },
                    "loadBalancer": {"simple": "ROUND_ROBIN"},
                    "outlierDetection": {
                        "consecutive5xxErrors": 5,
                        "interval": "10s",
                        "baseEjectionTime": "30s",
                        "maxEjectionPercent": 50,
                    },
                    "tls": {"mode": "ISTIO_MUTUAL"},
                },
                "subsets": [{"name": "v1", "labels": {"version": "v1"}}],
            },
        ),
        "ServiceEntry": (
            net,
            {
                "hosts": ["api.example.com"],
                "ports": [{"number": 443, "name": "https", "protocol": "TLS"}],
                "resolution": "DNS",
                "location": "MESH_EXTERNAL",
            },
        ),
        "Sidecar": (
            net,
            {
                "workloadSelector": {"labels": {"app": "shop"}},
                "egress": [{"hosts": ["./*", "istio-system/*"]}],
                "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
            },
        ),
        "WorkloadEntry": (net, {"address": "10.0.0.1", "ports": {"http": 8080}, "labels": {"app": "vm"}}),
        "AuthorizationPolicy": (
            sec,
            {
                "selector": {"matchLabels": {"app": "shop"}},
                "action": "ALLOW",
                "rules": [
                    {
                        "from": [{"source": {"principals": ["cluster.local/ns/edge/sa/gateway"]}}],
                        "to": [{"operation": {"methods": ["GET"], "paths": ["/api/*"]}}],
                        "when": [{"key": "request.headers[x-token]", "values": ["a"]}],
                    }
                ],
            },
        ),
        "RequestAuthentication": (
            sec,
            {
                "selector": {"matchLabels": {"app": "shop"}},
                "jwtRules": [
                    {"issuer": "https://issuer.example.com", "jwksUri": "https://issuer.example.com/jwks"}
                ],
            },
        ),
        "PeerAuthentication": (
            sec,
            {
                "selector": {"matchLabels": {"app": "shop"}},
                "mtls": {"mode": "STRICT"},
                "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}},
            },
        ),
        "Telemetry": (
            tel,
            {
                "tracing": [{"randomSamplingPercentage": 10}],
                "accessLogging": [{"providers": [{"name": "envoy"}]}],
            },
        ),
    }
    api, spec = specs[kind]
    return api, copy.deepcopy(spec)


MUTATIONS: dict[str, list[tuple[str, list[Any]]]] = {
    "Gateway": [
        ("servers[0].port.number", PORTS),
        ("servers[0].port.protocol", PROTOCOLS),
        ("servers[0].port.name", [*PORT_NAMES, "https", DELETE]),
        ("servers[0].port.targetPort", [8080]),
        ("servers[0].hosts[0]", HOSTS),
        ("servers[0].hosts", [[], DELETE]),
        ("servers[0].bind", IPS),
        ("servers[0].name", ["https", "", "a b"]),
        ("servers[0].tls", [{"httpsRedirect": True}, {"mode": "SIMPLE", "credentialName": "c"}]),
        ("servers[1].tls.mode", [*TLS_MODES, DELETE]),
        ("servers[1].tls.credentialName", ["", DELETE, "ns/cert"]),
        ("servers[1].tls.serverCertificate", ["/etc/cert.pem", ""]),
        ("servers[1].tls.privateKey", ["/etc/key.pem"]),
        ("servers[1].tls.caCertificates", ["/etc/ca.pem"]),
        ("servers[1].tls.minProtocolVersion", TLS_VERSIONS),
        ("servers[1].tls.maxProtocolVersion", TLS_VERSIONS),
        (
            "servers[1].tls.cipherSuites",
            [["ECDHE-RSA-AES128-GCM-SHA256"], ["FOO"], [""], ["AES128-SHA", "AES128-SHA"]],
        ),
        ("servers[1].tls.httpsRedirect", [True]),
        ("servers[1].tls.subjectAltNames", [[""], ["spiffe://x"]]),
        ("servers[1].port.protocol", PROTOCOLS),
        ("servers", [[], DELETE]),
        ("selector", [{}, {"": "x"}, DELETE]),
        ("servers[0].bogus", [1]),
    ],
    "VirtualService": [
        ("hosts[0]", HOSTS),
        ("hosts", [[], DELETE, ["a.example.com", "a.example.com"]]),
        ("gateways[0]", GATEWAY_REFS),
        ("gateways", [[], DELETE, ["mesh", "istio-ingress/shop"]]),
        ("http[0].route[0].weight", WEIGHTS),
        ("http[0].route[1].weight", WEIGHTS),
        ("http[0].route[0].destination.host", HOSTS),
        ("http[0].route[0].destination.port.number", PORTS),
        ("http[0].route[0].destination.subset", NAMES),
        ("http[0].route", [[], DELETE]),
        ("http[0].timeout", DURATIONS),
        ("http[0].retries.attempts", INTS),
        ("http[0].retries.perTryTimeout", DURATIONS),
        ("http[0].retries.retryOn", ["5xx", "gateway-error,connect-failure", "bogus", "503", ""]),
        ("http[0].match[0].uri", STRING_MATCHES),
        ("http[0].match[0].headers", [{h: {"exact": "a"}} for h in HEADER_NAMES]),
        (
            "http[0].match[0].queryParams",
            [{"a": {"prefix": "x"}}, {"a": {"regex": "("}}, {"": {"exact": "x"}}],
        ),
        ("http[0].match[0].port", PORTS),
        ("http[0].match[0].gateways", [["mesh"], ["istio-ingress/shop"], ["bad/ref/x"]]),
        ("http[0].match[0].name", ["", "m"]),
        ("http[0].redirect", [{"uri": "/x"}, {"redirectCode": 301}, {"redirectCode": 200}, {"port": 0}]),
        ("http[0].directResponse", [{"status": 200}, {"status": 99}, {"status": 600}]),
        (
            "http[0].rewrite",
            [
                {"uri": "/x"},
                {"uri": "", "uriRegexRewrite": {"match": "a", "rewrite": "b"}},
                {"uriRegexRewrite": {"match": "(", "rewrite": "b"}},
                {"authority": ""},
            ],
        ),
        (
            "http[0].fault",
            [
                {"delay": {"fixedDelay": "1s", "percentage": {"value": 50}}},
                {"delay": {"fixedDelay": "-1s"}},
                {"delay": {"percentage": {"value": 150}}},
                {"abort": {"httpStatus": 503, "percentage": {"value": 10}}},
                {"abort": {"httpStatus": 0}},
                {"abort": {"httpStatus": 700}},
                {},
            ],
        ),
        ("http[0].mirror", [{"host": "mirror.example.com"}, {"host": ""}, {"host": "*"}]),
        ("http[0].mirrorPercentage.value", PERCENTS),
        (
            "http[0].corsPolicy",
            [
                {"allowOrigins": [{"exact": "https://a.example.com"}], "maxAge": "1s"},
                {"allowOrigins": [{"regex": "("}]},
                {"maxAge": "1ms"},
                {"allowMethods": ["GET", "FOO"]},
                {"allowHeaders": [""]},
            ],
        ),
        (
            "http[0].headers",
            [{"request": {"set": {h: "v"}}} for h in HEADER_NAMES] + [{"response": {"remove": [":path"]}}],
        ),
        ("http[0].name", ["", "a b"]),
        (
            "http[1]",
            [{"route": [{"destination": {"host": "b"}}]}, {}, {"redirect": {"uri": "/"}, "route": []}],
        ),
        (
            "tcp",
            [
                [{"route": [{"destination": {"host": "db", "port": {"number": 5432}}}]}],
                [{"match": [{"port": 0}], "route": [{"destination": {"host": "db"}}]}],
                [{"route": [{"destination": {"host": "db"}, "weight": 0}]}],
                [{}],
            ],
        ),
        (
            "tls",
            [
                [{"match": [{"sniHosts": ["shop.example.com"]}], "route": [{"destination": {"host": "s"}}]}],
                [{"match": [{"sniHosts": []}], "route": [{"destination": {"host": "s"}}]}],
                [{"route": [{"destination": {"host": "s"}}]}],
                [{"match": [{"sniHosts": ["other.example.com"]}], "route": [{"destination": {"host": "s"}}]}],
            ],
        ),
        ("http", [[], DELETE]),
        ("exportTo", [["."], ["*"], ["~"], ["a", "b"], [".", "*"], ["UPPER"], [""]]),
        ("bogus", [1]),
    ],
    "DestinationRule": [
        ("host", HOSTS),
        ("subsets[0].name", NAMES),
        ("subsets[1]", [{"name": "v1", "labels": {"version": "v2"}}, {"name": "v2"}, {}]),
        ("subsets[0].labels", LABEL_MAPS),
        ("trafficPolicy.tls.mode", CLIENT_TLS_MODES),
        (
            "trafficPolicy.tls",
            [
                {"mode": "SIMPLE", "credentialName": "c"},
                {"mode": "MUTUAL"},
                {"mode": "MUTUAL", "clientCertificate": "/c", "privateKey": "/k"},
                {"mode": "SIMPLE", "clientCertificate": "/c"},
                {"mode": "ISTIO_MUTUAL", "sni": "x"},
                {"mode": "DISABLE", "caCertificates": "/c"},
            ],
        ),
        ("trafficPolicy.connectionPool.tcp.connectTimeout", DURATIONS),
        ("trafficPolicy.connectionPool.tcp.maxConnections", INTS),
        ("trafficPolicy.connectionPool.http.http2MaxRequests", INTS),
        ("trafficPolicy.connectionPool.http.idleTimeout", DURATIONS),
        ("trafficPolicy.connectionPool.http.maxRetries", INTS),
        ("trafficPolicy.outlierDetection.maxEjectionPercent", [0, 50, 100, 101, -1]),
        ("trafficPolicy.outlierDetection.interval", DURATIONS),
        ("trafficPolicy.outlierDetection.baseEjectionTime", DURATIONS),
        ("trafficPolicy.outlierDetection.consecutive5xxErrors", INTS),
        (
            "trafficPolicy.loadBalancer",
            [
                {"simple": "LEAST_REQUEST"},
                {"simple": "FOO"},
                {"consistentHash": {"httpHeaderName": "x-user"}},
                {"consistentHash": {"httpHeaderName": ""}},
                {"consistentHash": {"httpCookie": {"name": "c"}}},
                {"consistentHash": {"httpCookie": {"name": "c", "ttl": "-1s"}}},
                {"consistentHash": {"minimumRingSize": 0, "useSourceIp": True}},
                {"warmupDurationSecs": "1s", "simple": "ROUND_ROBIN"},
                {"localityLbSetting": {"distribute": [{"from": "a/*", "to": {"b/*": 100}}]}},
                {"localityLbSetting": {"distribute": [{"from": "a/*", "to": {"b/*": 50}}]}},
                {"localityLbSetting": {"failover": [{"from": "a", "to": "a"}]}},
            ],
        ),
        (
            "trafficPolicy.portLevelSettings",
            [
                [{"port": {"number": 80}}],
                [{"port": {"number": 0}}],
                [{}],
                [{"port": {"number": 80}, "tls": {"mode": "SIMPLE"}}, {"port": {"number": 80}}],
            ],
        ),
        ("trafficPolicy", [{}, DELETE]),
        ("exportTo", [["."], ["*"], ["~"], ["a", "b"], [".", "*"], [""]]),
        ("workloadSelector", [{"matchLabels": {"app": "shop"}}, {"matchLabels": {}}]),
        ("bogus", [1]),
    ],
    "ServiceEntry": [
        ("hosts[0]", HOSTS),
        ("hosts", [[], DELETE, ["a.example.com", "a.example.com"]]),
        ("ports[0].number", PORTS),
        ("ports[0].protocol", PROTOCOLS),
        ("ports[0].name", [*PORT_NAMES, DELETE]),
        ("ports[0].targetPort", PORTS),
        (
            "ports[1]",
            [
                {"number": 443, "name": "other", "protocol": "TLS"},
                {"number": 8443, "name": "https", "protocol": "TLS"},
                {},
            ],
        ),
        ("resolution", ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "FOO", ""]),
        ("location", ["MESH_INTERNAL", "MESH_EXTERNAL", "FOO"]),
        ("addresses", [["10.0.0.1"], ["10.0.0.0/8"], ["300.0.0.1"], ["abc"], [""], ["10.0.0.1/33"]]),
        (
            "endpoints",
            [
                [{"address": a} for a in ("10.0.0.1",)],
                [{"address": "api.example.com"}],
                [{"address": ""}],
                [{"address": "unix:///x.sock"}],
                [{"address": "10.0.0.0/8"}],
                [{"address": "10.0.0.1", "ports": {"https": 0}}],
                [{"address": "10.0.0.1", "ports": {"other": 8443}}],
                [{"address": "10.0.0.1", "weight": 0}],
            ],
        ),
        ("workloadSelector", [{"labels": {"app": "vm"}}, {"labels": {}}]),
        ("exportTo", [["."], ["*"], ["a", "b"], [".", "*"]]),
        ("subjectAltNames", [[""], ["spiffe://x"]]),
        ("bogus", [1]),
    ],
    "Sidecar": [
        (
            "egress[0].hosts[0]",
            [
                "./*",
                "*/*",
                "~/*",
                "*",
                "",
                "ns/",
                "/x",
                "a/b/c",
                "ns/*.example.com",
                "ns/shop.example.com",
                "./shop",
            ],
        ),
        ("egress[0].hosts", [[], DELETE]),
        (
            "egress[0].port",
            [
                {"number": 80, "protocol": "HTTP", "name": "http"},
                {"number": 0},
                {"number": 65536, "protocol": "HTTP"},
                {"number": 80, "protocol": "FOO"},
            ],
        ),
        ("egress[0].bind", IPS),
        ("egress[0].captureMode", ["DEFAULT", "IPTABLES", "NONE", "FOO"]),
        ("egress[1]", [{"hosts": ["./*"]}, {"hosts": ["*/*"], "port": {"number": 80}}]),
        ("egress", [[], DELETE]),
        (
            "ingress",
            [
                [
                    {
                        "port": {"number": 8080, "protocol": "HTTP", "name": "http"},
                        "defaultEndpoint": "127.0.0.1:8080",
                    }
                ],
                [{"port": {"number": 8080, "protocol": "HTTP", "name": "http"}}],
                [{"port": {"number": 8080, "protocol": "HTTP", "name": "http"}, "defaultEndpoint": "bad"}],
                [
                    {
                        "port": {"number": 0, "protocol": "HTTP", "name": "http"},
                        "defaultEndpoint": "127.0.0.1:8080",
                    }
                ],
                [
                    {
                        "port": {"number": 8080, "protocol": "HTTP", "name": "http"},
                        "defaultEndpoint": "unix:///var/run/x.sock",
                    }
                ],
            ],
        ),
        ("workloadSelector.labels", LABEL_MAPS),
        ("outboundTrafficPolicy.mode", ["ALLOW_ANY", "REGISTRY_ONLY", "FOO"]),
        ("outboundTrafficPolicy.egressProxy", [{"host": "egress.example.com"}, {"host": ""}]),
        ("bogus", [1]),
    ],
    "WorkloadEntry": [
        ("address", IPS),
        ("ports", [{"http": 0}, {"http": 65536}, {"": 80}, {"UPPER": 80}, {}]),
        ("labels", LABEL_MAPS),
        ("weight", [0, 1, 100]),
        ("serviceAccount", ["", "sa", "a b"]),
        ("network", ["", "net1"]),
        ("bogus", [1]),
    ],
    "AuthorizationPolicy": [
        ("action", ["ALLOW", "DENY", "AUDIT", "CUSTOM", "FOO"]),
        ("provider", [{"name": "ext"}, {"name": ""}]),
        ("rules", [[], [{}], DELETE]),
        ("rules[0].to[0].operation.paths[0]", PATHS),
        ("rules[0].to[0].operation.methods[0]", METHODS),
        ("rules[0].to[0].operation.ports", [[p] for p in PORT_STRINGS]),
        ("rules[0].to[0].operation.hosts", [[""], ["*"], ["shop.example.com"]]),
        ("rules[0].to[0].operation", [{}]),
        ("rules[0].from[0].source.ipBlocks", [[i] for i in IPS]),
        ("rules[0].from[0].source.remoteIpBlocks", [[i] for i in IPS]),
        ("rules[0].from[0].source.namespaces", [[""], ["*"], ["a"]]),
        ("rules[0].from[0].source.principals", [[""], ["*"], ["a", ""]]),
        ("rules[0].from[0].source", [{}]),
        (
            "rules[0].when[0].key",
            [
                "request.headers[x-token]",
                "request.headers",
                "",
                "source.ip",
                "foo.bar",
                "request.auth.claims[iss]",
                "destination.port",
                "experimental.envoy.filters.a",
            ],
        ),
        ("rules[0].when[0].values", [[], [""], ["10.0.0.0/8"], ["abc"]]),
        ("rules[0].when[0].notValues", [["x"]]),
        ("selector.matchLabels", LABEL_MAPS),
        (
            "targetRef",
            [
                {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"},
                {"kind": "Service", "group": "", "name": "s"},
                {"kind": "Pod", "name": "p"},
            ],
        ),
        ("bogus", [1]),
    ],
    "RequestAuthentication": [
        ("jwtRules[0].issuer", ["", "https://issuer.example.com", "issuer"]),
        ("jwtRules[0].jwksUri", URIS),
        ("jwtRules[0].jwks", ['{"keys": []}', "not json", ""]),
        ("jwtRules[0].fromHeaders", [[{"name": h} for h in (n,)] for n in HEADER_NAMES]),
        ("jwtRules[0].fromParams", [[""], ["token"]]),
        ("jwtRules[0].outputPayloadToHeader", HEADER_NAMES),
        (
            "jwtRules[0].outputClaimToHeaders",
            [[{"header": h, "claim": "sub"}] for h in HEADER_NAMES] + [[{"header": "x-a", "claim": ""}]],
        ),
        ("jwtRules[0].timeout", DURATIONS),
        ("jwtRules[0].audiences", [[""], ["a"]]),
        ("jwtRules[1]", [{"issuer": "https://issuer.example.com"}, {}]),
        ("jwtRules", [[], DELETE]),
        ("selector.matchLabels", LABEL_MAPS),
        ("bogus", [1]),
    ],
    "PeerAuthentication": [
        ("mtls.mode", ["UNSET", "DISABLE", "PERMISSIVE", "STRICT", "FOO"]),
        (
            "portLevelMtls",
            [
                {"0": {"mode": "STRICT"}},
                {"65536": {"mode": "STRICT"}},
                {"80": {}},
                {"8080": {"mode": "DISABLE"}},
                {},
            ],
        ),
        ("selector", [DELETE, {"matchLabels": {}}]),
        ("selector.matchLabels", LABEL_MAPS),
        ("mtls", [{}, DELETE]),
        ("bogus", [1]),
    ],
    "Telemetry": [
        ("tracing[0].randomSamplingPercentage", PERCENTS),
        ("tracing[0].providers", [[{"name": "zipkin"}], [{"name": ""}], [{"name": "a"}, {"name": "b"}]]),
        (
            "tracing[0].customTags",
            [
                {"a": {"literal": {"value": "x"}}},
                {"a": {}},
                {"": {"literal": {"value": "x"}}},
                {"a": {"header": {"name": ""}}},
            ],
        ),
        ("accessLogging[0].filter.expression", ["response.code >= 400", "", "((("]),
        ("accessLogging[0].providers", [[{"name": ""}], [{"name": "a"}, {"name": "b"}]]),
        (
            "metrics",
            [
                [{"overrides": [{"tagOverrides": {"a": {"operation": "UPSERT", "value": "x"}}}]}],
                [{"overrides": [{"tagOverrides": {"a": {"operation": "UPSERT"}}}]}],
                [{"overrides": [{"tagOverrides": {"a": {"operation": "REMOVE", "value": "x"}}}]}],
                [{"overrides": [{"match": {"metric": "REQUEST_COUNT"}, "disabled": True}]}],
                [{"overrides": [{"match": {"customMetric": ""}}]}],
                [{"providers": [{"name": "prometheus"}, {"name": "prometheus"}]}],
            ],
        ),
        ("selector.matchLabels", LABEL_MAPS),
        ("bogus", [1]),
    ],
}
KINDS = tuple(MUTATIONS)


# -- applying mutations ----------------------------------------------------------------------------

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    return [m[1] if m[1] else int(m[2]) for m in _PART.finditer(path)]


def apply(spec: Obj, path: str, value: Any) -> None:
    """Set (or, with :data:`DELETE`, remove) ``path`` in ``spec``, creating what is missing.

    A list index one past the end appends; further indices are filled with copies of the last
    element (so ``subsets[1]`` after one subset adds a second).
    """
    parts = _parts(path)
    node: Any = spec
    for part, nxt in itertools.pairwise(parts):
        empty: Any = [] if isinstance(nxt, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(copy.deepcopy(node[-1]) if node else empty)
            node = node[part]
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = empty
            node = node[part]
    last = parts[-1]
    if value is DELETE:
        if isinstance(last, int):
            if last < len(node):
                del node[last]
        else:
            node.pop(last, None)
    elif isinstance(last, int):
        while len(node) < last:
            node.append(copy.deepcopy(node[-1]) if node else {})
        if last < len(node):
            node[last] = copy.deepcopy(value)
        else:
            node.append(copy.deepcopy(value))
    else:
        node[last] = copy.deepcopy(value)


def _show(value: Any) -> str:
    return (
        "<missing>"
        if value is DELETE
        else yaml.safe_dump(value, default_flow_style=True, width=1 << 16).removesuffix("\n...\n").strip()
    )


def generate(count: int, seed: int) -> list[Sample]:
    """``count`` objects from ``seed``: about one in ten a valid base object, the rest with one or
    two fields changed; the same seed gives the same objects."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)] if n < len(KINDS) else rng.choice(KINDS)
        api, spec = _base(kind)
        how_many = 0 if rng.random() < 0.1 else rng.choice((1, 1, 2))
        picks = rng.sample(MUTATIONS[kind], how_many)
        mutations = []
        for path, pool in picks:
            value = rng.choice(pool)
            apply(spec, path, value)
            mutations.append((f"spec.{path}", value))
        obj = {
            "apiVersion": api,
            "kind": kind,
            "metadata": {"name": f"adm-{seed}-{n:05d}", "namespace": NAMESPACE},
            "spec": spec,
        }
        out.append(Sample(kind, obj, [(p, _show(v)) for p, v in mutations]))
    return out


def write(samples: list[Sample], path: Path) -> None:
    """All samples as one YAML stream (strings quoted where YAML 1.1 would read them otherwise)."""
    path.write_text(yaml.safe_dump_all([s.obj for s in samples], sort_keys=True), encoding="utf-8")
