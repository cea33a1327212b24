"""The clinical rules' reads, written out as SQL with named parameters: what a decision on a
booking needs (the clinic's waiting and contraindication rules, the organisation's words,
the treatment's kinds of resource, the client's record, the prerequisite rules with the
client's appointments that meet them), sent together in one round trip on PostgreSQL
(bookings/db.py rows_together).

Why not the ORM: building and compiling these seven querysets cost the web worker about
1 ms of CPU each on the benchmark machine, a third of a booking POST's CPU, and they were
seven round trips (bench/README.md, issue 16). Nothing is cached: a rule or a word edited
in the admin governs the very next booking. Plain SQL that PostgreSQL and SQLite both run
(no casts, no arrays); every value is a bound parameter. clinical/rules.py,
clinical/terms.py and clinical/prerequisites.py turn the rows into their plain data.

Parameters: %(clinic)s, %(organisation)s (the clinic's), %(treatment)s and %(category)s
(the treatment's), %(client)s (-1 for nobody: no client has that id).
"""

from bookings.models import Appointment
from clinic.prepared import Prepared

# The rules in force at a clinic (RuleQuerySet.filter_for): its own, its organisation's and
# the installation's defaults, the most specific first (a clinic's, then its
# organisation's, then the defaults; by id within each), so the first row for a target
# wins (clinical/rules.py clinic_rules).
_IN_FORCE = """
 WHERE rule.clinic_id = %(clinic)s
    OR (rule.clinic_id IS NULL AND rule.organisation_id = %(organisation)s)
    OR (rule.clinic_id IS NULL AND rule.organisation_id IS NULL)
 ORDER BY rule.clinic_id IS NULL, rule.organisation_id IS NULL, rule.id
"""

# Asked by every booking and every staff look at a client: planned once per connection on
# PostgreSQL (clinic/prepared.py), each named after the table it reads, as the logs show it.
_IN_FORCE_TYPES = {"clinic": "bigint", "organisation": "bigint"}

WAITING = Prepared(
    "clinical_waitingrule_in_force",
    f"""
SELECT rule.injectable_kind, rule.treatment_category, rule.treatment_id, rule.min_days,
       rule.recommended_days, rule.message
  FROM clinical_waitingrule rule
{_IN_FORCE}""",
    _IN_FORCE_TYPES,
)

CONTRAINDICATIONS = Prepared(
    "clinical_contraindicationrule_in_force",
    f"""
SELECT rule.condition, rule.treatment_category, kind.slug, rule.treatment_id, rule.action,
       rule.message
  FROM clinical_contraindicationrule rule
  LEFT JOIN clinic_resourcekind kind ON kind.id = rule.resource_kind_id
{_IN_FORCE}""",
    _IN_FORCE_TYPES,
)

# The organisation's words (clinic.models.Term): the installation's defaults first, then the
# organisation's own, whose row for a code replaces the default's (clinical/terms.py).
TERMS = Prepared(
    "clinic_term_of_organisation",
    """
SELECT term.vocabulary, term.code, term.name, term.question, term.sheet, term.caution_days,
       term.position
  FROM clinic_term term
 WHERE term.organisation_id IS NULL OR term.organisation_id = %(organisation)s
 ORDER BY term.organisation_id IS NOT NULL, term.id
""",
    {"organisation": "bigint"},
)

# The kinds of resource the treatment uses (a contraindication can name a device's kind).
TREATMENT_KINDS = Prepared(
    "clinic_treatment_required_resource_kinds_slugs",
    """
SELECT kind.slug
  FROM clinic_treatment_required_resource_kinds needs
  JOIN clinic_resourcekind kind ON kind.id = needs.resourcekind_id
 WHERE needs.treatment_id = %(treatment)s
""",
    {"treatment": "bigint"},
)

# A client's current record: injectables not superseded by a correction, and declarations,
# newest first (the models' orderings). `{clients}`: one named parameter per client.
INJECTIONS = """
SELECT injection.client_id, injection.kind, injection.date, injection.areas
  FROM clinical_injectablerecord injection
 WHERE injection.client_id IN ({clients})
   AND injection.superseded_at IS NULL
 ORDER BY injection.date DESC, injection.id DESC
"""

DECLARATIONS = """
SELECT declaration.client_id, declaration.condition, declaration.ended_on
  FROM clinical_healthdeclaration declaration
 WHERE declaration.client_id IN ({clients})
 ORDER BY declaration.declared_on DESC, declaration.id DESC
"""

# The prerequisite rules in force for the treatment at the clinic (the organisation's; the
# clinic's own or for every clinic; naming the treatment or its category), the most
# specific first (the clinic's, then one naming the treatment), each with its required
# treatments and the client's counted appointments of them (clinical/prerequisites.py).
# What a prerequisite appointment must be to count (literals: they come from code).
COUNTED_STATUSES = (Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED)
_COUNTED = ", ".join(f"'{status.value}'" for status in COUNTED_STATUSES)
PREREQUISITES = Prepared(
    "clinical_prerequisiterule_for_booking",
    f"""
SELECT rule.id, rule.min_hours_before, rule.valid_months, rule.message,
       required.id, required.name, required.slug, required.clinic_id, required.active,
       prior.start
  FROM clinical_prerequisiterule rule
  LEFT JOIN clinical_prerequisiterule_required_treatments link
    ON link.prerequisiterule_id = rule.id
  LEFT JOIN clinic_treatment required ON required.id = link.treatment_id
  LEFT JOIN bookings_appointment prior
    ON prior.treatment_id = required.id
   AND prior.client_id = %(client)s
   AND prior.status IN ({_COUNTED})
 WHERE rule.organisation_id = %(organisation)s
   AND (rule.clinic_id = %(clinic)s OR rule.clinic_id IS NULL)
   AND (rule.treatment_id = %(treatment)s
        OR (rule.treatment_id IS NULL AND rule.treatment_category = %(category)s))
 ORDER BY rule.clinic_id IS NULL, rule.treatment_id IS NULL, rule.id
""",
    {
        "client": "bigint",
        "organisation": "bigint",
        "clinic": "bigint",
        "treatment": "bigint",
        "category": "text",
    },
)

NOBODY = -1  # %(client)s for a newcomer: no client has this id (and unlike NULL, no hold)


def for_clients(statement: str, client_ids: list[int]) -> tuple[str, dict]:
    """INJECTIONS or DECLARATIONS for `client_ids`, and their parameters (client0, ...)."""
    names = {f"client{n}": pk for n, pk in enumerate(client_ids)}
    return statement.format(clients=", ".join(f"%({name})s" for name in names)), names


# One client's record, as a booking reads it (rules.booking_facts): prepared.
INJECTIONS_OF_ONE = Prepared(
    "clinical_injectablerecord_of_client",
    for_clients(INJECTIONS, [0])[0],
    {"client0": "bigint"},
)
DECLARATIONS_OF_ONE = Prepared(
    "clinical_healthdeclaration_of_client",
    for_clients(DECLARATIONS, [0])[0],
    {"client0": "bigint"},
)
