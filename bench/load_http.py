"""The load test's HTTP client: one connection per request, cookies kept per session,
logging in through the real form as a browser does."""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Reply:
    status: int
    location: str
    body: str
    seconds: float


class Session:
    """A browser's session: its cookies, and plain http.client requests."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        headers = {"Host": "127.0.0.1"}
        with self._lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        with self._lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Reply(response.status, response.headers.get("Location", ""), text, seconds)

    def csrf_token(self) -> str:
        # Django accepts its unmasked secret (the cookie's value) as the form token.
        with self._lock:
            return self.cookies["csrftoken"]

    def log_in(self, login_path: str, username: str, password: str, next_path: str) -> None:
        """Through the real form: GET it for its CSRF token, then POST it."""
        page = self.request("GET", login_path)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or not match:
            raise SystemExit(f"{login_path} answered {page.status} without a login form")
        form = {
            "csrfmiddlewaretoken": match.group(1),
            "username": username,
            "password": password,
            "next": next_path,
        }
        answer = self.request("POST", login_path, form)
        if answer.status != 302:
            raise SystemExit(f"Logging in as {username} at {login_path} got {answer.status}")
