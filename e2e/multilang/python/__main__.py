"""The Python program the Pulumi YAML one (../yaml/Pulumi.yaml) must equal, manifest for manifest."""

import pulumi

from pulumi_meshgw import IngressGateway, VirtualService

public = IngressGateway(
    "public",
    namespace="istio-ingress",
    exposure="public",
    servers=[
        {
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["shop.example.com"],
            "tls": {"mode": "SIMPLE", "certificate": {"config": {"cert": "shopCert", "key": "shopKey"}}},
        }
    ],
)

VirtualService(
    "shop",
    namespace="shop",
    hosts=["shop.example.com"],
    gateways=[public.gateway],
    http=[{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}],
)

pulumi.export("gateway", public.ref)
