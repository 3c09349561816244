"""Client authentication (RFC 6749 section 2.3.1): HTTP Basic or the form body."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote_plus

from fastapi import Request

from .audit import note, printable
from .config import Client
from .errors import InvalidClient, InvalidRequest
from .forms import read_form, require
from .provider import Provider, Realm
from .users import secret_matches

logger = logging.getLogger("mock_openam")

# Compared against when the client is unknown, so both paths do the same work.
_NO_SECRET = "\x00" * 32
_FAILED = "Client authentication failed"


def authenticate_client(
    request: Request, form: dict[str, str], provider: Provider, realm: Realm
) -> Client:
    """The client whose credentials came with the request, or `InvalidClient`.

    `client_secret_basic` and `client_secret_post` are accepted; using both at once is
    refused, as RFC 6749 section 2.3 requires.
    """
    basic = _basic_credentials(request, realm)
    if basic is not None and "client_secret" in form:
        raise InvalidRequest("use one client authentication method", realm=realm.name)
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id", client_id) != client_id:
            raise InvalidClient(_FAILED, realm=realm.name)
    elif "client_id" in form and "client_secret" in form:
        client_id, secret = form["client_id"], form["client_secret"]
    else:
        raise InvalidClient("client authentication is required", realm=realm.name)

    note(request, client_id=client_id)
    client = provider.config.client(client_id)
    expected = client.client_secret if client else _NO_SECRET
    if not secret_matches(expected, secret) or client is None:
        logger.info("client authentication refused for %s", printable(client_id))
        raise InvalidClient(_FAILED, realm=realm.name)
    return client


async def read_token_request(
    request: Request, provider: Provider, realm: Realm
) -> tuple[dict[str, str], Client, str]:
    """The form, the authenticated client and the `token` of an introspection
    (RFC 7662 section 2.1) or revocation (RFC 7009 section 2.1) request."""
    form = await read_form(request, realm=realm.name)
    client = authenticate_client(request, form, provider, realm)
    token = require(form, "token", realm=realm.name)
    note(request, token=token)
    return form, client, token


def _basic_credentials(request: Request, realm: Realm) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient(_FAILED, realm=realm.name) from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient(_FAILED, realm=realm.name)
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(secret)
