"""A client's data export: everything the clinic holds about them, as plain JSON-ready data.

Every stored field of every row is included (read from the models' own field lists, so a
field added later is exported too), with users named by their username.
"""

import base64

from django.utils import timezone

from bookings.models import Appointment
from clinic.models import Client

USER_FIELDS = ("username", "first_name", "last_name", "email", "date_joined", "last_login")


def _row(obj, *, skip=("client",)) -> dict:
    """Each stored field of `obj`; a foreign key as its id (users as their username)."""
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in skip:
            continue
        if f.is_relation and f.related_model._meta.label == "auth.User":
            user = getattr(obj, f.name)
            data[f.name] = user.get_username() if user else None
        elif f.get_internal_type() == "FileField":  # a stored file: its name in the storage
            data[f.name] = getattr(obj, f.attname).name
        else:
            data[f.name] = getattr(obj, f.attname)
    return data


def _image(photo) -> str | None:
    try:
        with photo.file.open("rb") as stored:
            return base64.b64encode(stored.read()).decode("ascii")
    except OSError:  # the file is gone from the storage: the row still says it was taken
        return None


def client_export(client: Client) -> dict:
    """The client's details and login, health records (superseded ones too), treatment
    records (every version) and the recalls that reached them, appointments
    with their rooms and history, the emails planned and sent to them, and the audit trail of
    who saw or changed their data."""
    client = Client.objects.select_related("organisation", "home_clinic", "user").get(pk=client.pk)
    user = client.user
    appointments = (
        Appointment.objects.filter(client=client)
        .select_related("treatment", "practitioner", "created_by", "changed_by")
        .prefetch_related("resources", "changes__by")
        .order_by("start")
    )
    return {
        "exported_at": timezone.now(),
        "client": {
            **_row(client, skip=()),
            "organisation": {"slug": client.organisation.slug, "name": client.organisation.name},
            "home_clinic": {"slug": client.home_clinic.slug, "name": client.home_clinic.name},
            "user": {name: getattr(user, name) for name in USER_FIELDS} if user else None,
        },
        "injectables": [
            _row(r) for r in client.injectables.select_related("recorded_by").order_by("pk")
        ],
        "declarations": [
            _row(d) for d in client.declarations.select_related("recorded_by").order_by("pk")
        ],
        # Every version of every treatment record, with its products and lots.
        "treatment_records": [
            {**_row(r), "products": [_row(p, skip=("record",)) for p in r.products.all()]}
            for r in client.treatment_records.select_related("written_by")
            .prefetch_related("products")
            .order_by("pk")
        ],
        # Their clinical photos, each with its image (as stored: without metadata), and the
        # consents they gave or withdrew.
        "clinical_photos": [
            {**_row(p), "image_base64": _image(p)}
            for p in client.clinical_photos.select_related("uploaded_by").order_by("pk")
        ],
        "photo_consents": [
            _row(c) for c in client.photo_consents.select_related("recorded_by").order_by("pk")
        ],
        "recalls": [
            {"recall": _row(e.recall, skip=("recorded_by",)), "found_in": e.found_in}
            for e in client.recalls.select_related("recall").order_by("pk")
        ],
        "appointments": [
            {
                **_row(a),
                "treatment": a.treatment.name,
                "practitioner": a.practitioner.name,
                "resources": [r.name for r in a.resources.all()],
                "history": [_row(c, skip=("appointment",)) for c in a.changes.all()],
            }
            for a in appointments
        ],
        # Every email planned or sent to them (their unsubscribe choice is in "client").
        "messages": [_row(m) for m in client.messages.order_by("pk")],
        "audit": [
            _row(e, skip=("client", "user")) for e in client.audit_entries.order_by("at", "pk")
        ],
    }
