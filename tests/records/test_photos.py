"""Clinical photos: taken only with the client's recorded consent, checked as images, stored
without their metadata (the GPS position a tablet writes is gone), outside any public path,
and shown only through the workspace's audited view to whoever may open the appointment's
record; in the export, and gone with anonymisation."""

import base64
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as Browser
from PIL import Image

from access.roles import PRACTITIONER
from clinic.models import AuditEntry
from privacy.anonymise import client_anonymise
from records.models import ClinicalPhoto, PhotoConsent, photo_storage
from records.photos import NoPhotoConsent, PhotoRefused, clean_image, photo_add
from tests import factories
from tests.records.conftest import NEXT_WEEK
from tests.workspace.conftest import london

GPS = 0x8825  # the EXIF tag of the GPS block


def jpeg_with_gps(size=(640, 480)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 100))
    exif = Image.Exif()
    exif[0x010F] = "TabletMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotated; the stored photo is turned upright
    exif.get_ifd(GPS).update({1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"Olivia Turner at home")
    return out.getvalue()


def test_the_stored_photo_has_no_exif_and_stands_upright():
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(GPS)  # the control: the upload carries a position

    cleaned = clean_image(jpeg_with_gps())

    stored = Image.open(io.BytesIO(cleaned.content))
    assert dict(stored.getexif()) == {} and stored.getexif().get_ifd(GPS) == {}
    assert b"Olivia Turner" not in cleaned.content and b"TabletMaker" not in cleaned.content
    assert (cleaned.width, cleaned.height, cleaned.content_type) == (480, 640, "image/jpeg")


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "Choose a photo"),
        (b"%PDF-1.4 not an image", "not a JPEG, PNG or WebP image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not a JPEG, PNG or WebP image"),
        ("gif", "not a JPEG, PNG or WebP image"),
        ("tiny", "each side must be from 200 to 8000 pixels"),
        ("huge", "too large"),
    ],
)
def test_anything_but_an_image_we_take_is_refused_in_words(data, words, settings):
    settings.PHOTO_MAX_BYTES = 50_000
    if data == "gif":
        out = io.BytesIO()
        Image.new("RGB", (300, 300)).save(out, format="GIF")
        data = out.getvalue()
    elif data == "tiny":
        out = io.BytesIO()
        Image.new("RGB", (120, 300)).save(out, format="PNG")
        data = out.getvalue()
    elif data == "huge":
        data = b"\x00" * 50_001

    with pytest.raises(PhotoRefused, match=words):
        clean_image(data)


def upload(browser, appointment, data, **fields):
    return browser.post(
        f"/staff/appointments/{appointment.reference}/photos/",
        {"photo": io.BytesIO(data), "area": "jawline", "stage": "before", **fields},
        follow=True,
    )


def test_a_photo_needs_the_clients_consent(cast, visits):
    first, _ = visits
    pat = cast.browser("pat")

    refused = upload(pat, first, jpeg_with_gps())
    pat.post(f"/staff/appointments/{first.reference}/photo-consent/", {"given": "yes"})
    taken = upload(pat, first, jpeg_with_gps())

    assert NoPhotoConsent.detail in refused.content.decode()
    assert "Photo saved." in taken.content.decode()
    photo = ClinicalPhoto.objects.get()
    assert (photo.client, photo.area, photo.stage) == (cast.olivia, "jawline", "before")
    assert AuditEntry.objects.filter(what="photo consent", client=cast.olivia).exists()


@pytest.fixture
def photo(cast, visits):
    first, _ = visits
    PhotoConsent.objects.create(client=cast.olivia, given=True)
    return photo_add(
        appointment=first,
        data=jpeg_with_gps(),
        area="jawline",
        stage="before",
        by=cast.users["pat"],
    )


def test_the_file_is_outside_any_public_path_and_served_only_by_the_audited_view(
    cast, photo, settings
):
    storage = photo_storage()
    location = str(storage.location)
    pat = cast.browser("pat")

    shown = pat.get(f"/staff/photos/{photo.pk}/")
    by_path = pat.get(f"/{photo.file.name}")
    by_static = pat.get(f"/static/../photos/{photo.file.name}")

    assert not location.startswith(str(settings.STATIC_ROOT))
    with storage.open(photo.file.name) as kept:  # the file as stored: no position in it
        on_disk = kept.read()
    assert Image.open(io.BytesIO(on_disk)).getexif().get_ifd(GPS) == {}
    assert b"TabletMaker" not in on_disk
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown.content[:3] == b"\xff\xd8\xff"
    assert "no-store" in shown["Cache-Control"]
    assert by_path.status_code == 404 and by_static.status_code == 404
    assert AuditEntry.objects.filter(
        what="clinical photos", action="view", username="pat", details__photo=photo.pk
    ).exists()
    record_page = pat.get(f"/staff/appointments/{photo.appointment.reference}/record/")
    assert f"/staff/photos/{photo.pk}/" in record_page.content.decode()


def test_a_practitioner_out_of_scope_and_outsiders_get_nothing(cast, photo):
    ben_user = factories.StaffFactory(username="benuser", roles=[PRACTITIONER])
    cast.ben.user = ben_user
    cast.ben.save(update_fields=["user"])
    other_clinic = factories.ClinicFactory(organisation=cast.world.clinic.organisation)
    other_desk = factories.StaffFactory(username="otherdesk", clinics=[other_clinic])
    answers = {}
    for name, user in [
        ("ben", ben_user),
        ("other clinic's desk", other_desk),
        ("client", cast.users["client"]),
        ("norole", cast.users["norole"]),
        ("anonymous", None),
    ]:
        browser = Browser()
        if user is not None:
            browser.force_login(user)
        answers[name] = browser.get(f"/staff/photos/{photo.pk}/").status_code

    assert answers == {
        "ben": 404,
        "other clinic's desk": 404,
        "client": 403,
        "norole": 403,
        "anonymous": 302,
    }


def test_the_export_holds_the_photo_and_anonymisation_removes_the_file(
    cast, photo, django_capture_on_commit_callbacks
):
    storage, name = photo.file.storage, photo.file.name
    export = json.loads(
        cast.browser("mia").get(f"/staff/clients/{cast.olivia.pk}/export.json").content
    )
    assert export["clinical_photos"][0]["file"] == name
    assert base64.b64decode(export["clinical_photos"][0]["image_base64"])[:3] == b"\xff\xd8\xff"
    assert export["photo_consents"][0]["given"] is True
    assert storage.exists(name)

    with time_machine.travel(london(NEXT_WEEK + timedelta(days=1), 9), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            client_anonymise(client=cast.olivia)

    assert not storage.exists(name)
    assert not ClinicalPhoto.objects.exists() and not PhotoConsent.objects.exists()
