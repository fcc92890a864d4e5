"""Supporting documents: checked by content, stored privately, downloaded with an audit trail."""

import gc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from reviews.documents import clean_name
from reviews.models import Document
from reviews.services import application_create_draft, document_add

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def application(applicant, submit):
    return submit(applicant)


@pytest.fixture
def owner(client, applicant):
    client.force_login(applicant)
    return client


def upload(client, application, name, content, content_type="application/pdf"):
    return client.post(
        reverse("reviews:document_upload", args=[application.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def test_it_stores_a_pdf_under_a_random_name_and_lists_it(owner, application, settings, tmp_path):
    settings.DOCUMENTS_ROOT = str(tmp_path)

    response = upload(owner, application, "../../etc/DPIA \u202ereport.pdf", PDF)

    document = Document.objects.get()
    assert "The document was added." in response.text
    assert document.name == "DPIA report.pdf"
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    assert (tmp_path / document.stored_name).read_bytes() == PDF
    assert document.stored_name not in response.text
    assert "DPIA report.pdf" in response.text
    assert AuditEvent.objects.filter(verb="document.uploaded").count() == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("image.png", b"GIF89a" + b"\x00" * 20),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 20),
        ("empty.pdf", b""),
    ],
)
def test_it_refuses_files_that_are_not_pdf_png_or_jpeg(
    owner, application, settings, tmp_path, name, content
):
    settings.DOCUMENTS_ROOT = str(tmp_path)

    response = upload(owner, application, name, content)

    assert not Document.objects.exists()
    assert list(tmp_path.iterdir()) == []
    assert (
        "Only PDF, PNG and JPEG" in response.text or "The submitted file is empty" in response.text
    )


def test_it_refuses_a_file_over_the_limit(owner, application, settings, tmp_path):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    settings.DOCUMENT_MAX_BYTES = 1024

    response = upload(owner, application, "big.png", PNG + b"\x00" * 2048, "image/png")

    assert "the limit is" in response.text
    assert not Document.objects.exists()


def test_it_serves_a_download_as_an_attachment_and_records_it(
    owner, application, settings, tmp_path
):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    upload(owner, application, "plan.pdf", PDF)
    document = Document.objects.get()

    response = owner.get(document.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(verb="document.downloaded").count() == 1


def test_it_lets_reviewers_download_and_nobody_else(
    client, owner, application, reviewer, outsider, settings, tmp_path
):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    upload(owner, application, "plan.pdf", PDF)
    document = Document.objects.get()

    client.force_login(outsider)
    foreign = client.get(document.get_absolute_url())
    client.force_login(reviewer)
    as_reviewer = client.get(
        reverse("reviews:review_document_download", args=[application.pk, document.pk])
    )
    as_customer_url = client.get(document.get_absolute_url())

    assert foreign.status_code == 404
    assert as_reviewer.status_code == 200
    assert as_customer_url.status_code == 404


# Orphaned files: the file is written before the row, and goes when the row's transaction
# rolls back, wherever that happens.


class Boom(Exception):
    pass


def stored_files(root) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def add_document(user, application, content=PDF, name="plan.pdf"):
    return document_add(
        actor=user,
        role="owner",
        application=application,
        upload=SimpleUploadedFile(name, content, content_type="application/pdf"),
        now=timezone.now(),
    )


def test_it_deletes_the_file_when_the_callers_transaction_rolls_back(
    applicant, application, settings, tmp_path
):
    settings.DOCUMENTS_ROOT = str(tmp_path)

    with pytest.raises(Boom), transaction.atomic():
        document = add_document(applicant, application)
        assert stored_files(tmp_path) == [document.stored_name]
        raise Boom

    assert not Document.objects.exists()
    assert stored_files(tmp_path) == []


def test_it_deletes_the_file_when_its_own_transaction_fails(
    applicant, application, settings, tmp_path, monkeypatch
):
    settings.DOCUMENTS_ROOT = str(tmp_path)

    def audit_fails(*args, **kwargs):
        raise Boom

    monkeypatch.setattr("reviews.services.intake._audit", audit_fails)

    with pytest.raises(Boom):
        add_document(applicant, application)

    assert not Document.objects.exists()
    assert stored_files(tmp_path) == []


def test_it_keeps_the_file_of_a_committed_upload(transactional_db, applicant, settings, tmp_path):
    settings.DOCUMENTS_ROOT = str(tmp_path)
    draft = application_create_draft(
        actor=applicant, membership=applicant.memberships.get(), now=timezone.now()
    )

    document = add_document(applicant, draft)
    gc.collect()

    assert Document.objects.get().stored_name == document.stored_name
    assert stored_files(tmp_path) == [document.stored_name]
    assert (tmp_path / document.stored_name).read_bytes() == PDF


# Display names: cleaned, capped, and ending in the extension of the type the content showed.


@pytest.mark.parametrize(
    ("name", "content_type", "shown"),
    [
        ("DPIA report.pdf", "application/pdf", "DPIA report.pdf"),
        ("scan.JPEG", "image/jpeg", "scan.JPEG"),
        ("page.html", "application/pdf", "page.html.pdf"),
        ("photo", "image/png", "photo.png"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 196 + ".pdf"),
        ("x" * 300, "image/jpeg", "x" * 196 + ".jpg"),
        ("\u202e\x00.", "application/pdf", "document.pdf"),
    ],
)
def test_it_shows_a_clean_name_with_the_real_extension(name, content_type, shown):
    assert clean_name(name, content_type) == shown
