"""The ``meshgw`` component package: name, version, type tokens, the schema inferred from the typed
Args (checked against a reviewed golden), and constructs served through the SDK's provider."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pulumi_meshgw
from pulumi_meshgw.components import Gateway, IngressGateway
from pulumi_meshgw.provider import PACKAGE, TOKENS
from pulumi_meshgw.provider.host import MeshgwProvider
from pulumi_meshgw.provider.schema import schema, type_name
from pulumi_meshgw.testing import run

from .conftest import assert_golden

GOLDEN = Path(__file__).parent / "golden" / "package" / "schema.json"


@pytest.fixture(scope="module")
def inferred() -> dict[str, Any]:
    return schema(version="0.0.0-golden")


def test_name_version_and_tokens_are_stable() -> None:
    assert PACKAGE == "meshgw"
    assert TOKENS == {
        "GatewayWorkload": "meshgw:index:GatewayWorkload",
        "Gateway": "meshgw:index:Gateway",
        "IngressGateway": "meshgw:index:IngressGateway",
        "VirtualService": "meshgw:index:VirtualService",
        "DestinationRule": "meshgw:index:DestinationRule",
        "EgressGateway": "meshgw:index:EgressGateway",
        "Mesh": "meshgw:index:Mesh",
    }
    # The Python components register under the package's tokens, so URNs agree across languages.
    assert Gateway.TYPE == TOKENS["Gateway"] and IngressGateway.TYPE == TOKENS["IngressGateway"]
    # One version: the distribution's metadata, the module and the schema.
    assert importlib.metadata.version("pulumi-meshgw") == pulumi_meshgw.__version__
    assert schema()["version"] == pulumi_meshgw.__version__


def test_the_schema_has_the_args_fields(inferred: dict[str, Any]) -> None:
    assert sorted(inferred["resources"]) == sorted(TOKENS.values())
    ingress = inferred["resources"]["meshgw:index:IngressGateway"]
    assert ingress["isComponent"] is True
    assert sorted(ingress["requiredInputs"]) == ["exposure", "servers"]
    assert ingress["inputProperties"]["servers"]["items"]["$ref"] == "#/types/meshgw:index:Server"
    assert {"ref", "serviceFqdn", "loadBalancerAddress", "tlsSecretNames"} <= set(ingress["properties"])
    server = inferred["types"]["meshgw:index:Server"]
    assert sorted(server["required"]) == ["hosts", "port"]
    assert server["properties"]["tls"]["$ref"] == "#/types/meshgw:index:ServerTLS"
    assert "credentialName" in inferred["types"]["meshgw:index:ServerTLS"]["properties"]
    pem = inferred["types"]["meshgw:index:Pem"]["properties"]
    assert sorted(pem) == ["ca", "cert", "key"]
    vs = inferred["resources"]["meshgw:index:VirtualService"]
    assert sorted(vs["requiredInputs"]) == ["hosts", "namespace"]
    assert vs["inputProperties"]["http"]["items"]["$ref"] == "#/types/meshgw:index:HTTPRoute"
    # Field docstrings become the schema's descriptions (and every SDK's doc comments).
    assert "Default: ``istio-ingress``" in ingress["inputProperties"]["namespace"]["description"]


def test_schema_golden(inferred: dict[str, Any]) -> None:
    assert_golden(GOLDEN, json.dumps(inferred, indent=2, sort_keys=True) + "\n")


def test_the_entry_point_prints_the_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_meshgw.provider", "--schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["name"] == "meshgw"


def test_a_construct_from_another_language_builds_the_python_component() -> None:
    """Inputs arrive in the schema's camelCase; the provider maps them onto the Args and builds
    the same objects a Python program builds."""
    provider = MeshgwProvider()
    server = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
    route = {"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}

    def served() -> None:
        provider.construct("public", TOKENS["IngressGateway"], {"exposure": "public", "servers": [server]})
        provider.construct(
            "shop",
            TOKENS["VirtualService"],
            {
                "namespace": "shop",
                "hosts": ["shop.example.com"],
                "gateways": ["istio-ingress/public"],
                "http": [route],
            },
        )

    def python() -> None:
        from pulumi_meshgw import VirtualService

        IngressGateway("public", exposure="public", servers=[server])
        VirtualService(
            "shop",
            namespace="shop",
            hosts=["shop.example.com"],
            gateways=["istio-ingress/public"],
            http=[route],
        )

    bodies = [[m.body for m in run(p).manifests()] for p in (served, python)]
    assert bodies[0] == bodies[1]


def test_nested_types_are_named_without_the_args_suffix(inferred: dict[str, Any]) -> None:
    """The SDK generators add ``Args`` to input types; a token ending in it would become
    ``ServerArgsArgs`` in TypeScript and Go."""
    assert type_name("ServerTLSArgs") == "ServerTLS" and type_name("Args") == "Args"
    assert type_name("Server") == "Server"
    assert inferred["types"] and not [t for t in inferred["types"] if t.endswith("Args")]
    refs = re.findall(r'"#/types/([^"]+)"', json.dumps(inferred))
    assert refs and set(refs) <= set(inferred["types"])
    # What the engine gets from the running provider is the same schema.
    assert json.loads(MeshgwProvider(version="0.0.0-golden").schema or "") == inferred
