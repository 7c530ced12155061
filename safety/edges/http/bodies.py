"""What the API takes: the request bodies of every route, and the OpenAPI declarations of the bodies a route reads
itself (JSON or a multipart upload, `openapi_extra`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from safety.domain import ConsentLevel


class CheckRequest(BaseModel):
    """The JSON body of `POST /v1/check`."""

    creator: str = Field(min_length=1, max_length=64)
    prompt: str = Field(max_length=10000)
    video_path: str = Field(min_length=1, max_length=4096)
    cameos: list[str] = Field(default_factory=list, max_length=16)
    remix_of: str | None = None
    input_image_path: str | None = None


class SubmissionRequest(CheckRequest):
    """The JSON body of `POST /v1/submissions`: a check, answered later."""

    callback_url: str | None = Field(default=None, max_length=2048)


class VerifyRequest(BaseModel):
    """The JSON body of `POST /v1/verify`: a file the server may read (inside the allowed folders)."""

    path: str = Field(min_length=1, max_length=4096)


def _upload_form(description: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A multipart form in the OpenAPI document: the `video` file and text fields."""
    properties = {"video": {"type": "string", "format": "binary", "description": description}, **fields}
    return {"type": "object", "properties": properties, "required": ["video", *required]}


_CHECK_FORM_FIELDS: dict[str, Any] = {
    "creator": {"type": "string", "minLength": 1, "maxLength": 64},
    "prompt": {"type": "string", "maxLength": 10000},
    "cameos": {"type": "array", "items": {"type": "string"}, "description": "Declared cameo owners (repeated)."},
    "remix_of": {"type": "string", "description": "The video this one remixes."},
}


def request_body(json_model: type[BaseModel], form: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` declaring a body a route reads itself: JSON (`json_model`) or a multipart upload (`form`)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/json": {"schema": json_model.model_json_schema()},
                "multipart/form-data": {"schema": form},
            },
        }
    }


CHECK_BODY = request_body(
    CheckRequest,
    _upload_form("The video to check.", _CHECK_FORM_FIELDS, ["creator"]),
    "A file the server may read (`video_path` inside CAMEOGUARD_HOOK_ALLOWED_DIRS), or an upload.",
)
SUBMISSION_BODY = request_body(
    SubmissionRequest,
    _upload_form(
        "The video to check.",
        {**_CHECK_FORM_FIELDS, "callback_url": {"type": "string", "maxLength": 2048}},
        ["creator"],
    ),
    "As `POST /v1/check`, with an optional `callback_url` for the outcome.",
)
VERIFY_BODY = request_body(
    VerifyRequest,
    _upload_form("The copy to trace.", {}, []),
    "A file the server may read (`path` inside CAMEOGUARD_HOOK_ALLOWED_DIRS), or an upload.",
)


class NewUser(BaseModel):
    """`POST /v1/users`."""

    handle: str = Field(min_length=1, max_length=64, examples=["maya"])
    teen: bool = Field(default=False, description="A teen account: the teen policy pack applies.")


class ConsentLevelBody(BaseModel):
    """`PUT /v1/users/{handle}/cameo/level`."""

    level: ConsentLevel = Field(examples=["mutuals"])
    approve_each_use: bool | None = Field(
        default=None, description="The owner approves every video before it publishes (unchanged when absent)."
    )


class UseAnswerBody(BaseModel):
    """`POST /v1/users/{handle}/cameo/requests/{video_id}`: the owner's answer."""

    approve: bool = Field(examples=[True])


class ReportBody(BaseModel):
    """`POST /v1/videos/{video_id}/reports`."""

    reason: str = Field(min_length=1, max_length=2000, examples=["this shows me without my consent"])


def multipart_body(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """`openapi_extra` declaring a multipart upload a route reads itself."""
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


FILE_FIELD = {"type": "string", "format": "binary"}


class UserBody(BaseModel):
    """A user the owner approves, blocks or revokes."""

    user: str = Field(min_length=1, max_length=64, examples=["theo"])


class RestrictionBody(BaseModel):
    """What the owner's likeness may not be used for, in their words."""

    text: str = Field(min_length=1, max_length=500, examples=["no politics"])


class AppealBody(BaseModel):
    """`POST /v1/videos/{video_id}/appeals`."""

    text: str = Field(min_length=1, max_length=2000, examples=["this is my own face; I consented"])
