"""Pieces of the OpenAPI document: form bodies, security schemes, error responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .errors import ErrorBody

SECURITY_SCHEMES = {
    "clientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "client_secret_basic (RFC 6749 section 2.3.1)",
    },
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}
# client_secret_post travels in the form body, which OpenAPI cannot name as security.
CLIENT_AUTH: list[dict[str, list[str]]] = [{"clientBasic": []}, {}]
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Responses entries for RFC 6749 error bodies."""
    return {status: {"model": ErrorBody} for status in statuses}


def form_body(
    properties: dict[str, dict[str, Any]], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """An `openapi_extra` that documents an url-encoded form body."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


def string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def install_openapi(app: FastAPI) -> None:
    """Add the security schemes to the generated document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
