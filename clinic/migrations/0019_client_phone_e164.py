"""Client phone numbers to E.164 (clinic/phones.py), read in PHONE_REGION when typed without
a country code. A number that cannot be read is left as typed: this migration says how many
and which clients (by id, never the number), for the front desk to correct; such a client
gets no text message until it is."""

from django.db import migrations


def to_e164(apps, schema_editor):
    from clinic.phones import normalise_or_none

    Client = apps.get_model("clinic", "Client")
    unreadable = []
    for pk, phone in Client.objects.exclude(phone="").values_list("pk", "phone").iterator():
        e164 = normalise_or_none(phone)
        if e164 is None:
            unreadable.append(pk)
        elif e164 != phone:
            Client.objects.filter(pk=pk).update(phone=e164)
    if unreadable:
        shown = ", ".join(str(pk) for pk in unreadable[:50])
        more = f" and {len(unreadable) - 50} more" if len(unreadable) > 50 else ""
        print(
            f"\n  {len(unreadable)} client phone numbers could not be read and were left as "
            f"typed: client ids {shown}{more}."
        )


class Migration(migrations.Migration):
    dependencies = [("clinic", "0018_client_sms_consent")]

    operations = [migrations.RunPython(to_e164, migrations.RunPython.noop, elidable=True)]
