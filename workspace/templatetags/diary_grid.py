"""The diary grid's cells, written here rather than in the template: a busy week is
thousands of free cells and hundreds of appointments, and each built by the template
language (URLs reversed, dates formatted, an include per part of a cell) cost more than the
rest of the page together (issue 16's page benchmark). What they say is what the templates
said (workspace/_grid_appointment.html, _sign_off.html and _grid_record_link.html were the
appointment cell's); the URLs are reversed once per page and the references put in."""

# What a cell or a line writes is escaped with html.escape, as django's escape does, but
# without its check for lazy strings: a busy week escapes thousands of values.
from html import escape as html_escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, template_localtime

from bookings.models import Appointment
from money.currency import shown as amount_shown
from workspace.templatetags.records_tags import record_hooks

register = template.Library()

# The link says where it books; a dropped appointment moves there too (grid.js reads the
# date, time and practitioner from the href: a busy week has over a thousand free cells, and
# the same three values again as data attributes were 14% of its bytes).
FREE_LINK = (
    '<a class="cell free" style="grid-row: {row}; grid-column: {col}" '
    'href="{book}?date={day}&amp;time={hm}{who}"><span class="visually-hidden">Book {label}, '
    "{when} at </span>{hm}</a>"
)
FREE_DIV = '<div class="cell free" style="grid-row: {row}; grid-column: {col}"></div>'


def free_cells(context, column, col) -> str:
    """A cell for every row of each free stretch of `column` (grid column `col`): a link that
    books that time (and receives a dragged appointment) for a role that may book, a plain
    cell otherwise. What a start time writes (its date, time and day) is the same in every
    column of its day, so it is worked out once per page."""
    edges = column.edges
    free = [
        index
        for item in column.items
        if item.kind == "free"
        for index in range(item.row_start - 1, item.row_end - 1)
    ]
    if not context.get("may_book"):
        return mark_safe(  # noqa: S308 - numbers only
            "".join(FREE_DIV.format(row=index + 2, col=col) for index in free)
        )
    book = context.render_context.get("grid_book_url")
    if book is None:
        book = context.render_context["grid_book_url"] = reverse("workspace:grid-book")
    starts = context.render_context.get("grid_free_starts")
    if starts is None:
        starts = context.render_context["grid_free_starts"] = {}
    practitioner = column.practitioner
    who = f"&amp;practitioner={practitioner.pk}" if practitioner else ""
    label = html_escape(column.label)
    cells = []
    for index in free:
        start = edges[index]
        when = starts.get(start)
        if when is None:
            when = starts[start] = (
                start.date().isoformat(),
                f"{start.hour:02d}:{start.minute:02d}",
                f"{start:%a} {start.day} {start:%b}",
            )
        day, hm, on = when
        cells.append(
            FREE_LINK.format(
                row=index + 2,
                col=col,
                book=book,
                day=day,
                hm=hm,
                who=who,
                label=label,
                when=on,
            )
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped or ours


# A reference the URL patterns accept, reversed once per page and replaced by each cell's.
PLACEHOLDER = "ZZREFERENCEZZ"
CLIENT_PLACEHOLDER = 987654321987
CELL_URLS = (
    "grid-move",
    "payments",
    "appointment-forms",
    "cancel",
    "no-show",
    "record",
    "complete",
    "sign-off",
)
CONFIRMED, COMPLETED = Appointment.Status.CONFIRMED, Appointment.Status.COMPLETED
STATUS_LABELS = dict(Appointment.Status.choices)


@register.simple_tag
def grid_times(grid) -> str:
    """The time of each row down the first grid column, on the hour and half hour."""
    return mark_safe(  # noqa: S308 - numbers only
        "".join(
            f'<div class="time" style="grid-row: {number}; grid-column: 1">'
            f"{f'{t.hour:02d}:{t.minute:02d}' if t.minute in (0, 30) else ''}</div>"
            for number, t in enumerate(grid.rows, start=2)
        )
    )


@register.simple_tag(takes_context=True)
def grid_columns(context, grid) -> str:
    """Each column's heading (its day in a week, and whose it is), then its cells
    (column_cells): a Python loop rather than the template's, which over a week's 70
    columns cost as much as their cells."""
    today, week = context.get("today"), context.get("span") == "week"
    days: dict = {}
    out = []
    for col, column in enumerate(grid.columns, start=2):
        day = column.day
        if week and day not in days:
            days[day] = f'<span class="day">{html_escape(date_format(day, "D j M"))}</span>'
        out.append(
            f'\n  <h2 class="col-head{" today" if day == today else ""}" style="grid-row: 1; '
            f'grid-column: {col}">{days[day] if week else ""}{html_escape(column.label)}</h2>\n  '
        )
        out.append(column_cells(context, column, col))
        out.append("\n  ")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


@register.simple_tag(takes_context=True)
def column_cells(context, column, col) -> str:
    """Every cell of `column` (grid column `col`) but its heading: the appointments
    (appointment_cell) and the other blocks (outside hours, closed, time off, busy, held) in
    their order, then the free cells (free_cells). One tag rather than a template loop over
    every item: a busy week's columns have thousands, most of them free."""
    cells = []
    for item in column.items:
        if item.kind == "appointment":
            cells.append(appointment_cell(context, item, col))
        elif item.kind != "free":
            cells.append(
                f'\n  <div class="cell {html_escape(item.kind)}" style="grid-row: '
                f'{item.row_start + 1} / {item.row_end + 1}; grid-column: {col}">'
                f"{_block_label(item)}</div>\n"
            )
    cells.append(free_cells(context, column, col))
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped or ours


def _block_label(item) -> str:
    if not item.label:
        return ""
    when = ""
    if item.kind == "off":
        start, end = template_localtime(item.start), template_localtime(item.end)
        when = f"{start:%H:%M}–{end:%H:%M} "
    return f"<span>{when}{html_escape(str(item.label))}</span>"


def _page(context) -> "_Page":
    page = context.render_context.get("grid_page")
    if page is None:
        page = context.render_context["grid_page"] = _Page(context)
    return page


def _reference(a) -> str:
    return html_escape(quote(str(a.reference), safe=RFC3986_SUBDELIMS + "/~:@"))


def _icon(kind: str, glyph: str, tip: str) -> str:
    return (
        f'<span class="icon {kind}" tabindex="0" title="{tip}"><span aria-hidden="true">'
        f'{glyph}</span><span class="tip">{tip}</span></span>'
    )


class _Page:
    """What every appointment cell of one page shares: the context's flags and the URLs."""

    def __init__(self, context):
        self.shown = context.get("shown") or ()
        self.unsigned = context.get("unsigned") or ()
        self.may_book = bool(context.get("may_book"))
        self.may_sign_off = bool(context.get("may_sign_off"))
        workspace = context.get("workspace") or {}
        self.may_record = bool(workspace.get("may_record"))
        self.by_resource = context.get("by") == "resource"
        self.now = context.get("now")
        here = context.get("here")
        if here is None:  # the day sheet's: where its forms come back to
            here = context["request"].get_full_path()
        self.here = escape(here)
        self.next = escape(quote(here, safe="/"))
        token = context.get("csrf_token")
        self.csrf = ""
        if token and str(token) != "NOTPROVIDED":
            self.csrf = (
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
            )
        self.urls = {
            name: escape(reverse(f"workspace:{name}", args=[PLACEHOLDER])) for name in CELL_URLS
        }
        self.client_url = escape(reverse("workspace:client", args=[CLIENT_PLACEHOLDER]))
        self.tz = get_current_timezone()  # what template_localtime converts to
        self._said: dict = {}  # what the day sheet writes once per treatment, rooms, price

    def said(self, key, write) -> str:
        """write() for `key`, once per page: a week sheet's lines repeat a few treatments,
        rooms and prices."""
        text = self._said.get(key)
        if text is None:
            text = self._said[key] = write()
        return text

    def url(self, name: str, reference: str) -> str:
        return self.urls[name].replace(PLACEHOLDER, reference)

    def client_link(self, a) -> str:
        url = self.client_url.replace(str(CLIENT_PLACEHOLDER), str(a.client_id))
        return f'<a href="{url}">{html_escape(str(a.client.name))}</a>'


def _price(a) -> str:
    """What it costs after the discount, as the `amount` filter writes it."""
    return html_escape(amount_shown(a.net_price, a.currency) if a.currency else "")


def appointment_cell(context, item, col) -> str:
    """An appointment's cell: when, who (for a role shown the client), what and its price,
    the client's icons, the sign-off it waits for, forms to sign, and the front desk's and
    the practitioner's actions."""
    page = _page(context)
    a = item.appointment
    entry = item.entry
    ref = _reference(a)
    confirmed = a.status == CONFIRMED
    shown = a.client_id in page.shown
    flag, override = a.eligibility_flag, a.override_reason
    tz = context.render_context.get("grid_tz")
    if tz is None:  # as template_localtime converts: to the page's current time zone
        tz = context.render_context["grid_tz"] = get_current_timezone()
    start, end = item.start.astimezone(tz), item.end.astimezone(tz)
    out = [
        f'<article class="cell appt status-{html_escape(a.status)}{" flagged" if flag else ""}" '
        f'style="grid-row: {item.row_start + 1} / {item.row_end + 1}; grid-column: {col}" '
        f'data-reference="{ref}"'
    ]
    if page.may_book and confirmed:
        out.append(f' data-move="{page.url("grid-move", ref)}"')
    out.append(f'>\n  <p class="when">{start:%H:%M}–{end:%H:%M}')
    if not confirmed:
        out.append(f" · {html_escape(str(STATUS_LABELS.get(a.status, a.status)))}")
    out.append("</p>\n")
    if shown:
        out.append(f'  <p class="who">{page.client_link(a)}</p>\n')
    else:
        out.append('  <p class="who muted">Client not shown to your role</p>\n')
    out.append(f'  <p class="what">{html_escape(a.treatment.name)}')
    if page.by_resource:
        out.append(f" · {html_escape(a.practitioner.name)}")
    if a.price is not None:
        out.append(
            f' · <a class="price" href="{page.url("payments", ref)}">'
            f"{page.said(('price', str(a.net_price), a.currency), lambda: _price(a))}"
            f'<span class="visually-hidden"> payments for {ref}</span></a>'
        )
    out.append("</p>\n")
    if shown:
        out.append('  <p class="icons">\n    ')
        if item.first_visit:
            out.append(_icon("info", "★", "First visit"))
        for caution in entry.cautions:
            out.append(_icon("caution", "⚠", f"Caution: {html_escape(caution)}"))
        for finding in getattr(entry.decision, "findings", None) or ():
            if finding.code == "contraindicated":
                out.append(
                    _icon("danger", "⛔", f"Contraindication: {html_escape(finding.message)}")
                )
        if flag:
            out.append(_icon("danger", "⚑", f"Flagged: {html_escape(flag)}"))
        if override:
            out.append(_icon("warn", "!", f"Override used: {html_escape(override)}"))
        out.append("\n  </p>\n")
    out.append(_sign_off(page, a, ref, shown, confirmed))
    if a.pk in page.unsigned:
        out.append(
            f'  <p class="forms-due"><a class="tag warn" href="'
            f'{page.url("appointment-forms", ref)}">Forms to sign<span class="visually-hidden">'
            f" for {ref}</span></a></p>\n"
        )
    past = page.now is not None and a.start <= page.now
    if shown and page.may_record and past and a.status in (CONFIRMED, COMPLETED):
        out.append(
            f'<p class="actions"><a href="{page.url("record", ref)}?next={page.next}">Record'
            f'<span class="visually-hidden"> {ref}</span></a></p>\n'
        )
    if page.may_book and confirmed:
        out.append(
            f'  <p class="actions">\n    <a href="{page.url("grid-move", ref)}?next={page.next}">'
            f'Move<span class="visually-hidden"> {ref}</span></a>\n'
            f'    <a href="{page.url("cancel", ref)}?next={page.next}">Cancel'
            f'<span class="visually-hidden"> {ref}</span></a>\n'
        )
        if past:
            out.append(
                f'    <form method="post" action="{page.url("no-show", ref)}">{page.csrf}'
                f'<input type="hidden" name="next" value="{page.here}"><button type="submit" '
                f'class="link">No-show<span class="visually-hidden"> {ref}</span></button>'
                "</form>\n"
            )
        out.append("  </p>\n")
    out.append("</article>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def _sign_off(page: _Page, a, ref: str, shown: bool, confirmed: bool) -> str:
    """The sign-off the appointment waits for (as workspace/_sign_off.html, which the day
    sheet still includes): its badge, the rules' words for a role shown the client, and the
    approve / decline form for a role that signs off."""
    try:
        sign_off = a.sign_off
    except Appointment.sign_off.RelatedObjectDoesNotExist:
        return ""
    if not (sign_off.pending and confirmed):
        return ""
    out = ['<div class="sign-off">\n  <p><span class="tag warn" data-sign-off="pending">']
    out.append("Needs sign-off</span>")
    if shown:
        for reason in sign_off.reasons:
            out.append(f' <span class="sign-off-reason">{html_escape(str(reason))}</span>')
    out.append("</p>\n")
    if page.may_sign_off:
        out.append(
            '  <details class="no-print">\n'
            f'    <summary>Sign off<span class="visually-hidden"> {ref}</span></summary>\n'
            f'    <form method="post" action="{page.url("sign-off", ref)}">'
            f"{page.csrf}\n"
            f'      <input type="hidden" name="next" value="{page.here}">\n'
            f'      <label for="sign-off-note-{ref}">Note</label>\n'
            f'      <textarea id="sign-off-note-{ref}" name="note" rows="2" maxlength="2000" '
            "required></textarea>\n"
            '      <button type="submit" name="decision" value="approve">Approve</button>\n'
            '      <button type="submit" name="decision" value="decline" class="quiet">'
            "Decline and cancel</button>\n"
            "    </form>\n  </details>\n"
        )
    out.append("</div>\n")
    return "".join(out)


@register.simple_tag(takes_context=True)
def sheet_rows(context, lines) -> str:
    """A day sheet's table body for one practitioner's lines (workspace.selectors.SheetEntry):
    each line is _sheet_row, the records' hooks (records_tags.record_hooks) and
    _sheet_row_end. One tag for the lines rather than a template loop calling a tag per part
    of each line: a week sheet is 250-300 lines (issue 16)."""
    page = _page(context)
    out = []
    for line in lines:
        ref = _reference(line.appointment)
        out.append("\n      ")
        out.append(_sheet_row(page, line, ref))
        out.append("\n          ")
        out.append(record_hooks(context, line))
        out.append("\n      ")
        out.append(_sheet_row_end(page, line, ref))
        out.append("\n      ")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or ours


def _sheet_row(page: _Page, line, ref: str) -> str:
    """A day sheet line up to its records' hooks: the time, the client (for a role shown
    them), the treatment and its price, the rooms, the cautions and flags, the sign-off it
    waits for and the forms to sign. Escaped with html.escape, as django's escape does, but
    without its check for lazy strings, which a week sheet called thousands of times."""
    a = line.appointment
    shown = a.client_id in page.shown
    start, end = line.local_start.astimezone(page.tz), line.local_end.astimezone(page.tz)
    out = [
        f'<tr class="status-{html_escape(a.status)}" data-reference="{ref}">\n'
        f'        <td class="time">{start:%H:%M}–{end:%H:%M}</td>\n'
    ]
    if shown:
        first = ' <span class="tag info">First visit</span>' if line.first_visit else ""
        out.append(f"        <td>{page.client_link(a)}{first}</td>\n")
    else:
        out.append('        <td class="muted">Not shown to your role: ask the front desk</td>\n')
    treatment = a.treatment
    out.append(f"        <td>{page.said(treatment.pk, lambda: html_escape(treatment.name))}")
    if a.price is not None:
        price = page.said(("price", str(a.net_price), a.currency), lambda: _price(a))
        out.append(
            f' <a class="price no-print" href="{page.url("payments", ref)}" '
            f'title="Payments for {ref}">{price}</a>'
        )
    resources = line.resources
    rooms = page.said(
        ("rooms", *(resource.pk for resource in resources)),
        lambda: ", ".join(html_escape(str(resource)) for resource in resources) or "-",
    )
    out.append(f'</td>\n        <td>{rooms}</td>\n        <td class="flags">\n')
    if shown:
        for caution in line.cautions:
            out.append(f'<p class="caution">{html_escape(caution)}</p>')
        for found in line.contraindications:
            out.append(
                '<p class="contraindication"><span class="tag danger">Contraindication</span> '
                f"{html_escape(found)}</p>"
            )
        if a.eligibility_flag:
            out.append(
                f'<p><span class="tag danger">Flagged</span> {html_escape(a.eligibility_flag)}</p>'
            )
        if a.override_reason:
            out.append(
                f'<p><span class="tag warn">Override used</span> '
                f"{html_escape(a.override_reason)}</p>"
            )
        out.append("\n")
    out.append(_sign_off(page, a, ref, shown, a.status == CONFIRMED))
    if a.pk in page.unsigned:
        out.append(
            f'<p><span class="tag warn">Forms to sign</span> <a href="'
            f'{page.url("appointment-forms", ref)}">Open on the tablet<span '
            f'class="visually-hidden"> for {ref}</span></a></p>\n'
        )
    return "".join(out)


def _sheet_row_end(page: _Page, line, ref: str) -> str:
    """The rest of a day sheet line after its records' hooks: its status, and the forms
    that mark attendance once it has started."""
    a = line.appointment
    label = html_escape(STATUS_LABELS.get(a.status, a.status))
    out = [f'        </td>\n        <td class="no-print status">\n          {label}\n']
    if a.status == CONFIRMED and line.started:
        for name, button in (
            ("complete", '<button type="submit">Completed</button>'),
            ("no-show", '<button type="submit" class="quiet">No-show</button>'),
        ):
            out.append(
                f'          <form method="post" action="{page.url(name, ref)}">{page.csrf}'
                f'<input type="hidden" name="next" value="{page.here}">{button}</form>\n'
            )
    out.append("        </td>\n      </tr>\n")
    return "".join(out)
