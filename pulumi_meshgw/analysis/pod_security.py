"""Kubernetes Pod Security Standards, ``restricted`` profile, over a pod spec.

The checks and their identifiers are those of the Pod Security admission controller
(``k8s.io/pod-security-admission/policy``, documented at
https://kubernetes.io/docs/concepts/security/pod-security-standards/): the ``baseline`` checks and
the ``restricted`` ones on top. Gateway workloads are rendered to pass all of them; an ``overrides``
entry that breaks one (``hostNetwork: true``, ``privileged: true``, a ``hostPath`` volume...) is
an error (MGW0157) unless the workload lists the check in ``podSecurityExceptions``.

Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from ..spec.workload import PodSecurityCheck, WorkloadSpec
from ._access import integer, mapping, seq, text

__all__ = ["CHECKS", "Violation", "restricted_violations", "workload_pod_security_problems"]


CHECKS: tuple[str, ...] = get_args(PodSecurityCheck)
"""The check identifiers of the Pod Security admission controller, baseline then restricted."""

_BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
# Safe sysctls of the baseline profile, up to Kubernetes 1.29.
_SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
_RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_SECCOMP_OK = frozenset({"RuntimeDefault", "Localhost"})
_APPARMOR_OK = frozenset({"RuntimeDefault", "Localhost"})


@dataclass(frozen=True)
class Violation:
    """One failed check: its identifier, the field path in the pod spec, and what is wrong."""

    check: str
    path: str
    message: str


def _containers(pod: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(seq(pod.get(field))):
            yield f"{field}[{i}]", mapping(c)


def _baseline(pod: Mapping[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    psc = mapping(pod.get("securityContext"))
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            out.append(Violation("hostNamespaces", field, f"{field}: true shares the node's namespace"))
    for i, v in enumerate(seq(pod.get("volumes"))):
        if "hostPath" in mapping(v):
            out.append(
                Violation("hostPathVolumes", f"volumes[{i}].hostPath", "hostPath volumes expose the node")
            )
    for j, s in enumerate(seq(psc.get("sysctls"))):
        name = text(mapping(s).get("name")) or ""
        if name not in _SAFE_SYSCTLS:
            out.append(Violation("sysctls", f"securityContext.sysctls[{j}]", f"sysctl {name!r} is not safe"))
    for path, ctx in [("securityContext", psc)] + [
        (f"{p}.securityContext", mapping(c.get("securityContext"))) for p, c in _containers(pod)
    ]:
        se = mapping(ctx.get("seLinuxOptions"))
        if (text(se.get("type")) or "") not in _SELINUX_TYPES or se.get("user") or se.get("role"):
            out.append(Violation("seLinuxOptions", f"{path}.seLinuxOptions", "custom SELinux options"))
        if text(mapping(ctx.get("seccompProfile")).get("type")) == "Unconfined":
            out.append(
                Violation("seccompProfile_baseline", f"{path}.seccompProfile.type", "Unconfined seccomp")
            )
        apparmor = text(mapping(ctx.get("appArmorProfile")).get("type"))
        if apparmor is not None and apparmor not in _APPARMOR_OK:
            out.append(Violation("appArmorProfile", f"{path}.appArmorProfile.type", f"AppArmor {apparmor}"))
    for p, c in _containers(pod):
        ctx = mapping(c.get("securityContext"))
        if ctx.get("privileged") is True:
            out.append(Violation("privileged", f"{p}.securityContext.privileged", "privileged container"))
        added = [text(a) or "" for a in seq(mapping(ctx.get("capabilities")).get("add"))]
        for a in added:
            if a not in _BASELINE_CAPABILITIES:
                out.append(
                    Violation("capabilities_baseline", f"{p}.securityContext.capabilities.add", f"adds {a}")
                )
        if (text(ctx.get("procMount")) or "Default") != "Default":
            out.append(Violation("procMount", f"{p}.securityContext.procMount", "non-default procMount"))
        for k, port in enumerate(seq(c.get("ports"))):
            if integer(mapping(port).get("hostPort")):
                out.append(Violation("hostPorts", f"{p}.ports[{k}].hostPort", "hostPort binds a node port"))
    return out


def _restricted(pod: Mapping[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    psc = mapping(pod.get("securityContext"))
    for i, v in enumerate(seq(pod.get("volumes"))):
        kinds = sorted(k for k in mapping(v) if k != "name")
        bad = [k for k in kinds if k not in _RESTRICTED_VOLUMES]
        if bad:
            out.append(
                Violation(
                    "volumeTypes_restricted", f"volumes[{i}]", f"volume type {', '.join(bad)} is not allowed"
                )
            )
    pod_non_root = psc.get("runAsNonRoot")
    pod_seccomp = text(mapping(psc.get("seccompProfile")).get("type"))
    if pod_non_root is False:
        out.append(Violation("runAsNonRoot", "securityContext.runAsNonRoot", "runAsNonRoot: false"))
    if integer(psc.get("runAsUser")) == 0:
        out.append(Violation("runAsUser", "securityContext.runAsUser", "runs as UID 0"))
    for p, c in _containers(pod):
        ctx = mapping(c.get("securityContext"))
        sp = f"{p}.securityContext"
        if ctx.get("allowPrivilegeEscalation") is not False:
            out.append(
                Violation("allowPrivilegeEscalation", f"{sp}.allowPrivilegeEscalation", "must be false")
            )
        non_root = ctx.get("runAsNonRoot")
        if non_root is False or (non_root is None and pod_non_root is not True):
            out.append(Violation("runAsNonRoot", f"{sp}.runAsNonRoot", "must be true (here or on the pod)"))
        if integer(ctx.get("runAsUser")) == 0:
            out.append(Violation("runAsUser", f"{sp}.runAsUser", "runs as UID 0"))
        seccomp = text(mapping(ctx.get("seccompProfile")).get("type")) or pod_seccomp
        if seccomp not in _SECCOMP_OK:
            out.append(
                Violation(
                    "seccompProfile_restricted", f"{sp}.seccompProfile", "must be RuntimeDefault or Localhost"
                )
            )
        caps = mapping(ctx.get("capabilities"))
        if "ALL" not in [text(d) for d in seq(caps.get("drop"))]:
            out.append(Violation("capabilities_restricted", f"{sp}.capabilities.drop", "must drop ALL"))
        for a in seq(caps.get("add")):
            if a != "NET_BIND_SERVICE":
                out.append(Violation("capabilities_restricted", f"{sp}.capabilities.add", f"adds {a}"))
    return out


def restricted_violations(pod_spec: Mapping[str, Any]) -> list[Violation]:
    """Every check of the ``restricted`` profile (baseline included) that ``pod_spec`` fails.

    Args:
        pod_spec: A pod's ``spec`` (or a pod template's), as plain data.

    Returns:
        The violations, baseline checks first, each with its path under the pod spec.
    """
    return [*_baseline(pod_spec), *_restricted(pod_spec)]


def workload_pod_security_problems(
    spec: WorkloadSpec, manifests: Iterable[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """MGW0157: the rendered Deployment of a managed workload (overrides applied) against the
    ``restricted`` profile, minus the checks ``spec.pod_security_exceptions`` acknowledges.

    Returns:
        (path under the workload's config, message) pairs; empty when it passes.
    """
    allowed = set(spec.pod_security_exceptions)
    out: list[tuple[str, str]] = []
    for m in manifests:
        if m.get("kind") != "Deployment":
            continue
        pod = mapping(mapping(mapping(m.get("spec")).get("template")).get("spec"))
        for v in restricted_violations(pod):
            if v.check in allowed:
                continue
            out.append(
                (
                    f"overrides.Deployment.spec.template.spec.{v.path}",
                    f"{v.message}: the pod fails the Pod Security Standards restricted check "
                    f"{v.check!r}, which gateway pods are rendered to pass; remove it from overrides, "
                    f"or acknowledge it with podSecurityExceptions: [{v.check}]",
                )
            )
    return out
