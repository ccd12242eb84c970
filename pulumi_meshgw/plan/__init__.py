"""Pure planning: from validated specs to the ordered set of objects a mesh needs, checked as a whole.

This is the step between the pure layers (spec, render, analysis) and the Pulumi components. It
decides names (no random suffixes), where TLS Secrets live (the gateway pods' namespace), which ports
a workload's Service needs (derived from the Gateways bound to it), and runs the cross-object
analysis, so that a mesh config with a mistake fails as a whole before a single resource is
registered.

Planning does no I/O. Istio's classic ``serverCertificate``/``privateKey`` paths are read by a
:class:`~pulumi_meshgw.pem_files.PemSource` the caller passes (``files=``; by default
:class:`~pulumi_meshgw.pem_files.PemFiles` of ``base_dir``), when the program runs; they become a
Secret, and the paths are never emitted.

One module per concern:

- :mod:`.model`: the plans (``MeshPlan``, ``GatewayPlan``, ``WorkloadPlan``, ``EgressPlan``) and
  ``Credential``;
- :mod:`.credentials`: the TLS Secret or Certificate each server or origination needs, and the
  checks of certificate files;
- :mod:`.gateway`: one Gateway, and a workload's Service ports;
- :mod:`.egress`: egress gateways, one at a time and across a mesh;
- :mod:`.mesh`: a whole stack, checked as a whole;
- :mod:`.diagnostics`: analysis findings turned into problems with config paths.
"""

from __future__ import annotations

from .credentials import uses_credential
from .diagnostics import diagnostics_to_problems
from .egress import plan_egress
from .gateway import plan_gateway, service_ports
from .mesh import declare_external, plan_config, plan_mesh
from .model import Credential, EgressPlan, GatewayPlan, MeshPlan, WorkloadPlan

__all__ = [
    "Credential",
    "EgressPlan",
    "GatewayPlan",
    "MeshPlan",
    "WorkloadPlan",
    "declare_external",
    "diagnostics_to_problems",
    "plan_config",
    "plan_egress",
    "plan_gateway",
    "plan_mesh",
    "service_ports",
    "uses_credential",
]
