"""The OpenAPI schema is generated and rendered once per process (web/api/schema.py,
SchemaView; issue 16): later requests answer the same bytes without generating it again,
in each format asked."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from web.api.schema import SchemaView


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(SchemaView, "_schemas", {})
    monkeypatch.setattr(SchemaView, "_rendered", {})


@pytest.fixture
def generations(monkeypatch):
    calls = []
    original = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    return calls


def test_the_schema_is_generated_once_and_answered_the_same_after(fresh_cache, generations):
    api = APIClient()
    first = api.get("/api/schema/")
    second = api.get("/api/schema/")

    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first["Content-Type"] == second["Content-Type"]
    assert first["Content-Type"].startswith("application/vnd.oai.openapi")
    assert b"/api/v1/appointments/" in second.content
    assert len(generations) == 1


def test_each_format_is_rendered_as_asked_from_the_one_generation(fresh_cache, generations):
    api = APIClient()
    yaml = api.get("/api/schema/")
    as_json = api.get("/api/schema/", {"format": "json"})
    again = api.get("/api/schema/", {"format": "json"})

    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(again.content) == json.loads(as_json.content)
    assert "/api/v1/appointments/" in json.loads(again.content)["paths"]
    assert yaml.content.startswith(b"openapi:")
    assert len(generations) == 1
