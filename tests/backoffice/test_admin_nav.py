"""The admin's navigation for less CPU, showing the same (issue 16, bench/README.md "The
admin's navigation"): backoffice/site.py lists the same apps and models as Django's
`AdminSite.get_app_list` with its addresses reversed once, and
backoffice/templatetags/backoffice_nav.py makes the sidebar Django's templates make."""

from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib import admin
from django.template import engines
from django.test import Client as Browser
from django.test import RequestFactory
from django.test.html import parse_html
from django.urls import reverse

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from backoffice import site as backoffice_site
from backoffice.site import Site
from clinic.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

DJANGO_NAV = Path(django.contrib.admin.__file__).parent / "templates/admin/nav_sidebar.html"


@pytest.fixture
def users(world):
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    people = {"superuser": root}
    for role in (MANAGER, FRONT_DESK, PRACTITIONER):
        user = factories.UserFactory(username=f"staff-{role}", is_staff=True)
        Membership.objects.create(user=user, clinic=world.clinic, role=role)
        people[role] = user
    people["no role"] = factories.UserFactory(username="nobody", is_staff=True)
    return people


def request_for(user, path: str):
    request = RequestFactory().get(path)
    request.user = user
    return request


def plain(app_list: list[dict]) -> list[dict]:
    """The app list with its lazy names as strings, to compare."""
    return [
        {
            **app,
            "name": str(app["name"]),
            "models": [{**model, "name": str(model["name"])} for model in app["models"]],
        }
        for app in app_list
    ]


PATHS = [
    "/admin/",
    "/admin/clinic/",
    "/admin/clinic/term/",
    "/admin/bookings/appointment/12/change/",
    "/admin/a path with spaces & <marks>/",
]


def test_the_site_is_the_project_s():
    assert isinstance(admin.site, Site)
    assert len(admin.site._registry) > 20


@pytest.mark.parametrize("who", ["superuser", MANAGER, FRONT_DESK, PRACTITIONER, "no role"])
def test_the_app_list_is_django_s(users, who):
    request = request_for(users[who], "/admin/")

    ours = admin.site.get_app_list(request)
    django_s = admin.AdminSite.get_app_list(admin.site, request)

    assert plain(ours) == plain(django_s)
    for label in {app["app_label"] for app in django_s}:
        assert plain(admin.site.get_app_list(request, label)) == plain(
            admin.AdminSite.get_app_list(admin.site, request, label)
        )
    if who == "superuser":
        assert len(ours) > 5
    if who == "no role":
        assert ours == []


def test_the_addresses_are_reversed_once(users, monkeypatch):
    site = Site(name="admin")
    site._registry = admin.site._registry
    request = request_for(users["superuser"], "/admin/")
    reversed_ = []
    real_reverse = backoffice_site.reverse

    def counting(*args, **kwargs):
        reversed_.append(args[0])
        return real_reverse(*args, **kwargs)

    monkeypatch.setattr(backoffice_site, "reverse", counting)

    first = site.get_app_list(request)
    assert len(reversed_) > len(first)  # every model's addresses, and each app's
    reversed_.clear()
    again = site.get_app_list(request_for(users[MANAGER], "/admin/clinic/term/"))

    assert reversed_ == []  # Django reverses two addresses per model on every page
    assert again and plain(again) == plain(
        admin.AdminSite.get_app_list(admin.site, request_for(users[MANAGER], "/admin/"))
    )


def render_both(app_list, path: str) -> tuple:
    engine = engines["django"]
    context = {"available_apps": app_list, "request": RequestFactory().get(path)}
    ours = engine.get_template("admin/nav_sidebar.html").render(context)
    django_s = engine.from_string(DJANGO_NAV.read_text()).render(context)
    return ours, django_s


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("who", ["superuser", MANAGER, FRONT_DESK, "no role"])
def test_the_sidebar_is_django_s_html(users, who, path):
    app_list = admin.site.get_app_list(request_for(users[who], path))

    ours, django_s = render_both(app_list, path)

    assert "backoffice_nav" not in ours and "nav-sidebar" in ours
    assert parse_html(ours) == parse_html(django_s)
    if path == "/admin/clinic/term/" and who == "superuser":
        assert 'aria-current="page"' in ours and "current-app" in ours


def test_the_sidebar_escapes_as_django_does():
    app_list = [
        {
            "name": 'Apps <b>&</b> "quotes"',
            "app_label": "x<y",
            "app_url": "/admin/x/?a=1&b=<2>",
            "has_module_perms": True,
            "models": [
                {
                    "name": "Things <i>'n'</i> & stuff",
                    "object_name": "Thing<Odd>",
                    "perms": {"add": True, "change": False, "delete": False, "view": True},
                    "admin_url": "/admin/x/thing/?q=\"'<>",
                    "add_url": "/admin/x/thing/add/?a&b",
                    "view_only": True,
                },
                {
                    "name": "Unlinked",
                    "object_name": "Unlinked",
                    "perms": {"add": False, "change": False, "delete": False, "view": False},
                    "admin_url": None,
                    "add_url": None,
                },
            ],
        }
    ]

    ours, django_s = render_both(app_list, "/admin/x/thing/?q=\"'<>")

    assert "<b>" not in ours and "&lt;b&gt;" in ours
    assert parse_html(ours) == parse_html(django_s)


def test_an_admin_page_shows_the_sidebar(users):
    browser = Browser()
    browser.force_login(users["superuser"])

    page = browser.get(reverse("admin:clinic_term_changelist")).content.decode()

    assert 'id="nav-sidebar"' in page
    assert f'href="{reverse("admin:clinic_term_changelist")}" aria-current="page"' in page
    assert f'href="{reverse("admin:clinic_term_add")}" class="addlink"' in page
