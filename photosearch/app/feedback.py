"""👍/👎 on results, with undo: what a window keeps between searches. Each verdict is applied to the query the
person typed (``Feedback.apply``), so the app's one ``search(Query)`` re-ranks from stored vectors at once; undo
takes the last verdict back. A photo marked again takes the new verdict; marking it the same way twice clears it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from photosearch.app.query import Query


class Verdict(str, Enum):
    LIKE = "like"
    UNLIKE = "unlike"

    def __str__(self) -> str:
        return self.value


@dataclass
class Feedback:
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # photo path → verdict, in the order given
    _undo: list[tuple[str, Verdict | None]] = field(default_factory=list)

    def mark(self, path: str, verdict: Verdict) -> None:
        before = self.verdicts.get(path)
        self._undo.append((path, before))
        if before is verdict:
            del self.verdicts[path]  # the same button again: no verdict
        else:
            self.verdicts.pop(path, None)
            self.verdicts[path] = verdict

    def undo(self) -> bool:
        """Take the last verdict back; False when there is none."""
        if not self._undo:
            return False
        path, before = self._undo.pop()
        self.verdicts.pop(path, None)
        if before is not None:
            self.verdicts[path] = before
        return True

    def clear(self) -> None:
        self.verdicts.clear()
        self._undo.clear()

    @property
    def liked(self) -> tuple[str, ...]:
        return tuple(p for p, v in self.verdicts.items() if v is Verdict.LIKE)

    @property
    def disliked(self) -> tuple[str, ...]:
        return tuple(p for p, v in self.verdicts.items() if v is Verdict.UNLIKE)

    def apply(self, query: Query) -> Query:
        """``query`` steered by the verdicts so far (the query itself when there are none)."""
        return query.with_(like=self.liked, unlike=self.disliked)
