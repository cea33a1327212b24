"""The clinic's outbox for staff: every email planned for its clients, due, sent, failed
with the error, or cancelled, and a retry for the failed ones (the client's page lists
theirs, with the same retry).

A clinic sends tens of thousands of emails a year, so neither the tabs nor the pages count
every one of them: a tab counts up to TAB_COUNT_CAP ("1,000+" past it) and the list pages
with web/paging.py's paginator (exact up to 10,000 rows, then the planner's estimate, shown
as "about"). The due tab reads its own partial index, message_clinic_due; the failed tab
message_failed_due; sent and cancelled emails are common enough to be found in order of
message_due_id (aftercare/models.py).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

import access
from aftercare.models import Message
from aftercare.services import messages_retry
from web.paging import EstimatedCountPaginator, capped_count
from workspace.views.base import role_required

RETRY = "aftercare.change_message"
PAGE_SIZE = 50
TAB_COUNT_CAP = 1000

# The tabs, each a set of statuses: "due" is what is still to go (waiting or being sent).
SHOWN = {
    "due": (Message.Status.PENDING, Message.Status.SENDING),
    "failed": (Message.Status.FAILED,),
    "sent": (Message.Status.SENT,),
    "cancelled": (Message.Status.CANCELLED,),
}


@role_required(access.OUTBOX)
def outbox(request):
    """?show=due|failed|sent|cancelled (failed first when there are any)."""
    clinic = request.clinic
    rows = Message.objects.filter(clinic=clinic)
    counts = {
        name: capped_count(rows.filter(status__in=statuses), TAB_COUNT_CAP)
        for name, statuses in SHOWN.items()
    }
    show = request.GET.get("show", "")
    if show not in SHOWN:
        show = "failed" if counts["failed"] else "due"
    listed = rows.filter(status__in=SHOWN[show]).select_related("client", "appointment")
    # What is due reads soonest first; the rest newest first.
    listed = listed.order_by("due_at", "pk") if show == "due" else listed.order_by("-due_at", "-pk")
    return render(
        request,
        "workspace/outbox.html",
        {
            "show": show,
            "counts": counts,
            "tabs": [(name, _tab_count(counts[name])) for name in SHOWN],
            "page": EstimatedCountPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page")),
            "may_retry": access.can(request.user, RETRY, clinic),
        },
    )


def _tab_count(counted: int) -> str:
    return f"{TAB_COUNT_CAP:,}+" if counted > TAB_COUNT_CAP else f"{counted:,}"


@role_required(RETRY)
@require_POST
def retry(request, message_id):
    """Give one failed message a fresh set of tries, starting now. A message of a clinic
    where the user may not retry is a 404, as if it did not exist."""
    ids = access.clinic_ids(request.user, RETRY)
    mine = Message.objects.all() if ids is None else Message.objects.filter(clinic_id__in=ids)
    message = get_object_or_404(mine, pk=message_id)
    if messages_retry(messages=Message.objects.filter(pk=message.pk)):
        who = message.client or message.to
        messages.success(request, f"{message.get_kind_display()} for {who}: sent again shortly.")
    else:
        messages.info(
            request,
            f"{message.get_kind_display()} is {message.get_status_display().lower()}, "
            "not failed: left alone.",
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(reverse("workspace:outbox") + "?show=failed")
