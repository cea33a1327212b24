"""Reads of the forms: what an appointment (or a whole diary's worth) still needs signed, in
a fixed number of queries however many appointments are asked about."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max

from bookings.models import Appointment
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


def missing_for(appointments: Iterable[Appointment]) -> dict[int, list[rules.Need]]:
    """For each appointment (its treatment and client loaded or not), the forms it still
    needs signed; appointments needing none are left out. Four queries at most, with the
    appointments' clinic and treatment loaded."""
    appointments = [a for a in appointments if a.pk is not None]
    if not appointments:
        return {}
    organisations = {a.clinic.organisation_id for a in appointments}
    stored = list(
        FormRule.objects.filter(organisation_id__in=organisations).values(
            "organisation_id",
            "template_id",
            "treatment_id",
            "category",
            "valid_days",
            "new_version_needs_signature",
        )
    )
    if not stored:
        return {}
    by_org = defaultdict(list)
    for row in stored:
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
