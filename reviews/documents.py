"""Store supporting documents safely: type by content, random names, outside the web root.

What is accepted (T27; see tests/reviews/test_upload_corpus.py):

- PDF, PNG and JPEG only, told by their first bytes; the name and the claimed type are ignored.
- PNG and JPEG must be whole (every PNG chunk and its CRC up to IEND; JPEG segments up to the
  end-of-image marker) and at most MAX_PIXELS pixels, so a small file cannot declare a
  100,000 x 100,000 image that a viewer would try to allocate.
- No web page or script in the places a browser sniffs (the first KB) nor in image metadata;
  nothing after a PNG's end; no ZIP archive riding at the end of any file (GIFAR-style).
- PDFs without active content: no JavaScript, launch actions, embedded files, rich media,
  XFA forms or form submission, also when hidden behind #xx escapes or in compressed object
  streams; encrypted PDFs are refused because they cannot be checked. A PDF does not have to
  be complete (readers repair truncated ones, and they carry no risk of their own).
"""

import hashlib
import re
import secrets
import struct
import unicodedata
import zlib
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

# Magic numbers of the accepted types; the name and the browser's claimed type are ignored.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
_UNSAFE = re.compile(r"[^\w.\- ()]+")
MAX_NAME = 200

MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo fits; Pillow warns at 89 million
MAX_SIDE = 20_000
_SNIFFED = 1024  # browsers decide what a file "really" is from its first bytes
_MARKUP = re.compile(
    rb"<(?:script|html|svg|iframe|body|object|embed|!doctype|\?php|x:script)[\s>/]", re.I
)
_ZIP_END = b"PK\x05\x06"  # a ZIP reader finds the archive from this record near the end
_ZIP_TAIL = 65_557  # the end record and the longest comment it may carry

_PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData|GoToE)"
    rb"(?![A-Za-z0-9])"
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_PDF_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # decompressed, all object streams together


class DocumentRejected(Exception):
    """The upload is not a document Gatehouse accepts; the message says why."""


NOT_ACCEPTED = "Only PDF, PNG and JPEG files are accepted; this file is not one."


def detect_type(head: bytes) -> str | None:
    """Return the content type the first bytes show, or None for anything else."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def check_content(data: bytes) -> str:
    """Return the content type of an acceptable document, or raise DocumentRejected."""
    content_type = detect_type(data[:16])
    if content_type is None:
        raise DocumentRejected(NOT_ACCEPTED)
    if _MARKUP.search(data[:_SNIFFED]):
        raise DocumentRejected(
            "This file contains web page or script code, which is not accepted in documents."
        )
    if _ZIP_END in data[-_ZIP_TAIL:]:
        raise DocumentRejected("This file has an archive hidden inside it; it is not accepted.")
    if content_type == "image/png":
        _check_png(data)
    elif content_type == "image/jpeg":
        _check_jpeg(data)
    else:
        _check_pdf(data)
    return content_type


def _incomplete(kind: str) -> DocumentRejected:
    return DocumentRejected(f"This {kind} file is incomplete or damaged; export it again.")


def _check_pixels(width: int, height: int) -> None:
    if width == 0 or height == 0:
        raise DocumentRejected("This image has no pixels; export it again.")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise DocumentRejected(
            f"This image is {width} x {height} pixels; the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels and {MAX_SIDE} pixels a side."
        )


def _check_metadata(segment: bytes) -> None:
    if _MARKUP.search(segment):
        raise DocumentRejected(
            "This image carries web page or script code in its metadata; it is not accepted."
        )


def _check_png(data: bytes) -> None:
    """Walk the chunks: IHDR first, CRCs right, pixels capped, image data, IEND last."""
    pos, seen_data = 8, False
    while True:
        if pos + 12 > len(data):
            raise _incomplete("PNG")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise _incomplete("PNG")
        body = data[pos + 8 : pos + 8 + length]
        if zlib.crc32(kind + body) != int.from_bytes(data[end - 4 : end]):
            raise _incomplete("PNG")
        if pos == 8:
            if kind != b"IHDR" or length != 13:
                raise _incomplete("PNG")
            _check_pixels(*struct.unpack(">II", body[:8]))
        elif kind in (b"IDAT", b"fdAT"):  # image data (fdAT: animation frames)
            seen_data = True
        elif kind == b"IEND":
            break
        else:
            _check_metadata(body)
        pos = end
    if not seen_data:
        raise _incomplete("PNG")
    if data[end:].strip(b"\x00"):
        raise DocumentRejected("This PNG file has other data after the image; it is not accepted.")


# Start-of-frame markers (baseline, progressive, lossless, arithmetic), which give the size.
_JPEG_FRAMES = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def _check_jpeg(data: bytes) -> None:
    """Walk the segments to the end-of-image marker: a frame size in the limits, scans whole."""
    pos, size, scanned, n = 2, None, False, len(data)
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise _incomplete("JPEG")
        while pos < n and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= n:
            raise _incomplete("JPEG")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # end of image
            break
        if marker == 0xD8 or marker == 0x00:
            raise _incomplete("JPEG")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # restart markers carry no length
            continue
        if pos + 2 > n:
            raise _incomplete("JPEG")
        length = int.from_bytes(data[pos : pos + 2])
        if length < 2 or pos + length > n:
            raise _incomplete("JPEG")
        segment = data[pos + 2 : pos + length]
        if marker in _JPEG_FRAMES:
            if len(segment) < 5:
                raise _incomplete("JPEG")
            height, width = struct.unpack(">HH", segment[1:5])
            _check_pixels(width, height)
            size = (width, height)
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:  # application data and comments
            _check_metadata(segment)
        pos += length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next marker
            if size is None:
                raise _incomplete("JPEG")
            scanned = True
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    raise _incomplete("JPEG")
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2  # a stuffed 0xFF or a restart marker inside the scan
                elif following == 0xFF:
                    pos += 1
                else:
                    break
    if not scanned:
        raise _incomplete("JPEG")
    # Bytes after the end marker are allowed (phones append motion-photo videos), but not an
    # archive or code: the ZIP end record and markup were looked for in check_content.
    if _MARKUP.search(data[pos:]):
        raise DocumentRejected("This JPEG file has web page or script code after the image.")


def _check_pdf(data: bytes) -> None:
    """Refuse PDFs with active content or encryption; look inside object streams too."""
    outside, streams, pos = [], [], 0
    for start in _PDF_STREAM.finditer(data):
        if start.start() < pos:
            continue  # "stream" inside the previous stream's data
        finish = data.find(b"endstream", start.end())
        if finish < 0:
            finish = len(data)
        outside.append(data[pos : start.start()])
        streams.append((data[pos : start.start()], data[start.end() : finish]))
        pos = finish + len(b"endstream")
    outside.append(data[pos:])
    budget = _PDF_OBJECT_STREAM_BYTES
    texts = [b"".join(outside)]
    for before, body in streams:
        dictionary = _unescape(before[before.rfind(b"obj") :])
        if b"/ObjStm" not in dictionary:
            continue  # page content and images: no dictionaries, so no actions, inside
        text = _inflate_object_stream(dictionary, body, budget)
        budget -= len(text)
        texts.append(text)
    for text in texts:
        names = _unescape(text)
        if b"/Encrypt" in names:
            raise DocumentRejected(
                "Encrypted or password-protected PDFs cannot be checked; upload an "
                "unprotected copy."
            )
        found = _PDF_ACTIVE.search(names)
        if found:
            raise DocumentRejected(
                f"This PDF contains active content (/{found.group(1).decode()}): scripts, "
                "attachments, launch actions or interactive forms are not accepted. Print it "
                "to a new PDF and upload that."
            )


def _unescape(text: bytes) -> bytes:
    """Return the text with PDF name escapes (/J#61vaScript) decoded."""
    return _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text)


def _inflate_object_stream(dictionary: bytes, body: bytes, budget: int) -> bytes:
    filters = re.findall(rb"/(\w+Decode)\b", dictionary)
    if not filters:
        return body
    if filters != [b"FlateDecode"] or b"/Predictor" in dictionary:
        raise DocumentRejected(
            "This PDF is encoded in a way that cannot be checked; print it to a new PDF and "
            "upload that."
        )
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(body, budget + 1)
    except zlib.error:
        raise _incomplete("PDF") from None
    if len(text) > budget:
        raise DocumentRejected("This PDF is too complex to check; print it to a new PDF.")
    return text


def clean_name(name: str, content_type: str | None = None) -> str:
    """Return a display name without paths, control or direction characters, ending in the
    extension of the type the content showed (so a download is never saved as .html)."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in {"C"})
    name = _UNSAFE.sub("_", name).strip(" ._") or "document"
    extensions = EXTENSIONS.get(content_type, ())
    if extensions and not name.lower().endswith(extensions):
        name = f"{name[: MAX_NAME - len(extensions[0])]}{extensions[0]}"
    elif len(name) > MAX_NAME:
        _stem, dot, suffix = name.rpartition(".")
        keep = f".{suffix}" if dot and len(suffix) <= 10 else ""
        name = f"{name[: MAX_NAME - len(keep)]}{keep}"
    return name


def documents_root() -> Path:
    root = Path(settings.DOCUMENTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def store(upload) -> tuple[str, str, int, str]:
    """Check the upload and write it under a random name; return (stored name, type, size,
    sha256). Nothing reaches the documents root unless it passed every check."""
    limit = settings.DOCUMENT_MAX_BYTES
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise DocumentRejected("The file is larger than the limit.")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DocumentRejected("The file is larger than the limit.")
    content_type = check_content(data)
    stored_name = secrets.token_hex(16)
    with (documents_root() / stored_name).open("xb") as out:
        out.write(data)
    return stored_name, content_type, len(data), hashlib.sha256(data).hexdigest()


def open_stored(stored_name: str):
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name):
        raise FileNotFoundError(stored_name)
    return (documents_root() / stored_name).open("rb")


def discard(stored_name: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", stored_name):
        (documents_root() / stored_name).unlink(missing_ok=True)


class SizeCappedUploadHandler(FileUploadHandler):
    """Keep no more than DOCUMENT_MAX_BYTES of an uploaded file in memory or on disk.

    List it first in FILE_UPLOAD_HANDLERS. Bytes past the limit are counted and dropped
    before Django's memory and temporary-file handlers see them; the form then gets an empty
    file that reports the real size, and says the file is over the limit.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.DOCUMENT_MAX_BYTES:
            return None  # the handlers after this one never see it
        return raw_data

    def file_complete(self, file_size):
        if self.received <= settings.DOCUMENT_MAX_BYTES:
            return None  # the next handler returns the file it kept
        return UploadedFile(
            BytesIO(), self.file_name, self.content_type, self.received, self.charset
        )
