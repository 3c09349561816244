"""Every refusal is a JSON error body, including the ones FastAPI makes itself."""

from __future__ import annotations

import sqlalchemy as sa

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
