"""The staff injectables list answers `"recorded_by": null` for a record no staff account
stands behind (its recorder's account deleted, or entered by the client online); the schema
says so, so a client generated from it does not choke on the null."""

import json
from datetime import date

from rest_framework.test import APIClient

from tests import factories


def test_a_record_whose_recorder_was_deleted_answers_null_as_the_schema_says(cast):
    temp = factories.StaffFactory(username="temp")
    record = factories.InjectableRecordFactory(
        client=cast.olivia, date=date(2027, 2, 1), recorded_by=temp
    )
    temp.delete()
    api = APIClient()
    api.force_authenticate(cast.users["mia"])

    listed = api.get(f"/api/v1/clients/{cast.olivia.pk}/injectables/").json()
    schema = json.loads(api.get("/api/schema/", {"format": "json"}).content)

    [row] = [row for row in listed if row["id"] == record.pk]
    assert row["recorded_by"] is None
    recorded_by = schema["components"]["schemas"]["InjectableOutput"]["properties"]["recorded_by"]
    assert recorded_by == {"type": "string", "nullable": True}
