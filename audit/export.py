"""Export the trail as CSV or JSON lines, hashes included, for offline verification."""

import csv
import io
import json
from datetime import datetime

from .chain import FIELDS
from .models import AuditEvent

COLUMNS = ["seq", "prev_hash", "hash", *FIELDS]
# Spreadsheet programs run cells starting with these as formulas; a quote keeps them text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def events_for(
    *, organization_id=None, since: datetime | None = None, until: datetime | None = None
):
    queryset = AuditEvent.objects.order_by("seq")
    if organization_id is not None:
        queryset = queryset.filter(organization_id=organization_id)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=until)
    return queryset.values_list(*COLUMNS).iterator(chunk_size=5000)


def _plain(value):
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value


def jsonl_lines(rows):
    """Yield one JSON object per event: the chain fields exactly as hashed, and the hashes."""
    for row in rows:
        record = {name: _plain(value) for name, value in zip(COLUMNS, row, strict=True)}
        yield json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    text = (
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if isinstance(value, dict | list)
        else str(_plain(value))
    )
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(rows):
    """Yield CSV lines, header first; cells that look like formulas are quoted as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()
