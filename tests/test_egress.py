"""Egress gateways, pure layers: spec errors with paths, consistency of the rendered set across all
three modes, schema validation of every object, mesh-wide conflicts, the Sidecar merge, goldens."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.analysis.egress import check_egress_consistency
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import EgressPlan, MeshPlan, plan_egress, plan_mesh
from pulumi_meshgw.spec import EgressGatewaySpec, MeshSpec, parse

from .conftest import GOLDEN, STACKS, assert_golden, make_pem, minimal_mesh, stack_config

Manifest = dict[str, Any]


def dest(host: str, port: int, mode: str, *sources: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "mode": mode,
        "sources": list(sources) or [{"namespace": "apps"}],
        **extra,
    }


ALL_MODES: dict[str, Any] = {
    "name": "egress",
    "destinations": [
        dest(
            "api.stripe.com",
            443,
            "tls-passthrough",
            {"namespace": "payments", "serviceAccounts": ["checkout"]},
        ),
        dest("api.weather.example.com", 80, "http", {"namespace": "shop"}),
        dest(
            "api.partner.example.com",
            443,
            "tls-origination",
            {"namespace": "orders"},
            origination={"mode": "SIMPLE", "subjectAltNames": ["api.partner.example.com"]},
        ),
        dest(
            "ledger.bank.example.com",
            443,
            "tls-origination",
            {"namespace": "payments", "serviceAccounts": ["settlement"]},
            origination={"mode": "MUTUAL", "certificate": {"selfSigned": {}}},
        ),
        # A second port of a host already declared: one ServiceEntry and one VirtualService for both.
        dest("api.weather.example.com", 8443, "tls-passthrough", {"namespace": "shop"}),
    ],
}


def egress(**over: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(ALL_MODES)
    cfg.update(over)
    return cfg


def problems(cfg: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        MeshSpec.from_config({"egressGateways": [cfg]})
    return [str(p) for p in info.value.problems]


def plan_one(cfg: dict[str, Any], base_dir: Path | None = None) -> EgressPlan:
    return plan_egress(parse(EgressGatewaySpec, cfg), base_dir=base_dir)


def mesh(config: dict[str, Any], base_dir: Path | None = None) -> MeshPlan:
    return plan_mesh(MeshSpec.from_config(config), base_dir=base_dir)


def mesh_errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        mesh(config)
    return [str(p) for p in info.value.problems]


def of_kind(ms: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in ms if m["kind"] == kind]


def one(ms: list[Manifest], kind: str, name: str, namespace: str | None = None) -> Manifest:
    (m,) = [
        m
        for m in of_kind(ms, kind)
        if m["metadata"]["name"] == name and namespace in (None, m["metadata"].get("namespace"))
    ]
    return m


# -- spec: every bad input names its path ---------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        # The four examples of the issue.
        (
            lambda c: c["destinations"][0].pop("port"),
            "egressGateways[0].destinations[0].port: required: the port the external host listens on",
        ),
        (
            lambda c: c["destinations"][3]["origination"].pop("certificate"),
            "egressGateways[0].destinations[3].origination: mode MUTUAL needs a client certificate",
        ),
        (
            lambda c: c["destinations"][1].update(host="*.example.com"),
            "egressGateways[0].destinations[1].host: host '*.example.com' is a wildcard, which needs a "
            "resolution other than DNS",
        ),
        (
            lambda c: c["destinations"][1].update(sources=[{"serviceAccounts": ["web"]}]),
            "egressGateways[0].destinations[1].sources[0].namespace: required: a source names the caller's "
            "namespace",
        ),
        # And the rest of the rules.
        (
            lambda c: c["destinations"][1].update(resolution="NONE"),
            "egressGateways[0].destinations[1].resolution: resolution NONE makes the egress gateway "
            "forward to the original destination address, which is its own Service address, so traffic loops",
        ),
        (
            lambda c: c["destinations"][1].update(origination={"mode": "SIMPLE"}),
            "egressGateways[0].destinations[1].origination: only applies to mode tls-origination, not http",
        ),
        (
            lambda c: c["destinations"][2]["origination"].update(httpPort=443),
            "egressGateways[0].destinations[2].origination.httpPort: must differ from port (443)",
        ),
        (
            lambda c: c["destinations"][2]["origination"].update(certificate={"selfSigned": {}}),
            "egressGateways[0].destinations[2].origination.certificate: mode SIMPLE presents no client "
            "certificate",
        ),
        (
            lambda c: c["destinations"][3]["origination"].update(
                certificate={"certManager": {"issuerRef": {"name": "partner-ca"}}}
            ),
            "egressGateways[0].destinations[3].origination.caCertificates: required with "
            "certificate.certManager",
        ),
        (
            lambda c: c["destinations"][3]["origination"].update(clientCertificate="c.pem", certificate=None),
            "egressGateways[0].destinations[3].origination.privateKey: clientCertificate and privateKey go "
            "together",
        ),
        (
            lambda c: c["destinations"][3]["origination"].update(
                credentialName="bank-client", caCertificates="ca.pem", certificate=None
            ),
            "egressGateways[0].destinations[3].origination.caCertificates: credentialName names an existing "
            "Secret",
        ),
        (
            lambda c: c["destinations"].append(dest("api.stripe.com", 443, "http")),
            "egressGateways[0].destinations[5]: api.stripe.com:443 is already declared by destinations[0]",
        ),
        (
            lambda c: c["destinations"].append(dest("api.partner.example.com", 80, "http")),
            "egressGateways[0].destinations[5]: port 80 of api.partner.example.com would carry http here, "
            "but destinations[2] already uses it for http",
        ),
        (
            lambda c: c["destinations"].append(dest("api.other.example.com", 443, "http")),
            "egressGateways[0].destinations[5]: applications would send HTTP to port 443, where "
            "destinations[0] receives TLS",
        ),
        (
            lambda c: c["destinations"][4].update(resolution="DNS_ROUND_ROBIN"),
            "egressGateways[0].destinations[4].resolution: api.weather.example.com already has "
            "resolution DNS (destinations[1])",
        ),
        (
            lambda c: c["destinations"][1].update(host="10.0.0.1"),
            "egressGateways[0].destinations[1].host: host '10.0.0.1' is an IP address",
        ),
        (
            lambda c: c["destinations"][1].update(host="ledger.finance.svc.cluster.local"),
            "egressGateways[0].destinations[1].host: host 'ledger.finance.svc.cluster.local' is a "
            "cluster-internal name",
        ),
        (
            lambda c: c["destinations"][1].update(port=15021),
            "egressGateways[0].destinations[1].port: 15021 is reserved by the Istio proxy",
        ),
        (
            lambda c: c["destinations"][1].update(sources=[]),
            "egressGateways[0].destinations[1].sources: needs at least 1 item (got [])",
        ),
        (
            lambda c: c.update(workload={"exposure": "public"}),
            "egressGateways[0].workload.exposure: an egress gateway is always exposure 'cluster'",
        ),
        (
            lambda c: c.update(workload={"networkPolicy": {"enabled": True}}),
            "egressGateways[0].workload.networkPolicy: the egress gateway renders its own NetworkPolicy",
        ),
        (
            lambda c: c.update(workload={"autoscaling": {"minReplicas": 4, "maxReplicas": 2}}),
            "egressGateways[0].workload.autoscaling: maxReplicas (2) is below minReplicas (4)",
        ),
        (
            lambda c: c.update(workload={"nodeSelectr": {"pool": "egress"}}),
            "egressGateways[0].workload.nodeSelectr: unknown field 'nodeSelectr'",
        ),
        (
            lambda c: c.update(egressIPs=["203.0.113.300"]),
            "egressGateways[0].egressIPs: '203.0.113.300' is not an IP address",
        ),
        (
            lambda c: c["destinations"][1].update(host="203.0.113.7"),
            "egressGateways[0].destinations[1].host: host '203.0.113.7' is an IP address; a destination is "
            "a DNS name",
        ),
        (
            lambda c: c["destinations"][1].update(vip="203.0.113.300"),
            "egressGateways[0].destinations[1].vip: vip '203.0.113.300' is not an IP address",
        ),
        (
            lambda c: c.update(overrides={"Deployment": {}}),
            "egressGateways[0].overrides: overrides for unknown kind(s) Deployment",
        ),
        (
            lambda c: c.update(enforcement={"allowedCidrs": ["10.0.0.1/8"]}),
            "egressGateways[0].enforcement.allowedCidrs[0]: '10.0.0.1/8' has host bits set; "
            "write the network address: 10.0.0.0/8",
        ),
    ],
)
def test_bad_input_names_the_path(mutate: Any, expected: str) -> None:
    cfg = egress()
    mutate(cfg)
    msgs = problems(cfg)
    assert any(m.startswith(expected) for m in msgs), msgs


def test_every_problem_is_reported_at_once() -> None:
    cfg = egress(workload={"exposure": "public"})
    cfg["destinations"][0].pop("port")
    cfg["destinations"][1]["host"] = "*.example.com"
    cfg["destinations"][2]["sources"] = [{}]
    paths = [p.split(":")[0] for p in problems(cfg)]
    assert paths == [
        "egressGateways[0].workload.exposure",
        "egressGateways[0].destinations[0].port",
        "egressGateways[0].destinations[1].host",
        "egressGateways[0].destinations[2].sources[0].namespace",
    ]


def test_defaults() -> None:
    spec = parse(
        EgressGatewaySpec,
        {"name": "egress", "destinations": [dest("api.example.com", 443, "tls-origination")]},
    )
    assert spec.namespace == "istio-egress"
    w = spec.workload_spec
    assert (w.exposure.value if w.exposure else None, w.namespace, w.network_policy.enabled) == (
        "cluster",
        "istio-egress",
        False,
    )
    d = spec.destinations[0]
    assert (d.resolution, d.tls_origination.mode, d.tls_origination.http_port, d.mesh_port) == (
        "DNS",
        "SIMPLE",
        80,
        80,
    )
    assert spec.telemetry.access_logging and spec.telemetry.access_log_providers == ["envoy"]
    assert spec.enforcement.sidecar and spec.enforcement.network_policy
    assert spec.service_fqdn == "egress.istio-egress.svc.cluster.local"


# -- render: the objects agree, in every mode -----------------------------------------------------


def assert_consistent(ms: list[Manifest]) -> None:
    """Independent of analysis.egress: follow every mesh rule to the gateway and on to the host."""
    gateways = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in of_kind(ms, "Gateway")}
    entries = {h: m for m in of_kind(ms, "ServiceEntry") for h in m["spec"]["hosts"]}
    rules = {m["spec"]["host"]: m for m in of_kind(ms, "DestinationRule")}
    services = {
        f"{m['metadata']['name']}.{m['metadata']['namespace']}.svc.cluster.local": m
        for m in of_kind(ms, "Service")
    }
    vss = of_kind(ms, "VirtualService")
    assert vss
    for vs in vss:
        (host,) = vs["spec"]["hosts"]
        gw_ref = next(g for g in vs["spec"]["gateways"] if g != "mesh")
        gns, gname = gw_ref.split("/")
        gw = gateways[(gns, gname)]
        se = entries[host]
        assert se["spec"]["resolution"] == "DNS" and se["spec"]["location"] == "MESH_EXTERNAL"
        se_ports = {p["number"]: p["protocol"] for p in se["spec"]["ports"]}
        onward = {
            (block, m["port"]): r
            for block in ("http", "tcp")
            for r in vs["spec"].get(block, [])
            for m in r["match"]
            if m["gateways"] == [gw_ref]
        }
        for block, next_block, proto, server_proto in (
            ("http", "http", "HTTP", "HTTPS"),
            ("tls", "tcp", "TLS", "TLS"),
        ):
            for rule in vs["spec"].get(block, []):
                (match,) = rule["match"]
                if match["gateways"] != ["mesh"]:
                    continue
                sni = match.get("sniHosts", [host])[0]
                assert sni == host
                assert se_ports[match["port"]] == proto  # sidecars apply the rule on this SE port
                (to_gw,) = rule["route"]
                d = to_gw["destination"]
                svc = services[d["host"]]
                assert d["port"]["number"] in [p["port"] for p in svc["spec"]["ports"]]
                subset = next(s for s in rules[d["host"]]["spec"]["subsets"] if s["name"] == d["subset"])
                (pls,) = subset["trafficPolicy"]["portLevelSettings"]
                assert pls["port"]["number"] == d["port"]["number"]
                assert pls["tls"] == {"mode": "ISTIO_MUTUAL", "sni": host}
                (server,) = [
                    s
                    for s in gw["spec"]["servers"]
                    if s["port"]["number"] == d["port"]["number"] and s["hosts"] == [f"./{host}"]
                ]
                assert (
                    server["tls"] == {"mode": "ISTIO_MUTUAL"} and server["port"]["protocol"] == server_proto
                )
                (to_host,) = onward[(next_block, d["port"]["number"])]["route"]
                out = to_host["destination"]
                assert out["host"] == host
                external = se_ports[out["port"]["number"]]
                origination = rules.get(host)
                if external == "HTTPS":  # the gateway originates TLS: a DR must say so on that port
                    assert origination is not None
                    ports = {
                        p["port"]["number"]: p["tls"]
                        for p in origination["spec"]["trafficPolicy"]["portLevelSettings"]
                    }
                    assert ports[out["port"]["number"]]["mode"] in ("SIMPLE", "MUTUAL")
                    assert ports[out["port"]["number"]]["sni"] == host
                else:
                    assert external == proto
                    if origination is not None:
                        assert out["port"]["number"] not in [
                            p["port"]["number"]
                            for p in origination["spec"]["trafficPolicy"]["portLevelSettings"]
                        ]


def test_all_modes_are_consistent_and_schema_valid() -> None:
    p = plan_one(egress())
    ms = p.manifests()
    assert_consistent(ms)
    assert check_egress_consistency(ms) == []
    assert validate_manifests(ms) == []
    kinds = [m["kind"] for m in p.objects.manifests()]
    assert kinds == [
        "Gateway",
        "AuthorizationPolicy",
        "Telemetry",
        "NetworkPolicy",
        *["ServiceEntry"] * 4,
        *["DestinationRule"] * 3,
        *["VirtualService"] * 4,
    ]


@pytest.mark.parametrize(
    ("kind", "name", "mutate", "code"),
    [
        ("ServiceEntry", "egress-api-weather-example-com", lambda s: s.update(resolution="NONE"), "MGW0301"),
        (
            "DestinationRule",
            "egress-gateway-hop",
            lambda s: s["subsets"][0]["trafficPolicy"]["portLevelSettings"][0]["tls"].update(
                sni="x.example.com"
            ),
            "MGW0303",
        ),
        (
            "DestinationRule",
            "egress-gateway-hop",
            lambda s: s["subsets"][1]["trafficPolicy"]["portLevelSettings"][0]["tls"].update(mode="DISABLE"),
            "MGW0303",
        ),
        ("DestinationRule", "egress-gateway-hop", lambda s: s["subsets"].pop(0), "MGW0302"),
        ("Gateway", "egress", lambda s: s["servers"][0]["port"].update(number=9443), "MGW0304"),
        ("Gateway", "egress", lambda s: s["servers"][1]["port"].update(protocol="TLS"), "MGW0304"),
        ("Gateway", "egress", lambda s: s["servers"][1]["tls"].update(mode="SIMPLE"), "MGW0303"),
        (
            "ServiceEntry",
            "egress-api-stripe-com",
            lambda s: s["ports"][0].update(protocol="HTTPS"),
            "MGW0304",
        ),
        (
            "DestinationRule",
            "egress-api-partner-example-com-origination",
            lambda s: s["trafficPolicy"]["portLevelSettings"][0]["port"].update(number=8443),
            "MGW0306",
        ),
        (
            "DestinationRule",
            "egress-ledger-bank-example-com-origination",
            lambda s: s["trafficPolicy"]["portLevelSettings"][0]["tls"].pop("credentialName"),
            "MGW0306",
        ),
        ("VirtualService", "egress-api-stripe-com", lambda s: s.pop("tcp"), "MGW0305"),
    ],
)
def test_consistency_check_catches_each_disagreement(kind: str, name: str, mutate: Any, code: str) -> None:
    ms = copy.deepcopy(plan_one(egress()).manifests())
    mutate(one(ms, kind, name)["spec"])
    assert code in {d.code for d in check_egress_consistency(ms)}


def test_overrides_that_break_consistency_fail_at_plan() -> None:
    cfg = egress(overrides={"ServiceEntry": {"spec": {"resolution": "NONE"}}})
    with pytest.raises(ConfigError) as info:
        plan_one(cfg)
    assert any(
        "ServiceEntry istio-egress/egress-api-stripe-com spec.resolution" in str(p) and p.code == "MGW0301"
        for p in info.value.problems
    )


def test_overrides_are_schema_checked_and_applied() -> None:
    with pytest.raises(ConfigError) as info:
        plan_one(egress(overrides={"VirtualService": {"spec": {"bogus": 1}}}))
    assert any(pr.code == "IST0106" and "spec.bogus" in pr.path for pr in info.value.problems)
    ok = plan_one(egress(overrides={"Telemetry": {"metadata": {"labels": {"team": "platform"}}}}))
    assert ok.objects.telemetry["metadata"]["labels"]["team"] == "platform"


def test_service_entry_per_host_with_all_its_ports() -> None:
    ms = plan_one(egress()).manifests()
    weather = one(ms, "ServiceEntry", "egress-api-weather-example-com")["spec"]
    assert weather["ports"] == [
        {"number": 80, "name": "http-80", "protocol": "HTTP"},
        {"number": 8443, "name": "tls-8443", "protocol": "TLS"},
    ]
    assert weather["exportTo"] == [".", "shop"]
    partner = one(ms, "ServiceEntry", "egress-api-partner-example-com")["spec"]
    assert [(p["number"], p["protocol"]) for p in partner["ports"]] == [(80, "HTTP"), (443, "HTTPS")]
    vs = one(ms, "VirtualService", "egress-api-weather-example-com")["spec"]
    assert (len(vs["http"]), len(vs["tls"]), len(vs["tcp"])) == (2, 1, 1)


def test_workload_is_egress_shaped() -> None:
    cfg = egress(
        workload={
            "nodeSelector": {"node-pool": "egress"},
            "tolerations": [{"key": "dedicated", "value": "egress", "effect": "NoSchedule"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                        ]
                    }
                }
            },
        }
    )
    p = plan_one(cfg)
    svc = one(p.manifests(), "Service", "egress")["spec"]
    assert svc["type"] == "ClusterIP"
    assert [(x["name"], x["port"], x.get("appProtocol")) for x in svc["ports"]] == [
        ("status-port", 15021, None),
        ("https-80", 80, "https"),
        ("tls-443", 443, "tls"),
        ("tls-8443", 8443, "tls"),
    ]
    pod = one(p.manifests(), "Deployment", "egress")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"node-pool": "egress"}
    assert pod["tolerations"][0]["key"] == "dedicated" and "nodeAffinity" in pod["affinity"]
    assert validate_manifests(p.manifests()) == []


def test_authorization_policy_names_sources_and_uses_sni_for_passthrough() -> None:
    rules = plan_one(egress()).objects.authorization_policy["spec"]["rules"]
    stripe, weather, partner, bank, weather_tls = rules
    assert stripe == {
        "from": [{"source": {"principals": ["cluster.local/ns/payments/sa/checkout"]}}],
        "to": [{"operation": {"ports": ["443"]}}],
        "when": [{"key": "connection.sni", "values": ["api.stripe.com"]}],
    }
    assert weather == {
        "from": [{"source": {"namespaces": ["shop"]}}],
        "to": [
            {
                "operation": {
                    "hosts": ["api.weather.example.com", "api.weather.example.com:80"],
                    "ports": ["80"],
                }
            }
        ],
    }
    assert partner["to"][0]["operation"]["ports"] == ["80"]  # the port the application calls
    assert bank["from"] == [{"source": {"principals": ["cluster.local/ns/payments/sa/settlement"]}}]
    assert weather_tls["when"] == [{"key": "connection.sni", "values": ["api.weather.example.com"]}]


def test_origination_rules_live_with_the_gateway_pods() -> None:
    p = plan_one(egress())
    bank = one(p.manifests(), "DestinationRule", "egress-ledger-bank-example-com-origination")
    assert bank["metadata"]["namespace"] == "istio-egress"
    assert bank["spec"]["workloadSelector"] == {"matchLabels": {"app": "egress", "istio": "egress"}}
    assert bank["spec"]["trafficPolicy"]["portLevelSettings"] == [
        {
            "port": {"number": 443},
            "tls": {
                "mode": "MUTUAL",
                "credentialName": "egress-ledger-bank-example-com-443",
                "sni": "ledger.bank.example.com",
            },
        }
    ]
    (cred,) = p.credentials
    assert (cred.name, cred.namespace, cred.source) == (
        "egress-ledger-bank-example-com-443",
        "istio-egress",
        "self_signed",
    )
    partner = one(p.manifests(), "DestinationRule", "egress-api-partner-example-com-origination")
    assert "credentialName" not in partner["spec"]["trafficPolicy"]["portLevelSettings"][0]["tls"]


def test_origination_material_from_files(tmp_path: Path) -> None:
    cert, key = make_pem(["egress.istio-egress.svc.cluster.local"])
    ca, _ = make_pem(["Bank CA"])
    (tmp_path / "c.pem").write_text(cert)
    (tmp_path / "k.pem").write_text(key)
    (tmp_path / "ca.pem").write_text(ca)
    cfg = egress()
    cfg["destinations"][3]["origination"] = {
        "mode": "MUTUAL",
        "clientCertificate": "c.pem",
        "privateKey": "k.pem",
        "caCertificates": "ca.pem",
    }
    cfg["destinations"][2]["origination"] = {"mode": "SIMPLE", "caCertificates": "ca.pem"}
    p = plan_one(cfg, base_dir=tmp_path)
    secrets = {c.name: c.manifest for c in p.credentials}
    assert sorted(secrets) == [
        "egress-api-partner-example-com-443-cacert",
        "egress-ledger-bank-example-com-443",
        "egress-ledger-bank-example-com-443-cacert",
    ]
    client = secrets["egress-ledger-bank-example-com-443"]
    assert client is not None and client["type"] == "kubernetes.io/tls"
    assert set(client["stringData"]) == {"tls.crt", "tls.key"}
    ca_secret = secrets["egress-api-partner-example-com-443-cacert"]
    assert ca_secret is not None and ca_secret["stringData"] == {"ca.crt": ca}
    assert {m["metadata"]["namespace"] for m in secrets.values() if m} == {"istio-egress"}
    partner = one(p.manifests(), "DestinationRule", "egress-api-partner-example-com-origination")
    assert partner["spec"]["trafficPolicy"]["portLevelSettings"][0]["tls"]["credentialName"] == (
        "egress-api-partner-example-com-443"
    )
    text = yaml.safe_dump_all(p.objects.manifests())
    assert str(tmp_path) not in text  # paths are read, never emitted


def test_origination_file_problems_name_the_path(tmp_path: Path) -> None:
    cert, _ = make_pem(["a.example.com"])
    _, other_key = make_pem(["b.example.com"])
    (tmp_path / "c.pem").write_text(cert)
    (tmp_path / "k.pem").write_text(other_key)
    cfg = egress()
    cfg["destinations"][3]["origination"] = {
        "mode": "MUTUAL",
        "clientCertificate": "c.pem",
        "privateKey": "k.pem",
    }
    cfg["destinations"][2]["origination"] = {"mode": "SIMPLE", "caCertificates": "missing.pem"}
    with pytest.raises(ConfigError) as info:
        plan_egress(
            parse(EgressGatewaySpec, cfg, prefix=("egressGateways", 0)),
            base_dir=tmp_path,
            prefix="egressGateways[0]",
        )
    msgs = [str(p) for p in info.value.problems]
    assert any(
        m.startswith("egressGateways[0].destinations[2].origination.caCertificates: file") for m in msgs
    )
    assert any(
        m.startswith("egressGateways[0].destinations[3].origination.privateKey: does not match") for m in msgs
    )


def test_cert_manager_client_certificate(tmp_path: Path) -> None:
    ca, _ = make_pem(["Bank CA"])
    (tmp_path / "ca.pem").write_text(ca)
    cfg = egress()
    cfg["destinations"][3]["origination"] = {
        "mode": "MUTUAL",
        "caCertificates": "ca.pem",
        "certificate": {"certManager": {"issuerRef": {"name": "partner-client-ca"}}},
    }
    p = plan_one(cfg, base_dir=tmp_path)
    cert = next(c.manifest for c in p.credentials if c.kind == "Certificate")
    assert cert is not None
    assert cert["spec"]["secretName"] == "egress-ledger-bank-example-com-443"
    assert cert["spec"]["usages"] == ["client auth", "digital signature", "key encipherment"]
    assert cert["spec"]["dnsNames"] == ["egress.istio-egress.svc.cluster.local"]


def test_telemetry_scoped_to_the_gateway_pods() -> None:
    t = plan_one(
        egress(
            telemetry={
                "accessLogFilter": "response.code >= 400",
                "metricTagOverrides": {"egress_zone": "'pci'"},
                "reportingInterval": "30s",
            }
        )
    ).objects.telemetry
    assert t["apiVersion"] == "telemetry.istio.io/v1"
    assert t["spec"]["selector"] == {"matchLabels": {"app": "egress", "istio": "egress"}}
    assert t["spec"]["accessLogging"] == [
        {"providers": [{"name": "envoy"}], "filter": {"expression": "response.code >= 400"}}
    ]
    (metrics,) = t["spec"]["metrics"]
    assert metrics["reportingInterval"] == "30s"
    assert metrics["overrides"][0]["tagOverrides"] == {
        "egress_zone": {"operation": "UPSERT", "value": "'pci'"}
    }
    off = plan_one(egress(telemetry={"accessLogging": False})).objects.telemetry
    assert off["spec"]["accessLogging"] == [{"providers": [{"name": "envoy"}], "disabled": True}]


def test_enforcement_objects() -> None:
    p = plan_one(egress(enforcement={"meshNamespaces": ["api"], "allowedCidrs": ["169.254.20.10/32"]}))
    assert [m["metadata"]["namespace"] for m in p.sidecars] == ["orders", "payments", "shop"]
    sidecar = p.sidecars[1]
    assert sidecar["metadata"]["name"] == "default" and "workloadSelector" not in sidecar["spec"]
    assert sidecar["spec"] == {
        "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
        "egress": [{"hosts": ["./*", "api/*", "istio-egress/*", "istio-system/*"]}],
    }
    np = next(m for m in p.client_policies if m["metadata"]["namespace"] == "payments")
    assert np["metadata"]["name"] == "meshgw-egress-egress"
    assert np["spec"]["policyTypes"] == ["Egress"] and np["spec"]["podSelector"] == {}
    to = [r["to"] for r in np["spec"]["egress"]]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-egress"}},
        "podSelector": {"matchLabels": {"app": "egress", "istio": "egress"}},
    } in to[2]
    assert to[-1] == [{"ipBlock": {"cidr": "169.254.20.10/32"}}]
    assert not any("ipBlock" in peer and peer["ipBlock"]["cidr"] == "0.0.0.0/0" for t in to for peer in t)
    gw_np = p.objects.network_policy
    assert gw_np is not None
    external = gw_np["spec"]["egress"][-1]
    # Anywhere but link-local, where clouds serve instance metadata and credentials.
    assert external["to"] == [
        {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}},
        {"ipBlock": {"cidr": "::/0", "except": ["fd00:ec2::254/128", "fe80::/10"]}},
    ]
    assert [x["port"] for x in external["ports"]] == [80, 443, 8443]
    listeners = {r["ports"][0]["port"]: r.get("from") for r in gw_np["spec"]["ingress"]}
    assert listeners[443] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}}
    ]
    off = plan_one(egress(enforcement={"sidecar": False, "networkPolicy": False}))
    assert (off.sidecars, off.client_policies, off.objects.network_policy) == ([], [], None)
    star = plan_one(egress(enforcement={"meshNamespaces": ["*"]}))
    assert "*/*" in star.sidecars[0]["spec"]["egress"][0]["hosts"]
    assert validate_manifests([*p.sidecars, *p.client_policies, gw_np]) == []


def test_client_namespaces_without_destinations_are_locked_down() -> None:
    p = plan_one(egress(clientNamespaces=["batch"]))
    assert "batch" in [m["metadata"]["namespace"] for m in p.sidecars]
    assert "batch" not in one(p.manifests(), "ServiceEntry", "egress-api-stripe-com")["spec"]["exportTo"]


def test_long_hosts_get_bounded_names() -> None:
    host = ".".join(["a" * 60, "b" * 60, "example", "com"])
    p = plan_one(egress(destinations=[dest(host, 443, "tls-passthrough")]))
    subset = p.objects.hop_rule["spec"]["subsets"][0]["name"]
    port_name = p.objects.gateway["spec"]["servers"][0]["port"]["name"]
    assert len(subset) <= 63 and len(port_name) <= 63
    assert validate_manifests(p.manifests()) == []
    assert check_egress_consistency(p.manifests()) == []


def test_same_input_same_bytes_and_source_order_does_not_matter() -> None:
    a = yaml.safe_dump_all(plan_one(egress()).manifests())
    assert a == yaml.safe_dump_all(plan_one(egress()).manifests())
    cfg = egress()
    cfg["destinations"][3]["sources"] = [
        {"namespace": "payments", "serviceAccounts": ["settlement"]},
        {"namespace": "audit"},
    ]
    swapped = copy.deepcopy(cfg)
    swapped["destinations"][3]["sources"].reverse()
    assert yaml.safe_dump_all(plan_one(cfg).manifests()) == yaml.safe_dump_all(plan_one(swapped).manifests())


# -- the whole mesh -------------------------------------------------------------------------------


def two_zones(**second: Any) -> dict[str, Any]:
    general = egress()
    pci = {
        "name": "egress-pci",
        "namespace": "istio-egress-pci",
        "destinations": [dest("api.braintreegateway.com", 443, "tls-passthrough", {"namespace": "payments"})],
    }
    pci.update(second)
    return {"egressGateways": [general, pci]}


def test_two_egress_gateways_share_one_sidecar_per_namespace() -> None:
    p = mesh(two_zones())
    sidecars = of_kind(p.manifests(), "Sidecar")
    assert [s["metadata"]["namespace"] for s in sidecars] == ["orders", "payments", "shop"]  # IST0111
    payments = one(sidecars, "Sidecar", "default", "payments")
    assert payments["spec"]["egress"][0]["hosts"] == [
        "./*",
        "istio-egress-pci/*",
        "istio-egress/*",
        "istio-system/*",
    ]
    policies = [
        m["metadata"]["name"]
        for m in of_kind(p.manifests(), "NetworkPolicy")
        if m["metadata"]["namespace"] == "payments"
    ]
    assert policies == ["meshgw-egress-egress", "meshgw-egress-egress-pci"]  # one per gateway; they add up
    assert [m["metadata"]["name"] for m in of_kind(p.manifests(), "Namespace")] == [
        "istio-egress",
        "istio-egress-pci",
    ]
    assert validate_manifests(p.manifests()) == []
    assert check_egress_consistency(p.manifests()) == []


def test_destination_claimed_by_two_egress_gateways() -> None:
    msgs = mesh_errors(two_zones(destinations=[dest("api.stripe.com", 443, "tls-passthrough")]))
    assert msgs == [
        "egressGateways[1].destinations[0]: api.stripe.com:443 is already claimed by "
        "egressGateways[0].destinations[0] (egress gateway 'egress'); a destination leaves through exactly "
        "one egress gateway: remove it from one of them [MGW0310]"
    ]


def test_host_split_across_egress_gateways() -> None:
    (msg,) = mesh_errors(two_zones(destinations=[dest("api.stripe.com", 8443, "tls-passthrough")]))
    assert msg.startswith(
        "egressGateways[1].destinations[0].host: api.stripe.com already leaves through egress "
        "gateway 'egress' (egressGateways[0].destinations[0])"
    )
    assert msg.endswith("[IST0109]")


def test_egress_gateway_clashing_with_a_workload() -> None:
    cfg = minimal_mesh(egressGateways=[egress(name="public", namespace="istio-ingress")])
    msgs = mesh_errors(cfg)
    assert any(
        m.startswith(
            "egressGateways[0].name: workload istio-ingress/public is already declared by workloads[0]"
        )
        for m in msgs
    )


def test_duplicate_egress_gateway_names() -> None:
    with pytest.raises(ConfigError) as info:
        MeshSpec.from_config({"egressGateways": [egress(), egress()]})
    assert str(info.value.problems[0]).startswith(
        "egressGateways[1].name: 'istio-egress/egress' is already declared by egressGateways[0]; "
        "names must be unique per namespace"
    )


def test_an_egress_name_shared_across_namespaces_is_legal_and_keeps_the_real_finding() -> None:
    # Names are unique per namespace, as in Kubernetes: the second gateway is legal, and what is
    # really wrong with it (the same destinations as the first, MGW0310) is what gets reported.
    spec = MeshSpec.from_config({"egressGateways": [egress(), egress(namespace="other")]})
    with pytest.raises(ConfigError) as info:
        plan_mesh(spec)
    codes = {(p.path.partition(".")[0], p.code) for p in info.value.problems}
    assert ("egressGateways[1]", "MGW0310") in codes
    assert not any(p.code == "MGW0101" for p in info.value.problems)


def test_user_route_for_an_egress_host_is_ist0109() -> None:
    vs = {
        "name": "stripe",
        "namespace": "payments",
        "hosts": ["api.stripe.com"],
        "tls": [
            {
                "match": [{"sniHosts": ["api.stripe.com"]}],
                "route": [{"destination": {"host": "api.stripe.com"}}],
            }
        ],
    }
    msgs = mesh_errors(
        {
            **minimal_mesh(),
            "egressGateways": [egress()],
            "virtualServices": [*minimal_mesh()["virtualServices"], vs],
        }
    )
    assert any(
        m.startswith(
            "virtualServices[1].hosts[0]: host 'api.stripe.com' is routed for the mesh by both "
            "VirtualService payments/stripe and istio-egress/egress-api-stripe-com"
        )
        for m in msgs
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_stacks_have_an_egress_gateway_with_every_mode(env: str) -> None:
    p = mesh(stack_config(env), base_dir=STACKS)
    assert p.egress_gateways
    modes = {d.mode.value for d in next(iter(p.egress_gateways.values())).spec.destinations}
    # Dev also shows tcp destinations sharing a port through VIPs (docs/addressing.md).
    assert modes == {"http", "tls-passthrough", "tls-origination", *(["tcp"] if env == "dev" else [])}
    origination = {
        d.tls_origination.mode
        for e in p.egress_gateways.values()
        for d in e.spec.destinations
        if d.mode.value == "tls-origination"
    }
    assert origination == {"SIMPLE", "MUTUAL"}
    ms = p.manifests()
    assert validate_manifests(ms) == []
    assert check_egress_consistency(ms) == []


def test_prod_pins_egress_pods_and_lists_egress_ips() -> None:
    p = mesh(stack_config("prod"), base_dir=STACKS)
    for e in p.egress_gateways.values():
        pod = one(e.workload_manifests, "Deployment", e.spec.name)["spec"]["template"]["spec"]
        assert pod["nodeSelector"] and pod["tolerations"]
        assert e.spec.egress_ips


# -- golden files ---------------------------------------------------------------------------------


def golden(name: str, manifests: list[Manifest]) -> None:
    assert_golden(
        GOLDEN / "egress" / f"{name}.yaml", yaml.safe_dump_all(manifests, sort_keys=False, width=1 << 20)
    )


def test_golden_all_modes() -> None:
    golden("all-modes", plan_one(egress()).manifests())


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_golden_stack_egress(env: str) -> None:
    p = mesh(stack_config(env), base_dir=STACKS)
    manifests = [m for e in p.egress_gateways.values() for m in e.manifests(namespace=False, sidecars=False)]
    golden(f"stack-{env}", [*manifests, *p.egress_sidecars])


# -- property: bad input never escapes as a traceback; good input is always consistent -----------

_hosts = st.sampled_from(
    ["api.example.com", "b.example.org", "*.example.com", "10.1.2.3", "short", "API.EXAMPLE.COM"]
)
_ports = st.sampled_from([None, 0, 80, 443, 8443, 15021, 70000, "443"])
_modes = st.sampled_from(["http", "tls-passthrough", "tls-origination", "TLS", None])
_sources = st.sampled_from(
    [
        [{"namespace": "a"}],
        [{"namespace": "b", "serviceAccounts": ["x"]}],
        [],
        [{}],
        [{"namespace": "Bad"}],
        None,
    ]
)
_origination = st.sampled_from(
    [
        None,
        {"mode": "SIMPLE"},
        {"mode": "MUTUAL"},
        {"mode": "mutual", "certificate": {"selfSigned": {}}},
        {"httpPort": 443},
        {"httpPort": 8080},
        {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
    ]
)


@st.composite
def _destination(draw: st.DrawFn) -> dict[str, Any]:
    d = {
        "host": draw(_hosts),
        "port": draw(_ports),
        "mode": draw(_modes),
        "sources": draw(_sources),
        "origination": draw(_origination),
    }
    return {k: v for k, v in d.items() if v is not None}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_destination(), min_size=1, max_size=4))
def test_any_input_is_a_config_error_or_a_consistent_plan(destinations: list[dict[str, Any]]) -> None:
    try:
        spec = MeshSpec.from_config({"egressGateways": [{"name": "egress", "destinations": destinations}]})
        p = plan_mesh(spec)
    except ConfigError as err:
        assert err.problems and all(pr.path.startswith("egressGateways[0]") for pr in err.problems)
        return
    ms = p.manifests()
    assert check_egress_consistency(ms) == []
    assert validate_manifests(ms) == []


def test_a_stack_rule_that_keeps_the_subset_but_drops_istio_mutual_fails_at_preview() -> None:
    # The client namespace's rule for the egress gateway Service shadows the rendered one for
    # sidecars in payments (Istio's lookup: client namespace first); its subset sends plain text to
    # a gateway that expects ISTIO_MUTUAL. Caught in the plan, not only by `meshgw check`.
    hop = {
        "name": "egress-hop",
        "namespace": "payments",
        "host": "egress.istio-egress.svc.cluster.local",
        "subsets": [
            {
                "name": "api-stripe-com-443",
                "labels": {"istio": "egress"},
                "trafficPolicy": {"tls": {"mode": "DISABLE"}},
            }
        ],
    }
    config = {
        "egressGateways": [egress(destinations=ALL_MODES["destinations"][:1])],
        "destinationRules": [hop],
    }
    found = mesh_errors(config)
    assert [p for p in found if "[MGW0303]" in p], found
    config["destinationRules"][0]["subsets"][0]["trafficPolicy"] = {
        "tls": {"mode": "ISTIO_MUTUAL", "sni": "api.stripe.com"}
    }
    mesh(config)
    # Without the subset: one finding at the route's subset (MGW0133), not a second one.
    config["destinationRules"][0]["subsets"][0]["name"] = "other"
    found = mesh_errors(config)
    assert [p.rsplit(" [", 1)[1] for p in found] == ["MGW0133]"], found
