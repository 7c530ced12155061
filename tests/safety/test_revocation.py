"""Revocation purges what consent no longer allows and everything derived from it; sweeps finish the job."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generator import Studio
from policies import Action
from safety import CameoGuard, ConsentLevel, UnknownVideoError, VideoStatus, to_json
from safety.audit import is_personal_digest, personal_digest
from safety.domain import Decision, Reason
from safety.edges.cli import main
from safety.edges.sweeps import sweep_once
from safety.records import BankName, GrantKind, NewSubmission, TemplateSubject
from safety.usecases.review_values import AccessDenied
from safety.usecases.tracing import registry_status
from tests.conftest import reencode_copy
from tests.safety.gate.test_likeness_gate import card_image
from tests.safety.revocation_state import published_video, scenario

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects

ROOT = Path(__file__).resolve().parents[2]


def statuses(services: CameoGuard, ids: list[str]) -> list[str]:
    return [services.videos.show(v).video.status.value for v in ids]


def files_of(services: CameoGuard, video_id: str) -> list[Path]:
    return [p for p in (services.media.area("published") / video_id).glob("*") if p.is_file()]


def test_revoke_purges_the_chain_and_keeps_the_rest(services: CameoGuard) -> None:
    state = scenario(services, chain_length=3)
    chain, unrelated = state["chain"], state["unrelated"]
    receipts = services.cameos.revoke("maya", "theo")
    assert len(receipts) == 1
    receipt = to_json(receipts[0])
    assert sorted(receipt["purged"]) == sorted(chain) and receipt["owner"] == "maya" and receipt["creator"] == "theo"
    assert receipt["files_removed"] == 6, "each video's file and its manifest store"
    assert statuses(services, chain) == ["purged"] * 3
    assert statuses(services, unrelated) == ["published"] * 2
    assert all(files_of(services, v) == [] for v in chain)
    assert all(files_of(services, v) for v in unrelated)
    with services.store.transaction() as tx:
        assert {registry_status(tx, v) for v in chain} == {"purged"}
        assert tx.purges.pending_jobs() == []
        banked = {item.source_video_id for item in tx.banks.entries(BankName.PURGED)}
    assert banked == set(chain)
    assert services.cameos.revoke("maya", "theo") == []  # idempotent
    assert services.tracing.verify_audit().ok


def test_missed_purge_is_caught_by_a_sweep(services: CameoGuard) -> None:
    state = scenario(services, chain_length=3)
    with services.store.transaction() as tx:  # consent changed behind the purge machinery's back
        tx.consent.revoke_grant("maya", "theo", GrantKind.APPROVE)
    report = to_json(sweep_once(services))
    assert report["ran"] and sorted(report["purged"]) == sorted(state["chain"])
    assert statuses(services, state["unrelated"]) == ["published", "published"]
    assert to_json(sweep_once(services))["purged"] == []


def test_owner_controls(services: CameoGuard) -> None:
    state = scenario(services, chain_length=2)
    uses = to_json(services.cameos.cameo_uses("maya"))
    assert {u["video_id"] for u in uses} == {state["chain"][0], state["unrelated"][1]}
    receipt = services.cameos.remove_video("maya", state["unrelated"][1])
    assert receipt.purged == (state["unrelated"][1],)
    # A video she is not in is unknown to her, word for word as an id that does not exist.
    with pytest.raises(UnknownVideoError, match="unknown video") as not_hers:
        services.cameos.remove_video("maya", state["unrelated"][0])
    with pytest.raises(UnknownVideoError) as missing:
        services.cameos.remove_video("maya", "vid_missing")
    assert str(not_hers.value).replace(state["unrelated"][0], "ID") == str(missing.value).replace("vid_missing", "ID")
    lowered = services.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)
    assert sorted(v for r in lowered for v in r.purged) == sorted(state["chain"])


def test_sweep_reconciles_files_and_rows(services: CameoGuard) -> None:
    services.accounts.ensure_user("theo")
    kept = published_video(services, "theo", tag="kept")
    lost = published_video(services, "theo", tag="lost")
    for path in files_of(services, lost):
        path.unlink()
    orphan = services.media.area("published") / "vid_orphan" / "x.mp4"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"nobody's")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    report = to_json(sweep_once(services))
    assert report["rows_without_files"] == [lost] and str(orphan) in report["orphan_files_removed"]
    assert not orphan.exists() and files_of(services, kept)
    assert services.videos.show(lost).video.status is VideoStatus.BLOCKED


def test_only_one_sweeper_at_a_time(services: CameoGuard) -> None:
    from safety.edges.sweeps import sweeper_lock

    with sweeper_lock(services) as first:
        assert first
        assert sweep_once(services).ran is False
    assert sweep_once(services).ran is True


def test_scheduler_runs_sweeps_with_a_persistent_job(services: CameoGuard) -> None:
    from safety.edges.sweeps import run_scheduler

    scenario(services, chain_length=2)
    with services.store.transaction() as tx:
        tx.consent.revoke_grant("maya", "theo", GrantKind.APPROVE)
    run_scheduler(services, interval_s=60, run_for_s=300, max_runs=1)
    from sqlalchemy import text

    with services.database.engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM scheduler_jobs")).scalars().all() == ["sweep"]
    assert to_json(services.cameos.cameo_uses("maya"))[-1]["status"] in {"purged", "published"}
    assert {u["status"] for u in to_json(services.cameos.cameo_uses("maya")) if u["creator"] == "theo"} == {"purged"}


def test_end_to_end_with_real_media(people: CameoGuard, tmp_path: Path) -> None:
    """A cameo used by theo, remixed by jun and again by kim; revoked for theo: all three gone, copies refused."""
    people.accounts.ensure_user("kim")
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.APPROVED)
    people.cameos.approve("maya", "theo")
    studio = Studio(people)
    first = studio.generate("theo", "maya on a swing", cameos=["maya"], duration_s=1.5, seed=1)
    second = studio.generate("jun", "remix", remix_of=first["video_id"], seed=2)
    third = studio.generate("kim", "remix of a remix", remix_of=second["video_id"], seed=3)
    unrelated = studio.generate("theo", "a quiet lake", duration_s=1.5, seed=4)
    assert [r["decision"] for r in (first, second, third, unrelated)] == ["publish"] * 4
    saved = tmp_path / "saved.mp4"
    saved.write_bytes(Path(first["published_path"]).read_bytes())

    receipts = people.cameos.revoke("maya", "theo")
    report = to_json(sweep_once(people))
    assert report["ran"]
    chain = [first["video_id"], second["video_id"], third["video_id"]]
    assert sorted(receipts[0].purged) == sorted(chain)
    assert statuses(people, chain) == ["purged"] * 3 and statuses(people, [unrelated["video_id"]]) == ["published"]
    assert all(not Path(r["published_path"]).exists() for r in (first, second, third))
    assert to_json(people.tracing.verify(saved))["status"] == "purged"
    copy = reencode_copy(saved, tmp_path / "copy.mp4")
    assert to_json(people.tracing.verify(copy))["status"] == "purged"
    again = to_json(people.videos.prepublish_file("jun", "totally new", copy))
    assert again["decision"] == "block" and "hash.purged" in [r["code"] for r in again["reasons"]]


KILL_SCRIPT = """
import sys
from pathlib import Path
from safety import CameoGuard, build, Settings
services = build(Settings(home=Path(sys.argv[1]), database_url=sys.argv[2]))
print("ready", flush=True)
services.cameos.revoke("maya", "theo")
print("done", flush=True)
"""


# Three random kill points per database here; `make hardening` runs thirty.
@pytest.mark.parametrize("iteration", range(int(os.environ.get("CAMEOGUARD_KILL_ITERATIONS", "3"))))
def test_purge_killed_at_random_points_finishes_on_the_next_sweep(services: CameoGuard, iteration: int) -> None:
    state = scenario(services, chain_length=4, fan_out=3)
    chain = state["chain"]
    all_files = {v: files_of(services, v) for v in chain}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(services.settings.home), services.settings.resolved_database_url],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    delay = random.Random(iteration).uniform(0.0, 0.12)  # a revocation of this scenario takes about 0.1 s
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()

    to_json(sweep_once(services))  # what the next run does
    purged = statuses(services, chain)
    with services.store.transaction() as tx:
        revoked = not tx.consent.snapshot("maya", "theo").approved
        pending = tx.purges.pending_jobs()
    assert pending == []
    if revoked:
        assert purged == ["purged"] * len(chain), f"killed after {delay:.3f} s"
        assert all(not p.exists() for files in all_files.values() for p in files)
    else:
        assert purged == ["published"] * len(chain)
        assert all(p.exists() for files in all_files.values() for p in files)
    assert statuses(services, state["unrelated"]) == ["published", "published"]
    assert services.tracing.verify_audit().ok


def test_cli_owner_commands(
    services: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = scenario(services, chain_length=2)
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", services.settings.resolved_database_url)
    home = ["--home", str(services.settings.home)]

    def run(*args: str) -> dict[str, Any]:
        capsys.readouterr()
        assert main([*home, *args, "--json"]) == 0
        data: dict[str, Any] = json.loads(capsys.readouterr().out)
        return data

    assert len(run("cameo", "uses", "--owner", "maya")["videos"]) == 2
    revoked = run("cameo", "revoke", "--owner", "maya", "--user", "theo")
    assert sorted(revoked["purged"]) == sorted(state["chain"]) and revoked["receipt"]["owner"] == "maya"
    assert run("sweep", "--once")["ran"] is True
    with services.store.transaction() as tx:
        tx.templates.add_templates(
            TemplateSubject.CAMEO, "maya", "test", [bytes(np.full(128, v, np.float32)) for v in (0.1, 0.2)]
        )
    deleted = run("cameo", "delete", "--owner", "maya", "--keep-protection")
    assert deleted["kept_protection"] is True
    assert [(p.name, p.templates) for p in services.protection.protected_people()] == [("@maya", 1)]
    with services.store.transaction() as tx:
        assert tx.templates.templates_of(TemplateSubject.CAMEO, "maya") == []


def test_consent_commands_say_what_they_do(
    services: CameoGuard, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`permit` needs a level; raising a level purges nothing; a revocation's receipt lists only what it removed,
    with the creator whose consent ended; `receipts` lists an owner's receipts."""
    state = scenario(services, chain_length=2)
    with services.store.transaction() as tx:
        tx.consent.set_grant("maya", "jun", GrantKind.APPROVE)
    juns = published_video(services, "jun", owner="maya", tag="jun's")
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", services.settings.resolved_database_url)
    home = ["--home", str(services.settings.home)]
    before = statuses(services, [*state["chain"], juns])
    assert main([*home, "cameo", "permit", "--owner", "maya"]) == 2, "a level is required"
    assert "--level" in capsys.readouterr().err
    assert statuses(services, [*state["chain"], juns]) == before
    with services.store.transaction() as tx:  # jun's approval ends behind the purge machinery's back
        tx.consent.revoke_grant("maya", "jun", GrantKind.APPROVE)
    assert services.cameos.set_consent_level("maya", ConsentLevel.MUTUALS) == [], "raising never purges"
    assert statuses(services, [juns]) == ["published"]
    receipts = services.cameos.revoke("maya", "theo")
    assert [(r.creator, sorted(r.purged)) for r in receipts] == [("theo", sorted(state["chain"]))]
    assert statuses(services, [juns]) == ["published"], "another creator's video is not this revocation's to purge"
    assert main([*home, "receipts", "--owner", "maya", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["receipts"]
    assert [(r["receipt_id"], r["creator"], sorted(r["purged"])) for r in listed] == [
        (receipts[0].receipt_id, "theo", sorted(state["chain"]))
    ]
    assert listed[0]["files_removed"] == receipts[0].files_removed


def test_a_purged_video_keeps_hashes_not_words(services: CameoGuard) -> None:
    """After a purge, no prompt text and no evidence naming people remain; SQLite overwrites what it deletes."""
    state = scenario(services, chain_length=2)
    with services.store.transaction() as tx:
        prompts = {v: tx.videos.get(v).prompt for v in state["chain"]}
        named = Reason("likeness.identified", Action.PUBLISH, 1, "maya's face", "", {"owner": "maya"}, "likeness")
        decision = Decision(
            Action.PUBLISH,
            (named,),
            {},
            ("likeness",),
            "default@test",
            facts={"likeness": {"faces": [{"identity": "maya"}]}},
        )
        decision_id = tx.decisions.save(state["chain"][0], decision, "gate")
        assert tx.decisions.facts(decision_id)
    services.cameos.revoke("maya", "theo")
    with services.store.transaction() as tx:
        for video_id, prompt in prompts.items():
            video = tx.videos.get(video_id)
            assert is_personal_digest(video.prompt) and prompt not in video.prompt
            assert all(is_personal_digest(c) for c in video.declared_cameos)
            for stored in tx.decisions.for_video(video_id):
                assert all(set(r) <= {"code", "action", "severity", "check"} for r in stored.reasons)
                assert tx.decisions.facts(stored.id) == {} and "maya" not in str(stored.reasons)
    if not services.database.is_postgres:
        with services.database.engine.connect() as conn:
            from sqlalchemy import text

            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1


def _plain_hashes(values: list[str]) -> set[str]:
    """What someone with the database and a list of handles (or likely prompts) computes: every plain hash form."""
    found = set()
    for value in values:
        digest = hashlib.sha256(value.encode()).hexdigest()
        found |= {digest, digest[:16], f"sha256:{digest}"}
    return found


def test_a_dictionary_of_handles_does_not_name_a_purged_videos_owners(services: CameoGuard, tmp_path: Path) -> None:
    """Issue 28.6: every value a purge leaves behind that stands for a person or a prompt is keyed (HMAC under a
    key the database does not hold); hashing a list of handles and prompts matches none of them."""
    state = scenario(services, chain_length=2)
    root = state["chain"][0]
    with services.store.transaction() as tx:
        prompt = tx.videos.get(root).prompt
        tx.submissions.create(
            NewSubmission(
                client="platform",
                video_id=root,
                creator="theo",
                prompt=prompt,
                cameos=("maya",),
                remix_of=None,
                video_path=tmp_path / "copy.mp4",
                input_image_path=None,
                callback_url=None,
            )
        )
    services.cameos.revoke("maya", "theo")
    dictionary = _plain_hashes(["maya", "theo", "jun", "kim", prompt])
    with services.database.engine.connect() as conn:
        from sqlalchemy import text

        video = conn.execute(text("SELECT prompt, declared_cameos FROM videos WHERE id = :v"), {"v": root}).one()
        submission = conn.execute(text("SELECT prompt, cameos FROM submissions WHERE video_id = :v"), {"v": root}).one()
        stored = [video[0], *_json_list(video[1]), submission[0], *_json_list(submission[1])]
        audit = [
            str(row[0]) + json.dumps(row[1]) for row in conn.execute(text("SELECT subject, details FROM audit_log"))
        ]
    assert stored and all(is_personal_digest(value) for value in stored)
    assert not dictionary & set(stored)
    assert not any(h in line for line in audit for h in dictionary)
    # Whoever holds the key can still answer for one given handle.
    assert personal_digest("maya", services.store.audit_key) in stored


def _json_list(value: object) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value)  # type: ignore[arg-type]


def test_a_failed_console_login_is_audited_under_a_keyed_digest(services: CameoGuard) -> None:
    review = services.review_service()
    with pytest.raises(AccessDenied):
        review.login("olga.reviewer", "wrong password", client="test")
    with services.store.transaction() as tx:
        failed = [e for e in tx.audit.entries() if e.action == "reviewer.login_failed"]
    assert failed and failed[-1].subject == personal_digest("olga.reviewer", services.store.audit_key)
    assert not _plain_hashes(["olga.reviewer"]) & {failed[-1].subject}
