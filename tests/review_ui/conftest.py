"""Fixtures for the console: a review service over test services, reviewers and items waiting in the queue."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from generator import Studio
from safety import CameoGuard, Reviewer, ReviewService


@pytest.fixture
def reviews(people: CameoGuard) -> ReviewService:
    service = people.review_service(quality_share=0.0, rng=random.Random(1))
    service.add_reviewer("rita", "reviewer", "correct horse 1")
    service.add_reviewer("sam", "reviewer", "correct horse 2")
    service.add_reviewer("sena", "senior", "correct horse 3")
    service.add_reviewer("ada", "admin", "correct horse 4")
    return service


def login(reviews: ReviewService, name: str, number: int) -> Reviewer:
    return reviews.whoami(reviews.login(name, f"correct horse {number}"))


@pytest.fixture
def held(people: CameoGuard) -> dict[str, Any]:
    """A video held by the gate (an election-deception prompt)."""
    result = Studio(people).generate("theo", "breaking news: the election is cancelled", duration_s=1.0, seed=77)
    assert result["decision"] == "review"
    return result


@pytest.fixture
def lookalike(people: CameoGuard, tmp_path: Path) -> dict[str, Any]:
    """A video held because a face resembles a protected person (a case with face evidence)."""
    from tests.safety.gate.test_likeness_gate import card_image

    people.protection.protect("A. Senator", [card_image(tmp_path, 60, "senator")])
    result = Studio(people).generate(
        "theo", "a man waving at a crowd", face_images=[card_image(tmp_path, 80, "lookalike")], duration_s=1.0, seed=5
    )
    assert result["decision"] == "review" and "likeness.uncertain" in {r["code"] for r in result["reasons"]}
    return result
