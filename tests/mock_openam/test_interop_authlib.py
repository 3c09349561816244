"""Authlib, a third-party OpenID client, against `python -m mock_openam`.

Discovery drives everything: endpoints come from the metadata, keys from the JWKS, and
Authlib's own OpenID Connect rules validate the id tokens (issuer, audience, nonce,
at_hash, expiry).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken, IDToken

from e2e.processes import ServiceProcess

from .conftest import DASHBOARD, KEYSTONEIDS, PASSWORDS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CALLBACK = "http://127.0.0.1:8000/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    log_path = tmp_path_factory.mktemp("interop") / "mock_openam.log"
    with ServiceProcess("mock_openam", env={}, log_path=log_path) as process:
        yield process


@pytest.fixture(scope="module")
def metadata(provider: ServiceProcess) -> dict[str, Any]:
    issuer = f"{provider.url}/openam/oauth2"
    response = httpx.get(f"{issuer}/.well-known/openid-configuration")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    assert document["issuer"] == issuer
    return document


def validated_id_token(
    metadata: dict[str, Any],
    id_token: str,
    claims_cls: type[IDToken],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Verify the signature against the JWKS and apply Authlib's OIDC rules."""
    keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    claims = jwt.decode(
        id_token,
        keys,
        claims_cls=claims_cls,
        claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
        claims_params={"client_id": DASHBOARD[0], **params},
    )
    claims.validate()
    return dict(claims)


def test_authlib_password_grant_and_id_token_validation(
    metadata: dict[str, Any],
) -> None:
    with OAuth2Client(*DASHBOARD, scope="openid keystoneid") as client:
        token = client.fetch_token(
            metadata["token_endpoint"],
            grant_type="password",
            username="alice",
            password=PASSWORDS["alice"],
        )
        userinfo = client.get(metadata["userinfo_endpoint"])

    claims = validated_id_token(
        metadata, token["id_token"], IDToken, {"access_token": token["access_token"]}
    )
    assert claims["sub"] == "alice"
    assert claims["keystoneid"] == KEYSTONEIDS["alice"]
    assert userinfo.json() == {"sub": "alice", "keystoneid": KEYSTONEIDS["alice"]}


def test_authlib_code_flow_with_pkce(metadata: dict[str, Any]) -> None:
    verifier, nonce = generate_token(48), secrets.token_urlsafe(16)
    with OAuth2Client(
        *DASHBOARD,
        scope="openid keystoneid",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    ) as client:
        url, _state = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        location = _log_in(url, "dave")
        token = client.fetch_token(
            metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
        )
        refreshed = client.refresh_token(metadata["token_endpoint"])

    claims = validated_id_token(
        metadata,
        token["id_token"],
        CodeIDToken,
        {"nonce": nonce, "access_token": token["access_token"]},
    )
    assert claims["sub"] == "dave"
    assert claims["keystoneid"] == KEYSTONEIDS["carol"]
    assert refreshed["access_token"] != token["access_token"]


def test_authlib_refused_password_is_an_oauth_error(metadata: dict[str, Any]) -> None:
    with (
        OAuth2Client(*DASHBOARD, scope="openid") as client,
        pytest.raises(OAuthError, match="invalid_grant"),
    ):
        client.fetch_token(
            metadata["token_endpoint"],
            grant_type="password",
            username="alice",
            password="not-her-password",
        )


def _log_in(authorization_url: str, username: str) -> str:
    """What a person does in the browser: open the page, fill in the form."""
    with httpx.Client(follow_redirects=False) as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'name="(tx|csrf_token)" value="([^"]+)"', page.text))
        answer = browser.post(
            str(page.url.copy_with(query=None)),
            data={**fields, "username": username, "password": PASSWORDS[username]},
        )
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    return location
