"""Small helpers the API tests share."""

from rest_framework.test import APIClient


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
