"""A client's photos of one area compared across visits: by default the area's first day
beside its latest, any two of its days on request, each image through the authorised photo
view; the comparison is audited, refused in words for an area or a day without photos, and a
404 to staff out of scope (a practitioner not the client's, another organisation)."""

import io
import re

import pytest
from django.test import Client as Browser
from PIL import Image

from access.roles import PRACTITIONER
from clinic.models import AuditEntry
from records.models import PhotoConsent
from records.photos import photo_add
from tests import factories
from tests.records.conftest import NEXT_WEEK
from tests.workspace.conftest import TODAY


def png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def taken(cast, visits):
    """Jawline before and after at the first visit, after at the next; lips before at the
    first."""
    first, second = visits
    PhotoConsent.objects.create(client=cast.olivia, given=True)

    def add(appointment, area, stage):
        return photo_add(
            appointment=appointment, data=png((10, 20, 30)), area=area, stage=stage, by=None
        )

    return {
        "jaw_before": add(first, "jawline", "before"),
        "jaw_after": add(first, "jawline", "after"),
        "jaw_later": add(second, "jawline", "after"),
        "lips": add(first, "lips", "before"),
    }


def shown(response) -> dict[str, list[int]]:
    """day -> the photo ids its column shows."""
    page = response.content.decode()
    columns = re.findall(r'data-day="([0-9-]+)">(.*?)</div>', page, re.S)
    return {
        day: [int(n) for n in re.findall(r"/staff/photos/(\d+)/", html)] for day, html in columns
    }


def test_by_default_the_first_day_beside_the_latest_each_image_through_the_photo_view(cast, taken):
    pat = cast.browser("pat")
    url = f"/staff/clients/{cast.olivia.pk}/photos/"

    page = pat.get(url)

    assert page.status_code == 200
    assert shown(page) == {
        TODAY.isoformat(): [taken["jaw_before"].pk, taken["jaw_after"].pk],
        NEXT_WEEK.isoformat(): [taken["jaw_later"].pk],
    }
    assert f"/staff/photos/{taken['lips'].pk}/" not in page.content.decode()
    entry = AuditEntry.objects.get(what="clinical photos", action="view", username="pat")
    assert entry.details["area"] == "jawline"
    assert sorted(entry.details["photos"]) == sorted(
        [taken["jaw_before"].pk, taken["jaw_after"].pk, taken["jaw_later"].pk]
    )
    image = pat.get(f"/staff/photos/{taken['jaw_later'].pk}/")
    assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
    record_page = pat.get(f"/staff/appointments/{taken['lips'].appointment.reference}/record/")
    assert url in record_page.content.decode()


def test_another_area_and_days_on_request_and_in_words_when_there_are_none(cast, taken):
    pat = cast.browser("pat")
    url = f"/staff/clients/{cast.olivia.pk}/photos/"

    lips = pat.get(url, {"area": "lips"})
    one_day = pat.get(
        url, {"area": "jawline", "first": TODAY.isoformat(), "second": TODAY.isoformat()}
    )
    no_area = pat.get(url, {"area": "forehead"})
    no_day = pat.get(url, {"area": "lips", "second": NEXT_WEEK.isoformat()})
    not_a_day = pat.get(url, {"first": "yesterday"})

    assert shown(lips) == {TODAY.isoformat(): [taken["lips"].pk]}
    assert shown(one_day) == {TODAY.isoformat(): [taken["jaw_before"].pk, taken["jaw_after"].pk]}
    assert one_day.content.decode().count('data-day="') == 1  # one column for one day
    assert (no_area.status_code, no_day.status_code, not_a_day.status_code) == (400, 400, 400)
    assert "There are no photos of that area" in no_area.content.decode()
    assert "no photos of that area on" in no_day.content.decode()
    assert "is not a day (YYYY-MM-DD)" in not_a_day.content.decode()


def test_staff_out_of_scope_get_a_404_and_another_clinic_none_of_its_photos(cast, taken):
    ben_user = factories.StaffFactory(username="benuser", roles=[PRACTITIONER])
    cast.ben.user = ben_user
    cast.ben.save(update_fields=["user"])
    organisation = cast.world.clinic.organisation
    sister = factories.ClinicFactory(organisation=organisation)
    sister_desk = factories.StaffFactory(username="sisterdesk", clinics=[sister])
    elsewhere = factories.StaffFactory(username="elsewhere", clinics=[factories.ClinicFactory()])
    url = f"/staff/clients/{cast.olivia.pk}/photos/"
    answers = {}
    for name, user in [
        ("ben", ben_user),
        ("another organisation's desk", elsewhere),
        ("client", cast.users["client"]),
        ("anonymous", None),
    ]:
        browser = Browser()
        if user is not None:
            browser.force_login(user)
        answers[name] = browser.get(url).status_code
    sister_browser = Browser()
    sister_browser.force_login(sister_desk)
    sister_page = sister_browser.get(url)

    assert answers == {
        "ben": 404,
        "another organisation's desk": 404,
        "client": 403,
        "anonymous": 302,
    }
    # The client is the organisation's; the photos are the clinic's where they were taken.
    assert sister_page.status_code == 200 and "/staff/photos/" not in sister_page.content.decode()
    assert not AuditEntry.objects.filter(what="clinical photos", action="view").exists()
    assert cast.browser("desk").get(url).status_code == 200  # the clinic's own desk: the control
