"""The words the catalog stores for a file's and a folder's state, as ``str`` enums (equal to the strings in
the database, so rows read as plain strings compare equal to them)."""

from __future__ import annotations

from enum import Enum


class FileStatus(str, Enum):
    PENDING = "pending"  # registered, waiting to be embedded
    INDEXED = "indexed"  # embedded with the active model: searchable
    ERROR = "error"  # could not be read or decoded (``FileRow.error`` says why)

    def __str__(self) -> str:
        return self.value


class FolderState(str, Enum):
    ONLINE = "online"  # watched and indexed
    PAUSED = "paused"  # kept, but not watched or indexed
    OFFLINE = "offline"  # its root is missing (unplugged disk, unmounted share): photos hidden, not deleted

    def __str__(self) -> str:
        return self.value


class WatchMode(str, Enum):
    EVENTS = "events"  # inotify (or the platform's) change events
    POLLING = "polling"  # re-scanned every few seconds (network shares, beyond the watch budget)

    def __str__(self) -> str:
        return self.value
