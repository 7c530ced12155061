"""Who may know what of a video: the object-level rules every edge applies, as pure functions of the rows.

A video's full record (its prompt, declared owners, status and every decision with its evidence: a protected
person's name, face boxes, similarities) belongs to its creator, to the owners who appear in it (declared or
identified) and to operators. Anyone else (another user, a pipeline's `generate` token, an app that names no acting
user) learns only what publishing made public: that it is published, its creator, when it was made, the published
parent it remixes and its provenance. A video that is not published does not exist for them: they get the answer an
unknown id gets, word for word, so neither its status nor its existence leaks. Who the caller is comes from the
edge (the HTTP app turns a token's scopes and `X-Acting-User` into a `Viewer`); the in-process API (the CLI, the
console, the demo) is an operator's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from safety.domain import VideoStatus
from safety.errors import UnknownVideoError
from safety.records import VideoRecord


@dataclass(frozen=True)
class Viewer:
    """Who asks about a video."""

    user: str | None = None
    """The acting user (a normalised handle) an app backend named; None when no user is named or the token may
    not name one (a pipeline's `generate` token)."""
    operator: bool = False
    """An operator: sees every video in full."""


OPERATOR = Viewer(operator=True)
"""The in-process caller (CLI, console, demo): an operator."""
NOBODY = Viewer()
"""A caller with no user: sees published facts only."""


def sees_in_full(viewer: Viewer, video: VideoRecord, owners: Iterable[str]) -> bool:
    """The viewer may read the video's full record: an operator, its creator, or an owner who appears in it."""
    if viewer.operator:
        return True
    return viewer.user is not None and (viewer.user == video.creator or viewer.user in set(owners))


def sees(viewer: Viewer, video: VideoRecord, owners: Iterable[str]) -> bool:
    """The viewer may know the video exists: it is published, or they see it in full."""
    return video.status is VideoStatus.PUBLISHED or sees_in_full(viewer, video, owners)


def hidden(video_id: str) -> UnknownVideoError:
    """The answer about a video the caller may not know of: the same, word for word, as for an id that does not
    exist (`storage` raises this text for an unknown id)."""
    return UnknownVideoError(f"unknown video `{video_id}`")
