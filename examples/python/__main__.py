"""An ingress gateway serving shop.example.com over HTTPS, and the route bound to it.

The certificate is self-signed and kept in Pulumi state, so it is stable across runs; use
``{"certManager": {...}}`` or certificate files in production.
"""

import pulumi

from pulumi_meshgw import IngressGateway, VirtualService

public = IngressGateway(
    "public",
    namespace="istio-ingress",
    exposure="public",
    servers=[
        {
            "port": {"number": 80, "name": "http", "protocol": "HTTP"},
            "hosts": ["shop.example.com"],
            "tls": {"httpsRedirect": True},
        },
        {
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["shop.example.com"],
            "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
        },
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
