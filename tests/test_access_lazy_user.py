"""access's checks take Django's lazy request.user (a SimpleLazyObject) as they take the user
itself, and once it has been read they read the user behind it, not each attribute through
the lazy object (access._itself)."""

import pytest
from django.contrib.auth import get_user_model
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

import access
from tests import factories

pytestmark = pytest.mark.django_db


def _lazy(user):
    return SimpleLazyObject(lambda: get_user_model().objects.get(pk=user.pk))


def test_the_checks_answer_for_the_lazy_user_as_for_the_user(world):
    from django.db import connection

    staff = factories.StaffFactory()
    lazy = _lazy(staff)

    with CaptureQueriesContext(connection) as queries:
        first = access.roles_of(lazy)  # read through the lazy object: it is not read yet
        again = access.roles_of(lazy)

    assert first == again == access.roles_of(get_user_model().objects.get(pk=staff.pk))
    assert [role.clinic_id for role in first] == [world.clinic.pk]
    assert access.can(lazy, access.BOOK, world.clinic)
    assert access.is_staff_at(lazy, world.clinic)
    assert not access.is_superuser(lazy)
    # The user read once, its memberships once, kept on the user behind the lazy object.
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert lazy._wrapped._access_roles == first


def test_a_read_lazy_user_is_not_read_attribute_by_attribute_through_it(world, monkeypatch):
    lazy = _lazy(factories.StaffFactory())
    access.roles_of(lazy)  # reads it
    through = []
    proxy = SimpleLazyObject.__getattr__

    def counted(self, name):
        through.append(name)
        return proxy(self, name)

    monkeypatch.setattr(SimpleLazyObject, "__getattr__", counted)

    assert access.can(lazy, access.BOOK, world.clinic)
    assert not access.is_superuser(lazy)
    assert access.is_staff(lazy)
    assert through == []


def test_an_anonymous_lazy_user_may_do_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    lazy = SimpleLazyObject(AnonymousUser)

    assert access.roles_of(lazy) == ()
    assert not access.is_superuser(lazy)
    assert not access.can(lazy, access.BOOK, world.clinic)
