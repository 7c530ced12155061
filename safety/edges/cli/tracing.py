"""Commands about provenance and integrity: verify a copy, the hash banks, the audit chain, signing keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safety.edges.cli.app import app, audit_app, bank_app, keys_app
from safety.edges.terminal import JsonOpt, emit, emit_json, err, out, state
from safety.edges.views import bank_entry_json, chain_json, trace_json
from safety.errors import ConfigurationError
from safety.publishing import ensure_dev_keys, load_audit_key


@app.command()
def verify(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="A video file.")], as_json: JsonOpt = False
) -> None:
    """Trace a copy to the video it came from (manifest, then watermark, then fingerprint) and its status; every
    segment cut from a registered video is listed, and the most restrictive status of any of them wins."""
    payload = trace_json(state(ctx).guard().tracing.verify(path))
    c2pa, mark, fp = payload["c2pa"], payload["watermark"], payload["fingerprint"]
    lines = [
        f"{path}: {payload['video_id'] or 'not traced'} ({payload['status']}, by {payload['traced_by'] or 'nothing'})",
        f"  C2PA: present={c2pa['present']} valid={c2pa['valid']} trusted={c2pa['trusted']} "
        f"ai_generated={c2pa['ai_generated']} codes={','.join(c2pa['validation_codes']) or '-'}",
        f"  watermark: found={mark['found']} video={mark['video_id']}",
        f"  fingerprint: video={fp['video_id']} distance={fp['distance']}",
        *(
            f"  segment {seg['start_s']:.2f}-{seg['end_s']:.2f} s: {seg['video_id']} ({seg['status']}, "
            f"by {seg['source']})"
            for seg in payload["segments"]
        ),
    ]
    emit(payload, as_json, "\n".join(lines))


@bank_app.command("add")
def bank_add(
    ctx: typer.Context,
    bank: Annotated[str, typer.Option(help="known_bad (or purged).")],
    video: Annotated[Path, typer.Option(help="The video whose frames to bank.")],
    note: Annotated[str, typer.Option(help="Why it is banked.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Bank a video's frame hashes: any copy of it is refused at the gate."""
    payload = bank_entry_json(state(ctx).guard().tracing.bank_add(bank, video, note))
    emit(payload, as_json, f"banked {payload['id']} in {bank} ({payload['hashes']} frame hashes)")


@bank_app.command("list")
def bank_list(
    ctx: typer.Context,
    bank: Annotated[str | None, typer.Option(help="Only this bank.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bank items."""
    items = [bank_entry_json(e) for e in state(ctx).guard().tracing.bank_list(bank)]
    text = "\n".join(f"{i['id']}  {i['bank']:<9} {i['hashes']:>3} hashes  {i['note']}" for i in items)
    emit({"items": items}, as_json, text or "no items")


@bank_app.command("remove")
def bank_remove(
    ctx: typer.Context, entry: Annotated[str, typer.Argument(help="Item id.")], as_json: JsonOpt = False
) -> None:
    """Remove a bank item."""
    state(ctx).guard().tracing.bank_remove(entry)
    emit({"id": entry, "removed": True}, as_json, f"removed {entry}")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Walk the audit log's hash chain, check its signed head and hold it against the checkpoints kept outside the
    database (HOME/audit/checkpoints.log); names the first broken row."""
    result = state(ctx).guard().tracing.verify_audit()
    payload = chain_json(result)
    if as_json:
        emit_json(payload)
    elif result.ok:
        anchored = f", checkpoint at {result.checkpoint}" if result.checkpoint is not None else ", no checkpoint yet"
        out.print(f"[green]audit log intact[/green]: {result.entries} entries{anchored}")
    else:
        err.print(f"audit log broken at entry {result.first_broken_seq}: {result.problem}")
    if not result.ok:
        raise typer.Exit(1)


@keys_app.command("dev")
def keys_dev(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Make (if missing) the development signing chain and watermark key under HOME/keys."""
    settings = state(ctx).settings
    if settings.env == "production":
        raise ConfigurationError("development keys are refused when CAMEOGUARD_ENV=production")
    folder = settings.home / "keys"
    ensure_dev_keys(folder)
    load_audit_key(settings)
    payload = {
        "root": str(folder / "root.pem"),
        "chain": str(folder / "chain.pem"),
        "key": str(folder / "signer.key"),
        "watermark_key": str(folder / "watermark.key"),
        "audit_key": str(folder / "audit.key"),
    }
    emit(payload, as_json, f"development keys in {folder} (root.pem is the trust anchor for verify)")
