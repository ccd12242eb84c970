"""The admission differential (``e2e/admission_diff.py``) in-process: a sample of the generated
objects against Istio's verdicts stored from ``istioctl validate`` (so this suite needs no
istioctl), and one test per class of disagreement fixed, each with the value Istio's validation
gives (``pkg/config/validation/...``)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pulumi_meshgw.analysis.admission import admission_diagnostics
from pulumi_meshgw.analysis.diagnostics import Level
from pulumi_meshgw.analysis.schema import validate_manifest

E2E = Path(__file__).resolve().parent.parent / "e2e"
sys.path.insert(0, str(E2E))

import admission_corpus  # noqa: E402
from admission_diff import ACCEPTED, digest, meshgw_errors  # noqa: E402

# Stored by: python e2e/admission_diff.py --istioctl PATH --count 400 --seed 101
#            --expected tests/corpus/admission/expected-seed101-400.json
STORED = Path(__file__).resolve().parent / "corpus" / "admission" / "expected-seed101-400.json"


def test_the_corpus_is_seeded_and_mutates_every_kind() -> None:
    first = admission_corpus.generate(200, seed=5)
    again = admission_corpus.generate(200, seed=5)
    assert digest(first) == digest(again)
    assert digest(admission_corpus.generate(200, seed=6)) != digest(first)
    assert {s.kind for s in first} == set(admission_corpus.KINDS)
    assert any(not s.mutations for s in first) and any(len(s.mutations) == 2 for s in first)
    # Metadata is never mutated: Istio's per-object errors map back by Kind/namespace/name.
    assert len({s.name for s in first}) == len(first)


def test_a_sample_agrees_with_istioctl_validate() -> None:
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    samples = admission_corpus.generate(400, seed=101)
    assert digest(samples) == stored["digest"], f"the generator changed: regenerate with {stored['command']}"
    rejects: dict[str, bool] = stored["istio_rejects"]
    assert 0.3 < sum(rejects.values()) / len(rejects) < 0.9  # accepted and rejected objects mixed
    open_, accepted = [], 0
    for s in samples:
        ours = meshgw_errors(s.obj)
        if bool(ours) == rejects[s.name]:
            continue
        if not rejects[s.name] and any(a.matches(s, ours) for a in ACCEPTED):
            accepted += 1
            continue
        open_.append((s.name, s.mutations, [d.message for d in ours], rejects[s.name]))
    assert open_ == []
    assert accepted <= 10  # each one an API-server rule or MGW0102 (docs/checks.md)


def _obj(kind: str, **changes: Any) -> dict[str, Any]:
    """The corpus's valid base object of ``kind`` with ``changes`` (path -> value) applied."""
    api, spec = admission_corpus._base(kind)
    for path, value in changes.items():
        admission_corpus.apply(spec, path.replace("__", "."), value)
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "x", "namespace": "shop"}, "spec": spec}


def _levels(obj: dict[str, Any]) -> dict[str, Level]:
    found = validate_manifest(obj) + admission_diagnostics(obj)
    out: dict[str, Level] = {}
    for d in found:
        out[d.path] = min(out.get(d.path, Level.WARNING), d.level, key=lambda lv: lv is not Level.ERROR)
    return out


def test_the_base_objects_are_valid() -> None:
    for kind in admission_corpus.KINDS:
        assert meshgw_errors(_obj(kind)) == [], kind


# Stricter rules of ours that Istio accepts: at most a warning (admission._as_istio).
RELAXED = [
    ("DestinationRule", {"host": "shop.example.com."}, "spec.host"),  # trailing dot: ValidateDNS1123Labels
    ("VirtualService", {"hosts[0]": "Shop.example.com"}, "spec.hosts[0]"),  # IsDNS1123Label: any case
    ("DestinationRule", {"host": "*example.com"}, "spec.host"),  # IsWildcardDNS1123Label: "*example"
    ("DestinationRule", {"subsets[0].name": "V1"}, "spec.subsets[0].name"),  # validateSubsetName
    ("Gateway", {"servers[1].tls.serverCertificate": "/c.pem"}, "spec.servers[1].tls"),  # credentialName wins
    ("Gateway", {"servers[0].name": "https"}, "spec.servers[1].name"),  # names are not checked
    ("VirtualService", {"http[1]": {"redirect": {"uri": "/"}, "route": []}}, "spec.http[1]"),  # [] is unset
    ("VirtualService", {"http[0].match[0].port": 0}, "spec.http[0].match[0].port"),  # 0 is unset
    ("VirtualService", {"http[0].match[0].uri": {}}, "spec.http[0].match[0].uri"),  # empty oneof
]


@pytest.mark.parametrize(("kind", "changes", "path"), RELAXED)
def test_what_istio_accepts_is_no_error(kind: str, changes: dict[str, Any], path: str) -> None:
    obj = _obj(kind)
    for p, v in changes.items():
        admission_corpus.apply(obj["spec"], p, v)
    assert meshgw_errors(obj) == []
    assert _levels(obj).get(path) in (None, Level.WARNING)


# Istio's webhook rejects these (analysis/webhook/): each an error at the path Istio names.
MISSES = [
    ("VirtualService", {"exportTo": ["~"]}, "spec.exportTo[0]", "exportTo ~ (none) is not allowed"),
    ("VirtualService", {"exportTo": [".", "*"]}, "spec.exportTo", "both public (*) and non-public"),
    ("DestinationRule", {"trafficPolicy": {}}, "spec.trafficPolicy", "traffic policy must have at least one"),
    (
        "DestinationRule",
        {"trafficPolicy.portLevelSettings": [{"port": {"number": 80}}]},
        "spec.trafficPolicy.portLevelSettings[0]",
        "port traffic policy must have at least one field",
    ),
    (
        "DestinationRule",
        {"trafficPolicy.tls": {"mode": "MUTUAL"}},
        "spec.trafficPolicy.tls.clientCertificate",
        "client certificate required for mutual tls",
    ),
    (
        "DestinationRule",
        {"trafficPolicy.outlierDetection.maxEjectionPercent": 101},
        "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
        "percentage 101 is not in range 0..100",
    ),
    (
        "DestinationRule",
        {"trafficPolicy.connectionPool.tcp.maxConnections": 2147483648},
        "spec.trafficPolicy.connectionPool.tcp.maxConnections",
        "int32 range",
    ),
    ("ServiceEntry", {"ports[0].name": "http_1"}, "spec.ports[0].name", "invalid port name: http_1"),
    ("ServiceEntry", {"ports[0].protocol": "FOO"}, "spec.ports[0].protocol", "unsupported protocol: FOO"),
    (
        "ServiceEntry",
        {"endpoints": [{"address": "10.0.0.0/8"}]},
        "spec.endpoints[0].address",
        "not a valid FQDN or an IP address",
    ),
    (
        "Sidecar",
        {"egress[1]": {"hosts": ["./*"]}},
        "spec.egress[0]",
        "empty port should be the last listener",
    ),
    (
        "Sidecar",
        {"egress[0].hosts[0]": "shop"},
        "spec.egress[0].hosts[0]",
        "host must be of form namespace/dnsName",
    ),
    (
        "Sidecar",
        {"outboundTrafficPolicy.egressProxy": {"host": "e.example.com"}},
        "spec.outboundTrafficPolicy.egressProxy",
        "only with ALLOW_ANY",
    ),
    ("WorkloadEntry", {"address": "10.0.0.0/8"}, "spec.address", "not a valid FQDN or an IP address"),
    ("WorkloadEntry", {"labels": {"app": "a b"}}, "spec.labels.app", "invalid tag value"),
    (
        "AuthorizationPolicy",
        {"provider": {"name": "ext"}},
        "spec.provider",
        "must not be with non CUSTOM action",
    ),
    (
        "AuthorizationPolicy",
        {"rules[0].from[0].source.principals": ["a", ""]},
        "spec.rules[0].from[0].source.principals[1]",
        "empty value not allowed",
    ),
    (
        "AuthorizationPolicy",
        {"rules[0].when[0].key": "foo.bar"},
        "spec.rules[0].when[0].values",
        "unknown attribute: foo.bar",
    ),
    (
        "AuthorizationPolicy",
        {"rules[0].from[0].source.ipBlocks": ["10.0.0.1/33"]},
        "spec.rules[0].from[0].source.ipBlocks[0]",
        "bad CIDR range (10.0.0.1/33)",
    ),
    (
        "AuthorizationPolicy",
        {"rules[0].to[0].operation.ports": ["65536"]},
        "spec.rules[0].to[0].operation.ports[0]",
        "bad port (65536)",
    ),
    ("RequestAuthentication", {"jwtRules[1]": {}}, "spec.jwtRules[1]", "issuer or jwksUri must be non-empty"),
    (
        "Telemetry",
        {"accessLogging[0].filter.expression": "((("},
        "spec.accessLogging[0].filter.expression",
        "must be a valid CEL expression",
    ),
    (
        "VirtualService",
        {"http[0].retries.retryOn": "bogus"},
        "spec.http[0].retries.retryOn",
        "'bogus' is not a valid retryOn policy",
    ),
    (
        "VirtualService",
        {"http[0].route[0].destination.subset": "a.b"},
        "spec.http[0].route[0].destination.subset",
        "subset name is invalid: a.b",
    ),
    (
        "VirtualService",
        {"http[0].headers": {"response": {"remove": [":path"]}}},
        "spec.http[0].headers.response.remove",
        'header cannot have ":" prefix',
    ),
    (
        "VirtualService",
        {
            "tls": [
                {"match": [{"sniHosts": ["other.example.com"]}], "route": [{"destination": {"host": "s"}}]}
            ]
        },
        "spec.tls[0].match[0].sniHosts[0]",
        "is not a compatible subset",
    ),
    ("Gateway", {"servers[0].hosts[0]": "*example.com"}, "spec.servers[0].hosts[0]", "partial wildcard"),
    ("Gateway", {"servers[0].port.name": ""}, "spec.servers[0].port.name", "port name must be set"),
    (
        "DestinationRule",
        {"host": "shop.example.com.", "subsets[1]": {"name": "v1", "labels": {"version": "v2"}}},
        "spec.subsets[1].name",
        "duplicate subset names: v1",
    ),
    (
        "DestinationRule",
        {"workloadSelector": {"matchLabels": {"app": "shop"}}, "exportTo": ["a"]},
        "spec.exportTo",
        "cannot have exportTo beyond current namespace",
    ),
    (
        "DestinationRule",
        {
            "trafficPolicy.loadBalancer": {
                "localityLbSetting": {"distribute": [{"from": "a/*", "to": {"b/*": 50}}]}
            }
        },
        "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to",
        "total locality weight 50 != 100",
    ),
    (
        "Gateway",
        {"servers[1].tls.credentialName": ""},
        "spec.servers[1].tls.serverCertificate",
        "SIMPLE TLS requires a server certificate",
    ),
]


@pytest.mark.parametrize(("kind", "changes", "path", "message"), MISSES)
def test_what_istio_rejects_is_an_error(kind: str, changes: dict[str, Any], path: str, message: str) -> None:
    obj = _obj(kind)
    for p, v in changes.items():
        admission_corpus.apply(obj["spec"], p, v)
    errors = [d for d in meshgw_errors(obj) if d.path == path]
    assert errors, (path, [(d.path, d.message) for d in meshgw_errors(obj)])
    assert any(message in d.message for d in errors), [d.message for d in errors]


def test_the_right_values_stay_accepted() -> None:
    """The edges of the rules above that Istio accepts."""
    cases = [
        ("ServiceEntry", {"exportTo": ["~"]}),  # ~ is allowed on a ServiceEntry
        ("VirtualService", {"http[0].retries.retryOn": "503,gateway-error"}),  # a status code is a policy
        ("VirtualService", {"hosts[0]": "10.0.0.1"}),  # an IP host
        (
            "VirtualService",
            {
                "tls": [
                    {
                        "match": [{"sniHosts": ["a.shop.example.com"]}],
                        "route": [{"destination": {"host": "s"}}],
                    }
                ],
                "hosts[0]": "*.shop.example.com",
            },
        ),
        ("Sidecar", {"egress[0].hosts[0]": "~/*.example.com"}),
        (
            "AuthorizationPolicy",
            {"rules[0].when[0].key": "source.ip", "rules[0].when[0].values": ["10.0.0.0/8"]},
        ),
        ("Telemetry", {"accessLogging[0].filter.expression": "response.code >= 400"}),
        ("DestinationRule", {"trafficPolicy.tls": {"mode": "MUTUAL", "credentialName": "c"}}),
    ]
    for kind, changes in cases:
        obj = copy.deepcopy(_obj(kind))
        for p, v in changes.items():
            admission_corpus.apply(obj["spec"], p, v)
        assert meshgw_errors(obj) == [], (kind, changes, [d.message for d in meshgw_errors(obj)])


def test_a_cel_rule_over_a_missing_field_fails_without_a_traceback() -> None:
    """The API server fails a rule whose evaluation errors ("no such key"); so does MGW0109."""
    obj = _obj("Telemetry", metrics=[{"overrides": [{"tagOverrides": {"a": {"operation": "UPSERT"}}}]}])
    rules = [d for d in validate_manifest(obj) if d.code == "MGW0109"]
    assert [(d.path, d.level) for d in rules] == [
        ("spec.metrics[0].overrides[0].tagOverrides.a", Level.ERROR)
    ]
    assert "value must be set when operation is UPSERT" in rules[0].message
