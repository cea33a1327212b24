"""`make run` serves the demo on SQLite unless DATABASE_URL is set, while this suite runs on
PostgreSQL: SQL that only PostgreSQL understands would pass every other test and break the
first thing a newcomer sees. This test takes the demo's path on a fresh SQLite file, in a
child process of its own: the migrations, seed_demo, a booking through the API, the outbox
sending every due email, a cancellation, and the staff lookup ignoring accents.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import io, json, re
from datetime import timedelta

import django
django.setup()

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client as Browser
from django.utils import timezone

settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
call_command("migrate", verbosity=0)
call_command("seed_demo", stdout=io.StringIO())

from tests.helpers import send_one
from aftercare.models import Message
from aftercare.outbox import claim_due
from bookings.models import Appointment
from diary.services import appointment_cancel
from clinic.search import client_search

api = Browser()
first = timezone.localdate() + timedelta(days=2)
last = first + timedelta(days=6)
slots = api.get(
    "/api/v1/availability/",
    {"treatment": "gua-sha", "from": first.isoformat(), "to": last.isoformat()},
).json()["slots"]
booked = api.post(
    "/api/v1/appointments/",
    {"treatment": "gua-sha", "start": slots[0]["start"],
     "client": {"name": "Zoë Lefèvre", "email": "zoe@example.com"}},
    content_type="application/json",
)

def send_due():
    for pk in claim_due(send=lambda ids: None):
        send_one(pk)

send_due()
# Not signed in, Zoë's booking is held; she opens the emailed link and confirms.
link = re.search(r"https?://[^/\s]+(/hold/\S+/)", mail.outbox[-1].body).group(1)
confirmed = api.post(link)
reference = booked.json()["reference"]
status = Appointment.objects.get(reference=reference).status
send_due()
appointment_cancel(appointment=Appointment.objects.get(reference=reference))
send_due()
print(json.dumps({
    "vendor": connection.vendor,
    "booked": booked.status_code,
    "confirmed": [confirmed.status_code, status],
    "subjects": sorted(message.subject.split(":")[0] for message in mail.outbox),
    "unsent": list(Message.objects.filter(due_at__lte=timezone.now()).exclude(status="sent")
                   .values_list("kind", "status", "last_error")),
    "found": [client.name for client in client_search(q="zoe lefevre")],
}))
"""


def test_the_demo_runs_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEBUG": "1",
        "CACHE_URL": "locmem://",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["vendor"] == "sqlite"
    assert result["booked"] == 202
    assert result["confirmed"] == [302, "confirmed"]
    # The demo's confirmations, then Zoë's confirmation and her cancellation.
    assert result["subjects"].count("Booked") >= 4
    assert result["subjects"].count("Cancelled") == 1
    assert result["unsent"] == []
    assert result["found"] == ["Zoë Lefèvre"]
