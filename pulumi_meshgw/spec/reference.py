"""Generate the config reference (docs/config.md) and JSON Schema (docs/meshgw.schema.json) from
the spec models, so the documentation can never drift from what the code accepts.

Run ``python -m pulumi_meshgw.spec.reference`` to regenerate; a test fails when they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .mesh import CONFIG_KEYS, MeshSpec

__all__ = ["json_schema", "main", "markdown"]

_INTRO = """\
# Config reference

Generated from the spec models by `python -m pulumi_meshgw.spec.reference`; do not edit by hand.
A JSON Schema of the same, for editor completion, is in [meshgw.schema.json](meshgw.schema.json).

Every stack config key is a list of items under the `meshgw` namespace. Field names are camelCase
(Python callers may also use snake_case). Unknown fields are errors. Types in Istio's vocabulary
(`Server`, `HTTPRoute`, ...) mirror the Istio API reference field by field.

Names are unique per kind and namespace, as Kubernetes requires of its objects: two `workloads`,
`gateways`, `egressGateways`, `virtualServices` or `destinationRules` may share a name in
different namespaces; twice in one namespace is MGW0101. `addressPools` are not Kubernetes
objects, so their names are unique in the stack. A Gateway's `workload` is `name` or
`namespace/name`: a bare name that matches exactly one workload means that one (so configs with
unique names mean what they always did); one that matches workloads in several namespaces is
MGW0103, which names the candidates, never a silent pick. Where items are keyed by name (the
`Mesh` component's attributes and outputs, its children's Pulumi names, the plan's maps), the key
is the bare name when it is unique in its list and `namespace/name` for every item of a shared
name; `serviceFqdns` counts workloads and egress gateways together. Two workloads of one name
get the same selector labels, which Istio matches across namespaces, so each one's Gateways also
select the other's pods: the analysis reports what that breaks (IST0162, IST0101), as Istio would.

| Key | Item type |
|---|---|
"""

_DEFAULTS = """
## Defaults

Each default below is written on its field too; this is the summary a reviewer asks for.

| Where | Default | Why |
|---|---|---|
| Workload `exposure` | none: required | Exposing a gateway is a decision, never an accident |
| Workload `namespace` | `istio-ingress` | Gateways run in their own namespace, so the secrets they may read are only theirs |
| Pods | `runAsNonRoot`, `readOnlyRootFilesystem`, all capabilities dropped, no privilege escalation, `seccompProfile: RuntimeDefault`; the unprivileged-port sysctl lets Envoy bind 80/443 as non-root | Istio's gateway chart, hardened |
| RBAC | a Role with `get`/`watch`/`list` on Secrets in the gateway namespace only | istiod authorizes SDS with a `list secrets` SubjectAccessReview in the pod namespace |
| Autoscaling | on, 2 to 5 replicas at 80% CPU, no `replicas` field | Two pods survive a drain; the chart's minimum of 1 does not |
| PodDisruptionBudget | `minAvailable: 1`, `unhealthyPodEvictionPolicy: AlwaysAllow`, whenever min replicas > 1 | A crash-looping pod never blocks a node drain |
| Rollout | `maxUnavailable: 0` | No capacity is lost during a rollout |
| Drain | 30 s Envoy drain, grace period 45 s | In-flight requests finish on scale-down |
| Spread | zone and node `topologySpreadConstraints`, `ScheduleAnyway` | One zone lost is not all gateways lost |
| Service | status port 15021 first; `externalTrafficPolicy: Local` on LoadBalancers | Load balancers health-check the first port; Local keeps client IPs |
| Load balancer | `spec.loadBalancerIP` is never emitted | Deprecated since Kubernetes 1.24 |
| NetworkPolicy | off | An ingress gateway's egress depends on its routes; turn it on per workload |
| TLS | `mode` always explicit; `minProtocolVersion: TLSV1_2` on terminating servers; TLS 1.0/1.1 refused | An omitted mode is PASSTHROUGH in Istio |
| TLS Secrets | in the gateway pods' namespace; private keys only as Pulumi secrets | Istio reads credentials from the pod namespace only |
| Self-signed certificates | ECDSA P-256, 90 days, renewed 30 days early, kept in Pulumi state | Stable across runs, so previews do not churn |
| cert-manager certificates | ECDSA P-256, key rotated on renewal, 90 days, renewed 30 days early | |
| Gateway `cache` / `rateLimit` | off; when on, EnvoyFilters scoped to the workload with explicit priorities and `proxyVersion` limited to Istio 1.22-1.28; cached bodies up to 1 MiB; a bucket per host and pod | A filter never lands on an Envoy that lacks it (docs/caching.md) |
"""


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the whole mesh config (keys without the ``meshgw:`` prefix)."""
    schema = MeshSpec.model_json_schema(by_alias=True)
    schema["title"] = "pulumi-meshgw stack config"
    return schema


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop:
        parts = [_type(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(parts)
    t = prop.get("type")
    if t == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if t == "object":
        extra = prop.get("additionalProperties")
        return f"map of {_type(extra)}" if isinstance(extra, dict) and extra else "map"
    return str(t or "any")


def _default(prop: dict[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" not in prop:
        # default_factory fields: a nested model's own defaults, or an empty list/map.
        return "see type" if "$ref" in prop else "empty"
    if prop["default"] is None:
        return "unset"
    return f"`{json.dumps(prop['default'])}`"


def _cell(text: str) -> str:
    return " ".join(text.replace("``", "`").replace("|", "\\|").split())


def markdown() -> str:
    """The config reference as Markdown."""
    schema = json_schema()
    defs: dict[str, Any] = schema["$defs"]
    out = [_INTRO]
    top = schema["properties"]
    field_for = {v: k for k, v in CONFIG_KEYS.items()}
    for key, prop in top.items():
        item = prop.get("items", {})
        config_key = field_for.get(key, key)
        out.append(f"| `meshgw:{config_key}` | {_type(item)} |\n")
    out.append(_DEFAULTS)
    for name in sorted(defs):
        d = defs[name]
        out.append(f"\n## {name}\n\n")
        if d.get("description"):
            out.append(d["description"].replace("``", "`") + "\n\n")
        if "enum" in d:
            out.append("One of: " + ", ".join(f"`{v}`" for v in d["enum"]) + ".\n")
            continue
        props = d.get("properties", {})
        if not props:
            continue
        required = set(d.get("required", []))
        out.append("| Field | Type | Default | Description |\n|---|---|---|---|\n")
        for fname, p in props.items():
            default = _default(p, fname in required)
            out.append(f"| `{fname}` | {_type(p)} | {default} | {_cell(p.get('description', ''))} |\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) docs/config.md and docs/meshgw.schema.json."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[args.index("--root") + 1]) if "--root" in args else Path.cwd()
    files = {
        root / "docs" / "config.md": markdown(),
        root / "docs" / "meshgw.schema.json": json.dumps(json_schema(), indent=2, sort_keys=True) + "\n",
    }
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    if "--check" in args:
        for p in stale:
            print(f"{p} is stale; run: python -m pulumi_meshgw.spec.reference", file=sys.stderr)
        return 1 if stale else 0
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
