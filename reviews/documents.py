"""Store supporting documents safely: type by content, random names, outside the web root."""

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from django.conf import settings

# Magic numbers of the accepted types; the name and the browser's claimed type are ignored.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_UNSAFE = re.compile(r"[^\w.\- ()]+")


class DocumentRejected(Exception):
    """The upload is not a document Gatehouse accepts; the message says why."""


def detect_type(head: bytes) -> str | None:
    """Return the content type the first bytes show, or None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def clean_name(name: str) -> str:
    """Return a display name without paths, control or direction characters."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"})
    name = _UNSAFE.sub("_", name).strip(" ._") or "document"
    return name[:200]


def documents_root() -> Path:
    root = Path(settings.DOCUMENTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def store(upload) -> tuple[str, str, int, str]:
    """Write the upload under a random name; return (stored name, type, size, sha256)."""
    head = upload.read(16)
    content_type = detect_type(head)
    if content_type is None:
        raise DocumentRejected("Only PDF, PNG and JPEG files are accepted; this file is not one.")
    upload.seek(0)
    stored_name = secrets.token_hex(16)
    digest, size = hashlib.sha256(), 0
    path = documents_root() / stored_name
    with path.open("xb") as out:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > settings.DOCUMENT_MAX_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise DocumentRejected("The file is larger than the limit.")
            digest.update(chunk)
            out.write(chunk)
    return stored_name, content_type, size, digest.hexdigest()


def open_stored(stored_name: str):
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise FileNotFoundError(stored_name)
    return (documents_root() / stored_name).open("rb")


def discard(stored_name: str) -> None:
    (documents_root() / stored_name).unlink(missing_ok=True)
