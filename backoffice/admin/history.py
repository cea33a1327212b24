"""A client's history on their admin page: the latest few rows of each kind, with how many
there are and a link to all of them in their own (filtered, paged) list.

Inlines would put every appointment, message and record of the client on the page, each
with its form: a client of ten years' visits made a page of 1.5 MB and 532 queries (bench/
README.md, "Pages"). Here each kind costs two queries, a count and the latest rows, both
read from the (client, date) index of their table, however long the history."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

LATEST = 10


@dataclass(frozen=True)
class Column:
    title: str
    value: Any  # a function of the row, giving what the cell shows


def permitted(user, model) -> bool:
    """Whether `user` may see `model`'s rows in the admin (view or change), as an inline
    would ask."""
    meta = model._meta
    return user.has_perm(f"{meta.app_label}.view_{meta.model_name}") or user.has_perm(
        f"{meta.app_label}.change_{meta.model_name}"
    )


def history_table(client, rows: QuerySet, columns: list[Column], what: str):
    """`rows` (the client's, newest first) as a table of the latest LATEST, the first cell
    of each linked to its page, under a link to the whole list filtered on the client."""
    meta = rows.model._meta
    admin_name = f"admin:{meta.app_label}_{meta.model_name}"
    total = rows.order_by().count()
    if not total:
        return f"No {what}."
    everything = (
        reverse(f"{admin_name}_changelist") + "?" + urlencode({"client__id__exact": client.pk})
    )
    shown = list(rows[:LATEST])
    heading = format_html(
        '<p><a href="{}">All {} {}</a>{}</p>',
        everything,
        total,
        what,
        f"; the latest {len(shown)}:" if total > len(shown) else ":",
    )
    head = format_html_join("", "<th>{}</th>", ((column.title,) for column in columns))
    body = format_html_join(
        "\n",
        "<tr>{}</tr>",
        (
            (
                format_html(
                    '<td><a href="{}">{}</a></td>{}',
                    reverse(f"{admin_name}_change", args=[row.pk]),
                    columns[0].value(row),
                    format_html_join(
                        "", "<td>{}</td>", ((column.value(row),) for column in columns[1:])
                    ),
                ),
            )
            for row in shown
        ),
    )
    return format_html(
        '{}<table class="client-history"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
        heading,
        head,
        body,
    )
