"""Authentication: JWT (RequestAuthentication + DENY policy), external authorization (CUSTOM),
PeerAuthentication for the backends' namespaces, and client-certificate CA bundles from every
certificate source. Spec errors, renders, schema validation, goldens and the mock engine."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pulumi_meshgw import ComponentConfigError, Gateway, GatewayWorkload, IngressGateway, Mesh
from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.testing import Recording, run

from .conftest import kinds, make_pem, minimal_mesh, plan, problems
from .test_firewall import golden

HTTP_REDIRECT = {
    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
    "hosts": ["api.example.com", "shop.example.com"],
    "tls": {"httpsRedirect": True},
}
HTTPS = {
    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
    "hosts": ["api.example.com", "shop.example.com"],
    "tls": {"mode": "SIMPLE", "credentialName": "api-cert"},
}
PASSTHROUGH = {
    "port": {"number": 9443, "name": "tls-partner", "protocol": "TLS"},
    "hosts": ["partner.example.com"],
    "tls": {"mode": "PASSTHROUGH"},
}
JWT = {
    "issuer": "https://id.example.com",
    "jwksUri": "https://id.example.com/.well-known/jwks.json",
    "audiences": ["api.example.com"],
    "hosts": ["api.example.com"],
    "excludePaths": ["/healthz", "/assets/*"],
    "claims": [
        {"claim": "groups", "values": ["api-users"]},
        {"claim": ["realm_access", "roles"], "values": ["reader"]},
    ],
    "fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}],
}
AUTH = {
    "jwt": [JWT],
    "extAuthz": {"provider": "oauth2-proxy", "hosts": ["shop.example.com"], "paths": ["/account/*"]},
    "peerAuthentication": {"namespaces": ["shop", "api"]},
}


def mesh(
    auth: dict[str, Any] | None = None, servers: list[Any] | None = None, **workload: Any
) -> dict[str, Any]:
    m = minimal_mesh()
    m["workloads"][0].update(workload)
    gw = m["gateways"][0]
    gw["servers"] = copy.deepcopy(servers if servers is not None else [HTTP_REDIRECT, HTTPS, PASSTHROUGH])
    if auth is not None:
        gw["authentication"] = copy.deepcopy(auth)
    m["virtualServices"] = []
    return m


def jwt(**over: Any) -> dict[str, Any]:
    return {"jwt": [{**copy.deepcopy(JWT), **over}]}


# -- spec errors ------------------------------------------------------------------------------------

P = "gateways[0].authentication"


@pytest.mark.parametrize(
    ("auth", "path", "match"),
    [
        (jwt(jwksUri="http://id.example.com/jwks"), f"{P}.jwt[0].jwksUri", "is not https"),
        (jwt(issuer="id.example.com"), f"{P}.jwt[0].issuer", "is not an https URL"),
        (jwt(jwks='{"keys": []}'), f"{P}.jwt[0].jwksUri", "exactly one of jwksUri and jwks"),
        (jwt(excludePaths=["/*"]), f"{P}.jwt[0].excludePaths[0]", "excludes every path"),
        (
            jwt(paths=["/api/*"], excludePaths=["/healthz"]),
            f"{P}.jwt[0].excludePaths[0]",
            "not within any of paths",
        ),
        (jwt(paths=["/api/*"], excludePaths=["/api/*"]), f"{P}.jwt[0].excludePaths[0]", "also in paths"),
        (jwt(paths=["api"]), f"{P}.jwt[0].paths[0]", "must start with '/'"),
        (jwt(hosts=["*.example.com"]), f"{P}.jwt[0].hosts", "exact DNS names"),
        (jwt(hosts=["other.example.com"]), f"{P}.jwt[0].hosts[0]", "not a host of this Gateway"),
        (jwt(hosts=["partner.example.com"]), f"{P}.jwt[0].hosts[0]", "passthrough or TCP"),
        (jwt(claims=[{"claim": "a[b]", "values": ["x"]}]), f"{P}.jwt[0].claims[0].claim", "without brackets"),
        (
            {"jwt": [JWT, {**JWT, "issuer": "https://other.example.com"}]},
            f"{P}.jwt[1].hosts[0]",
            "one entry per host",
        ),
        (
            {"extAuthz": {"provider": " ", "hosts": ["shop.example.com"]}},
            f"{P}.extAuthz.provider",
            "extension provider",
        ),
        ({"extAuthz": {"hosts": ["shop.example.com"]}}, f"{P}.extAuthz.provider", "required field"),
        (
            {"peerAuthentication": {"namespaces": ["istio-system"]}},
            f"{P}.peerAuthentication.namespaces",
            "root namespace",
        ),
    ],
)
def test_spec_errors_name_the_path(auth: dict[str, Any], path: str, match: str) -> None:
    found = problems(mesh(auth))
    assert any(p == path and match in msg for p, msg, _ in found), found


def test_jwt_on_plain_http_public_server_is_refused() -> None:
    plain = {k: v for k, v in HTTP_REDIRECT.items() if k != "tls"}
    found = problems(mesh(jwt(), servers=[plain, HTTPS]))
    assert found == [
        (
            f"{P}.jwt[0].hosts[0]",
            found[0][1],
            "MGW0151",
        )
    ]
    assert "clear text" in found[0][1] and "httpsRedirect" in found[0][1]
    # A private gateway may (the network is not the internet); a redirecting server is fine too.
    assert kinds(
        plan(mesh(jwt(), servers=[plain, HTTPS], exposure="internal", cloud="aws")), "RequestAuthentication"
    )
    assert kinds(plan(mesh(jwt(), servers=[HTTP_REDIRECT, HTTPS])), "RequestAuthentication")


def test_peer_authentication_of_the_gateway_namespace_is_refused() -> None:
    found = problems(mesh({"peerAuthentication": {"namespaces": ["shop", "istio-ingress"]}}))
    assert found[0][0] == f"{P}.peerAuthentication.namespaces[1]" and found[0][2] == "MGW0155"


# -- rendering --------------------------------------------------------------------------------------


def test_jwt_renders_request_authentication_and_deny_policy() -> None:
    p = plan(mesh(AUTH))
    (ra,) = kinds(p, "RequestAuthentication")
    assert ra["metadata"]["name"] == "public-jwt" and ra["metadata"]["namespace"] == "istio-ingress"
    assert ra["spec"]["jwtRules"] == [
        {
            "issuer": "https://id.example.com",
            "jwksUri": "https://id.example.com/.well-known/jwks.json",
            "audiences": ["api.example.com"],
            "fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}],
        }
    ]
    policies = {m["metadata"]["name"]: m["spec"] for m in kinds(p, "AuthorizationPolicy")}
    deny = policies["public-jwt"]
    assert deny["action"] == "DENY"
    scope = {
        "hosts": ["api.example.com", "api.example.com:*"],
        "notPaths": ["/healthz", "/assets/*"],
        "ports": ["443"],  # not the redirecting port 80: the redirect must not become a 403
    }
    assert deny["rules"] == [
        {
            "from": [{"source": {"notRequestPrincipals": ["https://id.example.com/*"]}}],
            "to": [{"operation": scope}],
        },
        {
            "to": [{"operation": scope}],
            "when": [{"key": "request.auth.claims[groups]", "notValues": ["api-users"]}],
        },
        {
            "to": [{"operation": scope}],
            "when": [{"key": "request.auth.claims[realm_access][roles]", "notValues": ["reader"]}],
        },
    ]
    custom = policies["public-ext-authz"]
    assert custom["action"] == "CUSTOM" and custom["provider"] == {"name": "oauth2-proxy"}
    assert custom["rules"] == [
        {
            "to": [
                {
                    "operation": {
                        "hosts": ["shop.example.com", "shop.example.com:*"],
                        "paths": ["/account/*"],
                        "ports": ["443"],
                    }
                }
            ]
        }
    ]
    pas = kinds(p, "PeerAuthentication")
    assert [(m["metadata"]["namespace"], m["metadata"]["name"], m["spec"]) for m in pas] == [
        ("api", "default", {"mtls": {"mode": "STRICT"}}),
        ("shop", "default", {"mtls": {"mode": "STRICT"}}),
    ]
    assert validate_manifests(p.manifests()) == []
    golden("authentication", [m for m in p.manifests() if m["apiVersion"].startswith("security.istio.io")])


def test_inline_jwks_and_defaults() -> None:
    p = plan(mesh({"jwt": [{"issuer": "ci", "jwks": '{"keys": []}', "hosts": ["api.example.com"]}]}))
    (ra,) = kinds(p, "RequestAuthentication")
    assert ra["spec"]["jwtRules"] == [{"issuer": "ci", "jwks": '{"keys": []}'}]
    (deny,) = kinds(p, "AuthorizationPolicy")
    assert deny["spec"]["rules"][0]["to"][0]["operation"] == {
        "hosts": ["api.example.com", "api.example.com:*"],
        "ports": ["443"],
    }
    assert validate_manifests(p.manifests()) == []


def test_gateways_sharing_a_namespace_share_one_peer_authentication() -> None:
    m = mesh({"peerAuthentication": {"namespaces": ["shop"]}})
    other = copy.deepcopy(m["gateways"][0])
    other.update(
        name="second",
        servers=[
            {
                **copy.deepcopy(HTTPS),
                "hosts": ["b.example.com"],
                "port": {"number": 8443, "name": "https-b", "protocol": "HTTPS"},
            }
        ],
    )
    m["gateways"].append(other)
    assert len(kinds(plan(m), "PeerAuthentication")) == 1
    other["authentication"]["peerAuthentication"]["mode"] = "PERMISSIVE"
    found = problems(m)
    assert found[0][0] == "gateways[1].authentication.peerAuthentication.mode" and found[0][2] == "MGW0153"


# -- client-certificate CA bundles ---------------------------------------------------------------


def mutual(tmp_path: Path, mode: str, source: dict[str, Any] | None, **tls: Any) -> dict[str, Any]:
    ca_cert, _ = make_pem(["clients-ca.example.com"])
    (tmp_path / "ca.pem").write_text(ca_cert)
    server = copy.deepcopy(HTTPS)
    server["tls"] = {"mode": mode, "caCertificates": str(tmp_path / "ca.pem"), **tls}
    if source is not None:
        server["tls"]["certificate"] = source
    return mesh(servers=[server])


CERT_MANAGER = {"certManager": {"issuerRef": {"name": "letsencrypt"}}}


@pytest.mark.parametrize(
    ("source", "tls", "credential"),
    [
        (CERT_MANAGER, {}, "public-https-cert"),
        ({"selfSigned": {}}, {}, "public-https-cert"),
        ({"config": {"cert": "c", "key": "k"}}, {}, "public-https-cert"),
        (None, {"credentialName": "existing-cert"}, "existing-cert"),
    ],
)
def test_ca_bundle_from_every_certificate_source(
    tmp_path: Path, source: dict[str, Any] | None, tls: dict[str, Any], credential: str
) -> None:
    p = plan(mutual(tmp_path, "MUTUAL", source, **tls))
    secrets = {m["metadata"]["name"]: m for m in kinds(p, "Secret")}
    ca = secrets[f"{credential}-cacert"]
    assert (
        ca["metadata"]["namespace"] == "istio-ingress" and "BEGIN CERTIFICATE" in ca["stringData"]["ca.crt"]
    )
    (gw,) = kinds(p, "Gateway")
    # The server keeps its own credential; Istio finds <name>-cacert next to it.
    assert gw["spec"]["servers"][0]["tls"]["credentialName"] == credential
    assert "caCertificates" not in gw["spec"]["servers"][0]["tls"]
    assert validate_manifests(p.manifests()) == []


def test_ca_bundle_on_a_server_that_does_not_ask_for_client_certificates(tmp_path: Path) -> None:
    found = problems(mutual(tmp_path, "SIMPLE", CERT_MANAGER))
    assert found == [("gateways[0].servers[0].tls.caCertificates", found[0][1], "MGW0152")]
    m = mutual(tmp_path, "OPTIONAL_MUTUAL", CERT_MANAGER)
    m["gateways"][0]["servers"][0]["tls"]["caCertificates"] = str(tmp_path / "missing.pem")
    assert problems(m)[0][0] == "gateways[0].servers[0].tls.caCertificates"


def test_config_source_accepts_a_ca_file_instead_of_a_ca_key(tmp_path: Path) -> None:
    m = mutual(tmp_path, "MUTUAL", {"config": {"cert": "c", "key": "k"}})
    assert kinds(plan(m), "Secret")
    del m["gateways"][0]["servers"][0]["tls"]["caCertificates"]
    assert problems(m)[0][0] == "gateways[0].servers[0].tls.certificate.config.ca"


# -- components under the mock engine ------------------------------------------------------------------


def deps(rec: Recording, name: str) -> set[str]:
    return {rec.by_urn(u).name for u in rec.by_name(name).dependencies}


def test_ingress_gateway_component() -> None:
    rec = run(
        lambda: IngressGateway(
            "public", exposure="public", servers=[HTTP_REDIRECT, HTTPS], authentication=AUTH
        )
    )
    gateway = "gateway:istio-ingress/public"
    for name in (
        "requestauthentication:istio-ingress/public-jwt",
        "authorizationpolicy:istio-ingress/public-jwt",
        "authorizationpolicy:istio-ingress/public-ext-authz",
        "peerauthentication:shop/default",
        "peerauthentication:api/default",
    ):
        assert rec.parent_of(rec.by_name(name)).name == "public-gateway", name  # type: ignore[union-attr]
        assert deps(rec, name) == {gateway}, name
    assert validate_manifests([m.body for m in rec.manifests()]) == []


def test_standalone_gateways_share_peer_authentication() -> None:
    def program(mode: str) -> None:
        w = GatewayWorkload("public", namespace="istio-ingress", exposure="public")
        Gateway(
            "a", workload=w, servers=[HTTPS], authentication={"peerAuthentication": {"namespaces": ["shop"]}}
        )
        other = {
            **copy.deepcopy(HTTPS),
            "hosts": ["b.example.com"],
            "tls": {"mode": "SIMPLE", "credentialName": "b-cert"},
        }
        Gateway(
            "b",
            workload=w,
            servers=[other],
            authentication={"peerAuthentication": {"namespaces": ["shop"], "mode": mode}},
        )

    rec = run(lambda: program("STRICT"))
    assert [m.filename for m in rec.manifests() if m.body["kind"] == "PeerAuthentication"] != []
    assert len([m for m in rec.manifests() if m.body["kind"] == "PeerAuthentication"]) == 1
    with pytest.raises(ComponentConfigError, match="MGW0153"):
        run(lambda: program("PERMISSIVE"))


def test_mesh_component_refuses_jwt_in_clear_text() -> None:
    plain = {k: v for k, v in HTTP_REDIRECT.items() if k != "tls"}
    with pytest.raises(ComponentConfigError, match="MGW0151"):
        run(lambda: Mesh("mesh", mesh(jwt(), servers=[plain, HTTPS])))
