"""The demo: the gate's story end to end, on embedded defaults, in a fresh home.

It uses only what the installed packages ship: the bundled policy packs, the procedural generator, the dlib
models of `face_recognition_models`, and the sample photos bundled with `insightface` (a group photo, `t1.jpg`,
and a portrait of Tom Hanks). Each step says what it shows; the run ends with the table of decisions, the review
queue and a check of the audit chain.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from PIL import Image
from rich.console import Console
from rich.panel import Panel

from generator.render import load_face_image, render_photo_pan, write_mp4
from generator.studio import Studio
from safety import AgeBand, CameoGuard, ConsentLevel, RetroScanRecord, RetroScanState, Settings, build, to_json
from safety.edges.terminal import decisions_table, emit_json, print_decision

console = Console()


def sample_photos() -> tuple[Path, Path]:
    """The group photo and the portrait that the insightface package ships."""
    import insightface

    folder = Path(insightface.__file__).parent / "data" / "images"
    return folder / "t1.jpg", folder / "Tom_Hanks_54745.png"


def _step(title: str, body: str, quiet: bool) -> None:
    if not quiet:
        # Bodies are written as lines for the source; the panel re-wraps them to the terminal's width.
        text = " ".join(line.strip() for line in body.splitlines())
        console.print(Panel(text, title=f"[bold]{title}[/bold]", title_align="left", expand=False))


def _crop_faces(services: CameoGuard, group_photo: Path, folder: Path) -> list[Path]:
    """Each face of the group photo, cropped with a margin, left to right."""
    folder.mkdir(parents=True, exist_ok=True)
    with Image.open(group_photo) as opened:
        image = opened.convert("RGB")
    crops = []
    for index, box in enumerate(sorted(services.protection.faces_in_image(group_photo), key=lambda b: b.left)):
        margin = box.width // 2
        crop = image.crop((box.left - margin, box.top - margin, box.right + margin, box.bottom + margin))
        path = folder / f"person_{index}.png"
        crop.save(path)
        crops.append(path)
    return crops


def shrink_copy(source: Path, target: Path) -> Path:
    """A re-uploaded copy: half size, low quality, no metadata (what someone saving and reposting produces)."""
    frames = []
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        fps = round(float(stream.average_rate or 24))
        for frame in container.decode(stream):
            pixels = frame.to_ndarray(format="rgb24")
            small = cv2.resize(
                pixels, (pixels.shape[1] // 4 * 2, pixels.shape[0] // 4 * 2), interpolation=cv2.INTER_AREA
            )
            frames.append(np.asarray(small, dtype=np.uint8))
    return write_mp4(iter(frames), target, width=frames[0].shape[1], height=frames[0].shape[0], fps=fps, audio_seed=9)


def _spoken(folder: Path, voice: str, text: str) -> Path | None:
    """`text` said by espeak-ng's `voice` as a WAV file; None when espeak-ng is not installed."""
    if shutil.which("espeak-ng") is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    wav = folder / f"spoken-{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True, capture_output=True)
    return wav


def _finished(services: CameoGuard, scan_id: str | None, timeout_s: float = 300.0) -> RetroScanRecord:
    """Wait for a retroactive scan the engine runs in the background."""
    if scan_id is None:
        raise RuntimeError("no scan was started")
    deadline = time.monotonic() + timeout_s
    while True:
        scan = services.retro_scans.get(scan_id)
        if scan.state is RetroScanState.DONE or time.monotonic() > deadline:
            return scan
        time.sleep(0.2)


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
            for face in result.get("faces", []):
                who = face["identity"] or f"unknown (nearest {face['nearest']}, {face['verdict']})"
                console.print(
                    f"    face {face['t_start']:.1f}-{face['t_end']:.1f} s: {who}, distance {face['distance']}"
                )
        return result

    def say(text: str) -> None:
        if not quiet:
            console.print(text)

    group_photo, portrait = sample_photos()
    with build(settings) as services:
        studio = Studio(services)
        _step(
            "1. Accounts",
            "maya, theo and kai are adults; maya and theo follow each other, so do maya and kai; jun is a teen "
            "account (teen policy pack).",
            quiet,
        )
        services.accounts.add_user("maya")
        services.accounts.add_user("theo")
        services.accounts.add_user("jun", AgeBand.TEEN)
        services.accounts.add_user("kai")
        for a, b in (("maya", "theo"), ("theo", "maya"), ("maya", "kai"), ("kai", "maya")):
            services.accounts.follow(a, b)

        _step(
            "2. Cameos",
            "A cameo normally starts with a verification video (one live person, a liveness challenge). No real\n"
            "verification video ships with any installed package, so here an operator has verified two people\n"
            "another way and enrolls them from faces in insightface's sample group photo: operator-verified.\n"
            "Then someone tries to enroll from a photo panned and zoomed across the screen: refused as a replay.",
            quiet,
        )
        crops = _crop_faces(services, group_photo, home / "inputs")
        for handle, crop in (("maya", crops[0]), ("theo", crops[1])):
            enrolled = to_json(services.cameos.enroll_cameo_from_images(handle, [crop]))
            say(f"{handle}: cameo {enrolled['cameo_id']} {enrolled['status']} (operator-verified photo)")
        replay = render_photo_pan(load_face_image(crops[3]), home / "inputs" / "replay.mp4", duration_s=3.0)
        refused = to_json(services.cameos.enroll_cameo("jun", replay))
        say(f"jun, from a panned photo: {refused['status']}: " + "; ".join(r["message"] for r in refused["reasons"]))

        _step("3. A protected person", "The operator protects Tom Hanks from one photo; he never enrolls.", quiet)
        protected = services.protection.protect("Tom Hanks", [portrait])
        say(f"protected {protected.name} ({protected.id})")

        _step("4. A benign generation publishes", "maya: 'a golden retriever surfing a wave at sunset'", quiet)
        show(studio.generate("maya", "a golden retriever surfing a wave at sunset", seed=1))

        _step("5. Her own cameo", "maya puts herself in a video: her face is identified, and it is hers.", quiet)
        own = show(studio.generate("maya", "me waving from a sailing boat", cameos=["maya"], seed=2))

        _step(
            "6. Someone else's cameo, without consent",
            "theo puts maya in a video. Her cameo is only_me (the default): blocked, evidence names her.",
            quiet,
        )
        show(studio.generate("theo", "maya and me dancing on the moon", cameos=["maya"], seed=3))

        _step("7. Consent given", "maya lets mutuals use her cameo; theo follows her back. The same request:", quiet)
        services.cameos.set_consent_level("maya", ConsentLevel.MUTUALS)
        dance = show(studio.generate("theo", "maya and me dancing on the moon", cameos=["maya"], seed=3))

        _step(
            "8. Restrictions, in her own words",
            'maya writes what her likeness may not be used for, in English and French: "no alcohol, pas de\n'
            "politique\". The gate understands topics, not only words: theo's prompt never says alcohol, and a\n"
            "French campaign prompt never says politique. Both are blocked, the evidence naming the topic and the\n"
            "words that carried it.",
            quiet,
        )
        understood = services.cameos.restrict("maya", "no alcohol, pas de politique")
        say(f"understood: topics {list(understood.topics)}, phrases {list(understood.phrases)}")
        for seed, prompt in (
            (31, "maya and me tasting a merlot at a vineyard"),
            (32, "maya soutient un candidat aux municipales"),
        ):
            refused = show(studio.generate("theo", prompt, cameos=["maya"], seed=seed))
            for reason in refused["reasons"]:
                if reason["code"] == "likeness.restriction_violated":
                    evidence = reason["evidence"]
                    topic = evidence.get("topic") or evidence.get("phrase")
                    say(f"    restriction: {topic} ({evidence['how']}, {evidence['score']}), words {evidence['words']}")

        _step(
            "9. A leaked likeness",
            "jun's generation comes back with Tom Hanks's face in it (what a model that leaks a real likeness\n"
            "does). Nobody declared him; the gate finds him anyway: blocked.",
            quiet,
        )
        show(studio.generate("jun", "a man giving a speech", face_images=[portrait], seed=4))

        _step(
            "10. An unclear prompt is held for review",
            "theo asks for a fake news clip about an election: held for a person to decide.",
            quiet,
        )
        show(studio.generate("theo", "breaking news: the president announces the election is cancelled", seed=5))

        _step(
            "10b. Speech in another language",
            "jun's harmless prompt comes back with a voice saying, in Portuguese, 'I am going to kill you and your\n"
            "whole family tonight' (espeak-ng speaks it). The speech check detects the language of each stretch of\n"
            "speech, reads it in Portuguese and judges it as it is: a threat, not published; the evidence has the\n"
            "words, the language and the time span.",
            quiet,
        )
        spoken = _spoken(home / "inputs", "pt-br", "Eu vou matar você e toda a sua família esta noite.")
        if spoken is None:
            say("espeak-ng is not installed (apt-get install espeak-ng): this step is skipped.")
        else:
            heard = show(studio.generate("jun", "paper boats on a pond", seed=13, voice=spoken))
            for reason in heard["reasons"]:
                evidence = reason.get("evidence") or {}
                if evidence.get("source") == "speech":
                    say(
                        f"    {reason['code']} at {evidence['t_start']}-{evidence['t_end']} s "
                        f"[{evidence.get('language')}]: {evidence.get('text')}"
                    )

        _step(
            "11. A remix", f"theo remixes maya's cameo video {own['video_id']}: re-graded, trimmed, captioned.", quiet
        )
        remix = show(studio.generate("theo", "neon remix", remix_of=own["video_id"], seed=6))

        _step(
            "12. Fail closed",
            "A drill: the prompt check is made to fail (as CAMEOGUARD_FAIL_CHECKS=prompt_rules would).\n"
            "A failing check never publishes: jun's harmless video is held for review instead.",
            quiet,
        )
        with build(settings.model_copy(update={"fail_checks": frozenset({"prompt_rules"})})) as drill:
            show(Studio(drill).generate("jun", "paper boats racing down a rainy street", seed=7))

        _step("13. A user report", f"jun reports theo's remix {remix['video_id']}: it joins the review queue.", quiet)
        item = services.videos.report(remix["video_id"], "jun", "looks like it was taken from someone else")
        say(f"review item {item} opened")

        _step(
            "14. Provenance",
            f"Every published file carries a signed C2PA manifest, a moving visible label and an invisible\n"
            f"watermark. Verifying maya's published video {own['video_id']}, then a copy of it shrunk to half size,\n"
            "re-compressed and stripped of its metadata:",
            quiet,
        )
        published = Path(own["published_path"])
        verified = to_json(services.tracing.verify(published))
        copy = shrink_copy(published, home / "inputs" / "stripped_copy.mp4")
        traced = to_json(services.tracing.verify(copy))
        for name, report in (("published file", verified), ("stripped copy", traced)):
            c2pa = report["c2pa"]
            say(
                f"{name}: traced to {report['video_id']} by {report['traced_by']} ({report['status']}); "
                f"C2PA present={c2pa['present']} valid={c2pa['valid']} trusted={c2pa['trusted']} "
                f"ai_generated={c2pa['ai_generated']}; watermark found={report['watermark']['found']}; "
                f"fingerprint distance={report['fingerprint']['distance']}"
            )
        results.append({"verify": verified, "verify_copy": traced})

        _step(
            "15. Revocation",
            f"kai (a mutual of maya's) remixes theo's dance video {dance['video_id']}, and someone saves a copy of\n"
            "theo's video. Then maya changes her mind: only_me. Everything made with her face by others (theo's\n"
            "dance video, kai's remix of it, theo's remix of her own video) is purged: unpublished, files deleted,\n"
            "fingerprints banked, tombstoned. She gets a receipt; the saved copy verifies as purged and cannot\n"
            "come back.",
            quiet,
        )
        chain_remix = show(studio.generate("kai", "moon dance, slowed down", remix_of=dance["video_id"], seed=8))
        saved = home / "inputs" / "saved_copy.mp4"
        shutil.copyfile(dance["published_path"], saved)
        receipts = services.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)
        for receipt in receipts:
            say(f"receipt {receipt.receipt_id} for maya ({receipt.reason}, creator {receipt.creator}):")
            for video_id in receipt.purged:
                say(f"  purged {video_id}")
        copy_status = services.tracing.verify(saved).status
        again = services.videos.prepublish_file("jun", "my own video, honestly", saved).to_json()
        say(
            f"the saved copy verifies as: {copy_status}; re-uploading it: {again['decision']} "
            f"({', '.join(r['code'] for r in again['reasons'] if r['action'] != 'publish')})"
        )
        results.append(
            {
                "revocation": to_json(receipts),
                "copy_status": copy_status,
                "reupload": again["decision"],
                "chain_remix": chain_remix["video_id"],
            }
        )

        _step(
            "16. Approval of each use",
            "theo lets everyone use his cameo, but wants to approve every video before it publishes. maya puts\n"
            "him in one: it passes every check and waits for him (pending_owner). He approves it: published.\n"
            "A second one he declines: blocked, never published.",
            quiet,
        )
        services.cameos.set_consent_level("theo", ConsentLevel.EVERYONE)
        services.cameos.set_approve_each_use("theo", True)
        waiting = show(studio.generate("maya", "theo juggling oranges in the park", cameos=["theo"], seed=9))
        say(f"waiting for: {', '.join(waiting['awaiting_owners'])}")
        approved = services.use_requests.approve("theo", waiting["video_id"])
        say(f"theo approves {waiting['video_id']}: {approved.status.value if approved else 'still waiting'}")
        second = show(studio.generate("maya", "theo asleep on the sofa", cameos=["theo"], seed=10))
        declined = services.use_requests.decline("theo", second["video_id"])
        say(f"theo declines {second['video_id']}: {declined.status.value if declined else 'still waiting'}")
        results.append(
            {
                "approved_use": approved.to_json() if approved else None,
                "declined_use": declined.to_json() if declined else None,
            }
        )

        _step(
            "17. Guardians",
            "jun (a teen) enrolls, with lea, an adult, as guardian. jun approves kai, an adult, to use her cameo,\n"
            "but an adult also needs a guardian's allowance: blocked. lea allows kai: published. Then lea caps\n"
            "jun's cameo at only_me: kai's video is purged, with a receipt. Every guardian action is audited.",
            quiet,
        )
        services.accounts.add_user("lea")
        to_json(services.cameos.enroll_cameo_from_images("jun", [crops[2]]))
        services.guardians.add("jun", "lea")
        services.cameos.set_consent_level("jun", ConsentLevel.APPROVED)
        services.cameos.approve("jun", "kai")
        show(studio.generate("kai", "jun and me building a sandcastle", cameos=["jun"], seed=11))
        services.guardians.allow("lea", "jun", "kai")
        allowed = show(studio.generate("kai", "jun and me building a sandcastle", cameos=["jun"], seed=11))
        capped = services.guardians.cap_level("lea", "jun", ConsentLevel.ONLY_ME)
        for receipt in capped:
            say(f"receipt {receipt.receipt_id} for jun ({receipt.reason}): purged {', '.join(receipt.purged)}")
        results.append({"guardian_purged": [v for r in capped for v in r.purged], "guarded_video": allowed["video_id"]})

        _step(
            "18. A likeness found after the fact",
            "theo publishes a video with a stranger's face in it: nobody enrolled looks like them, so it\n"
            "publishes. Later that person enrolls as nia (only_me). Published videos are searched from the face\n"
            "embeddings the gate kept (nothing is decoded again): theo's video is purged, and nia gets a receipt.",
            quiet,
        )
        stranger = show(studio.generate("theo", "a stranger waving at the camera", face_images=[crops[3]], seed=12))
        services.accounts.add_user("nia")
        enrolled = services.cameos.enroll_cameo_from_images("nia", [crops[3]])
        scan = _finished(services, enrolled.scan_id)
        for found in scan.found:
            say(f"scan {scan.id}: {found['video_id']} {found['code']}: {found['action']}")
        say(
            f"{scan.videos_searched} published video(s) searched; {stranger['video_id']} is now "
            f"{services.videos.show(stranger['video_id']).video.status.value}"
        )
        results.append({"retro_scan": to_json(scan)})

        views = [to_json(view) for view in reversed(services.videos.recent_videos())]
        chain = services.tracing.verify_audit()
        if as_json:
            emit_json({"home": str(home), "decisions": results, "audit": {"ok": chain.ok, "entries": chain.entries}})
        else:
            console.print(decisions_table(views, "Decisions"))
            queue = services.videos.review_queue()
            listed = ", ".join(f"{i.video_id} ({' '.join(i.reason_codes)})" for i in queue)
            console.print(f"review queue: {len(queue)} item(s): {listed}")
            state = "intact" if chain.ok else f"BROKEN at {chain.first_broken_seq}"
            console.print(f"audit log: {chain.entries} entries, hash chain {state}")
            console.print(f"published files: {home / 'media' / 'published'}")
    return results
