"""What the emails say by default, from the domain facts of shared/DESIGN.md.

DEFAULTS seeds the editable templates (migration 0002) and stands in for one a clinic
deleted. Care notes are chosen per treatment (its category, then words in its slug) and
reach every template as {{ notes.before }} and {{ notes.after }}.
"""

from dataclasses import dataclass

from aftercare.models import Message

# Results build over a course: said wherever the client might book the next session, and only
# for a treatment sold as one (course_sessions above 1); the cadence comes from its rebooking
# interval (context() in delivery.py). Its paragraph break is inside the condition, so a
# single-session treatment's email has no empty paragraph where it would have been.
CUMULATIVE = (
    "{% if treatment.course_sessions > 1 %}\n\nResults are cumulative: most clients see the "
    "best results over a course of {{ treatment.course_sessions }} sessions"
    "{% if treatment.cadence %}, {{ treatment.cadence }}{% endif %}.{% endif %}"
)

INJECTABLES_CAUTION = (
    "If you have had dermal filler or Botox in the last four weeks, or have one planned before "
    "your appointment, please tell us: massage too soon after injections can move filler or "
    "spread Botox, so we wait at least two weeks, ideally four."
)


@dataclass(frozen=True)
class CareNotes:
    before: str = ""
    after: str = ""


FACIAL_MASSAGE = CareNotes(
    before=INJECTABLES_CAUTION,
    after=(
        "Your skin may look a little pink for an hour or so: that is fresh circulation. For the "
        "rest of the day, skip heavy make-up and exfoliating acids, drink water, and avoid "
        "saunas and hard exercise until tomorrow. Before your next facial massage, leave at "
        "least two weeks (ideally four) after any dermal filler or Botox, and tell us about it."
    ),
)

NOTES_BY_CATEGORY = {
    "facial_massage": FACIAL_MASSAGE,
    "microcurrent": CareNotes(
        before=(
            "Microcurrent is not suitable if you have a pacemaker or any other implanted "
            "electronic device, are pregnant or have epilepsy: please tell us before your "
            "appointment if any of these applies. Come with a clean face or light make-up; "
            "we use oil-free gels only, as oils block the current. " + INJECTABLES_CAUTION
        ),
        after=(
            "Keep to oil-free products for the rest of the day. If you use a home microcurrent "
            "device, five minutes a day after moisturising is enough, always with an oil-free "
            "conducting gel. Drink water: hydrated skin conducts better and responds more. "
            "Leave at least two weeks (ideally four) after any dermal filler or Botox before "
            "your next session."
        ),
    ),
    "light_therapy": CareNotes(
        before=(
            "Please tell us if you are sensitive to light, take photosensitising medication "
            "or have a history of epilepsy."
        ),
        after=(
            "There is no downtime. Use a broad-spectrum SPF every day, and avoid retinoids and "
            "exfoliating acids tonight. LED works best as a regular routine."
        ),
    ),
}

# Treatments within a category whose care differs: matched on a word in the slug.
NOTES_BY_SLUG_WORD = {
    "lymphatic": CareNotes(
        before=INJECTABLES_CAUTION,
        after=(
            "Drink plenty of water today and tomorrow: it helps your body clear the fluid the "
            "massage has moved, and you may need the bathroom more often than usual. Go easy on "
            "salt and alcohol for a day so the puffiness does not return straight away. Leave at "
            "least two weeks (ideally four) after any dermal filler or Botox before your next "
            "facial massage."
        ),
    ),
    "gua-sha": CareNotes(
        before=INJECTABLES_CAUTION,
        after=(
            "Mild pinkness fades within an hour. Keep up the short home routine your "
            "practitioner showed you: always on clean skin with a facial oil, light pressure, "
            "strokes outwards and upwards, and never over fresh filler or Botox (wait at least "
            "two weeks, ideally four)."
        ),
    ),
    "sculpting": CareNotes(
        before=INJECTABLES_CAUTION,
        after=(
            "The jaw and cheeks may feel tender for a day or two, as after exercise. Drink water "
            "and skip heavy make-up today. This is our deepest massage: wait at least four weeks "
            "after dermal filler or Botox before the next session."
        ),
    ),
    "tmj": CareNotes(
        before=INJECTABLES_CAUTION,
        after=(
            "Your jaw may feel loose or a little tender tomorrow. A warm compress and the gentle "
            "stretches your practitioner showed you help; notice when you clench during the day. "
            "If you grind your teeth at night, talk to your dentist about a guard."
        ),
    ),
}


def care_notes(*, category: str, slug: str) -> CareNotes:
    for word, notes in NOTES_BY_SLUG_WORD.items():
        if word in slug:
            return notes
    return NOTES_BY_CATEGORY.get(category, FACIAL_MASSAGE)


SIGNATURE = """
{{ clinic.name }}{% if clinic.phone %}
{{ clinic.phone }}{% endif %}{% if clinic.address %}
{{ clinic.address }}{% endif %}"""

WHEN = '{{ appointment.start|date:"l j F Y" }} at {{ appointment.start|time:"H:i" }}'


def _text(source: str) -> str:
    """Fill the shared pieces into a default text (plain strings keep the braces readable)."""
    return (
        source.replace("[WHEN]", WHEN)
        .replace("[CUMULATIVE]", CUMULATIVE)
        .replace("[SIGNATURE]", SIGNATURE)
    )


# (subject, text) per kind; the HTML part is the text in paragraphs unless staff write one.
DEFAULTS: dict[str, tuple[str, str]] = {
    Message.Kind.CONFIRMATION: (
        'Booked: {{ treatment.name }} on {{ appointment.start|date:"D j M" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Dear {{ client.first_name }},

Your {{ treatment.name }} with {{ appointment.practitioner }} is booked for [WHEN] \
({{ treatment.duration_minutes }} minutes). Your reference is {{ appointment.reference }}; the \
attached calendar file puts it in your diary.

{{ notes.before }}

To change or cancel, please give us at least {{ clinic.cancellation_window_hours }} hours' notice.
[SIGNATURE]"""
        ),
    ),
    # After a move: what changed, in the subject and the first line, never a second "Booked".
    Message.Kind.MOVED: (
        'Moved: {{ treatment.name }} now on {{ appointment.start|date:"D j M" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Dear {{ client.first_name }},

Your {{ treatment.name }} (reference {{ appointment.reference }}) has been moved\
{% if moved_from %} from {{ moved_from|date:"l j F" }} at {{ moved_from|time:"H:i" }}{% endif %} \
to [WHEN], with {{ appointment.practitioner }}{% if was_with %} (instead of {{ was_with }})\
{% endif %}. The attached calendar file updates it in your diary.

{{ notes.before }}

To change or cancel, please give us at least {{ clinic.cancellation_window_hours }} hours' notice.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.REMINDER: (
        'Reminder: {{ treatment.name }} {{ appointment.start|date:"l" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Dear {{ client.first_name }},

A reminder of your {{ treatment.name }} with {{ appointment.practitioner }} on [WHEN] \
(reference {{ appointment.reference }}).

{{ notes.before }}

If you cannot come, please let us know as soon as you can.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.AFTERCARE: (
        "Caring for your skin after your {{ treatment.name }}",
        _text(
            """Dear {{ client.first_name }},

Thank you for coming in today. A few notes to make the most of your {{ treatment.name }}:

{{ notes.after }}[CUMULATIVE]
[SIGNATURE]"""
        ),
    ),
    Message.Kind.FOLLOW_UP: (
        "How is your skin after your {{ treatment.name }}?",
        _text(
            """Dear {{ client.first_name }},

It is two days since your {{ treatment.name }}. How does your skin feel? If anything worries \
you (redness that has not settled, swelling, tenderness), reply to this email or call us and \
your practitioner will get back to you.[CUMULATIVE]
[SIGNATURE]"""
        ),
    ),
    Message.Kind.REBOOK: (
        "Time for your next {{ treatment.name }}?",
        _text(
            """Dear {{ client.first_name }},

It has been {{ days_since }} days since your last {{ treatment.name }}.\
{% if course %}{% if course.left %} You have had {{ course.done }} of the {{ course.sessions }} \
sessions of your course: {{ course.left }} to go.{% else %} You have completed your course of \
{{ course.sessions }} sessions; a monthly session keeps the results.{% endif %}{% endif %}\
[CUMULATIVE]

Book online or call us to choose a time.
[SIGNATURE]"""
        ),
    ),
    # Sent on the morning the wait allows the treatment, after delivery has checked the record
    # again (sending/notices.py). "Allowed" and "recommended" are the rule's two days: between
    # them the booking pages ask the client to read and accept the warning.
    Message.Kind.ELIGIBLE: (
        'You can book your {{ treatment.name }} from {{ eligible_on|date:"j F" }}',
        _text(
            """Dear {{ client.first_name }},

You asked us to tell you when you could book again. From {{ eligible_on|date:"l j F Y" }}, \
the wait after your recent injections allows your {{ treatment.name }}.\
{% if recommended_on %} We recommend waiting until {{ recommended_on|date:"l j F Y" }} if you \
can: before then we will ask you to read why and confirm when you book.{% endif %} Book online \
or call us to choose a time.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.CANCELLATION: (
        'Cancelled: {{ treatment.name }} on {{ appointment.start|date:"D j M" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Dear {{ client.first_name }},

{% if by_clinic %}Your {{ treatment.name }} with {{ appointment.practitioner }} on [WHEN] \
(reference {{ appointment.reference }}) has been cancelled by the clinic. If you did not ask for \
this, or would like another time, please call us{% if clinic.phone %} on {{ clinic.phone }}\
{% endif %} or book online.{% else %}As you asked, your {{ treatment.name }} with \
{{ appointment.practitioner }} on [WHEN] (reference {{ appointment.reference }}) is cancelled. \
We hope to see you another time: book online or call us.{% endif %} The attached calendar file \
removes it from your diary.
[SIGNATURE]"""
        ),
    ),
    # Planned by money/services.py in the payment's transaction; the amounts come formatted.
    Message.Kind.RECEIPT: (
        "{% if refund %}Refund{% else %}Receipt{% endif %}: {{ amount }} for your "
        "{{ treatment.name }} ({{ appointment.reference }})",
        _text(
            """Dear {{ client.first_name }},

{% if refund %}We have refunded {{ amount }} ({{ method }}){% else %}Thank you: we have \
received {{ amount }} ({{ what }}, {{ method }}){% endif %} for your {{ treatment.name }} \
with {{ appointment.practitioner }} on [WHEN] (reference {{ appointment.reference }}).
{% if price %}
Price: {{ price }}. Paid in all, less refunds: {{ paid_in_all }}.{% endif %}

Please keep this email as your receipt.
[SIGNATURE]"""
        ),
    ),
    # Planned by courses/services.py when a course is paid, at the desk or by card, in that
    # payment's transaction; the amount comes formatted.
    Message.Kind.COURSE_RECEIPT: (
        "Receipt: {{ amount }} for your {{ course.name }}",
        _text(
            """Dear {{ client.first_name }},

Thank you: we have received {{ amount }} ({{ method }}) for your {{ course.name }}: a course of \
{{ course.sessions }} sessions at {{ clinic.name }}, for appointments until \
{{ course.last_day }}.

Please keep this email as your receipt.
[SIGNATURE]"""
        ),
    ),
    # A deposit asked of a booking staff made (diary/deposits.py): the link opens a page
    # that makes the card payment page when the client presses Pay.
    Message.Kind.DEPOSIT_DUE: (
        "Your deposit of {{ amount }} for your {{ treatment.name }} ({{ appointment.reference }})",
        _text(
            """Dear {{ client.first_name }},

Your {{ treatment.name }} with {{ appointment.practitioner }} on [WHEN] (reference \
{{ appointment.reference }}) is booked. The clinic asks a deposit of {{ amount }}, which you \
can pay by card here:

{{ pay_url }}

You can also pay it at the desk when you come in.
[SIGNATURE]"""
        ),
    ),
    # Planned by courses/services.py; checked again when due (courses/notices.py).
    Message.Kind.COURSE_EXPIRING: (
        "Your {{ course.name }} ends on {{ course.last_day }}",
        _text(
            """Dear {{ client.first_name }},

Your {{ course.name }} can be used for appointments until {{ course.last_day }}, and you \
still have sessions of it to book. Book them online, or call us{% if clinic.phone %} on \
{{ clinic.phone }}{% endif %}, so that none goes unused.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.COURSE_NEXT: (
        "Time to book session {{ course.session }} of {{ course.sessions }}",
        _text(
            """Dear {{ client.first_name }},

Your {{ course.name }} works best with sessions {{ treatment.cadence }}: it is time to book \
session {{ course.session }} of {{ course.sessions }}. Your course pays for it when you book \
while signed in{% if course.last_day %}, for appointments until {{ course.last_day }}{% endif %}.
[SIGNATURE]"""
        ),
    ),
    # The site's own messages (aftercare.models.ACCOUNT_KINDS): not editable templates, and
    # not signed by a clinic (the sign-in is the site's, whatever clinics the client uses).
    Message.Kind.SIGN_IN_CODE: (
        "Your sign-in code for {{ site.name }}: {{ code }}",
        """Your code to sign in to {{ site.name }} is:

    {{ code }}

Type it on the page where you asked for it. It works once, within {{ minutes }} minutes.

If you did not ask for it, ignore this email: nobody can sign in without the code.
""",
    ),
    Message.Kind.NO_ACCOUNT: (
        "Signing in to {{ site.name }}",
        """Someone, we hope you, asked to sign in to {{ site.name }} with this address, but no \
booking has been made with it. If you booked with another address, sign in with that one.

To book, choose a treatment at {{ site.url }}

If you did not ask, ignore this email.
""",
    ),
    Message.Kind.HOLD: (
        'Confirm your {{ treatment.name }} on {{ appointment.start|date:"D j M" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Hello,

Someone asked to book a {{ treatment.name }} with {{ appointment.practitioner }} on [WHEN] at \
{{ clinic.name }} for this email address. If it was you, please confirm it here:

{{ confirm_url }}

We are holding the time for you until {{ held_until|time:"H:i" }}. Confirming also signs you \
in, so we can check the booking against your health record with you.

If you did not ask for this booking, ignore this email: nothing is booked until the link is \
used.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.FLAGGED: (
        "Check appointment {{ appointment.reference }}: {{ client.name }}",
        _text(
            """A health record added after booking means this appointment now breaks a clinical \
rule. Please contact the client before the appointment.

Appointment: {{ appointment.reference }}, {{ treatment.name }} with \
{{ appointment.practitioner }}, [WHEN]
Client: {{ client.name }}, {{ client.phone }}, {{ client.email }}
Reason: {{ reason }}
"""
        ),
    ),
    Message.Kind.FORMS_DUE: (
        'Please sign your forms before {{ appointment.start|date:"l" }}\'s {{ treatment.name }}',
        _text(
            """Dear {{ client.first_name }},

Before your {{ treatment.name }} on [WHEN] (reference {{ appointment.reference }}), we need \
your signed consent and health forms. They take a few minutes:

{{ forms_url }}

If you prefer, you can sign them on our tablet when you arrive; please come a few minutes early.
[SIGNATURE]"""
        ),
    ),
    Message.Kind.FORM_SIGNED: (
        "Your signed form: {{ form }}",
        _text(
            """Dear {{ client.first_name }},

Thank you for signing "{{ form }}". A copy is attached for your records.
[SIGNATURE]"""
        ),
    ),
    # A recalled product lot (records/services.py): to each client who received it, once.
    Message.Kind.RECALL: (
        "Important: a product used in your treatment has been recalled",
        _text(
            """Dear {{ client.first_name }},

The maker of {{ product }} has recalled lot {{ lot_number }}, and our records show it was \
used in your treatment. Please contact us{% if clinic.phone %} on {{ clinic.phone }}{% endif %} \
so that we can talk it through with you; if you feel unwell, contact your doctor.
[SIGNATURE]"""
        ),
    ),
    # The same recall's one summary to the clinic that recorded it (Clinic.email).
    Message.Kind.RECALL_SUMMARY: (
        "Recall of {{ product }} lot {{ lot_number }}: {{ clients }} client{{ clients|pluralize }}",
        """{{ product }} lot {{ lot_number }} is recalled. {{ clients }} \
client{{ clients|pluralize }} of your organisation received it and are being emailed; \
{{ appointments }} upcoming appointment{{ appointments|pluralize }} \
{{ appointments|pluralize:"is,are" }} flagged on the sheet. The list \
is on the recall's page in the staff workspace (recall {{ recall_id }}).
""",
    ),
    # A time offered from the waitlist (diary/waitlist.py): the accept link, signed and dated,
    # works until the offer ends; the first client to accept books it.
    Message.Kind.WAITLIST_OFFER: (
        'A {{ treatment.name }} is free on {{ appointment.start|date:"D j M" }} at '
        '{{ appointment.start|time:"H:i" }}',
        _text(
            """Dear {{ client.first_name }},

A time you were waiting for has come free: {{ treatment.name }} with \
{{ appointment.practitioner }} on [WHEN]. To book it, accept it here:

{{ accept_url }}

We are holding it for you until {{ expires_at|time:"H:i" }}. We may have offered it to a few \
other clients on the waitlist too: the first to accept gets it. If it does not suit you, \
ignore this email and you stay on the waitlist.
[SIGNATURE]"""
        ),
    ),
    # To the clients whose offer another client accepted first.
    Message.Kind.OFFER_GONE: (
        'The {{ treatment.name }} on {{ appointment.start|date:"D j M" }} has gone',
        _text(
            """Dear {{ client.first_name }},

Sorry: the {{ treatment.name }} on [WHEN] that we offered you has been booked by another \
client. You are still on the waitlist, and we will offer you the next time that suits you.
[SIGNATURE]"""
        ),
    ),
}

# The built-in text messages, per kind that can go by SMS, for a template whose SMS text is
# empty. Kept short (one or two segments): no health notes, no client name beyond the first.
# A STOP line is added to every text (sending/delivery.py).
SMS_DEFAULTS: dict[str, str] = {
    Message.Kind.REMINDER: (
        "{{ clinic.name }}: reminder of your {{ treatment.name }} on "
        '{{ appointment.start|date:"D j M" }} at {{ appointment.start|time:"H:i" }} '
        "(ref {{ appointment.reference }}). To change it: {{ manage_url }}"
    ),
    # The sign-in code, for a client who agreed to texts (online/accounts.py); no STOP line.
    Message.Kind.SIGN_IN_CODE: (
        "Your sign-in code is {{ code }}. It works once, for {{ minutes }} minutes. "
        "Nobody from the clinic will ask you for it."
    ),
    # A waitlist offer: the first to accept gets the time, so the link is the message.
    Message.Kind.WAITLIST_OFFER: (
        "{{ clinic.name }}: a time has come free for {{ treatment.name }}, "
        '{{ appointment.start|date:"D j M" }} at {{ appointment.start|time:"H:i" }}. '
        'It is held for you until {{ expires_at|time:"H:i" }}: {{ accept_url }}'
    ),
}
SMS_STOP_LINE = "Reply STOP to opt out"
