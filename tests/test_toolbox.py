"""The rest of a Pulumi user's toolbox, under the mock engine: providers (one mesh per cluster),
transformations, aliases (moving from Mesh to components, renaming), protect and retain_on_delete."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_meshgw import Gateway, GatewayWorkload, IngressGateway, Mesh, VirtualService
from pulumi_meshgw.render.namespace import render_namespace
from pulumi_meshgw.testing import Recording, RegisteredResource, run

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
ROUTE = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}]


def descendants(rec: Recording, root: RegisteredResource) -> list[RegisteredResource]:
    out: list[RegisteredResource] = []
    frontier = [root.urn]
    while frontier:
        children = [r for r in rec.resources if r.parent in frontier]
        out.extend(children)
        frontier = [c.urn for c in children]
    return out


def test_a_provider_reaches_every_child_and_each_cluster_gets_its_own_mesh() -> None:
    def program() -> None:
        for cluster in ("east", "west"):
            opts = pulumi.ResourceOptions(provider=k8s.Provider(cluster))
            gw = IngressGateway(f"public-{cluster}", exposure="public", servers=[HTTP], opts=opts)
            # The same host and route in both clusters: no conflict across clusters.
            VirtualService(
                f"shop-{cluster}",
                namespace="shop",
                hosts=["shop.example.com"],
                gateways=[gw.gateway],
                http=ROUTE,
                opts=opts,
            )

    rec = run(program)
    for cluster in ("east", "west"):
        provider = rec.by_name(cluster).urn
        children = [r for r in descendants(rec, rec.by_name(f"public-{cluster}")) if r.custom]
        assert len(children) >= 8
        assert {r.provider for r in children} == {provider}
        assert rec.by_name(f"shop-{cluster}").provider == provider
    # Each cluster gets its own Namespace; the first keeps the plain name.
    namespaces = {r.name: r.provider for r in rec.resources if r.type == "kubernetes:core/v1:Namespace"}
    assert namespaces == {
        "namespace:istio-ingress": rec.by_name("east").urn,
        "namespace:istio-ingress@west": rec.by_name("west").urn,
    }


def test_transformations_apply_to_children() -> None:
    def label(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("kubernetes:"):
            return None
        props = dict(args.props)
        meta = dict(props.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), "team": "edge"}
        return pulumi.ResourceTransformationResult({**props, "metadata": meta}, args.opts)

    opts = pulumi.ResourceOptions(transformations=[label])
    rec = run(lambda: IngressGateway("public", exposure="public", servers=[HTTP], opts=opts))
    children = [r for r in descendants(rec, rec.by_name("public")) if r.custom]
    assert children and all(r.inputs["metadata"]["labels"]["team"] == "edge" for r in children)


def test_protect_and_retain_on_delete_pass_through_to_every_child() -> None:
    opts = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
    rec = run(lambda: IngressGateway("public", exposure="public", servers=[HTTP], opts=opts))
    children = descendants(rec, rec.by_name("public"))
    assert len(children) >= 10
    assert all(r.protect and r.retain_on_delete for r in children)
    plain = run(lambda: IngressGateway("public", exposure="public", servers=[HTTP]))
    assert not any(r.protect or r.retain_on_delete for r in plain.resources)


MESH = {
    "workloads": [{"name": "public", "exposure": "public"}],
    "gateways": [{"name": "public", "workload": "public", "servers": [HTTP]}],
    "virtualServices": [
        {
            "name": "shop",
            "namespace": "shop",
            "hosts": ["shop.example.com"],
            "gateways": ["istio-ingress/public"],
            "http": ROUTE,
        }
    ],
}


def components_from_mesh() -> None:
    """The Mesh above as individual components, as docs/migrating.md shows."""
    mesh = pulumi.Alias(parent=pulumi.create_urn("mesh", "meshgw:index:Mesh"))
    moved = pulumi.ResourceOptions(aliases=[mesh])
    k8s.core.v1.Namespace(
        "istio-ingress",
        metadata=render_namespace("istio-ingress")["metadata"],
        opts=pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name="namespace:istio-ingress", parent=mesh.parent)]
        ),
    )
    workload = GatewayWorkload(
        "public", exposure="public", create_namespace=False, reads_secrets=False, opts=moved
    )
    gw = Gateway("public", workload=workload, servers=[HTTP], opts=moved)
    VirtualService(
        "shop",
        namespace="shop",
        hosts=["shop.example.com"],
        gateways=[gw],
        http=ROUTE,
        opts=pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name="virtualservice:shop/shop", parent=mesh.parent)]
        ),
    )


def objects(rec: Recording) -> list[str]:
    return sorted(m.filename[4:] for m in rec.manifests())


def matched(before: Recording, after: Recording) -> dict[str, str]:
    """For each custom resource of ``before``, the name of the one in ``after`` that the engine
    would take it for (same URN, or an alias URN): that one is updated in place, not replaced."""
    out: dict[str, str] = {}
    for old in (r for r in before.resources if r.custom):
        for new in after.resources:
            if new.urn == old.urn or old.urn in new.aliases:
                out[old.name] = new.name
    return out


def test_aliases_move_a_mesh_to_components_without_replacing_anything() -> None:
    before = run(lambda: Mesh("mesh", MESH))
    after = run(components_from_mesh)
    olds = [r for r in before.resources if r.custom]
    assert sorted(matched(before, after)) == sorted(r.name for r in olds)
    assert matched(before, after)["virtualservice:shop/shop"] == "shop"
    # The same objects: an update (the Mesh's whole-stack planning narrows ports and backends
    # that the components leave at their defaults), never a replacement.
    assert objects(after) == objects(before)
    # Without the aliases, every object would be replaced.
    assert not matched(before, run(lambda: [GatewayWorkload("public", exposure="public")]))


def test_an_alias_renames_a_component_and_its_children() -> None:
    before = run(lambda: IngressGateway("public", exposure="public", servers=[HTTP]))
    after = run(
        lambda: IngressGateway(
            "edge",
            exposure="public",
            servers=[HTTP],
            workload={"name": "public"},
            gateway_name="public",
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="public")]),
        )
    )
    assert sorted(matched(before, after)) == sorted(r.name for r in before.resources if r.custom)
    assert (
        "urn:pulumi:test::meshgw::meshgw:index:IngressGateway$meshgw:index:GatewayWorkload::public-workload"
        in (after.by_name("edge-workload").aliases)
    )
