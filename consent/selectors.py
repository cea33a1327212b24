"""Reads of the forms: what an appointment (or a whole diary's worth) still needs signed, in
a fixed number of queries however many appointments are asked about."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max

from bookings.models import Appointment
from clinic.prepared import Prepared
from consent import rules
from consent.models import FormRule, FormVersion, Submission


def _current_versions(template_ids: set[int]) -> dict[int, FormVersion]:
    newest = (
        FormVersion.objects.filter(template_id__in=template_ids)
        .values("template_id")
        .annotate(number=Max("number"))
    )
    wanted = {(row["template_id"], row["number"]) for row in newest}
    versions = FormVersion.objects.filter(template_id__in=template_ids).select_related("template")
    return {v.template_id: v for v in versions if (v.template_id, v.number) in wanted}


# The form rules of one organisation (%(organisation)s), written out: a booking reads them
# with the clinical rules, in the same round trip (diary/services.py appointment_book,
# clinical/rules.py booking_facts `also`), and hands the rows to missing_for. Plain SQL that
# PostgreSQL and SQLite both run; planned once per connection on PostgreSQL
# (clinic/prepared.py).
FORM_RULES = Prepared(
    "consent_formrule_of_organisation",
    """
SELECT rule.organisation_id, rule.template_id, rule.treatment_id, rule.category,
       rule.valid_days, rule.new_version_needs_signature
  FROM consent_formrule rule
 WHERE rule.organisation_id = %(organisation)s
 ORDER BY rule.id
""",
    {"organisation": "bigint"},
)
_RULE_COLUMNS = (
    "organisation_id",
    "template_id",
    "treatment_id",
    "category",
    "valid_days",
    "new_version_needs_signature",
)


def missing_for(
    appointments: Iterable[Appointment], *, form_rules: list[tuple] | None = None
) -> dict[int, list[rules.Need]]:
    """For each appointment (its treatment and client loaded or not), the forms it still
    needs signed; appointments needing none are left out. Four queries at most, with the
    appointments' clinic and treatment loaded; three when the caller read the rules of the
    appointments' organisation already (`form_rules`: FORM_RULES's rows), none when there
    are none."""
    appointments = [a for a in appointments if a.pk is not None]
    if not appointments:
        return {}
    if form_rules is not None:
        stored = [dict(zip(_RULE_COLUMNS, row, strict=True)) for row in form_rules]
    else:
        organisations = {a.clinic.organisation_id for a in appointments}
        stored = list(
            FormRule.objects.filter(organisation_id__in=organisations)
            .order_by("pk")
            .values(*_RULE_COLUMNS)
        )
    if not stored:
        return {}
    by_org = defaultdict(list)
    for row in stored:
        row["new_version_needs_signature"] = bool(row["new_version_needs_signature"])
        by_org[row.pop("organisation_id")].append(rules.Rule(**row))
    versions = _current_versions({row.template_id for rs in by_org.values() for row in rs})
    signatures = defaultdict(list)
    for client_id, template_id, version_id, signed_at in Submission.objects.filter(
        client_id__in={a.client_id for a in appointments}
    ).values_list("client_id", "version__template_id", "version_id", "signed_at"):
        signatures[client_id].append(rules.Signed(template_id, version_id, signed_at))
    result = {}
    for appointment in appointments:
        treatment = appointment.treatment
        applying = rules.rules_for(
            by_org[appointment.clinic.organisation_id],
            treatment_id=treatment.pk,
            category=str(treatment.category),
        )
        needs = [
            rules.Need(
                template_id=rule.template_id,
                template_name=versions[rule.template_id].template.name,
                version_id=versions[rule.template_id].pk,
                valid_days=rule.valid_days,
                new_version_needs_signature=rule.new_version_needs_signature,
            )
            for rule in applying
            if rule.template_id in versions  # a template with no version yet asks nothing
        ]
        if gaps := rules.missing(needs, signatures[appointment.client_id], at=appointment.start):
            result[appointment.pk] = gaps
    return result


def unsigned_ids(appointments: Iterable[Appointment]) -> set[int]:
    """The appointments among `appointments` still waiting for a signed form (for badges)."""
    return set(missing_for(appointments))


def versions_to_sign(appointment: Appointment) -> list[FormVersion]:
    """The form versions the client should sign for this appointment, in name order."""
    needs = missing_for([appointment]).get(appointment.pk, [])
    versions = FormVersion.objects.select_related("template").in_bulk([n.version_id for n in needs])
    return sorted(versions.values(), key=lambda v: v.template.name)
