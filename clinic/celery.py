"""The Celery app. The whole beat schedule lives here, one commented entry per task."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Aftercare dispatching arrives with the outbox (issue 4).
}
