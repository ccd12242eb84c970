"""The policy pack (policypack/): ``meshgw check`` as stack validations, called as the engine would.

Resources are real ``pulumi_policy.PolicyResource`` objects built by hand (the shape the SDK gives
a stack validation), including raw CustomResources that no component of ours made.
"""

from __future__ import annotations

import os
import runpy
import select
import subprocess
import sys
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy
from pulumi_policy.secret import Secret

from pulumi_meshgw.analysis import Level
from pulumi_meshgw.review.stack_check import UNKNOWN_WIRE, manifest_of, stack_findings

from .conftest import GOLDEN, ROOT

PACK = ROOT / "policypack"


def as_the_engine_sends(props: dict[str, Any]) -> Any:
    """``props`` as a stack validation gets them: a protobuf Struct (every number a double),
    deserialized and wrapped in the SDK's unknown-checking proxies (pulumi_policy/policy.py)."""
    struct = struct_pb2.Struct()
    struct.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def resource(type_: str, name: str, props: dict[str, Any]) -> PolicyResource:
    opts = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        additional_secret_outputs=[],
        custom_timeouts=None,  # type: ignore[arg-type]
    )
    urn = f"urn:pulumi:dev::apps::{type_}::{name}"
    return PolicyResource(type_, as_the_engine_sends(props), urn, name, opts, None, None, [], {})


def raw_program() -> list[PolicyResource]:
    """An application repository's program: raw CustomResources and typed objects, no meshgw."""
    return [
        resource("pulumi:pulumi:Stack", "apps-dev", {}),
        resource("pulumi:providers:kubernetes", "default", {}),
        resource(
            "kubernetes:apps/v1:Deployment",
            "gw",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "gw", "namespace": "istio-ingress"},
                "spec": {
                    "selector": {"matchLabels": {"istio": "gw"}},
                    "template": {
                        "metadata": {
                            "labels": {"istio": "gw", "sidecar.istio.io/inject": "true"},
                            "annotations": {"inject.istio.io/templates": "gateway"},
                        },
                        "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
                    },
                },
                "status": {"replicas": 1},
            },
        ),
        resource(
            "kubernetes:core/v1:Service",
            "gw",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "gw", "namespace": "istio-ingress"},
                "spec": {
                    "type": "ClusterIP",
                    "selector": {"istio": "gw"},
                    "ports": [{"name": "https", "port": 443}],
                },
            },
        ),
        resource(
            "kubernetes:networking.istio.io/v1:Gateway",
            "public",
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "Gateway",
                "metadata": {"name": "public", "namespace": "istio-ingress"},
                "spec": {
                    "selector": {"istio": "gw"},
                    "servers": [
                        {
                            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                            "hosts": ["shop.example.com"],
                            "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"},
                        }
                    ],
                },
            },
        ),
        resource(
            "kubernetes:networking.istio.io/v1:VirtualService",
            "shop",
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": {"name": "shop", "namespace": "shop"},
                "spec": {
                    "hosts": ["blog.example.com"],
                    "gateways": ["istio-ingress/public"],
                    "http": [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local"}}]}],
                },
            },
        ),
    ]


def load_pack() -> list[StackValidationPolicy]:
    """The pack's policies, as its __main__ defines them (without starting the gRPC server)."""
    policies = runpy.run_path(str(PACK / "__main__.py"), run_name="policypack")["POLICIES"]
    assert all(isinstance(p, StackValidationPolicy) for p in policies)
    return list(policies)


def run_pack(resources: list[PolicyResource], config: dict[str, Any] | None = None) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for policy in load_pack():
        reports: list[tuple[str, str | None]] = []
        policy.validate(
            StackValidationArgs(resources, config or {}), lambda m, urn=None, r=reports: r.append((m, urn))
        )
        out[policy.name] = reports
    return out


def test_errors_are_mandatory_and_warnings_advisory() -> None:
    levels = {p.name: p.enforcement_level for p in load_pack()}
    assert levels == {
        "meshgw-errors": EnforcementLevel.MANDATORY,
        "meshgw-warnings": EnforcementLevel.ADVISORY,
    }


def test_raw_custom_resources_get_our_codes_on_their_urns() -> None:
    reports = run_pack(raw_program())
    vs_urn = "urn:pulumi:dev::apps::kubernetes:networking.istio.io/v1:VirtualService::shop"
    gw_urn = "urn:pulumi:dev::apps::kubernetes:networking.istio.io/v1:Gateway::public"
    errors = reports["meshgw-errors"]
    assert [(m.split()[0], urn) for m, urn in errors] == [("IST0132", vs_urn)]
    assert errors[0][0].startswith(
        "IST0132 VirtualService shop/shop spec.gateways[0]: no host of this route (blog.example.com) "
        "is served"
    )
    warnings = reports["meshgw-warnings"]
    assert [(m.split()[0], urn) for m, urn in warnings] == [("IST0101", gw_urn)]
    assert "secret 'shop-cert' is not declared" in warnings[0][0]


def test_external_objects_from_policy_config_are_not_missing() -> None:
    config = {"external": [{"kind": "Secret", "namespace": "istio-ingress", "name": "shop-cert"}]}
    reports = run_pack(raw_program(), config)
    assert reports["meshgw-warnings"] == []


def test_bad_policy_config_is_a_mandatory_violation_without_urn() -> None:
    reports = run_pack(raw_program(), {"external": [{"kind": "Gateway"}]})
    config_errors = [(m, urn) for m, urn in reports["meshgw-errors"] if urn is None]
    assert config_errors and all("policy config external[0]" in m for m, _ in config_errors)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_our_own_stacks_pass_the_pack(env: str) -> None:
    """Every object of the rendered stacks, as the engine would hand them to the pack."""
    resources = []
    for f in sorted((GOLDEN / "stacks" / env).glob("*.yaml")):
        body = yaml.safe_load(f.read_text())
        api = body["apiVersion"]
        module = f"core/{api}" if "/" not in api else api
        resources.append(resource(f"kubernetes:{module}:{body['kind']}", f.stem, body))
    reports = run_pack(resources)
    assert reports == {"meshgw-errors": [], "meshgw-warnings": []}


def test_unknowns_secrets_status_and_defaults() -> None:
    body = manifest_of(
        "kubernetes:core/v1:Secret",
        {
            "metadata": {
                "labels": {"a": UNKNOWN_WIRE},
                "uid": "u-1",
                "resourceVersion": "7",
                "managedFields": [],
            },
            "stringData": {"tls.crt": Secret("PEM"), "tls.key": "KEY"},
            "status": {"x": 1},
        },
        "auto-named",
    )
    assert body == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"labels": {"a": "[unknown]"}, "name": "auto-named", "namespace": "default"},
        "stringData": {"tls.crt": "[secret]", "tls.key": "[secret]"},
    }
    assert manifest_of("kubernetes:core/v1:Namespace", {}, "ns")["metadata"] == {"name": "ns"}  # type: ignore[index]
    for not_an_object in (
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:yaml/v2:ConfigGroup",
        "kubernetes:apps/v1:DeploymentPatch",
        "aws:s3/bucket:Bucket",
        "meshgw:index:Mesh",
    ):
        assert manifest_of(not_an_object, {"kind": "X"}, "x") is None


def test_findings_keep_the_level_for_each_policy() -> None:
    levels = {f.level for f in stack_findings(raw_program())}
    assert levels == {Level.ERROR, Level.WARNING}


def test_pack_files_are_complete() -> None:
    meta = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python"
    requirements = [
        line for line in (PACK / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert requirements == ["pulumi-policy>=1.13,<2"]
    assert meta["runtime"]["options"]["virtualenv"] == "../.venv"


def test_unknowns_of_every_kind_inside_the_sdk_proxies() -> None:
    """An unknown read through the SDK's proxies would raise; the pack reads around them."""
    number, array = "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
    props = as_the_engine_sends(
        {
            "metadata": {"name": "gw"},
            "spec": {"ports": [{"name": "https", "port": number}], "externalIPs": array},
        }
    )
    body = manifest_of("kubernetes:core/v1:Service", props, "gw")
    assert body is not None
    assert body["spec"] == {"ports": [{"name": "https", "port": "[unknown]"}], "externalIPs": "[unknown]"}
    whole = manifest_of(
        "kubernetes:core/v1:Service", as_the_engine_sends({"spec": {"ports": [{"port": 443}]}}), "x"
    )
    assert whole is not None and whole["spec"]["ports"] == [{"port": 443}]
    assert isinstance(whole["spec"]["ports"][0]["port"], int)


def test_the_executable_form_is_an_analyzer_plugin() -> None:
    """policypack/meshgw-policy-pack, as the CLI launches it: the port on its first line, then the
    Analyzer service on that port (what e2e/policy_pack.py runs under the real CLI)."""
    # Without PYTHONUNBUFFERED, as the CLI may start it: the port must still reach the pipe.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["MESHGW_POLICY_PYTHON"] = sys.executable
    proc = subprocess.Popen(
        [str(PACK / "meshgw-policy-pack"), "127.0.0.1:1"], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no port printed within 30 s (is the output buffered?)"
        port = int(proc.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == "meshgw"
        assert sorted(p.name for p in info.policies) == ["meshgw-errors", "meshgw-warnings"]
    finally:
        proc.kill()
        proc.wait(timeout=10)
