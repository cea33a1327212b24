"""Dressing a public page in a clinic's name, logo and colours (the colours are checked when
they are saved: clinic/branding.py)."""

from dataclasses import dataclass

from django.shortcuts import render

from clinic.branding import DEFAULT_ACCENT, DEFAULT_PRIMARY, HEX_COLOUR


@dataclass(frozen=True)
class Branding:
    """What the page templates need to dress a page in a clinic's colours."""

    name: str
    logo_url: str = ""
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    timezone: str = "UTC"
    phone: str = ""
    email: str = ""
    address: str = ""


def branding_for(clinic, *, site_name: str = "Book online") -> Branding:
    """The clinic's branding; neutral defaults with no clinic (a multi-clinic home page).

    The colours go into a <style> element, where HTML escaping does not help: a value that
    is not a plain hex colour (written around the model's validators) falls back to the
    default instead.
    """
    if clinic is None:
        return Branding(name=site_name)
    primary = clinic.primary_colour if HEX_COLOUR.fullmatch(clinic.primary_colour or "") else ""
    accent = clinic.accent_colour if HEX_COLOUR.fullmatch(clinic.accent_colour or "") else ""
    return Branding(
        name=clinic.name,
        logo_url=clinic.logo_url,
        primary=primary or DEFAULT_PRIMARY,
        accent=accent or DEFAULT_ACCENT,
        timezone=clinic.timezone,
        phone=clinic.phone,
        email=clinic.email,
        address=clinic.address,
    )


def render_page(request, template: str, *, clinic, status: int = 200, **context):
    """Render a public page dressed in `clinic`'s name, logo and colours (neutral with None):
    the booking pages and the unsubscribe page share the site's look."""
    context.update(brand=branding_for(clinic), clinic=clinic)
    return render(request, template, context, status=status)
