"""Every project in examples/ renders with the offline engine, as a user would run it, and yields
the objects its README promises; so the examples run in CI with the rest of the suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pulumi_meshgw.analysis import Level, analyze_manifests
from pulumi_meshgw.offline import SECRET, run_stack, write_render

from .conftest import ROOT, make_pem

EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.slow


def render(project: Path, out: Path) -> dict[tuple[str, str], dict[str, object]]:
    """Render the dev stack of ``project``; return the objects by (kind, name). Fails on any
    error-level finding, as ``meshgw render`` exits 1 on one."""
    result = write_render(run_stack(project, "dev"), out)
    bodies = [dict(m.body) for m in result.manifests]
    errors = [d for d in analyze_manifests(bodies) if d.level is Level.ERROR]
    assert not errors, errors
    return {(b["kind"], b["metadata"]["name"]): b for b in bodies}  # type: ignore[index]


def fresh_copy(name: str, tmp_path: Path) -> Path:
    """The example as the repository has it, without what trying it by the README leaves behind
    (``out/``, the seed's ``certs/``), which a user who followed examples/README.md has."""
    project = tmp_path / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("out", "certs", "__pycache__"))
    return project


def test_every_example_folder_is_tested() -> None:
    # examples/ci (the pull-request recipe) is run by tests/test_ci_recipe.py.
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == ["ci", "config", "python", "seed"]


def test_python_program(tmp_path: Path) -> None:
    objs = render(EXAMPLES / "python", tmp_path)
    route = objs[("VirtualService", "shop")]
    assert route["spec"]["gateways"] == ["istio-ingress/public"]  # type: ignore[index]
    assert ("Gateway", "public") in objs and ("Deployment", "public") in objs


def test_config_driven_program_uses_the_stacks_entry_point(tmp_path: Path) -> None:
    entry = "from pulumi_meshgw.components.stack import mesh_from_config"
    assert entry in (ROOT / "stacks" / "__main__.py").read_text()
    assert entry in (EXAMPLES / "config" / "__main__.py").read_text()
    objs = render(EXAMPLES / "config", tmp_path)
    # The certificate comes from secret config in the project's own namespace ("platform").
    secret = objs[("Secret", "public-https-cert")]
    assert secret["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    assert objs[("VirtualService", "shop")]["spec"]["hosts"] == ["shop.example.com"]  # type: ignore[index]


def test_seed_example_with_certificate_files(tmp_path: Path) -> None:
    project = fresh_copy("seed", tmp_path)
    cert, key = make_pem(["ext-host.example.com"])
    (project / "certs").mkdir()
    (project / "certs" / "tls.crt").write_text(cert)
    (project / "certs" / "tls.key").write_text(key)
    objs = render(project, tmp_path / "out")
    gateway = objs[("Gateway", "ext-host-gwy")]["spec"]
    assert gateway["servers"] == [  # type: ignore[index]
        {
            "hosts": ["ext-host.example.com"],
            "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
            "tls": {
                "credentialName": "ext-host-gwy-https-cert",
                "minProtocolVersion": "TLSV1_2",
                "mode": "SIMPLE",
            },
        }
    ]
    assert objs[("VirtualService", "virtual-svc")]["spec"]["gateways"] == [  # type: ignore[index]
        "istio-ingress/ext-host-gwy"
    ]
    rendered = "".join(p.read_text() for p in (tmp_path / "out").glob("*.yaml"))
    assert "certs/tls" not in rendered and "PRIVATE KEY" not in rendered


def test_seed_example_without_its_files_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"tls\.serverCertificate") as caught:
        run_stack(fresh_copy("seed", tmp_path), "dev")
    assert "Traceback" not in str(caught.value)


def test_readme_names_the_real_entry_point() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "mesh_from_config" in readme and "read_mesh_config" not in readme
    assert yaml.safe_load((EXAMPLES / "config" / "Pulumi.yaml").read_text())["name"] != "meshgw"
