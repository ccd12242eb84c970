"""The ``meshgw`` command line.

Each subcommand lives in its own module and is registered on :data:`app` below, one line per
command, so a new one (``meshgw check``) is a new module plus one ``app.command`` line.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pulumi_meshgw import __version__
from pulumi_meshgw.cli.check import check_command
from pulumi_meshgw.cli.diff import diff_command
from pulumi_meshgw.cli.render import render_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="meshgw",
    help="Istio gateways as Pulumi components: render, check and diff stacks offline.",
    no_args_is_help=True,
    add_completion=False,
    # Local variables in a traceback can hold config values and secrets.
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"meshgw {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Istio gateways as Pulumi components: render, check and diff stacks offline."""


app.command("render")(render_command)
app.command("check")(check_command)
app.command("diff")(diff_command)


def main() -> None:
    """Run the ``meshgw`` console script."""
    app(prog_name="meshgw")
