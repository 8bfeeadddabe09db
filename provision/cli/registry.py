"""The `registry` group: payment agents' registries (formats, a sample, a load, the suspense list, debts)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provision.cli.options import Client, JsonFlag, lazy, workspace
from provision.cli.output import err, print_json, table
from provision.inputs import check_output_file, check_text, parse_period

if TYPE_CHECKING:
    from provision.books import registries
else:
    registries = lazy("provision.books.registries")

app = typer.Typer(
    help="Payment agents' registries: formats, samples for exercises, loading, suspense, debts.",
    no_args_is_help=True,
    add_completion=False,
)
Agent = Annotated[
    str, typer.Option("--agent", help="The agent's registry format: bank, post, csv or the client's own.")
]
Output = Annotated[Path, typer.Option("--output", "-o", help="The registry file to write.")]


@app.command("formats")
def registry_formats(client: Client, as_json: JsonFlag = False) -> None:
    """The registry formats the client can use: built-in and its own (compose/CLIENT/agents/*.toml)."""
    rows = [
        {
            "name": f.name,
            "agent": f.agent,
            "encoding": f.encoding,
            "layout": "fixed" if f.fixed else repr(f.delimiter),
            "title": f.title,
            "source": f.source,
        }
        for f in registries.list_formats(workspace(), client)
    ]
    if as_json:
        print_json(rows)
        return
    table(
        rows,
        [("name", "FORMAT"), ("agent", "AGENT"), ("encoding", "ENCODING"), ("layout", "FIELDS"), ("title", "TITLE")],
    )


@app.command("sample")
def registry_sample(
    client: Client,
    agent: Agent,
    date: Annotated[str, typer.Option(help="The registry's day, YYYY-MM-DD.")],
    output: Output,
    lines: Annotated[int, typer.Option(min=1, max=1_000_000, help="Payment lines.")] = 200,
    faults: Annotated[
        int, typer.Option(min=0, max=1000, help="Faults to plant for an exercise (see docs/registries.md).")
    ] = 0,
    seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="The same seed, the same registry.")] = 1,
    number: Annotated[str, typer.Option(help="The registry's number (default: the day and 01).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """A day's registry of an agent from the client's books: residents who owe, paying as people pay."""
    check_text(number, "--number")
    check_output_file(output, "--output")
    written = registries.sample_registry(
        workspace(), client, agent, date, output, lines=lines, faults=faults, seed=seed, number=number
    )
    if as_json:
        print_json(written.to_dict())
        return
    # on stderr, like every "wrote": `-o /dev/stdout` leaves the standard output to the registry alone
    err(f"wrote {output}: {written.lines} lines, total {written.to_dict()['total']}, number {written.number}")
    for fault, line in written.faults:
        err(f"  planted {fault} at line {line}")


@app.command("load")
def registry_load(
    client: Client,
    source: Annotated[Path, typer.Argument(help="The registry file.")],
    agent: Agent,
    as_json: JsonFlag = False,
) -> None:
    """Load a registry: checked whole first (encoding, control sums, loaded before?), then every line as a
    payment or, for an unknown or closed account, a suspense line; all in one transaction."""
    result = registries.load_registry(workspace(), client, source, agent)
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(
        f"loaded registry {result.number} of {result.agent}: {result.lines} lines, {result.loaded} payments "
        f"({result.loaded_total}), {result.suspense} in suspense ({result.suspense_total})"
    )
    for reason, count in result.reason_words().items():
        typer.echo(f"  {count:>6}  {reason}")
    if result.suspense:
        typer.echo(f"the suspense list: provision registry suspense {client}")


@app.command("suspense")
def registry_suspense(
    client: Client,
    all_lines: Annotated[bool, typer.Option("--all", help="Also the lines already assigned.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Невыясненные платежи: registry lines no open account took, with the reason."""
    rows = [line.to_dict() for line in registries.suspense(workspace(), client, all_lines=all_lines)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("невыясненных платежей нет")
        return
    table(
        rows,
        [
            ("id", "№"),
            ("registry", "РЕЕСТР"),
            ("line", "СТРОКА"),
            ("account", "ЛС"),
            ("amount", "СУММА"),
            ("paid_on", "ДАТА"),
            ("reason_ru", "ПРИЧИНА"),
            ("assigned_to", "ОТНЕСЕНО НА ЛС"),
        ],
    )


@app.command("assign")
def registry_assign(
    client: Client,
    line: Annotated[int, typer.Argument(help="The suspense line's № (see `registry suspense`).", min=1)],
    account: Annotated[str, typer.Argument(help="The account number (лицевой счёт) it belongs to.")],
) -> None:
    """Move a suspense line to an account: it becomes a payment of its registry in the open period."""
    check_text(account, "ACCOUNT")
    moved, payment = registries.assign(workspace(), client, line, account)
    typer.echo(f"suspense line {moved.id} ({moved.amount}) is payment {payment} of account {account}")


@app.command("debts")
def registry_debts(
    client: Client,
    agent: Agent,
    output: Output,
    period: Annotated[str | None, typer.Option(help="The billing month, YYYY-MM (default: the open one).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The registry of debts for an agent: every open account that owes, and how much, in its format."""
    if period is not None:  # an empty one too: it is no month, not "the open one"
        parse_period(period, "--period")
    check_output_file(output, "--output")
    written = registries.debts_registry(workspace(), client, agent, period, output)
    if as_json:
        print_json(written.to_dict())
        return
    err(f"wrote {output}: {written.lines} accounts that owe, total {written.to_dict()['total']}")
