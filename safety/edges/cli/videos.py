"""Commands about videos: check one through the gate, show one, report one, appeal a block."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safety.access import OPERATOR
from safety.domain import Submission
from safety.edges.cli.app import app
from safety.edges.terminal import JsonOpt, emit, emit_json, out, report_result, state
from safety.edges.views import video_json


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
    report_result(state(ctx).guard().videos.prepublish(submission), as_json)


@app.command()
def show(ctx: typer.Context, video_id: str, as_json: JsonOpt = False) -> None:
    """A video's status, published file and decisions."""
    payload = video_json(state(ctx).guard().videos.show(video_id))
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
    # The operator's tool files a report for anyone about any video; the API lets a user report only what they see.
    item = state(ctx).guard().videos.report(video_id, by, reason, viewer=OPERATOR)
    if as_json:
        emit_json({"video_id": video_id, "review_item_id": item})
    else:
        out.print(f"reported {video_id}: review item {item}")


@app.command()
def appeal(
    ctx: typer.Context,
    video_id: str,
    by: Annotated[str, typer.Option("--by", help="The creator appealing.")],
    text: Annotated[str, typer.Option(help="Why the block is wrong.")],
    as_json: JsonOpt = False,
) -> None:
    """Appeal a blocked video; a senior reviewer upholds or overturns."""
    item = state(ctx).guard().review_service().appeal(video_id, by, text)
    emit({"video_id": video_id, "review_item_id": item}, as_json, f"appeal filed: review item {item}")
