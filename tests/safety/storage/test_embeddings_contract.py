"""The embedding stores' contract on every backend: face templates with protected people, and track embeddings
with retroactive scans."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from safety.clock import FakeClock
from safety.domain import TrackEmbedding, VideoStatus
from safety.errors import ConflictError, UnknownSubjectError
from safety.records import ProtectionKind, RetroScanState, TemplateSubject
from safety.storage import Store
from tests.safety.storage.conftest import new_video

# face templates and protected people


def test_templates_are_kept_per_subject_in_insertion_order(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.templates.add_templates(TemplateSubject.CAMEO, "maya", "m1", [b"1", b"2"]) == 2
        tx.templates.add_templates(TemplateSubject.PROTECTED, "Ada", "m1", [b"3"])
        tx.templates.add_templates(TemplateSubject.CAMEO, "maya", "m2", [b"4"])
        assert [t.vector for t in tx.templates.templates_of(TemplateSubject.CAMEO, "maya")] == [b"1", b"2", b"4"]
        assert [(t.subject, t.vector) for t in tx.templates.gallery("m1")] == [
            ("maya", b"1"),
            ("maya", b"2"),
            ("Ada", b"3"),
        ]
        assert tx.templates.delete_templates(TemplateSubject.CAMEO, "maya") == 3
        assert tx.templates.gallery_stamp("m2")[0] == 0 and tx.templates.gallery("m1")[0].subject == "Ada"


def test_the_gallery_stamp_moves_when_templates_are_replaced(store: Store) -> None:
    # A re-enrolment replaces a subject's templates with as many new ones: a cached gallery must see the change.
    with store.transaction() as tx:
        tx.templates.add_templates(TemplateSubject.CAMEO, "maya", "m1", [b"old-1", b"old-2"])
        before = tx.templates.gallery_stamp("m1")
    with store.transaction() as tx:
        tx.templates.delete_templates(TemplateSubject.CAMEO, "maya")
    with store.transaction() as tx:
        tx.templates.add_templates(TemplateSubject.CAMEO, "maya", "m1", [b"new-1", b"new-2"])
        assert tx.templates.gallery_stamp("m1") != before


def test_protected_people_are_listed_by_name_and_removed_with_their_templates(store: Store) -> None:
    with store.transaction() as tx:
        zed = tx.templates.add_protected("Zed", ProtectionKind.ESTATE)
        tx.templates.add_protected("Ada", ProtectionKind.PUBLIC_FIGURE)
        tx.templates.add_templates(TemplateSubject.PROTECTED, "Zed", "m1", [b"1", b"2"])
        tx.templates.set_protected_photos(zed, [Path("/p/zed.png")])
        listed = tx.templates.list_protected()
        assert [(p.name, p.kind, p.templates) for p in listed] == [
            ("Ada", ProtectionKind.PUBLIC_FIGURE, 0),
            ("Zed", ProtectionKind.ESTATE, 2),
        ]
        assert tx.templates.protected_file_paths() == {"/p/zed.png"}
        assert tx.templates.remove_protected("Zed").id == zed
        assert tx.templates.gallery("m1") == [] and tx.templates.protected_file_paths() == set()
        assert [p.name for p in tx.templates.list_protected()] == ["Ada"]
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.templates.add_protected("Ada", ProtectionKind.OPT_OUT)
    with pytest.raises(UnknownSubjectError), store.transaction() as tx:
        tx.templates.remove_protected("Zed")


# track embeddings and retroactive scans


def _embedding(model: str = "m1", vector: bytes = b"v") -> TrackEmbedding:
    return TrackEmbedding("face", 0, 0.5, model, vector)


def test_published_pages_read_embeddings_of_published_videos_only(people: Store) -> None:
    with people.transaction() as tx:
        ids = sorted(new_video(tx) for _ in range(3))
        for video in ids:
            tx.tracks.add_embeddings(video, [_embedding(), _embedding("m2")])
        for video in ids[:2]:
            tx.videos.set_status(video, VideoStatus.PUBLISHED, expected=VideoStatus.CHECKING, actor="gate")
        assert tx.tracks.count() == 6
        assert tx.tracks.published_page("m1", after_video="", videos=1) == ([ids[0]], [(ids[0], "face", b"v")])
        assert tx.tracks.published_page("m1", after_video=ids[0], videos=5)[0] == [ids[1]]
        assert tx.tracks.published_page("m3", after_video="", videos=5) == ([], [])
        assert tx.tracks.delete_embeddings(ids[0]) == 2 and tx.tracks.count() == 4


def test_a_scan_advances_and_finishes(store: Store, clock: FakeClock) -> None:
    with store.transaction() as tx:
        scan = tx.tracks.start_scan("cameo", "maya")
        tx.tracks.advance_scan(scan, "vid_b", 2, [{"video": "vid_a", "distance": 0.1}])
        tx.tracks.advance_scan(scan, "vid_c", 1, [])
        running = tx.tracks.scans(state=RetroScanState.RUNNING)
    assert [(s.id, s.cursor, s.videos_searched, s.found) for s in running] == [
        (scan, "vid_c", 3, ({"video": "vid_a", "distance": 0.1},))
    ]
    clock.advance(timedelta(minutes=1))
    with store.transaction() as tx:
        assert tx.tracks.scans(updated_before=clock.now()) != []
        tx.tracks.finish_scan(scan)
        done = tx.tracks.scan(scan, lock=True)
        assert (done.state, done.finished_at) == (RetroScanState.DONE, clock.now())
        assert tx.tracks.scans(state=RetroScanState.RUNNING) == []
    with pytest.raises(UnknownSubjectError), store.transaction() as tx:
        tx.tracks.scan("scan_none")
