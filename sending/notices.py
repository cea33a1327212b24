"""The "you can book again from ..." notice, checked against the client's record once more
when it is sent: the record may have changed in the weeks since the client asked.

A client asks on the refusal page (online/pages/views.py notice_request) and the notice is
planned for the morning the waiting period ends (aftercare/services.py). When delivery takes
it, the rules decide again, for that day or today if delivery is late:
- still refused because a newer injection moved the day: this notice is dropped, and one is
  planned for the new day (the client asked to be told when they can book, and still can be);
- refused for any other reason (a condition declared since): dropped, nothing planned;
- allowed: sent, saying the day the rule allows and, if later, the day it recommends.

The reason written on a dropped row is seen by staff in the outbox: it says the record
changed, never what is in it.
"""

from datetime import date, datetime

from aftercare.models import Message
from aftercare.services import eligibility_notice_request
from clinical import eligibility, rules


def recheck(message: Message, *, now: datetime) -> str:
    """Why an eligibility notice should no longer go ("" if it should, and then its
    `recommended_on` is set in `message.data` for the template)."""
    if message.kind != Message.Kind.ELIGIBLE or message.client is None:
        return ""
    clinic, treatment = message.clinic, message.treatment
    asked = message.data.get("eligible_on")
    today = clinic.local_date(now)
    day = max(date.fromisoformat(asked), today) if asked else today
    decision = rules.client_decision(client=message.client, treatment=treatment, on=day)
    if decision.decision == eligibility.REFUSED:
        later = decision.earliest_date
        if decision.code == eligibility.WAITING_PERIOD and later and later > day:
            eligibility_notice_request(
                client=message.client, treatment=treatment, eligible_on=later
            )
            return (
                "The client's health record changed since they asked: they cannot book on that "
                f"day. A new notice is planned for {later:%Y-%m-%d}."
            )
        return "The client's health record changed since they asked: they cannot book it now."
    recommended = decision.recommended_date
    if recommended and recommended > day:
        message.data = {**message.data, "recommended_on": recommended.isoformat()}
    return ""
