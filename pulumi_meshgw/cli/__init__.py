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
from pulumi_meshgw.errors import MeshgwError, problem_line

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


def main(args: list[str] | None = None) -> None:
    """Run the ``meshgw`` console script.

    A command-line mistake (an unknown option, a missing argument, a bad value) is printed in the
    form of every other error, ``error: WHERE: MESSAGE [MGW0003]`` (:func:`~pulumi_meshgw.errors.
    problem_line`), with the command's ``--help`` as the fix, and exits 2 as click does.

    Args:
        args: The arguments. Default: ``sys.argv[1:]``.
    """
    try:
        code = app(args=args, prog_name="meshgw", standalone_mode=False)
    except typer.TyperException as error:  # click's UsageError, BadParameter, NoSuchOption, ...
        exit_code = int(getattr(error, "exit_code", 2))
        ctx = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError":
            typer.echo(error.format_message())  # `meshgw` alone: the help, as before
            raise SystemExit(exit_code) from None
        command = ctx.command_path if ctx is not None else "meshgw"
        message = f"{error.format_message().rstrip('.')}; see '{command} --help'"
        typer.echo(problem_line("error", command, message, MeshgwError.code), err=True)
        raise SystemExit(exit_code) from None
    except typer.Abort:
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
