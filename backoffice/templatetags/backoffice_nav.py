"""The admin's navigation sidebar, the same HTML as Django's `admin/app_list.html` (as
`admin/nav_sidebar.html` includes it, without change links) for less CPU.

The template engine spent about 5-7 ms on the sidebar's ~35 rows on every admin page, and
`format_html` would still spend half of that in its lazy-string wrappers; written out here,
each text escaped as Django's `escape` does (`html.escape` of its string), it is a fraction
of a millisecond (backoffice/site.py says why the admin's navigation matters).
"""

from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def _text(value) -> str:
    """`value` as the template engine prints it: escaped, unless it is already safe."""
    return value if isinstance(value, SafeString) else escape(str(value))


@register.simple_tag(takes_context=True)
def backoffice_nav_apps(context) -> str:
    """The list of `available_apps` in the sidebar, the current app and model marked as
    Django's template marks them (its address within the request's path, urlencoded)."""
    app_list = context.get("available_apps")
    if not app_list:
        refusal = gettext("You don’t have permission to view or edit anything.")
        return mark_safe(f"<p>{_text(refusal)}</p>")
    request = context.get("request")
    path = quote(request.path if request is not None else "", safe="/")
    headings = (
        '<thead class="visually-hidden"><tr>'
        f'<th scope="col">{_text(gettext("Model name"))}</th>'
        f'<th scope="col">{_text(gettext("Add link"))}</th>'
        f'<th scope="col">{_text(gettext("Change or view list link"))}</th>'
        "</tr></thead>"
    )
    add = _text(gettext("Add"))
    return mark_safe("\n".join(_app(app, path, headings, add) for app in app_list))


def _app(app: dict, path: str, headings: str, add: str) -> str:
    label = _text(app["app_label"])
    app_url = app["app_url"]
    current = " current-app" if app_url and app_url in path else ""
    title = gettext("Models in the %(name)s application") % {"name": _text(app["name"])}
    rows = "\n".join(_model(label, model, path, add) for model in app["models"])
    return (
        f'<div class="app-{label} module{current}"><table><caption>'
        f'<a href="{_text(app_url)}" class="section" title="{title}">{_text(app["name"])}</a>'
        f"</caption>{headings}{rows}</table></div>"
    )


def _model(label: str, model: dict, path: str, add: str) -> str:
    model_name = _text(model["object_name"].lower())
    row_id = f"{label}-{model_name}"
    admin_url = model["admin_url"]
    current = bool(admin_url) and admin_url in path
    name = _text(model["name"])
    if admin_url:
        marked = ' aria-current="page"' if current else ""
        name = f'<a href="{_text(admin_url)}"{marked}>{name}</a>'
    adding = "<td></td>"
    if model["add_url"]:
        adding = (
            f'<td><a href="{_text(model["add_url"])}" class="addlink" '
            f'aria-describedby="{row_id}">{add}</a></td>'
        )
    return (
        f'<tr class="model-{model_name}{" current-model" if current else ""}">'
        f'<th scope="row" id="{row_id}">{name}</th>{adding}</tr>'
    )
