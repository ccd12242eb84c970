"""Planning egress gateways, one at a time (:func:`plan_egress`) and across a mesh."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..analysis.egress import check_egress_consistency
from ..analysis.index import MeshIndex
from ..analysis.pod_security import workload_pod_security_problems
from ..errors import ConfigError, Problem, show
from ..ipam import plan_egress_vips
from ..pem_files import PemFiles, PemSource
from ..render._meta import Manifest
from ..render.egress import (
    egress_service_ports,
    render_client_policies,
    render_egress,
    render_sidecars,
)
from ..render.namespace import render_namespace
from ..render.workload import render_workload
from ..spec.egress import EgressGatewaySpec
from ..spec.mesh import MeshSpec
from ..spec.names import item_keys
from .credentials import egress_credentials, names_credential
from .diagnostics import has_free_form, object_problems, schema_diagnostics, sub_path
from .model import EgressPlan

__all__ = ["check_mesh_egress", "plan_egress", "plan_mesh_egress"]

# -- egress gateways ------------------------------------------------------------------------------
#
# An egress gateway is planned on its own (plan_egress), so the EgressGateway component can use it
# without a Mesh; plan_mesh adds what only the whole mesh can know (plan_mesh_egress): destinations
# claimed by two egress gateways, and one Sidecar and one NetworkPolicy per client namespace however
# many egress gateways serve it.


def plan_egress(
    spec: EgressGatewaySpec,
    *,
    base_dir: Path | None = None,
    prefix: str = "",
    files: PemSource | None = None,
) -> EgressPlan:
    """Plan one egress gateway: its workload, origination Secrets and Istio objects, checked.

    Checks, all collected before raising once: certificate files (readable PEM, certificate and key
    match, in date); the objects' mutual consistency (ports, protocols, subsets, SNI and TLS agree
    across ServiceEntry, Gateway, DestinationRules and VirtualServices; see
    :mod:`pulumi_meshgw.analysis.egress`); the Gateway and routes against the workload's Service
    (:class:`~pulumi_meshgw.analysis.index.MeshIndex`); and the schemas of objects that carry
    free-form content (``overrides``, tolerations, affinity).

    Args:
        spec: The egress gateway.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        files: Where certificate files are read from (overrides ``base_dir``). Default:
            :class:`~pulumi_meshgw.pem_files.PemFiles` of ``base_dir``.
        prefix: The config path of ``spec`` (``egressGateways[0]``), for messages.

    Returns:
        The plan.

    Raises:
        ConfigError: any problem, each with its config path.
    """
    problems: list[Problem] = []
    spec, vips = plan_egress_vips(spec, prefix)
    if vips.errors:
        raise ConfigError(vips.errors)
    files = files if files is not None else PemFiles(base_dir)
    credentials = egress_credentials(spec, files, prefix, problems)
    workload = spec.workload_spec
    ports = egress_service_ports(spec)
    objects = render_egress(spec)
    reads = any(names_credential(m.get("spec")) for m in objects.manifests())
    workload_manifests = render_workload(workload, ports, reads_secrets=reads)
    for sub, msg in workload_pod_security_problems(workload, workload_manifests):
        problems.append(Problem(sub_path(prefix, ("workload",)) + "." + sub, msg, "MGW0157"))
    rendered = [*workload_manifests, *objects.manifests()]
    diags = check_egress_consistency(rendered)
    index = MeshIndex()
    index.add(m for m in rendered if m["kind"] not in ("Gateway", "VirtualService"))
    diags.extend(index.check([objects.gateway]))
    diags.extend(index.check(objects.virtual_services))
    if spec.overrides:
        diags.extend(schema_diagnostics(objects.manifests()))
    if has_free_form(workload):
        diags.extend(schema_diagnostics(workload_manifests))
    errors, _ = object_problems(prefix, diags)
    problems.extend(errors)
    if problems:
        raise ConfigError(problems)
    namespace = render_namespace(workload.namespace) if workload.create_namespace else None
    return EgressPlan(
        spec=spec,
        workload=workload,
        ports=ports,
        workload_manifests=workload_manifests,
        namespace=namespace,
        credentials=credentials,
        objects=objects,
        client_policies=render_client_policies(objects.lockdown),
        sidecars=render_sidecars(objects.lockdown),
    )


def plan_mesh_egress(
    spec: MeshSpec, namespaces: dict[str, Manifest], problems: list[Problem], *, files: PemSource
) -> tuple[dict[str, EgressPlan], list[Manifest]]:
    """Plan every egress gateway of a mesh, add their Namespaces to ``namespaces``, check what two
    egress gateways (or an egress gateway and a workload) could get wrong together, and merge the
    client namespaces' Sidecars: exactly one per namespace (IST0111), however many egress gateways
    serve it.

    Problems are appended to ``problems``.

    Returns:
        The plans by key (the name, or ``namespace/name`` where several share the name:
        :func:`~pulumi_meshgw.spec.names.item_keys`), and the merged Sidecars.
    """
    plans: dict[str, EgressPlan] = {}
    keys = _egress_keys(spec)
    workloads = {(w.pod_namespace, w.name): i for i, w in enumerate(spec.workloads)}
    claims: dict[tuple[str, int], tuple[int, int]] = {}
    hosts: dict[str, tuple[int, int]] = {}
    for i, e in enumerate(spec.egress_gateways):
        before = len(problems)
        w = workloads.get((e.namespace, e.name))
        if w is not None:
            problems.append(
                Problem(
                    f"egressGateways[{i}].name",
                    f"workload {e.namespace}/{e.name} is already declared by workloads[{w}]; give the "
                    "egress gateway another name or namespace",
                    "MGW0101",
                )
            )
        for j, d in enumerate(e.destinations):
            key = (d.host, d.external_port)
            prev = claims.get(key)
            if prev is not None and prev[0] != i:
                other = spec.egress_gateways[prev[0]].name
                problems.append(
                    Problem(
                        f"egressGateways[{i}].destinations[{j}]",
                        f"{d.host}:{d.external_port} is already claimed by egressGateways[{prev[0]}]"
                        f".destinations[{prev[1]}] (egress gateway {show(other)}); a destination leaves "
                        "through exactly one egress gateway: remove it from one of them",
                        "MGW0310",
                    )
                )
                continue
            claims.setdefault(key, (i, j))
            first = hosts.setdefault(d.host, (i, j))
            if first[0] != i:
                other = spec.egress_gateways[first[0]].name
                problems.append(
                    Problem(
                        f"egressGateways[{i}].destinations[{j}].host",
                        f"{d.host} already leaves through egress gateway {show(other)} "
                        f"(egressGateways[{first[0]}].destinations[{first[1]}]); every port of a host "
                        "must use the same egress gateway, because sidecars take the route for a host "
                        "from one mesh-bound VirtualService",
                        "IST0109",
                    )
                )
        try:
            plan = plan_egress(e, files=files, prefix=f"egressGateways[{i}]")
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        if len(problems) > before:
            # Already reported as a claim conflict; indexing it would report each host again (IST0109).
            continue
        plans[keys[i]] = plan
        if e.workload_spec.create_namespace and e.namespace not in namespaces:
            namespaces[e.namespace] = render_namespace(e.namespace)
    sidecars = render_sidecars([r for p in plans.values() for r in p.objects.lockdown])
    return plans, sidecars


def check_mesh_egress(
    index: MeshIndex, plans: Mapping[str, EgressPlan], spec: MeshSpec, rules: Sequence[Manifest] = ()
) -> tuple[list[Problem], list[Problem]]:
    """Check each egress gateway's Gateway and routes against everything else in the mesh (routes
    of other VirtualServices for the same host, IST0109; conflicting Gateways, IST0145), and its
    TLS hops against the stack's own DestinationRules ``rules``: a rule in a client namespace is
    the one those sidecars use for the egress gateway Service (Istio's lookup,
    ``analysis/rule_lookup.py``), so one that drops ISTIO_MUTUAL there is MGW0302/MGW0303 here
    too, not only in ``meshgw check``. Findings the egress gateway's own objects already gave
    (:func:`plan_egress`), or that another check made at the same place, are not repeated."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    position = {key: i for i, key in enumerate(_egress_keys(spec))}
    for key, p in plans.items():
        diags = index.check([p.objects.gateway])
        diags.extend(index.check(p.objects.virtual_services))
        if rules:
            own = [*p.workload_manifests, *p.objects.manifests()]
            before = set(check_egress_consistency(own))
            # One finding per place: a rule without the subset is already MGW0133 there.
            seen = {(d.kind, d.namespace, d.name, d.path) for d in diags}
            diags.extend(
                d
                for d in check_egress_consistency([*own, *rules])
                if d not in before and (d.kind, d.namespace, d.name, d.path) not in seen
            )
        e, w = object_problems(f"egressGateways[{position[key]}]", diags)
        errors.extend(e)
        warnings.extend(w)
    return errors, warnings


def _egress_keys(spec: MeshSpec) -> list[str]:
    return item_keys([(e.namespace, e.name) for e in spec.egress_gateways])
