"""The whole mesh from the stack's ``meshgw:*`` config: the entry point ``stacks/__main__.py`` uses."""

from pathlib import Path

import pulumi

from pulumi_meshgw.components.stack import mesh_from_config

mesh = mesh_from_config("mesh", base_dir=Path(__file__).parent)

pulumi.export("gateways", {name: gw.ref for name, gw in sorted(mesh.gateways.items())})
