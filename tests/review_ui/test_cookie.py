"""The session cookie's endpoint: a one-time code, from the address that logged in, for an HttpOnly cookie."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from review_ui import cookie
from review_ui.cookie import HEADER, SESSION_PATH, Handoffs


def test_a_code_is_used_once_from_its_client_and_never_late() -> None:
    handoffs = Handoffs()
    code = handoffs.issue("the-token", 600, None)
    assert handoffs.redeem(code, "10.0.0.5") is None, "another address"
    assert handoffs.redeem(code, "127.0.0.1") is None, "spent by the failed try"
    code = handoffs.issue("the-token", 600, "10.0.0.5")
    found = handoffs.redeem(code, "10.0.0.5")
    assert found is not None and (found.token, found.max_age_s) == ("the-token", 600)
    assert handoffs.redeem(code, "10.0.0.5") is None, "used once"
    late = Handoffs(ttl_s=0.0).issue("the-token", 600, None)
    assert Handoffs(ttl_s=0.0).redeem(late, None) is None


def test_the_endpoint_sets_an_httponly_cookie_and_clears_it() -> None:
    client = TestClient(Starlette(routes=cookie.routes()), client=("127.0.0.1", 50000))
    assert client.post(SESSION_PATH).status_code == 400, "no header: a cross-site form cannot call it"
    assert client.post(SESSION_PATH, headers={HEADER: "guessed"}).status_code == 403
    code = cookie.HANDOFFS.issue("the-token", 900, None)  # Streamlit reports a local client as no address
    answer = client.post(SESSION_PATH, headers={HEADER: code})
    assert answer.status_code == 204
    assert answer.headers["set-cookie"] == (
        "cameoguard_session=the-token; Path=/; Max-Age=900; HttpOnly; SameSite=Strict"
    )
    assert client.post(SESSION_PATH, headers={HEADER: code}).status_code == 403, "used once"
    cleared = client.delete(SESSION_PATH, headers={HEADER: "forget"})
    assert cleared.headers["set-cookie"].startswith("cameoguard_session=; Path=/; Max-Age=0; HttpOnly")
    secure = TestClient(Starlette(routes=cookie.routes()), base_url="https://console.example")
    code = cookie.HANDOFFS.issue("the-token", 900, "testclient")
    assert secure.post(SESSION_PATH, headers={HEADER: code}).headers["set-cookie"].endswith("; Secure")
