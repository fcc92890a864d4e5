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
