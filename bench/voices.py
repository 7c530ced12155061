"""Speech and voices, measured in one run: the enrollment challenge's spoken digits, and voice matching.

- Digits: four random digits read with pauses by espeak-ng (6 voices, 2 rates, light noise) and the real TIDIGITS
  recording in Debian's pocketsphinx-testdata, transcribed by Whisper tiny.en with the challenge's hint, greedily
  and by beam search; exact greedy reads, and clips accepted (either reading holds the digits in order, as
  enrollment accepts).
- Voices: genuine pairs (two recordings of one speaker) against impostor pairs (two speakers), real speakers from
  pocketsphinx-testdata (a LibriVox narrator, the "cards" speaker and three others) and espeak-ng voices; false
  rejects and false accepts at similarity thresholds, and at the packs' threshold.

    .venv/bin/python -m bench.voices [--json]      (needs espeak-ng and pocketsphinx-testdata)
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import itertools
import json
import subprocess
import tempfile
from typing import Any

import numpy as np
from numpy.typing import NDArray

from policies import load_bundled_pack
from safety.checks.speech import WhisperTranscriber, heard_digits
from safety.media import read_audio
from safety.voices import DvectorEmbedder, voiced

DATA = Path("/usr/share/pocketsphinx/test/data")
VOICES = ["en-us", "en-us+f3", "en-gb+m3", "en-gb-scotland+f2", "en-029+m5", "en-us+Alex"]
SENTENCES = [
    "Please read the digits slowly and clearly for the camera",
    "This morning I walked to the market and bought some apples",
    "The weather is changing quickly, so bring a warm coat today",
]


def _raw(path: Path) -> NDArray[np.float32]:
    out: NDArray[np.float32] = np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    return out


def _say(text: str, voice: str, rate: int, folder: Path) -> NDArray[np.float32]:
    wav = folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(wav), text], check=True)
    audio = read_audio(wav)
    assert audio is not None
    return audio


def digits(folder: Path) -> dict[str, Any]:
    transcriber = WhisperTranscriber()
    rows = []
    for n, (voice, rate) in enumerate(itertools.product(VOICES, (130, 175))):
        said = "".join(np.random.default_rng(n).choice(list("0123456789"), 4))
        audio = _say(", ".join(said), voice, rate, folder)
        audio = audio + np.random.default_rng(n).normal(scale=0.01, size=audio.size).astype(np.float32)
        rows.append((said, heard_digits(audio, transcriber)))
    greedy = [(said, readings[0]) for said, readings in rows]
    real = DATA / "tidigits" / "dhd.2934z.raw"
    real_heard = heard_digits(_raw(real), transcriber) if real.is_file() else None
    return {
        "espeak": {
            "clips": len(rows),
            "greedy_exact": sum(s == h for s, h in greedy),
            "accepted": sum(any(s in h for h in readings) for s, readings in rows),
            "misheard": [{"said": s, "heard": readings} for s, readings in rows if not any(s in h for h in readings)],
        },
        "tidigits_2934z": {"said": "29340", "heard": real_heard},
        "model": transcriber.model_id,
    }


def _pairs(embeddings: list[tuple[str, NDArray[np.float32]]]) -> tuple[list[float], list[float]]:
    genuine: list[float] = []
    impostor: list[float] = []
    for (a, va), (b, vb) in itertools.combinations(embeddings, 2):
        (genuine if a == b else impostor).append(float(va @ vb))
    return genuine, impostor


def voices(folder: Path) -> dict[str, Any]:
    embedder = DvectorEmbedder()
    real: list[tuple[str, NDArray[np.float32]]] = []
    for path in sorted((DATA / "librivox").glob("*.wav")):
        audio = read_audio(path)
        assert audio is not None
        real.append(("librivox", embedder.embed(voiced(audio))))
    for path in sorted((DATA / "cards").glob("*.wav")):
        audio = read_audio(path)
        assert audio is not None
        real.append(("cards", embedder.embed(voiced(audio))))
    for name in ("goforward", "numbers", "something"):
        real.append((name, embedder.embed(voiced(_raw(DATA / f"{name}.raw")))))
    synthetic = [
        (voice, embedder.embed(voiced(_say(text, voice, 160, folder)))) for voice in VOICES for text in SENTENCES
    ]
    pack = load_bundled_pack("default")
    threshold = 1.0 - pack.likeness.models[embedder.model_id].match_distance
    out: dict[str, Any] = {"model": embedder.model_id, "pack_similarity": threshold}
    for name, group in (("real speakers", real), ("espeak voices", synthetic)):
        genuine, impostor = _pairs(group)
        g, i = np.array(genuine), np.array(impostor)
        out[name] = {
            "genuine_pairs": len(g),
            "impostor_pairs": len(i),
            "at": {
                f"{t:.2f}": {
                    "false_reject": round(float(np.mean(g < t)), 3),
                    "false_accept": round(float(np.mean(i >= t)), 3),
                }
                for t in (0.5, 0.6, 0.7, 0.8, threshold)
            },
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        report = {"digits": digits(Path(scratch)), "voices": voices(Path(scratch))}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    d = report["digits"]["espeak"]
    print(
        f"spoken challenge digits ({report['digits']['model']}): {d['greedy_exact']}/{d['clips']} read exactly by "
        f"the greedy reading, {d['accepted']}/{d['clips']} accepted (either reading holds the digits in order); "
        f"misheard: {d['misheard']}"
    )
    t = report["digits"]["tidigits_2934z"]
    print(f"  real TIDIGITS recording saying {t['said']}: heard {t['heard']}")
    v = report["voices"]
    print(f"voices ({v['model']}), the packs' threshold is similarity {v['pack_similarity']:.2f}:")
    for name in ("real speakers", "espeak voices"):
        row = v[name]
        print(f"  {name}: {row['genuine_pairs']} genuine and {row['impostor_pairs']} impostor pairs")
        for at, rates in row["at"].items():
            print(f"    at {at}: false rejects {rates['false_reject']:.3f}, false accepts {rates['false_accept']:.3f}")


if __name__ == "__main__":
    main()
