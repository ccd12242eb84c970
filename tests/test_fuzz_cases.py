"""Inputs a crash fuzzer found (tests/corpus/fuzz, copied from the shared cases): each escaped as a
traceback, a hang or a result that changed from process to process. The right result is a clean
message naming the file and line or the config path, exit 1, and the same bytes under any hash seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from pulumi_meshgw.cli import app

FUZZ = Path(__file__).parent / "corpus" / "fuzz"
runner = CliRunner()


def check(name: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", str(FUZZ / name)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def render(name: str, tmp_path: Path) -> tuple[int, str]:
    # As the case says: the file is a stack file of the repository's project ("meshgw").
    (tmp_path / "Pulumi.yaml").write_text("name: meshgw\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_meshgw.components.stack import mesh_from_config\nmesh_from_config('mesh')\n"
    )
    (tmp_path / "Pulumi.fuzz.yaml").write_bytes((FUZZ / name).read_bytes())
    result = runner.invoke(app, ["render", "-s", "fuzz", "-o", str(tmp_path / "out"), "-C", str(tmp_path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def test_every_case_is_tested() -> None:
    tested = {
        "check-hang-schema-alias-bomb.yaml",
        "check-nondeterministic-set-repr.yaml",
        "check-typeerror-check-with-namespace.yaml",
        "check-typeerror-schema-fmt.yaml",
        "render-unicodedecodeerror-offline-read-yaml.yaml",
        "render-validationerror-egress-origination-rule.yaml",
    }
    assert {p.name for p in FUZZ.glob("*.yaml")} == tested


def test_alias_bomb_is_refused() -> None:
    code, out = check("check-hang-schema-alias-bomb.yaml")
    assert code == 1
    assert "check-hang-schema-alias-bomb.yaml:5: error: anchors and aliases expand this document" in out


def test_set_tag_is_refused_so_no_set_order_can_leak() -> None:
    code, out = check("check-nondeterministic-set-repr.yaml")
    assert code == 1
    assert "check-nondeterministic-set-repr.yaml:9: error: the tag !!set is not plain data" in out


def test_set_tag_output_is_the_same_under_every_hash_seed() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "pulumi_meshgw", "check", "--format", "json", "--no-schema",
             str(FUZZ / "check-nondeterministic-set-repr.yaml")],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_a_kind_that_is_a_mapping_is_a_finding() -> None:
    code, out = check("check-typeerror-check-with-namespace.yaml")
    assert code == 1
    assert "error: kind: expected a non-empty string, got object {}" in out


def test_servers_that_are_a_mapping_with_an_int_key_is_a_finding() -> None:
    code, out = check("check-typeerror-schema-fmt.yaml")
    assert code == 1
    assert "error: Gateway ns/g spec.servers: expected array, got object {1: 'a', b: 'c'}" in out


def test_a_stack_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    code, err = render("render-unicodedecodeerror-offline-read-yaml.yaml", tmp_path)
    assert code == 1
    assert "Pulumi.fuzz.yaml:4:1: byte 0x97 is not UTF-8; save the file as UTF-8 text" in err


def test_an_origination_host_with_a_trailing_newline_names_its_path(tmp_path: Path) -> None:
    code, err = render("render-validationerror-egress-origination-rule.yaml", tmp_path)
    assert code == 1
    assert "egressGateways[0].destinations[0].host:" in err
    assert "ValidationError" not in err and "Input should" not in err
