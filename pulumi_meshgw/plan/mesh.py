"""Planning a whole mesh: every item of a stack, checked as a whole before anything is registered."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..analysis.diagnostics import Diagnostic, Level
from ..analysis.index import MeshIndex
from ..analysis.pod_security import workload_pod_security_problems
from ..analysis.policy_ports import check_policy_ports
from ..errors import ConfigError, Problem, show
from ..ipam import plan_addresses
from ..pem_files import PemFiles, PemSource
from ..render._meta import Manifest
from ..render.backends import route_backends
from ..render.destination_rule import render_destination_rule
from ..render.firewall import workload_with_firewall
from ..render.gateway import render_gateway
from ..render.host_binding import bind_hosts_to_routes
from ..render.namespace import render_namespace
from ..render.virtual_service import render_virtual_service
from ..render.workload import render_workload
from ..spec.hardening import workload_warnings
from ..spec.mesh import CONFIG_KEYS, MeshSpec
from ..spec.names import Ident, item_keys, matching, resolve_workload, split_ref
from ..spec.partial import duplicate_names, parse_partial
from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from .credentials import names_credential, uses_credential
from .diagnostics import diagnostics_to_problems, has_free_form, schema_diagnostics, sub_path
from .egress import check_mesh_egress, plan_mesh_egress
from .gateway import plan_gateway, service_ports
from .model import GatewayPlan, MeshPlan, WorkloadPlan

__all__ = ["declare_external", "plan_config", "plan_mesh"]


def plan_config(
    values: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    files: PemSource | None = None,
    resolve: Callable[[MeshSpec], MeshSpec] | None = None,
    problems: Sequence[Problem] = (),
) -> tuple[MeshSpec, MeshPlan]:
    """Parse and plan a mesh config, reporting every independent problem in one ConfigError.

    The items that parse are planned and checked as a whole even when others do not, leaving out
    only what refers to a failed item (:mod:`pulumi_meshgw.spec.partial`), so a wrong shape in one
    Gateway and an undeclared workload in another come out together. Paths are the config's own
    (``gateways[2]``), whatever was left out before an item.

    Args:
        values: ``{"workloads": [...], "gateways": [...], ...}`` (config keys without namespace).
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        files: Where certificate files are read from (overrides ``base_dir``). Default:
            :class:`~pulumi_meshgw.pem_files.PemFiles` of ``base_dir``.
        resolve: Run on the parsed spec before planning (the component edge's cloud lookups).
            Default: none.
        problems: Problems already found in the config (by the caller), reported first. Default:
            none.

    Returns:
        The spec (after ``resolve``) and its plan.

    Raises:
        ConfigError: every problem, in config order: the caller's, each item's, then the
            cross-object ones.
    """
    partial = parse_partial(values)
    found = [*problems, *partial.problems]
    spec = MeshSpec(**partial.fields)
    if resolve is not None:
        spec = resolve(spec)
    try:
        plan = plan_mesh(spec, base_dir=base_dir, files=files)
    except ConfigError as err:
        # Name clashes (MGW0101) are also found while parsing: report each once.
        found.extend(p for p in partial.in_config_terms(err.problems) if p not in partial.problems)
    if found:
        raise ConfigError(found)
    return spec, plan


def plan_mesh(spec: MeshSpec, *, base_dir: Path | None = None, files: PemSource | None = None) -> MeshPlan:
    """Plan a whole mesh from its config, collecting every problem before raising once.

    Raises:
        ConfigError: any reference, certificate or cross-object problem, each with its config path.
    """
    files = files if files is not None else PemFiles(base_dir)
    problems: list[Problem] = []
    # Fixed addresses, pool allocations and egress VIPs first: the rest plans the resolved spec.
    address_plan = plan_addresses(spec)
    spec = address_plan.spec
    problems.extend(address_plan.errors)
    # Everything is keyed by (namespace, name), as Kubernetes keys objects of one kind: two items
    # that share a name in different namespaces are each planned and checked (spec/names.py).
    problems.extend(duplicate_names(dict(spec), {key: range(len(v)) for key, v in _config_fields(spec)}))
    paths: dict[tuple[str, str, str], str] = {}
    workload_ids: list[Ident] = [(w.pod_namespace, w.name) for w in spec.workloads]
    bound: dict[Ident, list[tuple[Ident, GatewaySpec]]] = {k: [] for k in workload_ids}
    gateway_plans: dict[Ident, GatewayPlan] = {}
    gateway_workload: dict[Ident, Ident] = {}  # Gateway -> the workload whose pods serve it
    gateway_index: dict[Ident, int] = {}
    failed: list[Manifest] = []
    maybe: set[Ident] = set()  # workloads an unresolved Gateway reference may mean
    unsure: set[Ident] = set()  # where a Gateway with an unresolved reference may be
    unsure_names: set[str] = set()  # ... or only its name, when that could be anywhere
    for i, gw in enumerate(spec.gateways):
        found = resolve_workload(i, gw.workload, workload_ids)
        if isinstance(found, Problem):
            problems.append(found)
            # The Gateway exists; only its workload is unclear. Neither the workloads it may mean
            # (MGW0120) nor the routes bound to where it may be (IST0101, IST0132) are reported on
            # top of the real problem: those routes are left out of the cross-object checks.
            candidates = matching(gw.workload, workload_ids)
            if not candidates:  # a typo: the workloads it may have meant, by a close name
                close = set(
                    difflib.get_close_matches(split_ref(gw.workload)[1], [n for _, n in workload_ids])
                )
                candidates = [j for j, (_, n) in enumerate(workload_ids) if n in close]
                if gw.namespace is None:
                    unsure_names.add(gw.name)  # where it is depends on the workload meant
            maybe.update(workload_ids[j] for j in candidates)
            unsure.update((gw.namespace or spec.workloads[j].pod_namespace, gw.name) for j in candidates)
            if gw.namespace is not None:
                unsure.add((gw.namespace, gw.name))
            continue
        w = spec.workloads[found]
        key = (gw.namespace or w.pod_namespace, gw.name)
        bound[workload_ids[found]].append((key, gw))
        gateway_workload[key] = workload_ids[found]
        gateway_index.setdefault(key, i)
        try:
            gplan = plan_gateway(gw, w, files=files, prefix=f"gateways[{i}]")
        except ConfigError as err:
            problems.extend(err.problems)
            # Still index the Gateway, so routes bound to it are checked and not reported as
            # referring to a missing Gateway on top of the real problem.
            failed.append(render_gateway(gw, key[0], w.selector_labels, {}))
            continue
        gateway_plans[key] = gplan
        paths[("Gateway", gplan.namespace, gw.name)] = f"gateways[{i}]"

    _share_peer_authentications(gateway_plans, gateway_index, problems)
    problems.extend(_shared_name_credentials(gateway_plans, gateway_index))
    for gp in gateway_plans.values():
        # Hosts the program routes itself are bound to the routes' namespaces (render/host_binding.py).
        ref = (gp.namespace, gp.spec.name)
        routes = [(v.namespace, v.hosts) for v in spec.virtual_services if ref in v.gateway_refs()]
        gp.manifest = bind_hosts_to_routes(gp.manifest, routes)
    namespaces: dict[str, Manifest] = {}
    workload_plans: dict[Ident, WorkloadPlan] = {}
    # A DestinationRule credential (client certificate to a backend) is served to whichever
    # gateway pods route there, so any of them keeps every workload's Role.
    dr_credentials = any(
        names_credential(render_destination_rule(d).get("spec")) for d in spec.destination_rules
    )
    lb_warnings: list[Problem] = []
    backends = route_backends([render_virtual_service(v) for v in spec.virtual_services], gateway_workload)
    for i, (wkey, w) in enumerate(zip(workload_ids, spec.workloads, strict=True)):
        on_w = [g for _, g in bound[wkey]]
        # IP rules of the Gateways on the workload shape its Service and NetworkPolicy.
        w = workload_with_firewall(w, on_w)
        ports = service_ports(on_w)
        if not w.is_external and not ports and not w.service.extra_ports and wkey not in maybe:
            problems.append(
                Problem(
                    f"workloads[{i}]",
                    f"no Gateway binds workload {show(w.name)}, so its Service would have "
                    "no ports; bind a Gateway to it or remove it",
                    "MGW0120",
                )
            )
        reads = dr_credentials or any(map(uses_credential, on_w))
        lb_warnings.extend(
            Problem(sub_path(f"workloads[{i}]", sub), m, c) for sub, m, c in workload_warnings(w)
        )
        routed = backends.get(wkey)
        if routed is not None and w.network_policy.enabled and not w.is_external:
            problems.extend(_external_backend_problems(w, i, routed.external))
        to = sorted(routed.namespaces) if routed else []
        manifests = render_workload(w, ports, reads_secrets=reads, backends=to)
        for sub, msg in workload_pod_security_problems(w, manifests):
            problems.append(Problem(f"workloads[{i}].{sub}", msg, "MGW0157"))
        if not w.is_external and w.create_namespace and w.namespace not in namespaces:
            namespaces[w.namespace] = render_namespace(w.namespace)
        creds = [c for g, _ in bound[wkey] if g in gateway_plans for c in gateway_plans[g].credentials]
        workload_plans[wkey] = WorkloadPlan(w, ports, manifests, creds, reads, to)
        for m in manifests:
            paths[(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])] = f"workloads[{i}]"

    drs = []
    for i, dr in enumerate(spec.destination_rules):
        m = render_destination_rule(dr)
        drs.append((dr, m))
        paths[("DestinationRule", dr.namespace, dr.name)] = f"destinationRules[{i}]"
    vss = []
    for i, vs in enumerate(spec.virtual_services):
        m = render_virtual_service(vs)
        vss.append((vs, m))
        paths[("VirtualService", vs.namespace, vs.name)] = f"virtualServices[{i}]"

    egress, sidecars = plan_mesh_egress(spec, namespaces, problems, files=files)
    plan = MeshPlan(
        list(namespaces.values()),
        _by_key(workload_plans),
        _by_key(gateway_plans),
        drs,
        vss,
        [],
        egress,
        sidecars,
    )
    free_form = [m for _, m in drs]
    free_form += [m for wp in workload_plans.values() if has_free_form(wp.spec) for m in wp.manifests]
    # Gateways and routes always: their fields are passed through to the CRD, whose schema and CEL
    # rules (durations, exclusive fields) the spec models do not repeat.
    free_form += [g.manifest for g in gateway_plans.values()]
    free_form += [m for _, m in vss]
    index = declare_external(MeshIndex(), spec)
    # Everything but Gateways and routes first, checked on its own (DestinationRule TLS, ServiceEntry
    # addresses, injection, IP policies); infos are for `meshgw check`, not for every preview.
    others = index.check([m for m in plan.manifests() if m["kind"] not in ("Gateway", "VirtualService")])
    index.add(failed)
    for g in gateway_plans.values():
        for c in g.credentials:
            index.declare_secret(c.namespace, c.name)
    diags: list[Diagnostic] = schema_diagnostics(free_form)
    diags.extend(d for d in others if d.level is not Level.INFO)
    diags.extend(check_policy_ports(index, plan.manifests()))
    for g in gateway_plans.values():
        diags.extend(index.check([g.manifest]))
    egress_errors, egress_warnings = check_mesh_egress(index, egress, spec, [m for _, m in drs])
    for vs, m in vss:
        refs = vs.gateway_refs()
        if unsure.isdisjoint(refs) and unsure_names.isdisjoint(n for _, n in refs):
            diags.extend(index.check([m]))
    errors, warnings = diagnostics_to_problems(diags, paths)
    _, infos = diagnostics_to_problems(
        [d for d in others if d.level is Level.INFO and (d.kind, d.namespace, d.name) in paths], paths
    )
    problems.extend(errors)
    problems.extend(egress_errors)
    warnings.extend(egress_warnings)
    warnings.extend(p for g in gateway_plans.values() for p in g.warnings)
    if problems:
        raise ConfigError(problems)
    plan.warnings = [*warnings, *lb_warnings, *address_plan.warnings]
    plan.infos = infos
    plan.addresses = address_plan.addresses
    return plan


def _external_backend_problems(w: WorkloadSpec, index: int, external: Mapping[str, str]) -> list[Problem]:
    """MGW0158: a route on the workload sends to a host outside the cluster, which its
    NetworkPolicy (on by default) only lets through by address, and none is given."""
    if w.network_policy.egress_cidrs or not external:
        return []
    host, vs = sorted(external.items())[0]
    more = f" (and {len(external) - 1} more)" if len(external) > 1 else ""
    return [
        Problem(
            f"workloads[{index}].networkPolicy",
            f"VirtualService {vs} routes to {host!r}{more}, outside the cluster, but the workload's "
            "NetworkPolicy only allows DNS, istiod and the namespaces of in-cluster destinations, so "
            "those requests would fail with 503; list the destination's addresses in "
            "networkPolicy.egressCidrs, or set networkPolicy.enabled: false",
            "MGW0158",
        )
    ]


def _share_peer_authentications(
    gateway_plans: Mapping[Ident, GatewayPlan], position: Mapping[Ident, int], problems: list[Problem]
) -> None:
    """Keep one PeerAuthentication per namespace when several Gateways name it (the first
    Gateway's, in config order; the others drop theirs), and refuse different modes for one
    namespace (MGW0153)."""
    first: dict[str, tuple[str, str]] = {}  # namespace -> (mode, gateway)
    for key, gp in gateway_plans.items():
        keep: list[Manifest] = []
        for m in gp.extras:
            if m["kind"] != "PeerAuthentication":
                keep.append(m)
                continue
            ns, mode = m["metadata"]["namespace"], m["spec"]["mtls"]["mode"]
            prev = first.get(ns)
            if prev is None:
                first[ns] = (mode, "/".join(key))
                keep.append(m)
            elif prev[0] != mode:
                problems.append(
                    Problem(
                        f"gateways[{position[key]}].authentication.peerAuthentication.mode",
                        f"namespace {show(ns)} gets mode {prev[0]} from gateway {show(prev[1])}; one "
                        f"namespace "
                        "has one namespace-wide PeerAuthentication: use the same mode",
                        "MGW0153",
                    )
                )
        gp.extras = keep


def _shared_name_credentials(
    gateway_plans: Mapping[Ident, GatewayPlan], position: Mapping[Ident, int]
) -> list[Problem]:
    """MGW0101: two Gateways of one name (in different namespaces, on workloads in one namespace)
    that would make one Secret: a credential's default name comes from the Gateway's name and
    port, and it lives in the pods' namespace, so the second would overwrite the first's
    certificate."""
    out: list[Problem] = []
    first: dict[tuple[str, str, str], tuple[Ident, int]] = {}
    for key, gp in gateway_plans.items():
        for c in gp.credentials:
            ident = (c.kind, c.namespace, c.name)
            prev = first.setdefault(ident, (key, c.server_index))
            if prev[0] != key and prev[0][1] == key[1]:
                out.append(
                    Problem(
                        f"gateways[{position[key]}].servers[{c.server_index}].tls",
                        f"its {c.kind} {c.namespace}/{c.name} is also made for gateways[{position[prev[0]]}]"
                        f".servers[{prev[1]}] (Gateway {'/'.join(prev[0])}), whose pods run in the same "
                        "namespace; one would overwrite the other's certificate: set tls.credentialName "
                        "on one of them",
                        "MGW0101",
                    )
                )
    return out


def _config_fields(spec: MeshSpec) -> list[tuple[str, list[Any]]]:
    """(config key, items) of each list of ``spec``."""
    return [(key, getattr(spec, field)) for key, field in CONFIG_KEYS.items()]


_T = TypeVar("_T")


def _by_key(items: Mapping[Ident, _T]) -> dict[str, _T]:
    """``items`` keyed as the plan's maps are: by bare name where unique, else ``namespace/name``."""
    return dict(zip(item_keys(list(items)), items.values(), strict=True))


def declare_external(index: MeshIndex, spec: MeshSpec) -> MeshIndex:
    """Declare to ``index`` what ``spec`` names but does not manage, and return ``index``: its
    ``external`` objects (``meshgw:external``: Gateways, Services, Secrets, workloads,
    DestinationRules of other stacks or tools) and its external workloads. ``plan_mesh``, the
    ``Mesh`` component and ``meshgw render`` all call it, so every analysis of one stack sees the
    same declarations."""
    for w in spec.workloads:
        if w.external is not None:
            index.declare_workload(w.external.namespace, w.name, w.external.labels, w.external.port_numbers)
    for item in spec.external:
        index.declare(item)
    return index
