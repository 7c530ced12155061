"""Staydown by segment against the alterations that used to slip through: small tilts with black corners, split
screens (side by side, top and bottom, grids) and 16:9 videos cut to 9:16 (a tilted one too); and nothing found in
unrelated footage altered the same ways (split screens of two unrelated clips included). PDQ computed in NumPy
gives the reference's bits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from generator.render import RenderSpec, render_video
from provenance import SegmentIndex, bank_hashes, pdqmath, query_frames, query_hashes, sampled_frames
from provenance.segments import BANK_EVERY_S, panel_boxes, tilt_of, window_offsets

Frame = np.ndarray


def _frames(path: Path, seconds: float = 6.0) -> tuple[list[Frame], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    return frames[: int(fps * seconds)], fps


def _write(frames: list[Frame], fps: float, out: Path) -> Path:
    height, width = frames[0].shape[:2]
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = width // 2 * 2, height // 2 * 2, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for frame in frames:
            image = np.ascontiguousarray(frame[: stream.height, : stream.width])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return out


def _found(index: SegmentIndex, path: Path) -> list[str]:
    return [m.key for m in index.match(query_hashes(query_frames(str(path))))]


def _tilt(degrees: float) -> Callable[[Frame], Frame]:
    """Turned on the same canvas, the corners left black."""

    def turn(frame: Frame) -> Frame:
        height, width = frame.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
        return np.asarray(cv2.warpAffine(frame, matrix, (width, height)), dtype=np.uint8)

    return turn


def _portrait(across: float) -> Callable[[Frame], Frame]:
    """Cut to 9:16 at full height, `across` of the way from the left edge to the right."""

    def cut(frame: Frame) -> Frame:
        height, width = frame.shape[:2]
        keep = height * 9 // 16 // 2 * 2
        left = round((width - keep) * across)
        return frame[:, left : left + keep]

    return cut


def _fit(frame: Frame, width: int, height: int) -> Frame:
    scale = min(width / frame.shape[1], height / frame.shape[0])
    small = cv2.resize(frame, (round(frame.shape[1] * scale), round(frame.shape[0] * scale)))
    panel = np.zeros((height, width, 3), np.uint8)
    top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    panel[top : top + small.shape[0], left : left + small.shape[1]] = small
    return panel


def _fill(frame: Frame, width: int, height: int) -> Frame:
    scale = max(width / frame.shape[1], height / frame.shape[0])
    big = cv2.resize(frame, (max(width, round(frame.shape[1] * scale)), max(height, round(frame.shape[0] * scale))))
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return np.ascontiguousarray(big[top : top + height, left : left + width])


def _screen(panels: list[Frame], columns: int, rows: int, place: str, size: tuple[int, int] = (640, 360)) -> Frame:
    """Panels on a split screen with a white 4-pixel divider, each fitted, filled or squeezed (`place`)."""
    width, height = size
    canvas = np.full((height, width, 3), 255, np.uint8)
    cell_w, cell_h = width // columns, height // rows
    for k, frame in enumerate(panels):
        x, y = (k % columns) * cell_w, (k // columns) * cell_h
        w, h = cell_w - 4 * (k % columns < columns - 1), cell_h - 4 * (k // columns < rows - 1)
        placed = (
            _fit(frame, w, h)
            if place == "fit"
            else _fill(frame, w, h)
            if place == "fill"
            else cv2.resize(frame, (w, h))
        )
        canvas[y : y + h, x : x + w] = placed
    return canvas


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("staydown")
    prompts = {
        "item": ("a red kite over green hills", 31),
        "other": ("waves on a rocky shore", 33),
        "lake": ("a lake at dawn", 100),
        "market": ("a busy market", 102),
        "cat": ("a cat on a sofa", 105),
        "road": ("a desert road", 104),
    }
    return {
        name: render_video(RenderSpec(prompt, seed=seed, duration_s=4.0), root / f"{name}.mp4")
        for name, (prompt, seed) in prompts.items()
    }


@pytest.fixture(scope="module")
def footage(faces_dir: Path) -> Path:
    return faces_dir / "_video" / "short_hamilton_clip.mp4"


def _index(**items: Path) -> SegmentIndex:
    return SegmentIndex([(key, h.digest, h.t) for key, path in items.items() for h in bank_hashes(str(path))])


def test_a_tilt_is_measured_from_its_black_corners(clips: dict[str, Path]) -> None:
    frames, _ = _frames(clips["item"], 1.0)
    for degrees in (3.0, -5.0, 8.0):
        measured = tilt_of(_tilt(degrees)(frames[10]))
        assert measured is not None and abs(measured - degrees) < 0.5, (degrees, measured)
    assert tilt_of(frames[10]) is None
    assert tilt_of(_portrait(0.5)(frames[10])) is None


def test_split_screen_panels_are_found(clips: dict[str, Path]) -> None:
    item, _ = _frames(clips["item"], 1.0)
    other, _ = _frames(clips["other"], 1.0)
    side = panel_boxes(_screen([item[0], other[0]], 2, 1, "squeeze"))
    assert any(abs(x0 - 0) <= 2 and abs(x1 - 318) <= 3 and y1 - y0 >= 356 for x0, y0, x1, y1 in side), side
    # Fitted panels come without their letterbox: the picture alone.
    grid = panel_boxes(_screen([item[0], other[0], other[5], item[5]], 2, 2, "fit"))
    assert any(abs(x1 - x0 - 316) <= 4 and abs(y1 - y0 - 176) <= 6 for x0, y0, x1, y1 in grid), grid


def test_banked_strips_cover_the_frame_from_edge_to_edge() -> None:
    offsets = window_offsets(512, 288)
    strip = round(0.45 * 288)
    assert offsets[0] == 0 and offsets[-1] == 512 - strip
    assert (512 - strip) // 2 in offsets or (512 - strip + 1) // 2 in offsets, "the centre strip"
    assert max(b - a for a, b in itertools.pairwise(offsets)) <= round(0.08 * 288)


def test_tilted_copies_stay_down(clips: dict[str, Path], tmp_path: Path) -> None:
    index = _index(item=clips["item"])
    frames, fps = _frames(clips["item"])
    for name, alter in (
        ("tilt 4", _tilt(4)),
        ("tilt -6", _tilt(-6)),
        ("tilt -3, mirrored", lambda f: np.ascontiguousarray(_tilt(-3)(f)[:, ::-1])),
    ):
        copy = _write([alter(f) for f in frames], fps, tmp_path / "tilted.mp4")
        assert _found(index, copy) == ["item"], name


@pytest.mark.slow
def test_tilted_dark_footage_is_found_by_searching_the_tilt(footage: Path, tmp_path: Path) -> None:
    # The real clip's corners are dark stage: the black corners of a tilt cannot be measured, only searched.
    index = _index(footage=footage)
    frames, fps = _frames(footage)
    for degrees in (-5.0, 8.0):
        copy = _write([_tilt(degrees)(f) for f in frames], fps, tmp_path / "tilted.mp4")
        assert _found(index, copy) == ["footage"], degrees
    # Mirrored as well: the searched angles are compared mirrored too (a mirrored copy leans the other way).
    mirrored = [np.ascontiguousarray(_tilt(-4.0)(f)[:, ::-1]) for f in frames]
    assert _found(index, _write(mirrored, fps, tmp_path / "mirrored.mp4")) == ["footage"], "tilt -4, mirrored"


def test_split_screens_stay_down(clips: dict[str, Path], tmp_path: Path) -> None:
    index = _index(item=clips["item"])
    frames, fps = _frames(clips["item"])
    other, _ = _frames(clips["other"])
    n = min(len(frames), len(other))
    screens: dict[str, Callable[[int], Frame]] = {
        "side by side, fitted": lambda i: _screen([frames[i], other[i]], 2, 1, "fit"),
        "top and bottom, squeezed": lambda i: _screen([other[i], frames[i]], 1, 2, "squeeze"),
        "2x2 grid": lambda i: _screen([other[i], other[-i], frames[i], other[i // 2]], 2, 2, "fit"),
        "three side by side": lambda i: _screen([other[i], other[-i], frames[i]], 3, 1, "fit"),
    }
    for name, screen in screens.items():
        copy = _write([screen(i) for i in range(n)], fps, tmp_path / "split.mp4")
        assert _found(index, copy) == ["item"], name


@pytest.mark.slow
def test_9_16_cuts_and_filled_split_screens_of_real_footage_stay_down(
    footage: Path, clips: dict[str, Path], tmp_path: Path
) -> None:
    index = _index(footage=footage)
    frames, fps = _frames(footage)
    other, _ = _frames(clips["other"])
    for name, alter in (
        ("9:16 centre", _portrait(0.5)),
        ("9:16 left", _portrait(0.0)),
        ("9:16 right", _portrait(1.0)),
        ("9:16 30% from the left, mirrored", lambda f: np.ascontiguousarray(_portrait(0.3)(f)[:, ::-1])),
    ):
        copy = _write([alter(f) for f in frames], fps, tmp_path / "cut.mp4")
        assert _found(index, copy) == ["footage"], name
    filled = [_screen([other[i % len(other)], f], 2, 1, "fill") for i, f in enumerate(frames)]
    assert _found(index, _write(filled, fps, tmp_path / "filled.mp4")) == ["footage"], "side by side, filled"


def test_a_9_16_cut_of_tilted_dark_footage_stays_down(footage: Path, tmp_path: Path) -> None:
    # The dark stage hides the black corners left in the cut: the tilt is searched the way the two it keeps lean.
    index = _index(footage=footage)
    frames, fps = _frames(footage)
    for degrees in (4.0, -4.0):
        copy = _write([_portrait(0.5)(_tilt(degrees)(f)) for f in frames], fps, tmp_path / "tilted_cut.mp4")
        assert _found(index, copy) == ["footage"], degrees


def test_a_copy_is_sampled_on_the_frames_banked(footage: Path) -> None:
    # A copy that keeps the original's timing is hashed on the very frames banked, wherever its frames fall; the
    # samples between are a quarter of the bank's interval apart.
    banked = [round(t, 4) for t, _ in sampled_frames(str(footage), BANK_EVERY_S, 20)]
    queried = [round(t, 4) for t, _ in query_frames(str(footage))]
    assert set(banked) <= set(queried)
    assert queried[: 4 * len(banked)][::4] == banked


def test_pdq_in_numpy_is_the_reference_pdq(clips: dict[str, Path]) -> None:
    import pdqhash

    frames, _ = _frames(clips["item"], 1.0)
    for frame in frames[::8]:
        for width, height in ((512, 288), (58, 128), (228, 128), (117, 200), (300, 77)):
            picture = np.ascontiguousarray(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), np.uint8)
            reference, quality = pdqhash.compute_dihedral(picture)
            ((ours, our_quality),) = pdqmath.hashes([pdqmath.luma(picture)], range(8))
            assert our_quality == quality
            assert ours == [np.packbits(np.asarray(h, dtype=np.uint8)).tobytes() for h in reference]


@pytest.mark.slow
def test_unrelated_split_screens_tilts_and_cuts_match_nothing(clips: dict[str, Path], tmp_path: Path) -> None:
    # The real clip joins the bank where it is present: dark footage is the likeliest to meet chance matches.
    footage = (
        Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "faces" / "_video" / "short_hamilton_clip.mp4"
    )
    index = _index(item=clips["item"], other=clips["other"], **({"footage": footage} if footage.is_file() else {}))
    lake, fps = _frames(clips["lake"])
    market, _ = _frames(clips["market"])
    cat, _ = _frames(clips["cat"])
    road, _ = _frames(clips["road"])
    n = min(len(lake), len(market), len(cat), len(road))
    made = {
        "lake | market, fitted": [_screen([lake[i], market[i]], 2, 1, "fit") for i in range(n)],
        "cat | road, filled": [_screen([cat[i], road[i]], 2, 1, "fill") for i in range(n)],
        "lake / road on 9:16, filled": [_screen([lake[i], road[i]], 1, 2, "fill", (202, 360)) for i in range(n)],
        "2x2 of four": [_screen([lake[i], market[i], cat[i], road[i]], 2, 2, "fit") for i in range(n)],
        "market tilted 5": [_tilt(5)(f) for f in market[:n]],
        "cat cut to 9:16": [_portrait(0.0)(f) for f in cat[:n]],
    }
    for name, frames in made.items():
        assert _found(index, _write(frames, fps, tmp_path / "made.mp4")) == [], name


@pytest.mark.parametrize("shape", [(1, 5, 3), (2, 2, 3), (64, 2, 3), (2, 64, 3), (2, 2)])
def test_frames_too_small_for_a_seam_have_no_panels(shape: tuple[int, ...]) -> None:
    # A decoder can hand back a frame a pixel or two wide (an upload of a hostile file): no seam, no crash.
    from provenance.layout import panel_boxes

    assert panel_boxes(np.full(shape, 100, np.uint8)) == []
