"""Run the ``meshgw`` component provider: ``python -m pulumi_meshgw.provider <engine address>``.

The Pulumi engine starts this as the package's plugin (PulumiPlugin.yaml at the repository root)
and passes the engine address; ``--schema`` prints the inferred schema instead (docs/package.md).
"""

import json
import sys

from pulumi.provider import main as serve

from ..components._runtime import share_state_across_constructs
from .host import MeshgwProvider
from .schema import schema


def main() -> None:
    # Each component of a program is its own Construct call here; the checks across them
    # (a route's host served by the Gateway it binds) need one registry for the whole program.
    share_state_across_constructs()
    if sys.argv[1:] == ["--schema"]:
        print(json.dumps(schema(), indent=2, sort_keys=True))
        return
    serve(MeshgwProvider(), sys.argv[1:])


if __name__ == "__main__":
    main()
