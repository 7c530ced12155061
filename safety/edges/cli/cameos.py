"""Commands about cameos: challenges, enrollment, consent levels, approvals, blocks, restrictions, uses, deletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from safety.domain import ConsentLevel
from safety.edges.cli.app import app, cameo_app
from safety.edges.terminal import JsonOpt, emit, receipts_text, state, uses_text
from safety.edges.views import (
    cameo_status_json,
    cameo_use_json,
    deletion_json,
    enrollment_json,
    receipt_json,
    receipts_json,
    restriction_json,
    to_json,
    use_request_json,
)
from safety.errors import SubmissionError


@cameo_app.command("challenge")
def cameo_challenge(
    ctx: typer.Context, user: Annotated[str, typer.Option(help="Who will enroll.")], as_json: JsonOpt = False
) -> None:
    """Issue a liveness challenge to perform in the verification video."""
    challenge = state(ctx).guard().cameos.issue_challenge(user)
    payload = to_json(challenge)
    text = (
        f"challenge {challenge.id}: say {' '.join(challenge.digits)}, then turn your head "
        f"{' then '.join(challenge.turns)}; valid until {payload['expires_at']}"
    )
    emit(payload, as_json, text)


@cameo_app.command("enroll")
def cameo_enroll(
    ctx: typer.Context,
    user: Annotated[str, typer.Option(help="Whose cameo.")],
    video: Annotated[Path | None, typer.Option(help="The verification video.")] = None,
    challenge: Annotated[str | None, typer.Option(help="The challenge id performed in the video.")] = None,
    image: Annotated[
        list[Path] | None,
        typer.Option(help="Operator-verified enrollment from photos instead of a video (repeatable)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a cameo from a verification video (or, operator-verified, from photos)."""
    cameos = state(ctx).guard().cameos
    if (video is None) == (not image):
        raise SubmissionError("give either --video or --image")
    if video is not None:
        result = cameos.enroll_cameo(user, video, challenge)
    else:
        result = cameos.enroll_cameo_from_images(user, image or [])
    payload = enrollment_json(result)
    lines = [f"cameo {payload['cameo_id']}: {payload['status']}"]
    lines += [f"  - {r['code']}: {r['message']}" for r in payload["reasons"]]
    emit(payload, as_json, "\n".join(lines))


@cameo_app.command("show")
def cameo_show(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Cameo owner.")], as_json: JsonOpt = False
) -> None:
    """An owner's active cameo and consent settings."""
    payload = cameo_status_json(owner, state(ctx).guard().cameos.cameo_status(owner))
    emit(payload, as_json, json.dumps(payload, indent=2))


@cameo_app.command("permit")
def cameo_permit(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    level: Annotated[ConsentLevel, typer.Option(help="Who may use the cameo (required: there is no default).")],
    approve_each_use: Annotated[
        bool | None,
        typer.Option(
            "--approve-each-use/--no-approve-each-use",
            help="Approve every video of the owner before it publishes (unchanged when not given).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set who may put the owner in videos: only_me, approved, mutuals or everyone (lowering it purges what it no
    longer allows; raising it purges nothing), and whether the owner approves each use."""
    cameos = state(ctx).guard().cameos
    receipts = cameos.set_consent_level(owner, level)
    if approve_each_use is not None:
        cameos.set_approve_each_use(owner, approve_each_use)
    current = cameos.cameo_status(owner)
    each = bool(current and current.approve_each_use)
    payload = {"owner": owner, "level": level.value, "approve_each_use": each, **receipts_json(receipts)}
    note = " (approves each use)" if each else ""
    emit(payload, as_json, f"{owner}: {level.value}{note}\n{receipts_text(receipts)}")


@cameo_app.command("requests")
def cameo_requests(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Cameo owner.")], as_json: JsonOpt = False
) -> None:
    """Videos waiting for the owner's approval (the owner approves each use)."""
    guard = state(ctx).guard()
    waiting = []
    for request in guard.use_requests.pending(owner):
        video = guard.videos.show(request.video_id).video
        waiting.append({**use_request_json(request), "prompt": video.prompt})
    text = "\n".join(f"{w['video_id']}  by {w['creator']:<12} {w['prompt'][:60]}" for w in waiting)
    emit({"owner": owner, "requests": waiting}, as_json, text or "nothing waits for your approval")


def _answer_use(ctx: typer.Context, owner: str, video: str, approve: bool, as_json: bool) -> None:
    guard = state(ctx).guard()
    result = guard.use_requests.approve(owner, video) if approve else guard.use_requests.decline(owner, video)
    status = result.status.value if result is not None else guard.videos.show(video).video.status.value
    payload = {"owner": owner, "video_id": video, "answer": "approved" if approve else "declined", "status": status}
    emit(payload, as_json, f"{video}: {payload['answer']} by {owner}; the video is {status}")


@cameo_app.command("approve-use")
def cameo_approve_use(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    video: Annotated[str, typer.Option(help="The video waiting for approval.")],
    as_json: JsonOpt = False,
) -> None:
    """Approve one video of the owner; it publishes once every owner asked has approved."""
    _answer_use(ctx, owner, video, True, as_json)


@cameo_app.command("decline-use")
def cameo_decline_use(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    video: Annotated[str, typer.Option(help="The video waiting for approval.")],
    as_json: JsonOpt = False,
) -> None:
    """Decline one video of the owner: it is blocked and never publishes."""
    _answer_use(ctx, owner, video, False, as_json)


@cameo_app.command("approve")
def cameo_approve(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Who is approved.")],
    as_json: JsonOpt = False,
) -> None:
    """Approve one user to use the owner's cameo."""
    state(ctx).guard().cameos.approve(owner, user)
    emit({"owner": owner, "approved": user}, as_json, f"{owner} approved {user}")


@cameo_app.command("revoke")
def cameo_revoke(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Whose approval is withdrawn.")],
    as_json: JsonOpt = False,
) -> None:
    """Withdraw one user's approval; what it allowed, and everything derived from it, is purged."""
    receipts = state(ctx).guard().cameos.revoke(owner, user)
    emit({"owner": owner, "revoked": user, **receipts_json(receipts)}, as_json, receipts_text(receipts))


@cameo_app.command("block")
def cameo_block(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Who is blocked.")],
    as_json: JsonOpt = False,
) -> None:
    """Block one user from ever using the owner's cameo (their videos of the owner are purged)."""
    receipts = state(ctx).guard().cameos.block(owner, user)
    emit({"owner": owner, "blocked": user, **receipts_json(receipts)}, as_json, receipts_text(receipts))


@cameo_app.command("restrict")
def cameo_restrict(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    text: Annotated[str, typer.Option(help='What the cameo may not be used for, e.g. "no politics, no alcohol".')],
    as_json: JsonOpt = False,
) -> None:
    """Restrict how the cameo may be used; prompts are checked against it (existing videos too)."""
    result = state(ctx).guard().cameos.restrict(owner, text)
    payload = restriction_json(owner, result)
    understood = [f"topic {t}" for t in result.topics] + [f'"{p}"' for p in result.phrases]
    emit(payload, as_json, f"{owner} restricts: {', '.join(understood)}\n{receipts_text(result.receipts)}")


@cameo_app.command("uses")
def cameo_uses(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Cameo owner.")], as_json: JsonOpt = False
) -> None:
    """Every video the owner appears in (identified or declared), other people's drafts and held items included."""
    videos = [cameo_use_json(a) for a in state(ctx).guard().cameos.cameo_uses(owner)]
    emit({"owner": owner, "videos": videos}, as_json, uses_text(videos))


@cameo_app.command("remove-video")
def cameo_remove_video(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    video: Annotated[str, typer.Option(help="The video to take down.")],
    as_json: JsonOpt = False,
) -> None:
    """Take down one video the owner appears in, and everything derived from it."""
    receipt = state(ctx).guard().cameos.remove_video(owner, video)
    emit({"purged": list(receipt.purged), "receipt": receipt_json(receipt)}, as_json, receipts_text([receipt]))


@cameo_app.command("delete")
def cameo_delete(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    keep_protection: Annotated[
        bool, typer.Option("--keep-protection", help="Keep one template in the protected bank.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete the cameo: templates, reference crops and verification media; others' videos of it are purged."""
    payload = deletion_json(state(ctx).guard().cameos.delete_cameo(owner, keep_protection=keep_protection))
    text = f"deleted {payload['cameo_id']}; purged {len(payload['purged'])} video(s)"
    emit(payload, as_json, text + (" (still protected)" if payload["kept_protection"] else ""))


@app.command("receipts")
def receipts(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Whose receipts.")], as_json: JsonOpt = False
) -> None:
    """Every purge receipt an owner was given: what was removed, when, why and whose consent ended."""
    found = state(ctx).guard().cameos.receipts(owner)
    emit({"owner": owner, "receipts": [receipt_json(r) for r in found]}, as_json, receipts_text(found))
