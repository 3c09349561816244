"""The OpenAPI document: bearer security on every guarded operation, none on health."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.udr.conftest import MakeClient

GUARDED = {("get", "/usage/users/{keystoneid}"), ("post", "/usage/records")}


def test_guarded_operations_declare_bearer_security(make_client: MakeClient) -> None:
    document = make_client().get("/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }

    assert schemes == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An access token from the provider, in the Authorization header only"
            ),
        }
    }
    assert set(operations) == GUARDED | {("get", "/health")}
    for key in GUARDED:
        assert operations[key]["security"] == [{"HTTPBearer": []}], key
    assert "security" not in operations[("get", "/health")]


def test_usage_answer_and_batch_schemas_are_published(make_client: MakeClient) -> None:
    client: TestClient = make_client()
    document = client.get("/openapi.json").json()

    query = document["paths"]["/usage/users/{keystoneid}"]["get"]
    ingest = document["paths"]["/usage/records"]["post"]
    body = ingest["requestBody"]["content"]["application/json"]["schema"]

    assert [p["name"] for p in query["parameters"]] == [
        "keystoneid",
        "from",
        "to",
        "bucket",
    ]
    assert query["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UsageReport"
    }
    assert {"401", "403", "422", "503"} <= set(query["responses"])
    assert body["required"] == ["records"]
    assert body["properties"]["records"]["items"]["required"] == [
        "id",
        "keystoneid",
        "resource_id",
        "meter",
        "type",
        "unit",
        "volume",
        "start",
        "end",
    ]
