"""Creator text and URL parameters reach the reviewer's page as text: no Markdown image, link or auto-link, and no
HTML attribute, ever points at a host the creator chose (AppTest reads what Streamlit would render)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from generator import Studio
from safety import CameoGuard, ReviewService
from safety.access import OPERATOR
from tests.review_ui.conftest import login
from tests.review_ui.test_app import app_env, logged_in, open_page  # noqa: F401  (app_env is a fixture)

HOST = "tracker.invalid"
HOSTILE = f"![x](http://{HOST}/pixel.png) [click](http://{HOST}/a) http://{HOST}/bare www.{HOST} <http://{HOST}/b>"
_AUTOLINK = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)
# Fields Streamlit shows as plain text (widget values and options), never as Markdown.
_PLAIN_FIELDS = {"options", "value", "default", "placeholder", "id", "form_id", "query_param_key", "data"}


def _strings(message: Any, out: list[str]) -> None:
    """Every string field of a protobuf message, nested ones included."""
    for field, value in message.ListFields():
        if field.name in _PLAIN_FIELDS:
            continue
        repeated = hasattr(value, "__len__") and not isinstance(value, (str, bytes)) and not _is_message(value)
        values = value if repeated else [value]
        for one in values:
            if _is_message(one):
                _strings(one, out)
            elif isinstance(one, str):
                out.append(one)


def _is_message(value: Any) -> bool:
    return hasattr(value, "ListFields")


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values += [f"{tag} {name}={value}" for name, value in attrs]


def rendered(at: AppTest) -> tuple[list[str], list[str]]:
    """(every string the page renders as Markdown, every attribute of every HTML tag it renders)."""
    markdown: list[str] = []
    attributes: list[str] = []

    def walk(node: Any) -> None:
        proto: Any = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if kind == "html":
            parser = _Attributes()
            parser.feed(proto.body)
            attributes.extend(parser.values)
        elif kind == "table":
            shown = proto.arrow_data.styler.display_values or proto.arrow_data.data
            frame = convert_arrow_bytes_to_pandas_df(shown)
            markdown.extend(str(c) for c in frame.columns)
            markdown.extend(str(v) for v in frame.to_numpy().ravel())
        elif _is_message(proto):
            _strings(proto, markdown)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return markdown, attributes


def assert_inert(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    markdown, attributes = rendered(at)
    parser = MarkdownIt("commonmark")
    for text in markdown:
        tokens = parser.parseInline(text)
        children = [c for t in tokens for c in (t.children or [])]
        assert not [c for c in children if c.type in ("image", "link_open")], text
        # GitHub's auto-links are found in the text once it is parsed (escapes gone), as Streamlit's renderer does.
        shown = "".join(c.content for c in children if c.type == "text")
        assert not _AUTOLINK.search(shown), text
        assert HOST not in text, text
    assert not [a for a in attributes if HOST in a], attributes


@pytest.fixture
def hostile(app_env: CameoGuard, reviews: ReviewService) -> dict[str, Any]:  # noqa: F811
    """A held video whose prompt, report and appeal carry Markdown of a creator's choosing."""
    held = Studio(app_env).generate(
        "theo", f"breaking news: the election is cancelled {HOSTILE}", duration_s=1.0, seed=3
    )
    assert held["decision"] == "review"
    # maya cannot know of a held video: the report comes in through the operator's tools on her behalf.
    app_env.videos.report(held["video_id"], "maya", f"look {HOSTILE}", viewer=OPERATOR)
    return held


def test_a_case_shows_creator_text_as_text(app_env: CameoGuard, hostile: dict[str, Any]) -> None:  # noqa: F811
    at = logged_in("rita", "correct horse 1")
    assert_inert(at)
    at.button(key="next_item").click().run()
    assert at.query_params["item"]
    assert any(m.value.startswith("**Prompt:**") for m in at.markdown), "the case is shown"
    assert any("Reported by" in m.value for m in at.markdown)
    assert_inert(at)


def test_investigate_shows_creator_text_as_text(app_env: CameoGuard, hostile: dict[str, Any]) -> None:  # noqa: F811
    at = logged_in("sam", "correct horse 2")
    open_page(at, "investigate", user="theo")
    assert len(at.table) == 2, "theo's videos and the reports they received"
    assert_inert(at)
    open_page(at, "investigate", user="maya")
    assert len(at.table) == 1, "the report maya filed"
    assert_inert(at)


def test_url_parameters_are_echoed_as_text(app_env: CameoGuard, hostile: dict[str, Any]) -> None:  # noqa: F811
    at = logged_in("sam", "correct horse 2")
    open_page(at, "case", item=f"x` {HOSTILE} `x")
    assert at.error, "an unknown item is refused"
    assert_inert(at)
    # A handle has at most 32 characters, so the hostile one is short: an image and nothing else.
    open_page(at, "investigate", user=f"x`![x](http://{HOST})")
    assert "may use only" in at.error[0].value, "an invalid handle is refused, and quoted"
    assert_inert(at)


def test_appeals_and_bulk_decisions_show_creator_text_as_text(
    app_env: CameoGuard,  # noqa: F811
    reviews: ReviewService,
    hostile: dict[str, Any],
) -> None:
    rita = login(reviews, "rita", 1)
    item = next(i for i in reviews.queue(rita) if i.source.value == "gate")
    assert reviews.claim(rita, item.id)
    reviews.decide(rita, item.id, "reject", "prompt.election_deception")
    reviews.appeal(hostile["video_id"], "theo", f"unfair {HOSTILE}")
    at = logged_in("sena", "correct horse 3")
    assert_inert(at)
    open_page(at, "appeals")
    assert any("Appeal:" in m.value for m in at.markdown)
    assert_inert(at)
