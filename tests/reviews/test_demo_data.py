from django.core.management import call_command

from accounts.models import Organization, User
from reviews.models import Application, Assessment


def test_it_loads_the_demo_once_and_its_logins_work(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (User.objects.count(), Organization.objects.count(), Application.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert (
        User.objects.count(),
        Organization.objects.count(),
        Application.objects.count(),
    ) == counts
    assert counts == (5, 2, 3)
    assert set(Assessment.objects.values_list("outcome", flat=True)) == {"approvable", "prohibited"}
    for email in (
        "applicant@acme.example",
        "reviewer@gatehouse.example",
        "policy@gatehouse.example",
    ):
        client.logout()
        response = client.post(
            "/accounts/login/", {"username": email, "password": "gatehouse-demo-2026"}
        )
        assert response.status_code == 302 and "_auth_user_id" in client.session, email
    # Policy staff sign in with a second factor: the demo's known authenticator key.
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__email="policy@gatehouse.example")
    first = client.get("/admin/reviews/policyversion/")
    assert first.url.startswith("/accounts/two-factor/verify/")
    client.post("/accounts/two-factor/verify/", {"token": f"{TOTP(device.bin_key).token():06d}"})
    assert client.get("/admin/reviews/policyversion/").status_code == 200
