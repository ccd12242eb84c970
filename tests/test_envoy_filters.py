"""Caching and local rate limiting (``cache``/``rateLimit`` on a Gateway, rendered as EnvoyFilters):
spec errors with their config paths, the rendered objects, schema validation, the typed_config
allow-list (so a misspelled Envoy field cannot ship), components under the mock engine, goldens."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from pulumi_meshgw import Gateway, GatewayWorkload, IngressGateway
from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.analysis.envoy_filter import ENVOY_MESSAGES, check_envoy_filters, check_typed_config
from pulumi_meshgw.constants import ENVOY_FILTER_ISTIO_VERSIONS, ENVOY_FILTER_PROXY_VERSION
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import MeshPlan, plan_mesh
from pulumi_meshgw.render.envoy_filter import (
    CACHE_PRIORITY,
    RATE_LIMIT_PRIORITY,
    cache_config,
    enable_filter_config,
    rate_limit_config,
)
from pulumi_meshgw.render.service import ServicePortSpec
from pulumi_meshgw.spec import MeshSpec
from pulumi_meshgw.spec.envoy_filters import HttpCache, LocalRateLimit, duration_ms
from pulumi_meshgw.testing import Recording, run

from .conftest import GOLDEN, STACKS, assert_golden, plan, stack_config

Manifest = dict[str, Any]

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}}
HTTPS = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}}
TLS_SIMPLE = {"mode": "SIMPLE", "credentialName": "shop-cert"}


def gateway(**extra: Any) -> dict[str, Any]:
    gw: dict[str, Any] = {
        "name": "public",
        "workload": "public-ingress",
        "servers": [
            {**HTTP, "hosts": ["shop.example.com", "api.example.com"], "tls": {"httpsRedirect": True}},
            {**HTTPS, "hosts": ["shop.example.com", "api.example.com"], "tls": TLS_SIMPLE},
            {
                "port": {"number": 9443, "name": "tls-partner", "protocol": "TLS"},
                "hosts": ["partner.example.com"],
                "tls": {"mode": "PASSTHROUGH"},
            },
            {
                "port": {"number": 8080, "name": "http-internal", "protocol": "HTTP"},
                "hosts": ["*.example.org"],
            },
        ],
    }
    gw.update(extra)
    return gw


def mesh(*gateways: dict[str, Any]) -> dict[str, Any]:
    return {
        "workloads": [{"name": "public-ingress", "exposure": "public"}],
        "gateways": list(gateways) or [gateway()],
    }


BUCKET = {"maxTokens": 100, "fillInterval": "1s"}


def errors(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        plan(config)
    return [str(p) for p in info.value.problems]


def filters(p: MeshPlan) -> list[Manifest]:
    return [m for g in p.gateways.values() for m in g.extras if m["kind"] == "EnvoyFilter"]


# -- spec errors, each with its config path --------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "path", "fragment"),
    [
        # TLS passthrough: Envoy forwards encrypted bytes and never sees HTTP.
        ({"cache": {"hosts": ["partner.example.com"]}}, "gateways[0].cache.hosts[0]", "TLS passes through"),
        (
            {"rateLimit": {"hosts": ["partner.example.com"], "tokenBucket": BUCKET}},
            "gateways[0].rateLimit.hosts[0]",
            "TLS passes through",
        ),
        # A host no server serves.
        (
            {"cache": {"hosts": ["blog.example.com"]}},
            "gateways[0].cache.hosts[0]",
            "not served by this Gateway",
        ),
        # Bad durations and buckets.
        (
            {
                "rateLimit": {
                    "hosts": ["api.example.com"],
                    "tokenBucket": {"maxTokens": 10, "fillInterval": "1 s"},
                }
            },
            "gateways[0].rateLimit.tokenBucket.fillInterval",
            "is not valid",
        ),
        (
            {
                "rateLimit": {
                    "hosts": ["api.example.com"],
                    "tokenBucket": {"maxTokens": 10, "fillInterval": "10ms"},
                }
            },
            "gateways[0].rateLimit.tokenBucket.fillInterval",
            "shorter than 50ms",
        ),
        (
            {
                "rateLimit": {
                    "hosts": ["api.example.com"],
                    "tokenBucket": {"maxTokens": 0, "fillInterval": "1s"},
                }
            },
            "gateways[0].rateLimit.tokenBucket.maxTokens",
            "must be at least 1",
        ),
        (
            {
                "rateLimit": {
                    "hosts": ["api.example.com"],
                    "tokenBucket": {"maxTokens": 10, "tokensPerFill": -1, "fillInterval": "1s"},
                }
            },
            "gateways[0].rateLimit.tokenBucket.tokensPerFill",
            "must be at least 1",
        ),
        (
            {
                "rateLimit": {
                    "hosts": ["api.example.com"],
                    "tokenBucket": {"maxTokens": 10, "tokensPerFill": 20, "fillInterval": "1s"},
                }
            },
            "gateways[0].rateLimit.tokenBucket",
            "larger than maxTokens",
        ),
        (
            {"rateLimit": {"hosts": ["api.example.com"], "tokenBucket": BUCKET, "statusCode": 418}},
            "gateways[0].rateLimit.statusCode",
            "not a 4xx/5xx code",
        ),
        ({"cache": {"hosts": ["shop.example.com", "shop.example.com"]}}, "gateways[0].cache.hosts", "twice"),
        (
            {"cache": {"hosts": ["istio-ingress/shop.example.com"]}},
            "gateways[0].cache.hosts",
            "DNS name only",
        ),
        ({"cache": {"hosts": []}}, "gateways[0].cache.hosts", "at least 1"),
        ({"cache": {"hosts": ["shop.example.com"], "maxBodyBytes": 0}}, "gateways[0].cache.maxBodyBytes", ""),
        (
            {"cache": {"hosts": ["shop.example.com"], "proxyVersion": "1.2(("}},
            "gateways[0].cache.proxyVersion",
            "",
        ),
        (
            {"cache": {"hosts": ["shop.example.com"], "allowedVaryHeaders": ["Accept Encoding"]}},
            "gateways[0].cache.allowedVaryHeaders",
            "header name",
        ),
        ({"cache": {"hosts": ["shop.example.com"], "ttl": "1h"}}, "gateways[0].cache.ttl", "allowed here"),
        # The fields both options share are held to the same rules.
        ({"rateLimit": {"hosts": [], "tokenBucket": BUCKET}}, "gateways[0].rateLimit.hosts", "at least 1"),
        (
            {"rateLimit": {"hosts": ["api.example.com", "api.example.com"], "tokenBucket": BUCKET}},
            "gateways[0].rateLimit.hosts",
            "listed twice",
        ),
        (
            {"rateLimit": {"hosts": ["api.example.com"], "tokenBucket": BUCKET, "proxyVersion": "1.2(("}},
            "gateways[0].rateLimit.proxyVersion",
            "not a valid regular expression",
        ),
        (
            {"rateLimit": {"hosts": ["api.example.com"], "tokenBucket": BUCKET, "proxyVersion": " "}},
            "gateways[0].rateLimit.proxyVersion",
            "must not be empty",
        ),
    ],
)
def test_spec_errors_name_the_config_path(option: dict[str, Any], path: str, fragment: str) -> None:
    found = errors(mesh(gateway(**option)))
    assert any(e.startswith(path) and fragment in e for e in found), found


def test_a_gateway_without_http_servers_is_refused() -> None:
    gw = gateway(
        servers=[
            {
                "port": {"number": 443, "name": "tls", "protocol": "TLS"},
                "hosts": ["partner.example.com"],
                "tls": {"mode": "PASSTHROUGH"},
            }
        ],
        cache={"hosts": ["partner.example.com"]},
    )
    found = errors(mesh(gw))
    assert any(e.startswith("gateways[0].cache:") and "has none" in e for e in found), found


def test_https_redirect_only_and_tcp_hosts_are_refused() -> None:
    gw = gateway(
        servers=[
            {**HTTP, "hosts": ["shop.example.com"], "tls": {"httpsRedirect": True}},
            {"port": {"number": 5432, "name": "tcp-db", "protocol": "TCP"}, "hosts": ["db.example.com"]},
        ],
        rateLimit={"hosts": ["shop.example.com", "db.example.com"], "tokenBucket": BUCKET},
    )
    found = errors(mesh(gw))
    assert any(
        e.startswith("gateways[0].rateLimit.hosts[0]") and "redirects every request" in e for e in found
    )
    assert any(e.startswith("gateways[0].rateLimit.hosts[1]") and "as TCP" in e for e in found), found


def test_every_problem_is_reported_at_once() -> None:
    gw = gateway(
        cache={"hosts": ["partner.example.com", "nope.example.com"]},
        rateLimit={"hosts": ["nope.example.com"], "tokenBucket": BUCKET},
    )
    found = errors(mesh(gw))
    assert len([e for e in found if e.startswith("gateways[0].")]) == 3, found


def test_durations() -> None:
    assert [duration_ms(v) for v in ("50ms", "1s", "2m", "1h")] == [50, 1000, 120_000, 3_600_000]
    for bad in ("1", "1.5s", "-1s", "1d", ""):
        with pytest.raises(ValueError):
            duration_ms(bad)


# -- rendering -------------------------------------------------------------------------------------


def full_gateway() -> dict[str, Any]:
    return gateway(
        cache={"hosts": ["shop.example.com", "*.example.org"], "allowedVaryHeaders": ["accept-encoding"]},
        rateLimit={
            "hosts": ["api.example.com"],
            "tokenBucket": {"maxTokens": 400, "tokensPerFill": 200, "fillInterval": "500ms"},
            "enforce": False,
            "statusCode": 503,
        },
    )


def test_cache_filter_shape() -> None:
    (rl, cache) = filters(plan(mesh(full_gateway())))
    assert (rl["metadata"]["name"], cache["metadata"]["name"]) == ("public-ratelimit", "public-cache")
    assert cache["apiVersion"] == "networking.istio.io/v1alpha3"
    assert cache["metadata"]["namespace"] == "istio-ingress"  # the pods' namespace
    spec = cache["spec"]
    assert spec["workloadSelector"] == {"labels": {"app": "public-ingress", "istio": "public-ingress"}}
    assert spec["priority"] == CACHE_PRIORITY > RATE_LIMIT_PRIORITY > 0
    insert, *vhosts = spec["configPatches"]
    for p in spec["configPatches"]:
        assert p["match"]["context"] == "GATEWAY"
        assert p["match"]["proxy"] == {"proxyVersion": ENVOY_FILTER_PROXY_VERSION}
    assert insert["applyTo"] == "HTTP_FILTER" and insert["patch"]["operation"] == "INSERT_BEFORE"
    assert insert["match"]["listener"]["filterChain"]["filter"] == {
        "name": "envoy.filters.network.http_connection_manager",
        "subFilter": {"name": "envoy.filters.http.router"},
    }
    value = insert["patch"]["value"]
    assert value["disabled"] is True
    assert value["typed_config"]["allowed_vary_headers"] == [{"exact": "accept-encoding"}]
    assert value["typed_config"]["max_body_bytes"] == 1_048_576
    # One vhost per host and HTTP port: HTTPS 443 for the shop (not the redirecting port 80),
    # port 8080 for the wildcard.
    assert [v["match"]["routeConfiguration"]["vhost"]["name"] for v in vhosts] == [
        "shop.example.com:443",
        "*.example.org:8080",
    ]
    for v in vhosts:
        assert v["applyTo"] == "VIRTUAL_HOST" and v["patch"]["operation"] == "MERGE"
        per_filter = v["patch"]["value"]["typed_per_filter_config"]
        assert per_filter == {value["name"]: enable_filter_config(value["typed_config"])}


def test_enabling_config_is_an_optional_filter_config_with_a_typed_config() -> None:
    # Envoy rejects a FilterConfig without `config` even with disabled: false, and Istio rejects
    # `config: {}` (an Any without '@type'). An optional entry carrying the filter's own typed
    # config enables it (Envoy's PerFilterConfigs: explicitly configured means enabled).
    cache = HttpCache(hosts=["a.example.com"])
    assert enable_filter_config(cache_config(cache)) == {
        "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
        "config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.cache.v3.CacheConfig",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.http.cache"
                ".simple_http_cache.v3.SimpleHttpCacheConfig"
            },
            "max_body_bytes": cache.max_body_bytes,
        },
        "is_optional": True,
    }


def test_rate_limit_filter_shape() -> None:
    (rl, _) = filters(plan(mesh(full_gateway())))
    insert, vhost = rl["spec"]["configPatches"]
    base = insert["patch"]["value"]["typed_config"]
    assert set(base) == {"@type", "stat_prefix"}  # no bucket: a no-op where no vhost config applies
    assert "disabled" not in insert["patch"]["value"]
    assert vhost["match"]["routeConfiguration"]["vhost"]["name"] == "api.example.com:443"
    config = vhost["patch"]["value"]["typed_per_filter_config"][insert["patch"]["value"]["name"]]
    assert config["token_bucket"] == {"max_tokens": 400, "tokens_per_fill": 200, "fill_interval": "0.500s"}
    assert config["filter_enabled"]["default_value"]["numerator"] == 100
    assert config["filter_enforced"]["default_value"]["numerator"] == 0  # enforce: false (shadow mode)
    assert config["status"] == {"code": 503}


def test_tokens_per_fill_defaults_to_a_full_refill_and_durations_are_proto_seconds() -> None:
    limit = LocalRateLimit.model_validate(
        {"hosts": ["a.example.com"], "tokenBucket": {"maxTokens": 60, "fillInterval": "1m"}}
    )
    assert rate_limit_config(limit)["token_bucket"] == {
        "max_tokens": 60,
        "tokens_per_fill": 60,
        "fill_interval": "60s",
    }


def test_filters_of_two_gateways_on_one_workload_do_not_collide() -> None:
    a = gateway(cache={"hosts": ["shop.example.com"]})
    b = {
        "name": "extra",
        "workload": "public-ingress",
        "namespace": "shop",
        "servers": [{**HTTPS, "hosts": ["blog.example.com"], "tls": TLS_SIMPLE}],
        "cache": {"hosts": ["blog.example.com"]},
    }
    fs = filters(plan(mesh(a, b)))
    names = {f["metadata"]["name"] for f in fs}
    assert names == {"public-cache", "shop-extra-cache"}
    inserted = {f["spec"]["configPatches"][0]["patch"]["value"]["name"] for f in fs}
    assert inserted == {"meshgw.cache.istio-ingress.public", "meshgw.cache.shop.extra"}
    assert {f["metadata"]["namespace"] for f in fs} == {"istio-ingress"}


def test_proxy_version_override() -> None:
    gw = gateway(cache={"hosts": ["shop.example.com"], "proxyVersion": r"^1\.29.*"})
    (cache,) = filters(plan(mesh(gw)))
    assert {p["match"]["proxy"]["proxyVersion"] for p in cache["spec"]["configPatches"]} == {r"^1\.29.*"}


def test_no_options_no_filters() -> None:
    assert filters(plan(mesh(gateway()))) == []


@pytest.mark.parametrize(
    ("version", "matches"),
    [
        ("1.21.6", False),
        ("1.22.0", True),
        ("1.24.3", True),
        ("1.26-dev", True),
        ("1.28.1", True),
        ("1.29.0", False),
        ("1.2.0", False),
        ("1.220.0", False),
        ("2.22.0", False),
        ("1.3", False),
    ],
)
def test_proxy_version_regex_is_the_documented_range(version: str, matches: bool) -> None:
    # RE2 and Python agree on this subset (anchors, groups, classes).
    assert bool(re.match(ENVOY_FILTER_PROXY_VERSION, version)) is matches
    low, high = ENVOY_FILTER_ISTIO_VERSIONS
    assert bool(re.match(ENVOY_FILTER_PROXY_VERSION, f"1.{low}.0")) and bool(
        re.match(ENVOY_FILTER_PROXY_VERSION, f"1.{high}.9")
    )


# -- validation: the schemas, and the Envoy field allow-list ---------------------------------------


def test_every_emitted_object_passes_the_schemas_and_our_envoy_checks() -> None:
    p = plan(mesh(full_gateway()))
    objs = [m for g in p.gateways.values() for m in (g.manifest, *g.extras)]
    assert validate_manifests(objs) == []
    assert check_envoy_filters(objs) == []


@pytest.mark.parametrize(
    ("cache", "limit"),
    [
        (HttpCache(hosts=["a.example.com"]), None),
        (HttpCache(hosts=["a.example.com"], allowed_vary_headers=["accept", "accept-encoding"]), None),
    ],
)
def test_typed_configs_use_only_verified_envoy_fields(cache: HttpCache, limit: None) -> None:
    assert check_typed_config(cache_config(cache), "envoy.extensions.filters.http.cache.v3.CacheConfig") == []
    filter_config = "envoy.config.route.v3.FilterConfig"
    assert check_typed_config(enable_filter_config(cache_config(cache)), filter_config) == []
    bucket = {"maxTokens": 5, "fillInterval": "2s"}
    rl = LocalRateLimit.model_validate(
        {"hosts": ["a.example.com"], "tokenBucket": bucket, "responseHeaders": {}}
    )
    local = "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
    assert check_typed_config(rate_limit_config(rl), local) == []
    assert check_typed_config(rate_limit_config(None), local) == []


@pytest.mark.parametrize(
    ("mutate", "path_fragment"),
    [
        # The typo istio/istio#45748 shipped: header names where StringMatchers belong.
        (lambda v: v["typed_config"].update(allowed_vary_headers=["User"]), "allowed_vary_headers[0]"),
        (lambda v: v["typed_config"].update(max_body_byte=1), "max_body_byte"),
        (
            lambda v: v["typed_config"]["typed_config"].update({"@type": "type.googleapis.com/x.Nope"}),
            "typed_config",
        ),
        (lambda v: v.update(disable=True), "value.disable"),
        (lambda v: v["typed_config"].update(max_body_bytes=-1), "max_body_bytes"),
    ],
)
def test_a_typo_in_an_envoy_field_is_an_error(mutate: Any, path_fragment: str) -> None:
    (cache,) = filters(plan(mesh(gateway(cache={"hosts": ["shop.example.com"]}))))
    bad = copy.deepcopy(cache)
    mutate(bad["spec"]["configPatches"][0]["patch"]["value"])
    found = check_envoy_filters([bad])
    assert [d.code for d in found] == ["MGW0601"], found
    assert path_fragment in found[0].path


def _any_values(value: Any, type_name: str, path: str) -> list[tuple[str, Any]]:
    """Every value of an Any-typed field under ``value`` (a message of ``type_name``), found through
    the allow-list's field shapes: (path, value)."""
    found: list[tuple[str, Any]] = []
    fields = ENVOY_MESSAGES[type_name]
    for key, item in value.items():
        f = fields.get(key)
        if f is None:
            continue
        if f.shape == "map":
            items = [(f"{path}.{key}.{k}", v) for k, v in item.items()] if f.ref == "any" else []
        elif f.repeated:
            items = [(f"{path}.{key}[{i}]", v) for i, v in enumerate(item)]
        else:
            items = [(f"{path}.{key}", item)]
        for sub, one in items:
            if f.shape in ("any", "map"):
                found.append((sub, one))
                url = str(one.get("@type", "")).removeprefix("type.googleapis.com/")
                if url in ENVOY_MESSAGES:
                    found += _any_values(one, url, sub)
            elif f.shape == "message":
                found += _any_values(one, str(f.ref), sub)
    return found


def _rendered_envoy_filters() -> list[Manifest]:
    """Every EnvoyFilter the stacks and this file's gateways render."""
    fs = filters(plan(mesh(full_gateway())))
    fs += filters(plan(mesh(gateway(cache={"hosts": ["shop.example.com", "*.example.org"]}))))
    for env in ("dev", "staging", "prod"):
        fs += filters(plan_mesh(MeshSpec.from_config(stack_config(env)), base_dir=STACKS))
    return fs


def test_every_any_in_a_rendered_envoy_filter_has_a_type() -> None:
    # Istio reads each patch value with jsonpb (pkg/config/xds/xds.go, BuildXDSObjectFromStruct,
    # called by pkg/config/validation/envoyfilter/envoyfilter.go, validateEnvoyFilter): an Any
    # without '@type', at any depth, fails with "Any JSON doesn't have '@type'" (IST0106), and
    # istiod drops the patch (pilot/pkg/model/envoyfilter.go). The cache filter once shipped that.
    patch_types = {
        "HTTP_FILTER": "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
        "VIRTUAL_HOST": "envoy.config.route.v3.VirtualHost",
    }
    fs = _rendered_envoy_filters()
    assert {f["metadata"]["name"] for f in fs} >= {"public-cache", "public-ratelimit"}
    anys = [
        (f"{f['metadata']['name']}.configPatches[{i}]{path}", value)
        for f in fs
        for i, cp in enumerate(f["spec"]["configPatches"])
        for path, value in _any_values(cp["patch"]["value"], patch_types[cp["applyTo"]], "")
    ]
    assert len(anys) > 10  # the walk reaches the nested configs (typed_config, FilterConfig.config)
    untyped = [
        path for path, value in anys if not str(value.get("@type", "")).startswith("type.googleapis.com/")
    ]
    assert untyped == []
    assert [d for d in check_envoy_filters(fs) if d.level.value == "error"] == []


def test_an_any_without_a_type_is_istios_schema_error() -> None:
    # The form istiod refused: FilterConfig.config as an empty Any.
    (cache,) = filters(plan(mesh(gateway(cache={"hosts": ["shop.example.com"]}))))
    bad = copy.deepcopy(cache)
    per_filter = bad["spec"]["configPatches"][1]["patch"]["value"]["typed_per_filter_config"]
    name = next(iter(per_filter))
    per_filter[name] = {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "config": {}}
    found = check_envoy_filters([bad])
    assert [(d.code, d.level.value, d.path) for d in found] == [
        (
            "IST0106",
            "error",
            f"spec.configPatches[1].patch.value.typed_per_filter_config.{name}.config",
        )
    ]
    assert "Any JSON doesn't have '@type'" in found[0].message
    # ... and a typed_config without one, deeper down.
    bad = copy.deepcopy(cache)
    del bad["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["typed_config"]["@type"]
    assert [(d.code, d.path) for d in check_envoy_filters([bad])] == [
        ("IST0106", "spec.configPatches[0].patch.value.typed_config.typed_config")
    ]


def test_rate_limit_typos_are_errors() -> None:
    (rl,) = filters(plan(mesh(gateway(rateLimit={"hosts": ["api.example.com"], "tokenBucket": BUCKET}))))
    bad = copy.deepcopy(rl)
    per_vhost = bad["spec"]["configPatches"][1]["patch"]["value"]["typed_per_filter_config"]
    config = next(iter(per_vhost.values()))
    config["token_bucket"]["fill_interval"] = "1m"  # not a protobuf JSON duration
    config["filter_enforced"]["default_value"]["denominator"] = "PERCENT"
    config["response_headers_to_add"][0]["append"] = False  # deprecated, not in the allow-list
    found = check_envoy_filters([bad])
    assert sorted(d.path.rsplit(".", 1)[-1] for d in found) == ["append", "denominator", "fill_interval"]


def test_priority_and_proxy_version_checks() -> None:
    (cache,) = filters(plan(mesh(gateway(cache={"hosts": ["shop.example.com"]}))))
    bad = copy.deepcopy(cache)
    del bad["spec"]["priority"]
    for p in bad["spec"]["configPatches"]:
        del p["match"]["proxy"]
    codes = sorted(d.code for d in check_envoy_filters([bad]))
    assert codes == ["IST0151", "MGW0602", "MGW0602"]


def test_allow_list_covers_every_message_it_refers_to() -> None:
    for fields in ENVOY_MESSAGES.values():
        for f in fields.values():
            if f.shape == "message":
                assert f.ref in ENVOY_MESSAGES


# -- components under the mock engine --------------------------------------------------------------


SERVERS = [
    {
        **HTTPS,
        "hosts": ["shop.example.com", "api.example.com"],
        "tls": {"mode": "SIMPLE", "credentialName": "c"},
    }
]


def ingress_program() -> None:
    IngressGateway(
        "public",
        exposure="public",
        servers=SERVERS,
        cache={"hosts": ["shop.example.com"]},
        rate_limit=LocalRateLimit.model_validate({"hosts": ["api.example.com"], "tokenBucket": BUCKET}),
    )


@pytest.fixture(scope="module")
def rec() -> Recording:
    return run(ingress_program)


def _deps(rec: Recording, name: str) -> set[str]:
    return {rec.by_urn(u).name for u in rec.by_name(name).dependencies}


def test_components_parent_filters_under_the_gateway_and_depend_on_it(rec: Recording) -> None:
    for name in ("envoyfilter:istio-ingress/public-cache", "envoyfilter:istio-ingress/public-ratelimit"):
        res = rec.by_name(name)
        parent = rec.parent_of(res)
        assert parent is not None and parent.name == "public-gateway"
        assert "gateway:istio-ingress/public" in _deps(rec, name)
    kinds = [m.kind for m in rec.manifests()]
    assert kinds.index("Gateway") < kinds.index("EnvoyFilter")
    assert validate_manifests([dict(m.body) for m in rec.manifests()]) == []


def test_gateway_component_takes_the_same_options() -> None:
    def program() -> None:
        port = ServicePortSpec(name="https", port=443, target_port=443)
        w = GatewayWorkload("edge", {"name": "edge", "exposure": "public"}, ports=[port])
        Gateway(
            "edge",
            workload=w,
            servers=SERVERS,
            rate_limit={"hosts": ["api.example.com"], "tokenBucket": BUCKET},
        )

    r = run(program)
    body = r.by_name("envoyfilter:istio-ingress/edge-ratelimit")
    assert r.parent_of(body) is not None and r.parent_of(body).name == "edge"  # type: ignore[union-attr]


def test_component_errors_name_the_argument_path() -> None:
    def program() -> None:
        IngressGateway("public", exposure="public", servers=SERVERS, cache={"hosts": ["blog.example.com"]})

    with pytest.raises(ConfigError) as info:
        run(program)
    assert [p.path for p in info.value.problems] == ["cache.hosts[0]"]


# -- goldens ---------------------------------------------------------------------------------------


def golden(name: str, manifests: list[Manifest]) -> None:
    assert_golden(
        GOLDEN / "functions" / f"{name}.yaml", yaml.safe_dump_all(manifests, sort_keys=False, width=1 << 20)
    )


def test_golden_cache_and_rate_limit() -> None:
    golden("cache-and-rate-limit", filters(plan(mesh(full_gateway()))))


def test_golden_prod_stack_filters() -> None:
    p = plan_mesh(MeshSpec.from_config(stack_config("prod")), base_dir=STACKS)
    fs = filters(p)
    assert {f["metadata"]["name"] for f in fs} == {"public-cache", "public-ratelimit"}
    golden("prod-public", fs)
