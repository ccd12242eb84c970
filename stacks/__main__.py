"""The per-environment stack program: builds the mesh from ``meshgw:*`` stack config.

Config keys (see the README's config reference): ``meshgw:workloads``, ``meshgw:gateways``,
``meshgw:virtualServices``, ``meshgw:destinationRules``, ``meshgw:egressGateways``. Each
environment is a ``stacks/Pulumi.<env>.yaml`` file; the program is the same for all of them.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from pulumi_meshgw.components.stack import mesh_from_config
from pulumi_meshgw.components.workload import GatewayWorkload

mesh = mesh_from_config("mesh", base_dir=Path(__file__).parent)

pulumi.export("gateways", {name: gw.ref for name, gw in sorted(mesh.gateways.items())})
pulumi.export(
    "gatewayServices",
    {name: w.service_fqdn for name, w in sorted(mesh.workloads.items()) if isinstance(w, GatewayWorkload)},
)
pulumi.export(
    "egressGateways",
    {
        name: {"serviceFqdn": e.service_fqdn, "destinations": e.destinations, "egressIps": e.egress_ips}
        for name, e in sorted(mesh.egress_gateways.items())
    },
)
