"""The console's desk in AppTest: lapsed leases are claimable, decided items read only, claims answered truthfully,
bulk decisions refresh the queue, escalations keep their reason, blind re-reviews show the evidence, and nothing is
approved unseen."""

from __future__ import annotations

import random
from typing import Any

from generator import Studio
from safety import CameoGuard, ReviewService
from tests.review_ui.conftest import login
from tests.review_ui.test_app import app_env, html_of, logged_in, open_page

__all__ = ["app_env"]  # the fixture, shared with test_app


def _held(guard: CameoGuard, seed: int) -> str:
    result = Studio(guard).generate("theo", "breaking news: the election is cancelled", duration_s=1.0, seed=seed)
    assert result["decision"] == "review"
    return str(result["video_id"])


def _items(reviews: ReviewService) -> dict[str, str]:
    return {i.video_id: i.id for i in reviews.queue(login(reviews, "sena", 3))}


def _texts(at: Any) -> str:
    """Every message and Markdown text on the page, as read (Markdown escapes dropped)."""
    kinds = ("info", "warning", "error", "success", "markdown")
    return " ".join(e.value for kind in kinds for e in at.get(kind)).replace("\\", "")


def test_a_lapsed_lease_is_claimable_from_the_case_and_by_claim_next(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    first, second = _held(app_env, 77), _held(app_env, 78)
    items = _items(reviews)
    lapsing = app_env.review_service(lease_minutes=-1)
    rita = login(reviews, "rita", 1)
    assert lapsing.claim(rita, items[first]) and lapsing.claim(rita, items[second])
    at = logged_in("sam", "correct horse 2")
    assert "lease ran out" in html_of(at), "the queue says the item is free again"
    at.button(key="next_item").click().run()
    taken = at.query_params["item"]
    assert taken in (items[first], items[second]), "claim-next takes an item whose lease lapsed"
    assert "You hold this item until" in _texts(at) and "(10 min left)" in _texts(at)
    assert "lease-left" in html_of(at), "the page counts the lease down"
    other = items[second] if taken == items[first] else items[first]
    open_page(at, "case", item=other)
    assert "rita's lease ran out: anyone may claim this item." in _texts(at)
    at.button(key="claim_case").click().run()
    assert any(b.key == "outcome_reject" for b in at.button)
    assert reviews.lease_of(rita, other).holder == "sam"


def test_claims_are_answered_truthfully_and_decided_items_open_read_only(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    first, second = _held(app_env, 77), _held(app_env, 78)
    items = _items(reviews)
    rita = login(reviews, "rita", 1)
    assert reviews.claim(rita, items[first])
    reviews.decide(rita, items[first], "reject", "prompt.election_deception", "clearly deceptive")
    assert reviews.claim(rita, items[second])
    at = logged_in("sam", "correct horse 2")
    open_page(at, "case", item=items[first])
    said = _texts(at)
    assert "Decided: **reject** (prompt.election_deception) by rita" in said and "Read only" in said
    assert "Nobody holds" not in said and "Claim it" not in said
    assert not any(b.key in ("claim_case", "outcome_reject") for b in at.button)
    assert not at.selectbox, "no decision form on a decided item"
    open_page(at, "case", item=items[second])
    said = _texts(at)
    assert "rita holds this item for" in said and "Claim it" not in said
    assert not any(b.key == "claim_case" for b in at.button), "no Claim button that would only be refused"


def test_bulk_decisions_refresh_the_queue_and_clear_the_selection(app_env: CameoGuard, reviews: ReviewService) -> None:
    videos = [_held(app_env, seed) for seed in (77, 78, 79)]
    items = _items(reviews)
    at = logged_in("sena", "correct horse 3")
    at.multiselect(key="bulk_items_0").set_value([items[videos[0]], items[videos[1]]]).run()
    at.radio(key="bulk_outcome_0").set_value("reject").run()
    at.selectbox(key="bulk_code_0").set_value("prompt.election_deception").run()
    at.button(key="bulk_decide").click().run()
    assert any("Decided 2 of 2." in s.value for s in at.success)
    queue = html_of(at)
    assert items[videos[2]] in queue and items[videos[0]] not in queue and items[videos[1]] not in queue
    assert at.multiselect(key="bulk_items_1").value == [], "the selection starts empty"
    assert at.caption[0].value.startswith("1 of 1")


def test_escalation_asks_why_lands_on_the_next_item_and_tells_the_senior(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    _held(app_env, 77), _held(app_env, 78)
    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    escalated = at.query_params["item"]
    at.button(key="escalate").click().run()
    at.button(key="escalate_send").click().run()
    assert any("Say why" in e.value for e in at.error), "a reason and a note are asked for"
    # A form sends its fields with its button, all in one run.
    at.selectbox(key=f"escalate_why_{escalated}").set_value("may show a real person")
    at.text_area(key=f"escalate_note_{escalated}").input("looks like the senator")
    at.button(key="escalate_send").click().run()
    assert at.query_params["item"] != escalated, "the reviewer lands on their next item"
    assert any("Escalated" in s.value for s in at.success)
    assert any(b.key == "outcome_reject" for b in at.button), "claimed, ready to decide"
    senior = logged_in("sena", "correct horse 3")
    queue = html_of(senior)
    assert "escalated</b> by rita: may show a real person: looks like the senator" in queue
    open_page(senior, "case", item=escalated)
    assert "Escalated by rita: may show a real person: looks like the senator" in " ".join(
        w.value.replace("\\", "") for w in senior.warning
    )


def test_a_blind_re_review_shows_the_evidence_and_hides_only_the_first_decision(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    held = _held(app_env, 77)
    sampling = app_env.review_service(quality_share=1.0, rng=random.Random(3))
    rita = login(sampling, "rita", 1)
    item = _items(reviews)[held]
    assert sampling.claim(rita, item)
    sampling.decide(rita, item, "approve", "prompt.election_deception", "satire: rita says fine")
    at = logged_in("sam", "correct horse 2")
    at.button(key="next_item").click().run()
    page = html_of(at)
    assert "<video" in page, "the (now published) video plays"
    said = _texts(at)
    assert "prompt.election_deception (review)" in said, "the checks' reasons are shown"
    assert "Scores by category" in " ".join(c.value for c in at.caption)
    assert "rita" not in said + page and "satire" not in said + page and "published" not in said


def test_a_case_whose_file_is_gone_cannot_be_approved(app_env: CameoGuard, reviews: ReviewService) -> None:
    held = _held(app_env, 77)
    path = app_env.videos.show(held).video.quarantine_path
    assert path is not None
    path.unlink()
    at = logged_in("rita", "correct horse 1")
    assert "file missing" in html_of(at)
    at.button(key="next_item").click().run()
    assert any("cannot be shown" in e.value for e in at.error)
    assert at.button(key="outcome_approve").disabled and not at.button(key="outcome_reject").disabled


def test_the_case_header_has_the_creators_record_and_a_new_reviewer_starts_grey(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    from safety.access import OPERATOR

    first = _held(app_env, 77)
    _held(app_env, 78)
    app_env.videos.report(first, "maya", "misleading", viewer=OPERATOR)
    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    page = html_of(at)
    assert "Creator <b>theo</b>: 1 other videos (1 held), 1 reports received" in page
    assert 'href="./investigate?user=theo"' in page
    grey = next(c for c in at.checkbox if c.key and c.key.startswith("grayscale_"))
    assert grey.value is True, "media start grey for a new reviewer"
    assert "grayscale(100%)" in page


def test_reference_photos_are_blurred_like_the_face_beside_them(
    app_env: CameoGuard, reviews: ReviewService, lookalike: dict[str, Any]
) -> None:
    import base64
    import io
    import re

    import numpy as np
    from PIL import Image

    def sharpness(picture: Image.Image) -> float:
        """The steepest step between neighbouring pixels: a sharp edge is one step, a blurred one many small."""
        grey = np.asarray(picture.convert("L").resize((140, 140)), dtype=float)
        return float(np.abs(np.diff(grey, axis=1)).max())

    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    found = re.search(r'alt="protected person"[^>]*src="data:image/jpeg;base64,([^"]+)"', html_of(at))
    assert found is not None
    shown = Image.open(io.BytesIO(base64.b64decode(found.group(1))))
    case = reviews.case(login(reviews, "rita", 1), at.query_params["item"])
    [face] = reviews.face_evidence(case)
    assert face.reference is not None
    with Image.open(face.reference) as original:
        assert sharpness(shown) < 0.6 * sharpness(original)


def test_investigate_links_back_to_cases_with_readable_times(app_env: CameoGuard, reviews: ReviewService) -> None:
    import re

    from safety.access import OPERATOR

    held = _held(app_env, 77)
    item = app_env.videos.report(held, "maya", "misleading", viewer=OPERATOR)  # its newest case
    at = logged_in("sam", "correct horse 2")
    open_page(at, "investigate", user="theo")
    videos, received = (t.value for t in at.table)
    readable = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$")
    assert all(readable.match(str(stamp)) for stamp in [*videos["at"], *received["at"]]), "no raw ISO strings"
    links = html_of(at)
    assert f'href="./case?item={item}"' in links
    assert f"{held} (held)" in links
    open_page(at, "dashboard")
    assert not at.get("arrow_vega_lite_chart") or all(
        '"zoom"' not in c.proto.spec and "interval" not in c.proto.spec for c in at.get("arrow_vega_lite_chart")
    )


def test_the_sidebar_counts_exposure_and_suggests_a_break(app_env: CameoGuard, reviews: ReviewService) -> None:
    from review_ui.session import BREAK_EVERY

    _held(app_env, 77)
    at = logged_in("rita", "correct horse 1")
    at.button(key="next_item").click().run()
    item = at.query_params["item"]
    at.checkbox(key=f"unblur_{item}").check().run()
    assert any("This session: 0 decided, 1 unblurred" in c.value for c in at.sidebar.caption)
    at.session_state["decided_count"] = BREAK_EVERY - 1
    at.button(key="outcome_reject").click().run()
    at.selectbox[0].set_value("prompt.election_deception")
    at.button(key=f"FormSubmitter:decision_{item}-Submit decision").click().run()
    assert any(f"decided {BREAK_EVERY} cases" in w.value for w in at.sidebar.warning)


def test_an_escalated_case_a_reviewer_may_not_open_still_leads_on_with_n(
    app_env: CameoGuard, reviews: ReviewService
) -> None:
    first, second = _held(app_env, 77), _held(app_env, 78)
    items = _items(reviews)
    rita = login(reviews, "rita", 1)
    assert reviews.claim(rita, items[first])
    reviews.escalate(rita, items[first], "other: unsure")
    at = logged_in("sam", "correct horse 2")
    open_page(at, "case", item=items[first])
    assert any("seniors only" in e.value for e in at.error)
    at.button(key="next_item").click().run()
    assert at.query_params["item"] == items[second]
