"""Clinical photos: the check that an upload is an image we take (type, size, dimensions),
its re-encoding without metadata (EXIF and its GPS position, XMP, comments), and the writes:
the client's photo consent, adding a photo to an appointment, erasing a client's photos.
Each write audits itself (clinic/audit.py)."""

import io
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from bookings.models import Appointment
from clinic.audit import Origin, audit_write
from clinic.models import AuditEntry, Client
from clinical.vocabulary import FaceArea
from records import storage
from records.models import ClinicalPhoto, PhotoConsent
from records.services import RECORDABLE, RecordError

logger = logging.getLogger(__name__)

AUDIT_PHOTOS = "clinical photos"
AUDIT_PHOTO_CONSENT = "photo consent"

# What we take, by Pillow's name for the format, and how it is stored again.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


class PhotoRefused(RecordError):
    code = "invalid_photo"
    detail = "The photo could not be taken."


class PhotoStorageUnavailable(PhotoRefused):
    code = "photo_storage_unavailable"
    status = 503
    detail = "The photo could not be stored: the photo storage did not answer. Try again."


class NoPhotoConsent(PhotoRefused):
    code = "no_photo_consent"
    status = 409
    detail = "The client has not consented to clinical photos: record their consent first."


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(data: bytes) -> CleanImage:
    """The upload as an image we store: a JPEG, PNG or WebP within the size and dimension
    limits, turned upright by its EXIF orientation, then written again from its pixels
    alone, so no metadata survives. PhotoRefused, in words, for anything else."""
    limit = settings.PHOTO_MAX_BYTES
    if not data:
        raise PhotoRefused("Choose a photo to upload.")
    if len(data) > limit:
        raise PhotoRefused(f"The photo is too large: at most {limit // 1_000_000} MB.")
    low, high = settings.PHOTO_MIN_SIDE, settings.PHOTO_MAX_SIDE
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in FORMATS:
            raise PhotoRefused("The file is not a JPEG, PNG or WebP image.")
        if min(width, height) < low or max(width, height) > high:
            raise PhotoRefused(
                f"The photo is {width}×{height} pixels: each side must be from {low} to "
                f"{high} pixels."
            )
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image)
            if upright.mode not in ("RGB", "RGBA", "L") or (kind == "JPEG" and upright.mode != "L"):
                alpha = kind != "JPEG" and (
                    "A" in upright.getbands() or "transparency" in upright.info
                )
                upright = upright.convert("RGBA" if alpha else "RGB")
            # A new image holding the pixels alone: nothing of the file's metadata comes along.
            pixels = Image.new(upright.mode, upright.size)
            pixels.paste(upright)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise PhotoRefused("The file is not a JPEG, PNG or WebP image.") from None
    out = io.BytesIO()
    options = {"quality": 90} if kind in ("JPEG", "WEBP") else {}
    pixels.save(out, format=kind, **options)  # a new image: no exif=, no icc, no info
    content_type, extension = FORMATS[kind]
    return CleanImage(out.getvalue(), content_type, extension, *pixels.size)


def has_photo_consent(client: Client) -> bool:
    latest = PhotoConsent.objects.filter(client=client).order_by("-recorded_at", "-pk").first()
    return bool(latest and latest.given)


def photo_consent_record(*, client: Client, given: bool, by, origin: Origin | None = None):
    with transaction.atomic():
        consent = PhotoConsent.objects.create(
            client=client, given=given, recorded_by=by if by and by.is_authenticated else None
        )
        audit_write(
            user=by,
            origin=origin,
            action=AuditEntry.Action.RECORD,
            what=AUDIT_PHOTO_CONSENT,
            clients=[client],
            given=given,
        )
    return consent


def photo_add(
    *,
    appointment: Appointment,
    data: bytes,
    area: str,
    stage: str,
    by,
    origin: Origin | None = None,
) -> ClinicalPhoto:
    """Store a photo of an appointment that has started, for a client who consented. The
    file is written before the row; a failed insert removes it again."""
    if appointment.status not in RECORDABLE:
        raise PhotoRefused("Photos are taken at a visit that is booked or completed.")
    if area not in FaceArea.values:
        raise PhotoRefused(f"Choose the area: one of {', '.join(FaceArea.values)}.")
    if stage not in ClinicalPhoto.Stage.values:
        raise PhotoRefused("Say whether it is a before or an after photo.")
    if not has_photo_consent(appointment.client):
        raise NoPhotoConsent()
    image = clean_image(data)
    photo = ClinicalPhoto(
        appointment=appointment,
        client_id=appointment.client_id,
        clinic_id=appointment.clinic_id,
        area=area,
        stage=stage,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        uploaded_by=by if by and by.is_authenticated else None,
    )
    # The upload happens before the transaction, so none stays open across the storage's
    # network I/O.
    try:
        storage.save(
            photo.file, f"{uuid.uuid4().hex}.{image.extension}", ContentFile(image.content)
        )
    except storage.StorageUnavailable:
        logger.exception("Clinical photo storage: a photo could not be stored")
        raise PhotoStorageUnavailable() from None
    try:
        with transaction.atomic():
            photo.save()
            audit_write(
                user=by,
                origin=origin,
                action=AuditEntry.Action.RECORD,
                what=AUDIT_PHOTOS,
                clients=[appointment.client_id],
                clinic=appointment.clinic_id,
                appointment=appointment.reference,
                photo=photo.pk,
            )
    except Exception:
        _delete([(photo.file.storage, photo.file.name)])
        raise
    return photo


def photos_erase(*, client: Client) -> int:
    """Anonymisation: the client's photos, files and rows, and their consents. The files go
    once the transaction commits (a rollback keeps rows and files together)."""
    photos = list(ClinicalPhoto.objects.filter(client=client))
    names = [(p.file.storage, p.file.name) for p in photos]
    ClinicalPhoto.objects.filter(client=client).delete()
    PhotoConsent.objects.filter(client=client).delete()

    transaction.on_commit(lambda: _delete(names))
    return len(photos)


def _delete(names: list[tuple]) -> None:
    """Remove stored files; one the storage fails to remove is logged by name (to remove by
    hand) rather than failing a change already committed."""
    for where, name in names:
        try:
            where.delete(name)
        except storage.STORAGE_ERRORS:
            logger.exception("Clinical photo storage: %s could not be deleted", name)
