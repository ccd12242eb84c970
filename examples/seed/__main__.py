"""Istio's classic example as components: Gateway ``ext-host-gwy`` with an HTTPS server on 443
(``SIMPLE``, certificate files) and VirtualService ``virtual-svc`` bound to it.

In Istio's YAML::

    kind: Gateway
    metadata: {name: ext-host-gwy}
    spec:
      selector: {app: my-gateway-controller}
      servers:
      - port: {number: 443, name: https, protocol: HTTPS}
        hosts: [ext-host.example.com]
        tls: {mode: SIMPLE, serverCertificate: /tmp/tls.crt, privateKey: /tmp/tls.key}

Here the selector comes from the workload object, and the files are read when the program runs and
become a ``kubernetes.io/tls`` Secret in the gateway's namespace; the paths are never emitted.
"""

from pathlib import Path

from pulumi_meshgw import Gateway, GatewayWorkload, VirtualService

HERE = Path(__file__).parent

controller = GatewayWorkload("my-gateway-controller", namespace="istio-ingress", exposure="public")

gateway = Gateway(
    "ext-host-gwy",
    workload=controller,
    base_dir=HERE,
    servers=[
        {
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["ext-host.example.com"],
            "tls": {"mode": "SIMPLE", "serverCertificate": "certs/tls.crt", "privateKey": "certs/tls.key"},
        }
    ],
)

VirtualService(
    "virtual-svc",
    namespace="istio-ingress",
    hosts=["ext-host.example.com"],
    gateways=[gateway],
    http=[
        {"route": [{"destination": {"host": "ext-svc.default.svc.cluster.local", "port": {"number": 8080}}}]}
    ],
)
