"""Twilio's inbound-message webhook: a client's reply to one of our texts. STOP (and the
usual variants) withdraws their number from text messages and cancels every text still
waiting for it; START agrees again (aftercare/services.py sms_reply). Any other reply is
acknowledged and left alone.

The request is believed only with a valid X-Twilio-Signature, checked by the twilio
library's RequestValidator against TWILIO_AUTH_TOKEN and the address Twilio was given:
SITE_URL + this path (a proxy in front of the site changes the scheme and host Django
sees, not the one Twilio signed). Otherwise 403; a signed request without a readable sender
is a 400. Twilio posts a form, not JSON, and carries no CSRF token: the signature is the
credential.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from aftercare import services
from aftercare.planning import sms_enabled
from clinic.phones import to_e164


def _refused(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def signed_url(request) -> str:
    """The address Twilio signed: the configured webhook URL, i.e. SITE_URL and the path."""
    url = settings.SITE_URL.rstrip("/") + request.path
    query = request.META.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


@csrf_exempt
@require_POST
def inbound(request):
    if not sms_enabled():
        return _refused("sms_not_configured", "Text messages are not configured here.", 403)
    signature = request.headers.get("X-Twilio-Signature", "")
    params = {key: request.POST.get(key) for key in request.POST}
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    if not signature or not validator.validate(signed_url(request), params, signature):
        return _refused(
            "bad_signature", "This request does not carry Twilio's signature for it.", 403
        )
    try:
        phone = to_e164(params.get("From", ""))
    except ValidationError:
        return _refused("invalid_phone", "The reply has no sender number we can read.", 400)
    if not phone:
        return _refused("invalid_phone", "The reply has no sender number.", 400)
    keyword = " ".join((params.get("Body") or "").split()).upper()
    services.sms_reply(phone=phone, keyword=keyword)
    return HttpResponse(str(MessagingResponse()), content_type="text/xml")
