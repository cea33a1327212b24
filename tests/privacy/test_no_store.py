"""Answers that carry health data say `Cache-Control: no-store, private`, so no browser
cache or proxy keeps them; the public pages keep their caching (issue 15, item 10)."""

# ruff: noqa: F811 -- the workspace's `cast` fixture is asked for by name.

import pytest
from django.test import Client as Browser
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories


def as_user(user, *, api=False):
    client = APIClient() if api else Browser()
    if user is not None:
        client.force_login(user)
    return client


def health_answers(cast):
    olivia, visit = cast.olivia, cast.olivia_visit
    record = olivia.injectables.first()
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    return {
        "staff client page": (cast.users["desk"], f"/staff/clients/{olivia.pk}/", False),
        "staff API injectables": (
            cast.users["desk"],
            f"/api/v1/clients/{olivia.pk}/injectables/",
            True,
        ),
        "staff API eligibility": (
            cast.users["desk"],
            f"/api/v1/clients/{olivia.pk}/eligibility/"
            f"?treatment={cast.world.treatment.slug}&date=2027-03-02",
            True,
        ),
        "the client's own space": (cast.users["client"], "/my/", False),
        "the booking's manage page": (
            None,
            reverse("online:manage", args=[visit.reference, visit.manage_token]),
            False,
        ),
        "admin injectable page": (
            root,
            f"/admin/clinical/injectablerecord/{record.pk}/change/",
            False,
        ),
        "admin injectable list": (root, "/admin/clinical/injectablerecord/", False),
        "client export": (cast.users["mia"], f"/staff/clients/{olivia.pk}/export.json", False),
    }


@pytest.mark.parametrize(
    "page",
    [
        "staff client page",
        "staff API injectables",
        "staff API eligibility",
        "the client's own space",
        "the booking's manage page",
        "admin injectable page",
        "admin injectable list",
        "client export",
    ],
)
def test_health_data_is_never_stored_by_a_cache(cast, page):
    user, url, api = health_answers(cast)[page]

    response = as_user(user, api=api).get(url)

    assert response.status_code == 200, response.content[:300]
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


@pytest.mark.parametrize("url", ["/", "/api/v1/treatments/", "/book/manual-facial-massage/"])
def test_public_pages_keep_their_caching(world, url):
    response = Browser().get(url)

    assert response.status_code in (200, 302)
    assert "no-store" not in response.get("Cache-Control", "")
