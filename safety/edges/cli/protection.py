"""Commands about protected people and face tools: protect, compare faces, install model packs, retroactive scans."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from safety.edges.cli.app import faces_app, models_app, protect_app, scan_app
from safety.edges.terminal import JsonOpt, emit, err, state
from safety.edges.views import comparison_json, protection_json, scan_json, to_json
from safety.faces.packs import install_pack, installed_packs
from safety.records import TemplateSubject


@protect_app.command("add")
def protect_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Name shown in evidence.")],
    image: Annotated[list[Path] | None, typer.Option(help="A photo showing only this person (repeatable).")] = None,
    audio: Annotated[
        list[Path] | None, typer.Option(help="A recording of only this person speaking (repeatable).")
    ] = None,
    kind: Annotated[str, typer.Option(help="public_figure, estate or opt_out.")] = "public_figure",
    as_json: JsonOpt = False,
) -> None:
    """Protect a person without enrolling, by face and/or voice: never published without review."""
    payload = protection_json(state(ctx).guard().protection.protect(name, image or [], kind, audio=audio or []))
    emit(payload, as_json, f"protected {payload['name']} ({payload['id']}, {payload['templates']} templates)")


@protect_app.command("list")
def protect_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Protected persons."""
    people = state(ctx).guard().protection.protected_people()
    payload = {"protected": [{**to_json(p), "since": p.created_at.isoformat()} for p in people]}
    emit(payload, as_json, "\n".join(f"{p.id}  {p.name}  ({p.kind}, {p.templates} templates)" for p in people))


@protect_app.command("remove")
def protect_remove(
    ctx: typer.Context, who: Annotated[str, typer.Argument(help="Id or name.")], as_json: JsonOpt = False
) -> None:
    """Stop protecting a person; their templates are deleted."""
    person = state(ctx).guard().protection.unprotect(who)
    emit({"id": person.id, "name": person.name, "removed": True}, as_json, f"removed {person.name}")


@faces_app.command("compare")
def faces_compare(
    ctx: typer.Context,
    first: Annotated[Path, typer.Argument(help="First image.")],
    second: Annotated[Path, typer.Argument(help="Second image.")],
    as_json: JsonOpt = False,
) -> None:
    """Is the largest face in two images the same person?"""
    payload = comparison_json(state(ctx).guard().protection.compare_faces(first, second))
    text = (
        f"{payload['verdict']}: distance {payload['distance']} (threshold {payload['threshold']}, {payload['model']})"
    )
    emit(payload, as_json, text)


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
    emit(payload, as_json, f"installed {manifest.name} ({manifest.model_id}); use CAMEOGUARD_FACE_PACK={manifest.name}")


@models_app.command("list")
def models_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Installed face model packs."""
    packs = installed_packs(state(ctx).settings.models_root)
    payload = {"packs": [{"name": p.name, "model_id": p.model_id} for p in packs]}
    emit(payload, as_json, "\n".join(f"{p.name}  {p.model_id}" for p in packs) or "no packs installed")


@scan_app.command("list")
def scan_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every retroactive scan: whom it searched for, how far it got, what it found and did."""
    scans = [scan_json(s) for s in state(ctx).guard().retro_scans.all()]
    text = "\n".join(
        f"{s['scan_id']}  {s['subject_kind']:<9} {s['subject']:<16} {s['state']:<8} "
        f"{s['videos_searched']} searched, {len(s['found'])} found"
        for s in scans
    )
    emit({"scans": scans}, as_json, text or "no scans")


@scan_app.command("run")
def scan_run(
    ctx: typer.Context,
    cameo: Annotated[str | None, typer.Option(help="Search for this cameo owner.")] = None,
    protected: Annotated[str | None, typer.Option(help="Search for this protected person (by name).")] = None,
    resume: Annotated[str | None, typer.Option(help="Resume this scan where it stopped.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a retroactive scan now, in this process (enrollment and protection start one in the background)."""
    if sum(v is not None for v in (cameo, protected, resume)) != 1:
        raise typer.BadParameter("give exactly one of --cameo, --protected or --resume")
    scans = state(ctx).guard().retro_scans
    if resume is not None:
        scan = scans.run(resume)
    else:
        kind = TemplateSubject.CAMEO if cameo is not None else TemplateSubject.PROTECTED
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} videos"), console=err
        ) as bar:
            task = bar.add_task(f"searching published videos for {cameo or protected}", total=None)
            scan = scans.start_here(kind, str(cameo or protected), on_page=lambda n: bar.advance(task, n))
    shown = scan_json(scan)
    summary = f"{shown['videos_searched']} searched, {len(shown['found'])} found"
    lines = [f"{shown['scan_id']}: {shown['state']}, {summary}"]
    lines += [f"  {f['video_id']}  {f['code']}: {f['action']}" for f in shown["found"]]
    emit(shown, as_json, "\n".join(lines))
