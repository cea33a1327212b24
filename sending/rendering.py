"""Render an email's subject, text and HTML from staff-edited templates, in a sandbox.

Staff write Django template syntax, but through an Engine of its own with a short list of
tags and filters: no {% load %}, {% include %}, {% extends %}, {% debug %} or |safe, so a
template can neither read files nor mark client text as safe. The context holds only plain
data (strings, numbers, dates and read-only mappings of them), never model instances, so no
template can follow a relation to the ORM or to private data. HTML output escapes every
variable; the plain-text parts have no markup to escape into.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from types import MappingProxyType

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters
from django.template import defaulttags as tags
from django.template.loader import render_to_string
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

register = Library()

# Control flow and formatting only. Absent on purpose: load, include, extends, block, debug
# (dumps the context), url, csrf_token, autoescape, and the safe and safeseq filters.
register.tag("if", tags.do_if)
register.tag("for", tags.do_for)
register.tag("with", tags.do_with)
register.tag("filter", tags.do_filter)
for _tag in (tags.firstof, tags.spaceless, tags.comment, tags.now, tags.cycle):
    register.tag(_tag)
for _name in (
    "date", "time", "default", "default_if_none", "upper", "lower", "title", "capfirst",
    "linebreaks", "linebreaksbr", "pluralize", "yesno", "floatformat", "length", "join",
    "first", "last", "truncatewords", "truncatechars", "wordwrap", "striptags", "urlize",
    "add", "cut", "escape", "force_escape", "ljust", "rjust", "center", "timesince", "timeuntil",
):  # fmt: skip
    register.filter(_name, getattr(defaultfilters, _name))


class SandboxEngine(Engine):
    default_builtins = ["sending.rendering"]  # this module's `register`, nothing else


@cache
def sandbox() -> Engine:
    # Whether output is escaped is the Context's choice: on for HTML, off for plain text.
    return SandboxEngine(autoescape=True, string_if_invalid="")


PLAIN_TYPES = (str, int, float, bool, Decimal, date, datetime, type(None))


class TemplateRefused(ValueError):
    """A template that does not compile in the sandbox (an unknown or forbidden tag...)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def plain(value):
    """`value` as read-only plain data. Anything else (a model, a queryset, a function) is
    refused here rather than trusted to the template language's own checks."""
    if isinstance(value, PLAIN_TYPES):
        return value
    if isinstance(value, Mapping):
        # Read-only: the template language calls zero-argument methods such as dict.clear.
        return MappingProxyType({str(k): plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    raise TypeError(f"Only plain data may reach a template, not {type(value).__name__}.")


# Keyed by the source itself, so an edited template is simply a new entry; a compiled
# template is rendered any number of times, as Django's cached loader does with files.
@lru_cache(maxsize=256)
def compile_template(source: str):
    try:
        return sandbox().from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateRefused(str(error)) from None


def render_email(
    *, subject: str, text: str, html: str, context: Mapping, footer: Mapping | None = None
) -> Rendered:
    """The one helper for the triplet. `html` may be empty: the text becomes paragraphs.
    `footer` (links to the booking and to sign in, the unsubscribe link, clinic details) is
    for our own wrapper, not for staff: `links` is a list of (label, absolute URL)."""
    data = Context(plain(context), autoescape=False)
    subject_out = " ".join(compile_template(subject).render(data).split())  # one header line
    text_out = compile_template(text).render(data).strip()
    if html.strip():
        body = compile_template(html).render(Context(plain(context)))
    else:
        body = linebreaks(text_out, autoescape=True)
    footer = dict(footer or {})
    html_out = render_to_string(
        "sending/email.html", {"subject": subject_out, "body": mark_safe(body), **footer}
    )
    if footer.get("links"):
        text_out += "\n\n" + "\n".join(f"{label}: {url}" for label, url in footer["links"])
    if footer.get("unsubscribe_url"):
        text_out += (
            "\n\n--\nTo stop aftercare and rebooking emails (you will still get booking "
            f"confirmations and reminders): {footer['unsubscribe_url']}"
        )
    return Rendered(subject=subject_out, text=text_out + "\n", html=html_out)


def render_sms(*, text: str, context: Mapping) -> str:
    """A text message from its template: plain text, no escaping (there is no markup), its
    runs of spaces and blank lines closed up, since every character is paid for."""
    rendered = compile_template(text).render(Context(plain(context), autoescape=False))
    lines = (" ".join(line.split()) for line in rendered.strip().splitlines())
    return "\n".join(line for line in lines if line)
