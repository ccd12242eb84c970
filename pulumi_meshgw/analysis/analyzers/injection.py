"""Injection analyzers.

After Istio's ``pkg/config/analysis/analyzers/injection/imageauto.go`` (IST0146: ``image: auto``
on a workload that injection does not reach).
"""

from __future__ import annotations

from .._access import Manifest, key_of, labels, mapping, seq
from ..diagnostics import Diagnostic, Level
from ..index import (
    MeshIndex,
)
from ._base import Analyzer
from ._base import diag as _diag


def _check_injection(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    """IST0146: ``image: auto`` is a placeholder that only Istio's injection webhook replaces."""
    key = key_of(obj)
    template = mapping(mapping(obj.get("spec")).get("template"))
    containers = seq(mapping(template.get("spec")).get("containers"))
    auto = [i for i, c in enumerate(containers) if mapping(c).get("image") == "auto"]
    if not auto:
        return []
    pod = labels(mapping(template.get("metadata")).get("labels"))
    ns_labels = index.namespaces.get(key[1])
    inject = pod.get("sidecar.istio.io/inject")
    path = f"spec.template.spec.containers[{auto[0]}].image"
    if inject == "false":
        level, why = Level.ERROR, 'its pod label sidecar.istio.io/inject is "false"'
    elif ns_labels is not None and ns_labels.get("istio-injection") == "disabled":
        level, why = Level.ERROR, f"namespace {key[1]} has the label istio-injection=disabled"
    elif (
        inject == "true"
        or "istio.io/rev" in pod
        or (
            ns_labels is not None
            and (ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels)
        )
    ):
        return []
    else:
        level = Level.WARNING
        why = (
            'neither a pod label (sidecar.istio.io/inject: "true" or istio.io/rev) nor a namespace '
            "label (istio-injection=enabled or istio.io/rev) asks for injection"
        )
    return [
        _diag(
            key,
            "IST0146",
            level,
            path,
            f'image "auto" is a placeholder that only Istio\'s injection webhook replaces, and {why}; '
            'the pods would fail to pull the image "auto". Add the pod label '
            'sidecar.istio.io/inject: "true" (and remove any opt-out)',
        )
    ]


ANALYZER = Analyzer(
    name="injection",
    subjects=frozenset({("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet")}),
    inputs=frozenset(
        {("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("", "Namespace")}
    ),
    codes=frozenset({"IST0146"}),
    check=_check_injection,
)
