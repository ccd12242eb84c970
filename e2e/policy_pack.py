"""The policy pack through the real CLI: ``pulumi preview --policy-pack`` on raw CustomResources.

An application repository's program makes Istio objects with no meshgw component: a gateway
Deployment and Service (typed), and a Gateway and a VirtualService as plain
``kubernetes.apiextensions.CustomResource`` s. It has two known mistakes:

- the VirtualService routes ``blog.example.com`` through a Gateway that serves only
  ``shop.example.com`` (IST0132, an error: ``meshgw-errors`` is mandatory, so the preview fails);
- the Gateway's TLS Secret is not in the stack (IST0101, a warning: ``meshgw-warnings`` is advisory).

With the host corrected the preview succeeds and still prints the advisory IST0101.

The pack runs as an executable analyzer plugin (``policypack/meshgw-policy-pack``): the CLI launches
an executable ``--policy-pack`` path directly, as it launches a provider. The directory form needs
the Python language host, which cannot be built here (docs/e2e.md). The program is inline, run
through the Automation API (``Stack.preview(policy_packs=[...])`` passes ``--policy-pack``).

Usage: ``python e2e/policy_pack.py [--out DIR]``, with ``e2e/setup``'s environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
from engine import PASSPHRASE
from part import REPO, start
from pulumi import automation as auto

PACK = REPO / "policypack" / "meshgw-policy-pack"
PROJECT = "apps"


def program(vs_host: str) -> pulumi.automation.PulumiFn:
    """The raw-CustomResource program; ``vs_host`` is the host the VirtualService routes."""

    def run() -> None:
        labels = {"istio": "gw"}
        k8s.apps.v1.Deployment(
            "gw",
            metadata={"name": "gw", "namespace": "istio-ingress"},
            spec={
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {
                        "labels": {**labels, "sidecar.istio.io/inject": "true"},
                        "annotations": {"inject.istio.io/templates": "gateway"},
                    },
                    "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
                },
            },
        )
        k8s.core.v1.Service(
            "gw",
            metadata={"name": "gw", "namespace": "istio-ingress"},
            spec={"type": "ClusterIP", "selector": labels, "ports": [{"name": "https", "port": 443}]},
        )
        gateway = k8s.apiextensions.CustomResource(
            "public",
            api_version="networking.istio.io/v1",
            kind="Gateway",
            metadata={"name": "public", "namespace": "istio-ingress"},
            spec={
                "selector": labels,
                "servers": [
                    {
                        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                        "hosts": ["shop.example.com"],
                        "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"},
                    }
                ],
            },
        )
        k8s.apiextensions.CustomResource(
            "shop",
            api_version="networking.istio.io/v1",
            kind="VirtualService",
            metadata={"name": "shop", "namespace": "shop"},
            spec={
                "hosts": [vs_host],
                "gateways": ["istio-ingress/public"],
                "http": [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local"}}]}],
            },
            opts=pulumi.ResourceOptions(depends_on=[gateway]),
        )

    return run


def stack_for(work: Path, vs_host: str) -> auto.Stack:
    """A stack of the inline program in a local file backend under ``work``."""
    (work / "state").mkdir(parents=True, exist_ok=True)
    stack = auto.create_or_select_stack(
        stack_name="dev",
        project_name=PROJECT,
        program=program(vs_host),
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work),
            project_settings=auto.ProjectSettings(
                name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=f"file://{work / 'state'}")
            ),
            secrets_provider="passphrase",
            env_vars={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
            pulumi_command=auto.PulumiCommand(skip_version_check=True),
        ),
    )
    stack.set_config("kubernetes:renderYamlToDirectory", auto.ConfigValue(str(work / "rendered")))
    return stack


def preview(work: Path, vs_host: str) -> tuple[bool, str]:
    """``pulumi preview --policy-pack <wrapper>``: (succeeded, combined output)."""
    stack = stack_for(work, vs_host)
    try:
        result = stack.preview(color="never", policy_packs=[str(PACK)])
        return True, result.stdout + result.stderr
    except auto.errors.CommandError as err:
        return False, str(err)


# How the CLI prints a violation: its level, policy and resource, the policy's description, then
# the message the pack reported (``CODE Kind namespace/name path: message``).
VIOLATION = re.compile(
    r"- \[(?P<level>\w+)\]\s+(?P<policy>\S+)\s+\((?P<type>\S+): (?P<name>[^)]+)\)\n"
    r"[^\n]*\n\s*(?P<message>[^\n]*)"
)


def violations(output: str) -> list[tuple[str, str, str, str]]:
    """(level, policy, resource type, message) of each violation the CLI printed."""
    return [(m["level"], m["policy"], m["type"], m["message"].strip()) for m in VIOLATION.finditer(output)]


def main(argv: list[str] | None = None) -> int:
    part = start("policy-pack", __doc__.splitlines()[0], argv)
    if part is None:
        return 2
    # The wrapper runs the pack with this interpreter: the project's venv, with pulumi-policy.
    os.environ["MESHGW_POLICY_PYTHON"] = sys.executable
    work = part.out / "work"

    ok, bad_out = part.timed("preview with the mistake", lambda: preview(work, "blog.example.com"))
    (part.out / "preview-with-mistake.txt").write_text(bad_out)
    found = violations(bad_out)
    codes = sorted((level, policy, message.split(" ", 3)[0:3]) for level, policy, _, message in found)
    (part.out / "violations.json").write_text(json.dumps(found, indent=1) + "\n")
    part.check("a mandatory violation fails the preview", not ok, "the preview succeeded")
    part.check(
        "exactly IST0132 (mandatory, meshgw-errors) on the VirtualService and IST0101 (advisory, "
        "meshgw-warnings) on the Gateway",
        codes
        == [
            ("advisory", "meshgw-warnings", ["IST0101", "Gateway", "istio-ingress/public"]),
            ("mandatory", "meshgw-errors", ["IST0132", "VirtualService", "shop/shop"]),
        ],
        f"{codes}\n{bad_out[-3000:]}",
    )

    ok, good_out = part.timed("preview with the host fixed", lambda: preview(work, "shop.example.com"))
    (part.out / "preview-fixed.txt").write_text(good_out)
    part.check("with the host fixed, the preview succeeds", ok, good_out[-3000:])
    codes = sorted((level, message.split(" ")[0]) for level, _, _, message in violations(good_out))
    part.check(
        "with the host fixed, only the advisory IST0101 is printed",
        codes == [("advisory", "IST0101")],
        f"{codes}\n{good_out[-3000:]}",
    )
    return part.finish()


if __name__ == "__main__":
    raise SystemExit(main())
