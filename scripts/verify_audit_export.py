#!/usr/bin/env python3
"""Check a Gatehouse audit export (JSON lines) offline, with nothing but Python.

    python3 verify_audit_export.py export.jsonl [--checkpoint SEQ:HASH]

Every event's hash must equal sha256(prev_hash + "\\n" + canonical JSON of its fields), and
each event's prev_hash must equal the hash of the event before it. A full export starts at
the genesis hash (64 zeros); an export of one organization or date range is a slice of the
chain, so only each event's own hash is checked, and links where events are adjacent.
With --checkpoint, the event at SEQ must carry HASH (from a signed checkpoint you trust).
Exit code 0 when everything holds, 1 at the first fault, which is printed.
"""

import argparse
import hashlib
import json
import sys

FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_role",
    "organization_id",
    "verb",
    "object_type",
    "object_id",
    "payload",
    "request_id",
    "ip",
)


def event_hash(prev_hash: str, record: dict) -> str:
    content = json.dumps(
        {name: record[name] for name in FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export")
    parser.add_argument("--checkpoint", action="append", default=[], help="SEQ:HASH")
    args = parser.parse_args()
    checkpoints = dict(item.split(":", 1) for item in args.checkpoint)
    previous = None
    count = 0
    with open(args.export, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            seq = str(record["seq"])
            if event_hash(record["prev_hash"], record) != record["hash"]:
                print(f"line {number}, event #{seq}: its content does not match its hash")
                return 1
            if previous is not None and record["prev_hash"] == previous["hash"]:
                pass  # adjacent in the chain, and linked
            elif previous is None and record["prev_hash"] == "0" * 64:
                pass  # the first event of the whole trail
            elif previous is not None and int(seq) == int(previous["seq"]) + 1:
                print(f"line {number}, event #{seq}: not linked to event #{previous['seq']}")
                return 1
            if seq in checkpoints and checkpoints.pop(seq) != record["hash"]:
                print(f"event #{seq} differs from the checkpoint")
                return 1
            previous = record
            count += 1
    if checkpoints:
        print(f"checkpoint events missing from the export: {', '.join(sorted(checkpoints))}")
        return 1
    print(f"{count} events verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
