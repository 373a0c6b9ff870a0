"""The OpenAPI document tells a generated client every answer the API gives."""

from typing import Any

from exhibit.settings import Settings
from tests.fixtures.officer import browser

METHODS = {"get", "post", "put", "patch", "delete", "head"}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in operations.items()
        if method in METHODS
    ]


async def test_every_api_route_documents_its_token_permission_and_not_found_answers(
    settings: Settings,
) -> None:
    async with browser(settings) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operations = _operations(schema)
    assert len(operations) > 30
    for path, method, operation in operations:
        documented = set(operation["responses"])
        assert {"401", "403"} <= documented, (method, path)
        if "{" in path:
            assert "404" in documented, (method, path)
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]
        assert set(error["required"]) == {"status_code", "detail"}


async def test_states_are_enums_and_files_are_not_json(
    settings: Settings,
) -> None:
    async with browser(settings) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    components = schema["components"]["schemas"]
    for struct, field, enum in [
        ("ItemOut", "review_state", "ReviewState"),
        ("ItemDetail", "review_state", "ReviewState"),
        ("CaseOut", "status", "CaseStatus"),
        ("RequestOut", "state", "RequestState"),
        ("DisposalOut", "state", "DisposalState"),
        ("NotificationOut", "status", "DeliveryStatus"),
        ("OutboxMessageOut", "status", "DeliveryStatus"),
    ]:
        assert components[struct]["properties"][field] == {
            "$ref": f"#/components/schemas/{enum}"
        }, struct
    assert "quarantined" in components["ReviewState"]["enum"]

    paths = schema["paths"]
    original = paths["/api/v1/items/{item_id}/original"]["get"]["responses"]
    assert {"200", "206", "410", "416"} <= set(original)
    assert "application/json" not in original["200"]["content"]
    bundle = paths["/api/v1/shares/{share_id}/bundle"]["get"]["responses"]
    assert list(bundle["200"]["content"]) == ["application/zip"]
    assert "409" in bundle


async def test_the_posts_that_create_or_send_document_the_idempotency_key(
    settings: Settings,
) -> None:
    async with browser(settings) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    idempotent = {
        ("post", "/api/v1/cases"),
        ("post", "/api/v1/cases/{case_id}/requests"),
        ("post", "/api/v1/cases/{case_id}/shares"),
        ("post", "/api/v1/requests/{request_id}/resend"),
        ("post", "/api/v1/items/{item_id}/disposal"),
        ("post", "/api/v1/items/{item_id}/process-again"),
    }
    taking = set()
    for path, method, operation in _operations(schema):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "Idempotency-Key" not in headers:
            continue
        taking.add((method, path))
        assert {"409", "422"} <= set(operation["responses"]), (method, path)
        assert "Idempotency-Key header" in operation["description"], (method, path)
        assert "422" in operation["description"], (method, path)
    assert taking == idempotent
