"""``mexma-search tokens ...``: create, list and revoke API tokens (an admin's commands: they
write the app's database directly)."""

from __future__ import annotations

import click

from mexma_search.app.api_tokens import TokenScope, database_tokens
from mexma_search.app.settings import get_settings
from mexma_search.cli.output import emit_json, fail, json_option
from mexma_search.cli.users import ensure_first_admin


@click.group("tokens")
def tokens_group() -> None:
    """Bearer tokens of the HTTP API (/api)."""


@tokens_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice([scope.value for scope in TokenScope]),
    default=TokenScope.READ.value,
    show_default=True,
    help="read: search and read; write: also upload, delete, cancel; admin: also promote.",
)
@click.option(
    "--user", "user_name", help="Whom the token acts for (default: MEXMA_ADMIN_USERNAME)."
)
@click.option(
    "--expires-days",
    type=click.FloatRange(min=0, min_open=True, max=36500),
    help="Days until the token expires (default: never).",
)
@json_option
def create_command(
    name: str, scope: str, user_name: str | None, expires_days: float | None, as_json: bool
) -> None:
    """Create a token called NAME; it is printed this once (only its hash is kept)."""
    settings = get_settings()
    if user_name is None:
        ensure_first_admin()
    with database_tokens(settings) as tokens:
        try:
            created = tokens.create(
                name,
                settings.admin_username if user_name is None else user_name,
                scope,
                expires_in_days=expires_days,
            )
        except ValueError as exc:
            fail(str(exc))
    if as_json:
        emit_json({**created.info.to_dict(), "token": created.secret})
        return
    click.echo(f"Token {created.info.id} ({scope}) for {created.info.user_name}:")
    click.echo(created.secret)
    click.echo("Keep it now: it is not shown again. Send it as 'Authorization: Bearer <token>'.")


@tokens_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List tokens, newest first (never the tokens themselves)."""
    with database_tokens(get_settings()) as tokens:
        listed = tokens.list_tokens()
    if as_json:
        emit_json([{**token.to_dict(), "state": token.state()} for token in listed])
        return
    for token in listed:
        expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
        click.echo(
            f"{token.id:5} {token.prefix}... {token.scope:6} {token.state():8} "
            f"{token.user_name:12} expires {expires:17} {token.name}"
        )


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int) -> None:
    """Revoke a token at once."""
    with database_tokens(get_settings()) as tokens:
        if not tokens.revoke(token_id):
            fail(f"no active token {token_id}")
    click.echo(f"Token {token_id} revoked.")
