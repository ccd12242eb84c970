"""``meshgw check``: reading files and folders, output formats, exit codes, declarations."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pulumi_meshgw.cli import app
from pulumi_meshgw.cli import render as render_module

CORPUS = Path(__file__).parent / "corpus"
GOLDEN_DEV = Path(__file__).parent / "golden" / "stacks" / "dev"
runner = CliRunner()

GATEWAY = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: [shop.example.com]
"""
ROUTE = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [blog.example.com]
  gateways: [istio-system/public]
  http:
    - route: [{destination: {host: shop}}]
"""


def test_errors_exit_1_with_greppable_lines(tmp_path: Path) -> None:
    f = tmp_path / "mesh.yaml"
    f.write_text(GATEWAY + "---\n" + ROUTE)
    result = runner.invoke(app, ["check", str(f)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    # The route has no namespace: it is checked as applied to "default", like kubectl apply.
    assert (
        f"{f}:10: error: VirtualService default/shop spec.gateways[0]: no host of this route "
        "(blog.example.com) is served by gateway istio-system/public" in result.stdout
    )
    assert f"{f}:1: error: Gateway istio-system/public spec.selector:" in lines[0]
    assert lines[0].endswith("[IST0101]") and any(line.endswith("[IST0132]") for line in lines)
    # The route's destination "shop" is in no file: a warning (it may be managed elsewhere).
    assert f"{f}:10: warning: VirtualService default/shop spec.http[0].route[0].destination.host" in (
        result.stdout
    )
    assert lines[-1] == "2 errors, 1 warning in 1 file, 2 objects"


def test_json_lines_carry_every_field(tmp_path: Path) -> None:
    f = tmp_path / "mesh.yaml"
    f.write_text(GATEWAY + "---\n" + ROUTE)
    result = runner.invoke(app, ["check", "--format", "json", "--namespace", "shop", str(f)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["code"] for r in records] == ["IST0101", "IST0132", "IST0101"]
    assert set(records[1]) == {
        "code",
        "level",
        "kind",
        "namespace",
        "name",
        "path",
        "message",
        "file",
        "line",
    }
    assert records[1]["namespace"] == "shop" and records[1]["level"] == "error" and records[1]["line"] == 10


def test_declarations_resolve_references(tmp_path: Path) -> None:
    (tmp_path / "route.yaml").write_text(ROUTE.replace("istio-system/public", "platform/shared"))
    declare = tmp_path / "external.yaml"
    declare.write_text(
        "- {kind: Gateway, namespace: platform, name: shared, hosts: ['*.example.com']}\n"
        "- {kind: Service, host: shop, namespace: default}\n"
    )
    result = runner.invoke(app, ["check", "--declare", str(declare), str(tmp_path / "route.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no findings in 1 file, 1 object"
    declare.write_text("external:\n  - {kind: Gateway, namespace: platform}\n")
    result = runner.invoke(app, ["check", "--declare", str(declare), str(tmp_path / "route.yaml")])
    assert result.exit_code == 1
    assert f"{declare}:1: error: [0]: kind Gateway needs name" in result.stdout


def test_a_render_folder_checks_clean_and_graph_json_is_skipped() -> None:
    assert (GOLDEN_DEV / "graph.json").exists()
    result = runner.invoke(app, ["check", str(GOLDEN_DEV)])
    assert result.exit_code == 0, result.output
    files = len(list(GOLDEN_DEV.glob("*.yaml")))
    assert f"in {files} files, {files} objects" in result.stdout.splitlines()[-1]


def test_folders_are_searched_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.yml").write_text(ROUTE.replace("name: shop", "name: first"))
    (tmp_path / "b" / "c.yaml").write_text(ROUTE.replace("name: shop", "name: second"))
    (tmp_path / "notes.txt").write_text("not yaml: [")
    result = runner.invoke(app, ["check", "-f", "json", str(tmp_path)])
    names = [json.loads(line)["name"] for line in result.stdout.splitlines()]
    # IST0101 and IST0132 (the Gateway is not there), then the unknown destination
    assert names == ["first"] * 3 + ["second"] * 3


def test_bad_input_is_a_finding_with_file_and_line_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: Service\nmetadata:\n  name: [unclosed\n")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("---\njust a string\n")
    listed = tmp_path / "list.yaml"
    listed.write_text(
        "apiVersion: v1\nkind: List\nitems:\n  - " + ROUTE.replace("\n", "\n    ").rstrip() + "\n"
    )
    missing = tmp_path / "missing.yaml"
    result = runner.invoke(app, ["check", str(broken), str(scalar), str(listed), str(missing)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    out = result.stdout
    assert f"{broken}:4: error: malformed YAML: " in out
    assert f"{scalar}:2: error: this YAML document is a str, not a Kubernetes object" in out
    assert "VirtualService default/shop spec.gateways[0]" in out  # expanded from the List
    assert f"{missing}: error: no such file or folder" in out


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    f = tmp_path / "entry.yaml"
    f.write_text(
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db, namespace: shop}\n"
        "spec:\n  hosts: [db.example.com]\n  resolution: DNS\n"
        "  ports: [{number: 5432, name: pg, protocol: TCP}]\n"
    )
    result = runner.invoke(app, ["check", str(f)])
    assert result.exit_code == 0
    assert "warning: ServiceEntry shop/db spec.ports[0]" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 warning in 1 file, 1 object"


def test_the_corpus_through_the_command() -> None:
    bad = CORPUS / "bad" / "ist0145-same-host-two-gateways.yaml"
    assert runner.invoke(app, ["check", str(bad)]).exit_code == 1
    shared = [str(p) for p in sorted((CORPUS / "good").glob("_*.yaml"))]
    good = CORPUS / "good" / "secure-ingress-mutual.yaml"
    result = runner.invoke(app, ["check", *shared, str(good)])
    assert result.exit_code == 0, result.output
    # Two of Istio's examples serve the same host: together they conflict, as in a cluster.
    other = CORPUS / "good" / "secure-ingress-simple.yaml"
    result = runner.invoke(app, ["check", *shared, str(good), str(other)])
    assert result.exit_code == 1 and "IST0145" in result.stdout


def test_render_hook_runs_the_real_engine() -> None:
    import yaml

    findings = render_module.analyze([yaml.safe_load(GATEWAY)])
    assert [getattr(f, "code", None) for f in findings] == ["IST0101"]
