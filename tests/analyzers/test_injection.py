"""Injection analyzer (:mod:`pulumi_meshgw.analysis.analyzers.injection`)."""

from __future__ import annotations

import copy

from pulumi_meshgw.analysis import Level, MeshIndex

from ._objects import workload


def test_injection_may_come_from_the_namespace() -> None:
    deployment = workload()
    del deployment["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-ingress", "labels": {}}}
    index = MeshIndex()
    (warn,) = index.check([deployment])
    assert (warn.code, warn.level) == ("IST0146", Level.WARNING)
    namespace["metadata"]["labels"] = {"istio-injection": "enabled"}
    assert MeshIndex().check([namespace, deployment]) == []
    namespace["metadata"]["labels"] = {"istio-injection": "disabled"}
    (err,) = MeshIndex().check([namespace, copy.deepcopy(workload())])
    assert (err.code, err.level) == ("IST0146", Level.ERROR)
