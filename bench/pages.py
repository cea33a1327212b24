"""The page benchmark (issue 16): every page and endpoint a client, the front desk, a
practitioner and a manager use, timed in process on the realistic group (bench/group.py).

    python -m bench.pages seed SIZE          # write the group (run.py does this once per size)
    python -m bench.pages measure PASSES     # time every page; prints one line of JSON
    python -m bench.pages measure PASSES 'diary, a busy week' 'week sheet*' workspace:export
                                             # only the pages whose label or route matches
    python -m bench.pages floor BOOKINGS     # the floor beside our POSTs (bench/floor.py)

Each page is asked through django.test.Client, DEBUG off, by the person who uses it, signed
in as them (staff log in by password through the login page, hashed with MD5 so that only
the login's own line pays for hashing; the others are signed in once, up front). A pass asks
every page once, in the list's order (the booking pages' steps follow each other); passes
are interleaved, so a burst of load on a shared machine touches every page alike. For each
page: median and p95 of the server time (from the request built to the response read,
middleware and all; no network), the SQL statements run (counted by an execute wrapper, so
counting costs nothing measurable) and the bytes of the body.

The list is checked against the URLconfs before anything is timed: a URL pattern that is
neither measured here nor in NOT_MEASURED with its reason stops the benchmark (`Unlisted`),
so a new page joins the table when it is written. A page that does not answer with its
expected status stops it too: a benchmark of error pages measures nothing.
"""

import fnmatch
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

SLOW_MS = 100  # issue 16's target: every page's p95 under this (login's hashing excepted)


@dataclass(frozen=True)
class Page:
    route: str  # the URL pattern's name ("namespace:name"), or its route if it has none
    label: str
    who: str  # public, login, client, front desk, practitioner, manager, admin
    path: str
    method: str = "GET"
    data: dict | None = None
    status: int = 200
    json_body: bool = False


@dataclass
class Line:
    page: Page
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU ms
    queries: list[int] = field(default_factory=list)
    size: int = 0


# URL patterns not in the table, by name or route (shell-style wildcards), and why. Each
# is a write (its cost is the booking's or a single row's, not the history's), a redirect
# or a step that needs something only the step before it makes; every other pattern must
# be measured.
NOT_MEASURED = {
    "online:confirm": "writes a booking; the booking POST is measured beside the floor "
    "(`--only floor`)",
    "online:held": "shows the hold its session just asked for: needs a confirm first",
    "online:sorry": "shows what the last refused confirm met; without one it redirects",
    "online:change-sorry": "shows what the last refused change met; without one it redirects",
    "online:notice": "POST only: a signed-in client's request to be emailed (writes)",
    "online:hold": "the emailed link of a hold asked for by the public; needs one made first",
    "appointment-cancel": "POST only: cancels the booking (writes)",
    "me-offer-accept": "POST only: accepts a waitlist offer, books it (writes)",
    "me-waitlist-entry": "DELETE only: leaves the waitlist (writes)",
    "online:waitlist-leave": "POST only: leaves the waitlist (writes)",
    "online:offer": "the emailed link of a live waitlist offer; needs a round run first",
    "workspace:waitlist-remove": "POST only: takes a client off the waitlist (writes)",
    "sms:twilio-inbound": "POST only: Twilio's signed webhook (writes)",
    "appointment-reschedule": "POST only: moves the booking (writes)",
    "appointment-complete": "POST only: marks the appointment (writes)",
    "appointment-no-show": "POST only: marks the appointment (writes)",
    "workspace:complete": "POST only: marks the appointment (writes)",
    "workspace:no-show": "POST only: marks the appointment (writes)",
    "workspace:outbox-retry": "POST only: puts a failed message back in the outbox (writes)",
    "appointment-sign-off": "POST only: approves or declines a sign-off (writes)",
    "appointment-form-sign": "POST only: signs a form, writes a PDF (writes)",
    "workspace:sign-off": "POST only: approves or declines a sign-off (writes)",
    "workspace:fee-waive": "POST only: waives a fee (writes)",
    "workspace:payment-problem-retry": "POST only: plans a card call again (writes)",
    "workspace:payment-problem-resolve": "POST only: settles a card call at the desk (writes)",
    "stripe-webhook": "POST only, from Stripe, signed: applies a payment event (writes)",
    "appointment-fee-waive": "POST only: waives a fee (writes)",
    "online:course-buy": "POST only: a signed-in client buys a course (writes)",
    "online:my-texts": "POST only: a signed-in client turns texts on or off (writes)",
    "workspace:course-sell": "POST only: sells a course at the desk (writes)",
    "workspace:course-paid": "POST only: records a course's payment (writes)",
    "workspace:logout": "ends the session the other lines use",
    "workspace:photo-upload": "POST only: stores a photo (writes)",
    "workspace:photo-consent": "POST only: records the client's photo consent (writes)",
    "workspace:photo": "a photo's image: the benchmark's clinic has no photos (a file read)",
    "workspace:recall": "a recall's page: the benchmark's clinic has no recall to show (its "
    "reads are one query each for the clients and the flagged appointments)",
    "account_logout": "ends the session the other lines use",
    "account_signup": "a redirect to the treatments",
    "account_inactive": "a redirect to the sign-in",
    "account_request_login_code": "the same page as account_login (measured)",
    "account_confirm_login_code": "needs a code emailed by the step before; else a redirect",
    "client-code-request": "emails a sign-in code (writes an outbox row)",
    "client-code-confirm": "needs a code emailed by the step before",
    "client-session": "answers 401 without an app session, which needs an emailed code",
    "admin:logout": "ends the session the other lines use",
    "admin:password_change": "a form about the signed-in user only",
    "admin:password_change_done": "a message",
    "admin:jsi18n": "the admin's static translations",
    "admin:view_on_site": "a redirect to the object's own page",
    "admin:*_add": "an empty form; its choices are the catalogue's, not the history's",
    "admin:*_change": "one row's form; the appointment's and the long client's are measured",
    "admin:*_delete": "one row's confirmation (writes on POST)",
    "admin:*_history": "one row's admin log",
    "admin:auth_user_password_change": "one user's password form",
    "admin/*": "the admin's redirects of old addresses",
    "online:form-sign": "one form version's page; the bench clinic has no consent forms yet",
    "workspace:form-sign": "one form version's page; the bench clinic has no consent forms yet",
    "workspace:submission": "one signed form; the bench clinic has none signed yet",
    "workspace:submission-pdf": "one signed form's PDF; the bench clinic has none signed yet",
}


def routes() -> dict[str, str]:
    """Every URL pattern of the site: its name (with namespaces) or, if it has none, its
    route -> its route."""
    from django.urls import URLResolver, get_resolver

    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                route = prefix + str(pattern.pattern)
                found[f"{namespace}{pattern.name}" if pattern.name else route] = route

    walk(get_resolver().url_patterns, "", "")
    return found


class Unlisted(RuntimeError):
    """A URL pattern the page benchmark neither measures nor says why not."""


def check_coverage(pages: list[Page], site: dict[str, str] | None = None) -> None:
    """Raise Unlisted for every pattern of the site not in `pages` nor in NOT_MEASURED, and
    for every listed page whose pattern is gone."""
    site = routes() if site is None else site
    measured = {page.route for page in pages}
    missing = sorted(
        key
        for key in site
        if key not in measured
        and not any(fnmatch.fnmatchcase(key, pattern) for pattern in NOT_MEASURED)
    )
    gone = sorted(measured - set(site))
    problems = []
    if missing:
        problems.append(
            "URL patterns neither measured nor in NOT_MEASURED (add them to bench/pages.py): "
            + ", ".join(missing)
        )
    if gone:
        problems.append("measured pages whose URL pattern is gone: " + ", ".join(gone))
    if problems:
        raise Unlisted("; ".join(problems))


def _query(path: str, **params) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def page_list(world: dict) -> list[Page]:
    """The pages, in the order a pass asks them, for the seeded group `world`."""
    from aftercare.services import unsubscribe_token
    from bookings.models import Appointment
    from clinic.models import Client, Treatment
    from diary.availability import find_slots

    clinic = world["clinics"][0]
    slug = clinic["treatments"][0]["slug"]
    long_id, plain_id = world["client_ids"]
    coming = Appointment.objects.get(reference=world["coming"]["reference"])
    ref, token = coming.reference, coming.manage_token
    day = world["busy_day"]
    today = date.fromisoformat(world["today"])
    treatment = Treatment.objects.select_related("clinic").get(slug=slug)
    free = find_slots(
        treatment=treatment,
        first_day=date.fromisoformat(day),
        last_day=date.fromisoformat(day) + timedelta(days=13),
    )
    start = free[len(free) // 2].start.isoformat()
    moved = find_slots(
        treatment=coming.treatment,
        first_day=date.fromisoformat(day),
        last_day=date.fromisoformat(day) + timedelta(days=13),
        exclude_appointment_id=coming.pk,
    )
    moved_start = moved[len(moved) // 3].start.isoformat()
    unsubscribe = unsubscribe_token(Client.objects.get(pk=plain_id))
    week_ago = (today - timedelta(days=7)).isoformat()
    user = world["clinics"][0]["usernames"]["front_desk"]
    details = {
        "start": start,
        "name": "Dana Bench",
        "email": "dana.bench@example.com",
        "phone": "",
        "had_injectable": "no",
        "injectable-TOTAL_FORMS": "2",
        "injectable-INITIAL_FORMS": "0",
        "injectable-MIN_NUM_FORMS": "0",
        "injectable-MAX_NUM_FORMS": "2",
    }
    link = f"/booking/{ref}/{token}/"
    staff_login = {"username": user, "password": world["password"]}
    pages = [
        # A client, not signed in: the booking pages, their booking's own pages.
        Page("online:treatments", "treatment list", "public", "/"),
        Page("online:calendar", "calendar", "public", f"/book/{slug}/"),
        Page(
            "online:calendar", "calendar, a busy day", "public", _query(f"/book/{slug}/", day=day)
        ),
        Page(
            "online:details",
            "details form",
            "public",
            _query(f"/book/{slug}/details/", start=start),
        ),
        Page(
            "online:details",
            "details POST",
            "public",
            f"/book/{slug}/details/",
            "POST",
            details,
            302,
        ),
        Page("online:review", "review", "public", _query(f"/book/{slug}/review/", start=start)),
        Page("online:manage", "manage a booking", "public", link),
        Page("online:confirmed", "booking confirmed", "public", f"{link}confirmed/"),
        Page("online:ics", "calendar file", "public", f"{link}calendar.ics"),
        Page("online:deposit", "deposit to pay", "public", f"{link}deposit/"),
        Page("online:forms", "forms to sign", "public", f"{link}forms/"),
        Page("online:cancel", "cancel form", "public", f"{link}cancel/"),
        Page("online:reschedule", "reschedule calendar", "public", f"{link}reschedule/"),
        Page(
            "online:reschedule-review",
            "reschedule review",
            "public",
            _query(f"{link}reschedule/review/", start=moved_start),
        ),
        Page(
            "aftercare:unsubscribe",
            "unsubscribe page",
            "public",
            f"/aftercare/unsubscribe/{unsubscribe}/",
        ),
        Page("account_login", "client sign-in page", "public", "/account/sign-in/"),
        # The long-history client, signed in.
        Page("online:my", "my space (520+ visits)", "client", "/my/"),
        Page(
            "me-appointments",
            "API my appointments (520+ visits)",
            "client",
            "/api/v1/me/appointments/",
        ),
        Page("me-courses", "API my courses", "client", "/api/v1/me/courses/"),
        Page("me-sms", "API my agreement to texts", "client", "/api/v1/me/sms/"),
        Page("me-waitlist", "API my waitlist", "client", "/api/v1/me/waitlist/"),
        Page("online:waitlist", "my waitlist", "client", "/my/waitlist/"),
        # The public API.
        Page("treatments", "API treatments", "public", "/api/v1/treatments/"),
        Page(
            "practitioners",
            "API practitioners",
            "public",
            _query("/api/v1/practitioners/", treatment=slug),
        ),
        Page(
            "availability",
            "API availability, 14 days",
            "public",
            _query(
                "/api/v1/availability/",
                treatment=slug,
                **{"from": day, "to": (date.fromisoformat(day) + timedelta(days=13)).isoformat()},
            ),
        ),
        Page(
            "appointment",
            "API one booking",
            "public",
            _query(f"/api/v1/appointments/{ref}/", token=token),
        ),
        Page(
            "appointment-forms",
            "API one booking's forms",
            "public",
            _query(f"/api/v1/appointments/{ref}/forms/", token=token),
        ),
        Page("schema", "API schema", "public", "/api/schema/"),
        Page("docs", "API docs page", "public", "/api/docs/"),
        Page("client-config", "app sign-in config", "public", "/_allauth/app/v1/config"),
        # Logging in (a fresh session each time; MD5, so the hashing is not what is timed).
        Page("workspace:login", "staff login page", "public", "/staff/login/"),
        Page(
            "workspace:login",
            "staff login POST",
            "login",
            "/staff/login/",
            "POST",
            staff_login,
            302,
        ),
        Page(
            "token",
            "API token (staff login)",
            "login",
            "/api/v1/auth/token/",
            "POST",
            staff_login,
            json_body=True,
        ),
        Page("admin:login", "admin login page", "public", "/admin/login/"),
        # The front desk.
        Page("workspace:home", "diary, today", "front desk", "/staff/"),
        Page("workspace:home", "diary, a busy day", "front desk", _query("/staff/", date=day)),
        Page(
            "workspace:home",
            "diary, a busy week",
            "front desk",
            _query("/staff/", date=day, span="week"),
        ),
        Page(
            "workspace:home",
            "diary, a busy day by room",
            "front desk",
            _query("/staff/", date=day, by="resource"),
        ),
        Page(
            "workspace:grid-book",
            "who is it for? (a free time)",
            "front desk",
            _query("/staff/diary/book/", date=day, time="10:00", q="turner"),
        ),
        Page(
            "workspace:grid-block",
            "block time form",
            "front desk",
            _query("/staff/diary/block/", date=day, time="10:00"),
        ),
        Page(
            "workspace:grid-move",
            "move form",
            "front desk",
            f"/staff/appointments/{ref}/move/",
        ),
        Page("workspace:client-lookup", "client lookup", "front desk", "/staff/clients/"),
        Page(
            "workspace:client-lookup",
            "client search 'turner'",
            "front desk",
            _query("/staff/clients/", q="turner"),
        ),
        Page(
            "workspace:client-lookup",
            "client search 'longstay', partial",
            "front desk",
            _query("/staff/clients/", q="longstay", partial="1"),
        ),
        Page(
            "workspace:client",
            "client page (520+ visits)",
            "front desk",
            f"/staff/clients/{long_id}/",
        ),
        Page(
            "workspace:client",
            "client page (a few visits)",
            "front desk",
            f"/staff/clients/{plain_id}/",
        ),
        Page(
            "workspace:injectable-new",
            "record injectables form",
            "front desk",
            f"/staff/clients/{long_id}/injectables/new/",
        ),
        Page(
            "workspace:book",
            "book for a client",
            "front desk",
            _query(f"/staff/clients/{long_id}/book/", treatment=slug, date=day),
        ),
        Page(
            "workspace:reschedule",
            "move an appointment",
            "front desk",
            f"/staff/appointments/{ref}/reschedule/",
        ),
        Page("workspace:cancel", "cancel form", "front desk", f"/staff/appointments/{ref}/cancel/"),
        Page(
            "workspace:appointment-forms",
            "forms on the tablet",
            "front desk",
            f"/staff/appointments/{ref}/forms/",
        ),
        Page(
            "workspace:payments",
            "an appointment's payments",
            "front desk",
            f"/staff/appointments/{ref}/payments/",
        ),
        Page(
            "workspace:record",
            "treatment record form",
            "front desk",
            f"/staff/appointments/{ref}/record/",
        ),
        Page(
            "workspace:photo-compare",
            "photos across visits (the long client)",
            "front desk",
            f"/staff/clients/{long_id}/photos/",
        ),
        Page("workspace:recalls", "product recalls", "front desk", "/staff/recalls/"),
        Page(
            "workspace:payment-problems",
            "payment problems",
            "front desk",
            "/staff/payments/problems/",
        ),
        Page(
            "workspace:appointment-notes",
            "appointment notes form",
            "front desk",
            f"/staff/appointments/{ref}/notes/",
        ),
        Page("workspace:client-new", "new client form", "front desk", "/staff/clients/new/"),
        Page(
            "workspace:client-notes",
            "client notes form",
            "front desk",
            f"/staff/clients/{long_id}/notes/",
        ),
        Page("workspace:outbox", "outbox", "front desk", "/staff/outbox/"),
        Page("workspace:waitlist", "waitlist", "front desk", "/staff/waitlist/"),
        Page(
            "workspace:outbox", "outbox, sent", "front desk", _query("/staff/outbox/", show="sent")
        ),
        Page("workspace:outbox", "outbox, due", "front desk", _query("/staff/outbox/", show="due")),
        Page(
            "workspace:audit",
            "audit trail, page 100",
            "manager",
            _query("/staff/audit/", page=100),
        ),
        Page("workspace:sheet", "day sheet", "front desk", _query("/staff/sheet/", date=day)),
        Page(
            "workspace:sheet",
            "week sheet",
            "front desk",
            _query("/staff/sheet/", date=day, span="week"),
        ),
        Page(
            "workspace:sheet",
            "week sheet, last week",
            "front desk",
            _query("/staff/sheet/", date=week_ago, span="week"),
        ),
        Page(
            "appointments",
            "API day list",
            "front desk",
            _query("/api/v1/appointments/", date=day, clinic=clinic["slug"]),
        ),
        Page(
            "appointment-payments",
            "API an appointment's payments",
            "front desk",
            f"/api/v1/appointments/{ref}/payments/",
        ),
        Page(
            "clients",
            "API client search 'turner'",
            "front desk",
            _query("/api/v1/clients/", q="turner"),
        ),
        Page(
            "client-sms",
            "API agreement to texts (long client)",
            "front desk",
            f"/api/v1/clients/{long_id}/sms/",
        ),
        Page(
            "client-injectables",
            "API injectables (long client)",
            "front desk",
            f"/api/v1/clients/{long_id}/injectables/",
        ),
        Page(
            "client-treatment-records",
            "API treatment records (long client)",
            "front desk",
            f"/api/v1/clients/{long_id}/treatment-records/",
        ),
        Page(
            "client-declarations",
            "API declarations (long client)",
            "front desk",
            f"/api/v1/clients/{long_id}/declarations/",
        ),
        Page(
            "client-eligibility",
            "API eligibility (long client)",
            "front desk",
            _query(f"/api/v1/clients/{long_id}/eligibility/", treatment=slug),
        ),
        # A practitioner.
        Page(
            "workspace:sheet",
            "own week sheet",
            "practitioner",
            _query("/staff/sheet/", date=day, span="week"),
        ),
        Page(
            "workspace:client",
            "own client's page (520+ visits)",
            "practitioner",
            f"/staff/clients/{long_id}/",
        ),
        # A manager.
        Page("workspace:rules", "rules", "manager", "/staff/rules/"),
        Page("workspace:audit", "audit trail", "manager", "/staff/audit/"),
        Page(
            "workspace:audit",
            "audit trail of the long client",
            "manager",
            _query("/staff/audit/", client=long_id),
        ),
        Page(
            "workspace:audit",
            "audit trail of a user",
            "manager",
            _query("/staff/audit/", user=user),
        ),
        Page(
            "workspace:export",
            "export (520+ visits)",
            "manager",
            f"/staff/clients/{long_id}/export.json",
        ),
        Page(
            "workspace:export",
            "export (a few visits)",
            "manager",
            f"/staff/clients/{plain_id}/export.json",
        ),
        Page(
            "workspace:anonymise",
            "anonymise form",
            "manager",
            f"/staff/clients/{plain_id}/anonymise/",
        ),
        Page(
            "workspace:merge",
            "merge: find the duplicate",
            "manager",
            _query(f"/staff/clients/{plain_id}/merge/", q="turner"),
        ),
        # The admin, as the installation's superuser (sees every clinic's rows).
        Page("admin:index", "admin index", "admin", "/admin/"),
        Page("admin:app_list", "admin app page", "admin", "/admin/clinic/"),
        Page(
            "admin:autocomplete",
            "admin user autocomplete",
            "admin",
            _query(
                "/admin/autocomplete/",
                app_label="clinic",
                model_name="membership",
                field_name="user",
                term="group",
            ),
        ),
        Page(
            "admin:bookings_appointment_change",
            "admin one appointment",
            "admin",
            f"/admin/bookings/appointment/{coming.pk}/change/",
        ),
        Page(
            "admin:clinic_client_change",
            "admin long client",
            "admin",
            f"/admin/clinic/client/{long_id}/change/",
        ),
    ]
    pages += _admin_lists(long_id, ref)
    return pages


# Changelists with their searches and filters; every other changelist is measured plain.
ADMIN_VARIANTS = {
    "bookings/appointment": [
        ("search 'longstay'", {"q": "longstay"}),
        ("search an email", {"q": "client4242@group.example.com"}),
        ("status completed", {"status__exact": "completed"}),
        ("a year", {"start__year": "2020"}),
    ],
    "clinic/client": [
        ("search 'turner'", {"q": "turner"}),
        ("search a phone", {"q": "+447900004242"}),
    ],
    "aftercare/message": [
        ("search 'longstay'", {"q": "longstay"}),
        ("failed", {"status__exact": "failed"}),
        ("reminders", {"kind__exact": "reminder"}),
    ],
    "clinic/auditentry": [
        ("search 'longstay'", {"q": "longstay"}),
        ("client pages viewed", {"action__exact": "view", "what__exact": "client page"}),
    ],
    "bookings/appointmentchange": [("cancellations", {"action__exact": "cancelled"})],
    "clinical/injectablerecord": [("search 'turner'", {"q": "turner"})],
}


def _admin_lists(long_id: int, reference: str) -> list[Page]:
    from django.contrib import admin

    pages = []
    for model in admin.site._registry:
        meta = model._meta
        where = f"{meta.app_label}/{meta.model_name}"
        route = f"admin:{meta.app_label}_{meta.model_name}_changelist"
        base = f"/admin/{where}/"
        pages.append(Page(route, f"admin {meta.verbose_name_plural}", "admin", base))
        for label, params in ADMIN_VARIANTS.get(where, []):
            pages.append(
                Page(
                    route,
                    f"admin {meta.verbose_name_plural}, {label}",
                    "admin",
                    _query(base, **params),
                )
            )
    search = "/admin/bookings/appointmentchange/"
    pages.append(
        Page(
            "admin:bookings_appointmentchange_changelist",
            "admin appointment changes, search a reference",
            "admin",
            _query(search, q=reference),
        )
    )
    return pages


# Measuring ------------------------------------------------------------------------------


class _Counter:
    """An execute wrapper that counts the statements run."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _clients(world: dict) -> dict:
    """A django.test.Client per person, signed in once (the login's own lines sign in
    afresh each time)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    clinic = world["clinics"][0]
    backend = "access.UserBackend"
    signed = {
        "client": users.get(pk=world["long_client"]["user_id"]),
        "front desk": users.get(pk=clinic["users"]["front_desk"]),
        "practitioner": users.get(pk=clinic["users"]["practitioner"]),
        "manager": users.get(pk=clinic["users"]["manager"]),
        "admin": users.get(pk=world["superuser"]["id"]),
    }
    clients = {"public": Client()}
    for who, user in signed.items():
        clients[who] = Client()
        clients[who].force_login(user, backend=backend)
    return clients


def _ask(client, page: Page):
    if page.method == "GET":
        return client.get(page.path)
    if page.json_body:
        return client.post(page.path, json.dumps(page.data), content_type="application/json")
    return client.post(page.path, page.data)


def _body_size(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def chosen(pages: list[Page], patterns: list[str] | None) -> list[Page]:
    """The pages whose label or route matches one of the shell `patterns` (all of them
    without patterns): to measure a few pages while changing them."""
    if not patterns:
        return pages
    picked = [
        page
        for page in pages
        if any(
            fnmatch.fnmatchcase(page.label, pattern) or fnmatch.fnmatchcase(page.route, pattern)
            for pattern in patterns
        )
    ]
    if not picked:
        raise ValueError(f"no page matches {patterns!r}")
    return picked


class _FullCollections:
    """The garbage collector's full (generation 2) collections while on: how many, how long
    each took (a pause of the request that triggered it) and how many objects the oldest
    generation then held (what a full collection walks; frozen objects are not in it); and
    the young generations' collections, their number and time in all."""

    def __init__(self):
        self.on = False
        self.pauses: list[float] = []
        self.walked: list[int] = []
        self.young: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if not self.on:
            return
        if phase == "start":
            if info["generation"] == 2:
                self.walked.append(len(gc.get_objects(generation=2)))
            self._started = time.perf_counter()
        else:
            pause = (time.perf_counter() - self._started) * 1000
            (self.pauses if info["generation"] == 2 else self.young).append(pause)

    def figures(self) -> dict:
        return {
            "count": len(self.pauses),
            "median_ms": round(statistics.median(self.pauses), 1) if self.pauses else 0,
            "max_ms": round(max(self.pauses), 1) if self.pauses else 0,
            "objects": int(statistics.median(self.walked)) if self.walked else 0,
            "young": len(self.young),
            "young_ms": round(sum(self.young)),
        }


def measure(
    world: dict,
    *,
    passes: int,
    warmup: int = 2,
    only: list[str] | None = None,
    freeze: bool = True,
) -> tuple[list[dict], dict]:
    """Time every page (or those `only` names, see `chosen`) `passes` times after `warmup`
    untimed passes; one dict per page, and the full collections of the timed passes
    (_FullCollections.figures). With `freeze`, the process first freezes what it has
    loaded, as the server does (web/serving.py); a test's process is left as it is."""
    from django.db import connection
    from django.test import Client, override_settings

    from bench import group
    from web import serving

    with override_settings(PASSWORD_HASHERS=group.FAST_HASHERS):
        pages = page_list(world)
        check_coverage(pages)
        clients = _clients(world)
        lines = [Line(page) for page in chosen(pages, only)]
        if freeze and os.environ.get("BENCH_GC_FREEZE", "1") != "0":
            serving.ready_to_serve()  # as config/wsgi.py does in the server
        counter = _Counter()
        collections = _FullCollections()
        gc.callbacks.append(collections)
        with connection.execute_wrapper(counter):
            for round_number in range(warmup + passes):
                done = round_number - warmup
                step = f"pass {done + 1} of {passes}" if done >= 0 else "warm-up"
                collections.on = done >= 0
                print(f"  {step}...", file=sys.stderr, flush=True)
                for line in lines:
                    page = line.page
                    client = Client() if page.who == "login" else clients[page.who]
                    counter.count = 0
                    started, cpu = time.perf_counter(), time.process_time()
                    response = _ask(client, page)
                    size = _body_size(response)
                    elapsed = (time.perf_counter() - started) * 1000
                    cpu = (time.process_time() - cpu) * 1000
                    if response.status_code != page.status:
                        raise RuntimeError(
                            f"{page.label} ({page.method} {page.path}) answered "
                            f"{response.status_code}, not {page.status}"
                        )
                    if round_number >= warmup:
                        line.times.append(elapsed)
                        line.cpu.append(cpu)
                        line.queries.append(counter.count)
                        line.size = size
        gc.callbacks.remove(collections)
    return [_figures(line) for line in lines], collections.figures()


def _figures(line: Line) -> dict:
    from bench.stats import percentile

    page = line.page
    return {
        "label": page.label,
        "who": page.who,
        "route": page.route,
        "method": page.method,
        "path": page.path,
        "status": page.status,
        "median": round(statistics.median(line.times), 1),
        "p95": round(percentile(line.times, 0.95), 1),
        "cpu": round(statistics.median(line.cpu), 1),
        "queries": max(line.queries),
        "queries_min": min(line.queries),
        "bytes": line.size,
        "slow": percentile(line.times, 0.95) >= SLOW_MS,
    }


def seeded() -> dict:
    """What the generator stored of the group in this database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT seeded FROM bench_group")
        value = cursor.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command, argument, *only = argv
    if command == "seed":
        from bench import group

        result = group.seed(argument)
    elif command == "floor":
        from bench import floor

        world = seeded()
        result = {"world": world, "sides": floor.measure(world, bookings=int(argument))}
    else:
        world = seeded()
        rows, collections = measure(world, passes=int(argument), only=only)
        result = {"world": world, "rows": rows, "full_collections": collections}
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
