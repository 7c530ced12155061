"""The gallery (exact and FAISS agree), liveness signals, head turns and tracking, on synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from generator import RenderSpec, render_video
from safety.faces.fake import FakeFaceAnalyzer, face_card
from safety.faces.gallery import Gallery, GalleryTemplate
from safety.faces.liveness import head_turns, liveness_signal
from safety.faces.video import FacePipelineParams, analyse_video


def _templates(n: int, dim: int = 128, seed: int = 0) -> tuple[list[GalleryTemplate], np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return [GalleryTemplate("cameo", f"user{i}", vectors[i]) for i in range(n)], vectors


def test_exact_search_finds_the_nearest_subject() -> None:
    templates, vectors = _templates(500)
    gallery = Gallery("m", templates)
    query = vectors[123] + 0.01
    best = gallery.search(query)[0]
    assert best.subject == "user123" and best.distance < 0.2
    assert not gallery.uses_index


def test_faiss_index_agrees_with_exact_search() -> None:
    templates, vectors = _templates(3000, seed=1)
    exact = Gallery("m", templates)
    indexed = Gallery("m", templates, faiss_threshold=1000, nprobe=16)
    assert indexed.uses_index
    rng = np.random.default_rng(2)
    hits = 0
    for i in rng.choice(3000, 100, replace=False):
        query = vectors[i] + rng.normal(scale=0.05, size=128).astype(np.float32)
        e, f = exact.search(query)[0], indexed.search(query)[0]
        hits += e.subject == f.subject
        assert abs(e.distance - f.distance) < 1e-3 or e.subject != f.subject
    assert hits >= 99


def test_empty_gallery() -> None:
    assert Gallery("m", []).search(np.zeros(128, np.float32)) == []


def _face(points: int = 68, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = rng.uniform(0, 100, size=(points, 2))
    shape[36], shape[45], shape[30] = (30, 40), (70, 40), (50, 60)
    shape[62], shape[66] = (50, 80), (50, 82)
    return shape


def test_rigid_motion_has_no_liveness_and_talking_has() -> None:
    base = _face()
    rigid = []
    for k in range(20):
        angle = np.deg2rad(8 * np.sin(k / 3))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        rigid.append((base @ rot.T) * (1 + k / 40) + [k * 3, k])
    still = liveness_signal(rigid)
    assert still.residual_median < 1e-6 and still.mouth_std < 1e-6
    rng = np.random.default_rng(3)
    talking = []
    for k in range(20):
        shape = base + rng.normal(scale=2.0, size=base.shape)
        shape[66] = shape[62] + [0, 2 + 10 * abs(np.sin(k))]
        talking.append(shape)
    live = liveness_signal(talking)
    assert live.residual_median > 100 * max(still.residual_median, 1e-6)
    assert live.mouth_std > 0.05


def test_head_turns_in_order() -> None:
    assert head_turns([0, -0.2, -0.3, 0, 0.25, 0.1]) == ["left", "right"]
    assert head_turns([0, 0.05, -0.05]) == []


def test_tracks_follow_faces_and_report_them(tmp_path: Path) -> None:
    spec = RenderSpec("x", duration_s=2.0, width=320, height=180, faces=(face_card(20), face_card(110)))
    clip = render_video(spec, tmp_path / "two.mp4")
    report = analyse_video(clip, FakeFaceAnalyzer(), FacePipelineParams(sample_fps=4, thorough_frames=0))
    assert len(report.tracks) == 2
    assert all(len(t.observations) >= 7 for t in report.tracks)
    a, b = (t.embeddings[0] for t in report.tracks)
    assert float(np.linalg.norm(a - b)) > 0.1
