"""Certificate files are read at the edge (pulumi_meshgw.pem_files); planning itself does no I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_meshgw.errors import ConfigError, Problem
from pulumi_meshgw.pem_files import PemFiles
from pulumi_meshgw.plan import plan_mesh
from pulumi_meshgw.spec import MeshSpec

from .conftest import make_pem, minimal_mesh


def files_mesh(cert: str = "tls.crt", key: str = "tls.key") -> MeshSpec:
    mesh = minimal_mesh()
    tls = {"mode": "SIMPLE", "serverCertificate": cert, "privateKey": key}
    mesh["gateways"][0]["servers"][0]["tls"] = tls
    return MeshSpec.from_config(mesh)


class InMemory:
    """A PemSource that holds the PEM text itself and records what was asked for."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.asked: list[tuple[str, str]] = []

    def read(self, path: str, field_path: str, problems: list[Problem]) -> str | None:
        self.asked.append((path, field_path))
        return self.texts[path]


def test_planning_reads_certificates_only_through_the_source_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = make_pem(["shop.example.com"])
    monkeypatch.chdir(tmp_path)  # no tls.crt here: a plan that opened files itself would fail
    source = InMemory({"tls.crt": cert, "tls.key": key})
    plan = plan_mesh(files_mesh(), files=source)
    secret = plan.gateways["public"].credentials[0].manifest
    assert secret is not None and secret["stringData"]["tls.crt"] == cert
    assert source.asked == [
        ("tls.crt", "gateways[0].servers[0].tls.serverCertificate"),
        ("tls.key", "gateways[0].servers[0].tls.privateKey"),
    ]


def test_pem_files_resolve_against_base_dir_and_read_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "a.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    files = PemFiles(tmp_path)
    problems: list[Problem] = []
    assert files.read("a.pem", "x", problems) == "-----BEGIN CERTIFICATE-----\n"
    (tmp_path / "a.pem").unlink()
    assert files.read("a.pem", "y", problems) == "-----BEGIN CERTIFICATE-----\n"
    assert problems == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; give the path of a PEM file"),
        (b"\x30\x82\x01\x0a\xff", "byte 1 is not ASCII (a DER or binary file?); give a PEM file"),
        (b"hello", "is not PEM (no -----BEGIN line)"),
    ],
)
def test_unreadable_certificate_files_are_problems_at_their_config_path(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "tls.crt").write_bytes(content)
    _, key = make_pem(["shop.example.com"])
    (tmp_path / "tls.key").write_text(key)
    with pytest.raises(ConfigError) as err:
        plan_mesh(files_mesh(), base_dir=tmp_path)
    [problem] = err.value.problems
    assert problem.path == "gateways[0].servers[0].tls.serverCertificate"
    assert problem.code == "MGW0110"
    assert problem.message.endswith(message)


def test_a_directory_named_as_a_certificate_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").mkdir()
    with pytest.raises(ConfigError) as err:
        plan_mesh(files_mesh(), base_dir=tmp_path)
    first = err.value.problems[0]
    assert first.path == "gateways[0].servers[0].tls.serverCertificate"
    assert "cannot read" in first.message
