"""The meshgw policy pack: ``meshgw check`` over a stack's Kubernetes and Istio resources.

Two stack-level policies run the same analysis (:func:`pulumi_meshgw.review.stack_check.
stack_findings`), so checks across objects work (a VirtualService whose host no Gateway serves, a
Gateway whose TLS Secret is in another namespace). Raw ``CustomResource`` s count as much as the
objects our components make:

- ``meshgw-errors`` (mandatory): error-level findings; the preview or update fails.
- ``meshgw-warnings`` (advisory): warning-level findings; printed, nothing blocked.

Both take an ``external`` config list of objects managed outside the stack, in the shape of
``meshgw:external`` (docs/checks.md), for example in a policy config file::

    {"meshgw-errors": {"external": [{"kind": "Gateway", "namespace": "istio-ingress", "name": "public",
                                     "hosts": ["shop.example.com"]}]}}

Run it with ``pulumi preview --policy-pack policypack/ [--policy-pack-config FILE]``.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from pulumi_meshgw.analysis import Level
from pulumi_meshgw.review.stack_check import stack_findings

CONFIG = PolicyConfigSchema(
    properties={
        "external": {
            "type": "array",
            "items": {"type": "object"},
            "description": "Objects managed outside the stack (the meshgw:external shape, docs/checks.md).",
        }
    }
)


def validation(level: Level) -> Callable[[StackValidationArgs, ReportViolation], None]:
    """A stack validation reporting the findings of ``level``, each on its resource's URN."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        external = args.get_config().get("external") or []
        for finding in stack_findings(args.resources, external=external):
            if finding.level is level:
                report_violation(finding.message, finding.urn)

    return validate


POLICIES = [
    StackValidationPolicy(
        name="meshgw-errors",
        description="Errors meshgw check reports (istioctl analyze codes where Istio has one): they "
        "would be a 404 or 503 in production.",
        validate=validation(Level.ERROR),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=CONFIG,
    ),
    StackValidationPolicy(
        name="meshgw-warnings",
        description="Warnings meshgw check reports: likely mistakes that do not break traffic yet.",
        validate=validation(Level.WARNING),
        enforcement_level=EnforcementLevel.ADVISORY,
        config_schema=CONFIG,
    ),
]

if __name__ == "__main__":
    PolicyPack(name="meshgw", policies=POLICIES)
