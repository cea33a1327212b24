"""The diary grid's free cells, written here rather than in the template: a busy week is
thousands of them, and each built by the template language (a URL reversed, six dates
formatted) cost more than the rest of the page together (issue 16's page benchmark: the
busy week went from 2.5 s to <see bench/README.md>). What they say is the template's was."""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

FREE_LINK = (
    '<a class="cell free" style="grid-row: {row}; grid-column: {col}" '
    'href="{book}?date={day}&amp;time={hm}{who}" data-date="{day}" data-time="{hm}" '
    'data-practitioner="{pid}"><span class="visually-hidden">Book {label}, {when} at </span>'
    "{hm}</a>"
)
FREE_DIV = '<div class="cell free" style="grid-row: {row}; grid-column: {col}"></div>'


@register.simple_tag(takes_context=True)
def free_cells(context, column, col) -> str:
    """Every free item of `column` (grid column `col`): a link that books that time (and
    receives a dragged appointment) for a role that may book, a plain cell otherwise."""
    may_book = context.get("may_book")
    book = context.render_context.get("grid_book_url")
    if book is None:
        book = context.render_context["grid_book_url"] = reverse("workspace:grid-book")
    practitioner = column.practitioner
    pid = str(practitioner.pk) if practitioner else ""
    who = f"&amp;practitioner={pid}" if practitioner else ""
    label = escape(column.label)
    cells = []
    for item in column.items:
        if item.kind != "free":
            continue
        row = item.row_start + 1
        if not may_book:
            cells.append(FREE_DIV.format(row=row, col=col))
            continue
        start = item.start
        cells.append(
            FREE_LINK.format(
                row=row,
                col=col,
                book=book,
                day=start.date().isoformat(),
                hm=f"{start.hour:02d}:{start.minute:02d}",
                who=who,
                pid=pid,
                label=label,
                when=f"{start:%a} {start.day} {start:%b}",
            )
        )
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped or ours
