"""Refusals of the course services, in the API's shape (a `code`, a sentence, a status), as
money/errors.py words the payments'."""


class CourseError(Exception):
    code = "course_error"
    status = 400
    detail = "The course could not be used."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.detail
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail}


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
