import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_staff_logging_in_at_the_admin_login_land_on_the_dashboard(client, moderator):
    response = client.post(
        reverse("admin:login"),
        {"username": "moderator", "password": "correct horse battery staple"},
    )

    assert response.status_code == 302
    assert client.get(response.url).url == reverse("admin:index")


def test_people_logging_in_land_on_their_inbox(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct horse battery staple"}
    )

    assert client.get(response.url).url == reverse("messaging:inbox")
