"""The gateway Deployment: one ``istio-proxy`` container that Istio's gateway injection fills in.

Follows Istio's ``gateway`` Helm chart (``manifests/charts/gateway/templates/deployment.yaml``): the
container is a placeholder (``image: auto``) that the injection webhook replaces with the real proxy,
its arguments, environment, volumes and readiness probe. What this module adds on top of the chart
defaults is production hardening taken from the spec (replicas, spread, drain, rollout strategy).

Also home of :func:`workload_labels`, the label set every object of a workload carries, so that the
sibling modules (Service, RBAC, HPA, ...) cannot drift from the labels the pods get.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..constants import (
    DATAPLANE_MODE_LABEL,
    ENVOY_PROM_PORT,
    INJECT_TEMPLATE_ANNOTATION,
    METRICS_PORT,
    PROXY_CONFIG_ANNOTATION,
    REVISION_LABEL,
    SIDECAR_INJECT_LABEL,
)
from ..errors import MeshgwError, show
from ..spec.quantity import canonical_quantity
from ..spec.workload import ResourceQuantities, WorkloadSpec
from ._meta import Manifest, manifest, object_meta, standard_labels

__all__ = ["COMPONENT", "render_deployment", "workload_labels"]

COMPONENT = "gateway-workload"
"""``app.kubernetes.io/component`` of every object a workload renders."""

# Extra seconds of grace beyond the drain: pilot-agent needs a moment after Envoy's drain window to
# flush and exit; without the margin the kubelet SIGKILLs in the middle of the drain.
_GRACE_MARGIN_SECONDS = 15


def workload_labels(spec: WorkloadSpec) -> dict[str, str]:
    """Labels on the metadata of every object of a managed workload, and on its pods.

    Precedence, lowest first: the standard ``app.kubernetes.io/*`` labels,
    ``istio.io/dataplane-mode: none`` (the chart's default, which keeps the gateway out of the
    ambient dataplane), the user's ``labels``, then the selector labels (``app``, ``istio``). The
    selector labels win so that a user label can never make the Deployment selector miss its own
    pods.

    Args:
        spec: A managed workload.

    Raises:
        MeshgwError: ``spec`` is an external workload, which has nothing to render.
    """
    if spec.is_external:
        # A caller bug, not bad user input: render_workload returns [] for external workloads.
        raise MeshgwError(f"workload {show(spec.name)} is external (not managed here): nothing to render")
    extra = {DATAPLANE_MODE_LABEL: "none", **spec.labels, **spec.selector_labels}
    return standard_labels(spec.name, COMPONENT, extra)


def _quantities(q: ResourceQuantities) -> dict[str, str]:
    # The API server's own spelling (2000m is stored as 2): what is sent is what is stored.
    return {k: canonical_quantity(v) for k, v in (("cpu", q.cpu), ("memory", q.memory)) if v is not None}


def _resources(spec: WorkloadSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    requests = _quantities(spec.resources.requests)
    limits = _quantities(spec.resources.limits)
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def _pod_labels(spec: WorkloadSpec) -> dict[str, str]:
    labels = workload_labels(spec)
    # The injection webhook selects pods on this label (the annotation form is deprecated). It is set
    # after the user labels because without injection the pod runs the literal image "auto".
    labels[SIDECAR_INJECT_LABEL] = "true"
    if spec.revision is not None:
        # Picks the revision's injector, so a canary control plane can own this gateway.
        labels[REVISION_LABEL] = spec.revision
    return labels


def _proxy_config(spec: WorkloadSpec) -> dict[str, Any]:
    config: dict[str, Any] = {"terminationDrainDuration": f"{spec.drain_duration_seconds}s"}
    if spec.network.num_trusted_proxies is not None:
        # Behind an L7 proxy: Envoy takes the client address from X-Forwarded-For, skipping this
        # many trusted hops (what remoteIpBlocks and access logs see).
        config["gatewayTopology"] = {"numTrustedProxies": spec.network.num_trusted_proxies}
    return config


def _pod_annotations(spec: WorkloadSpec) -> dict[str, str]:
    annotations = {
        "prometheus.io/port": str(METRICS_PORT),
        "prometheus.io/scrape": "true",
        "prometheus.io/path": "/stats/prometheus",
        # Compact, key-sorted JSON so the annotation (and the pod template hash) is byte-stable.
        PROXY_CONFIG_ANNOTATION: json.dumps(_proxy_config(spec), separators=(",", ":"), sort_keys=True),
    }
    annotations.update(spec.pod_annotations)
    # Set last: any other template turns the pod into a sidecar-shaped proxy that is not a gateway.
    annotations[INJECT_TEMPLATE_ANNOTATION] = "gateway"
    return annotations


def _topology_spread(spec: WorkloadSpec) -> list[dict[str, Any]]:
    selector = {"matchLabels": dict(sorted(spec.selector_labels.items()))}
    # ScheduleAnyway: spreading is a preference. DoNotSchedule would leave replicas Pending on a
    # single-zone cluster or while a zone is down, which is exactly when capacity is needed.
    return [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": copy.deepcopy(selector),
        }
        for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
    ]


def _container(spec: WorkloadSpec) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "istio-proxy",
        # Replaced by the injection webhook with the proxy image of the control plane that injects
        # it, so the gateway upgrades with istiod instead of pinning a version here.
        "image": "auto",
        "ports": [{"name": "http-envoy-prom", "containerPort": ENVOY_PROM_PORT, "protocol": "TCP"}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            # The injector sets runAsUser/runAsGroup 1337; this makes the kubelet refuse root anyway.
            "runAsNonRoot": True,
        },
    }
    resources = _resources(spec)
    if resources:
        container["resources"] = resources
    return container


def _pod_spec(spec: WorkloadSpec) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "serviceAccountName": spec.name,
        # The proxy authenticates to istiod with the projected `istio-token` volume that the
        # gateway injection template mounts (manifests/charts/istio-control/istio-discovery/files/
        # gateway-injection-template.yaml); nothing in the pod uses the API token, which would only
        # hand the pod the account's rights.
        "automountServiceAccountToken": False,
        "securityContext": {
            "seccompProfile": {"type": "RuntimeDefault"},
            # Lets the non-root proxy bind 80/443 without NET_BIND_SERVICE. Namespaced and safe
            # since Kubernetes 1.22 (the chart's comment), so it needs no kubelet allow-list.
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
        },
        "terminationGracePeriodSeconds": spec.drain_duration_seconds + _GRACE_MARGIN_SECONDS,
        "containers": [_container(spec)],
    }
    if spec.priority_class_name:
        pod["priorityClassName"] = spec.priority_class_name
    if spec.node_selector:
        pod["nodeSelector"] = dict(sorted(spec.node_selector.items()))
    if spec.affinity:
        pod["affinity"] = copy.deepcopy(spec.affinity)
    if spec.tolerations:
        # User order kept: it is what the user wrote, and Kubernetes treats the list as a set anyway.
        pod["tolerations"] = copy.deepcopy(spec.tolerations)
    if spec.topology_spread:
        pod["topologySpreadConstraints"] = _topology_spread(spec)
    return pod


def render_deployment(spec: WorkloadSpec) -> Manifest:
    """Render the gateway Deployment (``apps/v1``), shaped like Istio's gateway chart.

    What it contains, with the defaults it applies:

    - One container ``istio-proxy`` with ``image: auto``; the pod label
      ``sidecar.istio.io/inject: "true"`` and annotation ``inject.istio.io/templates: gateway`` make
      istiod's webhook inject the gateway proxy into it. ``istio.io/rev`` is added to the pod labels
      when ``spec.revision`` is set. Default: the default revision (no label).
    - Labels from :func:`workload_labels` on the Deployment and the pods, including
      ``istio.io/dataplane-mode: none``. Selector: ``spec.selector_labels``.
    - Pod annotations: Prometheus scraping of the merged metrics on 15020 at ``/stats/prometheus``,
      and ``proxy.istio.io/config: {"terminationDrainDuration":"<n>s"}`` (plus
      ``gatewayTopology.numTrustedProxies`` with network topology ``proxied``); ``spec.pod_annotations``
      are merged over these (a ``proxy.istio.io/config`` of your own therefore replaces the drain
      setting: include ``terminationDrainDuration`` in it). The injection-template annotation is
      never overridden here; use ``overrides`` for that.
    - Graceful drain: ``terminationGracePeriodSeconds = drain_duration_seconds + 15``.
      Default: 30 s drain, 45 s grace.
    - ``automountServiceAccountToken: false``: the proxy uses the projected ``istio-token``, never
      the ServiceAccount's API token.
    - Pod ``securityContext``: sysctl ``net.ipv4.ip_unprivileged_port_start: "0"`` and
      ``seccompProfile: RuntimeDefault``. Container ``securityContext``: all capabilities dropped,
      no privilege escalation, not privileged, read-only root filesystem, non-root.
    - Container port 15090 ``http-envoy-prom``; ``resources`` from ``spec.resources``.
      Default: requests 100m/128Mi, limits 2/1Gi. No probes: the injector adds the readiness
      probe on 15021.
    - Replicas: no ``replicas`` field when autoscaling is on (the HPA owns the count and a fixed
      value would fight it on every apply); ``spec.replicas`` otherwise. Default: autoscaling on.
    - Strategy: ``RollingUpdate`` with ``maxUnavailable: 0`` and ``maxSurge: 25%``. A gateway
      carries all the traffic of its routes, so a rollout must never take serving capacity away: a
      new pod has to be Ready before an old one is terminated. 25% (rounded up, so at least one
      pod) keeps large fleets rolling at a reasonable pace while needing only a little headroom.
      (The chart sets no strategy, i.e. Kubernetes' 25%/25%, which can drop a quarter of capacity.)
      Behind a cloud load balancer that registers pod IPs (AWS NLB ``ip`` targets), also enable the
      controller's pod readiness gate on the namespace so "Ready" includes "registered".
    - Topology spread when ``spec.topology_spread``: zone and hostname, ``maxSkew: 1``,
      ``ScheduleAnyway``. Default: on.
    - ``nodeSelector``, ``tolerations``, ``affinity``, ``priorityClassName`` passed through when
      set. Default: none.

    Args:
        spec: A managed workload (not ``external``).

    Returns:
        The Deployment as a plain dict (``spec.overrides`` not applied; see ``render_workload``).

    Raises:
        MeshgwError: ``spec`` is an external workload.
    """
    labels = workload_labels(spec)
    body: dict[str, Any] = {}
    if not spec.autoscaling.enabled:
        body["replicas"] = spec.replicas
    body["selector"] = {"matchLabels": dict(sorted(spec.selector_labels.items()))}
    body["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    body["template"] = {
        "metadata": {
            "labels": dict(sorted(_pod_labels(spec).items())),
            "annotations": dict(sorted(_pod_annotations(spec).items())),
        },
        "spec": _pod_spec(spec),
    }
    return manifest("apps/v1", "Deployment", object_meta(spec.name, spec.namespace, labels), spec=body)
