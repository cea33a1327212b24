"""The API's JSON renderer (web/api/renderers.py) writes what REST framework's writes, byte
for byte, and falls back to REST framework's wherever orjson would write otherwise."""

import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers as drf
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from web.api.renderers import JSONRenderer

LONDON = ZoneInfo("Europe/London")

ANSWERS = [
    {},
    [],
    {"slots": [{"start": "2027-03-02T10:00:00+00:00", "practitioners": [1, 2, 30]}] * 3},
    {"name": "Zoë Ångström", "note": "née Ødegård — 東京 🙂", "quote": 'she said "no"\\'},
    {"control": "tab\there\nline\r\x00\x1f\x7f", "html": "<script>&</script>"},
    {"separators": "a\u2028b\u2029c", "nested": ["\u2028"]},
    {"int": 0, "negative": -17, "big": 2**63 - 1, "small": -(2**63), "true": True, "none": None},
    {"float": 1.5, "whole": 2.0, "tiny": 0.1 + 0.2, "percent": 12.345},
    {"utc": datetime.datetime(2027, 3, 2, 10, 0, tzinfo=datetime.UTC)},
    {"london": datetime.datetime(2027, 7, 2, 10, 0, 5, 123, tzinfo=LONDON)},
    {"naive": datetime.datetime(2027, 3, 2, 10, 0), "date": datetime.date(2027, 3, 2)},
    {"time": datetime.time(9, 30), "delta": datetime.timedelta(minutes=45, seconds=1)},
    {"price": decimal.Decimal("65.00"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"lazy": gettext_lazy("Booked"), "detail": ErrorDetail("Not found.", code="not_found")},
    {"set": {3}, "tuple": (1, "a"), "bytes": b"abc"},
    {7: "integer key", 2.5: "float key", False: "boolean key", None: "null key"},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
    ["a", ["b", ["c", ["d"]]], {"e": {"f": {}}}],
]


@pytest.mark.parametrize("answer", ANSWERS, ids=range(len(ANSWERS)))
def test_the_same_bytes_as_rest_frameworks_renderer(answer):
    assert JSONRenderer().render(answer) == drf.JSONRenderer().render(answer)


@pytest.mark.parametrize(
    "answer",
    [{"huge": 2**64}, {"huge": -(2**63) - 1}, ["x" * 10, 10**30]],
    ids=["unsigned 64 bits", "below signed 64", "in a list"],
)
def test_what_orjson_refuses_is_written_by_rest_framework(answer):
    assert JSONRenderer().render(answer) == drf.JSONRenderer().render(answer)


def test_a_tiny_float_may_be_written_another_way_but_reads_the_same():
    answer = {"tiny": [1e-7, 1e-5, 5e-324, 2.5e-10]}
    ours, theirs = JSONRenderer().render(answer), drf.JSONRenderer().render(answer)
    assert ours != theirs  # 1e-7 against 1e-07
    assert json.loads(ours) == json.loads(theirs) == answer


def test_an_indented_answer_is_rest_frameworks():
    answer = {"a": [1, {"b": "c"}]}
    for context in ({"indent": 4}, {}):
        media = "application/json; indent=2" if not context else None
        assert JSONRenderer().render(answer, media, context) == drf.JSONRenderer().render(
            answer, media, context
        )
    assert b"\n" in JSONRenderer().render(answer, "application/json; indent=2", {})


def test_nothing_to_write_is_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_what_neither_can_write_is_refused_by_both():
    class Opaque:
        pass

    with pytest.raises(TypeError):
        drf.JSONRenderer().render({"x": Opaque()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": Opaque()})
    aware = datetime.time(9, 30, tzinfo=datetime.UTC)
    with pytest.raises(ValueError):
        JSONRenderer().render({"time": aware})


def test_a_float_that_is_not_a_number_is_null_not_an_error():
    """REST framework's strict JSON refuses it (a 500); the answer writes it as null."""
    with pytest.raises(ValueError):
        drf.JSONRenderer().render({"x": float("nan")})
    assert JSONRenderer().render({"x": float("nan"), "y": float("inf")}) == b'{"x":null,"y":null}'


def test_the_api_answers_through_it(client):
    """Settings name it; an error's code/detail shape comes out as REST framework wrote it."""
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
    response = client.get("/api/v1/availability/")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] and body["detail"]
