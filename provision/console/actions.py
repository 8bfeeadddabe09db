"""The trainer's actions on a client, each a POST run as a job through the CLI's own library calls: reset a
seat, the working database or all of them; save a snapshot, restore one."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from provision.clients.render import ClientEnv
from provision.console.context import Call
from provision.console.guard import trainer
from provision.console.jobs import Say
from provision.inputs import ascii_number
from provision.training import classroom, snapshots


def seat_field(form: Mapping[str, str], default: str = "") -> str | int | None:
    """The form's ``seat``: "all", a seat's number (0: the working database) in ASCII digits, or None."""
    value = form.get("seat", default)
    return "all" if value == "all" else ascii_number(value)


def bad_seat(call: Call) -> Response:
    return call.message(call.words["which_seat"], 400)


@trainer
async def reset(call: Call) -> Response:
    workspace, name, w = call.workspace, call.param("name"), call.words
    target, back = seat_field(call.form), f"/client/{name}"
    if target is None:
        return bad_seat(call)
    if target == "all":
        revoke = call.form.get("revoke") == "1"

        def everything(say: Say, env: ClientEnv) -> str:
            done = classroom.reset_seats(workspace, name, None, True, new_links=revoke, profile=env.profile)
            return f"{len(done.databases)}: {done.seconds:.2f} s"

        return call.start(w["reset_all_title"], back, everything, name, "all")
    seat = int(target)
    title = w["seat_reset_title"].format(n=seat) if seat else w["reset_db_title"]

    def one(say: Say, env: ClientEnv) -> str:
        done = classroom.reset_seats(workspace, name, seat or None, profile=env.profile)
        return f"{', '.join(done.databases)}: {done.seconds:.2f} s"

    return call.start(title, back, one, name, f"seat{seat}")


@trainer
async def snapshot_save(call: Call) -> Response:
    workspace, name, snap = call.workspace, call.param("name"), call.form.get("snapshot", "").strip()
    title = call.words["save_title"].format(name=snap)

    def work(say: Say, env: ClientEnv) -> str:
        return snapshots.save_snapshot(workspace, name, snap, profile=env.profile)

    return call.start(title, f"/client/{name}", work, name, "snapshots")


@trainer
async def snapshot_restore(call: Call) -> Response:
    workspace, name, snap = call.workspace, call.param("name"), call.form.get("snapshot", "")
    target = seat_field(call.form, "0")
    if target is None:
        return bad_seat(call)
    seat = target if isinstance(target, int) and target else None
    title = call.words["restore_title"].format(name=snap)

    def work(say: Say, env: ClientEnv) -> str:
        done = snapshots.restore_snapshot(workspace, name, snap, seat, target == "all", profile=env.profile)
        return f"{', '.join(done.databases)}: {done.seconds:.2f} s"

    return call.start(title, f"/client/{name}", work, name, "snapshots")
