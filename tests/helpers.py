"""Small helpers the tests share."""

from rest_framework.test import APIClient

from sending.delivery import messages_send


def logged_in(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


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
