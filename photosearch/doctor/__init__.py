"""``photosearch doctor``: check a data directory and repair what can be repaired.

Checks: the catalog (opens, schema, SQLite integrity), embeddings (vector sizes), each model's saved
vector index (the file the catalog names exists with its recorded size and checksum, and holds every
embedding up to its high-water mark), orphans (embeddings and thumbnails no file refers to),
thumbnails (rows without files, files without rows), installed model packages (manifest and file
sizes; checksums with ``full``) and leftovers of interrupted work (temporary index files, half
installed models).

Severity: ``error`` — damage (something would fail or be lost); ``warning`` — untidy but harmless
(cleaned by ``--repair``); ``info`` — worth knowing. A data directory is *clean* when it has no errors.

Repairs: a damaged catalog is moved aside (``catalog.sqlite3.damaged-<time>``) and a missing or damaged
one is rebuilt (``photosearch.rebuild``): from the newest good backup (``store.backup``), plus the folders,
settings and embeddings that can still be read from the damaged file and the folder list kept beside it;
the folders are rescanned and thumbnails re-attached by content hash; photos whose embedding is in neither
are indexed again by the next ``photosearch index``. A damaged, missing or incomplete vector index is rebuilt from the stored
embeddings. Orphans, stray thumbnails and leftovers are removed.
"""

from photosearch.doctor.checks import SEVERITIES, DoctorReport, Finding, check
from photosearch.doctor.repair import run

__all__ = ["SEVERITIES", "DoctorReport", "Finding", "check", "run"]  # checks.py, repair.py
