"""Objects the analyzer tests build: a gateway workload, its Service, Gateways and routes."""

from __future__ import annotations

from typing import Any

NET = "networking.istio.io/v1"


def meta(name: str, ns: str = "istio-ingress", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, **extra}


def workload(name: str = "ingress", ns: str = "istio-ingress", **labels: str) -> dict[str, Any]:
    pod = {"istio": name, "sidecar.istio.io/inject": "true", **labels}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"matchLabels": {"istio": name}},
            "template": {
                "metadata": {"labels": pod},
                "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
            },
        },
    }


def service(
    name: str = "ingress", ns: str = "istio-ingress", ports: tuple[int, ...] = (80, 443), **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"istio": name},
            "ports": [
                {"name": f"{'https' if p == 443 else 'http'}-{p}", "port": p, "targetPort": p} for p in ports
            ],
            **spec,
        },
    }


def gateway(
    name: str, hosts: list[str], port: int = 80, ns: str = "istio-ingress", **server: Any
) -> dict[str, Any]:
    srv = {"port": {"number": port, "name": f"http-{port}", "protocol": "HTTP"}, "hosts": hosts, **server}
    return {
        "apiVersion": NET,
        "kind": "Gateway",
        "metadata": meta(name, ns),
        "spec": {"selector": {"istio": "ingress"}, "servers": [srv]},
    }


def route(
    name: str, hosts: list[str], gateways: list[str] | None, ns: str = "shop", **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hosts": hosts,
        "http": [{"route": [{"destination": {"host": "shop", "port": {"number": 8080}}}]}],
    }
    if gateways is not None:
        body["gateways"] = gateways
    body.update(spec)
    return {"apiVersion": NET, "kind": "VirtualService", "metadata": meta(name, ns), "spec": body}


def codes(diags: list[Any]) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in diags]
