"""Policy packs as data.

A policy pack is a versioned YAML file that says which checks must run, how long each may take, what a failing
check means, which reason codes exist and what action each one takes. This package loads and validates packs and
depends on nothing else in cameoguard; `safety` turns findings into decisions with a pack.
"""

from policies.book import PolicyBook
from policies.errors import PolicyError, PolicyValidationError, ValidationIssue
from policies.loading import bundled_pack_names, bundled_pack_path, load_bundled_pack, load_pack, validate_file
from policies.parsing import parse_pack
from policies.types import (
    Action,
    CheckPolicy,
    EnrollmentPolicy,
    LikenessPolicy,
    MatchThresholds,
    MediaLimits,
    PolicyPack,
    PromptClassifierPolicy,
    PromptRule,
    ReasonPolicy,
    ScoreThresholds,
)

__all__ = [
    "Action",
    "CheckPolicy",
    "EnrollmentPolicy",
    "LikenessPolicy",
    "MatchThresholds",
    "MediaLimits",
    "PolicyBook",
    "PolicyError",
    "PolicyPack",
    "PolicyValidationError",
    "PromptClassifierPolicy",
    "PromptRule",
    "ReasonPolicy",
    "ScoreThresholds",
    "ValidationIssue",
    "bundled_pack_names",
    "bundled_pack_path",
    "load_bundled_pack",
    "load_pack",
    "parse_pack",
    "validate_file",
]
