"""Local verification (UDR_VALIDATION_MODE=jwt): the attacks on a signed token."""

from __future__ import annotations

import base64
import json
import time

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from jose import jwk, jwt

from tests.udr.conftest import PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider, Key, rsa_key, unsigned

URL = "/usage/users/k-alice"


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client(validation_mode="jwt", jwt_leeway=5)


def _get(client: TestClient, token: str) -> Response:
    return client.get(URL, params=PERIOD, headers=bearer(token))


def _refused(response: Response, description: str) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_token",
        "error_description": description,
    }
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="udr", error="invalid_token"')


def _claims(provider: FakeProvider, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": provider.issuer,
        "sub": "alice",
        "aud": "dashboard",
        "exp": now + 300,
        "iat": now,
        "scope": "openid keystoneid",
        "keystoneid": "k-alice",
    }
    claims.update(changes)
    return claims


def _signed(provider: FakeProvider, key: Key, **headers: object) -> str:
    """Good claims signed RS256 by `key`, with the headers given (`kid` among them)."""
    return jwt.encode(
        _claims(provider), key.private_pem.decode(), "RS256", headers=headers
    )


@pytest.mark.step(5)
@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_token_signed_by_a_published_key_is_accepted(
    kid: str, provider: FakeProvider, client: TestClient
) -> None:
    assert _get(client, provider.mint(kid=kid)).status_code == 200


@pytest.mark.attack("alg-none")
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_unsigned_token_is_refused(
    alg: str, provider: FakeProvider, client: TestClient
) -> None:
    token = unsigned(_claims(provider), {"alg": alg, "kid": "rsa-1", "typ": "JWT"})

    _refused(_get(client, token), "the token's algorithm is not accepted")


@pytest.mark.attack("alg-confusion")
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_is_refused(
    alg: str, provider: FakeProvider, client: TestClient
) -> None:
    public = provider.key("rsa-1").public_jwk
    pem = jwk.construct(public, "RS256").to_pem().decode()
    # python-jose refuses a PEM as an HMAC secret, so sign by hand.
    import hashlib
    import hmac

    header = {"alg": alg, "kid": "rsa-1", "typ": "JWT"}
    signing_input = unsigned(_claims(provider), header).rstrip(".")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    mac = hmac.new(pem.encode(), signing_input.encode(), digest[alg]).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    _refused(_get(client, token), "the token's algorithm is not accepted")


@pytest.mark.attack("tampered")
def test_tampered_payload_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    header, _payload, signature = provider.mint().split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps(_claims(provider, keystoneid="k-bob")).encode()
    )
    token = f"{header}.{forged.rstrip(b'=').decode()}.{signature}"

    response = client.get("/usage/users/k-bob", params=PERIOD, headers=bearer(token))

    _refused(response, "the token's signature does not verify")


@pytest.mark.attack("wrong-key")
def test_token_signed_by_another_key_with_a_known_kid_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    attacker = rsa_key("rsa-1")
    token = _signed(provider, attacker, kid="rsa-1")

    _refused(_get(client, token), "the token's signature does not verify")


@pytest.mark.attack("key-confusion")
def test_rs256_header_naming_an_ec_key_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    rsa = provider.key("rsa-1")
    token = _signed(provider, rsa, kid="ec-1")

    _refused(_get(client, token), "the token's algorithm does not match its key")


@pytest.mark.attack("symmetric-key-in-jwks")
def test_symmetric_key_in_the_jwks_is_never_used(
    provider: FakeProvider, client: TestClient
) -> None:
    secret = b"a-shared-secret-of-32-bytes-long!"
    provider.behaviour.extra_jwks = [
        {"kty": "oct", "kid": "hmac", "k": base64.urlsafe_b64encode(secret).decode()}
    ]
    token = jwt.encode(
        _claims(provider), secret.decode(), "HS256", headers={"kid": "hmac"}
    )

    _refused(_get(client, token), "the token's algorithm is not accepted")


@pytest.mark.attack("jku")
def test_jku_header_is_ignored(provider: FakeProvider, client: TestClient) -> None:
    attacker = rsa_key("attacker")
    jku = f"{provider.issuer}/attacker-jwks"
    token = _signed(provider, attacker, kid="attacker", jku=jku)

    _refused(_get(client, token), "the token's key is not among the provider's keys")


@pytest.mark.attack("wrong-issuer")
@pytest.mark.parametrize(
    "issuer",
    [
        "{issuer}/",  # a trailing slash
        "{prefix}",  # a prefix of the right one
        "{issuer}/realms/root/realms/other",  # another realm
        "http://evil.example/openam/oauth2",
        "",
    ],
)
def test_token_from_another_issuer_is_refused(
    issuer: str, provider: FakeProvider, client: TestClient
) -> None:
    iss = issuer.format(issuer=provider.issuer, prefix=provider.issuer[:-1])
    token = provider.mint(payload={"iss": iss})

    _refused(_get(client, token), "the token's issuer is not the provider")


def test_token_without_issuer_is_refused(
    provider: FakeProvider, client: TestClient
) -> None:
    token = provider.mint(payload={"iss": None})

    _refused(_get(client, token), "the token's issuer is not the provider")


@pytest.mark.attack("wrong-audience")
@pytest.mark.parametrize(
    ("aud", "status"),
    [
        ("udr", 200),
        (["dashboard", "udr"], 200),
        ("dashboard", 401),
        (["udrx"], 401),
        (None, 401),
        ("UDR", 401),
    ],
)
def test_audience_is_checked_when_configured(
    aud: object, status: int, provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="jwt", audience="udr")
    token = provider.mint(payload={"aud": aud})

    response = _get(client, token)

    assert response.status_code == status
    if status == 401:
        _refused(response, "the token is not meant for this service")


@pytest.mark.attack("expired")
@pytest.mark.parametrize(("exp_offset", "status"), [(-60, 401), (-2, 200), (60, 200)])
def test_expiry_allows_only_the_configured_leeway(
    exp_offset: int, status: int, provider: FakeProvider, client: TestClient
) -> None:
    token = provider.mint(payload={"exp": int(time.time()) + exp_offset})

    response = _get(client, token)

    assert response.status_code == status
    if status == 401:
        _refused(response, "the token has expired")


@pytest.mark.parametrize("exp", [None, "9999999999", True, [1], 1e400])
def test_token_without_a_numeric_expiry_is_refused(
    exp: object, provider: FakeProvider, client: TestClient
) -> None:
    payload = {"exp": exp} if exp is not None else {"exp": None}
    if exp == 1e400:  # JSON has no infinity; python-jose writes it as Infinity
        payload = {"exp": float("inf")}
    token = provider.mint(payload=payload)

    _refused(_get(client, token), "the token has no expiry")


@pytest.mark.parametrize(("nbf_offset", "status"), [(120, 401), (2, 200)])
def test_not_before_allows_only_the_leeway(
    nbf_offset: int, status: int, provider: FakeProvider, client: TestClient
) -> None:
    token = provider.mint(payload={"nbf": int(time.time()) + nbf_offset})

    response = _get(client, token)

    assert response.status_code == status
    if status == 401:
        _refused(response, "the token is not valid yet")


def test_id_token_is_not_a_bearer_token(
    provider: FakeProvider, client: TestClient
) -> None:
    id_token = provider.mint(payload={"scope": None, "nonce": "n", "aud": "dashboard"})

    _refused(_get(client, id_token), "the token is not an access token")


def test_critical_header_is_refused(provider: FakeProvider, client: TestClient) -> None:
    token = provider.mint(headers={"crit": ["exp"]})

    _refused(_get(client, token), "the token has critical header parameters")


@pytest.mark.parametrize(
    ("token", "description"),
    [
        ("abc", "the token is not a signed JWT"),
        ("a.b.c", "the token is not a signed JWT"),
        ("...", "the token is not a signed JWT"),
        ("e30.e30.", "the token's algorithm is not accepted"),  # header {}
    ],
)
def test_token_that_is_not_a_jws_is_refused(
    token: str, description: str, client: TestClient
) -> None:
    _refused(_get(client, token), description)


@pytest.mark.step(5)
def test_rotated_key_is_fetched_once_for_an_unknown_kid(
    provider: FakeProvider, client: TestClient
) -> None:
    assert _get(client, provider.mint()).status_code == 200
    fetched = provider.count("jwks")

    new_kid = provider.rotate()
    response = _get(client, provider.mint(kid=new_kid))

    assert response.status_code == 200
    assert provider.count("jwks") == fetched + 1


def test_unknown_kid_refetches_at_most_once_per_interval(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="jwt", jwks_refresh_interval=3600)
    assert _get(client, provider.mint()).status_code == 200
    fetched = provider.count("jwks")
    attacker = rsa_key("nobody")
    forged = [_signed(provider, attacker, kid=f"nobody-{n}") for n in range(5)]

    for token in forged:
        _refused(
            _get(client, token), "the token's key is not among the provider's keys"
        )

    assert provider.count("jwks") == fetched + 1


def test_jwks_key_with_private_part_is_ignored(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client(validation_mode="jwt")
    leaked = rsa_key("leaked")
    private = jwk.construct(leaked.private_pem.decode(), "RS256").to_dict()
    provider.behaviour.extra_jwks = [{**private, "kid": "leaked"}]
    token = _signed(provider, leaked, kid="leaked")

    _refused(_get(client, token), "the token's key is not among the provider's keys")


@pytest.mark.attack("revoked")
def test_revocation_is_not_seen_in_jwt_mode(
    provider: FakeProvider, client: TestClient
) -> None:
    """Documented: local verification cannot see a revocation before `exp`."""
    token = provider.mint()
    provider.revoke(token)

    assert _get(client, token).status_code == 200
