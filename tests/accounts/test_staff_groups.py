from django.contrib.auth.models import Group

from accounts.models import StaffGroup


def test_it_creates_the_staff_groups_with_exactly_policy_staffs_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(StaffGroup.ALL)
    policy_staff = Group.objects.get(name=StaffGroup.POLICY_STAFF)
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in policy_staff.permissions.select_related("content_type")
    }

    assert granted == {
        "reviews.add_policy",
        "reviews.change_policy",
        "reviews.view_policy",
        "reviews.add_policyversion",
        "reviews.change_policyversion",
        "reviews.delete_policyversion",
        "reviews.view_policyversion",
        "reviews.publish_policyversion",
        "reviews.add_rule",
        "reviews.change_rule",
        "reviews.delete_rule",
        "reviews.view_rule",
        "reviews.add_capability",
        "reviews.change_capability",
        "reviews.view_capability",
        "reviews.add_reasoncode",
        "reviews.change_reasoncode",
        "reviews.view_reasoncode",
        "reviews.view_policysimulation",
        "reviews.view_reassessment",
        "reviews.view_application",
        "reviews.view_assessment",
        "audit.view_auditevent",
    }
    assert not Group.objects.get(name=StaffGroup.REVIEWER).permissions.exists()


def test_it_records_a_staff_role_granted_in_the_admin(client, db):
    from django.urls import reverse

    from accounts.models import User
    from audit.models import AuditEvent

    admin = User.objects.create_superuser(email="root@gatehouse.example", password="x" * 16)
    target = User.objects.create_user(email="new.reviewer@gatehouse.example", full_name="New")
    client.force_login(admin)
    reviewers = Group.objects.get(name=StaffGroup.REVIEWER)

    response = client.post(
        reverse("admin:accounts_user_change", args=[target.pk]),
        {
            "email": target.email,
            "full_name": "New",
            "is_active": "on",
            "groups": [reviewers.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-11-24",
            "date_joined_1": "08:00:00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(verb="user.changed_by_admin")
    assert event.actor == admin
    assert event.payload["groups"] == {"before": [], "after": ["Reviewers"]}
