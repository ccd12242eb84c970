"""The DestinationRule a proxy uses (analysis/rule_lookup.py), held to Istio's
``pilot/pkg/model/push_context.go`` (``destinationRule``, ``setDestinationRules``) and
``pilot/pkg/model/sidecar.go`` (``SidecarScope.DestinationRule``); and the egress checks along it."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_meshgw.analysis.egress import check_egress_consistency
from pulumi_meshgw.analysis.rule_lookup import RuleIndex

from .test_egress import egress, plan_one

HOST = "shop.shop.svc.cluster.local"


def dr(name: str, ns: str, host: str = HOST, *subsets: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host": host,
        "subsets": [{"name": s, "labels": {"v": s}} for s in subsets],
        **spec,
    }
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }


def used(rules: list[dict[str, Any]], client: str, pod: dict[str, str] | None = None) -> str | None:
    index = RuleIndex()
    for r in rules:
        index.add(r)
    found = index.lookup(HOST, client, ["shop"], pod)
    return None if found is None else f"{found.key[1]}/{found.key[2]}:{','.join(sorted(found.subsets))}"


def test_client_namespace_then_host_namespace_then_root() -> None:
    rules = [
        dr("own", "web", HOST, "a"),
        dr("home", "shop", HOST, "b"),
        dr("root", "istio-system", HOST, "c"),
    ]
    assert used(rules, "web") == "web/own:a"
    assert used(rules, "api") == "shop/home:b"
    assert used(rules[2:], "api") == "istio-system/root:c"


def test_a_rule_exported_elsewhere_is_not_visible_even_in_its_own_namespace() -> None:
    rules = [dr("own", "web", HOST, "a", exportTo=["shop"]), dr("home", "shop", HOST, "b")]
    assert used(rules, "web") == "shop/home:b"
    assert used([dr("home", "shop", HOST, "b", exportTo=["."])], "web") is None


def test_rules_of_one_namespace_merge_and_the_first_by_name_keeps_its_policy() -> None:
    index = RuleIndex()
    index.add(dr("b", "shop", HOST, "v2", trafficPolicy={"tls": {"mode": "DISABLE"}}))
    index.add(dr("a", "shop", HOST, "v1", trafficPolicy={"tls": {"mode": "ISTIO_MUTUAL"}}))
    found = index.lookup(HOST, "web", ["shop"])
    assert found is not None and found.subsets == {"v1", "v2"}
    assert found.key[2] == "a" and found.spec["trafficPolicy"]["tls"]["mode"] == "ISTIO_MUTUAL"


def test_the_exact_host_wins_over_a_wildcard_and_a_wildcard_applies_without_one() -> None:
    assert (
        used([dr("wild", "web", "*.svc.cluster.local", "w"), dr("own", "web", HOST, "a")], "web")
        == "web/own:a"
    )
    assert (
        used([dr("wild", "web", "*.svc.cluster.local", "w"), dr("home", "shop", HOST, "b")], "web")
        == "web/wild:w"
    )


def test_the_root_namespace_proxies_read_its_private_rules_first() -> None:
    rules = [dr("public", "istio-system", HOST, "p"), dr("home", "shop", HOST, "b")]
    assert used(rules, "istio-system") == "shop/home:b"
    rules.append(dr("private", "istio-system", HOST, "q", exportTo=["."]))
    assert used(rules, "istio-system") == "istio-system/private:q"


def test_a_selector_rule_applies_to_the_pods_it_selects_first() -> None:
    rules = [
        dr("all", "web", HOST, "a"),
        dr("gw", "web", HOST, "g", workloadSelector={"matchLabels": {"istio": "gw"}}),
    ]
    assert used(rules, "web", {"istio": "gw", "x": "y"}) == "web/gw:g"
    assert used(rules, "web", {"istio": "other"}) == "web/all:a"
    assert used(rules, "web") == "web/all:a"


# -- the egress checks along the lookup path ----------------------------------------------------

GATEWAY_HOST = "egress.istio-egress.svc.cluster.local"


def findings(*extra: dict[str, Any], mutate: Any = None) -> list[tuple[str, str, str]]:
    ms = copy.deepcopy(plan_one(egress()).manifests())
    if mutate is not None:
        mutate(ms)
    return [(d.code, d.name, d.message) for d in check_egress_consistency([*ms, *extra])]


def test_the_rendered_egress_is_consistent_along_the_path() -> None:
    assert findings() == []


def test_a_client_namespace_rule_for_the_gateway_shadows_the_hop() -> None:
    # payments (a client of api.stripe.com) has its own rule for the gateway Service: its sidecars
    # use it, which defines no subset and no ISTIO_MUTUAL, and never merge the gateway's.
    local = dr(
        "egress-timeouts",
        "payments",
        GATEWAY_HOST,
        trafficPolicy={"connectionPool": {"tcp": {"maxConnections": 10}}},
    )
    found = findings(local)
    stripe = [f for f in found if f[1] == "egress-api-stripe-com"]
    assert [f[0] for f in stripe] == ["MGW0302"]
    assert (
        "namespace payments" in stripe[0][2]
        and "payments/egress-timeouts, not istio-egress/egress-gateway-hop" in stripe[0][2]
    )


def test_a_client_namespace_subset_without_istio_mutual_is_mgw0303() -> None:
    local = dr(
        "egress-hop",
        "payments",
        GATEWAY_HOST,
        "api-stripe-com-443",
        trafficPolicy={"tls": {"mode": "DISABLE"}},
    )
    # ledger.bank.example.com's subset is not in the payments rule at all.
    assert {(f[0], f[1]) for f in findings(local)} == {
        ("MGW0303", "egress-api-stripe-com"),
        ("MGW0302", "egress-ledger-bank-example-com"),
    }


def test_a_hop_rule_not_exported_to_the_client_is_mgw0302() -> None:
    def private(ms: list[dict[str, Any]]) -> None:
        next(m for m in ms if m["metadata"]["name"] == "egress-gateway-hop")["spec"]["exportTo"] = ["."]

    assert {(f[0], f[1]) for f in findings(mutate=private)} == {
        ("MGW0302", "egress-api-stripe-com"),
        ("MGW0302", "egress-api-weather-example-com"),
        ("MGW0302", "egress-api-partner-example-com"),
        ("MGW0302", "egress-ledger-bank-example-com"),
    }


def test_the_gateway_pods_rule_decides_the_origination() -> None:
    # The origination rule selects the gateway pods, so a plain rule of their namespace does not
    # shadow it (SidecarScope.DestinationRule); a second rule selecting them, first by name, does.
    policy = {"connectionPool": {"tcp": {"maxConnections": 10}}}
    plain = dr(
        "aaa-timeouts", "istio-egress", "api.partner.example.com", exportTo=["."], trafficPolicy=policy
    )
    assert findings(plain) == []
    selected = copy.deepcopy(plain)
    selected["spec"]["workloadSelector"] = {"matchLabels": {"app": "egress", "istio": "egress"}}
    found = findings(selected)
    assert [(f[0], f[1]) for f in found] == [("MGW0306", "egress-api-partner-example-com")]
    assert "namespace istio-egress" in found[0][2]


def test_a_root_namespace_rule_does_not_override_the_host_namespace_one() -> None:
    root = dr("mesh-default", "istio-system", GATEWAY_HOST, trafficPolicy={"tls": {"mode": "DISABLE"}})
    assert findings(root) == []
