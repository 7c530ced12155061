"""Who may know what of a video, as pure rules: the full record for its creator, the owners in it and operators;
the published facts for anyone else; a video that is not published does not exist for them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from safety.access import NOBODY, OPERATOR, Viewer, hidden, sees, sees_in_full
from safety.domain import VideoStatus
from safety.records import VideoRecord

VIDEO = VideoRecord(
    id="vid_1",
    creator="theo",
    prompt="a walk",
    status=VideoStatus.HELD,
    content_sha256="0" * 64,
    duration_s=1.0,
    width=64,
    height=64,
    declared_cameos=("maya",),
    remix_of=None,
    draft_path=None,
    published_path=None,
    quarantine_path=None,
    policy_ref="default@1",
    created_at=datetime(2025, 1, 1, tzinfo=UTC),
)
OWNERS = ("maya", "lin")  # maya declared, lin identified


@pytest.mark.parametrize(
    ("viewer", "full"),
    [
        (OPERATOR, True),
        (Viewer("theo"), True),
        (Viewer("maya"), True),
        (Viewer("lin"), True),
        (Viewer("jun"), False),
        (NOBODY, False),
    ],
)
def test_the_full_record_is_the_creators_the_owners_and_the_operators(viewer: Viewer, full: bool) -> None:
    assert sees_in_full(viewer, VIDEO, OWNERS) is full
    # Not published: whoever may not read it in full may not know it exists.
    assert sees(viewer, VIDEO, OWNERS) is full
    # Published: anyone knows it exists, and still only they read it in full.
    published = replace(VIDEO, status=VideoStatus.PUBLISHED)
    assert sees(viewer, published, OWNERS) is True
    assert sees_in_full(viewer, published, OWNERS) is full


def test_a_hidden_video_is_answered_as_an_unknown_one() -> None:
    assert str(hidden("vid_1")) == "unknown video `vid_1`"
