"""``mexma-search users ...`` and ``mexma-search access ...``: accounts, roles, groups and
collection grants. They use the database only, so they work while ``serve`` runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from mexma_search.app.access import Role
from mexma_search.app.runtime import Runtime
from mexma_search.app.settings import get_settings
from mexma_search.app.users import Accounts
from mexma_search.cli.output import emit_json, fail, json_option

R = TypeVar("R")
ROLES = click.Choice([role.value for role in Role])
password_option = click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (asked for when not given; at least 8 characters).",
)


@contextmanager
def accounts(report: Callable[[str], None] = click.echo) -> Iterator[Accounts]:
    """The accounts of the configured database, for one command (with the first admin, made
    as ``serve`` makes it when there is none yet, and told to ``report``)."""
    settings = get_settings()
    runtime = Runtime(settings)
    try:
        found = Accounts(runtime.engine, settings)
        found.ensure_first_admin(report)
        yield found
    finally:
        runtime.close()


def ensure_first_admin() -> None:
    """Make the first admin as ``serve`` makes it, when there is none yet (told on stderr,
    beside a command's own output)."""
    with accounts(lambda line: click.echo(line, err=True)):
        return


def checked(action: Callable[[], R]) -> R:
    """``action()``, with a refused change (bad name, unknown user, last admin) as a clear
    command error."""
    try:
        return action()
    except (ValueError, LookupError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("users")
def users_group() -> None:
    """User accounts and their roles (reader, editor, admin)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, default=Role.READER.value, show_default=True)
@password_option
def add_command(name: str, role: str, password: str) -> None:
    """Add a user."""
    with accounts() as found:
        checked(lambda: found.add_user(name, password, role))
    click.echo(f"Added {role} {name}.")


@users_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List the users with their roles and groups."""
    with accounts() as found:
        users = found.list_users()
    if as_json:
        emit_json([{"name": u.name, "role": u.role, "groups": list(u.groups)} for u in users])
        return
    for user in users:
        click.echo(f"{user.name:24} {user.role:7} {', '.join(user.groups)}")


@users_group.command("set-role")
@click.argument("name")
@click.argument("role", type=ROLES)
def set_role_command(name: str, role: str) -> None:
    """Give a user another role."""
    with accounts() as found:
        checked(lambda: found.set_role(name, role))
    click.echo(f"{name} is now {role}.")


@users_group.command("set-password")
@click.argument("name")
@password_option
def set_password_command(name: str, password: str) -> None:
    """Replace a user's password."""
    with accounts() as found:
        checked(lambda: found.set_password(name, password))
    click.echo(f"The password of {name} was replaced.")


@users_group.command("remove")
@click.argument("name")
def remove_command(name: str) -> None:
    """Remove a user (their documents stay)."""
    with accounts() as found:
        if not checked(lambda: found.remove_user(name)):
            fail(f"no user named {name!r}")
    click.echo(f"Removed {name}.")


@click.group("access")
def access_group() -> None:
    """Who may read or write each collection; groups of users."""


@access_group.command("grant")
@click.argument("collection")
@click.option("--user", default=None, help="The user to open it to.")
@click.option("--group", default=None, help="The group to open it to.")
@click.option(
    "--level", type=click.Choice(["read", "write", "none"]), default="read", show_default=True
)
def grant_command(collection: str, user: str | None, group: str | None, level: str) -> None:
    """Open a collection to a user or a group (level none takes the grant away)."""
    chosen = None if level == "none" else level
    with accounts() as found:
        checked(lambda: found.grant(collection, user=user, group=group, level=chosen))
    click.echo(f"{user or f'group {group}'}: {level} on {collection}.")


@access_group.command("list")
@json_option
def grants_command(as_json: bool) -> None:
    """List the grants, the public collections and the groups."""
    with accounts() as found:
        grants, public, groups = found.grants(), found.public_collections(), found.groups()
    if as_json:
        emit_json(
            {
                "grants": [
                    {"collection": g.collection, "principal": g.principal, "write": g.write}
                    for g in grants
                ],
                "public": public,
                "groups": groups,
            }
        )
        return
    for grant in grants:
        level = "write" if grant.write else "read"
        click.echo(f"{grant.collection:24} {grant.principal:24} {level}")
    click.echo(f"public: {', '.join(public) or 'none'}")
    for name, members in groups.items():
        click.echo(f"group {name}: {', '.join(members)}")


@access_group.command("public")
@click.argument("collection")
@click.option("--off", is_flag=True, help="Make it private again.")
def public_command(collection: str, off: bool) -> None:
    """Open a collection to every user (and to visitors when anonymous reading is on)."""
    with accounts() as found:
        found.set_public(collection, not off)
    click.echo(f"{collection} is {'private' if off else 'public'}.")


@access_group.command("group-add")
@click.argument("name")
def group_add_command(name: str) -> None:
    """Add an empty group."""
    with accounts() as found:
        checked(lambda: found.add_group(name))
    click.echo(f"Added group {name}.")


@access_group.command("group-remove")
@click.argument("name")
def group_remove_command(name: str) -> None:
    """Remove a group and its grants."""
    with accounts() as found:
        if not found.remove_group(name):
            fail(f"no group named {name!r}")
    click.echo(f"Removed group {name}.")


@access_group.command("member")
@click.argument("group")
@click.argument("user")
@click.option("--remove", is_flag=True, help="Take the user out of the group.")
def member_command(group: str, user: str, remove: bool) -> None:
    """Put a user into a group (or take them out)."""
    with accounts() as found:
        checked(lambda: found.set_membership(group, user, not remove))
    click.echo(f"{user} {'left' if remove else 'is in'} {group}.")
