"""The unsubscribe page behind the signed link in aftercare and rebooking emails."""

from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from aftercare import services
from online.pages.branding import render_page


# The signed token is the credential, and mail providers' RFC 8058 one-click POST carries
# no CSRF token. A GET only shows the form: link scanners must not unsubscribe anybody.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    client = services.client_from_unsubscribe_token(token)
    if client is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        services.client_unsubscribe(client=client)
    return render_page(
        request,
        "online/unsubscribe.html",
        clinic=client.home_clinic,
        email=client.email,
        done=request.method == "POST",
    )
