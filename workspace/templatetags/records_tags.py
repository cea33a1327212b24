"""Reading the records' per-appointment maps on the diary's pages, and the day sheet's hook
for records (record_hooks)."""

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from bookings.models import Appointment

register = template.Library()

RECORDABLE = {Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED}
PLACEHOLDER = "ZZREFERENCEZZ"


@register.filter
def of(mapping, key):
    """mapping[key], or None: {{ records.last|of:a.pk }}."""
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def record_hooks(context, line) -> str:
    """The day sheet's hook for records, for a line (SheetEntry) whose client the role is
    shown: the recalls that flag it, "last time" (workspace/_last_time.html, included only
    when there is one), and the link to write its record once it has started. Written here
    rather than as an include per line: a week sheet is 250-300 lines (issue 16)."""
    a = line.appointment
    if a.client_id not in (context.get("shown") or ()):
        return ""
    records = context.get("records") or {}
    out = [
        f'<p><span class="tag danger">Recall</span> {escape(recall.product)} lot '
        f"{escape(recall.lot_number)}</p>"
        for recall in of(records.get("recalls"), a.pk) or ()
    ]
    last = of(records.get("last"), a.pk)
    if last:
        last_time = context.render_context.get("last_time_template")
        if last_time is None:
            last_time = context.template.engine.get_template("workspace/_last_time.html")
            context.render_context["last_time_template"] = last_time
        with context.push(last=last):
            out.append(last_time.render(context))
    workspace = context.get("workspace") or {}
    if workspace.get("may_record") and line.started and a.status in RECORDABLE:
        page = context.render_context.get("record_hook_urls")
        if page is None:
            here = context["request"].get_full_path()
            page = (escape(reverse("workspace:record", args=[PLACEHOLDER])), escape(quote(here)))
            context.render_context["record_hook_urls"] = page
        url, back = page
        ref = escape(a.reference)
        out.append(
            f'<p class="no-print"><a href="{url.replace(PLACEHOLDER, ref)}?next={back}">Record'
            f'<span class="visually-hidden"> {ref}</span></a></p>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours
