"""The client's switch for text messages, on their own space (/my/): reminders and waitlist
offers by text go only to a client who agreed (aftercare/services.py). The form posts the
organisation whose records it switches, as the API's PUT /api/v1/me/sms/ does; staff have no
client space (404), a visitor is sent to sign in."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from aftercare.services import NoMobileNumber, sms_agreement_set
from clinic.identity import clients_of
from clinic.models import SmsConsentSource
from online.pages.mine import signed_in_client


@require_POST
def my_texts(request):
    if (sign_in := signed_in_client(request)) is not None:
        return sign_in
    slug = request.POST.get("organisation", "")
    chosen = [c for c in clients_of(request.user) if c.organisation.slug == slug]
    if not chosen:
        raise Http404("You have no record at this organisation.")
    opted_in = request.POST.get("texts") == "on"
    try:
        sms_agreement_set(clients=chosen, opted_in=opted_in, source=SmsConsentSource.CLIENT_SPACE)
    except NoMobileNumber as refusal:
        messages.error(request, refusal.detail)
    else:
        name = chosen[0].organisation.name
        messages.success(
            request,
            f"{name} will text you reminders and offers."
            if opted_in
            else f"{name} will send you no more texts.",
        )
    return redirect(reverse("online:my") + "#texts")
