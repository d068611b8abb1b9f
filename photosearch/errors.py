"""Typed errors of the core. The CLI turns them into one-line messages and exit codes;
the GUI into plain-words dialogs."""

from __future__ import annotations


class PhotoSearchError(Exception):
    """Base class: every error the core raises on purpose."""

    exit_code = 1


class ManifestError(PhotoSearchError):
    """A model package's manifest is missing, malformed or does not match its files."""

    exit_code = 3


class ModelNotInstalled(PhotoSearchError):
    exit_code = 3


class ModelLoadError(PhotoSearchError):
    exit_code = 3


class ModelLoading(PhotoSearchError):
    """A search arrived before the model was loaded (the GUI shows it and runs the search once loaded)."""


class UnreadableImage(PhotoSearchError):
    """An image file that cannot be decoded; ``reason`` is shown to the person."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexLocked(PhotoSearchError):
    """Another process holds the writer lock."""

    exit_code = 4


class CatalogCorrupt(PhotoSearchError):
    exit_code = 5


class CatalogError(PhotoSearchError):
    exit_code = 5


class CatalogMissing(CatalogError):
    """The catalog file is gone but the library's folder list (``folders.json``) is there."""


class QueryError(PhotoSearchError):
    """A query that cannot run; the message says why."""

    exit_code = 2


class FolderRefused(QueryError):
    """A folder that cannot be added or removed as asked: an alias of an added folder, inside one, or not
    photos (a data folder, a virtual environment, a cache). The message says why; nothing was changed."""


class LibraryTooSmall(QueryError):
    """Too few photos to calibrate a model's relevance line on (``photosearch models calibrate``)."""


class ConfirmationNeeded(PhotoSearchError):
    """A change that needs the person's yes first (adding a disk's root, a home or a system folder): the CLI
    asks for ``--yes``, the GUI for a confirmation. ``estimate`` says what would be scanned."""

    exit_code = 2

    def __init__(self, message: str, estimate: object = None) -> None:
        super().__init__(message)
        self.estimate = estimate


class DiskFull(PhotoSearchError):
    exit_code = 6


class DownloadError(PhotoSearchError):
    exit_code = 7


class Cancelled(PhotoSearchError):
    """Long work was cancelled by the person."""
