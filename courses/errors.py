"""Refusals of the course services, in the API's shape (a `code`, a sentence, a status), as
money/errors.py words the payments'."""

from clinic.errors import Refusal


class CourseError(Refusal):
    code = "course_error"
    detail = "The course could not be used."


class CourseRefused(CourseError):
    """Bad input: an offer not sold (any more) or of another business, a course of another
    client, a course that does not cover the treatment or has expired by the visit."""

    code = "course_refused"


class CourseUsedUp(CourseError):
    code = "course_used_up"
    status = 409
    detail = "Every session of this course is used or booked."


class NotAllowed(CourseError):
    code = "permission_denied"
    status = 403
    detail = "Your role does not do that."


class AlreadyPaid(CourseError):
    code = "invalid_status"
    status = 409
    detail = "This course is already paid."
