"""Kubernetes quantities: validated at preview, rendered in the API server's canonical spelling."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_meshgw.render.deployment import render_deployment
from pulumi_meshgw.spec.quantity import canonical_quantity, parse_quantity
from pulumi_meshgw.spec.workload import WorkloadSpec

from .conftest import problems


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        # The examples of k8s.io/apimachinery/pkg/api/resource/quantity.go and the chart defaults.
        ("2000m", "2"),
        ("1024Mi", "1Gi"),
        ("1.5", "1500m"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1.5Ki", "1536"),
        ("1000M", "1G"),
        ("128Mi", "128Mi"),
        ("100m", "100m"),
        (".5", "500m"),
        ("+1", "1"),
        ("0Mi", "0"),
        ("1e3", "1e3"),
    ],
)
def test_canonical_spelling(written: str, stored: str) -> None:
    assert canonical_quantity(written) == stored


@given(
    st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["m", "", "k", "Ki", "Mi", "Gi", "M"])
)
def test_canonical_keeps_the_value_and_is_stable(number: int, suffix: str) -> None:
    text = f"{number}{suffix}"
    canonical = canonical_quantity(text)
    assert parse_quantity(canonical)[0] == parse_quantity(text)[0]
    assert canonical_quantity(canonical) == canonical


@pytest.mark.parametrize("bad", ["2 CPU", "1GB", "", "Mi", "1.2.3", "0x10"])
def test_not_a_quantity(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
        parse_quantity(bad)


def test_bad_quantity_in_config_names_the_path() -> None:
    config = {
        "workloads": [
            {"name": "gw", "namespace": "istio-ingress", "resources": {"limits": {"cpu": "2 cores"}}}
        ],
    }
    found = problems(config)
    assert any(
        path == "workloads[0].resources.limits.cpu" and "'2 cores' is not a Kubernetes quantity" in message
        for path, message, _ in found
    ), found


def test_deployment_sends_what_the_api_server_stores() -> None:
    spec = WorkloadSpec.model_validate(
        {
            "name": "gw",
            "namespace": "istio-ingress",
            "exposure": "cluster",
            "resources": {"requests": {"cpu": "0.25", "memory": "1024Mi"}},
        }
    )
    container = render_deployment(spec)["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
    assert Decimal(2) == parse_quantity(container["resources"]["limits"]["cpu"])[0]
