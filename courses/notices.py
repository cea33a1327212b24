"""The course emails checked once more when they are sent (as sending/notices.py checks the
"you can book again" notice): weeks pass between planning and sending, and a course used up,
expired or already booked to its end wants no nudge."""

from datetime import datetime

from aftercare.models import Message
from courses.models import ClientCourse
from courses.selectors import balance, with_counts

KINDS = frozenset({Message.Kind.COURSE_EXPIRING, Message.Kind.COURSE_NEXT})


def reason_not_to_send(message: Message, *, now: datetime) -> str:
    """Why a course email should no longer go ("" if it should)."""
    if message.kind not in KINDS:
        return ""
    course = with_counts(ClientCourse.objects.filter(pk=message.data.get("course_id"))).first()
    if course is None:
        return "The course is no longer on record."
    if not course.usable:
        return "The course is not paid for."
    state = balance(course, now=now)
    if state.used_up:
        return "Every session of the course is used."
    if state.expired:
        return "The course has expired."
    if state.remaining == 0:
        return "Every session left is booked."
    if message.kind == Message.Kind.COURSE_NEXT and state.booked:
        return "The client has booked their next session."
    return ""
