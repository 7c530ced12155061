"""Shared fixtures: a database per test (SQLite, and PostgreSQL when configured), services, rendered clips.

Set CAMEOGUARD_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run every
database-backed test a second time on PostgreSQL; each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, make_url, text

from generator.render import RenderSpec, render_video
from safety import CameoGuard, Settings, build
from safety.checks.models import Models
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models

POSTGRES_URL = os.environ.get("CAMEOGUARD_TEST_POSTGRES_URL")
FACES_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "faces"

_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per session; each test starts from a copy of it."""
    from safety.storage.sql import open_database

    path = tmp_path_factory.mktemp("template") / "template.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A PostgreSQL database migrated to head once per session (None when PostgreSQL is not configured); each
    test gets its own database created from it (`CREATE DATABASE ... TEMPLATE`, a file copy on the server)."""
    if not POSTGRES_URL:
        yield None
        return
    from safety.storage.sql import open_database

    name = f"cg_template_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    # The template must have no open connections when it is copied.
    open_database(_with_database(POSTGRES_URL, name)).dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_database(backend: str, tmp_path: Path, sqlite_template: Path, postgres_template: str | None) -> Iterator[str]:
    """A new database on `backend`, migrated to head as a copy of the session's template, dropped afterwards."""
    if backend == "sqlite":
        target = tmp_path / f"test-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(sqlite_template, target)
        yield f"sqlite:///{target}"
        return
    if not POSTGRES_URL or postgres_template is None:
        pytest.skip("PostgreSQL not configured: set CAMEOGUARD_TEST_POSTGRES_URL to run this on PostgreSQL")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {postgres_template}"))
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=_BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[str]:
    """A fresh database URL, already migrated to head: SQLite, and PostgreSQL too for tests marked `dialects`."""
    with fresh_database(request.param, tmp_path, sqlite_template, postgres_template) as url:
        yield url


_OWN_CACHE: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """One cache of slow-to-build things (trained heads, the joined speech model) for the whole run: every test
    and every process a test starts has a fresh home, and would otherwise train and join them again (about 7 s a
    process). Set before xdist starts its workers, which inherit it; left alone when the caller set one."""
    if hasattr(config, "workerinput") or os.environ.get("CAMEOGUARD_CACHE_DIR"):
        return
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cameoguard-test-cache-"))
    os.environ["CAMEOGUARD_CACHE_DIR"] = str(folder)
    _OWN_CACHE.append(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _OWN_CACHE:
        os.environ.pop("CAMEOGUARD_CACHE_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL runs the tests whose subject is the database (marked `dialects`: locks, claims, transactions,
    the storage contract); every other test that needs a database runs once, on SQLite, because what it tests
    (a check, a page, a model, a file format) reads the stores through the same protocol on either."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_postgres = params.get("database_url") == "postgres"
        (dropped if on_postgres and item.get_closest_marker("dialects") is None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # The slowest tests first, the rest in file order: two workers then finish together instead of one running
    # the demo while the other has nothing left.
    items[:] = sorted(kept, key=lambda item: item.get_closest_marker("slow") is None)


PACKS = Path(__file__).resolve().parent.parent / "policies" / "packs"
FAKE_THRESHOLDS = "    fake-squares-v1: {match_distance: 0.04, uncertain_distance: 0.12, refine_jitters: 0}\n"


@pytest.fixture(scope="session")
def test_packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled packs plus match thresholds for the fake face analyzer."""
    folder = tmp_path_factory.mktemp("packs")
    out = {}
    for name in ("default", "teen", "teen_strict"):
        text = (PACKS / f"{name}.yaml").read_text()
        marker = "  models:\n"
        assert marker in text and "  thorough_frames: 4\n" in text
        text = text.replace(marker, marker + FAKE_THRESHOLDS, 1)
        # Generous check limits: a pack's 2 s for the prompt rules is a production budget, and a busy test machine
        # (a garbage collection, the other worker's decode) must not turn a slow step into a hold. Tests of a
        # hanging check set that one check's limit with `pack_with_timeout`.
        text = re.sub(
            r"(?m)^(    timeout_s: )(\d+(?:\.\d+)?)$",
            lambda m: f"{m.group(1)}{max(float(m.group(2)) * 10, 120):g}",
            text,
        )
        out[name] = folder / f"{name}.yaml"
        out[name].write_text(text)
        # Same pack without the slow detector: for tests that run the real models on faceless clips.
        out[f"{name}-fast"] = folder / f"{name}-fast.yaml"
        out[f"{name}-fast"].write_text(text.replace("  thorough_frames: 4\n", "  thorough_frames: 0\n"))
    return out


@pytest.fixture
def settings(tmp_path: Path, database_url: str, test_packs: dict[str, Path]) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        adult_policy=str(test_packs["default"]),
        teen_policy=str(test_packs["teen"]),
        teen_policy_choices=(str(test_packs["teen_strict"]),),
        hook_allowed_dirs=(tmp_path,),
        # Marking beside the checks only saves wall time where cores are idle; on a test machine it costs CPU.
        # tests/safety/gate/test_frames.py runs the gate with it on.
        mark_during_checks=False,
        # The callback tests run their receiver on loopback.
        callback_allowed_hosts=("127.0.0.1",),
        # Tests log in hundreds of times; the production cost is tested where login timing is.
        reviewer_password_kib=1024,
    )


@pytest.fixture
def fake_faces() -> FakeFaceAnalyzer:
    return FakeFaceAnalyzer()


@pytest.fixture
def models(request: pytest.FixtureRequest) -> Models:
    """Fakes for every classifier model (keyword prompts, calm frames, silence, band-energy voices, restrictions
    word for word); the real ones for tests marked `real_models`."""
    if request.node.get_closest_marker("real_models") is not None:
        return Models()
    return fake_models()


@pytest.fixture
def services(settings: Settings, fake_faces: FakeFaceAnalyzer, models: Models) -> Iterator[CameoGuard]:
    """CameoGuard with the fake face analyzer and fake models (see `models`); tests of the real face models build
    their own."""
    with build(settings, face_analyzer=fake_faces, models=models) as opened:
        yield opened


@pytest.fixture
def people(services: CameoGuard) -> CameoGuard:
    """CameoGuard with maya and theo (adults, mutuals) and jun (teen)."""
    from safety import AgeBand

    services.accounts.add_user("maya")
    services.accounts.add_user("theo")
    services.accounts.add_user("jun", AgeBand.TEEN)
    services.accounts.follow("maya", "theo")
    services.accounts.follow("theo", "maya")
    return services


def pack_with_timeout(pack: Path, check: str, seconds: float, out: Path) -> Path:
    """A copy of `pack` in which only `check`'s timeout is `seconds`. The other checks keep their generous limits,
    so a test of one hanging check does not turn a busy machine's slow decode into a second timeout."""
    lines, inside = [], False
    for line in pack.read_text().splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            inside = line.strip() == f"{check}:"
        lines.append(f"    timeout_s: {seconds}" if inside and line.strip().startswith("timeout_s:") else line)
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def benign_clip(clip_cache: Path) -> Path:
    """A 2 s procedural clip, rendered once per session."""
    return render_video(RenderSpec("a calm lake at dawn", seed=7, duration_s=2.0), clip_cache / "benign.mp4")


@pytest.fixture
def clip(benign_clip: Path, tmp_path: Path) -> Path:
    """A private copy of the benign clip (tests may damage it)."""
    target = tmp_path / "clip.mp4"
    shutil.copyfile(benign_clip, target)
    return target


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not FACES_DIR.is_dir():
        pytest.skip(f"face fixtures absent: {FACES_DIR} exists only on development and CI machines")
    return FACES_DIR


def reencode_copy(source: Path, target: Path, *, scale: float = 0.5, crf: int = 35, jpeg: int | None = 50) -> Path:
    """What a re-uploader does: decode, shrink, (JPEG-degrade,) re-encode; no audio, no metadata, no manifest."""
    import av
    import cv2
    import numpy as np

    with av.open(str(source)) as inp, av.open(str(target), "w", format="mp4") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream("libx264", rate=vin.average_rate)
        vout.width = int(vin.codec_context.width * scale) // 2 * 2
        vout.height = int(vin.codec_context.height * scale) // 2 * 2
        vout.pix_fmt = "yuv420p"
        vout.options = {"crf": str(crf), "preset": "veryfast"}
        for frame in inp.decode(vin):
            size = (vout.width, vout.height)
            image = np.asarray(
                cv2.resize(frame.to_ndarray(format="rgb24"), size, interpolation=cv2.INTER_AREA), np.uint8
            )
            if jpeg is not None:
                _, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, jpeg])
                decoded = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), dtype=np.uint8)
                image = np.ascontiguousarray(decoded[..., ::-1])
            out.mux(vout.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        out.mux(vout.encode(None))
    return target


def clip_with_sound(clip: Path, sound: Path, target: Path) -> Path:
    """`clip`'s picture (looped to the sound's length) with the audio file `sound` as its sound track."""
    import av

    with av.open(str(sound)) as source:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        voice = np.concatenate(
            [f.to_ndarray().reshape(-1) for frame in source.decode(audio=0) for f in resampler.resample(frame)]
        ).astype(np.int16)
    rate = 16000
    with av.open(str(clip)) as picture, av.open(str(target), "w") as out:
        video_in = picture.streams.video[0]
        fps = video_in.average_rate or 25
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = video_in.width, video_in.height, "yuv420p"
        audio = out.add_stream("aac", rate=rate, layout="mono")
        frames = [f.to_ndarray(format="rgb24") for f in picture.decode(video=0)]
        count = int((len(voice) / rate + 0.5) * float(fps))
        for i in range(max(count, len(frames))):
            out.mux(video.encode(av.VideoFrame.from_ndarray(frames[i % len(frames)], format="rgb24")))
        out.mux(video.encode(None))
        padded = np.concatenate([voice, np.zeros(rate // 2, np.int16)])
        for start in range(0, len(padded), 1024):
            frame = av.AudioFrame.from_ndarray(padded[start : start + 1024].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return target


# --- In memory: the whole gate on `safety.storage.memory.MemoryStore`, no database -------------------------------
# A module whose tests need no SQL overrides its `services` fixture with `memory_services` (its `people` follows).

MEMORY_AUDIT_KEY = b"memory-services-audit-key-32-byt"


@pytest.fixture
def memory_settings(tmp_path: Path, test_packs: dict[str, Path]) -> Settings:
    """Settings for services on the in-memory store (the database URL is never opened)."""
    return Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'never-opened.db'}",
        adult_policy=str(test_packs["default"]),
        teen_policy=str(test_packs["teen"]),
        teen_policy_choices=(str(test_packs["teen_strict"]),),
        hook_allowed_dirs=(tmp_path,),
        mark_during_checks=False,
        callback_allowed_hosts=("127.0.0.1",),
    )


@pytest.fixture
def memory_services(memory_settings: Settings, fake_faces: FakeFaceAnalyzer, models: Models) -> Iterator[CameoGuard]:
    """CameoGuard on the in-memory store with the fake face analyzer and the `models` fixture's models: every use
    case, no database."""
    from safety.storage.memory import MemoryStore

    store = MemoryStore(MEMORY_AUDIT_KEY)
    with build(memory_settings, face_analyzer=fake_faces, models=models, store=store) as opened:
        yield opened
