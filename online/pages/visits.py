"""A visit's booking draft belongs to the person who typed it: what they typed on the details
step (name, email, phone, health answers: online/pages/forms.py), and what their last try met
(online/pages/outcomes.py) and the booking request they held, are forgotten when anyone signs
in or out in that browser (connected in online/apps.py).

Django keeps an anonymous session's data through a sign-in (it only changes the session's
key), so without this the next person to sign in on a shared phone would find the last
person's email, Botox date and "pregnancy" filled in. Signing out flushes the session anyway;
clearing here too keeps the rule in one place whatever the logout path. The draft is cleared
even when the person signing in is the one who typed it: a browser cannot tell them apart,
and typing it again costs less than showing it to the wrong person.
"""

from online.pages.forms import draft_clear
from online.pages.outcomes import outcome_clear
from online.pages.views import HELD_KEY


def visit_forget(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    draft_clear(session)
    outcome_clear(session)
    session.pop(HELD_KEY, None)
