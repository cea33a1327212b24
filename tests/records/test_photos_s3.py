"""Clinical photos in an S3-compatible bucket (PHOTOS_STORAGE_BACKEND=s3, django-storages and
boto3), against moto's S3 server on loopback: the photo is stored in the bucket without its
metadata, private (an anonymous request for its key is refused, where a public object of the
same server is served), handed to a browser only by the authorised, audited view and never by
an address of the bucket, in the export, and deleted from the bucket by anonymisation. A
bucket out of reach is an answer in words, with nothing half-written."""

import base64
import io
import json
import logging
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import override_settings
from moto.server import ThreadedMotoServer
from PIL import Image

from clinic.models import AuditEntry
from privacy.anonymise import client_anonymise
from records.models import ClinicalPhoto, PhotoConsent, photo_storage
from records.photos import PhotoStorageUnavailable, photo_add
from tests import factories
from tests.loopback import free_port
from tests.records.conftest import NEXT_WEEK
from tests.records.test_photos import GPS, jpeg_with_gps
from tests.workspace.conftest import london

KEY_ID, SECRET = "lumiere-test", "not-a-secret"


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 in server mode, on a free port of 127.0.0.1, for this module's tests."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def configure(monkeypatch):
    """Sets STORAGES["photos"] as config/settings.py builds it from the variables given,
    until the test's end (before the photo files' own clean-up, which lists the local
    folder)."""
    from config.settings import photo_storage as from_environment

    with ExitStack() as undo:

        def use(**env) -> dict:
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            built = from_environment()
            undo.enter_context(override_settings(STORAGES={**settings.STORAGES, "photos": built}))
            return built

        yield use


@pytest.fixture
def bucket(s3_server, configure):
    """A new bucket of the loopback server, and the photo storage set to it through the
    environment, as an installation sets it."""
    name = f"photos-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="eu-west-2",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    built = configure(
        PHOTOS_STORAGE_BACKEND="s3",
        PHOTOS_S3_BUCKET=name,
        PHOTOS_S3_ENDPOINT_URL=s3_server,
        PHOTOS_S3_REGION="eu-west-2",
        PHOTOS_S3_ACCESS_KEY_ID=KEY_ID,
        PHOTOS_S3_SECRET_ACCESS_KEY=SECRET,
        PHOTOS_S3_ADDRESSING_STYLE="path",
        PHOTOS_S3_TIMEOUT="2",
    )
    assert built["BACKEND"] == "records.s3.S3PhotoStorage"
    return SimpleNamespace(name=name, s3=s3, endpoint=s3_server)


def keys(bucket) -> list[str]:
    return [o["Key"] for o in bucket.s3.list_objects_v2(Bucket=bucket.name).get("Contents", [])]


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as refusal:
        return refusal.code


def test_a_photo_goes_to_the_bucket_private_and_comes_back_only_through_the_audited_view(
    cast, visits, bucket
):
    first, _ = visits
    pat = cast.browser("pat")
    pat.post(f"/staff/appointments/{first.reference}/photo-consent/", {"given": "yes"})

    taken = pat.post(
        f"/staff/appointments/{first.reference}/photos/",
        {"photo": io.BytesIO(jpeg_with_gps()), "area": "jawline", "stage": "before"},
        follow=True,
    )

    assert "Photo saved." in taken.content.decode()
    photo = ClinicalPhoto.objects.get()
    assert keys(bucket) == [photo.file.name]
    stored = bucket.s3.get_object(Bucket=bucket.name, Key=photo.file.name)["Body"].read()
    assert Image.open(io.BytesIO(stored)).getexif().get_ifd(GPS) == {}  # no position kept
    assert b"TabletMaker" not in stored and b"Olivia Turner" not in stored
    # Private: the owner's grant alone, and an anonymous request for its key is refused,
    # where the same server serves an object made public (the control).
    grants = bucket.s3.get_object_acl(Bucket=bucket.name, Key=photo.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)
    bucket.s3.put_object(Bucket=bucket.name, Key="control.jpg", Body=stored, ACL="public-read")
    assert anonymous_get(f"{bucket.endpoint}/{bucket.name}/control.jpg") == 200
    assert anonymous_get(f"{bucket.endpoint}/{bucket.name}/{photo.file.name}") == 403
    # No address of the bucket, signed or not, reaches a page; the storage gives none.
    page = pat.get(f"/staff/appointments/{first.reference}/record/").content.decode()
    assert f"/staff/photos/{photo.pk}/" in page
    for leak in (bucket.endpoint, bucket.name, photo.file.name, "X-Amz-Signature"):
        assert leak not in page
    with pytest.raises(SuspiciousOperation):
        photo_storage().url(photo.file.name)
    # The view: the bucket's bytes, to whoever may open the record, audited.
    shown = pat.get(f"/staff/photos/{photo.pk}/")
    assert shown.status_code == 200 and shown.content == stored
    assert shown["Content-Type"] == "image/jpeg" and "no-store" in shown["Cache-Control"]
    assert AuditEntry.objects.filter(
        what="clinical photos", action="view", username="pat", details__photo=photo.pk
    ).exists()
    other_clinic = factories.ClinicFactory(organisation=cast.world.clinic.organisation)
    other_desk = factories.StaffFactory(username="otherdesk", clinics=[other_clinic])
    outsider = cast.browser("desk")
    outsider.force_login(other_desk)
    assert outsider.get(f"/staff/photos/{photo.pk}/").status_code == 404


@pytest.fixture
def stored_photo(cast, visits, bucket):
    first, _ = visits
    PhotoConsent.objects.create(client=cast.olivia, given=True)
    return photo_add(
        appointment=first, data=jpeg_with_gps(), area="jawline", stage="before", by=None
    )


def test_the_export_holds_the_bucket_photo_and_anonymisation_deletes_it(
    cast, bucket, stored_photo, django_capture_on_commit_callbacks
):
    stored = bucket.s3.get_object(Bucket=bucket.name, Key=stored_photo.file.name)["Body"].read()

    export = json.loads(
        cast.browser("mia").get(f"/staff/clients/{cast.olivia.pk}/export.json").content
    )
    assert base64.b64decode(export["clinical_photos"][0]["image_base64"]) == stored

    with time_machine.travel(london(NEXT_WEEK + timedelta(days=1), 9), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            client_anonymise(client=cast.olivia)

    assert keys(bucket) == []
    assert not ClinicalPhoto.objects.exists()


def test_a_bucket_out_of_reach_is_an_answer_in_words_with_nothing_half_written(
    cast, visits, bucket, stored_photo, configure
):
    first, _ = visits
    configure(PHOTOS_S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(PhotoStorageUnavailable):
        photo_add(appointment=first, data=jpeg_with_gps(), area="lips", stage="after", by=None)
    taken = cast.browser("pat").post(
        f"/staff/appointments/{first.reference}/photos/",
        {"photo": io.BytesIO(jpeg_with_gps()), "area": "lips", "stage": "after"},
        follow=True,
    )
    shown = cast.browser("pat").get(f"/staff/photos/{stored_photo.pk}/")
    export = cast.browser("mia").get(f"/staff/clients/{cast.olivia.pk}/export.json")

    assert PhotoStorageUnavailable.detail in taken.content.decode()
    assert list(ClinicalPhoto.objects.values_list("pk", flat=True)) == [stored_photo.pk]
    assert shown.status_code == 503 and "did not answer" in shown.content.decode()
    assert export.status_code == 503
    assert export.json()["code"] == "photo_storage_unavailable"


@pytest.mark.parametrize(
    "env, words",
    [
        ({"PHOTOS_STORAGE_BACKEND": "ftp"}, "must be local or s3"),
        ({"PHOTOS_STORAGE_BACKEND": "s3"}, "needs PHOTOS_S3_BUCKET"),
        (
            {
                "PHOTOS_STORAGE_BACKEND": "s3",
                "PHOTOS_S3_BUCKET": "b",
                "PHOTOS_S3_ENDPOINT_URL": "x",
            },
            "must be an http",
        ),
        (
            {
                "PHOTOS_STORAGE_BACKEND": "s3",
                "PHOTOS_S3_BUCKET": "b",
                "PHOTOS_S3_ACCESS_KEY_ID": "k",
            },
            "or neither",
        ),
        ({"PHOTOS_STORAGE": "storages.backends.s3.S3Storage"}, "no longer read"),
    ],
)
def test_a_wrong_photo_storage_setting_stops_the_start_in_words(env, words, monkeypatch):
    from config.settings import photo_storage as from_environment

    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured, match=words):
        from_environment()


def test_the_bucket_storage_refuses_a_public_acl():
    from records.s3 import S3PhotoStorage

    assert S3PhotoStorage(bucket_name="photos").default_acl is None
    with pytest.raises(ImproperlyConfigured, match="private"):
        S3PhotoStorage(bucket_name="photos", default_acl="public-read")
    with pytest.raises(ImproperlyConfigured, match="private"):
        S3PhotoStorage(bucket_name="photos", object_parameters={"ACL": "public-read"})
