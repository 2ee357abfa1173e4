"""Staff's second factor for the admin (admin_ext.second_factor), with STAFF_2FA on."""

import re
import time
from base64 import b32encode
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from admin_ext.second_factor import services
from audit.models import AuditEntry
from messaging.services import delete_account
from tests.factories import PASSWORD, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
VERIFY = reverse("admin:second_factor")
SETUP = reverse("admin:second_factor_setup")
RECOVERY_CODES = reverse("admin:second_factor_recovery_codes")
SECOND_FACTOR_PAGES = ("second_factor", "second_factor_setup", "second_factor_recovery_codes")


@pytest.fixture(autouse=True)
def staff_2fa(settings):
    settings.STAFF_2FA = True


def code_for(device: TOTPDevice) -> str:
    """The code an app shows (django_otp.oath), for the step ``device`` accepts
    next: django-otp refuses a code used before."""
    device.refresh_from_db()
    step = (int(time.time()) - device.t0) // device.step + device.drift
    return f"{hotp(device.bin_key, max(step, device.last_t + 1), digits=device.digits):06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = services.start_enrolment(user=user)
    enrolment = services.confirm_enrolment(user=user, token=code_for(device))
    return enrolment.device, enrolment.recovery_codes


def signed_in(user) -> Client:
    """A session past the password, not the second factor."""
    client = Client()
    client.force_login(user)
    return client


def verified(user, device: TOTPDevice) -> Client:
    client = signed_in(user)
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302
    return client


def with_next(page: str, next_url: str = INDEX) -> str:
    return f"{page}?next={next_url.replace('/', '%2F')}"


# --- setting it up at the first sign-in --------------------------------------------------


def test_a_staff_password_login_without_an_authenticator_is_sent_to_its_setup(moderator):
    response = Client().post(
        f"{reverse('admin:login')}?next={INDEX}",
        {"username": moderator.username, "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1] == (with_next(SETUP), 302)
    assert response.status_code == 200


def test_the_setup_shows_a_qr_code_and_the_secret_as_text(moderator):
    response = signed_in(moderator).get(SETUP)

    device = TOTPDevice.objects.get(user=moderator, confirmed=False)
    secret = b32encode(device.bin_key).decode()
    assert re.search(r'<svg [^>]*role="img"', response.text)
    assert re.search(rf'id="totp-secret"[^>]*>{secret}<', response.text)
    assert 'name="token"' in response.text


def test_reloading_the_setup_keeps_the_same_secret(moderator):
    client = signed_in(moderator)
    client.get(SETUP)

    client.get(SETUP)

    assert TOTPDevice.objects.filter(user=moderator).count() == 1


def test_the_setup_refuses_a_wrong_code_with_a_message(moderator):
    client = signed_in(moderator)
    client.get(SETUP)

    response = client.post(SETUP, {"token": "000000"})

    assert response.status_code == 200
    assert "That code is not valid" in response.text
    assert not TOTPDevice.objects.filter(user=moderator, confirmed=True).exists()
    assert client.get(INDEX).url == with_next(SETUP)


def test_the_right_code_confirms_the_setup_and_shows_ten_recovery_codes_once(moderator):
    client = signed_in(moderator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=moderator)

    response = client.post(with_next(SETUP), {"token": code_for(device)}, follow=True)

    codes = sorted(
        StaticToken.objects.filter(device__user=moderator).values_list("token", flat=True)
    )
    listed = re.search(r'id="recovery-codes"[^>]*>(.*?)</ul>', response.text, re.S).group(1)
    assert len(codes) == 10
    assert sorted(re.findall(r"<li>(\w+)</li>", listed)) == codes
    assert re.search(rf'<a href="{INDEX}"[^>]*>\s*Continue', response.text)
    assert client.get(RECOVERY_CODES).url == INDEX  # shown once


def test_the_setup_is_audited_without_secrets(moderator):
    enrolled(moderator)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.SECOND_FACTOR_ENROLLED)
    assert (entry.actor, entry.target_user_id) == (moderator, moderator.pk)
    assert entry.details == {"recovery_codes": 10}


def test_after_the_setup_the_admin_opens(moderator):
    client = signed_in(moderator)
    client.get(SETUP)
    client.post(SETUP, {"token": code_for(TOTPDevice.objects.get(user=moderator))})

    assert client.get(INDEX).status_code == 200


def test_with_an_authenticator_the_setup_is_not_offered_again(moderator):
    enrolled(moderator)

    response = signed_in(moderator).get(SETUP)

    assert response.url == with_next(VERIFY)
    assert TOTPDevice.objects.filter(user=moderator).count() == 1


# --- signing in -------------------------------------------------------------------------


def test_a_new_session_needs_the_code_again(moderator):
    device, _codes = enrolled(moderator)
    client = signed_in(moderator)

    assert client.get(INDEX).url == with_next(VERIFY)
    assert client.post(with_next(VERIFY), {"token": code_for(device)}).url == INDEX
    assert client.get(INDEX).status_code == 200


def test_after_the_code_the_person_lands_on_next(moderator):
    device, _codes = enrolled(moderator)
    client = signed_in(moderator)
    users = reverse("admin:auth_user_changelist")

    response = client.post(with_next(VERIFY, users), {"token": code_for(device)})

    assert response.url == users


def test_the_verify_page_refuses_a_wrong_code_with_a_message(moderator):
    enrolled(moderator)
    client = signed_in(moderator)

    response = client.post(VERIFY, {"token": "123456"})

    assert "That code is not valid" in response.text
    assert client.get(INDEX).status_code == 302


def test_text_that_cannot_be_a_code_is_refused_without_counting_a_failure(moderator):
    device, _codes = enrolled(moderator)

    response = signed_in(moderator).post(VERIFY, {"token": "<script>"})

    assert "Enter the 6-digit code" in response.text
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_recovery_code_works_once(moderator):
    _device, codes = enrolled(moderator)
    first = signed_in(moderator)

    assert first.post(VERIFY, {"token": codes[0].upper()}).url == INDEX
    assert first.get(INDEX).status_code == 200
    second = signed_in(moderator)
    response = second.post(VERIFY, {"token": codes[0]})
    assert "That code is not valid" in response.text
    assert StaticToken.objects.filter(device__user=moderator).count() == 9


def test_after_a_wrong_code_even_the_right_one_waits(settings, moderator):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a slow test run does not outwait it
    device, _codes = enrolled(moderator)
    client = signed_in(moderator)
    client.post(VERIFY, {"token": "000000"})

    response = client.post(VERIFY, {"token": code_for(device)})

    assert response.status_code == 429
    assert "Too many wrong codes. Wait" in response.text
    assert client.get(INDEX).status_code == 302


def test_after_the_wait_the_right_code_works(moderator):
    device, _codes = enrolled(moderator)
    client = signed_in(moderator)
    client.post(VERIFY, {"token": "000000"})
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=2)
    )

    assert client.post(VERIFY, {"token": code_for(device)}).url == INDEX


def every_admin_url() -> list[str]:
    # Any argument will do: the redirect comes before the view.
    _prefix, admin_urls = get_resolver().namespace_dict["admin"]

    def patterns(entries):
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from patterns(entry.url_patterns)
            elif entry.name and entry.name not in {"logout", *SECOND_FACTOR_PAGES}:
                yield entry

    def url(pattern) -> str:
        regex = pattern.pattern.regex
        if not regex.groupindex:  # simple_history's version page: positional
            return reverse(f"admin:{pattern.name}", args=["1"] * regex.groups)
        arguments = {name: "auth" if name == "app_label" else "1" for name in regex.groupindex}
        return reverse(f"admin:{pattern.name}", kwargs=arguments)

    urls = [url(pattern) for pattern in patterns(admin_urls.url_patterns)]
    return [*urls, "/admin/auth/user/1/", "/admin/no-such-page/", "/admin/search/?s=a"]


def test_without_the_code_every_admin_url_leads_to_it(superuser):
    enrolled(superuser)
    client = signed_in(superuser)

    answers = {url: client.get(url) for url in every_admin_url()}

    assert len(answers) > 60
    assert {
        url: response.status_code
        for url, response in answers.items()
        if response.status_code != 302 or not response.url.startswith(VERIFY)
    } == {}


def test_without_the_code_staff_can_still_log_out(moderator):
    client = signed_in(moderator)

    client.post(reverse("admin:logout"))

    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", SECOND_FACTOR_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_from_the_second_factor_pages(client, page):
    response = client.get(reverse(f"admin:{page}"))

    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", SECOND_FACTOR_PAGES)
def test_non_staff_accounts_are_sent_to_the_login_from_the_second_factor_pages(alice, page):
    response = signed_in(alice).get(reverse(f"admin:{page}"))

    assert response.url.startswith(reverse("admin:login"))
    assert not TOTPDevice.objects.exists()


def test_the_admin_login_page_still_shows_its_form(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert 'id="login-form"' in response.text


def test_the_admin_login_page_sends_a_signed_in_staff_session_to_the_code(moderator):
    enrolled(moderator)

    response = signed_in(moderator).get(f"{reverse('admin:login')}?next=/admin/jobs/job/")

    assert response.url == with_next(VERIFY, "/admin/jobs/job/")


def test_wrong_passwords_are_still_rate_limited_by_axes(settings, client, moderator):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), {"username": moderator.username, "password": "no"})

    response = client.post(
        reverse("admin:login"), {"username": moderator.username, "password": PASSWORD}
    )

    assert response.status_code == 429


def test_with_staff_2fa_off_staff_reach_the_admin_without_a_code(settings, moderator):
    settings.STAFF_2FA = False
    client = signed_in(moderator)

    assert client.get(INDEX).status_code == 200
    assert client.get(SETUP).url == INDEX
    assert not TOTPDevice.objects.exists()


# --- reset, and deletion ------------------------------------------------------------------


def reset_url(user) -> str:
    return reverse("admin:auth_user_reset_second_factor", args=[user.pk])


def test_a_superuser_resets_a_moderators_second_factor(superuser, moderator):
    enrolled(superuser)
    device, _codes = enrolled(moderator)
    their_session = verified(moderator, device)
    root = verified(superuser, TOTPDevice.objects.get(user=superuser))
    assert root.get(reset_url(moderator)).status_code == 200

    response = root.post(reset_url(moderator))

    assert response.url == reverse("admin:auth_user_change", args=[moderator.pk])
    assert not TOTPDevice.objects.filter(user=moderator).exists()
    assert not StaticDevice.objects.filter(user=moderator).exists()
    assert their_session.get(INDEX).url == with_next(SETUP)


def test_a_reset_is_audited_without_secrets(superuser, moderator):
    enrolled(moderator)

    services.reset_second_factor(actor=superuser, user=moderator)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.SECOND_FACTOR_RESET)
    assert (entry.actor, entry.target_user_id) == (superuser, moderator.pk)
    assert entry.details == {"authenticators_removed": 1, "recovery_codes_removed": 10}


def test_a_moderator_cannot_reset_anyones_second_factor(moderator):
    device, _codes = enrolled(moderator)
    other = ModeratorFactory(username="other")
    enrolled(other)
    client = verified(moderator, device)

    assert client.get(reset_url(other)).status_code == 403
    assert client.post(reset_url(other)).status_code == 403
    assert TOTPDevice.objects.filter(user=other).exists()


def test_a_reset_needs_the_csrf_token(settings, superuser, moderator):
    settings.STAFF_2FA = False  # the superuser's own code aside
    enrolled(moderator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)

    response = client.post(reset_url(moderator))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=moderator).exists()


def test_resetting_an_account_without_a_second_factor_says_so(settings, superuser, alice):
    settings.STAFF_2FA = False

    response = signed_in(superuser).post(reset_url(alice), follow=True)

    assert "alice has no second factor to reset." in response.text
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SECOND_FACTOR_RESET).exists()


def test_deleting_an_account_deletes_its_second_factor(moderator):
    staff = UserFactory(username="former-staff", is_staff=True)
    enrolled(staff)

    delete_account(staff, actor=moderator, reason="left")

    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    assert not StaticToken.objects.exists()
