"""Still frames: noise leaves a frame the same picture, a face put in or swapped does not, and the run is bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from safety.stillness import StillFrames, Stillness, cell_means


def _picture(seed: int, *, card: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picture = np.full((180, 320, 3), 90, np.uint8)
    picture[20:160, 20:300] = np.linspace(40, 200, 280, dtype=np.uint8)[None, :, None]
    if card:
        picture[60:108, 200:248] = (230, 80, 230)
    return np.clip(picture + rng.normal(0, 2, picture.shape), 0, 255).astype(np.uint8)


def test_noise_repeats_the_anchor_a_bounded_number_of_times() -> None:
    still: StillFrames[int] = StillFrames(Stillness(max_run=2))
    seen = [still.same_as(i, 0, _picture(i)) for i in range(7)]
    assert seen == [None, 0, 0, None, 3, 3, None]


def test_a_card_put_in_a_new_shot_or_another_size_is_worked_on() -> None:
    still: StillFrames[str] = StillFrames(Stillness(max_run=5))
    assert still.same_as("a", 0, _picture(1)) is None
    assert still.same_as("b", 0, _picture(2, card=True)) is None
    assert still.same_as("c", 0, _picture(3, card=True)) == "b"
    assert still.same_as("d", 1, _picture(4, card=True)) is None
    assert still.same_as("e", 1, _picture(5, card=True)[:90]) is None


def test_a_frame_that_may_not_anchor_leaves_none() -> None:
    still: StillFrames[int] = StillFrames(Stillness())
    assert still.same_as(0, 0, _picture(0)) is None
    assert still.same_as(1, 0, _picture(1, card=True), may_anchor=False) is None
    assert still.same_as(2, 0, _picture(2, card=True)) is None
    assert still.same_as(3, 0, _picture(3, card=True)) == 2


def test_a_run_of_zero_works_on_every_frame() -> None:
    still: StillFrames[int] = StillFrames(Stillness(max_run=0))
    assert [still.same_as(i, 0, _picture(i)) for i in range(3)] == [None, None, None]


def test_another_persons_face_over_a_face_of_a_still_photo_changes_its_cells(faces_dir: Path) -> None:
    import cv2
    import dlib

    from safety.faces.photos import load_rgb

    hog = dlib.get_frontal_face_detector()
    group = load_rgb(faces_dir / "_groups" / "kit_harington+rose_leslie.jpg")
    rng = np.random.default_rng(5)

    def noisy(image: np.ndarray) -> np.ndarray:
        return np.clip(image + rng.normal(0, 2, image.shape), 0, 255).astype(np.uint8)

    params = Stillness()
    anchor = cell_means(noisy(group), params.cell_px)
    # Noise alone keeps every cell within the limit.
    assert np.abs(cell_means(noisy(group), params.cell_px) - anchor).max() <= params.cell_levels
    faces = list(hog(group, 1))
    assert len(faces) == 2
    for who in ("obama/train1.jpg", "rose_leslie/train1.jpg", "kit_harington/train1.jpg"):
        other = load_rgb(faces_dir / who)
        found = max(hog(other, 1), key=lambda r: r.width())
        face = other[max(0, found.top()) : found.bottom(), max(0, found.left()) : found.right()]
        for target in faces:
            swapped = group.copy()
            top, left = max(0, target.top()), max(0, target.left())
            swapped[top : target.bottom(), left : target.right()] = cv2.resize(
                face, (target.right() - left, target.bottom() - top)
            )
            moved = np.abs(cell_means(noisy(swapped), params.cell_px) - anchor).max()
            assert moved > 2 * params.cell_levels, (who, moved)
