"""One batch of a load: what it reports, how it names its file, and the shape of its quarantined rows.

A batch is one file of a source, or one pull of a live one. Every step of the load (read,
map, stage, store) counts into the batch's `BatchReport`, so that rows read = rows loaded +
rows quarantined; `meta.batches` keeps the same figures. A step that cannot go on raises
`LoadError`, and nothing of the batch is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from vaerdistrom.errors import VaerdistromError
from warehouse.pseudonym import redact


class LoadError(VaerdistromError, RuntimeError):
    """A file could not be loaded; nothing of it was kept."""


@dataclass
class BatchReport:
    source: str
    file: str
    batch_id: int | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_quarantined: int = 0
    dst_ambiguous: int = 0
    dst_nonexistent: int = 0
    skipped: bool = False  # the same file (same sha256) was loaded before
    records_quarantined: int = 0  # OCEL: records other than events quarantined (relations, objects, changes)
    columns_pseudonymised: set[str] = field(default_factory=set)  # not declared personal, but mostly CPR numbers


# a row of raw.quarantine: the batch, where the row was (file, number), the field at fault and why, the row's
# data as JSON (pseudonymised), and the kind of record (a row; OCEL: an object, a change, a relation)
QUARANTINE = pa.schema(
    [
        ("batch_id", pa.int64()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("row_data", pa.string()),
        ("record", pa.string()),
    ]
)


def file_label(path: Path | str) -> str:
    """A file's path (or a pull's label) as the warehouse records it: a CPR number in it replaced by a mark (an
    export named after a citizen, say)."""
    return redact(str(path)) or ""


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex: a file loaded before is known by it."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def one_line(text: str, limit: int = 400) -> str:
    """A message as one line: its white space runs (line breaks too) as single spaces, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
