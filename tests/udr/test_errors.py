"""Every refusal is a JSON error body, including the ones FastAPI makes itself."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from httpx import Response

from tests.udr.conftest import PERIOD, MakeClient, bearer
from tests.udr.fake_provider import FakeProvider


def test_unknown_path_is_a_json_404(make_client: MakeClient) -> None:
    response = make_client().get("/usage/users")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "Not Found"}


def test_wrong_method_is_a_json_405(make_client: MakeClient) -> None:
    response = make_client().delete("/usage/records")

    assert response.status_code == 405
    assert response.json() == {
        "error": "method_not_allowed",
        "error_description": "Method Not Allowed",
    }
    assert response.headers["allow"] == "POST"


def test_store_failure_is_503_not_500(
    provider: FakeProvider, make_client: MakeClient
) -> None:
    client = make_client()
    with client.app.state.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.text("DROP TABLE usage_records"))

    response = client.get(
        "/usage/users/k-alice", params=PERIOD, headers=bearer(provider.mint())
    )

    assert response.status_code == 503
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "the store is unavailable",
    }


def test_every_answer_carries_a_request_id(make_client: MakeClient) -> None:
    client = make_client()

    first, second = client.get("/health"), client.get("/nope")

    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(len(i) == 16 for i in ids)


@pytest.mark.parametrize(
    "path", ["/usage/users/k-alice/", "/health/", "/usage/records/"]
)
def test_trailing_slash_is_a_json_404_not_a_redirect(
    provider: FakeProvider, make_client: MakeClient, path: str
) -> None:
    """No 307 whose Location is built from the request's Host header."""
    headers = {**bearer(provider.mint()), "Host": "evil.example"}

    response = make_client().get(
        path, params=PERIOD, headers=headers, follow_redirects=False
    )

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "Not Found"}
    assert "location" not in response.headers


def _same_headers(response: Response) -> dict[str, str]:
    varying = {"x-request-id", "date"}
    return {k: v for k, v in response.headers.items() if k not in varying}


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/usage/users/k-alice"])
def test_head_answers_as_get_without_a_body(
    provider: FakeProvider, make_client: MakeClient, path: str
) -> None:
    """RFC 9110 section 9.3.2: HEAD wherever GET is, the same headers, no content."""
    client, headers = make_client(), bearer(provider.mint())

    get = client.get(path, params=PERIOD, headers=headers)
    head = client.head(path, params=PERIOD, headers=headers)

    assert get.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert _same_headers(head) == _same_headers(get)
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_refusals_carry_their_headers_without_a_body(
    make_client: MakeClient,
) -> None:
    client = make_client()

    no_token = client.head("/usage/users/k-alice", params=PERIOD)
    post_only = client.head("/usage/records")

    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == 'Bearer realm="udr"'
    assert no_token.content == b""
    assert post_only.status_code == 405
    assert post_only.headers["allow"] == "POST"
    assert post_only.content == b""
