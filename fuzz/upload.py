"""Fuzz the upload checker: reviews.documents (what an uploaded file may be, and its name).

An input whose first byte is NUL is a file name (the rest, as UTF-8): `clean_name` must give
a name without paths, control or direction characters, at most 200 characters, never empty.
Any other input is a file's content: the public check (`check_content`, or `store` where
there is no such function) must accept it as a PDF, PNG or JPEG (the type its first bytes
show) or refuse it with DocumentRejected; any other exception, or an input that takes longer
than FUZZ_TIMEOUT, is a crash. See harness.py for running it.
"""

import hashlib
import struct
import tempfile
import unicodedata
import zlib
from pathlib import Path

import atheris
from harness import dictionary, django_ready, run

with atheris.instrument_imports(include=["reviews.documents"]):
    from reviews import documents  # before Django loads the app, which imports it too

django_ready()

ACCEPTED = {"application/pdf", "image/png", "image/jpeg"}


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"tEXt", b"Comment\x00scan")
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _png_chunk(b"IEND", b"")
)
JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    + b"\x12\x34\xff\x00\x56"
    + b"\xff\xd9"
)
PDF = (
    b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"3 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length 20>>stream\n"
    + zlib.compress(b"4 0 <</A 1>>")
    + b"\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SEEDS = {
    "png": PNG,
    "jpeg": JPEG,
    "pdf": PDF,
    "pdf-script": PDF.replace(b"/Count 0", b"/Count 0/OpenAction<</S/JavaScript/JS(x)>>"),
    "pdf-escaped": PDF.replace(b"/Count 0", b"/Count 0/AA<</O<</S/J#61vaScript>>>>"),
    "png-trailer": PNG + b"<html><script>x</script>",
    "jpeg-zip": JPEG + b"PK\x05\x06" + b"\x00" * 18,
    "html": b"<!doctype html><script>alert(1)</script>",
    "name": b"\x00../../\u202efdp.exe\x00<script>.pdf".decode("latin-1").encode(),
}
TOKENS = [
    "%PDF-",
    "obj",
    "endobj",
    "stream\n",
    "endstream",
    "/ObjStm",
    "/FlateDecode",
    "/JavaScript",
    "/Launch",
    "/EmbeddedFile",
    "/Encrypt",
    "/XFA",
    "#4A",
    "IHDR",
    "IDAT",
    "IEND",
    "tEXt",
    "\xff\xd8\xff",
    "\xff\xc0",
    "\xff\xda",
    "\xff\xd9",
    "<script>",
    "<svg ",
    "PK\x05\x06",
]


def _fallback_check(data: bytes) -> str:
    """Where there is no check_content: store the bytes as an upload, as the view does."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DOCUMENTS_ROOT = str(Path(tempfile.gettempdir()) / "gatehouse-fuzz-upload")
    stored_name, content_type, size, sha256 = documents.store(SimpleUploadedFile("f", data))
    documents.discard(stored_name)
    assert (size, sha256) == (len(data), hashlib.sha256(data).hexdigest())
    return content_type


check = getattr(documents, "check_content", None) or _fallback_check


def check_name(raw: bytes) -> None:
    name = raw.decode("utf-8", "replace")
    cleaned = documents.clean_name(name)
    assert cleaned and len(cleaned) <= 200, (name, cleaned)
    assert not any(c in "/\\" for c in cleaned), (name, cleaned)
    assert not any(unicodedata.category(c).startswith("C") for c in cleaned), (name, cleaned)


def test_one_input(data: bytes) -> None:
    if data[:1] == b"\x00":
        check_name(data[1:])
        return
    try:
        content_type = check(data)
    except documents.DocumentRejected as refusal:
        assert str(refusal), "a refusal says why"
        return
    assert content_type in ACCEPTED, content_type
    assert content_type == documents.detect_type(data[:16]), content_type


if __name__ == "__main__":
    run("upload", test_one_input, SEEDS, dict_path=dictionary("upload", TOKENS))
