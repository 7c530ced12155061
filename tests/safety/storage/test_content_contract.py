"""The content stores' contract on every backend: videos and lineage, decisions, the provenance registry, hash
banks and purges."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from policies import Action
from provenance.softbinding import FINGERPRINT_ALG, WATERMARK_ALG, fingerprint_value, manifest_label, watermark_value
from safety.audit import is_personal_digest, personal_digest
from safety.clock import FakeClock
from safety.domain import AuditEntry, Decision, Reason, VideoStatus
from safety.errors import ConflictError, StatusChanged, UnknownSubjectError, UnknownVideoError
from safety.records import BankName, BindingMatch, RegistryStatus, StatusEffects, manifest_store_name
from safety.storage import Store
from tests.safety.storage.conftest import new_video

HELD_OR_BLOCKED = frozenset({VideoStatus.HELD, VideoStatus.BLOCKED})


def _videos(store: Store, clock: FakeClock, *creators: str) -> list[str]:
    """One video per creator, a second apart (so newest-first orders are unambiguous)."""
    ids = []
    for creator in creators:
        with store.transaction() as tx:
            ids.append(new_video(tx, creator))
        clock.advance(timedelta(seconds=1))
    return ids


def _entries(store: Store) -> list[AuditEntry]:
    """The audit log as committed (a transaction's entries are linked to the chain when it commits)."""
    with store.transaction() as tx:
        return list(tx.audit.entries())


# videos


def test_a_new_video_is_checking_with_its_edges(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        parent = new_video(tx, cameos=("theo",))
        child = new_video(tx, "theo", cameos=("maya", "maya"), remix_of=parent)
        tx.videos.add_cameo_edge(child, "maya")
        video = tx.videos.get(child)
    assert (video.status, video.remix_of, video.creator) == (VideoStatus.CHECKING, parent, "theo")
    assert video.draft_path is not None and video.files == (video.draft_path,)
    assert video.created_at == clock.now() and video.declared_cameos == ("maya", "maya")
    with people.transaction() as tx:
        assert tx.videos.owners_in(child) == ["maya"]
        assert tx.videos.remixes_of(parent) == [child]
        assert tx.videos.find("vid_none") is None
    with pytest.raises(UnknownVideoError), people.transaction() as tx:
        tx.videos.get("vid_none")


def test_a_status_move_is_a_compare_and_set(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        assert tx.videos.set_status(video, VideoStatus.HELD, expected=VideoStatus.CHECKING, actor="gate") is (
            VideoStatus.CHECKING
        )
    with pytest.raises(StatusChanged) as moved, people.transaction() as tx:
        tx.videos.set_status(video, VideoStatus.PUBLISHED, expected=VideoStatus.CHECKING, actor="gate")
    assert moved.value.current == "held"
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.videos.set_status(video, VideoStatus.CHECKING, expected=HELD_OR_BLOCKED, actor="gate")
    with people.transaction() as tx:
        assert tx.videos.get(video).status is VideoStatus.HELD


def test_a_decided_video_lets_go_of_its_draft_and_the_move_is_audited(people: Store) -> None:
    published = Path("/media/published/v.mp4")
    with people.transaction() as tx:
        video = new_video(tx)
        tx.videos.set_status(
            video,
            VideoStatus.PUBLISHED,
            expected=VideoStatus.CHECKING,
            actor="gate",
            effects=StatusEffects(published_path=published, policy_ref="default@2", details={"decision": "dec_1"}),
        )
        row = tx.videos.get(video)
    entry = _entries(people)[-1]
    assert (row.draft_path, row.published_path, row.policy_ref) == (None, published, "default@2")
    assert (entry.action, entry.subject) == ("video.published", video)
    assert entry.details == {"from": "checking", "to": "published", "decision": "dec_1"}


def test_a_purge_names_the_files_it_removes_once(people: Store) -> None:
    quarantine = Path("/media/quarantine/v.mp4")
    with people.transaction() as tx:
        checking, held = new_video(tx), new_video(tx)
        tx.videos.set_status(
            held,
            VideoStatus.HELD,
            expected=VideoStatus.CHECKING,
            actor="gate",
            effects=StatusEffects(quarantine_path=quarantine),
        )
        assert tx.videos.mark_purged(checking) == (VideoStatus.CHECKING, ()), "the gate owns a checking draft"
        assert tx.videos.mark_purged(held) == (VideoStatus.HELD, (str(quarantine),))
        assert tx.videos.mark_purged(held) is None
        assert tx.videos.get(held).files == ()
        assert tx.videos.file_paths() == set()


def test_descendants_are_every_remix_transitively(people: Store) -> None:
    with people.transaction() as tx:
        root = new_video(tx)
        child = new_video(tx, "theo", remix_of=root)
        grandchild = new_video(tx, remix_of=child)
        sibling = new_video(tx, remix_of=root)
        unrelated = new_video(tx)
        new_video(tx, remix_of=unrelated)
        assert sorted(tx.videos.descendants([root])) == sorted([child, grandchild, sibling])
        assert tx.videos.descendants([grandchild]) == [] and tx.videos.descendants([]) == []


def test_an_owner_sees_their_appearances_newest_first(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        declared = new_video(tx, "theo", cameos=("maya",))
    clock.advance(timedelta(seconds=1))
    with people.transaction() as tx:
        found = new_video(tx, "jun")
        tx.videos.add_cameo_edge(found, "maya")
        appearances = tx.videos.with_owner("maya")
    assert [(a.video.id, a.declared) for a in appearances] == [(found, False), (declared, True)]
    with people.transaction() as tx:
        tx.videos.mark_purged(found)
        assert tx.videos.owners_with_videos() == ["maya"]
        tx.videos.mark_purged(declared)
        assert tx.videos.owners_with_videos() == []


def test_recent_is_newest_first_and_in_status_oldest_first(people: Store, clock: FakeClock) -> None:
    first, second, third = _videos(people, clock, "maya", "theo", "maya")
    with people.transaction() as tx:
        tx.videos.set_status(second, VideoStatus.HELD, expected=VideoStatus.CHECKING, actor="gate")
        assert [v.id for v in tx.videos.recent()] == [third, second, first]
        assert [v.id for v in tx.videos.recent("maya", limit=1)] == [third]
        assert [v.id for v in tx.videos.in_status(VideoStatus.CHECKING)] == [first, third]
        assert [v.id for v in tx.videos.in_status(VideoStatus.HELD, VideoStatus.CHECKING)] == [first, second, third]


def test_untouched_videos_are_found_by_their_last_change(people: Store, clock: FakeClock) -> None:
    old, held = _videos(people, clock, "maya", "maya")
    with people.transaction() as tx:
        tx.videos.set_status(held, VideoStatus.HELD, expected=VideoStatus.CHECKING, actor="gate")
    clock.advance(timedelta(minutes=10))
    fresh = _videos(people, clock, "theo")[0]
    cutoff = clock.now() - timedelta(minutes=5)
    with people.transaction() as tx:
        assert tx.videos.checking_before(cutoff) == [old]
        assert tx.videos.held_before(cutoff) == [held]
        assert sorted(tx.videos.checking_before(clock.now() + timedelta(seconds=1))) == sorted([old, fresh])


def test_a_scrubbed_video_keeps_only_hashes_of_its_words(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx, cameos=("theo",), prompt="theo at the lake")
        tx.videos.scrub(video)
        row = tx.videos.get(video)
    # Keyed digests: a list of handles, hashed, must not reverse them.
    assert is_personal_digest(row.prompt) and "lake" not in row.prompt
    assert row.prompt == personal_digest("theo at the lake", people.audit_key)
    assert len(row.declared_cameos) == 1 and row.declared_cameos[0] == personal_digest("theo", people.audit_key)
    assert row.declared_cameos[0] != "sha256:" + hashlib.sha256(b"theo").hexdigest()


def test_published_paths_and_file_paths(people: Store) -> None:
    target = Path("/media/published/p.mp4")
    with people.transaction() as tx:
        video, other = new_video(tx), new_video(tx)
        draft = tx.videos.get(other).draft_path
        tx.videos.set_status(
            video,
            VideoStatus.PUBLISHED,
            expected=VideoStatus.CHECKING,
            actor="gate",
            effects=StatusEffects(published_path=target),
        )
        assert tx.videos.published_paths() == [(video, str(target))]
        assert tx.videos.file_paths() == {str(target), str(draft)}


# decisions


def _decision(action: Action, code: str) -> Decision:
    reason = Reason(code, action, 3, "said so", "policy text", evidence={"face": [1, 2]}, check="prompt_rules")
    return Decision(action, (reason,), {code: 0.9}, ("prompt_rules",), "default@1", {"total": 1.23456}, {"x": (1,)})


def test_decisions_are_kept_in_order_and_counted(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        first = tx.decisions.save(video, _decision(Action.REVIEW, "prompt.x"), "gate")
    clock.advance(timedelta(seconds=1))
    with people.transaction() as tx:
        tx.decisions.save(video, _decision(Action.BLOCK, "prompt.y"), "rita", note="seen")
        found = tx.decisions.for_video(video)
        assert [d.action for d in found] == ["review", "block"] and found[0].id == first
        assert found[0].reasons[0]["evidence"] == {"face": [1, 2]} and found[0].timings_ms == {"total": 1.235}
        assert tx.decisions.facts(first) == {"x": [1]} and tx.decisions.facts("dec_none") == {}
        assert tx.decisions.counts() == {"review": 1, "block": 1}
    assert _entries(people)[-1].details["codes"] == ["prompt.y"]


def test_a_scrubbed_decision_keeps_its_codes_only(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        decision_id = tx.decisions.save(video, _decision(Action.BLOCK, "prompt.x"), "gate")
        tx.decisions.scrub(video)
        reason = tx.decisions.for_video(video)[0].reasons[0]
        assert reason == {"code": "prompt.x", "action": "block", "severity": 3, "check": "prompt_rules"}
        assert tx.decisions.facts(decision_id) == {}


def test_a_decision_about_no_video_is_a_conflict(people: Store) -> None:
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.decisions.save("vid_none", _decision(Action.BLOCK, "x"), "gate")


# the registry


def test_a_publication_is_registered_and_found_again(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        tx.registry.record_publication(video, sha256="f" * 64, watermark_token=42, frame_hashes=[(0.0, b"a" * 32, 90)])
        assert tx.registry.status(video) is RegistryStatus.LIVE
        assert tx.registry.video_for_token(42) == video and tx.registry.video_for_sha256("f" * 64) == video
        assert tx.registry.video_for_token(7) is None and tx.registry.status("vid_none") is None
        assert [(h.t, h.digest, h.quality) for h in tx.registry.frame_hashes(video)] == [(0.0, b"a" * 32, 90)]
        assert tx.registry.set_status(video, RegistryStatus.PURGED) and not tx.registry.set_status(
            "x", RegistryStatus.LIVE
        )
        assert tx.registry.status(video) is RegistryStatus.PURGED


def test_publishing_again_replaces_the_record(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        tx.registry.record_publication(video, sha256="1" * 64, watermark_token=1, frame_hashes=[(0.0, b"a" * 32, 90)])
        tx.registry.record_publication(video, sha256="2" * 64, watermark_token=2, frame_hashes=[(1.0, b"b" * 32, 80)])
        assert tx.registry.fingerprint_entries() == [(video, b"b" * 32)]
        assert tx.registry.video_for_token(1) is None and tx.registry.video_for_token(2) == video


def test_the_fingerprint_stamp_moves_when_a_video_is_published_again(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        tx.registry.record_publication(video, sha256="1" * 64, watermark_token=1, frame_hashes=[(0.0, b"a" * 32, 90)])
        before = tx.registry.fingerprint_stamp()
        tx.registry.record_publication(video, sha256="2" * 64, watermark_token=2, frame_hashes=[(1.0, b"b" * 32, 80)])
        assert tx.registry.fingerprint_stamp() != before


def test_a_watermark_token_is_issued_once(people: Store) -> None:
    with people.transaction() as tx:
        first, second = new_video(tx), new_video(tx)
        tx.registry.record_publication(first, sha256="1" * 64, watermark_token=5, frame_hashes=[])
    with pytest.raises(ConflictError), people.transaction() as tx:
        tx.registry.record_publication(second, sha256="2" * 64, watermark_token=5, frame_hashes=[])


# the manifest repository


def test_a_publication_keeps_its_manifest_and_its_soft_bindings(people: Store) -> None:
    hashes = [(0.0, b"a" * 32, 90), (0.5, b"b" * 32, 80)]
    with people.transaction() as tx:
        video, other = new_video(tx), new_video(tx)
        tx.registry.record_publication(video, sha256="f" * 64, watermark_token=42, frame_hashes=hashes)
        # Another video with the same fingerprints (the same draft published twice): both are matched.
        tx.registry.record_publication(other, sha256="e" * 64, watermark_token=43, frame_hashes=hashes)
    label = manifest_label(video, 42)
    with people.transaction() as tx:
        record = tx.registry.manifest(label)
        assert record is not None and record.video_id == video and record.sha256 == "f" * 64
        assert record.store_path == manifest_store_name(video, label) and tx.registry.manifest_of(video) == record
        assert tx.registry.find_binding(WATERMARK_ALG, watermark_value(42)) == [
            BindingMatch(video, label, RegistryStatus.LIVE)
        ]
        fingerprint = fingerprint_value(hashes)
        assert fingerprint is not None
        assert {m.video_id for m in tx.registry.find_binding(FINGERPRINT_ALG, fingerprint)} == {video, other}
        assert tx.registry.find_binding(WATERMARK_ALG, watermark_value(44)) == []
        assert tx.registry.find_binding(FINGERPRINT_ALG, watermark_value(42)) == []
        assert tx.registry.manifest("urn:c2pa:none") is None and tx.registry.manifest_of("vid_none") is None
        assert tx.registry.manifest_paths() == {
            record.store_path,
            manifest_store_name(other, manifest_label(other, 43)),
        }


def test_publishing_again_replaces_the_manifest(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        tx.registry.record_publication(video, sha256="1" * 64, watermark_token=1, frame_hashes=[(0.0, b"a" * 32, 90)])
        tx.registry.record_publication(video, sha256="2" * 64, watermark_token=2, frame_hashes=[(1.0, b"b" * 32, 80)])
        assert tx.registry.manifest(manifest_label(video, 1)) is None
        assert tx.registry.find_binding(WATERMARK_ALG, watermark_value(1)) == []
        current = tx.registry.manifest_of(video)
        assert current is not None and current.manifest_id == manifest_label(video, 2) and current.sha256 == "2" * 64
        assert [m.manifest_id for m in tx.registry.find_binding(WATERMARK_ALG, watermark_value(2))] == [
            current.manifest_id
        ]


def test_a_purged_manifest_loses_its_store_but_still_resolves(people: Store) -> None:
    with people.transaction() as tx:
        video = new_video(tx)
        tx.registry.record_publication(video, sha256="1" * 64, watermark_token=9, frame_hashes=[])
        tx.registry.set_status(video, RegistryStatus.PURGED)
        label = manifest_label(video, 9)
        assert tx.registry.purge_manifests(video) == [manifest_store_name(video, label)]
        assert tx.registry.purge_manifests(video) == []
    with people.transaction() as tx:
        record = tx.registry.manifest(label)
        assert record is not None and record.store_path is None and tx.registry.manifest_paths() == set()
        assert tx.registry.find_binding(WATERMARK_ALG, watermark_value(9)) == [
            BindingMatch(video, label, RegistryStatus.PURGED)
        ]


# hash banks


def test_bank_entries_are_added_listed_and_removed(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        bad = tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"a" * 32, 90), (1.0, b"b" * 32, 80)], note="csam")
    clock.advance(timedelta(seconds=1))
    with store.transaction() as tx:
        purged = tx.banks.add_entry(BankName.PURGED, [(0.5, b"c" * 32, 70)], source_video_id="vid_x")
        assert [(e.id, e.hashes) for e in tx.banks.entries()] == [(bad, 2), (purged, 1)]
        assert [e.id for e in tx.banks.entries(BankName.PURGED)] == [purged]
        assert tx.banks.entry(purged).source_video_id == "vid_x"
        assert tx.banks.index_entries() == [
            (f"known_bad:{bad}", b"a" * 32, 0.0),
            (f"known_bad:{bad}", b"b" * 32, 1.0),
            (f"purged:{purged}", b"c" * 32, 0.5),
        ]
        tx.banks.remove_entry(bad)
        assert [e.id for e in tx.banks.entries()] == [purged] and tx.banks.stamp()[0] == 1
    with pytest.raises(UnknownSubjectError), store.transaction() as tx:
        tx.banks.entry(bad)
    assert [e.action for e in _entries(store)] == ["bank.added", "bank.removed"], "a purge's entry is its own audit"


def test_the_bank_stamp_moves_whenever_a_bank_changes(store: Store) -> None:
    with store.transaction() as tx:
        first = tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"a" * 32, 90)])
        stamps = [tx.banks.stamp()]
        tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"b" * 32, 90)])
        stamps.append(tx.banks.stamp())
    with store.transaction() as tx:
        tx.banks.remove_entry(first)
        stamps.append(tx.banks.stamp())
    assert len(set(stamps)) == 3


def test_the_bank_stamp_moves_when_the_newest_entry_is_replaced(store: Store) -> None:
    with store.transaction() as tx:
        tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"a" * 32, 90)])
        newest = tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"b" * 32, 90)])
        before = tx.banks.stamp()
    with store.transaction() as tx:
        tx.banks.remove_entry(newest)
    with store.transaction() as tx:
        tx.banks.add_entry(BankName.KNOWN_BAD, [(0.0, b"c" * 32, 90)])
        assert tx.banks.stamp() != before


# purges


def test_purge_jobs_and_tombstones(people: Store, clock: FakeClock) -> None:
    with people.transaction() as tx:
        tx.purges.tombstone("vid_a", "consent_revoked")
        tx.purges.tombstone("vid_a", "again")
        empty = tx.purges.record_job(owner="maya", creator=None, reason="sweep", video_ids=[], files=[], actor="system")
        job = tx.purges.record_job(
            owner="maya", creator="theo", reason="consent_revoked", video_ids=["vid_a"], files=["/f"], actor="maya"
        )
        assert tx.purges.is_tombstoned("vid_a") and not tx.purges.is_tombstoned("vid_b")
        assert [j.id for j in tx.purges.pending_jobs()] == [empty.id, job.id]
        assert [j.id for j in tx.purges.jobs_of("maya")] == [job.id], "jobs that purged nothing are not shown"
        tx.purges.finish_job(job.id)
        tx.purges.finish_job(job.id)
        assert tx.purges.job(job.id).finished and tx.purges.job(job.id).files == ("/f",)
        assert tx.purges.counts() == {"files_pending": 1, "done": 1, "videos": 1}
    assert [e.action for e in _entries(people)][-3:] == ["purge.recorded", "purge.recorded", "purge.files_removed"]
    with pytest.raises(UnknownSubjectError), people.transaction() as tx:
        tx.purges.job("purge_none")
