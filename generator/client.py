"""The pre-publish hook client: how the generator hands every video to the gate.

Two transports behind one protocol, in the manner of httpx's transports: `LocalHook` calls the gate in-process,
`HttpHook` posts to a running `cameoguard serve`. Both answer the decision JSON, and both raise `safety`'s
errors for input the gate cannot decide on.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from safety import (
    CameoGuard,
    ConflictError,
    SafetyError,
    StorageError,
    Submission,
    SubmissionError,
    UnknownUserError,
    UnknownVideoError,
)


class PrepublishHook(Protocol):
    """Submits a generated video to the gate."""

    def check(self, submission: Submission) -> dict[str, Any]:
        """The gate's decision JSON for this submission."""
        ...


class LocalHook:
    """The gate in this process."""

    def __init__(self, services: CameoGuard) -> None:
        self.services = services

    def check(self, submission: Submission) -> dict[str, Any]:
        return self.services.videos.prepublish(submission).to_json()


_STATUS_ERRORS: dict[int, type[SafetyError]] = {
    404: UnknownVideoError,
    409: ConflictError,
    422: SubmissionError,
    503: StorageError,
}


class HttpHook:
    """A running hook service, over HTTP."""

    def __init__(
        self, base_url: str, *, token: str | None = None, timeout_s: float = 120.0, client: httpx.Client | None = None
    ) -> None:
        # A caller may hand in its own client (a test client, one with auth headers); it must carry the base URL.
        self.client = client or httpx.Client(base_url=base_url, timeout=timeout_s)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def check(self, submission: Submission) -> dict[str, Any]:
        payload = {
            "creator": submission.creator,
            "prompt": submission.prompt,
            "video_path": str(submission.video_path),
            "cameos": list(submission.cameos),
            "remix_of": submission.remix_of,
            "input_image_path": str(submission.input_image_path) if submission.input_image_path else None,
        }
        response = self.client.post("/v1/check", json=payload, headers=self.headers)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        detail = response.json().get("detail", response.text) if response.content else response.reason_phrase
        if response.status_code == 422 and "unknown user" in str(detail):
            raise UnknownUserError(str(detail))
        raise _STATUS_ERRORS.get(response.status_code, SafetyError)(str(detail))
