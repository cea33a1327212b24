"""`manage.py demo_ready`: the last thing `make run` prints, the demo's addresses and logins.

A process of its own in the Procfile. It waits until the web server answers, a Celery worker
answers a ping and the outbox has nothing due (the demo's first confirmations have gone out
and been printed), each for a bounded time, then prints, so the logins are not scrolled away
by the start-up lines. Then it stays alive: honcho stops every process as soon as one exits.
"""

import signal
import time
import urllib.error
import urllib.request

from celery import current_app
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from aftercare.models import Message
from backoffice.management.commands.seed_demo import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    addresses_and_logins,
)

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Wait for `make run`'s web server and worker, print the demo's logins, stay alive."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="the web server")
        parser.add_argument(
            "--timeout", type=float, default=120, help="seconds to wait for the web server"
        )
        parser.add_argument(
            "--once", action="store_true", help="exit after printing (the default stays alive)"
        )

    def handle(self, *args, url, timeout, once, **options):
        try:
            self._announce(url, timeout)
            if not once:
                while True:  # until honcho's SIGTERM, or Ctrl-C
                    signal.pause()
        except KeyboardInterrupt:  # Ctrl-C reaches every process of `make run`: no traceback
            pass

    def _announce(self, url: str, timeout: float) -> None:
        if not wait_until(lambda: web_answers(url), timeout):
            self.stdout.write(
                self.style.WARNING(f"The web server did not answer at {url} in {timeout:.0f} s.")
            )
            self.stdout.flush()
            return
        # A worker that does not start, or emails that cannot go, must not hold the logins
        # back for long: each wait is bounded, and what it found is said in one line.
        notes = []
        if not wait_until(worker_answers, 30):
            notes.append("No Celery worker answered yet: emails wait in the outbox until one does.")
        elif not wait_until(lambda: not outbox_busy(), 30):
            notes.append("Some due emails are still being sent.")
        time.sleep(1)  # let the other processes' last lines reach the console first
        self.stdout.write(self.style.SUCCESS("\nThe demo is ready."))
        self.stdout.write(addresses_and_logins(admin_password()))
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write("Ctrl-C stops it all.")
        self.stdout.flush()  # stdout is a pipe under honcho


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


def web_answers(url: str) -> bool:
    try:
        # Long enough for a worker still booting to answer: a request given up on would be
        # answered later all the same, and logged twice.
        with urllib.request.urlopen(url, timeout=15):
            return True
    except urllib.error.HTTPError:
        return True  # an answer, even a 4xx or 5xx: the server is up
    except OSError:
        return False


def worker_answers() -> bool:
    try:
        return bool(current_app.control.ping(timeout=1))
    except Exception:  # a broker that does not answer, or cannot broadcast: do not wait on it
        return True


def outbox_busy() -> bool:
    """Emails due now, or claimed and not yet sent."""
    return Message.objects.filter(
        Q(status=Message.Status.PENDING, due_at__lte=timezone.now())
        | Q(status=Message.Status.SENDING)
    ).exists()


def admin_password() -> str:
    user = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        return "(no such user: run `python manage.py seed_demo`)"
    if user.check_password(ADMIN_PASSWORD):
        return ADMIN_PASSWORD
    return "(changed since the demo was seeded; `seed_demo --reset-admin-password` resets it)"
