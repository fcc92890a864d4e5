"""Endpoints that send mail or store files refuse floods with 429."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from reviews.models import Document


def test_it_limits_signups_per_client(client, db):
    for index in range(10):
        client.post(
            reverse("accounts:signup"),
            {"full_name": "x", "email": f"u{index}@x.example", "password": "correct-horse-battery"},
        )
        client.logout()

    eleventh = client.post(
        reverse("accounts:signup"),
        {"full_name": "x", "email": "u11@x.example", "password": "correct-horse-battery"},
    )

    assert eleventh.status_code == 429
    assert int(eleventh["Retry-After"]) > 0
    assert "Too many attempts" in eleventh.text
    assert not User.objects.filter(email="u11@x.example").exists()


def test_it_limits_uploads_per_user(client, applicant, submit, settings, tmp_path):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    application = submit(applicant)
    client.force_login(applicant)
    url = reverse("reviews:document_upload", args=[application.pk])

    statuses = [
        client.post(url, {"file": SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4 x")}).status_code
        for i in range(31)
    ]

    assert statuses[:30] == [302] * 30 and statuses[30] == 429
    assert Document.objects.count() == 30


def test_it_limits_password_reset_requests(client, db):
    statuses = [
        client.post(reverse("accounts:password_reset"), {"email": "a@b.example"}).status_code
        for _ in range(11)
    ]

    assert statuses[-1] == 429 and set(statuses[:10]) == {302}
