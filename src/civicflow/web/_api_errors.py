"""The error body every ``/api/v1`` operation may return, declared once for the whole API.

The exception handlers of ``_app`` write these bodies; the router declares them (``ERROR_RESPONSES``)
so that the OpenAPI document lists every status the API really returns, with its schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """One field of a request that did not validate."""

    field: str = Field(description="Where: `body.title`, `query.limit`, `path.workspace_id`")
    found: str = Field(description="The value sent (clipped)")
    expected: str | None = Field(default=None, description="What the field takes")


class ApiError(BaseModel):
    """What went wrong, where, what was found and expected, and how to fix it."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="The kind: NotSignedIn, Forbidden, NotFoundError, InputError, …")
    what: str | None = Field(default=None, description="What went wrong, in one sentence")
    file: str | None = None
    row: int | None = None
    line: int | None = None
    field: str | None = Field(default=None, description="The field at fault, when one is")
    found: str | None = Field(default=None, description="What was found (clipped)")
    expected: str | None = Field(default=None, description="What was expected instead")
    fix: str | None = Field(default=None, description="What to do about it")
    problems: list[Problem] | None = Field(
        default=None, description="Each field that did not validate (status 422)"
    )


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"model": ApiError, "description": description, **extra}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("The request cannot be carried out as sent"),
    401: _error(
        "No one is signed in: send `Authorization: Bearer <token>`",
        headers={"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    ),
    403: _error("The token's scopes or the actor's role do not allow this"),
    404: _error("No such workspace, dataset or item (or not one the actor may see)"),
    422: _error("A parameter or a field of the body is not valid; `problems` names each one"),
}
"""The error responses of every ``/api/v1`` operation (declared on the router). No operation can
return 409 (``ConflictError``) today; one that can adds it here."""

RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: _error(
        "Too many requests from this client in the window; wait and retry",
        headers={"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait"}},
    ),
}
"""The rate-limited public operations (the citizen assistant) declare this as well."""
