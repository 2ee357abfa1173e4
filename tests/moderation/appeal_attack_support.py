"""What the attacks on the person's side of appeals share: logging in, the
suspended page's token, URLs (test_appeal_attacks.py, test_suspended_appeal_attacks.py)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from moderation.models import Sanction
from tests.factories import PASSWORD

LOGIN = reverse("login")
DECISIONS = reverse("moderation:decisions")
SECRET_WORDS = "Zqxwv my private appeal words"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_from(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "the page holds no token"
    return match.group(1)


def log_in_suspended(client, username: str = "alice", password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def suspended_url(name: str, sanction: Sanction) -> str:
    return reverse(f"moderation:suspended_{name}", args=[sanction.pk])


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
