"""The demo: the gate's story end to end, on embedded defaults, in a fresh home.

It uses only what the installed packages ship: the bundled policy packs and the procedural generator. Each step
says what it shows; the run ends with the table of decisions and a check of the audit chain.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel

from generator.studio import Studio
from safety import AgeBand, Services, Settings
from safety.cli import decisions_table, emit_json, print_decision

console = Console()


def _step(title: str, body: str, quiet: bool) -> None:
    if not quiet:
        console.print(Panel(body, title=f"[bold]{title}[/bold]", title_align="left", expand=False))


def run_demo(home: Path, *, as_json: bool = False) -> list[dict[str, Any]]:
    """Run the story in `home` (wiped first); returns every decision JSON."""
    if home.exists():
        shutil.rmtree(home)
    settings = Settings(home=home)
    results: list[dict[str, Any]] = []
    quiet = as_json

    def show(result: dict[str, Any]) -> dict[str, Any]:
        results.append(result)
        if not quiet:
            print_decision(result)
        return result

    with Services(settings) as services:
        studio = Studio(services)
        _step(
            "1. Accounts",
            "maya and theo are adults who follow each other; jun is a teen account (teen policy pack).",
            quiet,
        )
        services.add_user("maya")
        services.add_user("theo")
        services.add_user("jun", AgeBand.TEEN)
        services.follow("maya", "theo")
        services.follow("theo", "maya")

        _step("2. A benign generation publishes", "maya: 'a golden retriever surfing a wave at sunset'", quiet)
        first = show(studio.generate("maya", "a golden retriever surfing a wave at sunset", seed=1))

        _step(
            "3. An unclear one is held for review",
            "theo asks for a fake news clip about an election. The prompt rules flag election deception and a\n"
            "fabricated statement; the default policy sends both to a person rather than deciding alone.",
            quiet,
        )
        show(studio.generate("theo", "breaking news: the president announces the election is cancelled", seed=2))

        _step(
            "4. A cameo without consent is blocked",
            "theo declares maya's cameo. maya has no active cameo and gave no consent: blocked.",
            quiet,
        )
        show(studio.generate("theo", "maya and me dancing on the moon", cameos=["maya"], seed=3))

        _step(
            "5. A remix publishes, with its lineage",
            f"theo remixes maya's published video {first['video_id']}: re-graded, trimmed, captioned.",
            quiet,
        )
        remix = show(studio.generate("theo", "neon remix", remix_of=first["video_id"], seed=4))

        _step(
            "6. Fail closed",
            "A drill: the prompt check is made to fail (as CAMEOGUARD_FAIL_CHECKS=prompt_rules would).\n"
            "A failing check never publishes: jun's harmless video is held for review instead.",
            quiet,
        )
        with Services(settings.model_copy(update={"fail_checks": frozenset({"prompt_rules"})})) as drill:
            show(Studio(drill).generate("jun", "paper boats racing down a rainy street", seed=5))

        _step("7. A user report", f"jun reports theo's remix {remix['video_id']}: it joins the review queue.", quiet)
        item = services.report(remix["video_id"], "jun", "looks like it was taken from someone else")
        if not quiet:
            console.print(f"review item {item} opened")

        views = [view.to_json() for view in reversed(services.recent_videos())]
        chain = services.verify_audit()
        if as_json:
            emit_json({"home": str(home), "decisions": results, "audit": {"ok": chain.ok, "entries": chain.entries}})
        else:
            console.print(decisions_table(views, "Decisions"))
            queue = services.review_queue()
            listed = ", ".join(f"{i.video_id} ({' '.join(i.reason_codes)})" for i in queue)
            console.print(f"review queue: {len(queue)} item(s): {listed}")
            state = "intact" if chain.ok else f"BROKEN at {chain.first_broken_seq}"
            console.print(f"audit log: {chain.entries} entries, hash chain {state}")
            console.print(f"published files: {home / 'media' / 'published'}")
    return results
