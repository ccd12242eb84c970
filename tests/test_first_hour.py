"""A new user's first mistakes, one test per class, each with the right result: a clear error naming
the argument or config path (exit 1 from the CLI), never a silent no-op, a traceback or a message
in pydantic's words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pulumi_meshgw import ComponentConfigError, GatewayWorkload, IngressGateway, VirtualService
from pulumi_meshgw.cli import app
from pulumi_meshgw.components.stack import mesh_from_config
from pulumi_meshgw.errors import ConfigError, show
from pulumi_meshgw.spec import MeshSpec
from pulumi_meshgw.testing import SECRET, run

runner = CliRunner()

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
GATEWAY = [{"name": "public", "workload": "public-ingress", "servers": [HTTP]}]
WORKLOAD = [{"name": "public-ingress", "namespace": "istio-ingress", "exposure": "public"}]


def project(tmp_path: Path, stack_text: str, name: str = "platform") -> Path:
    """A config-driven project (the stacks' program) named ``name`` with a dev stack file."""
    (tmp_path / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_meshgw.components.stack import mesh_from_config\nmesh_from_config('mesh')\n"
    )
    (tmp_path / "Pulumi.dev.yaml").write_bytes(stack_text.encode())
    return tmp_path


def render(tmp_path: Path, stack_text: str, name: str = "platform") -> tuple[int, str]:
    (tmp_path / "p").mkdir()
    proj = project(tmp_path / "p", stack_text, name)
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "out"), "-C", str(proj)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr + result.stdout


# -- a stack that declares nothing ---------------------------------------------------------------


def test_settings_outside_config_are_refused_naming_the_fix(tmp_path: Path) -> None:
    code, out = render(tmp_path, "meshgw:gateways: []\nmeshgw:workloads: []\n")
    assert code == 1
    assert "'meshgw:gateways', 'meshgw:workloads' are not stack file settings" in out
    assert "config keys go indented under 'config:'" in out


def test_keys_without_the_meshgw_prefix_are_refused_naming_the_prefix(tmp_path: Path) -> None:
    code, out = render(tmp_path, "config:\n  gateways: []\n  workloads: []\n")
    assert code == 1
    assert "the stack declares nothing to build" in out
    assert "found 'platform:gateways', 'platform:workloads'" in out
    assert "write them as 'meshgw:gateways', 'meshgw:workloads'" in out


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "config: {}\n"])
def test_an_empty_stack_is_refused(tmp_path: Path, text: str) -> None:
    code, out = render(tmp_path, text)
    assert code == 1 and "the stack declares nothing to build" in out
    assert "0 manifests" not in out


def test_a_duplicate_key_in_a_stack_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    text = "config:\n  meshgw:workloads: []\n  meshgw:gateways: []\n  meshgw:workloads: []\n"
    code, out = render(tmp_path, text)
    assert code == 1
    assert (
        "Pulumi.dev.yaml:4:3: the key 'meshgw:workloads' is given twice in one mapping (first on line 2)"
        in out
    )


def test_a_stack_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    render(tmp_path, "config:\n  meshgw:gateways: []\n")
    (tmp_path / "p" / "Pulumi.dev.yaml").write_bytes(b"config:\n  \x97: 1\n")
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "o"), "-C", str(tmp_path / "p")])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert "Pulumi.dev.yaml:2:3: byte 0x97 is not UTF-8" in result.stderr


# -- secret config in the project's namespace -------------------------------------------------------


def test_certificate_config_is_read_from_the_projects_own_namespace() -> None:
    server = {
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["shop.example.com"],
        "tls": {"mode": "SIMPLE", "certificate": {"config": {"cert": "shopCert", "key": "shopKey"}}},
    }
    config = {
        "meshgw:workloads": WORKLOAD,
        "meshgw:gateways": [{**GATEWAY[0], "servers": [server]}],
        "shopCert": "CERT",
        "shopKey": "KEY",
    }
    rec = run(lambda: mesh_from_config("mesh"), project="acme-platform", config=config)
    # require_secret found both keys in "acme-platform"; a Recording masks their values.
    (secret,) = [m for m in rec.manifests() if m.kind == "Secret"]
    assert secret.body["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    without = {k: v for k, v in config.items() if k != "shopCert"}
    with pytest.raises(Exception, match="acme-platform:shopCert"):
        run(lambda: mesh_from_config("mesh"), project="acme-platform", config=without)


# -- Python API misuse -----------------------------------------------------------------------------


def ingress(**changes: Any) -> Callable[[], None]:
    def program() -> None:
        args: dict[str, Any] = {
            "namespace": "istio-ingress",
            "exposure": "public",
            "servers": [
                {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
            ],
        }
        gw = IngressGateway("public", **{**args, **changes.pop("gateway", {})})
        route: dict[str, Any] = {"namespace": "shop", "hosts": ["shop.example.com"], "gateways": [gw.gateway]}
        route.update({k: (v(gw) if callable(v) else v) for k, v in changes.items()})
        VirtualService("shop", **route)

    return program


def api_problems(program: Callable[[], None]) -> list[tuple[str, str]]:
    with pytest.raises(ComponentConfigError) as caught:
        run(program)
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"gateway": {"servers": 50}},
            "servers",
            "must be a list, got 50; a single item is written as a list: [50]",
        ),
        ({"hosts": 2147483648}, "hosts", "must be a list or None, got 2147483648"),
        ({"gateways": 1.5}, "gateways", "must be a list or None, got 1.5"),
        ({"gateway": {"cache": 0}}, "cache", "must be a HttpCache, a mapping or None, got 0"),
        ({"gateways": lambda gw: gw.gateway}, "gateways", "must be a list or None, got a Gateway"),
        (
            {"hosts": "a.example.com"},
            "hosts",
            "must be a list or None, got the string 'a.example.com'; a single item is written as a list: "
            "['a.example.com']",
        ),
        ({"hots": ["a.example.com"]}, "hots", "unknown argument; did you mean 'hosts'?"),
    ],
)
def test_python_api_misuse_names_the_argument(changes: dict[str, Any], path: str, message: str) -> None:
    ((got_path, got_message),) = api_problems(ingress(**changes))
    assert got_path == path
    assert got_message.startswith(message)


def test_a_missing_required_argument_is_named() -> None:
    def program() -> None:
        IngressGateway("public", namespace="istio-ingress")  # type: ignore[call-arg]

    assert api_problems(program) == [("servers", "required argument is missing")]


def test_extra_workload_fields_still_reach_the_spec_model() -> None:
    def program() -> None:
        GatewayWorkload("w", namespace="istio-ingress", exposure="public", replicaz=2)

    ((path, message),) = api_problems(program)
    assert path == "replicaz" and message.startswith("unknown field 'replicaz' (did you mean 'replicas'?)")


# -- values of the wrong type, names with a trailing newline, pydantic's words ----------------------


def config_problems(config: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        MeshSpec.from_config(config)
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("name", ["public\n", "public\n\n"])
def test_a_name_with_a_trailing_newline_is_refused(name: str) -> None:
    ((path, message),) = config_problems({"workloads": WORKLOAD, "gateways": [{**GATEWAY[0], "name": name}]})
    assert path == "gateways[0].name" and "is not a DNS-1123 label" in message


def test_a_host_with_a_trailing_newline_is_refused() -> None:
    server = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com\n"]}
    problems = config_problems({"workloads": WORKLOAD, "gateways": [{**GATEWAY[0], "servers": [server]}]})
    assert [p for p, _ in problems] == ["gateways[0].servers[0].hosts[0]"]


def test_wrong_types_are_worded_in_the_projects_words() -> None:
    route = {
        "name": "shop",
        "namespace": "shop",
        "hosts": ["shop.example.com"],
        "gateways": ["istio-ingress/public"],
        "http": [{"route": ["not-a-destination"]}],
    }
    problems = config_problems({"virtualServices": [route], "workloads": WORKLOAD, "gateways": GATEWAY})
    assert problems == [
        ("virtualServices[0].http[0].route[0]", "must be a mapping (got 'not-a-destination')")
    ]


def test_no_pydantic_wording_in_any_message() -> None:
    bad: dict[str, Any] = {
        "workloads": [{"name": "w", "namespace": 5, "exposure": "sideways", "replicas": "many"}],
        "gateways": [{"name": "g", "workload": "w", "servers": {"1": "a"}}],
    }
    for path, message in config_problems(bad):
        for words in ("Input should", "instance of", "valid dictionary", "Field required", "Spec"):
            assert words not in message, (path, message)


# -- the bounded, deterministic value printer --------------------------------------------------------


def test_show_is_bounded_and_deterministic() -> None:
    assert show({"port": 80, "hosts": ["a", "b"], "tls": None, "on": True}) == (
        "{port: 80, hosts: ['a', 'b'], tls: null, on: true}"
    )
    assert show({"d", "a", "c"}) == "['a', 'c', 'd']"
    assert show("x" * 500) == "'" + "x" * 79 + "..."
    nested: list[Any] = []
    for _ in range(100_000):
        nested = [nested]
    assert show(nested) == "[" * 80 + "..."
    assert show(["y" * 10] * 10**6, limit=20) == "['yyyyyyyyyy', 'yyyy..."
    assert show(object()) == "<object>"


# -- certificates given as files ----------------------------------------------------------------------


def https_gateway(crt: Path, key: Path, hosts: list[str]) -> dict[str, Any]:
    tls = {"mode": "SIMPLE", "serverCertificate": str(crt), "privateKey": str(key)}
    server = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts, "tls": tls}
    return {"workloads": WORKLOAD, "gateways": [{**GATEWAY[0], "servers": [server]}]}


@pytest.mark.parametrize(
    ("cert_hosts", "server_hosts", "uncovered"),
    [
        (["shop.example.com"], ["shop.example.com"], None),
        (["*.example.com"], ["shop.example.com", "blog.example.com"], None),
        (["*.example.com"], ["a.b.example.com", "example.com"], "a.b.example.com, example.com"),
        (["*.example.com"], ["*.example.com"], None),
        (["shop.example.com"], ["*.example.com"], "*.example.com"),
        (["shop.example.com"], ["istio-ingress/blog.example.com"], "blog.example.com"),
    ],
)
def test_a_certificate_that_does_not_cover_the_hosts_is_a_warning(
    pem_files: Callable[..., tuple[Path, Path]],
    cert_hosts: list[str],
    server_hosts: list[str],
    uncovered: str | None,
) -> None:
    from .conftest import plan

    crt, key = pem_files(cert_hosts)
    warnings = [(w.path, w.message, w.code) for w in plan(https_gateway(crt, key, server_hosts)).warnings]
    found = [w for w in warnings if w[2] == "MGW0113"]
    if uncovered is None:
        assert found == []
    else:
        assert found == [
            (
                "gateways[0].servers[0].tls.serverCertificate",
                f"the certificate's DNS names ({', '.join(cert_hosts)}) do not cover {uncovered}, so "
                "clients of those hosts reject it; issue it for every server host "
                "(RFC 6125: one '*' label, leftmost)",
                "MGW0113",
            )
        ]


def test_a_key_file_holding_a_certificate_says_they_look_swapped(
    pem_files: Callable[..., tuple[Path, Path]],
) -> None:
    from .conftest import problems

    crt, key = pem_files(["shop.example.com"])
    assert problems(https_gateway(crt, crt, ["shop.example.com"])) == [
        (
            "gateways[0].servers[0].tls.privateKey",
            "holds a certificate, not a private key; are serverCertificate and privateKey swapped?",
            "MGW0111",
        )
    ]
    assert problems(https_gateway(key, key, ["shop.example.com"]))[0][1] == (
        "holds a private key, not a certificate; are serverCertificate and privateKey swapped?"
    )


# -- command line polish ---------------------------------------------------------------------------------


def test_version() -> None:
    from pulumi_meshgw import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"meshgw {__version__}\n"


def test_render_help_shows_the_secret_placeholder() -> None:
    result = runner.invoke(app, ["render", "--help"], env={"COLUMNS": "200"})
    assert 'secrets are written as "[secret]"' in result.stdout


def test_check_names_declare_when_a_selector_matches_nothing() -> None:
    case = Path(__file__).parent / "corpus" / "bad" / "ist0101-selector-matches-nothing.yaml"
    result = runner.invoke(app, ["check", str(case)])
    assert result.exit_code == 1
    assert "(meshgw check --declare FILE, see docs/checks.md)" in result.stdout


def test_a_misspelt_gateway_name_gets_a_did_you_mean() -> None:
    def program() -> None:
        IngressGateway("public", namespace="istio-ingress", exposure="public", servers=[HTTP])
        route = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local"}}]}]
        VirtualService(
            "shop", namespace="shop", hosts=["shop.example.com"], gateways=["istio-ingress/publc"], http=route
        )

    ((path, message),) = api_problems(program)
    assert path == "gateways"
    assert message.startswith(
        "gateway istio-ingress/publc is not declared in this program (did you mean 'istio-ingress/public'?); "
    )
