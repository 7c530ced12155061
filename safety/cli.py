"""The `cameoguard` command line.

Every command that reports something takes `--json`. Errors are translated here, at the edge: a `SafetyError`
prints one line on stderr and exits with its `exit_code` (3 bad input, 4 conflict, 5 configuration, 6 storage);
usage errors exit 2; nothing prints a traceback unless CAMEOGUARD_DEBUG=1. Commands from other packages
(`generate`, `demo`) plug in through the `cameoguard.commands` entry point group, so `safety` never imports them.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from policies import PolicyError, bundled_pack_names, bundled_pack_path, validate_file
from safety.clash import clash_message
from safety.domain import AgeBand, ConsentLevel, GateResult, Submission
from safety.errors import ConfigurationError, SafetyError, SubmissionError
from safety.faces.packs import install_pack, installed_packs
from safety.publishing import ensure_dev_keys
from safety.services import Services
from safety.settings import Settings

app = typer.Typer(
    name="cameoguard",
    help="A pre-publish trust-and-safety gate for AI-generated video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
policy_app = typer.Typer(help="Policy packs.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cameo_app = typer.Typer(help="Cameos: enrollment and consent.", no_args_is_help=True)
protect_app = typer.Typer(help="Protected persons (operator-run).", no_args_is_help=True)
faces_app = typer.Typer(help="Face tools for operators.", no_args_is_help=True)
models_app = typer.Typer(help="Face model packs, installed from local files.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(policy_app, name="policy")
app.add_typer(audit_app, name="audit")
app.add_typer(cameo_app, name="cameo")
app.add_typer(protect_app, name="protect")
app.add_typer(faces_app, name="faces")
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@dataclass
class CliState:
    """Per-invocation state: settings, and services opened on first use."""

    settings: Settings
    _services: Services | None = field(default=None)

    def services(self) -> Services:
        if self._services is None:
            self._services = Services(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def emit_json(payload: Any) -> None:
    out.print_json(json.dumps(payload, default=str))


@app.callback()
def _root(
    ctx: typer.Context,
    home: Annotated[
        Path | None, typer.Option("--home", envvar="CAMEOGUARD_HOME", help="Data directory (default ./var).")
    ] = None,
) -> None:
    settings = Settings(home=home) if home is not None else Settings()
    ctx.obj = CliState(settings)
    ctx.call_on_close(ctx.obj.close)


@app.command()
def init(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Create the data directory, database and media store (idempotent)."""
    services = state(ctx).services()
    payload = {"home": str(services.settings.home.resolve()), "database": services.database.url}
    if as_json:
        emit_json(payload)
    else:
        out.print(f"ready: home {payload['home']}, database {payload['database']}")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    handle: str,
    teen: Annotated[bool, typer.Option("--teen", help="A teen account (teen policy pack).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Register an account."""
    user = state(ctx).services().add_user(handle, AgeBand.TEEN if teen else AgeBand.ADULT)
    if as_json:
        emit_json({"handle": user.handle, "age_band": user.age_band.value})
    else:
        out.print(f"added {user.handle} ({user.age_band.value})")


@app.command()
def follow(ctx: typer.Context, follower: str, followee: str, as_json: JsonOpt = False) -> None:
    """FOLLOWER follows FOLLOWEE (two follows make mutuals)."""
    created = state(ctx).services().follow(follower, followee)
    if as_json:
        emit_json({"follower": follower, "followee": followee, "created": created})
    else:
        out.print(f"{follower} follows {followee}" + ("" if created else " (already)"))


def print_decision(result: dict[str, Any]) -> None:
    """A decision, for people."""
    colour = {"publish": "green", "review": "yellow", "block": "red"}[result["decision"]]
    out.print(f"[bold]{result['video_id']}[/bold]: [{colour}]{result['decision']}[/{colour}] ({result['policy']})")
    for reason in result["reasons"]:
        out.print(escape(f"  - {reason['code']} [{reason['action']}]: {reason['message']}"))
    out.print(f"  checks: {', '.join(result['checks_run'])}; {result['timings_ms'].get('total', 0):.0f} ms")
    if result["published_path"]:
        out.print(f"  published: {result['published_path']}", soft_wrap=True)


def report_result(result: GateResult | dict[str, Any], as_json: bool) -> None:
    payload = result.to_json() if isinstance(result, GateResult) else result
    if as_json:
        emit_json(payload)
    else:
        print_decision(payload)


@app.command()
def check(
    ctx: typer.Context,
    creator: Annotated[str, typer.Option(help="Creator's handle.")],
    prompt: Annotated[str, typer.Option(help="The generation prompt.")],
    video: Annotated[Path, typer.Option(help="The video file to check.")],
    cameo: Annotated[list[str] | None, typer.Option(help="A declared cameo owner (repeatable).")] = None,
    remix_of: Annotated[str | None, typer.Option(help="Parent video id, for a remix.")] = None,
    input_image: Annotated[Path | None, typer.Option(help="Input image of an image-to-video generation.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a video through the pre-publish gate."""
    submission = Submission(
        creator=creator,
        prompt=prompt,
        video_path=video,
        cameos=tuple(cameo or ()),
        remix_of=remix_of,
        input_image_path=input_image,
    )
    report_result(state(ctx).services().prepublish(submission), as_json)


@app.command()
def show(ctx: typer.Context, video_id: str, as_json: JsonOpt = False) -> None:
    """A video's status, published file and decisions."""
    payload = state(ctx).services().show(video_id).to_json()
    if as_json:
        emit_json(payload)
        return
    out.print(f"[bold]{payload['video_id']}[/bold] by {payload['creator']}: {payload['status']}")
    out.print(f"  prompt: {payload['prompt']}")
    if payload["remix_of"]:
        out.print(f"  remix of: {payload['remix_of']}")
    if payload["published_path"]:
        out.print(f"  published: {payload['published_path']}")
    for d in payload["decisions"]:
        codes = ", ".join(r["code"] for r in d["reasons"]) or "no findings"
        out.print(f"  {d['at']}: {d['decision']} by {d['decided_by']} ({codes})")


@app.command()
def report(
    ctx: typer.Context,
    video_id: str,
    by: Annotated[str, typer.Option("--by", help="Reporter's handle.")],
    reason: Annotated[str, typer.Option(help="Why it is reported.")],
    as_json: JsonOpt = False,
) -> None:
    """Report a video: it goes into the review queue."""
    item = state(ctx).services().report(video_id, by, reason)
    if as_json:
        emit_json({"video_id": video_id, "review_item_id": item})
    else:
        out.print(f"reported {video_id}: review item {item}")


@policy_app.command("validate")
def policy_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Pack files (default: the bundled packs).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate policy packs; every problem is reported with file:line and a hint."""
    files = paths or [bundled_pack_path(name) for name in bundled_pack_names()]
    results = {str(f): validate_file(f) for f in files}
    if as_json:
        emit_json(
            {
                "valid": not any(results.values()),
                "files": {
                    f: [{"line": i.line, "message": i.message, "hint": i.hint} for i in issues]
                    for f, issues in results.items()
                },
            }
        )
    else:
        for file, issues in results.items():
            if not issues:
                out.print(f"[green]ok[/green] {file}")
            for issue in issues:
                err.print(str(issue), markup=False, highlight=False)
    if any(results.values()):
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Walk the audit log's hash chain; names the first broken row."""
    result = state(ctx).services().verify_audit()
    payload = {
        "ok": result.ok,
        "entries": result.entries,
        "first_broken_seq": result.first_broken_seq,
        "problem": result.problem or None,
    }
    if as_json:
        emit_json(payload)
    elif result.ok:
        out.print(f"[green]audit log intact[/green]: {result.entries} entries")
    else:
        err.print(f"audit log broken at entry {result.first_broken_seq}: {result.problem}")
    if not result.ok:
        raise typer.Exit(1)


def _emit(payload: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        emit_json(payload)
    else:
        out.print(escape(text))


@cameo_app.command("challenge")
def cameo_challenge(
    ctx: typer.Context, user: Annotated[str, typer.Option(help="Who will enroll.")], as_json: JsonOpt = False
) -> None:
    """Issue a liveness challenge to perform in the verification video."""
    challenge = state(ctx).services().issue_challenge(user)
    payload = {
        "challenge_id": challenge.id,
        "digits": challenge.digits,
        "turns": list(challenge.turns),
        "expires_at": challenge.expires_at.isoformat(),
    }
    text = (
        f"challenge {challenge.id}: say {' '.join(challenge.digits)}, then turn your head "
        f"{' then '.join(challenge.turns)}; valid until {payload['expires_at']}"
    )
    _emit(payload, as_json, text)


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
    services = state(ctx).services()
    if (video is None) == (not image):
        raise SubmissionError("give either --video or --image")
    if video is not None:
        result = services.enroll_cameo(user, video, challenge)
    else:
        result = services.enroll_cameo_from_images(user, image or [])
    payload = result.to_json()
    lines = [f"cameo {payload['cameo_id']}: {payload['status']}"]
    lines += [f"  - {r['code']}: {r['message']}" for r in payload["reasons"]]
    _emit(payload, as_json, "\n".join(lines))


@cameo_app.command("show")
def cameo_show(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Cameo owner.")], as_json: JsonOpt = False
) -> None:
    """An owner's active cameo and consent settings."""
    payload = state(ctx).services().cameo_status(owner)
    _emit(payload, as_json, json.dumps(payload, indent=2))


def _receipts_payload(receipts: list[Any]) -> dict[str, Any]:
    return {
        "purged": [v for r in receipts for v in r.purged],
        "receipt": receipts[0].to_json() if len(receipts) == 1 else None,
        "receipts": [r.to_json() for r in receipts],
    }


def _receipts_text(receipts: list[Any]) -> str:
    if not receipts:
        return "nothing to purge"
    return "\n".join(
        f"receipt {r.receipt_id}: purged {len(r.purged)} video(s) ({r.reason}): {', '.join(r.purged)}" for r in receipts
    )


@cameo_app.command("permit")
def cameo_permit(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    level: Annotated[ConsentLevel, typer.Option(help="Who may use the cameo.")] = ConsentLevel.ONLY_ME,
    as_json: JsonOpt = False,
) -> None:
    """Set who may put the owner in videos: only_me, approved, mutuals or everyone (lowering it purges)."""
    receipts = state(ctx).services().set_consent_level(owner, level)
    payload = {"owner": owner, "level": level.value, **_receipts_payload(receipts)}
    _emit(payload, as_json, f"{owner}: {level.value}\n{_receipts_text(receipts)}")


@cameo_app.command("approve")
def cameo_approve(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Who is approved.")],
    as_json: JsonOpt = False,
) -> None:
    """Approve one user to use the owner's cameo."""
    state(ctx).services().approve(owner, user)
    _emit({"owner": owner, "approved": user}, as_json, f"{owner} approved {user}")


@cameo_app.command("revoke")
def cameo_revoke(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Whose approval is withdrawn.")],
    as_json: JsonOpt = False,
) -> None:
    """Withdraw one user's approval; what it allowed, and everything derived from it, is purged."""
    receipts = state(ctx).services().revoke(owner, user)
    _emit({"owner": owner, "revoked": user, **_receipts_payload(receipts)}, as_json, _receipts_text(receipts))


@cameo_app.command("block")
def cameo_block(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    user: Annotated[str, typer.Option(help="Who is blocked.")],
    as_json: JsonOpt = False,
) -> None:
    """Block one user from ever using the owner's cameo (their videos of the owner are purged)."""
    receipts = state(ctx).services().block(owner, user)
    _emit({"owner": owner, "blocked": user, **_receipts_payload(receipts)}, as_json, _receipts_text(receipts))


@cameo_app.command("restrict")
def cameo_restrict(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    text: Annotated[str, typer.Option(help='What the cameo may not be used for, e.g. "no politics, no alcohol".')],
    as_json: JsonOpt = False,
) -> None:
    """Restrict how the cameo may be used; prompts are checked against it (existing videos too)."""
    phrases, receipts = state(ctx).services().restrict(owner, text)
    payload = {"owner": owner, "restrictions": phrases, **_receipts_payload(receipts)}
    _emit(payload, as_json, f"{owner} restricts: {', '.join(phrases)}\n{_receipts_text(receipts)}")


@cameo_app.command("uses")
def cameo_uses(
    ctx: typer.Context, owner: Annotated[str, typer.Option(help="Cameo owner.")], as_json: JsonOpt = False
) -> None:
    """Every video the owner appears in (identified or declared), other people's drafts and held items included."""
    videos = state(ctx).services().cameo_uses(owner)
    text = "\n".join(f"{v['video_id']}  {v['creator']:<12} {v['status']:<10} {v['prompt'][:50]}" for v in videos)
    _emit({"owner": owner, "videos": videos}, as_json, text or "no videos")


@cameo_app.command("remove-video")
def cameo_remove_video(
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Cameo owner.")],
    video: Annotated[str, typer.Option(help="The video to take down.")],
    as_json: JsonOpt = False,
) -> None:
    """Take down one video the owner appears in, and everything derived from it."""
    receipt = state(ctx).services().remove_video(owner, video)
    _emit({"purged": list(receipt.purged), "receipt": receipt.to_json()}, as_json, _receipts_text([receipt]))


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
    payload = state(ctx).services().delete_cameo(owner, keep_protection=keep_protection)
    text = f"deleted {payload['cameo_id']}; purged {len(payload['purged'])} video(s)"
    _emit(payload, as_json, text + (" (still protected)" if payload["kept_protection"] else ""))


@protect_app.command("add")
def protect_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Name shown in evidence.")],
    image: Annotated[list[Path], typer.Option(help="A photo showing only this person (repeatable).")],
    kind: Annotated[str, typer.Option(help="public_figure, estate or opt_out.")] = "public_figure",
    as_json: JsonOpt = False,
) -> None:
    """Protect a person without enrolling: their face is never published without review."""
    payload = state(ctx).services().protect(name, image, kind)
    _emit(payload, as_json, f"protected {payload['name']} ({payload['id']}, {payload['templates']} templates)")


@protect_app.command("list")
def protect_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Protected persons."""
    people = state(ctx).services().protected_people()
    payload = {
        "protected": [
            {"id": p.id, "name": p.name, "kind": p.kind, "templates": p.templates, "since": p.created_at.isoformat()}
            for p in people
        ]
    }
    _emit(payload, as_json, "\n".join(f"{p.id}  {p.name}  ({p.kind}, {p.templates} templates)" for p in people))


@protect_app.command("remove")
def protect_remove(
    ctx: typer.Context, who: Annotated[str, typer.Argument(help="Id or name.")], as_json: JsonOpt = False
) -> None:
    """Stop protecting a person; their templates are deleted."""
    person = state(ctx).services().unprotect(who)
    _emit({"id": person.id, "name": person.name, "removed": True}, as_json, f"removed {person.name}")


@faces_app.command("compare")
def faces_compare(
    ctx: typer.Context,
    first: Annotated[Path, typer.Argument(help="First image.")],
    second: Annotated[Path, typer.Argument(help="Second image.")],
    as_json: JsonOpt = False,
) -> None:
    """Is the largest face in two images the same person?"""
    payload = state(ctx).services().compare_faces(first, second)
    text = (
        f"{payload['verdict']}: distance {payload['distance']} (threshold {payload['threshold']}, {payload['model']})"
    )
    _emit(payload, as_json, text)


@models_app.command("install")
def models_install(
    ctx: typer.Context,
    pack: Annotated[Path, typer.Argument(help="The pack zip, a local file.")],
    sha256: Annotated[str | None, typer.Option(help="Expected sha256 of the zip.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Install a face model pack from a local zip, verifying every checksum."""
    manifest = install_pack(pack, state(ctx).settings.models_root, sha256)
    payload = {"name": manifest.name, "model_id": manifest.model_id, "files": sorted(manifest.files)}
    _emit(
        payload, as_json, f"installed {manifest.name} ({manifest.model_id}); use CAMEOGUARD_FACE_PACK={manifest.name}"
    )


@models_app.command("list")
def models_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Installed face model packs."""
    packs = installed_packs(state(ctx).settings.models_root)
    payload = {"packs": [{"name": p.name, "model_id": p.model_id} for p in packs]}
    _emit(payload, as_json, "\n".join(f"{p.name}  {p.model_id}" for p in packs) or "no packs installed")


@keys_app.command("dev")
def keys_dev(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Make (if missing) the development signing chain and watermark key under HOME/keys."""
    settings = state(ctx).settings
    if settings.env == "production":
        raise ConfigurationError("development keys are refused when CAMEOGUARD_ENV=production")
    folder = settings.home / "keys"
    ensure_dev_keys(folder)
    payload = {
        "root": str(folder / "root.pem"),
        "chain": str(folder / "chain.pem"),
        "key": str(folder / "signer.key"),
        "watermark_key": str(folder / "watermark.key"),
    }
    _emit(payload, as_json, f"development keys in {folder} (root.pem is the trust anchor for verify)")


@app.command()
def verify(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="A video file.")], as_json: JsonOpt = False
) -> None:
    """Trace a copy to the video it came from (manifest, then watermark, then fingerprint) and its status."""
    payload = state(ctx).services().verify(path)
    c2pa, mark, fp = payload["c2pa"], payload["watermark"], payload["fingerprint"]
    lines = [
        f"{path}: {payload['video_id'] or 'not traced'} ({payload['status']}, by {payload['traced_by'] or 'nothing'})",
        f"  C2PA: present={c2pa['present']} valid={c2pa['valid']} trusted={c2pa['trusted']} "
        f"ai_generated={c2pa['ai_generated']} codes={','.join(c2pa['validation_codes']) or '-'}",
        f"  watermark: found={mark['found']} video={mark['video_id']}",
        f"  fingerprint: video={fp['video_id']} distance={fp['distance']}",
    ]
    _emit(payload, as_json, "\n".join(lines))


bank_app = typer.Typer(
    help="Hash banks: known-bad videos (operator) and purged ones (revocation).", no_args_is_help=True
)
app.add_typer(bank_app, name="bank")


@bank_app.command("add")
def bank_add(
    ctx: typer.Context,
    bank: Annotated[str, typer.Option(help="known_bad (or purged).")],
    video: Annotated[Path, typer.Option(help="The video whose frames to bank.")],
    note: Annotated[str, typer.Option(help="Why it is banked.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Bank a video's frame hashes: any copy of it is refused at the gate."""
    payload = state(ctx).services().bank_add(bank, video, note)
    _emit(payload, as_json, f"banked {payload['id']} in {bank} ({payload['hashes']} frame hashes)")


@bank_app.command("list")
def bank_list(
    ctx: typer.Context,
    bank: Annotated[str | None, typer.Option(help="Only this bank.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bank items."""
    items = state(ctx).services().bank_list(bank)
    text = "\n".join(f"{i['id']}  {i['bank']:<9} {i['hashes']:>3} hashes  {i['note']}" for i in items)
    _emit({"items": items}, as_json, text or "no items")


@bank_app.command("remove")
def bank_remove(
    ctx: typer.Context, entry: Annotated[str, typer.Argument(help="Item id.")], as_json: JsonOpt = False
) -> None:
    """Remove a bank item."""
    state(ctx).services().bank_remove(entry)
    _emit({"id": entry, "removed": True}, as_json, f"removed {entry}")


hook_app = typer.Typer(help="Clients of the HTTP hook.", no_args_is_help=True)
app.add_typer(hook_app, name="hook")


@hook_app.command("token")
def hook_token(ctx: typer.Context, client: str, as_json: JsonOpt = False) -> None:
    """Create or rotate a client's bearer token (shown once; only its hash is stored)."""
    token = state(ctx).services().hook_token(client)
    _emit({"client": client, "token": token}, as_json, f"token for {client} (shown once): {token}")


@app.command()
def appeal(
    ctx: typer.Context,
    video_id: str,
    by: Annotated[str, typer.Option("--by", help="The creator appealing.")],
    text: Annotated[str, typer.Option(help="Why the block is wrong.")],
    as_json: JsonOpt = False,
) -> None:
    """Appeal a blocked video; a senior reviewer upholds or overturns."""
    from safety.review import ReviewService

    item = ReviewService(state(ctx).services()).appeal(video_id, by, text)
    _emit({"video_id": video_id, "review_item_id": item}, as_json, f"appeal filed: review item {item}")


@app.command()
def sweep(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Sweep once and exit (the only mode; see `scheduler run`).")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Finish pending purges, re-check consent, apply retention, reconcile files and rows."""
    from safety.sweeps import sweep_once

    report = sweep_once(state(ctx).services()).to_json()
    text = (
        f"sweep: {'ran' if report['ran'] else 'skipped (another sweeper holds the lock)'}; "
        f"finished {len(report['purges_finished'])} purge job(s), purged {len(report['purged'])} video(s), "
        f"expired {len(report['held_expired'])}, removed {len(report['orphan_files_removed'])} orphan file(s), "
        f"withdrew {len(report['rows_without_files'])} row(s) without files"
    )
    _emit(report, as_json, text)


scheduler_app = typer.Typer(help="The background scheduler (APScheduler).", no_args_is_help=True)
app.add_typer(scheduler_app, name="scheduler")


@scheduler_app.command("run")
def scheduler_run(
    ctx: typer.Context,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps.", min=1)] = 300.0,
    run_for: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: run until ^C).")] = None,
) -> None:
    """Run sweeps on a schedule; the job is persisted in the database; only one sweeper works at a time."""
    from safety.sweeps import run_scheduler

    services = state(ctx).services()
    out.print(f"sweeping every {interval:g} s; ^C to stop")
    run_scheduler(services, interval, run_for_s=run_for)


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the pre-publish hook over HTTP (GET /health, POST /v1/check)."""
    import uvicorn

    from safety.http import create_app

    uvicorn.run(create_app(state(ctx).services()), host=host, port=port, log_level="info")


def decisions_table(views: list[dict[str, Any]], title: str) -> Table:
    """A table of videos and their decisions, newest last."""
    table = Table(title=title)
    for column in ("video", "creator", "prompt", "decision", "status", "reasons"):
        table.add_column(column, overflow="fold")
    for view in views:
        reasons = ", ".join(r["code"] for d in view["decisions"][-1:] for r in d["reasons"]) or "-"
        table.add_row(
            view["video_id"], view["creator"], view["prompt"][:40], view["decision"] or "-", view["status"], reasons
        )
    return table


_plugins_loaded = False


def _load_plugins() -> None:
    global _plugins_loaded  # noqa: PLW0603 - commands register once per process
    if _plugins_loaded:
        return
    for entry in metadata.entry_points(group="cameoguard.commands"):
        register = entry.load()
        register(app)
    _plugins_loaded = True


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code."""
    message = clash_message()
    if message:
        print(f"error: {message}", file=sys.stderr)
        return 1
    _load_plugins()
    command = typer.main.get_command(app)
    try:
        # Without standalone mode, an Exit raised by a command comes back as the return value.
        returned = command.main(args=argv, prog_name="cameoguard", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except TyperException as exc:  # usage errors: Typer prints them the way Click does
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except SafetyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 5
    except Exception as exc:
        if os.environ.get("CAMEOGUARD_DEBUG") == "1":
            raise
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 70
    return returned if isinstance(returned, int) else 0


def entrypoint() -> None:
    raise SystemExit(main())
