"""Tests of the offline engine: the fixture project end to end, then ordering, secrets, run
isolation and stack loading in isolation."""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls
import pytest
import yaml

from pulumi_meshgw import offline, testing
from pulumi_meshgw.errors import ConfigError, MeshgwError, Problem
from pulumi_meshgw.offline import (
    SECRET,
    DuplicateUrnError,
    OfflineError,
    ProjectError,
    Recording,
    RegisteredResource,
)

FIXTURE = Path(__file__).parent / "fixtures" / "offline_project"
PROGRAM = FIXTURE / "prog" / "__main__.py"
EXPECTED_FILES = [
    "001-namespace-cluster-apps.yaml",
    "002-serviceaccount-apps-shop.yaml",
    "003-secret-apps-shop-tls.yaml",
    "004-deployment-apps-shop.yaml",
    "005-service-apps-shop.yaml",
    "006-gateway-apps-shop.yaml",
]


@pytest.fixture(scope="module")
def dev() -> Recording:
    return offline.run_stack(FIXTURE, "dev")


def names(recording: Recording, urns: frozenset[str]) -> set[str]:
    return {recording.by_urn(urn).name for urn in urns}


# ---------------------------------------------------------------------------------------------
# The fixture project, end to end
# ---------------------------------------------------------------------------------------------


def test_records_every_registration_with_parent_and_dependencies(dev: Recording) -> None:
    assert [(r.type, r.name) for r in dev.resources] == [
        ("pulumi:pulumi:Stack", "fixture-dev"),
        ("kubernetes:core/v1:Namespace", "apps"),
        ("fixture:index:App", "shop"),
        ("kubernetes:core/v1:ServiceAccount", "shop-sa"),
        # No dependency holds the Service back, so it registers before those that wait on others.
        ("kubernetes:core/v1:Service", "shop-svc"),
        ("kubernetes:core/v1:Secret", "shop-tls"),
        ("kubernetes:apps/v1:Deployment", "shop-deploy"),
        ("kubernetes:networking.istio.io/v1:Gateway", "shop-gw"),
    ]
    app = dev.by_name("shop")
    assert not app.custom and app.outputs == {"gateway": "shop"}
    for child in ("shop-sa", "shop-tls", "shop-deploy", "shop-svc", "shop-gw"):
        assert dev.parent_of(dev.by_name(child)) == app
    assert dev.parent_of(app) == dev.resources[0]
    assert names(dev, dev.by_name("shop-tls").dependencies) == {"apps", "shop-sa"}  # depends_on + namespace
    deploy = dev.by_name("shop-deploy")
    # An Output of the Secret inside `spec` is a property dependency, and so a dependency.
    assert names(dev, deploy.property_dependencies["spec"]) == {"shop-sa", "shop-tls"}
    assert names(dev, deploy.dependencies) == {"apps", "shop-sa", "shop-tls"}
    assert names(dev, dev.by_name("shop-gw").dependencies) == {"apps", "shop-deploy"}


def test_config_reaches_the_program(dev: Recording) -> None:
    gateway = dev.by_name("shop-gw").inputs
    assert gateway["spec"]["servers"][0]["hosts"] == ["a.example.com", "b.example.com"]  # require_object
    replicas = dev.by_name("shop-deploy").inputs["spec"]["replicas"]  # unprefixed `replicas: 3`
    assert replicas == 3 and type(replicas) is int  # 3.0 on the wire
    assert dev.by_name("shop-tls").inputs["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    assert dev.by_name("shop-tls").secret_fields == {"stringData"}
    assert dev.outputs == {"namespace": "apps", "tlsKey": SECRET}
    assert dev.secret_outputs == {"tlsKey"}
    assert [m.severity for m in dev.logs] == ["warning"] and "fixture:tlsKey" in dev.logs[0].message


def test_manifests_in_apply_order(dev: Recording) -> None:
    manifests = dev.manifests()
    assert [m.filename for m in manifests] == EXPECTED_FILES
    assert [(m.api_version, m.kind) for m in manifests] == [
        ("v1", "Namespace"),
        ("v1", "ServiceAccount"),
        ("v1", "Secret"),
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("networking.istio.io/v1", "Gateway"),
    ]
    deployment = manifests[3].body
    assert list(deployment)[:3] == ["apiVersion", "kind", "metadata"]
    assert list(deployment["metadata"]) == sorted(deployment["metadata"])
    assert deployment["spec"]["template"]["spec"]["volumes"] == [
        {"name": "tls", "secret": {"secretName": "shop-tls"}}
    ]
    assert "status" not in deployment  # None values are dropped
    # A secret map keeps its keys (not secret, and useful in review); every value is masked.
    assert manifests[2].body["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}


def test_write_render_writes_yaml_and_graph(tmp_path: Path, dev: Recording) -> None:
    result = offline.write_render(dev, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [*EXPECTED_FILES, "graph.json"]
    assert result.files == [tmp_path / f for f in EXPECTED_FILES] + [tmp_path / "graph.json"]
    text = (tmp_path / "004-deployment-apps-shop.yaml").read_text()
    assert text.startswith("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n") and "---" not in text
    assert yaml.safe_load(text)["spec"]["replicas"] == 3
    graph_text = (tmp_path / "graph.json").read_text()
    assert graph_text.endswith("}\n")
    graph = json.loads(graph_text)
    assert (graph["project"], graph["stack"]) == ("fixture", "dev")
    assert graph["outputs"] == {"namespace": "apps", "tlsKey": SECRET}
    by_name = {entry["name"]: entry for entry in graph["resources"]}
    # Every resource once, as a tree walk: each resource before its children.
    assert sorted(entry["name"] for entry in graph["resources"]) == sorted(r.name for r in dev.resources)
    listed = [entry["name"] for entry in graph["resources"]]
    for entry in graph["resources"]:
        if entry["parent"] is not None:
            assert listed.index(entry["parent"]) < listed.index(entry["name"])
    assert by_name["fixture-dev"] == {
        "type": "pulumi:pulumi:Stack",
        "name": "fixture-dev",
        "kind": None,
        "namespace": None,
        "parent": None,
        "dependencies": [],
        "file": None,
        "custom": False,
    }
    assert by_name["shop"]["parent"] == "fixture-dev" and by_name["shop"]["custom"] is False
    assert by_name["shop-deploy"] == {
        "type": "kubernetes:apps/v1:Deployment",
        "name": "shop-deploy",
        "kind": "Deployment",
        "namespace": "apps",
        "parent": "shop",
        "dependencies": ["apps", "shop-sa", "shop-tls"],
        "file": "004-deployment-apps-shop.yaml",
        "custom": True,
    }
    assert by_name["apps"]["namespace"] is None and by_name["apps"]["file"] == EXPECTED_FILES[0]
    assert by_name["shop-gw"]["dependencies"] == ["apps", "shop-deploy"]


def test_render_is_deterministic_and_replaces_only_its_own_files(tmp_path: Path, dev: Recording) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    offline.write_render(dev, first)
    offline.write_render(offline.run_stack(FIXTURE, "dev"), second)  # a new run, same input
    assert {p.name: p.read_bytes() for p in first.iterdir()} == {
        p.name: p.read_bytes() for p in second.iterdir()
    }

    (second / "099-configmap-apps-old.yaml").write_text("stale")
    (second / "1000-configmap-apps-older.yaml").write_text("stale")
    (second / "README.md").write_text("mine")
    (second / "kustomization.yaml").write_text("mine")
    result = offline.write_render(dev, second)
    assert result.removed == ("099-configmap-apps-old.yaml", "1000-configmap-apps-older.yaml")
    assert sorted(p.name for p in second.iterdir()) == sorted(
        [*EXPECTED_FILES, "graph.json", "README.md", "kustomization.yaml"]
    )
    assert (second / "README.md").read_text() == "mine"
    assert (second / EXPECTED_FILES[0]).read_bytes() == (first / EXPECTED_FILES[0]).read_bytes()


def test_registration_order_is_reproducible() -> None:
    # With the SDK's default thread pool, resources that wait on Outputs reach the monitor in a
    # different order on each run; the engine must serialise them.
    def program() -> None:
        previous: list[k8s.core.v1.ConfigMap] = []
        for i in range(60):
            refs = {str(j): p.metadata["name"] for j, p in enumerate(previous[-(i % 3) :])} if i % 2 else {}
            previous.append(k8s.core.v1.ConfigMap(f"cm{i}", metadata={"name": f"cm{i}", "annotations": refs}))

    orders = {
        tuple(r.name for r in offline.run_program(program, project="p", stack="s").resources)
        for _ in range(3)
    }
    assert len(orders) == 1


def test_preview_runs_the_same_program() -> None:
    recording = offline.run_stack(FIXTURE, "dev", preview=True)
    assert recording.preview and [m.filename for m in recording.manifests()] == EXPECTED_FILES


# ---------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------

PLAINTEXT = "PLAINTEXT-do-not-leak-3f9a"


def test_no_secret_plaintext_in_recording_or_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PROGRAM.parent))  # run_stack does this for the real thing

    def program() -> None:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        env_secret = pulumi.Config().require_secret("tlsKey")
        k8s.core.v1.ConfigMap("leaky", metadata={"name": "leaky", "annotations": {"key": env_secret}})
        # Not a valid DeploymentSpec (no selector); only where the secret lands matters here.
        spec: Any = {
            "template": {"spec": {"containers": [{"name": "c", "env": [{"name": "K", "value": env_secret}]}]}}
        }
        k8s.apps.v1.Deployment("env", metadata={"name": "env"}, spec=spec)

    try:
        recording = offline.run_program(
            program,
            project="fixture",
            stack="plain",
            config={"fixture:items": '["a.example.com"]', "fixture:tlsKey": PLAINTEXT},
            secret_keys=["fixture:tlsKey"],
        )
    finally:
        sys.modules.pop("naming", None)
    offline.write_render(recording, tmp_path)
    assert PLAINTEXT not in repr(recording)
    for path in tmp_path.iterdir():
        assert PLAINTEXT not in path.read_text(), path.name
    # Only the secret leaf goes, not the whole spec (the SDK's deserializer would hoist it).
    env = recording.by_name("env")
    assert env.secret_fields == {"spec"}
    assert env.inputs["spec"]["template"]["spec"]["containers"][0] == {
        "env": [{"name": "K", "value": SECRET}],
        "name": "c",
    }
    assert recording.by_name("leaky").inputs["metadata"]["annotations"] == {"key": SECRET}
    assert recording.outputs["tlsKey"] == SECRET


def test_tls_outputs_get_placeholders_and_private_keys_stay_secret() -> None:
    def program() -> None:
        key = tls.PrivateKey("ca-key", algorithm="ECDSA")
        cert = tls.SelfSignedCert(
            "ca",
            private_key_pem=key.private_key_pem,
            validity_period_hours=24,
            allowed_uses=["cert_signing"],
            subject={"common_name": "example"},
        )
        pulumi.export("privateKeyPem", key.private_key_pem)
        pulumi.export("publicKeyPem", key.public_key_pem)
        pulumi.export("certPem", cert.cert_pem)

    recording = testing.run(program)
    # The engine applies additionalSecretOutputs; the plain mock does not, so the monitor does.
    assert recording.secret_outputs == {"privateKeyPem"}
    assert recording.outputs["privateKeyPem"] == SECRET
    assert recording.outputs["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----\nOFFLINE PLACEHOLDER")
    assert recording.outputs["certPem"].startswith("-----BEGIN CERTIFICATE-----\nOFFLINE PLACEHOLDER")
    assert recording.by_name("ca").secret_fields == {"privateKeyPem"}
    assert recording.manifests() == []  # tls resources are in the graph, not manifests


# ---------------------------------------------------------------------------------------------
# Errors propagate unchanged
# ---------------------------------------------------------------------------------------------

CONFIG_ERROR = ConfigError([Problem("gateways[0].name", "must be set")])


class Unexpected(Exception):
    """An exception class the engine knows nothing about."""


UNEXPECTED = Unexpected("boom")


def raise_directly() -> None:
    raise CONFIG_ERROR


def raise_in_apply() -> None:
    def fail(_: object) -> None:
        raise CONFIG_ERROR

    pulumi.Output.from_input("x").apply(fail)


def raise_in_component() -> None:
    class Broken(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("test:index:Broken", "broken")
            raise CONFIG_ERROR

    Broken()


def raise_in_an_input() -> None:
    def fail(_: object) -> str:
        raise UNEXPECTED

    k8s.core.v1.ConfigMap("cm", metadata={"name": pulumi.Output.from_input("x").apply(fail)})


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        (raise_directly, CONFIG_ERROR),
        (raise_in_apply, CONFIG_ERROR),
        (raise_in_component, CONFIG_ERROR),
        (raise_in_an_input, UNEXPECTED),
    ],
)
def test_program_exceptions_propagate_as_the_same_object(
    program: Callable[[], None], expected: BaseException
) -> None:
    with pytest.raises(type(expected)) as caught:
        offline.run_program(program, project="p", stack="s")
    assert caught.value is expected


def test_stack_program_config_error_propagates() -> None:
    with pytest.raises(ConfigError, match=r"items: list at least one host") as caught:
        offline.run_stack(FIXTURE, "bad")
    assert type(caught.value) is ConfigError


def test_run_stack_restores_cwd_sys_path_and_modules() -> None:
    cwd, path = os.getcwd(), list(sys.path)
    with pytest.raises(ConfigError):  # the program fails after importing its own `naming` module
        offline.run_stack(FIXTURE, "bad")
    assert os.getcwd() == cwd and sys.path == path
    assert "naming" not in sys.modules


def test_duplicate_urns_are_rejected() -> None:
    def program() -> None:
        k8s.core.v1.ConfigMap("same", metadata={"name": "a"})
        k8s.core.v1.ConfigMap("same", metadata={"name": "b"})

    with pytest.raises(DuplicateUrnError, match="same") as caught:
        offline.run_program(program, project="p", stack="s")
    assert isinstance(caught.value, MeshgwError)


def test_a_duplicate_urn_error_names_the_component_and_both_declarations_on_every_run() -> None:
    class Box(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Box", name)
            for child in ("b-child", "a-child", "c-child"):  # every child collides
                k8s.core.v1.ConfigMap(child, opts=pulumi.ResourceOptions(parent=self))

    def program() -> None:
        Box("first")
        Box("second")

    messages = set()
    for _ in range(3):
        with pytest.raises(DuplicateUrnError) as caught:
            offline.run_program(program, project="p", stack="s")
        messages.add(str(caught.value))
    # The components themselves differ by name; their children are the duplicates. The topmost,
    # first in URN order, is named, with the component of each declaration.
    assert messages == {
        "duplicate resource URN 'urn:pulumi:s::p::test:index:Box$kubernetes:core/v1:ConfigMap::a-child': a "
        "kubernetes:core/v1:ConfigMap named 'a-child' is declared twice (first under test:index:Box 'first', "
        "again under test:index:Box 'second'); a URN holds the parent's type but not its name, so give the "
        "resources unique names (prefix child names with the component's name)"
    }


# ---------------------------------------------------------------------------------------------
# Runs are independent
# ---------------------------------------------------------------------------------------------


def test_repeated_runs_do_not_leak_state() -> None:
    seen: list[dict[str, Any]] = []

    def program() -> None:
        config = pulumi.Config()
        seen.append(
            {
                "stack": pulumi.get_stack(),
                "project": pulumi.get_project(),
                "only_first": config.get("onlyFirst"),
                "shared": config.get("shared"),
                "secret_keys": pulumi.runtime.is_config_secret(f"{pulumi.get_project()}:shared"),
                "dry_run": pulumi.runtime.is_dry_run(),
            }
        )
        k8s.core.v1.ConfigMap("cm", metadata={"name": pulumi.get_stack()})
        pulumi.export("stack", pulumi.get_stack())

    caller_stack, caller_project = pulumi.get_stack(), pulumi.get_project()
    runs = [
        offline.run_program(
            program,
            project="one",
            stack="dev",
            config={"one:onlyFirst": "x", "one:shared": "1"},
            secret_keys=["one:shared"],
        ),
        offline.run_program(program, project="two", stack="prod", config={"two:shared": "2"}, preview=True),
        offline.run_program(program, project="two", stack="test"),
    ]
    assert seen == [
        {
            "stack": "dev",
            "project": "one",
            "only_first": "x",
            "shared": "1",
            "secret_keys": True,
            "dry_run": False,
        },
        {
            "stack": "prod",
            "project": "two",
            "only_first": None,
            "shared": "2",
            "secret_keys": False,
            "dry_run": True,
        },
        {
            "stack": "test",
            "project": "two",
            "only_first": None,
            "shared": None,
            "secret_keys": False,
            "dry_run": False,
        },
    ]
    assert [r.resources[0].name for r in runs] == ["one-dev", "two-prod", "two-test"]
    assert [len(r.resources) for r in runs] == [2, 2, 2]
    assert [r.outputs for r in runs] == [{"stack": "dev"}, {"stack": "prod"}, {"stack": "test"}]
    assert (pulumi.get_stack(), pulumi.get_project()) == (caller_stack, caller_project)


# ---------------------------------------------------------------------------------------------
# Apply order and Kubernetes identity on hand-made recordings
# ---------------------------------------------------------------------------------------------


def resource(
    index: int, type_: str, name: str, *deps: str, parent: str | None = "stack", **kw: Any
) -> RegisteredResource:
    custom = kw.pop("custom", not type_.startswith(("test:", "pulumi:pulumi:")))
    return RegisteredResource(
        index=index,
        urn=name,
        type=type_,
        name=name,
        parent=parent,
        custom=custom,
        inputs=kw.pop("inputs", {"metadata": {"name": name}}),
        dependencies=frozenset(deps),
        **kw,
    )


def test_apply_order_follows_dependencies_then_registration() -> None:
    # Registration order here contradicts the dependencies on purpose. Among objects that are
    # ready together, kind order (ConfigMap, Secret, Deployment) breaks the tie.
    recording = Recording(
        project="p",
        stack="s",
        preview=False,
        resources=(
            resource(0, "pulumi:pulumi:Stack", "stack", parent=None),
            resource(1, "kubernetes:networking.istio.io/v1:Gateway", "gw", "app"),  # on a component
            resource(2, "test:index:App", "app", "ns"),  # its children inherit this
            resource(3, "kubernetes:apps/v1:Deployment", "deploy", parent="app"),
            resource(4, "tls:index/privateKey:PrivateKey", "key", "ns"),  # not a manifest
            resource(5, "kubernetes:core/v1:Secret", "secret", "key"),
            resource(6, "kubernetes:core/v1:Namespace", "ns"),
            resource(7, "kubernetes:core/v1:ConfigMap", "free"),
        ),
    )
    assert [m.resource.name for m in recording.manifests()] == ["ns", "free", "secret", "deploy", "gw"]
    assert [m.order for m in recording.manifests()] == [1, 2, 3, 4, 5]


def test_dependency_cycles_are_reported() -> None:
    recording = Recording(
        "p",
        "s",
        False,
        (
            resource(0, "pulumi:pulumi:Stack", "stack", parent=None),
            resource(1, "kubernetes:core/v1:ConfigMap", "a", "b"),
            resource(2, "kubernetes:core/v1:ConfigMap", "b", "a"),
        ),
    )
    with pytest.raises(OfflineError, match="cycle: a, b"):
        recording.manifests()


def test_file_numbers_widen_past_999() -> None:
    resources = [resource(0, "pulumi:pulumi:Stack", "stack", parent=None)]
    resources += [resource(i, "kubernetes:core/v1:ConfigMap", f"cm{i:04d}") for i in range(1, 1001)]
    files = [m.filename for m in Recording("p", "s", False, tuple(resources)).manifests()]
    assert files[0] == "0001-configmap-cluster-cm0001.yaml"
    assert files[-1] == "1000-configmap-cluster-cm1000.yaml"


@pytest.mark.parametrize(
    ("type_", "inputs", "expected"),
    [
        ("kubernetes:core/v1:Service", {}, ("v1", "Service")),
        ("kubernetes:apps/v1:Deployment", {"kind": "Deployment"}, ("apps/v1", "Deployment")),
        ("kubernetes:networking.istio.io/v1:Gateway", {}, ("networking.istio.io/v1", "Gateway")),
        ("kubernetes:rbac.authorization.k8s.io/v1:Role", {}, ("rbac.authorization.k8s.io/v1", "Role")),
        ("kubernetes:apps/v1:DeploymentPatch", {"kind": "Deployment"}, None),  # a patch, not an object
        ("kubernetes:helm.sh/v3:Release", {}, None),
        ("pulumi:providers:kubernetes", {}, None),
        ("tls:index/privateKey:PrivateKey", {}, None),
    ],
)
def test_kubernetes_identity(type_: str, inputs: dict[str, Any], expected: tuple[str, str] | None) -> None:
    assert resource(1, type_, "r", inputs=inputs).kubernetes_type == expected


def test_components_and_reads_are_not_manifests() -> None:
    assert resource(1, "kubernetes:core/v1:Service", "svc", custom=False).kubernetes_type is None
    assert resource(1, "kubernetes:core/v1:Service", "svc", read=True).kubernetes_type is None


def test_multiline_strings_are_literal_blocks() -> None:
    text = offline.dump_manifest(
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"pem": "a\nb\n", "n": "1"}}
    )
    assert text == "apiVersion: v1\nkind: ConfigMap\ndata:\n  pem: |\n    a\n    b\n  n: '1'\n"


# ---------------------------------------------------------------------------------------------
# Pulumi.yaml and stack files
# ---------------------------------------------------------------------------------------------


def make_project(root: Path, stacks: dict[str, str], extra: str = "") -> Path:
    (root / "Pulumi.yaml").write_text(f"name: demo\nruntime:\n  name: python\n{extra}")
    for name, text in stacks.items():
        (root / f"Pulumi.{name}.yaml").write_text(text)
    return root


def test_stack_config_is_normalised_like_the_cli(tmp_path: Path) -> None:
    stack = """\
config:
  demo:hosts: [a.example.com]
  replicas: 2
  ratio: 1.50
  flag: yes
  gateways:
    - name: public
      tls: {enabled: on, weight: 2.0}
      password:
        secure: v1:AAAA
  demo:tlsKey:
    secure: v1:BBBB
  kubernetes:namespace: istio-ingress
"""
    project = offline.load_project(make_project(tmp_path, {"dev": stack}))
    config = offline.load_stack_config(project, "dev")
    assert dict(config.config) == {
        "demo:hosts": '["a.example.com"]',
        "demo:replicas": "2",
        "demo:ratio": "1.50",  # top-level scalars are kept as written
        "demo:flag": "yes",
        "demo:gateways": '[{"name":"public","password":"[secret]","tls":{"enabled":"on","weight":2}}]',
        "demo:tlsKey": SECRET,
        "kubernetes:namespace": "istio-ingress",
    }
    assert config.secret_keys == {"demo:gateways", "demo:tlsKey"}
    assert config.name == "dev" and config.file == tmp_path / "Pulumi.dev.yaml"


def test_project_config_defaults_apply_unless_the_stack_sets_them(tmp_path: Path) -> None:
    extra = "config:\n  replicas: {type: integer, default: 2}\n  region: {type: string}\n"
    project = offline.load_project(
        make_project(tmp_path, {"a": "config:\n  demo:region: eu\n", "b": "{}\n"}, extra)
    )
    assert offline.load_stack_config(project, "a").config == {"demo:replicas": "2", "demo:region": "eu"}
    with pytest.raises(ProjectError, match="missing configuration values: demo:region"):
        offline.load_stack_config(project, "b")


def test_missing_stack_lists_the_stacks_that_exist(tmp_path: Path) -> None:
    project = offline.load_project(make_project(tmp_path, {"prod": "config: {}\n", "dev": "config: {}\n"}))
    with pytest.raises(ProjectError, match=r"'staging'.*Pulumi\.staging\.yaml.*: dev, prod$"):
        offline.load_stack_config(project, "staging")


def test_malformed_yaml_reports_the_line(tmp_path: Path) -> None:
    project = offline.load_project(make_project(tmp_path, {"dev": "config:\n  a: 1\n  b: [1, 2\n  c: 3\n"}))
    with pytest.raises(ProjectError, match=r"Pulumi\.dev\.yaml:4:\d+: malformed YAML"):
        offline.load_stack_config(project, "dev")


def test_no_pulumi_yaml(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"no Pulumi\.yaml"):
        offline.load_project(tmp_path)
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    with pytest.raises(ProjectError, match=r"no Pulumi\.yaml"):
        offline.load_stack_config(None, stack_file=tmp_path / "Pulumi.dev.yaml")


def test_stack_file_names_the_stack_and_finds_the_project() -> None:
    config = offline.load_stack_config(stack_file=FIXTURE / "stacks" / "Pulumi.dev.yaml")
    assert (config.name, config.project.name, config.project.directory) == (
        "dev",
        "fixture",
        FIXTURE.resolve(),
    )
    assert config.project.program_file == (FIXTURE / "prog" / "__main__.py").resolve()
    assert config.project.available_stacks() == ["bad", "dev"]
