"""One run reports every independent problem of a mesh config (spec.partial, plan.plan_config):
an item that does not parse does not hide the cross-object problems of the others, and what
refers to it is not reported as a mistake of its own."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import plan_config
from pulumi_meshgw.spec.mesh import CONFIG_KEYS

from .conftest import minimal_mesh
from .test_first_hour import render

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}


def problems(config: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        plan_config(config)
    return [(p.path, p.code) for p in err.value.problems]


def mesh_with(**changes: Any) -> dict[str, Any]:
    mesh = copy.deepcopy(minimal_mesh())
    mesh.update(changes)
    return mesh


def second_gateway(**fields: Any) -> dict[str, Any]:
    return {"name": "other", "workload": "public", "servers": [HTTP], **fields}


def test_a_wrong_shape_and_an_undeclared_workload_in_two_gateways_come_out_together() -> None:
    mesh = mesh_with()
    mesh["gateways"][0]["servers"] = 50
    mesh["gateways"].append(second_gateway(workload="nope"))
    assert problems(mesh) == [("gateways[0].servers", "MGW0100"), ("gateways[1].workload", "IST0101")]


def test_a_wrong_shape_and_an_undeclared_workload_in_one_gateway_come_out_together() -> None:
    mesh = mesh_with()
    mesh["gateways"][0].update(servers=50, workload="nope")
    # The workload is then bound by no Gateway: true, whatever the servers.
    assert problems(mesh) == [
        ("gateways[0].servers", "MGW0100"),
        ("gateways[0].workload", "IST0101"),
        ("workloads[0]", "MGW0120"),
    ]


def test_paths_of_items_after_a_failed_one_are_their_config_positions() -> None:
    mesh = mesh_with()
    bad = second_gateway(name="bad", servers={1: "a"})
    mesh["gateways"] = [bad, bad | {"name": "bad2"}, *mesh["gateways"], second_gateway(workload="nope")]
    got = problems(mesh)
    assert got == [
        ("gateways[0].servers", "MGW0100"),
        ("gateways[1].servers", "MGW0100"),
        ("gateways[3].workload", "IST0101"),
    ]


def test_a_route_with_a_wrong_field_and_another_with_an_unserved_host_come_out_together() -> None:
    mesh = mesh_with()
    good = mesh["virtualServices"][0]
    mesh["virtualServices"] = [
        good | {"name": "broken", "http": "not a list"},
        good | {"name": "typo", "hosts": ["shop.exmple.com"]},
    ]
    assert problems(mesh) == [
        ("virtualServices[0].http", "MGW0100"),
        ("virtualServices[1].gateways[0]", "IST0132"),
    ]


def test_routes_bound_to_a_gateway_that_failed_are_not_reported_as_missing_it() -> None:
    mesh = mesh_with()
    mesh["gateways"][0]["servers"] = 50
    mesh["workloads"].append({"name": "other-wl", "exposure": "cluster", "replicas": "two"})
    got = problems(mesh)
    # The route binds the failed Gateway (no IST0101 for it), the workload it names is not
    # "bound by no Gateway" (no MGW0120); the broken workload is reported on its own.
    assert got == [("workloads[1].replicas", "MGW0100"), ("gateways[0].servers", "MGW0100")]


def test_a_gateway_on_a_workload_that_failed_is_not_reported_as_naming_an_undeclared_one() -> None:
    mesh = mesh_with()
    mesh["workloads"][0]["replicas"] = "two"
    assert problems(mesh) == [("workloads[0].replicas", "MGW0100")]


def test_a_route_to_subsets_of_a_destination_rule_that_failed_is_left_out() -> None:
    mesh = mesh_with()
    route = mesh["virtualServices"][0]["http"][0]["route"][0]["destination"]
    route["subset"] = "v1"
    mesh["destinationRules"] = [{"name": "shop", "namespace": "shop", "host": "shop", "subsets": 7}]
    mesh["gateways"].append(second_gateway(workload="nope"))
    assert problems(mesh) == [("destinationRules[0].subsets", "MGW0100"), ("gateways[1].workload", "IST0101")]


def test_a_failed_item_with_an_unreadable_name_leaves_out_what_could_refer_to_it() -> None:
    mesh = mesh_with()
    mesh["workloads"].append({"name": 5})
    got = problems(mesh)
    assert got[0] == ("workloads[1].name", "MGW0100")
    assert all(code != "IST0101" for _, code in got)


def test_duplicate_names_are_reported_at_their_config_positions_next_to_other_problems() -> None:
    mesh = mesh_with()
    mesh["gateways"] = [second_gateway(servers=50), mesh["gateways"][0], mesh["gateways"][0]]
    assert ("gateways[2].name", "MGW0101") in problems(mesh)


def test_a_valid_config_plans_as_before() -> None:
    spec, plan = plan_config(minimal_mesh())
    assert [g.name for g in spec.gateways] == ["public"] and "public" in plan.gateways


def test_render_reports_both_problems_of_the_reported_stack(tmp_path: Path) -> None:
    stack = """config:
  meshgw:workloads:
    - {name: public-ingress, namespace: istio-ingress, exposure: public}
  meshgw:gateways:
    - name: public
      workload: public-ingress
      servers: 50
    - name: other
      workload: nope
      servers:
        - port: {number: 80, name: http, protocol: HTTP}
          hosts: ["shop.example.com"]
"""
    code, out = render(tmp_path, stack)
    assert code == 1
    assert "gateways[0].servers: must be a list (got 50) [MGW0100]" in out
    assert "gateways[1].workload: workload 'nope' is not declared in meshgw:workloads" in out
    assert "2 problems" in out


def test_the_shape_of_the_config_itself_is_worded_with_the_value() -> None:
    odd: dict[Any, Any] = {1: [], "gateways": 5}
    assert problems(odd) == [("1", "MGW0100"), ("gateways", "MGW0100")]
    with pytest.raises(ConfigError) as err:
        plan_config(odd)
    assert [p.message for p in err.value.problems] == [
        "unknown config key 'meshgw:1'; known keys: " + ", ".join(f"meshgw:{k}" for k in CONFIG_KEYS),
        "must be a list of items (got 5); a single item is written as a list",
    ]
    with pytest.raises(ConfigError, match=r"mapping of config keys \(got \[1\]\)"):
        plan_config([1])  # type: ignore[arg-type]


@pytest.mark.parametrize("workload", [[], {"a": 1}, None, 5])
def test_a_failed_gateway_whose_workload_is_not_a_name_leaves_every_workload_unreported(
    workload: Any,
) -> None:
    # Found by tests/test_properties.py: the workload of a failed Gateway may be any value.
    mesh = mesh_with()
    mesh["gateways"][0]["workload"] = workload
    got = problems(mesh)
    assert got[0][0] == "gateways[0].workload" and all(code != "MGW0120" for _, code in got)


def test_a_misspelt_keyword_does_not_hide_a_wrong_shape_in_the_python_api() -> None:
    from pulumi_meshgw import ComponentConfigError, IngressGateway
    from pulumi_meshgw.testing import run

    with pytest.raises(ComponentConfigError) as err:
        run(lambda: IngressGateway("public", servers=50, hots=["a.example.com"]))  # type: ignore[call-arg,arg-type]
    assert [p.path for p in err.value.problems] == ["hots", "servers"]
