"""Pieces of the OpenAPI document: form bodies, security schemes, error responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .config import ProviderConfig
from .errors import ErrorBody

FORM_TYPE = "application/x-www-form-urlencoded"

SECURITY_SCHEMES = {
    "clientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "client_secret_basic (RFC 6749 section 2.3.1)",
    },
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "tokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": "OpenAM's tokeninfo also takes the token here",
    },
}
# client_secret_post travels in the form body, which OpenAPI cannot name as security;
# the operations' descriptions say so (FORM_AUTH_NOTE).
FORM_AUTH_NOTE = (
    "Clients authenticate by HTTP Basic or, instead (never both), by the form fields "
    "`client_id` and `client_secret` (RFC 6749 section 2.3.1)."
)
CLIENT_AUTH: list[dict[str, list[str]]] = [{"clientBasic": []}]
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Responses entries for RFC 6749 error bodies (JSON even beside HTML pages)."""
    return {
        status: {
            "description": "RFC 6749 section 5.2 error",
            "content": {"application/json": {"schema": ERROR_REF}},
        }
        for status in statuses
    }


def form_body(
    properties: dict[str, dict[str, Any]], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """An `openapi_extra` that documents an url-encoded form body."""
    schema = form_schema(properties, required)
    return {
        "requestBody": {
            "required": True,
            "content": {FORM_TYPE: {"schema": schema}},
        }
    }


def form_schema(
    properties: dict[str, dict[str, Any]], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """An object schema; required fields may not be empty either."""
    properties = {
        name: {**prop, "minLength": 1} if name in required else prop
        for name, prop in properties.items()
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def one_of_forms(*schemas: dict[str, Any]) -> dict[str, Any]:
    """An `openapi_extra` for a form body that takes one of several shapes."""
    return {
        "requestBody": {
            "required": True,
            "content": {FORM_TYPE: {"schema": {"oneOf": list(schemas)}}},
        }
    }


# Form values may not hold NUL (RFC 6749 appendix A allows none) nor exceed the limit
# of `forms.MAX_VALUE_CHARS`.
NO_NUL = "^[^\\x00]*$"


def string(description: str, **extra: Any) -> dict[str, Any]:
    """A string parameter as the forms accept it."""
    schema = {"type": "string", "description": description, "maxLength": 16384}
    if "pattern" not in extra:
        schema["pattern"] = NO_NUL
    return {**schema, **extra}


REALM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_REALM_PARAMETER = {
    "name": "realm",
    "in": "path",
    "required": True,
    "description": "a sub-realm of the root realm",
    "schema": {"type": "string", "pattern": REALM_PATTERN},
}


def _document_clients(schema: dict[str, Any], config: ProviderConfig) -> None:
    """Name the configured clients and redirect URIs where nothing else is accepted:
    the authorization and end-session endpoints."""
    client_ids = [
        c.client_id for c in config.clients if "authorization_code" in c.grant_types
    ]
    redirect_uris = sorted({uri for c in config.clients for uri in c.redirect_uris})
    logout_uris = sorted(
        {uri for c in config.clients for uri in c.post_logout_redirect_uris}
    )
    for path, operations in schema.get("paths", {}).items():
        if not path.endswith(("/authorize", "/endSession")):
            continue
        for operation in operations.values():
            body = operation.get("requestBody", {}).get("content", {})
            form = body.get(FORM_TYPE, {}).get("schema", {})
            forms = [s.get("properties", {}) for s in form.get("oneOf", [form])]
            query = {
                p["name"]: p["schema"]
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            for fields in (*forms, query):
                if path.endswith("/authorize") and "client_id" in fields and client_ids:
                    fields["client_id"]["enum"] = client_ids
                if "redirect_uri" in fields and redirect_uris:
                    fields["redirect_uri"]["enum"] = redirect_uris
                if "post_logout_redirect_uri" in fields and logout_uris:
                    fields["post_logout_redirect_uri"]["enum"] = logout_uris


def _document_realm_parameter(schema: dict[str, Any]) -> None:
    """The realm routes read `{realm}` in a dependency; name it, and its 404."""
    for path, operations in schema.get("paths", {}).items():
        if "{realm}" not in path:
            continue
        for operation in operations.values():
            operation.setdefault("parameters", []).insert(0, dict(_REALM_PARAMETER))
            operation.setdefault("responses", {}).setdefault(
                "404",
                {
                    "description": "no such realm",
                    "content": {"application/json": {"schema": ERROR_REF}},
                },
            )


def install_openapi(app: FastAPI, config: ProviderConfig) -> None:
    """Complete the generated document: security schemes, the error body, the realm
    parameter, the accepted clients."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {})
            components["securitySchemes"] = SECURITY_SCHEMES
            components.setdefault("schemas", {})["ErrorBody"] = (
                ErrorBody.model_json_schema()
            )
            _document_realm_parameter(schema)
            _document_clients(schema, config)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# Introspection and revocation take the same form: a token, a hint, the client.
TOKEN_FORM: dict[str, Any] = {
    **form_body(
        {
            "token": string("the token"),
            "token_type_hint": string("access_token or refresh_token"),
        },
        required=("token",),
    ),
    "security": CLIENT_AUTH,
}
