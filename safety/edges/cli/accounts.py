"""Commands about accounts: users, follows, guardians, and the HTTP hook's client tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from safety.domain import AgeBand, ConsentLevel
from safety.edges.cli.app import app, guardian_app, hook_app, user_app
from safety.edges.terminal import JsonOpt, emit, emit_json, out, receipts_text, state, uses_text
from safety.edges.views import cameo_use_json, controls_json, receipt_json, receipts_json
from safety.records import Scope
from safety.revocation import PurgeReceipt


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    handle: str,
    teen: Annotated[bool, typer.Option("--teen", help="A teen account (teen policy pack).")] = False,
    guardian: Annotated[
        list[str] | None, typer.Option("--guardian", help="An adult account that becomes the teen's guardian.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an account (a teen with their guardians)."""
    if guardian and not teen:
        raise typer.BadParameter("only a teen account (--teen) has guardians", param_hint="--guardian")
    guard = state(ctx).guard()
    user = guard.accounts.add_user(handle, AgeBand.TEEN if teen else AgeBand.ADULT)
    for name in guardian or []:
        guard.guardians.add(user.handle, name)
    if as_json:
        emit_json({"handle": user.handle, "age_band": user.age_band.value, "guardians": sorted(guardian or [])})
    else:
        out.print(
            f"added {user.handle} ({user.age_band.value})" + (f", guardians {', '.join(guardian)}" if guardian else "")
        )


GuardianOpt = Annotated[str, typer.Option("--guardian", help="The guardian acting.")]
TeenOpt = Annotated[str, typer.Option("--teen", help="The teen account.")]


def _controls(ctx: typer.Context, guardian: str, teen: str, as_json: bool, receipts: list[PurgeReceipt]) -> None:
    controls = controls_json(state(ctx).guard().guardians.controls(guardian, teen))
    text = (
        f"{controls['teen']}: guardians {', '.join(controls['guardians'])}; pack {controls['policy_pack']}; "
        f"level cap {controls['level_cap'] or 'none'}; "
        f"creators allowed: {', '.join(controls['allowed_creators']) or 'none'}"
    )
    emit(
        {**controls, "receipts": receipts_json(receipts)},
        as_json,
        text + ("\n" + receipts_text(receipts) if receipts else ""),
    )


@guardian_app.command("add")
def guardian_add(ctx: typer.Context, guardian: GuardianOpt, teen: TeenOpt, as_json: JsonOpt = False) -> None:
    """Make an adult account a guardian of a teen account."""
    state(ctx).guard().guardians.add(teen, guardian)
    _controls(ctx, guardian, teen, as_json, [])


@guardian_app.command("show")
def guardian_show(ctx: typer.Context, guardian: GuardianOpt, teen: TeenOpt, as_json: JsonOpt = False) -> None:
    """The teen's guardians, level cap, pack and the creators allowed to use their cameo."""
    _controls(ctx, guardian, teen, as_json, [])


@guardian_app.command("cap")
def guardian_cap(
    ctx: typer.Context,
    guardian: GuardianOpt,
    teen: TeenOpt,
    level: Annotated[ConsentLevel, typer.Option(help="The highest consent level the teen may choose.")],
    as_json: JsonOpt = False,
) -> None:
    """Cap the teen's consent level (lowering it if above); purges what it no longer allows."""
    receipts = state(ctx).guard().guardians.cap_level(guardian, teen, level)
    _controls(ctx, guardian, teen, as_json, receipts)


@guardian_app.command("allow")
def guardian_allow(
    ctx: typer.Context,
    guardian: GuardianOpt,
    teen: TeenOpt,
    creator: Annotated[str, typer.Option(help="The creator (adult or teen) allowed to use the teen's cameo.")],
    as_json: JsonOpt = False,
) -> None:
    """Let another creator (adult or teen) use the teen's cameo (the teen's own consent still applies)."""
    state(ctx).guard().guardians.allow(guardian, teen, creator)
    _controls(ctx, guardian, teen, as_json, [])


@guardian_app.command("disallow")
def guardian_disallow(
    ctx: typer.Context,
    guardian: GuardianOpt,
    teen: TeenOpt,
    creator: Annotated[str, typer.Option(help="The creator no longer allowed.")],
    as_json: JsonOpt = False,
) -> None:
    """Stop a creator using the teen's cameo; their videos of the teen are purged."""
    receipts = state(ctx).guard().guardians.disallow(guardian, teen, creator)
    _controls(ctx, guardian, teen, as_json, receipts)


@guardian_app.command("pack")
def guardian_pack(
    ctx: typer.Context,
    guardian: GuardianOpt,
    teen: TeenOpt,
    pack: Annotated[str, typer.Option(help="A teen pack by name (e.g. teen, teen_strict).")],
    as_json: JsonOpt = False,
) -> None:
    """Govern the teen by another teen pack."""
    receipts = state(ctx).guard().guardians.set_pack(guardian, teen, pack)
    _controls(ctx, guardian, teen, as_json, receipts)


@guardian_app.command("uses")
def guardian_uses(ctx: typer.Context, guardian: GuardianOpt, teen: TeenOpt, as_json: JsonOpt = False) -> None:
    """Every video the teen appears in."""
    videos = [cameo_use_json(a) for a in state(ctx).guard().guardians.uses(guardian, teen)]
    emit({"teen": teen, "videos": videos}, as_json, uses_text(videos))


@guardian_app.command("revoke-use")
def guardian_revoke_use(
    ctx: typer.Context,
    guardian: GuardianOpt,
    teen: TeenOpt,
    video: Annotated[str, typer.Option(help="The video to take down.")],
    as_json: JsonOpt = False,
) -> None:
    """Take down a video the teen appears in, and everything derived from it."""
    receipt = state(ctx).guard().guardians.revoke_use(guardian, teen, video)
    emit({"purged": list(receipt.purged), "receipt": receipt_json(receipt)}, as_json, receipts_text([receipt]))


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


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `24h`, `7d` or plain seconds."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else "s"
    number = value[:-1] if value[-1:] in _UNITS else value
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a duration such as 24h, 30m or 90s", param_hint="--grace") from None
    if seconds < 0:
        raise typer.BadParameter("the grace period cannot be negative", param_hint="--grace")
    return timedelta(seconds=seconds)


@hook_app.command("rotate")
def hook_rotate(
    ctx: typer.Context,
    client: str,
    grace: Annotated[
        str, typer.Option(help="How long the old token keeps working beside the new one (24h, 30m, 90s; 0: none).")
    ] = "24h",
    as_json: JsonOpt = False,
) -> None:
    """A new bearer token for a client (shown once); the old one keeps working for the grace period, so the client
    can switch without an outage. The webhook secret is kept."""
    rotated = state(ctx).guard().accounts.rotate_token(client, parse_duration(grace))
    until = rotated.old_token_valid_until.isoformat()
    emit(
        {"client": rotated.client, "token": rotated.token, "old_token_valid_until": until},
        as_json,
        f"client {rotated.client}; new token, shown once:\n  token  {rotated.token}\nthe old token works until {until}",
    )
