"""Clinical photos in an S3-compatible bucket, through django-storages' S3 backend (boto3):
chosen by PHOTOS_STORAGE_BACKEND=s3 (config/settings.py). The objects stay private: no ACL
is ever sent (a bucket's objects are its owner's alone by default), a setting that would
make them public is refused, and no URL, signed or not, is handed out (records/storage.py):
the workspace's view reads the bytes and serves them to whoever may see them."""

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured
from storages.backends.s3 import S3Storage

from records.storage import NoPublicURL

PRIVATE_ACLS = (None, "", "private")


class S3PhotoStorage(NoPublicURL, S3Storage):
    # Class attributes win over django-storages' AWS_* project-wide settings, so an
    # installation that serves other files publicly from S3 does not pass that on here.
    default_acl = None
    object_parameters: dict = {}  # noqa: RUF012 - read only, replaced per instance
    custom_domain = None
    querystring_auth = True
    file_overwrite = False
    gzip = False

    def __init__(self, *, timeout: float = 10, **options):
        super().__init__(**options)
        if self.default_acl not in PRIVATE_ACLS or any(
            key == "ACL" or key.startswith("Grant") for key in self.object_parameters
        ):
            raise ImproperlyConfigured("Clinical photos are private: give their storage no ACL.")
        if not self.bucket_name:
            raise ImproperlyConfigured("The photo storage needs a bucket (PHOTOS_S3_BUCKET).")
        # Bounded waits: a bucket out of reach is an answer in words within seconds, not a
        # request that hangs (botocore's defaults are 60 s per try).
        self.client_config = Config(
            s3={"addressing_style": self.addressing_style},
            signature_version=self.signature_version,
            proxies=self.proxies,
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 3},
        )
