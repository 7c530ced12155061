"""A process killed mid-request leaves nothing behind: the sweeper settles the rows and removes what it left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safety import CameoGuard, Settings, build, to_json
from safety.edges.sweeps import sweep_once
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.records import ReviewSource
from safety.usecases.revocation import reconcile_in
from tests.safety.revocation_state import scenario

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

ROOT = Path(__file__).resolve().parents[2]

# A gate whose media check never returns: the process is killed while the video is `checking`.
HANGING_GATE = """
import sys, threading
from pathlib import Path
from safety import Settings, Submission, build
from safety.checks import CheckOutcome
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models

class Hang:
    name = "media"
    def run(self, context):
        print("checking", flush=True)
        threading.Event().wait(600)
        return CheckOutcome()

guard = build(Settings(home=Path(sys.argv[1]), database_url=sys.argv[2], adult_policy=sys.argv[3]),
              face_analyzer=FakeFaceAnalyzer(), models=fake_models())
guard.gate.checks = tuple(Hang() if c.name == "media" else c for c in guard.gate.checks)
guard.accounts.ensure_user("maya")
guard.videos.prepublish(Submission("maya", "a calm lake", Path(sys.argv[4])))
"""


def _age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old), follow_symlinks=False)


def test_a_gate_killed_mid_check_is_held_and_leaves_no_draft(settings: Settings, clip: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HANGING_GATE,
            str(settings.home),
            settings.resolved_database_url,
            settings.adult_policy,
            str(clip),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "checking"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    stale = settings.model_copy(update={"stale_checking_s": 0.01})
    with build(stale, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as guard:
        with guard.store.transaction() as tx:
            (video,) = tx.videos.recent()
        assert video.status.value == "checking" and video.draft_path is not None and video.draft_path.is_file()
        time.sleep(0.05)
        report = to_json(sweep_once(guard))
        assert report["stale_settled"] == [video.id]
        view = guard.videos.show(video.id)
        assert view.video.status.value == "held" and view.video.quarantine_path is not None
        assert view.video.quarantine_path.is_file() and view.video.published_path is None
        assert view.latest is not None and [r["code"] for r in view.latest.reasons] == ["check.error"]
        with guard.store.transaction() as tx:
            assert [(i.video_id, i.source) for i in tx.review.open_items()] == [(video.id, ReviewSource.GATE)]
        assert not [p for p in guard.media.area("drafts").rglob("*") if p.is_file()]
        assert to_json(sweep_once(guard))["stale_settled"] == [], "settled once"
        assert guard.tracing.verify_audit().ok


def test_the_sweeper_removes_what_killed_processes_left(services: CameoGuard) -> None:
    media = services.media
    left = {
        "upload": media.area("tmp") / "upload-k1ll3d" / "upload.mp4",
        "publishing": media.area("published") / "vid_gone" / ".publishing-abc" / "marked.mp4",
        "marking": media.area("published") / "vid_gone2" / ".marking-123-final.mp4",
        "staged": media.area("quarantine") / "vid_gone3" / ".staged-abc.mp4",
        "incoming": media.area("drafts") / "ab" / ".incoming-xyz",
        "draft": media.area("drafts") / "ab" / "abcdef-123.mp4",
        "pending cameo": media.area("cameos") / "pending-0123" / "reference_0.png",
    }
    fresh = media.area("tmp") / "upload-now" / "upload.mp4"
    for path in [*left.values(), fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left behind")
    for path in left.values():
        _age(path)
        _age(path.parent)
    report = to_json(sweep_once(services))
    assert all(not p.exists() for p in left.values()), [k for k, p in left.items() if p.exists()]
    assert not (media.area("tmp") / "upload-k1ll3d").exists() and not (media.area("published") / "vid_gone").exists()
    assert fresh.exists(), "what is being written now is left alone"
    assert report["orphan_files_removed"]


def test_a_moved_home_still_purges(services: CameoGuard, tmp_path: Path) -> None:
    """Purge jobs keep paths relative to the media root: restored elsewhere, the pending files still go."""
    state = scenario(services, chain_length=2)
    with services.store.transaction() as tx:
        tx.consent.revoke_grant("maya", "theo", __import__("safety.records").records.GrantKind.APPROVE)
        jobs = reconcile_in(
            tx, services.policies, "maya", reason="consent_revoked", actor="maya", media_root=services.media.root
        )
    assert jobs and all(not Path(f).is_absolute() for job in jobs for f in job.files)
    services.close()
    moved = tmp_path / "moved-home"
    shutil.move(str(services.settings.home), moved)
    database_url = services.settings.resolved_database_url.replace(str(services.settings.home), str(moved))
    with build(
        services.settings.model_copy(update={"home": moved, "database_url": database_url}),
        face_analyzer=FakeFaceAnalyzer(),
    ) as restored:
        left = [restored.media.root / f for job in jobs for f in job.files]
        assert left and all(p.exists() for p in left)
        report = to_json(sweep_once(restored))
        assert sorted(report["purges_finished"]) == sorted(job.id for job in jobs)
        assert not any(p.exists() for p in left)
        assert [v.video.status.value for v in map(restored.videos.show, state["chain"])] == ["purged"] * 2
