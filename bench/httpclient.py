"""A plain HTTP/1.1 client on loopback (standard library), timing each request."""

import http.client
import json
import time
from urllib.parse import urlsplit

TIMEOUT = 30  # seconds; a request that takes longer counts as a failure, never hangs the run


class Client:
    """One connection's worth of requests to the bench's server (gunicorn's sync workers
    close the connection after each answer; http.client opens the next one itself)."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)

    def request(self, method: str, path: str, body: dict | None = None):
        """(status, decoded JSON or None, milliseconds); status 0 when the request failed."""
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, None, (time.perf_counter() - started) * 1000
        elapsed = (time.perf_counter() - started) * 1000
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return status, data, elapsed

    def close(self) -> None:
        self.connection.close()


def getter(client: Client, paths: list[str]):
    """A call that GETs all of `paths` in turn and raises unless each answers 200."""

    def get_all() -> None:
        for path in paths:
            status, _, _ = client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")

    return get_all
