"""Wiring: build every adapter and use case once from `Settings`.

`build(settings)` opens the database, prepares the media store, loads the policy packs, and builds the face
engine, the publisher (signer and marker) and the gate with its checks; models load lazily on first use, once.
The CLI, the HTTP app, the console, the generator and the scheduler each hold one `CameoGuard`. Tests pass fakes
for the adapters here (face analyzer, checks, publisher parts, clock, and a ready store such as
`safety.storage.memory.MemoryStore`) instead of patching internals. `assembly` builds, step by step;
`cameoguard` is what it returns; `defaults` holds the default checks and the models every build in a process shares.
"""

from __future__ import annotations

from safety.wiring.assembly import build, load_policy
from safety.wiring.cameoguard import CameoGuard
from safety.wiring.defaults import (
    ENGLISH_STRETCHES,
    default_checks,
    shared_multilingual_transcriber,
    shared_transcriber,
    shared_voices,
)

__all__ = [
    "ENGLISH_STRETCHES",
    "CameoGuard",
    "build",
    "default_checks",
    "load_policy",
    "shared_multilingual_transcriber",
    "shared_transcriber",
    "shared_voices",
]
