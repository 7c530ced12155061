"""The checks a video passes through, behind one small interface.

A check is an object with a `name` and a `run(context) -> list[Finding]`. It reads only what the context gives
it (no database, no settings), so real checks and test fakes are interchangeable. `runner.run_checks` gives each
one its own timeout and turns any failure into a `check.error` finding.
"""

from safety.checks.base import Check, CheckContext, CheckOutcome
from safety.checks.consent_check import ConsentCheck
from safety.checks.deepfake import DeepfakeCheck
from safety.checks.frames_nsfw import FramesNsfwCheck
from safety.checks.hash_bank import HashBankCheck
from safety.checks.input_image import InputImageCheck
from safety.checks.likeness_check import LikenessCheck
from safety.checks.media_check import MediaCheck
from safety.checks.prompt_classifier import PromptClassifierCheck
from safety.checks.prompt_rules import PromptRulesCheck
from safety.checks.runner import CheckRun, run_checks

__all__ = [
    "Check",
    "CheckContext",
    "CheckOutcome",
    "CheckRun",
    "ConsentCheck",
    "DeepfakeCheck",
    "FramesNsfwCheck",
    "HashBankCheck",
    "InputImageCheck",
    "LikenessCheck",
    "MediaCheck",
    "PromptClassifierCheck",
    "PromptRulesCheck",
    "run_checks",
]
