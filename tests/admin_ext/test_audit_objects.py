"""The audit log names each entry's object (admin_ext.admin.audit_objects): a link
while it exists and the viewer may open it, its id and "(deleted)" after; and an
entry's page says in words what its details hold."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs.models import Job
from messaging import services
from messaging.models import Message
from moderation.models import Case
from moderation.services import act_on_case, add_note, hide_message
from moderation.staff_groups import save_group
from tests.factories import MessageFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditentry_changelist")


def change_url(entry: AuditEntry) -> str:
    return reverse("admin:audit_auditentry_change", args=[entry.pk])


@pytest.fixture(params=["moderator", "superuser"])
def staff(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def deletions(moderator, alice, carol):
    """alice, who wrote two messages, deleted by the moderator."""
    MessageFactory.create_batch(2, sender=alice, receiver=carol)
    services.delete_account(alice, actor=moderator, reason="Spam campaign")
    return {"alice": AuditEntry.objects.get()}


# --- naming the object -------------------------------------------------------------------


def message_url(message_id: int) -> str:
    return reverse("admin:messaging_message_change", args=[message_id])


def account_url(user_id: int) -> str:
    return reverse("admin:auth_user_change", args=[user_id])


def case_page_url(case_id: int) -> str:
    return reverse("admin:moderation_case_change", args=[case_id])


def link(url: str, text: str) -> str:
    return f'<a href="{url}" class="text-primary-600 dark:text-primary-500">{text}</a>'


@pytest.fixture
def six_hides(moderator):
    """Six of zeno's messages, reported into one case, each hidden."""
    zeno = UserFactory(username="zeno")
    reports = [reported_message(author=zeno) for _ in range(6)]
    case = reports[0].case
    messages = [Message.objects.get(pk=report.reported_message_id) for report in reports]
    for message in messages:
        hide_message(message, moderator=moderator, reason="Abuse", case=case)
    return {"zeno": zeno, "case": case, "messages": messages}


def test_each_hide_names_its_own_message_with_a_link(staff_client, six_hides):
    response = staff_client.get(CHANGELIST, {"action__exact": "message_hidden"})

    admin = response.context["cl"].model_admin
    named = [str(admin.display_object(entry)) for entry in response.context["cl"].result_list]
    assert len(named) == len(set(named)) == 6
    for message in six_hides["messages"]:
        assertContains(
            response, link(message_url(message.pk), f"Message #{message.pk}") + " (hidden)"
        )


def test_the_target_and_the_case_are_links_while_they_exist(staff_client, six_hides):
    zeno, case = six_hides["zeno"], six_hides["case"]

    response = staff_client.get(CHANGELIST, {"action__exact": "message_hidden"})

    assertContains(response, link(account_url(zeno.pk), "zeno") + f" #{zeno.pk}", count=6)
    assertContains(response, link(case_page_url(case.pk), f"#{case.pk}"), count=6)


def test_gone_objects_are_named_by_id_without_a_link(staff_client, six_hides, moderator):
    zeno, case = six_hides["zeno"], six_hides["case"]
    first = six_hides["messages"][0]
    services.delete_account(zeno, actor=moderator, reason="Spam")
    Case.objects.filter(pk=case.pk).delete()

    response = staff_client.get(CHANGELIST, {"action__exact": "message_hidden"})

    cl = response.context["cl"]
    cells = [
        (cl.model_admin.display_target(entry), cl.model_admin.display_case(entry))
        for entry in cl.result_list
    ]
    assert cells == [(f"zeno #{zeno.pk} (deleted)", f"#{case.pk} (deleted)")] * 6
    assertContains(response, f"Message #{first.pk} (deleted)")
    assertNotContains(response, message_url(first.pk))
    assertNotContains(response, account_url(zeno.pk))
    assertNotContains(response, case_page_url(case.pk))


@pytest.fixture
def entries_of_every_kind(moderator, superuser):
    """One entry naming each kind of object: a message, a case, an account, a
    note, a job (export and retry), a group. Called again, it names new ones."""

    def write():
        report = reported_message(author=UserFactory())
        message = Message.objects.get(pk=report.reported_message_id)
        hide_message(message, moderator=moderator, reason="Abuse", case=report.case)
        act_on_case(report.case, moderator=moderator, actions=["dismiss"], reason="Done")
        add_note(author=moderator, text="seen", user=message.sender)
        job = Job.objects.create(kind=Job.Kind.EXPORT)
        record_audit_entry(
            action=AuditEntry.Action.EXPORT,
            actor=moderator,
            details={"model": "messaging.message", "rows": 3, "job_id": job.pk},
        )
        record_audit_entry(
            action=AuditEntry.Action.JOB_RETRIED, actor=moderator, details={"job_id": job.pk}
        )
        group = Group.objects.create(name=f"Group of {job.pk}")
        save_group(group, actor=superuser, change_message=[])

    return write


def test_naming_the_objects_costs_one_query_per_kind_not_per_entry(
    client, moderator, entries_of_every_kind, django_assert_max_num_queries
):
    client.force_login(moderator)
    entries_of_every_kind()
    client.get(CHANGELIST)  # warm the caches
    with django_assert_max_num_queries(40) as few:
        client.get(CHANGELIST)
    for _ in range(5):
        entries_of_every_kind()

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 6 * 6


def test_a_group_is_a_link_only_for_who_may_open_groups(client, moderator, superuser):
    group = save_group(Group(name="Helpers"), actor=superuser, change_message=[])
    group_url = reverse("admin:auth_group_change", args=[group.pk])

    client.force_login(moderator)
    as_moderator = client.get(CHANGELIST)
    client.force_login(superuser)
    as_superuser = client.get(CHANGELIST)

    assertContains(as_moderator, "Group Helpers")
    assertNotContains(as_moderator, group_url)
    assertContains(as_superuser, link(group_url, "Group Helpers"))


def test_an_export_names_its_rows_and_links_its_job(staff_client, moderator):
    job = Job.objects.create(kind=Job.Kind.EXPORT)
    record_audit_entry(
        action=AuditEntry.Action.EXPORT,
        actor=moderator,
        details={"model": "messaging.message", "rows": 1234, "job_id": job.pk},
    )
    record_audit_entry(
        action=AuditEntry.Action.EXPORT,
        actor=moderator,
        details={"model": "auth.user", "rows": 2, "job_id": None},
    )

    response = staff_client.get(CHANGELIST)

    job_url = reverse("admin:jobs_job_change", args=[job.pk])
    assertContains(response, link(job_url, f"Export of 1,234 messages (job #{job.pk})"))
    assertContains(response, "Export of 2 users")


# --- an entry's page ----------------------------------------------------------------------


def test_an_entrys_page_names_its_objects_with_links(staff_client, six_hides):
    message, zeno, case = six_hides["messages"][0], six_hides["zeno"], six_hides["case"]
    entry = AuditEntry.objects.get(details__message_id=message.pk)

    response = staff_client.get(change_url(entry))

    assertContains(response, link(message_url(message.pk), f"Message #{message.pk}"))
    assertContains(response, link(account_url(zeno.pk), "zeno"))
    assertContains(response, link(case_page_url(case.pk), f"#{case.pk}"))
    assertContains(response, "Message hidden")
    assertContains(response, "Abuse")


def test_an_entrys_page_shows_counts_as_a_table_not_json(client, moderator, deletions):
    client.force_login(moderator)

    response = client.get(change_url(deletions["alice"]))

    content = response.content.decode()
    assert '<table class="auditadmin-counts"' in content
    assertContains(response, '<th scope="row">Messages deleted</th><td>2</td>', html=True)
    assert "messages_deleted" not in content  # no key of the stored JSON
    assert "Stored details" not in content
    assertContains(response, f"Account alice #{deletions['alice'].target_user_id}")


def test_a_superuser_can_unfold_the_stored_json(client, superuser, deletions):
    client.force_login(superuser)

    response = client.get(change_url(deletions["alice"]))

    assertContains(response, "Stored details")
    assertContains(response, "messages_deleted")


def test_a_read_state_entrys_page_links_each_message(client, moderator, alice, bob):
    messages = MessageFactory.create_batch(3, sender=alice, receiver=bob, read=False)
    services.set_read_state(Message.objects.all(), read=True, actor=moderator)
    Message.objects.filter(pk=messages[0].pk).delete()
    entry = AuditEntry.objects.get()
    client.force_login(moderator)

    listed = client.get(CHANGELIST)
    page = client.get(change_url(entry))

    assertContains(listed, "3 messages")
    assertNotContains(listed, message_url(messages[1].pk))  # the list names the count only
    assertContains(page, f"#{messages[0].pk} (deleted)")
    for message in messages[1:]:
        assertContains(page, link(message_url(message.pk), f"#{message.pk}"))


def test_an_entrys_page_costs_a_few_queries(
    client, moderator, six_hides, django_assert_max_num_queries
):
    client.force_login(moderator)
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_HIDDEN).first()

    with django_assert_max_num_queries(20):
        response = client.get(change_url(entry))

    assert response.status_code == 200


def test_a_note_links_to_where_it_is_shown(staff_client, moderator, alice):
    on_user = add_note(author=moderator, text="watch", user=alice)
    report = reported_message(author=alice)
    on_case = add_note(author=moderator, text="seen", case=report.case)

    response = staff_client.get(CHANGELIST, {"action__exact": "note_added"})

    user_notes = f"{account_url(alice.pk)}#moderation-notes"
    case_notes = f"{case_page_url(report.case_id)}#case-notes"
    assertContains(response, link(user_notes, f"Note #{on_user.pk} on alice"))
    assertContains(response, link(case_notes, f"Note #{on_case.pk} on case #{report.case_id}"))
