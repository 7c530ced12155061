"""Commands about accounts: users, follows, and the HTTP hook's client tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from safety.cli.app import app, hook_app, user_app
from safety.domain import AgeBand
from safety.records import Scope
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


@user_app.command("delete")
def user_delete(ctx: typer.Context, handle: str, as_json: JsonOpt = False) -> None:
    """Delete an account: its cameo, every video it made (and remixes of them), its follows."""
    receipts = state(ctx).guard().cameos.delete_account(handle)
    purged = [v for r in receipts for v in r.purged]
    emit(
        {"handle": handle, "deleted": True, "purged": purged},
        as_json,
        f"{handle} deleted" + (f"; purged {', '.join(purged)}" if purged else ""),
    )


@app.command()
def unfollow(ctx: typer.Context, follower: str, followee: str, as_json: JsonOpt = False) -> None:
    """FOLLOWER stops following FOLLOWEE; videos only their mutual follow allowed are purged."""
    receipts = state(ctx).guard().cameos.unfollow(follower, followee)
    purged = [v for r in receipts for v in r.purged]
    emit(
        {"follower": follower, "followee": followee, "purged": purged},
        as_json,
        f"{follower} no longer follows {followee}" + (f"; purged {', '.join(purged)}" if purged else ""),
    )


@hook_app.command("token")
def hook_token(
    ctx: typer.Context,
    client: str,
    scope: Annotated[
        list[Scope] | None,
        typer.Option(help="What the token may do: generate (submit videos), app (act for users), operator."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or rotate a client's bearer token and webhook secret (shown once; only the token's hash is kept)."""
    issued = state(ctx).guard().accounts.issue_client(client, scope or [Scope.GENERATE])
    scopes = [s.value for s in issued.scopes]
    emit(
        {"client": issued.client, "token": issued.token, "scopes": scopes, "webhook_secret": issued.webhook_secret},
        as_json,
        f"client {issued.client} ({', '.join(scopes)}); shown once:\n  token           {issued.token}\n"
        f"  webhook secret  {issued.webhook_secret}",
    )


@hook_app.command("list")
def hook_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every API client with its scopes (tokens are never shown again)."""
    clients = state(ctx).guard().accounts.clients()
    rows = [
        {
            "client": c.name,
            "scopes": [s.value for s in c.scopes],
            "active": c.active,
            "signed_callbacks": c.has_webhook_secret,
        }
        for c in clients
    ]
    text = "\n".join(
        f"{c.name:24s} {','.join(s.value for s in c.scopes):24s} {'active' if c.active else 'revoked'}" for c in clients
    )
    emit({"clients": rows}, as_json, text or "no clients")


@hook_app.command("revoke")
def hook_revoke(ctx: typer.Context, client: str, as_json: JsonOpt = False) -> None:
    """Revoke a client's token at once."""
    state(ctx).guard().accounts.revoke_client(client)
    emit({"client": client, "revoked": True}, as_json, f"{client}'s token is revoked")
