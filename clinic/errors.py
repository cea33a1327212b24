"""The shape every service's refusal takes, as the API words it: a `code`, a sentence for a
person (`detail`) and the HTTP status. Each part keeps its own subclasses (money/errors.py,
courses/errors.py) so a caller catches only the refusals it expects."""


class Refusal(Exception):
    code = "refused"
    status = 400
    detail = "That could not be done."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.detail
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail}
