"""Commands about accounts: users, follows, and the HTTP hook's client tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from safety.cli.app import app, hook_app, user_app
from safety.domain import AgeBand
from safety.terminal import JsonOpt, emit, emit_json, out, state


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    handle: str,
    teen: Annotated[bool, typer.Option("--teen", help="A teen account (teen policy pack).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Register an account."""
    user = state(ctx).guard().accounts.add_user(handle, AgeBand.TEEN if teen else AgeBand.ADULT)
    if as_json:
        emit_json({"handle": user.handle, "age_band": user.age_band.value})
    else:
        out.print(f"added {user.handle} ({user.age_band.value})")


@app.command()
def follow(ctx: typer.Context, follower: str, followee: str, as_json: JsonOpt = False) -> None:
    """FOLLOWER follows FOLLOWEE (two follows make mutuals)."""
    created = state(ctx).guard().accounts.follow(follower, followee)
    if as_json:
        emit_json({"follower": follower, "followee": followee, "created": created})
    else:
        out.print(f"{follower} follows {followee}" + ("" if created else " (already)"))


@hook_app.command("token")
def hook_token(ctx: typer.Context, client: str, as_json: JsonOpt = False) -> None:
    """Create or rotate a client's bearer token (shown once; only its hash is stored)."""
    token = state(ctx).guard().accounts.hook_token(client)
    emit({"client": client, "token": token}, as_json, f"token for {client} (shown once): {token}")
