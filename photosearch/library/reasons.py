"""Why the system refused to list, open or read a photo, in plain words (the reason shown in the list of
skipped files): one wording for the scan, the decoder and the indexing pipeline."""

from __future__ import annotations

import errno


def system_refused(e: OSError) -> str:
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, FileNotFoundError):
        return "file disappeared before it could be read"
    if e.errno == errno.ELOOP:
        return "a link that leads back to itself (a loop of links)"
    if e.errno == errno.EIO:
        return "the disk could not read it (input/output error: the disk or card may be failing)"
    if e.errno == errno.ENAMETOOLONG:
        return "the name is too long for the system to open"
    if e.strerror:
        return f"cannot read it: {str(e.strerror).lower()}"
    return "cannot read it"
