"""Reads every booking makes, written out as SQL: the treatment with its clinic and the
practitioner asked for, in one query; a client by address, with their home clinic; the
practitioner a booking got when the client named nobody.

Why not the ORM: building and compiling these querysets cost the web worker more CPU than
PostgreSQL spends running them (see bench/README.md, issue 16), and the treatment and the
practitioner were two round trips. The columns are the models' own concrete fields, listed
when first needed, so a field added to a model is read here too; rows become instances the
way the ORM makes them (Model.from_db). Plain SQL that PostgreSQL and SQLite both run;
every value is a bound parameter. On PostgreSQL they are planned once per connection
(clinic/prepared.py).
"""

from functools import cache

from django.db import connection
from django.db.models import Model

from clinic.models import Client, Clinic, Practitioner, Treatment
from clinic.prepared import Prepared, kept_cursor


@cache
def columns(model: type[Model], alias: str) -> str:
    """`model`'s concrete columns, each as `alias."column"`, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def instances(row: tuple, *models: type[Model]) -> list[Model | None]:
    """One instance per model from consecutive runs of `row`'s columns; None for a run whose
    primary key is NULL (a LEFT JOIN that found nothing)."""
    found, at = [], 0
    for model in models:
        fields = model._meta.concrete_fields
        values = row[at : at + len(fields)]
        at += len(fields)
        pk = values[fields.index(model._meta.pk)]
        names = [f.attname for f in fields]
        found.append(None if pk is None else model.from_db(connection.alias, names, values))
    return found


@cache
def _treatment_query() -> Prepared:
    """Asked on every search and booking: planned once per connection on PostgreSQL."""
    q = connection.ops.quote_name
    statement = f"""
SELECT {columns(Treatment, "t")}, {columns(Clinic, "c")}, {columns(Practitioner, "p")}
  FROM {q("clinic_treatment")} t
  JOIN {q("clinic_clinic")} c ON c.id = t.clinic_id
  LEFT JOIN {q("clinic_practitioner")} p
    ON p.id = %(practitioner)s
   AND p.clinic_id = t.clinic_id
   AND p.active
   AND EXISTS (SELECT 1 FROM {q("clinic_practitioner_treatments")} offers
                WHERE offers.practitioner_id = p.id AND offers.treatment_id = t.id)
 WHERE t.slug = %(slug)s
   AND t.active
   AND (%(organisation)s IS NULL OR c.organisation_id = %(organisation)s)
"""
    types = {"practitioner": "bigint", "slug": "text", "organisation": "bigint"}
    return Prepared("clinic_treatment_and_practitioner", statement, types)


def treatment_and_practitioner(
    *, slug: str, practitioner_id: int | None, organisation_id: int | None = None
) -> tuple[Treatment | None, Practitioner | None]:
    """The active treatment called `slug` (of that organisation's clinics when given), its
    clinic read with it; and the practitioner `practitioner_id` if they are active at its
    clinic and offer it (None otherwise, or when no id is given)."""
    organisation = None if organisation_id is None else int(organisation_id)
    with kept_cursor() as cursor:
        cursor.execute(
            _treatment_query().sql(),
            {"practitioner": practitioner_id, "slug": slug, "organisation": organisation},
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    treatment, clinic, practitioner = instances(row, Treatment, Clinic, Practitioner)
    treatment.clinic = clinic
    return treatment, practitioner


@cache
def _client_query() -> Prepared:
    q = connection.ops.quote_name
    # lower(email): the expression of the unique index client_email_unique_per_organisation,
    # so PostgreSQL answers from the index (clinic/selectors.py client_by_email), whatever
    # the address: the plan made once per connection is that index's.
    statement = f"""
SELECT {columns(Client, "cl")}, {columns(Clinic, "home")}
  FROM {q("clinic_client")} cl
  JOIN {q("clinic_clinic")} home ON home.id = cl.home_clinic_id
 WHERE cl.organisation_id = %(organisation)s
   AND LOWER(cl.{q("email")}) = LOWER(%(email)s)
 ORDER BY cl.id
 LIMIT 1
"""
    return Prepared(
        "clinic_client_by_email", statement, {"organisation": "bigint", "email": "text"}
    )


def client_by_email(*, organisation_id: int, email: str) -> Client | None:
    with kept_cursor() as cursor:
        cursor.execute(_client_query().sql(), {"organisation": organisation_id, "email": email})
        row = cursor.fetchone()
    if row is None:
        return None
    client, home = instances(row, Client, Clinic)
    client.home_clinic = home
    return client


@cache
def _practitioner_query() -> Prepared:
    q = connection.ops.quote_name
    statement = f"""
SELECT {columns(Practitioner, "p")} FROM {q("clinic_practitioner")} p WHERE p.id = %(practitioner)s
"""
    return Prepared("clinic_practitioner_by_id", statement, {"practitioner": "bigint"})


def practitioner_of(obj: Model) -> None:
    """Read `obj`'s practitioner (an appointment's) unless it is loaded: written out, not
    through the related descriptor, which compiles a query each time. A booking whose
    client named nobody learns who it got only when claimed, and its answer names them."""
    field = obj._meta.get_field("practitioner")
    if obj.practitioner_id is None or field.is_cached(obj):
        return
    with kept_cursor() as cursor:
        cursor.execute(_practitioner_query().sql(), {"practitioner": obj.practitioner_id})
        row = cursor.fetchone()
    if row is not None:
        (found,) = instances(row, Practitioner)
        field.set_cached_value(obj, found)
