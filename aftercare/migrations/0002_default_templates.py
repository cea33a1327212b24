"""Seed the default message templates (treatment empty: every treatment), in the words the
code falls back to when this was written (now sending/content.py). The words are written out
here, not imported: editing the live defaults later must not change what a fresh database
starts with unnoticed. Staff edit the templates in the admin."""

from django.db import migrations

TEMPLATES = {
    'confirmation': (
        'Booked: {{ treatment.name }} on {{ appointment.start|date:"D j M" }} at {{ appointment.start|time:"H:i" }}',
        'Dear {{ client.first_name }},\n\nYour {{ treatment.name }} with {{ appointment.practitioner }} is booked for {{ appointment.start|date:"l j F Y" }} at {{ appointment.start|time:"H:i" }} ({{ treatment.duration_minutes }} minutes). Your reference is {{ appointment.reference }}; the attached calendar file puts it in your diary.\n\n{{ notes.before }}\n\nTo change or cancel, please give us at least {{ clinic.cancellation_window_hours }} hours\' notice.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'reminder': (
        'Reminder: {{ treatment.name }} {{ appointment.start|date:"l" }} at {{ appointment.start|time:"H:i" }}',
        'Dear {{ client.first_name }},\n\nA reminder of your {{ treatment.name }} with {{ appointment.practitioner }} on {{ appointment.start|date:"l j F Y" }} at {{ appointment.start|time:"H:i" }} (reference {{ appointment.reference }}).\n\n{{ notes.before }}\n\nIf you cannot come, please let us know as soon as you can.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'aftercare': (
        'Caring for your skin after your {{ treatment.name }}',
        'Dear {{ client.first_name }},\n\nThank you for coming in today. A few notes to make the most of your {{ treatment.name }}:\n\n{{ notes.after }}\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'follow_up': (
        'How is your skin after your {{ treatment.name }}?',
        'Dear {{ client.first_name }},\n\nIt is two days since your {{ treatment.name }}. How does your skin feel? If anything worries you (redness that has not settled, swelling, tenderness), reply to this email or call us and your practitioner will get back to you.\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'rebook': (
        'Time for your next {{ treatment.name }}?',
        'Dear {{ client.first_name }},\n\nIt has been {{ days_since }} days since your last {{ treatment.name }}.{% if course %}{% if course.left %} You have had {{ course.done }} of the {{ course.sessions }} sessions of your course: {{ course.left }} to go.{% else %} You have completed your course of {{ course.sessions }} sessions; a monthly session keeps the results.{% endif %}{% endif %}\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first. Book online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'eligible': (
        'You can book your {{ treatment.name }} from {{ eligible_on|date:"j F" }}',
        'Dear {{ client.first_name }},\n\nYou asked us to tell you when you could book again: from {{ eligible_on|date:"l j F Y" }} your {{ treatment.name }} is safe after your recent injections. Book online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    ),
    'flagged': (
        'Check appointment {{ appointment.reference }}: {{ client.name }}',
        'A health record added after booking means this appointment now breaks a clinical rule. Please contact the client before the appointment.\n\nAppointment: {{ appointment.reference }}, {{ treatment.name }} with {{ appointment.practitioner }}, {{ appointment.start|date:"l j F Y" }} at {{ appointment.start|time:"H:i" }}\nClient: {{ client.name }}, {{ client.phone }}, {{ client.email }}\nReason: {{ reason }}\n',
    ),
}


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("aftercare", "MessageTemplate")
    for kind, (subject, text) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind=kind, treatment=None, defaults={"subject": subject, "text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
