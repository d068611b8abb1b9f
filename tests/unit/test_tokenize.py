from __future__ import annotations

from pathlib import Path

import numpy as np

from photosearch.models.encoders import ModelRuntime
from photosearch.models.tokenize import clip_normalize, siglip_normalize

STRINGS = [
    "a red circle",
    "A RED  Circle\t",
    "the dog at the beach at sunset",
    "&amp;lt;b&amp;gt; red",
    "",
    "blue square at the top left " * 10,
    "ﬁne ﬂowers",
    "ＦＵＬＬＷＩＤＴＨ red",
    "\ufeffred circle",
    "â€™mojibake",
    "“curly” ‘quotes’",
    "ΟΔΟΣ",
    "🐶 dog",
    "海辺の夕日",
]


def test_clip_normalisation_follows_openai_cleaning() -> None:
    assert clip_normalize("  A   Red\n\tCIRCLE ") == "a red circle"
    assert clip_normalize("Tom &amp;amp; Jerry") == "tom & jerry"  # HTML unescaped twice
    assert clip_normalize("\ufeffred") == "red"  # BOM dropped (ftfy)
    assert clip_normalize("ﬁsh") == "fish"  # ligature (ftfy)
    assert clip_normalize("ＦＵＬＬ") == "full"  # fullwidth (ftfy)
    assert clip_normalize("â€œquotedâ€\x9d") in ('"quoted"', "\u201cquoted\u201d")  # mojibake fixed


def test_siglip_normalisation() -> None:
    assert siglip_normalize("A dog, running!  Fast.") == "a dog running fast"


def test_special_tokens_truncation_and_padding(tiny_model: Path) -> None:
    rt = ModelRuntime.from_path(tiny_model)
    tok = rt.text.tokenizer
    ids = tok.ids("a red circle")
    assert ids[0] == 1 and ids[-1] == 2 and len(ids) == 5
    long = tok.ids("red " * 100)
    assert len(long) == 16 and long[0] == 1 and long[-1] == 2
    unk = tok.ids("zebra")
    assert unk == [1, 3, 2]
    batch, mask = tok.encode(["a red circle", "red"])
    assert batch.shape == (2, 5) and mask.sum() == 8 and batch[1, 3] == 0
    full, _ = tok.encode(["red"], pad_to_context=True)
    assert full.shape == (1, 16)


def test_unpadded_text_encoding_equals_padded(tiny_model: Path) -> None:
    """The text graph pools at EOS, so skipping padding (dynamic sequence axis) must not change anything."""
    rt = ModelRuntime.from_path(tiny_model)
    short = rt.text.encode(STRINGS)
    padded = rt.text.encode(STRINGS, pad_to_context=True)
    diff = float(np.abs(short - padded).max())
    assert diff < 1e-6, diff


def test_unpadded_equals_padded_on_the_shapes_model(shapes_model: Path) -> None:
    rt = ModelRuntime.from_path(shapes_model)
    short = rt.text.encode(STRINGS)
    padded = rt.text.encode(STRINGS, pad_to_context=True)
    assert float(np.abs(short - padded).max()) < 1e-5
