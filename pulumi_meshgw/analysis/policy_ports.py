"""MGW0208: an AuthorizationPolicy port that is a Service port, not the port the pods listen on.

Istio matches ``to.operation.ports`` (and ``notPorts``) against the port the proxy's listener is
bound to, ``destination.port``: on a gateway, the container port. A Gateway server written with the
Service port is translated to the Service's ``targetPort`` (``pilot/pkg/model/gateway.go``), but a
policy port is not. On the stock ``istio-ingressgateway`` (Service 443 -> container 8443) a rule on
443 therefore never matches: a DENY rule (IP firewall, "require a JWT") does nothing, and an ALLOW
rule admits nobody.

The check reads the policy's selected workloads (its ``selector`` in its namespace, every workload
for a policy in the root namespace) and the Services in front of them, and reports a port that is a
Service ``port`` whose numeric ``targetPort`` differs, unless that number is also a container port
of the same Services (then it may be meant as one). Named target ports are not resolved.

The module declares its metadata as Istio's analyzers do (``pkg/config/analysis/analyzers``):
``NAME``, the kinds it reads (``INPUTS``) and the codes it emits (``CODES``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._access import Manifest, api_group, integer, key_of, labels, mapping, seq, text
from .diagnostics import Diagnostic, Level
from .index import ROOT_NAMESPACE, MeshIndex, WorkloadInfo

__all__ = ["CODES", "INPUTS", "NAME", "check_policy_ports"]

NAME = "authorizationpolicy.ServicePortAnalyzer"
INPUTS = ("security.istio.io/AuthorizationPolicy", "v1/Service", "apps/Deployment", "v1/Pod")
"""The kinds it reads: the policies, the Services, and the workloads that carry pod labels."""
CODES = ("MGW0208",)

_SECURITY_GROUP = "security.istio.io"


def _selects(selector: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def _port_map(index: MeshIndex, w: WorkloadInfo) -> tuple[dict[int, tuple[int, str]], set[int]]:
    """(Service port -> (numeric targetPort, Service name)) where they differ, and every container
    port the Services name, for the Services in front of ``w``."""
    remapped: dict[int, tuple[int, str]] = {}
    targets: set[int] = set()
    for name, svc in sorted(index.services.get(w.namespace, {}).items()):
        spec = mapping(svc.get("spec"))
        if not _selects(labels(spec.get("selector")), w.labels):
            continue
        for raw in seq(spec.get("ports")):
            p = mapping(raw)
            port, target = integer(p.get("port")), integer(p.get("targetPort"))
            if port is None:
                continue
            target = port if "targetPort" not in p else target
            if target is None:
                continue  # a named target port: not resolved here
            targets.add(target)
            if target != port:
                remapped.setdefault(port, (target, name))
    return remapped, targets


def _targets(index: MeshIndex, obj: Manifest) -> list[WorkloadInfo]:
    ns = key_of(obj)[1]
    selector = labels(mapping(mapping(obj.get("spec")).get("selector")).get("matchLabels"))
    scope = None if ns == ROOT_NAMESPACE else ns
    if selector:
        return index.workloads_for(selector, scope)
    return [w for k, w in sorted(index.workloads.items()) if scope is None or k[0] == scope]


def _check(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    key = key_of(obj)
    out: list[Diagnostic] = []
    for w in _targets(index, obj):
        remapped, targets = _port_map(index, w)
        if not remapped:
            continue
        for i, rule in enumerate(seq(mapping(obj.get("spec")).get("rules"))):
            for j, to in enumerate(seq(mapping(rule).get("to"))):
                op = mapping(mapping(to).get("operation"))
                for field in ("ports", "notPorts"):
                    for k, value in enumerate(seq(op.get(field))):
                        raw = text(value)
                        port = int(raw) if raw is not None and raw.isdigit() else None
                        if port is None or port not in remapped or port in targets:
                            continue
                        target, svc = remapped[port]
                        out.append(
                            Diagnostic(
                                "MGW0208",
                                Level.ERROR,
                                key[0],
                                key[1],
                                key[2],
                                f"spec.rules[{i}].to[{j}].operation.{field}[{k}]",
                                f"port {port} is a port of Service {w.namespace}/{svc}, whose pods "
                                f"({w.namespace}/{w.name}) listen on targetPort {target}; Istio matches "
                                "policy ports against the pod's port, so this rule never matches (a DENY "
                                f"does nothing, an ALLOW admits nobody). Write {target}",
                            )
                        )
    return list(dict.fromkeys(out))


def check_policy_ports(index: MeshIndex, objs: Iterable[Manifest]) -> list[Diagnostic]:
    """MGW0208 over the AuthorizationPolicies among ``objs``, against what ``index`` holds.

    Args:
        index: The index with the Services and workloads (``objs`` already added).
        objs: Any objects; only ``security.istio.io`` AuthorizationPolicies are checked.

    Returns:
        One error per policy port that names a remapped Service port, at its path.
    """
    out: list[Diagnostic] = []
    for obj in objs:
        if isinstance(obj, Mapping) and obj.get("kind") == "AuthorizationPolicy":
            if api_group(obj) == _SECURITY_GROUP:
                out.extend(_check(index, obj))
    return out
