"""Hostile inputs: every one gets a clear error or a safe decision, never a crash or a wrongly published file.

The fast slice runs in `make test`; `make hardening` (CAMEOGUARD_HARDENING=1) runs the whole corpus through the
CLI as well and the fuzzers for longer.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import PolicyValidationError, parse_pack
from provenance import read_manifest
from safety import CameoGuard, InvalidMediaError, SafetyError, Submission, SubmissionError
from safety.edges.cli import main
from safety.media import probe
from tests.hardening.corpus import HANDLES, PROMPTS, HostileFile, media_corpus

FULL = os.environ.get("CAMEOGUARD_HARDENING") == "1"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, benign_clip: Path) -> list[HostileFile]:
    return media_corpus(tmp_path_factory.mktemp("hostile"), benign_clip)


def published(services: CameoGuard) -> list[Path]:
    return [p for p in services.media.area("published").rglob("*") if p.is_file()]


def test_the_corpus_is_large_enough(corpus: list[HostileFile]) -> None:
    assert len(corpus) + len(PROMPTS) + len(HANDLES) >= 100


def test_every_hostile_file_is_refused_or_safely_decided(people: CameoGuard, corpus: list[HostileFile]) -> None:
    outcomes: dict[str, str] = {}
    for item in corpus:
        before = set(published(people))
        try:
            result = people.videos.prepublish(Submission("maya", f"hostile {item.name}", item.path)).to_json()
        except SubmissionError as exc:
            assert str(exc) and "Traceback" not in str(exc)
            outcomes[item.name] = "error"
            assert set(published(people)) == before
            continue
        outcomes[item.name] = result["decision"]
        if not item.may_publish:
            assert result["decision"] != "publish", (item.name, result["reasons"])
            assert set(published(people)) == before
        elif result["published_path"]:
            # What did publish is a clean re-encode, signed and valid, never the damaged bytes themselves.
            report = read_manifest(Path(result["published_path"]))
            assert report.valid and report.video_id == result["video_id"]
    assert outcomes["zero-bytes"] == "error" and outcomes["missing-file"] == "error"
    # An unlisted codec is held for a person, not refused outright; a listed one is judged like any other video.
    assert outcomes["codec-mjpeg"] == "review" and outcomes["codec-mpeg4"] != "block"
    assert outcomes["hours-long (200 frames, 30 s apart)"] == "block"
    assert people.tracing.verify_audit().ok
    with people.store.transaction() as tx:
        rows = {v.published_path for v in tx.videos.recent(limit=1000) if v.published_path}
    assert rows == set(published(people)), "a published file exists exactly when its row says so"


@pytest.mark.parametrize("prompt", PROMPTS, ids=lambda p: repr(p[:20]))
def test_hostile_prompts(people: CameoGuard, clip: Path, prompt: str) -> None:
    try:
        result = people.videos.prepublish(Submission("maya", prompt, clip)).to_json()
    except SubmissionError as exc:
        assert str(exc)
        return
    assert result["decision"] in {"publish", "review", "block"}
    stored = people.videos.show(result["video_id"]).video.prompt
    assert "\x00" not in stored and all(ch in "\n\t" or ord(ch) >= 32 for ch in stored if ord(ch) < 127)


@pytest.mark.parametrize("handle", HANDLES, ids=repr)
def test_hostile_handles(people: CameoGuard, handle: str) -> None:
    try:
        user = people.accounts.add_user(handle)
    except SafetyError as exc:
        assert str(exc) and exc.exit_code in (3, 4)
        return
    assert user.handle.isascii() and user.handle == user.handle.casefold()


def test_handles_that_collide_under_unicode_normalisation(people: CameoGuard) -> None:
    with pytest.raises(SafetyError, match="already exists"):
        people.accounts.add_user("ｍａｙａ")  # full-width letters are maya
    with pytest.raises(SubmissionError):
        people.accounts.add_user("maуa")  # a Cyrillic letter is refused, not silently a new maya


@pytest.mark.parametrize("index", range(0, 80, 1 if FULL else 9))
def test_cli_gives_one_line_and_an_exit_code(
    people: CameoGuard,
    corpus: list[HostileFile],
    index: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if index >= len(corpus):
        pytest.skip("corpus shorter than the index")
    item = corpus[index]
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", people.settings.resolved_database_url)
    monkeypatch.setenv("CAMEOGUARD_ADULT_POLICY", people.settings.adult_policy)
    capsys.readouterr()
    code = main(
        [
            "--home",
            str(people.settings.home),
            "check",
            "--creator",
            "maya",
            "--prompt",
            "x",
            "--video",
            str(item.path),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    if code != 0:
        assert code == 3 and captured.err.startswith("error: ") and captured.err.count("\n") == 1


@settings(max_examples=300 if FULL else 40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=4096), cut=st.integers(min_value=0, max_value=60000))
def test_fuzz_the_media_probe(tmp_path: Path, benign_clip: Path, data: bytes, cut: int) -> None:
    target = tmp_path / "fuzz.mp4"
    original = benign_clip.read_bytes()
    target.write_bytes(original[: cut % len(original)] + data)
    with contextlib.suppress(InvalidMediaError):
        probe(target)


@settings(max_examples=300 if FULL else 60, deadline=None)
@given(st.text(max_size=2000))
def test_fuzz_the_policy_parser(text: str) -> None:
    try:
        parse_pack(text)
    except PolicyValidationError as exc:
        assert exc.issues and all(i.message for i in exc.issues)
