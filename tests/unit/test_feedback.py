"""👍/👎 kept between searches, with undo, applied to the typed query."""

from __future__ import annotations

from photosearch.app.feedback import Feedback, Verdict
from photosearch.app.query import Query


def test_verdicts_apply_to_the_query_and_undo_takes_them_back() -> None:
    fb = Feedback()
    q = Query.of("a circle")
    assert fb.apply(q) == q.with_(like=(), unlike=())
    fb.mark("/a.jpg", Verdict.LIKE)
    fb.mark("/b.jpg", Verdict.UNLIKE)
    fb.mark("/c.jpg", Verdict.LIKE)
    steered = fb.apply(q)
    assert (
        steered.like == ("/a.jpg", "/c.jpg") and steered.unlike == ("/b.jpg",) and steered.text == "a circle"
    )
    fb.mark("/b.jpg", Verdict.LIKE)  # changed its mind
    assert fb.liked == ("/a.jpg", "/c.jpg", "/b.jpg") and fb.disliked == ()
    fb.mark("/a.jpg", Verdict.LIKE)  # the same button again: no verdict
    assert "/a.jpg" not in fb.liked
    assert fb.undo() and "/a.jpg" in fb.liked
    assert fb.undo() and fb.disliked == ("/b.jpg",)
    assert fb.undo() and fb.undo() and fb.undo() and fb.verdicts == {}
    assert not fb.undo()
