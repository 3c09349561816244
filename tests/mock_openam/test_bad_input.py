"""Bad input of every kind gets a 4xx with an error body, never a 500."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from .conftest import BASE, DASHBOARD, PASSWORDS

FORM = "application/x-www-form-urlencoded"
FORM_ENDPOINTS = [
    f"{BASE}/access_token",
    f"{BASE}/introspect",
    f"{BASE}/token/revoke",
    f"{BASE}/userinfo",
    f"{BASE}/authorize",
    "/openam/oauth2/realms/root/realms/x/access_token",
]
BAD_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b'{"grant_type": "password"}'),
    ("text/plain", b"grant_type=password"),
    ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
    (FORM, b"grant_type=%ff%fe&token=%c3%28"),
    (FORM, b"\xff\xfe\x00\x01"),
    (FORM, b"token=" + b"a" * 70_000),
    (FORM, b"token=" + b"a" * 20_000),
    (FORM, b"grant_type=password&grant_type=client_credentials&token=a&token=b"),
    (FORM, b"token=a%00b&grant_type=pass%00word"),
    (FORM, b"&&&==&=%zz&%"),
    (FORM, b"=" * 5000),
    (FORM, "&".join(f"p{i}=v" for i in range(500)).encode()),
    (FORM, b""),
    ("", b"token=x"),
]


@pytest.mark.parametrize("path", FORM_ENDPOINTS)
@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
def test_form_endpoints_answer_bad_bodies_with_a_4xx_error(
    client: TestClient, path: str, content_type: str, body: bytes
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = client.post(path, content=body, headers=headers)

    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "error_description"}


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
def test_end_session_ignores_or_refuses_odd_bodies_never_500(
    client: TestClient, content_type: str, body: bytes
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    response = client.post(f"{BASE}/connect/endSession", content=body, headers=headers)

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["error"] == "invalid_request"
    else:
        assert "signed out" in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"dashboard:%zz%").decode(),
        "Basic",
        "Basic " + "A" * 10_000,
        "Bearer abc",
        "Digest username=x",
    ],
)
def test_token_endpoint_answers_malformed_client_auth_with_401(
    client: TestClient, authorization: str
) -> None:
    response = client.post(
        f"{BASE}/access_token",
        data={
            "grant_type": "password",
            "username": "alice",
            "password": PASSWORDS["alice"],
        },
        headers={"Authorization": authorization},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer    ",
        "Basic abc",
        "bearer " + "x" * 20_000,
        "Bearer a b c",
        "Bearer \t",
    ],
)
@pytest.mark.parametrize("path", [f"{BASE}/userinfo", f"{BASE}/tokeninfo"])
def test_bearer_endpoints_answer_malformed_headers_with_4xx(
    client: TestClient, path: str, authorization: str
) -> None:
    response = client.get(path, headers={"Authorization": authorization})

    assert response.status_code in (400, 401)
    assert set(response.json()) == {"error", "error_description"}


@pytest.mark.parametrize(
    "query",
    [
        "access_token=%ff%fe",
        "access_token=" + "a" * 30_000,
        "access_token=",
        "access_token=a&access_token=b",
        "%ff=%ff",
    ],
)
def test_tokeninfo_answers_odd_query_strings_with_4xx(
    client: TestClient, query: str
) -> None:
    response = client.get(f"{BASE}/tokeninfo?{query}")

    assert response.status_code in (400, 401)
    assert set(response.json()) == {"error", "error_description"}


@pytest.mark.parametrize(
    "query",
    [
        "client_id=dashboard&client_id=x",
        "client_id=%ff%fe",
        "client_id=dashboard&state=" + "s" * 5000,
        "client_id=" + "c" * 5000,
        "",
    ],
)
def test_authorize_answers_odd_query_strings_with_400(
    client: TestClient, query: str
) -> None:
    response = client.get(f"{BASE}/authorize?{query}", follow_redirects=False)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_parameters_are_ignored_even_when_repeated(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/access_token",
        content=b"grant_type=client_credentials&x=1&x=2&y=%00",
        headers={"Content-Type": FORM},
        auth=("collector", "collector-demo-secret"),
    )

    assert response.status_code == 200


def test_known_parameters_repeated_are_refused(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/access_token",
        content=b"grant_type=client_credentials&scope=a&scope=b",
        headers={"Content-Type": FORM},
        auth=("collector", "collector-demo-secret"),
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "parameter scope is repeated",
    }


def test_password_grant_with_a_huge_password_is_invalid_grant(
    client: TestClient,
) -> None:
    response = client.post(
        f"{BASE}/access_token",
        auth=DASHBOARD,
        data={"grant_type": "password", "username": "alice", "password": "p" * 16_000},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_method_is_405_with_an_error_body(client: TestClient) -> None:
    response = client.get(f"{BASE}/access_token")

    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


def test_unknown_path_is_404_with_an_error_body(client: TestClient) -> None:
    response = client.get("/openam/oauth2/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_too_many_form_fields_is_named_as_the_cause(client: TestClient) -> None:
    fields = "&".join(f"x{i}=v" for i in range(100))

    response = client.post(
        f"{BASE}/access_token",
        content=f"grant_type=client_credentials&{fields}".encode(),
        headers={"Content-Type": FORM},
        auth=("collector", "collector-demo-secret"),
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "too many form fields (at most 100)",
    }


def test_one_hundred_form_fields_are_still_read(client: TestClient) -> None:
    fields = "&".join(f"x{i}=v" for i in range(99))

    response = client.post(
        f"{BASE}/access_token",
        content=f"grant_type=client_credentials&{fields}".encode(),
        headers={"Content-Type": FORM},
        auth=("collector", "collector-demo-secret"),
    )

    assert response.status_code == 200


def test_a_body_that_is_not_utf8_is_named_as_the_cause(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/access_token",
        content=b"grant_type=%ff%fe",
        headers={"Content-Type": FORM},
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "the body is not valid UTF-8 form data",
    }


@pytest.mark.parametrize(
    "path", ["/health/", f"{BASE}/.well-known/openid-configuration/"]
)
def test_a_trailing_slash_is_404_not_a_redirect_built_from_host(
    client: TestClient, path: str
) -> None:
    response = client.get(
        path, headers={"Host": "attacker.example"}, follow_redirects=False
    )

    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["error"] == "not_found"
