"""Shared fixtures: sample configs, PEM material made on the fly (no key ever lives in the repo), the
planning helpers most test modules use, and the golden-file check."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import MeshPlan, plan_mesh
from pulumi_meshgw.spec import MeshSpec

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = os.environ.get("MESHGW_UPDATE_GOLDEN") == "1"
"""Regenerate the goldens with ``MESHGW_UPDATE_GOLDEN=1 pytest tests`` (or one test file) and review
the diff: golden changes are user-visible output changes and get a CHANGELOG line."""


def assert_golden(path: Path, text: str) -> None:
    """Check ``text`` against the reviewed golden file ``path``; rewrite it first under
    ``MESHGW_UPDATE_GOLDEN=1``."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} is missing; run with MESHGW_UPDATE_GOLDEN=1 and review it"
    assert path.read_text() == text, f"{path} differs; run with MESHGW_UPDATE_GOLDEN=1 and review the diff"


def plan(config: dict[str, Any], base_dir: Path | None = None) -> MeshPlan:
    """Plan a mesh config as a stack does (``meshgw:*`` keys without the namespace)."""
    return plan_mesh(MeshSpec.from_config(config), base_dir=base_dir)


def problems(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The (path, message, code) of every problem planning ``config`` raises."""
    with pytest.raises(ConfigError) as err:
        plan(config)
    return [(p.path, p.message, p.code) for p in err.value.problems]


def kinds(p: MeshPlan, kind: str) -> list[dict[str, Any]]:
    """The planned objects of one kind, in plan order."""
    return [m for m in p.manifests() if m["kind"] == kind]


def stack_config(env: str) -> dict[str, Any]:
    """The ``meshgw:*`` values of a stack file, keys without the namespace."""
    data = yaml.safe_load((STACKS / f"Pulumi.{env}.yaml").read_text())["config"]
    return {k.partition(":")[2]: v for k, v in data.items() if k.startswith("meshgw:")}


def make_pem(hosts: list[str], *, days: int = 30, expired: bool = False) -> tuple[str, str]:
    """A fresh self-signed certificate and key, for tests of the file and config sources."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    start, end = (
        (now - dt.timedelta(days=60), now - dt.timedelta(days=1))
        if expired
        else (now, now + dt.timedelta(days=days))
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert_pem, key_pem


@pytest.fixture
def pem_files(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    def make(hosts: list[str] | None = None, **kw: Any) -> tuple[Path, Path]:
        cert, key = make_pem(hosts or ["shop.example.com"], **kw)
        crt_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
        crt_path.write_text(cert)
        key_path.write_text(key)
        return crt_path, key_path

    return make


def minimal_mesh(**extra: Any) -> dict[str, Any]:
    """The smallest valid mesh: one public workload, one HTTPS gateway, one route."""
    mesh: dict[str, Any] = {
        "workloads": [{"name": "public", "exposure": "public"}],
        "gateways": [
            {
                "name": "public",
                "workload": "public",
                "servers": [
                    {
                        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["shop.example.com"],
                        "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
                    }
                ],
            }
        ],
        "virtualServices": [
            {
                "name": "shop",
                "namespace": "shop",
                "hosts": ["shop.example.com"],
                "gateways": ["istio-ingress/public"],
                "http": [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local"}}]}],
            }
        ],
    }
    mesh.update(extra)
    return mesh


def copy_project(tmp_path: Path) -> Path:
    """A copy of this repository's Pulumi project with only the dev stack: Pulumi.yaml and stacks/."""
    project = tmp_path / "repo"
    shutil.copytree(STACKS, project / "stacks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    for other in ("staging", "prod"):
        (project / "stacks" / f"Pulumi.{other}.yaml").unlink()
    return project


def git(repo: Path, *args: str) -> None:
    """Run git in ``repo`` with a fixed identity; fail the test on an error."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )
