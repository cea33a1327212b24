"""Bring the stored default templates that still hold the words migration 0002 seeded up to
the words of sending/content.py (issue 18): the "you can book again" notice says the day the rule
allows and the day it recommends, never "safe"; the course sentence ("about 10 sessions, weekly at
first") is said only for a treatment sold as a course, with its own count and cadence. A template
a clinic has edited is left as they wrote it. Both sets of words are written out here, as 0002
writes its own: sending/content.py may change later."""

from django.db import migrations

OLD = {
    'aftercare': 'Dear {{ client.first_name }},\n\nThank you for coming in today. A few notes to make the most of your {{ treatment.name }}:\n\n{{ notes.after }}\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'follow_up': 'Dear {{ client.first_name }},\n\nIt is two days since your {{ treatment.name }}. How does your skin feel? If anything worries you (redness that has not settled, swelling, tenderness), reply to this email or call us and your practitioner will get back to you.\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'rebook': 'Dear {{ client.first_name }},\n\nIt has been {{ days_since }} days since your last {{ treatment.name }}.{% if course %}{% if course.left %} You have had {{ course.done }} of the {{ course.sessions }} sessions of your course: {{ course.left }} to go.{% else %} You have completed your course of {{ course.sessions }} sessions; a monthly session keeps the results.{% endif %}{% endif %}\n\nResults are cumulative: most clients see the best results over a course of about 10 sessions, weekly at first. Book online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'eligible': 'Dear {{ client.first_name }},\n\nYou asked us to tell you when you could book again: from {{ eligible_on|date:"l j F Y" }} your {{ treatment.name }} is safe after your recent injections. Book online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
}
NEW = {
    'aftercare': 'Dear {{ client.first_name }},\n\nThank you for coming in today. A few notes to make the most of your {{ treatment.name }}:\n\n{{ notes.after }}{% if treatment.course_sessions > 1 %}\n\nResults are cumulative: most clients see the best results over a course of {{ treatment.course_sessions }} sessions{% if treatment.cadence %}, {{ treatment.cadence }}{% endif %}.{% endif %}\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'follow_up': 'Dear {{ client.first_name }},\n\nIt is two days since your {{ treatment.name }}. How does your skin feel? If anything worries you (redness that has not settled, swelling, tenderness), reply to this email or call us and your practitioner will get back to you.{% if treatment.course_sessions > 1 %}\n\nResults are cumulative: most clients see the best results over a course of {{ treatment.course_sessions }} sessions{% if treatment.cadence %}, {{ treatment.cadence }}{% endif %}.{% endif %}\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'rebook': 'Dear {{ client.first_name }},\n\nIt has been {{ days_since }} days since your last {{ treatment.name }}.{% if course %}{% if course.left %} You have had {{ course.done }} of the {{ course.sessions }} sessions of your course: {{ course.left }} to go.{% else %} You have completed your course of {{ course.sessions }} sessions; a monthly session keeps the results.{% endif %}{% endif %}{% if treatment.course_sessions > 1 %}\n\nResults are cumulative: most clients see the best results over a course of {{ treatment.course_sessions }} sessions{% if treatment.cadence %}, {{ treatment.cadence }}{% endif %}.{% endif %}\n\nBook online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
    'eligible': 'Dear {{ client.first_name }},\n\nYou asked us to tell you when you could book again. From {{ eligible_on|date:"l j F Y" }}, the wait after your recent injections allows your {{ treatment.name }}.{% if recommended_on %} We recommend waiting until {{ recommended_on|date:"l j F Y" }} if you can: before then we will ask you to read why and confirm when you book.{% endif %} Book online or call us to choose a time.\n\n{{ clinic.name }}{% if clinic.phone %}\n{{ clinic.phone }}{% endif %}{% if clinic.address %}\n{{ clinic.address }}{% endif %}',
}


def _replace(apps, before: dict, after: dict) -> None:
    MessageTemplate = apps.get_model("aftercare", "MessageTemplate")
    for kind, text in after.items():
        MessageTemplate.objects.filter(kind=kind, treatment=None, text=before[kind]).update(
            text=text
        )


def forwards(apps, schema_editor):
    _replace(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _replace(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0008_admin_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
