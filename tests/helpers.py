"""Small helpers the tests share."""

from rest_framework.test import APIClient

from clinic.identity import client_login
from sending.delivery import messages_send


def logged_in(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def as_owner(api: APIClient, body: dict) -> APIClient:
    """The caller to book `body` with: `api` itself if it is signed in; for an anonymous
    caller, the owner of the body's client address, signed in (as after a code). An
    anonymous booking is only held until the address confirms (diary/holds.py), and the
    tests that use this are about bookings made; tests/online/test_holds.py covers holds."""
    handler_user = getattr(api.handler, "_force_user", None)
    if handler_user is not None or api._credentials or api.cookies or "client" not in body:
        return api
    return logged_in(client_login(body["client"]["email"]))


def signed_in(browser, email: str):
    """`browser` (a django.test.Client) signed in as the owner of `email`, as after a code."""
    browser.force_login(
        client_login(email), backend="allauth.account.auth_backends.AuthenticationBackend"
    )
    return browser


def booking_form(start, **fields) -> dict:
    """The booking pages' details form as a client fills it in: Dana, no injectables,
    unless `fields` say otherwise."""
    data = {
        "start": start.isoformat(),
        "name": "Dana Client",
        "email": "dana@example.com",
        "phone": "",
        "had_injectable": "no",
        "injectable-TOTAL_FORMS": "2",
        "injectable-INITIAL_FORMS": "0",
        "injectable-MIN_NUM_FORMS": "0",
        "injectable-MAX_NUM_FORMS": "2",
    }
    data.update(fields)
    return data


def book_on_pages(browser, slug: str, form: dict, *, acknowledge: bool = False):
    """The booking pages as a browser walks them: the details form, the review (a GET the
    details redirect to), then Confirm. Returns the last response: the details page again
    when the form has errors, else Confirm's redirect."""
    details = browser.post(f"/book/{slug}/details/", form)
    if details.status_code != 302:
        return details
    confirm = {"start": form["start"]}
    if form.get("practitioner"):
        confirm["practitioner"] = form["practitioner"]
    if acknowledge:
        confirm |= {"step": "warnings", "acknowledge": "on"}
    return browser.post(f"/book/{slug}/confirm/", confirm)


def assert_error(response, status: int, code: str) -> dict:
    """A response in the API's error shape with this status and code; returns its body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def send_one(message_id: int) -> str:
    """Send one outbox message as a send task would (a batch of one); the status it ends in."""
    return messages_send(message_ids=[message_id])[message_id]
