"""The provider the engine talks to: the SDK's component provider, with the package's type tokens."""

import json

from pulumi.provider.experimental.component import ComponentProvider

from .. import __version__
from .components import COMPONENTS, PACKAGE
from .schema import analysis, schema

__all__ = ["MeshgwProvider"]


class MeshgwProvider(ComponentProvider):
    """The SDK's component provider for :data:`COMPONENTS`, serving the schema of
    :func:`~pulumi_meshgw.provider.schema.schema` (nested types under tokens without the ``Args``
    suffix) and finding a nested type from a reference by that name.

    Args:
        version: The package version it reports. Default: the Python package's.
    """

    def __init__(self, version: str = __version__) -> None:
        super().__init__(list(COMPONENTS), PACKAGE, None, version)
        result = analysis()
        self._type_defs = result["type_definitions"]
        self._component_defs = result["component_definitions"]
        self.schema = json.dumps(schema(version))
