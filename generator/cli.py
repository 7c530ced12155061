"""The generator's commands, plugged into `cameoguard` through the `cameoguard.commands` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from generator.demo import run_demo
from generator.studio import Studio
from safety.edges.terminal import JsonOpt, report_result, state


def register(app: typer.Typer) -> None:
    """Add `generate` and `demo` to the CLI."""

    @app.command()
    def generate(
        ctx: typer.Context,
        creator: Annotated[str, typer.Option(help="Creator's handle.")],
        prompt: Annotated[str, typer.Option(help="What to generate.")],
        cameo: Annotated[list[str] | None, typer.Option(help="A cameo owner to put in the video (repeatable).")] = None,
        remix_of: Annotated[str | None, typer.Option(help="Remix this published video.")] = None,
        seed: Annotated[int, typer.Option(help="Varies the scene.")] = 0,
        duration: Annotated[float, typer.Option(help="Seconds of video.", min=0.5, max=60)] = 4.0,
        face_image: Annotated[
            list[Path] | None,
            typer.Option(help="Composite this face photo (what a model leaking a real likeness does).", hidden=True),
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Generate a video and submit it through the pre-publish gate."""
        studio = Studio(state(ctx).guard())
        result = studio.generate(
            creator,
            prompt,
            cameos=tuple(cameo or ()),
            seed=seed,
            remix_of=remix_of,
            face_images=tuple(face_image or ()),
            duration_s=duration,
        )
        report_result(result, as_json)

    @app.command()
    def demo(
        ctx: typer.Context,
        as_json: JsonOpt = False,
    ) -> None:
        """Tell the story of the gate end to end, in a fresh home under HOME/demo."""
        home = state(ctx).settings.home / "demo"
        run_demo(home, as_json=as_json)
