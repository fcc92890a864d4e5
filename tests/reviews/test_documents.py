"""Supporting documents: checked by content, stored privately, downloaded with an audit trail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from reviews.models import Document

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
