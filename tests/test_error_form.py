"""Every message a command prints has one form, ``LEVEL: WHERE: MESSAGE [CODE]``
(errors.problem_line): config errors (a header, then ``- WHERE: MESSAGE [CODE]`` per problem),
findings, unreadable files, projects that cannot run and command-line mistakes alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pulumi_meshgw.analysis import Diagnostic, Level
from pulumi_meshgw.cli import app, main
from pulumi_meshgw.errors import ConfigError, MeshgwError, Problem, headline, problem_line

from .test_first_hour import render

runner = CliRunner()

ONE_LINE = re.compile(r"\A(?:\S+?:(?:\d+:)? )?(error|warning|info): (?:\S.*?: )?\S.* \[(IST|MGW)\d{4}\]\Z")
"""A finding or an error that stops a command, with an optional ``FILE:LINE:`` in front."""

BULLET = re.compile(r"\A  - \S.*: \S.* \[(IST|MGW)\d{4}\]\Z")


def assert_form(text: str) -> None:
    for raw in text.strip().splitlines():
        assert ONE_LINE.match(raw) or BULLET.match(raw) or raw.startswith("error: "), raw


def test_the_form_of_one_problem() -> None:
    assert problem_line("error", "gateways[0].servers", "must be a list", "MGW0100") == (
        "error: gateways[0].servers: must be a list [MGW0100]"
    )
    assert problem_line("warning", "", "m", "MGW0001") == "warning: m [MGW0001]"
    finding = Diagnostic("IST0132", Level.ERROR, "VirtualService", "shop", "shop", "spec.hosts[0]", "m")
    assert str(finding) == "error: VirtualService shop/shop spec.hosts[0]: m [IST0132]"


def test_headline_gives_errors_without_problems_a_code() -> None:
    assert headline(MeshgwError("x: cannot")) == "error: x: cannot [MGW0003]"
    assert headline(RuntimeError("Missing required configuration variable")).endswith("[MGW0003]")
    config = ConfigError([Problem("a", "b", "MGW0100")], context="stack dev")
    assert headline(config) == "error: stack dev: 1 problem in the mesh configuration\n  - a: b [MGW0100]"


def test_a_config_error_in_render_is_a_header_and_one_line_per_problem(tmp_path: Path) -> None:
    code, out = render(tmp_path, "config:\n  meshgw:gateways:\n    - {name: x, workload: y, servers: 50}\n")
    assert code == 1
    assert "error: meshgw:index:Mesh mesh: 2 problems in the mesh configuration" in out
    assert "  - gateways[0].servers: must be a list (got 50) [MGW0100]" in out
    assert_form(out)


def test_an_unreadable_stack_file_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    code, out = render(tmp_path, "config:\n  meshgw:gateways: []\n  meshgw:gateways: []\n")
    assert code == 1
    [line] = [x for x in out.splitlines() if x.startswith("error:")]
    assert re.search(
        r"Pulumi\.dev\.yaml:3:3: the key .meshgw:gateways. is given twice.* \[MGW0002\]\Z", line
    ), line
    assert_form(out)


def test_a_project_that_cannot_run_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "o"), "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: no Pulumi.yaml in {tmp_path}: pass the project directory (--project-dir) [MGW0003]"
    )


def test_check_findings_and_unreadable_files_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: [\n")
    (tmp_path / "gw.yaml").write_text(
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: ns}\n"
        "spec:\n  selector: {istio: nothing}\n  servers:\n"
        "    - port: {number: 80, name: http, protocol: HTTP}\n      hosts: ['a.example.com']\n"
    )
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    *findings, summary = result.stdout.strip().splitlines()
    assert findings and all(ONE_LINE.match(f) for f in findings), findings
    assert summary.startswith("2 errors")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["render", "-s", "dev"],
            "error: meshgw render: Missing option '--out' / '-o'; see 'meshgw render --help' [MGW0003]",
        ),
        (["render", "--stak", "dev", "-o", "x"], "error: meshgw render: No such option: --stak"),
        (["check", "--format", "xml", "."], "error: meshgw check: Invalid value for '--format'"),
        (["nonsense"], "error: meshgw: No such command 'nonsense'"),
    ],
)
def test_command_line_mistakes_are_one_line_in_the_same_form(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and ONE_LINE.match(err), err
    assert "Traceback" not in err and "╭" not in err


def test_version_and_help_still_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["--version"], ["render", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(args)
        assert exit_.value.code == 0
    assert "meshgw " in capsys.readouterr().out


def test_diff_errors_are_in_the_same_form(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    result = runner.invoke(app, ["diff", str(bad), str(bad)])
    assert result.exit_code == 1
    assert ONE_LINE.match(result.stderr.strip()), result.stderr
    assert result.stderr.strip().endswith("[MGW0002]")
