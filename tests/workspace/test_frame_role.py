"""The workspace's frame names the staff member's role at the clinic looked at, from the
memberships read with the user (workspace/context.py: no query of its own)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = {"desk": "Front desk", "pat": "Practitioner", "mia": "Clinic manager"}


@pytest.mark.parametrize("persona", list(ROLES))
def test_the_frame_names_the_role_without_a_query_of_its_own(cast, persona):
    browser = cast.browser(persona)

    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/staff/")

    assert response.status_code == 200
    label = dict(Membership.Role.choices)[
        Membership.objects.get(
            user=cast.users[persona], clinic=response.context["workspace"]["clinic"]
        ).role
    ]
    assert response.context["workspace"]["role"] == label == ROLES[persona]
    assert f" · {label}</span>" in response.content.decode()
    assert not [q for q in queries if 'FROM "clinic_membership"' in q["sql"]], queries


def test_a_superuser_is_named_so_or_by_their_membership(cast, world):
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    outside = factories.UserFactory(username="outside", is_staff=False, is_superuser=True)
    Membership.objects.create(user=outside, clinic=world.clinic, role=Membership.Role.MANAGER)
    for user, label in ((root, "Superuser"), (outside, "Clinic manager")):
        browser = Client()
        browser.force_login(user)
        response = browser.get("/staff/")
        assert response.status_code == 200, (user, response.status_code)
        assert response.context["workspace"]["role"] == label
