"""Seed the default clinical rules every clinic starts with (editable in the admin).

From the domain facts of shared/DESIGN.md: after dermal filler or Botox, no facial massage
before day 14, a warning to acknowledge from day 14 to 27, allowed from day 28; microcurrent
is refused with a pacemaker or other implanted device, in pregnancy and with epilepsy.
"""

from django.db import migrations

TWO_TO_FOUR_WEEKS = (14, 28)

WAITING = [
    ("filler", "facial_massage", *TWO_TO_FOUR_WEEKS,
     "Dermal filler needs time to settle: massage too soon can move it. Please wait at least "
     "two weeks after filler before a facial massage, ideally four."),
    ("botox", "facial_massage", *TWO_TO_FOUR_WEEKS,
     "Pressure on the face soon after Botox can spread it to nearby muscles. Please wait at "
     "least two weeks after Botox before a facial massage, ideally four."),
    ("filler", "microcurrent", *TWO_TO_FOUR_WEEKS,
     "Microcurrent works the facial muscles and can disturb fresh filler. Please wait at least "
     "two weeks after filler, ideally four."),
    ("botox", "microcurrent", *TWO_TO_FOUR_WEEKS,
     "Microcurrent stimulates the muscles Botox has relaxed. Please wait at least two weeks "
     "after Botox, ideally four."),
    ("skin_booster", "facial_massage", 7, 14,
     "Please wait at least a week after a skin booster before a facial massage, ideally two."),
    ("thread_lift", "facial_massage", 28, 56,
     "Threads need time to anchor. Please wait at least four weeks after a thread lift before "
     "a facial massage, ideally eight."),
    ("thread_lift", "microcurrent", 28, 56,
     "Threads need time to anchor. Please wait at least four weeks after a thread lift before "
     "microcurrent, ideally eight."),
]

CONTRAINDICATIONS = [
    ("pacemaker", "microcurrent", "refuse",
     "Microcurrent cannot be used with a pacemaker."),
    ("implanted_device", "microcurrent", "refuse",
     "Microcurrent cannot be used with an implanted electronic device."),
    ("pregnancy", "microcurrent", "refuse",
     "Microcurrent is not offered during pregnancy."),
    ("epilepsy", "microcurrent", "refuse",
     "Microcurrent is not offered to clients with epilepsy."),
    ("epilepsy", "light_therapy", "needs_approval",
     "LED light can affect photosensitive epilepsy: your practitioner will check with you "
     "before the treatment."),
    ("pregnancy", "light_therapy", "needs_approval",
     "During pregnancy your practitioner will check with you before LED light therapy."),
]


def seed(apps, schema_editor):
    WaitingRule = apps.get_model("clinic", "WaitingRule")
    ContraindicationRule = apps.get_model("clinic", "ContraindicationRule")
    for kind, category, min_days, recommended, message in WAITING:
        WaitingRule.objects.get_or_create(
            clinic=None,
            injectable_kind=kind,
            treatment_category=category,
            defaults={"min_days": min_days, "recommended_days": recommended, "message": message},
        )
    for condition, category, action, message in CONTRAINDICATIONS:
        ContraindicationRule.objects.get_or_create(
            clinic=None,
            condition=condition,
            treatment_category=category,
            resource_kind=None,
            defaults={"action": action, "message": message},
        )


def unseed(apps, schema_editor):
    apps.get_model("clinic", "WaitingRule").objects.filter(clinic=None).delete()
    apps.get_model("clinic", "ContraindicationRule").objects.filter(clinic=None).delete()


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_health_records_and_rules")]

    operations = [migrations.RunPython(seed, unseed)]
