// The TypeScript twin of ../python/__main__.py and ../yaml/Pulumi.yaml: an ingress gateway with an
// HTTPS server, and a VirtualService bound to it, through the SDK generated from the meshgw
// package's schema. e2e/multilang.py compiles it with tsc and runs it as an inline program
// (../../node/inline-up.js); its manifests must equal the Python program's.
import * as meshgw from "@pulumi/meshgw";

const pub = new meshgw.IngressGateway("public", {
    namespace: "istio-ingress",
    exposure: "public",
    servers: [{
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["shop.example.com"],
        tls: { mode: "SIMPLE", certificate: { config: { cert: "shopCert", key: "shopKey" } } },
    }],
});

new meshgw.VirtualService("shop", {
    namespace: "shop",
    hosts: ["shop.example.com"],
    gateways: [pub.ref],
    http: [{ route: [{ destination: { host: "shop.shop.svc.cluster.local", port: { number: 8080 } } }] }],
});

export const gateway = pub.ref;
