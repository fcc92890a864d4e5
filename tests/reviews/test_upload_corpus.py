"""T27: a hostile upload corpus, sent through the upload form as the applicant.

Every file is built here, in code. The policy (reviews/documents.py): PDF, PNG and JPEG only,
by content; images whole and at most 50 megapixels; no markup where browsers sniff or in
image metadata, nothing after a PNG, no archive riding at the end of a file; PDFs without
scripts, launch actions, attachments, rich media, XFA or form submission (also hidden behind
name escapes or in compressed object streams), and not encrypted. A truncated PDF is accepted:
readers repair them and the rest of the checks still apply.

A refused file leaves nothing behind (no row, no file, no `document.uploaded` event) and the
page says why. An accepted one is stored under a random name, shown under a cleaned name
that ends in its real type's extension, and served as an attachment with nosniff and a
sandboxing CSP.
"""

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

from audit.models import AuditEvent
from reviews.models import Document

UPLOAD_HANDLERS = [
    "reviews.documents.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]


# Builders: real structures, so a refusal is for the reason the case names.


def png_chunk(kind: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png(width=1, height=1, *, before_data=(), after=b"", cut=0, bad_crc=False) -> bytes:
    """Return an RGBA PNG (its pixels for 1x1; only the header claims other sizes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff\xff")
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + b"".join(before_data)
        + png_chunk(b"IDAT", pixels, crc=0 if bad_crc else None)
        + png_chunk(b"IEND", b"")
        + after
    )
    return data[:-cut] if cut else data


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


JFIF = jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")


def jpeg(width=8, height=8, *, app=(), after=b"", cut=0, scan=True) -> bytes:
    """Return a baseline greyscale JPEG: one 8x8 mid-grey block (only the frame header
    claims other sizes). Huffman tables of one code each: DC difference 0, end of block."""
    parts = [
        b"\xff\xd8",
        JFIF,
        *app,
        jpeg_segment(0xDB, b"\x00" + b"\x01" * 64),
        jpeg_segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
        jpeg_segment(0xC4, b"\x00\x01" + b"\x00" * 15 + b"\x00"),
        jpeg_segment(0xC4, b"\x10\x01" + b"\x00" * 15 + b"\x00"),
    ]
    if scan:
        parts += [jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"), b"\x3f"]
    data = b"".join(parts) + b"\xff\xd9" + after
    return data[:-cut] if cut else data


def pdf(*objects: bytes, trailer: bytes = b"", eof: bool = True) -> bytes:
    """Return a PDF of the objects (numbered from 1), with its cross-reference table."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    return out + (b"startxref\n%d\n%%%%EOF\n" % xref if eof else b"")


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


CONTENT = stream(b"", b"BT /F1 24 Tf 72 720 Td (Data protection impact assessment) Tj ET")
PAGES = (
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
    CONTENT,
)


def pdf_with_catalog(catalog_extra: bytes = b"", *more: bytes, **kwargs) -> bytes:
    return pdf(b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra, *PAGES, *more, **kwargs)


def object_stream(text: bytes, *, compressed=True, filters=b"/FlateDecode") -> bytes:
    """Return an object stream holding object 9 (`text`), Flate-compressed unless told."""
    inner = b"9 0 " + text
    data = zlib.compress(inner) if compressed else inner
    dictionary = b"/Type /ObjStm /N 1 /First 4" + (b" /Filter " + filters if filters else b"")
    return stream(dictionary, data)


def zip_bomb() -> bytes:
    """Return a ZIP whose 64 MB of zeros compress to about 64 KB."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w") as member,
    ):
        for _ in range(64):
            member.write(bytes(1024 * 1024))
    return out.getvalue()


def zip_of(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


JS = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
SCRIPT = b"<html><body><script>alert(document.domain)</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script></svg>"
)
PADDING = png_chunk(b"prVt", bytes(2048))  # a private ancillary chunk: pushes past the first KB
APP_PADDING = jpeg_segment(0xE1, b"Exif\x00\x00" + bytes(2048))
MOTION_PHOTO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(4096)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00" + bytes(52) + b"\x80\x00\x00\x00" + b"This program cannot be run"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)


# The corpus.

NOT_ACCEPTED = "Only PDF, PNG and JPEG files are accepted"
DAMAGED = "incomplete or damaged"
MARKUP = "web page or script code"
ACTIVE = "contains active content"
ARCHIVE = "archive hidden inside it"


@dataclass(frozen=True)
class Hostile:
    name: str
    content: bytes
    says: str  # the message the page must show
    claimed_type: str = "application/octet-stream"


HOSTILE = {
    # Wrong types, whatever the name or the browser claims.
    "html-named-pdf": Hostile("report.pdf", SCRIPT, NOT_ACCEPTED, "application/pdf"),
    "html-claimed-png": Hostile("photo.png", SCRIPT, NOT_ACCEPTED, "image/png"),
    "svg-with-script": Hostile("diagram.svg", SVG, NOT_ACCEPTED, "image/svg+xml"),
    "svg-named-png": Hostile("diagram.png", SVG, NOT_ACCEPTED, "image/png"),
    "svg-with-xml-prolog": Hostile(
        "chart.jpg", b'<?xml version="1.0"?>\n' + SVG, NOT_ACCEPTED, "image/jpeg"
    ),
    "windows-exe": Hostile("invoice.pdf.exe", EXE, NOT_ACCEPTED, "application/x-msdownload"),
    "exe-named-pdf": Hostile("setup.pdf", EXE, NOT_ACCEPTED, "application/pdf"),
    "linux-elf": Hostile("scan.jpg", ELF, NOT_ACCEPTED, "image/jpeg"),
    "zip-bomb-as-docx": Hostile(
        "policy.docx",
        zip_bomb(),
        NOT_ACCEPTED,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "zip-named-pdf": Hostile("dpia.pdf", zip_of("dpia.pdf", b"%PDF-1.7"), NOT_ACCEPTED),
    "gif": Hostile("photo.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", NOT_ACCEPTED, "image/png"),
    "webp": Hostile("photo.jpg", b"RIFF\x1a\x00\x00\x00WEBPVP8 " + bytes(18), NOT_ACCEPTED),
    "tiff": Hostile("scan.jpg", b"II*\x00\x08\x00\x00\x00" + bytes(16), NOT_ACCEPTED),
    "postscript": Hostile("print.pdf", b"%!PS-Adobe-3.0\n(x) print\n", NOT_ACCEPTED),
    "pdf-behind-a-bom": Hostile("dpia.pdf", b"\xef\xbb\xbf" + pdf_with_catalog(), NOT_ACCEPTED),
    # Polyglots: a real header, something else riding along.
    "pdf-html-polyglot": Hostile("dpia.pdf", b"%PDF-1.7\n" + SCRIPT + b"\n%%EOF", MARKUP),
    "png-html-polyglot": Hostile("photo.png", png(after=SCRIPT), MARKUP, "image/png"),
    "png-script-in-text-chunk": Hostile(
        "photo.png",
        png(before_data=[PADDING, png_chunk(b"tEXt", b"Comment\x00" + SCRIPT)]),
        "in its metadata",
        "image/png",
    ),
    "png-with-data-after-the-end": Hostile(
        "photo.png", png(after=bytes(2048) + b"payload"), "other data after the image"
    ),
    "jpeg-script-in-comment": Hostile(
        "photo.jpg", jpeg(app=[APP_PADDING, jpeg_segment(0xFE, SCRIPT)]), "in its metadata"
    ),
    "jpeg-html-after-the-end": Hostile(
        "photo.jpg", jpeg(after=bytes(2048) + SCRIPT), "code after the image"
    ),
    "jpeg-zip-polyglot": Hostile("photo.jpg", jpeg(after=zip_of("a.class", bytes(64))), ARCHIVE),
    "pdf-zip-polyglot": Hostile("dpia.pdf", pdf_with_catalog() + zip_of("x.js", b"1"), ARCHIVE),
    # Pixel floods: a few bytes that declare an enormous image.
    "png-pixel-flood": Hostile("photo.png", png(100_000, 100_000), "100000 x 100000 pixels"),
    "png-one-long-side": Hostile("strip.png", png(1, 1_000_000), "1 x 1000000 pixels"),
    "png-zero-width": Hostile("photo.png", png(0, 10), "no pixels"),
    "jpeg-pixel-flood": Hostile("photo.jpg", jpeg(65_535, 65_535), "65535 x 65535 pixels"),
    # Truncated and damaged images.
    "png-truncated": Hostile("photo.png", png(cut=20), DAMAGED),
    "png-without-end": Hostile("photo.png", png(cut=12), DAMAGED),
    "png-bad-crc": Hostile("photo.png", png(bad_crc=True), DAMAGED),
    "png-signature-only": Hostile("photo.png", b"\x89PNG\r\n\x1a\n", DAMAGED),
    "jpeg-truncated": Hostile("photo.jpg", jpeg(cut=3), DAMAGED),
    "jpeg-without-scan": Hostile("photo.jpg", jpeg(scan=False), DAMAGED),
    "jpeg-header-only": Hostile("photo.jpg", b"\xff\xd8\xff", DAMAGED),
    # PDFs with active content, plain and hidden.
    "pdf-javascript-open-action": Hostile(
        "dpia.pdf", pdf_with_catalog(b"/OpenAction " + JS), f"{ACTIVE} (/JavaScript)"
    ),
    "pdf-javascript-escaped-name": Hostile(
        "dpia.pdf",
        pdf_with_catalog(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"),
        ACTIVE,
    ),
    "pdf-javascript-in-object-stream": Hostile(
        "dpia.pdf", pdf_with_catalog(b"", object_stream(JS)), f"{ACTIVE} (/JavaScript)"
    ),
    "pdf-launch-action": Hostile(
        "dpia.pdf",
        pdf_with_catalog(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        f"{ACTIVE} (/Launch)",
    ),
    "pdf-embedded-file": Hostile(
        "dpia.pdf",
        pdf_with_catalog(b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>"),
        f"{ACTIVE} (/EmbeddedFiles)",
    ),
    "pdf-xfa-form": Hostile(
        "dpia.pdf", pdf_with_catalog(b"/AcroForm << /XFA 5 0 R >>"), f"{ACTIVE} (/XFA)"
    ),
    "pdf-encrypted": Hostile(
        "dpia.pdf",
        pdf_with_catalog(trailer=b"/Encrypt << /Filter /Standard /V 2 /R 3 >> "),
        "Encrypted or password-protected PDFs",
    ),
    "pdf-object-stream-unusual-filter": Hostile(
        "dpia.pdf",
        pdf_with_catalog(b"", object_stream(JS, compressed=False, filters=b"/LZWDecode")),
        "cannot be checked",
    ),
    # Nothing at all.
    "empty": Hostile("empty.pdf", b"", "The submitted file is empty", "application/pdf"),
}


@dataclass(frozen=True)
class Benign:
    name: str
    content: bytes
    shown_as: str  # the cleaned display name, also the download's file name
    content_type: str


BENIGN_PDF = pdf_with_catalog(b"/Outlines 5 0 R", b"<< /Type /Outlines /Count 0 >>")
BENIGN = {
    # Hostile names on harmless content: stored under a random name, shown cleaned.
    "path-traversal-name": Benign(
        "../../etc/passwd.pdf", BENIGN_PDF, "passwd.pdf", "application/pdf"
    ),
    "windows-path-name": Benign(
        "..\\..\\windows\\win.ini", BENIGN_PDF, "win.ini.pdf", "application/pdf"
    ),
    "fullwidth-slashes-name": Benign(
        "..\uff0f..\uff0fsecret.pdf", BENIGN_PDF, "secret.pdf", "application/pdf"
    ),
    "nul-in-name": Benign(
        "report\x00.pdf.exe", BENIGN_PDF, "report.pdf.exe.pdf", "application/pdf"
    ),
    "rtl-override-name": Benign("invoice\u202egpj.exe", jpeg(), "invoicegpj.exe.jpg", "image/jpeg"),
    "html-in-name": Benign(
        "<img src=x onerror=alert(1)>.png", png(), "img src_x onerror_alert(1)_.png", "image/png"
    ),
    "double-extension-name": Benign("photo.png.html", png(), "photo.png.html.png", "image/png"),
    "very-long-name": Benign("A" * 1000 + ".png", png(), "A" * 196 + ".png", "image/png"),
    # Harmless content this policy must not refuse.
    "pdf-with-clean-object-stream": Benign(
        "dpia.pdf",
        pdf_with_catalog(b"", object_stream(b"<< /Type /Font /Subtype /Type1 >>")),
        "dpia.pdf",
        "application/pdf",
    ),
    "pdf-without-end-marker": Benign(
        "dpia.pdf", pdf_with_catalog(eof=False), "dpia.pdf", "application/pdf"
    ),
    "jpeg-motion-photo-trailer": Benign(
        "PXL_0001.MP.jpg", jpeg(after=MOTION_PHOTO), "PXL_0001.MP.jpg", "image/jpeg"
    ),
    "png-just-under-the-pixel-limit": Benign(
        "wide.png", png(10_000, 5_000), "wide.png", "image/png"
    ),
}


@pytest.fixture
def application(applicant, submit):
    return submit(applicant)


@pytest.fixture
def owner(client, applicant, settings, tmp_path):
    settings.DOCUMENTS_ROOT = str(tmp_path / "documents")
    settings.FILE_UPLOAD_HANDLERS = UPLOAD_HANDLERS
    client.force_login(applicant)
    return client


def upload(client, application, name, content, content_type="application/octet-stream"):
    return client.post(
        reverse("reviews:document_upload", args=[application.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_the_corpus_is_big_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_it_refuses_a_hostile_file_and_says_why(owner, application, tmp_path, case):
    hostile = HOSTILE[case]

    response = upload(owner, application, hostile.name, hostile.content, hostile.claimed_type)

    assert response.status_code == 200
    assert hostile.says in response.text
    assert "The document was added." not in response.text
    assert not Document.objects.exists()
    assert files_under(tmp_path) == [], "nothing of a refused file stays on disk"
    assert not AuditEvent.objects.filter(verb="document.uploaded").exists()


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_it_stores_under_a_random_name_and_serves_as_an_attachment(
    owner, application, tmp_path, case
):
    benign = BENIGN[case]

    response = upload(owner, application, benign.name, benign.content)

    assert "The document was added." in response.text
    document = Document.objects.get()
    assert re.fullmatch(r"[0-9a-f]{32}", document.stored_name)
    assert files_under(tmp_path) == [f"documents/{document.stored_name}"]
    assert (tmp_path / "documents" / document.stored_name).read_bytes() == benign.content
    assert document.name == benign.shown_as
    assert document.content_type == benign.content_type

    download = owner.get(document.get_absolute_url())

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == benign.content
    assert download["Content-Type"] == benign.content_type
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert benign.shown_as in disposition or "filename*=utf-8''" in disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


# Size: refused before the file is kept whole, in memory or on disk.


class BytesKept(FileUploadHandler):
    """Count the bytes that reach Django's memory and temporary-file handlers."""

    total = 0

    def receive_data_chunk(self, raw_data, start):
        BytesKept.total += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


def test_it_refuses_an_oversized_file_without_keeping_it(owner, application, settings, tmp_path):
    limit = settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_HANDLERS = [
        UPLOAD_HANDLERS[0],
        f"{__name__}.BytesKept",
        *UPLOAD_HANDLERS[1:],
    ]
    BytesKept.total = 0

    response = upload(owner, application, "big.pdf", b"%PDF-1.7\n" + bytes(4 * limit))

    assert "This file is 4.0 MB; the limit is 1 MB." in response.text
    assert BytesKept.total <= limit, "Django's handlers kept more than the limit"
    assert not Document.objects.exists() and files_under(tmp_path) == []


def test_the_size_check_would_notice_a_whole_file_kept(owner, application, settings):
    """Negative control: without the capped handler, the whole file reaches the others."""
    limit = settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.BytesKept", *UPLOAD_HANDLERS[1:]]
    BytesKept.total = 0

    upload(owner, application, "big.pdf", b"%PDF-1.7\n" + bytes(4 * limit))

    assert BytesKept.total > 4 * limit


def test_it_accepts_a_file_of_exactly_the_limit_and_refuses_one_byte_more(
    owner, application, settings
):
    settings.DOCUMENT_MAX_BYTES = limit = 64 * 1024
    body = pdf_with_catalog()
    exact = body + b"%" + b"x" * (limit - len(body) - 2) + b"\n"

    accepted = upload(owner, application, "exact.pdf", exact)
    refused = upload(owner, application, "over.pdf", exact + b"\n")

    assert "The document was added." in accepted.text
    assert "the limit is" in refused.text
    assert list(Document.objects.values_list("size", flat=True)) == [limit]


def test_it_refuses_a_form_body_over_the_memory_limit(owner, application, settings):
    """Fields other than files count against DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB)."""
    response = owner.post(
        reverse("reviews:document_upload", args=[application.pk]),
        {"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)},
    )

    assert response.status_code == 400
    assert not Document.objects.exists()


def test_the_upload_limits_are_set(settings):
    assert settings.DOCUMENT_MAX_BYTES <= 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * 1024 * 1024
