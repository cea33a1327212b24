"""The admin's list rows, the same HTML as Django's `{% result_list %}` for less CPU.

Django's `items_for_result` works out each cell's column afresh on every row: it looks the
column's name up among the model's fields (an exception for every method column), builds a
dict of a field's choices, reverses the row's change URL through the URLconf, and resolves
that URL again to add the list's filters to it. At 50 rows of 7-11 columns that was about
a third of a big list's CPU (bench/README.md, "The admin's rows"). Here the columns are
worked out once per page, a field's choices once per column, the change URL's pattern
once per page and the filters' query string once; each cell is then made as Django makes
it (the same `display_for_field` / `display_for_value`, the same classes and markup).
Anything the shortcut does not cover (an editable list, a popup, a primary key that is not
an integer, a column that is neither a field nor a method of the model admin) is left to
Django's own code, row by row.
"""

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_PK = "__backoffice_pk__"
_NO_CHOICES = object()


class _Column:
    """What a column's cells share: its name, classes, whether it links to the row, and how
    its value is read (a model field, a method of the model admin, or Django's lookup)."""

    def __init__(self, cl, index: int, name, link: bool):
        self.name = name
        self.link = link
        self.classes = [f"field-{_coerce_field_name(name, index)}"]
        self.field = None  # a field shown by display_for_field
        self.related = False  # a foreign key: its object shown
        self.method = None  # a method of the model admin
        self.choices = _NO_CHOICES
        try:
            field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            field = None
        if field is None:
            method = getattr(cl.model_admin, name, None) if isinstance(name, str) else None
            if name != "__str__" and callable(method) and not hasattr(cl.model, name):
                self.method = method
        elif field.auto_created:
            pass
        elif isinstance(field.remote_field, models.ManyToOneRel):
            self.related = True
            if isinstance(field, models.ForeignKey):
                self.classes.append("nowrap")
        elif not field.is_relation:
            self.field = field
            if getattr(field, "flatchoices", None):
                try:
                    self.choices = dict(field.flatchoices)
                except TypeError:  # list-like choices: Django's own code
                    self.field = None
            if isinstance(field, models.DateField | models.TimeField):
                self.classes.append("nowrap")


class _Rows:
    """The page's columns and link pattern, worked out once (module docstring)."""

    def __init__(self, cl):
        self.cl = cl
        self.empty = cl.model_admin.get_empty_value_display()
        links = cl.list_display_links
        self.columns = []
        first = True
        for index, name in enumerate(cl.list_display):
            if links is None:
                link = False
            elif first and not links:
                link = True
            else:
                link = name in links
            if link:
                first = False
            self.columns.append(_Column(cl, index, name, link))
        self.url = None  # the change URL with _PK for the id, and the filters' query
        opts = cl.opts
        if not cl.is_popup and not cl.to_field:
            try:
                url = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=(_PK,),
                    current_app=cl.model_admin.admin_site.name,
                )
            except NoReverseMatch:
                url = None
            if url is not None and url.count(_PK) == 1:
                full = add_preserved_filters(
                    {"preserved_filters": cl.preserved_filters, "opts": opts}, url
                )
                if full.startswith(url):
                    self.url = full

    def items(self, result):
        cl = self.cl
        pk = getattr(result, cl.pk_attname)
        if self.url is None or cl.formset or type(pk) is not int:
            return list(items_for_result(cl, result, None))
        cells = []
        first = True
        for column in self.columns:
            classes = column.classes
            if column.related:
                value = getattr(result, column.name)
                text = self.empty if value is None else value
            elif column.field is not None:
                value = getattr(result, column.name)
                if isinstance(value, str) and value.strip() == "":
                    value = ""
                if column.choices is not _NO_CHOICES:
                    try:
                        text = column.choices.get(value, self.empty)
                    except TypeError:
                        text = display_for_field(value, column.field, self.empty)
                else:
                    text = display_for_field(
                        value, column.field, self.empty, avoid_link=column.link
                    )
            elif column.method is not None:
                try:
                    value = column.method(result)
                except ObjectDoesNotExist:
                    text = self.empty
                else:
                    method = column.method
                    empty = getattr(method, "empty_value_display", self.empty)
                    if isinstance(value, str) and value.strip() == "":
                        value = ""
                    if column.name == "action_checkbox":
                        classes = ["action-checkbox"]
                    text = display_for_value(value, empty, getattr(method, "boolean", False))
                    if isinstance(value, datetime.date | datetime.time):
                        classes = [*classes, "nowrap"]
            else:  # anything else: Django's lookup, for this row
                cells.append(None)
                continue
            row_class = mark_safe(f' class="{" ".join(classes)}"')
            if column.link:
                tag = "th" if first else "td"
                first = False
                url = self.url.replace(_PK, str(pk), 1)
                cells.append(
                    format_html(
                        "<{}{}>{}</{}>",
                        tag,
                        row_class,
                        format_html('<a href="{}"{}>{}</a>', url, "", text),
                        tag,
                    )
                )
            else:
                cells.append(format_html("<td{}>{}</td>", row_class, text))
        if None in cells:  # a column only Django's code reads: the row as Django makes it
            return list(items_for_result(cl, result, None))
        return cells


def result_list(cl):
    """Django's `result_list` (admin_list.py), its rows made by `_Rows`."""
    headers = list(result_headers(cl))
    num_sorted_fields = sum(1 for h in headers if h["sortable"] and h["sorted"])
    if cl.formset:
        from django.contrib.admin.templatetags.admin_list import results

        rows = list(results(cl))
    else:
        made = _Rows(cl)
        # Each row's cells joined: the template writes them one after the other anyway
        # (`{% for item in result %}{{ item }}{% endfor %}`), one item costs it one lookup.
        rows = [
            ResultList(None, [mark_safe("".join(made.items(result)))]) for result in cl.result_list
        ]
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": num_sorted_fields,
        "results": rows,
    }


@register.tag(name="backoffice_result_list")
def result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
