"""Where clinical photos are kept: STORAGES["photos"] (config/settings.py builds it from
PHOTOS_STORAGE_BACKEND), local files by default, an S3-compatible bucket by configuration
(records/s3.py). Either way a photo has no URL of its own: the bytes go to a browser only
through the workspace's authorised, audited view, so `url()` refuses.

Reads and writes meet a storage that may be remote: its failures become StorageUnavailable
(an OSError, as a missing local file is) so callers answer in words, never with a 500."""

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

try:  # django-storages' S3 backend raises botocore's errors (requirements.txt pins both)
    from botocore.exceptions import BotoCoreError, ClientError

    REMOTE_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - botocore is a pinned dependency
    REMOTE_ERRORS = ()

STORAGE_ERRORS = (OSError, *REMOTE_ERRORS)


class StorageUnavailable(OSError):
    """The photo storage could not be read or written (a bucket out of reach, refused)."""


class NoPublicURL:
    """A storage whose files have no address a browser could fetch them by."""

    def url(self, name, *args, **kwargs):
        raise SuspiciousOperation(
            "Clinical photos have no URL: they are served only by the workspace's photo view."
        )


class LocalPhotoStorage(NoPublicURL, FileSystemStorage):
    """Files under PHOTOS_DIR (var/photos by default), outside STATIC_ROOT and any media
    URL."""


class PhotoStorage(LazyObject):
    """STORAGES["photos"], looked up when first used (and again after the setting changes,
    as Django's default_storage is), so the model field follows the settings."""

    def _setup(self):
        self._wrapped = storages["photos"]


photo_storage = PhotoStorage()


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        photo_storage._wrapped = empty


def read(file) -> bytes:
    """A stored photo's bytes. FileNotFoundError when the storage has no such file,
    StorageUnavailable when the storage cannot be reached or refuses."""
    try:
        with file.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:
        raise
    except STORAGE_ERRORS as problem:
        raise StorageUnavailable(str(problem)) from problem


def save(file, name: str, content) -> None:
    """Write a photo's bytes under `name` (StorageUnavailable if the storage fails)."""
    try:
        file.save(name, content, save=False)
    except STORAGE_ERRORS as problem:
        raise StorageUnavailable(str(problem)) from problem
