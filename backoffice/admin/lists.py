"""What keeps the admin's lists fast at a clinic group's size (500,000 appointments, a
million appointment changes, 400,000 audit entries): filters whose links cost no query,
and searches that read indexes.

Django's own choices read the whole table to build a list's sidebar: a date hierarchy's
links are a DISTINCT over the dates of every row, a related-only filter a DISTINCT over
its foreign key, a filter on a text field without choices a DISTINCT over its values. And
its search is `ILIKE '%...%'` on every field named, through the joins they need. Here:

- dates are filtered by fixed ranges (DateRangeFilter), which the date's index answers;
- a foreign key's choices are the rows the user may pick (ScopedRelatedFilter), read from
  the small table they live in;
- a client's name, email or phone goes through the trigram search of clinic/search.py
  (its GIN index), and the list is filtered on the ids it finds; a booking reference is a
  prefix of the unique index's key; other exact keys (a message's key, a username) match
  whole, on their indexes (IndexedSearchMixin).
"""

import datetime
import ipaddress
import re

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.admin.base import choices_for
from bookings.models import Appointment
from clinic.search import client_matches, client_search

# Past this many clients (or appointments) matching a search, the list is filtered on a
# subquery of all of them instead of a list of their ids.
MANY = 500
REFERENCE = re.compile(r"^[A-Za-z0-9]{1,12}$")


class DateRangeFilter(admin.DateFieldListFilter):
    """Django's date ranges (today, the past 7 days, this month, this year) and the coming
    week and month: `field >= since AND field < until`, which an index on the field serves.
    Unlike a date hierarchy, its links cost no query."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        now = timezone.now()
        if timezone.is_aware(now):
            now = timezone.localtime(now)
        if isinstance(field, models.DateTimeField):
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            today = now.date()
        tomorrow = today + datetime.timedelta(days=1)
        coming = (
            ("Next 7 days", tomorrow + datetime.timedelta(days=7)),
            ("Next 30 days", tomorrow + datetime.timedelta(days=30)),
        )
        self.links = (
            *self.links,
            *(
                (title, {self.lookup_kwarg_since: str(today), self.lookup_kwarg_until: str(until)})
                for title, until in coming
            ),
        )


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A foreign key's choices: the related rows the user may pick (their clinics' or
    organisations', backoffice/admin/base.py `choices_for`), read from the related table.
    Django's RelatedOnlyFieldListFilter instead reads the list's whole table for the keys
    in use (`SELECT DISTINCT`)."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        rows = choices_for(request, related, related._default_manager.all())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rows = rows.order_by(*ordering)
        return [(row.pk, str(row)) for row in rows]


def ids_or_subquery(rows):
    """The ids of `rows`: a list where there are up to MANY (the planner then knows how
    few they are, and reads the list through the index on them), or a subquery of them all
    where there are more, which leaves none out."""
    rows = rows.order_by().values_list("pk", flat=True)
    ids = list(rows[: MANY + 1])
    return ids if len(ids) <= MANY else rows


def matching_client_ids(term: str):
    """The clients whose name, email or phone contains `term` (clinic/search.py, through
    its trigram index)."""
    return ids_or_subquery(client_search(q=term, limit=None))


class IndexedSearchMixin:
    """The list's search box, through indexes: see the module's docstring.

    - `search_client`: the lookup path to the row's client ("client"), "" on the clients'
      own list; a term is looked for in their name, email and phone.
    - `search_reference`: the path to a booking reference ("reference",
      "appointment__reference"), matched as a prefix, any case.
    - `search_prefix`: indexed text fields matched as a prefix, as typed (a message's key).
    - `search_contains`: fields matched anywhere, any case, without an index: for small
      tables only (an injectable's product).
    - `search_username`: rows whose `user` has this exact username, any case.
    - `search_ip`: rows from this IP address, when the term is one.
    """

    search_client: str | None = None
    search_reference: str | None = None
    search_prefix: tuple[str, ...] = ()
    search_contains: tuple[str, ...] = ()
    search_username = False
    search_ip = False

    def client_match(self, client_ids) -> Q:
        """The rows of the clients `client_ids` (a list or a subquery of ids)."""
        return Q(**{f"{self.search_client}__in": client_ids})

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if self.search_client == "":  # the clients' own list
            # Read through the trigram index; the list sorts the matches by name without
            # the name index (ClientAdmin.get_ordering, clinic/search.py's `by_name`).
            return client_matches(q=term, clients=queryset), False
        match = Q(pk__in=[])
        if self.search_client is not None:
            match |= self.client_match(matching_client_ids(term))
        if self.search_reference and REFERENCE.match(term):
            reference = {"reference__startswith": term.upper()}
            if self.search_reference == "reference":  # the list's own column
                match |= Q(**reference)
            else:  # an appointment's: found first, so the list's condition is on its key
                appointments = Appointment.objects.filter(**reference)
                path = self.search_reference.removesuffix("__reference")
                match |= Q(**{f"{path}__in": ids_or_subquery(appointments)})
        for field in self.search_prefix:
            match |= Q(**{f"{field}__startswith": term})
        for field in self.search_contains:
            match |= Q(**{f"{field}__icontains": term})
        if self.search_username:
            users = get_user_model().objects.filter(username__iexact=term)
            match |= Q(user__in=list(users.values_list("pk", flat=True)))
        if self.search_ip:
            try:
                match |= Q(ip=str(ipaddress.ip_address(term)))
            except ValueError:
                pass
        return queryset.filter(match), False
