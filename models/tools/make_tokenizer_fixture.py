"""Reference token ids from OpenAI CLIP's tokenizer as open_clip ships it (``SimpleTokenizer``: ftfy, HTML
unescape, whitespace clean, lower, BPE) for ≥ 1,000 hard strings → ``tests/fixtures/clip-tokenizer/``.

open_clip's package can't be imported here without torchvision, so its ``tokenizer.py`` is loaded by
file path (it needs torch, ftfy and regex). Also copies open_clip's ``bpe_simple_vocab_16e6.txt.gz``.

    python models/tools/make_tokenizer_fixture.py
"""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "clip-tokenizer"

HARD = [
    "\ufeffa photo of a dog",
    "\ufeff\ufeffBOM twice",
    "ＡＢＣ ｆｕｌｌｗｉｄｔｈ ｃａｔ １２３",
    "ｐｈｏｔｏ　ｏｆ　ａ　ｄｏｇ",
    "ﬁne ﬂowers in the ﬁeld",
    "ﬀ ﬃ ﬄ ligatures",
    "“curly quotes” and ‘single’",
    "it’s my dog’s ball",
    "Tom &amp; Jerry",
    "&lt;b&gt;bold&lt;/b&gt;",
    "caf&eacute; &#233; &#x00E9;",
    "&amp;amp; double escaped",
    "cafÃ© au lait",
    "Ã¼ber mojibake â€œquotedâ€\x9d",
    "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.",
    "ΟΔΥΣΣΕΥΣ",
    "ΣΊΣΥΦΟΣ on a hill",
    "σοφός ς Σ",
    "🐶🌊🏖️ beach day",
    "👨‍👩‍👧‍👦 family",
    "🇫🇷 flag",
    "東京タワーの夜景",
    "海边的日落",
    "강아지와 고양이",
    "ÄÖÜ äöü ß ẞ",
    "İstanbul ıi",
    "ǅungla",
    "e\u0301te\u0301",
    "tab\tand\nnewline\r\n",
    "\u00a0non\u00a0breaking\u2003em space",
    "zero\u200bwidth",
    "soft\u00adhyphen",
    "<|startoftext|> literal",
    "<|endoftext|>",
    "don't won't it's we'll they've I'm you'd",
    "123 4567 89.5% $100 €20 £5 ¥300",
    "a" * 300,
    "word " * 100,
    "x-y_z/w\\v|u",
    "",
    "   ",
    "\x00null\x01ctrl",
    "\u2028line sep\u2029para",
    "Ⅻ ① ⑵ ½ ² ³",
    "™ © ® ℃ ℉",
    "→ ⇒ ∞ ≠ ≤",
    "𝐁𝐨𝐥𝐝 𝕯𝖔𝖌",
    "ʻokina ʼapostrophe",
]

_WORDS = (
    "dog cat beach sunset mountain city night snow kids birthday cake car tree flower river "
    "Café naïve résumé Straße Ελλάδα Москва 東京 서울 😀 🐱 ﬁsh ﬂy “hi” ‘yo’ &amp; &lt;3 Ã© ΣΑΣ"
).split()


def hard_strings(n: int = 1100, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = list(HARD)
    while len(out) < n:
        k = rng.randint(1, 14) if rng.random() < 0.9 else rng.randint(60, 120)
        words = [rng.choice(_WORDS) for _ in range(k)]
        if rng.random() < 0.3:
            words = [w.upper() for w in words]
        sep = rng.choice([" ", " ", "  ", "\u3000", "\t", " \ufeff"])
        s = sep.join(words)
        if rng.random() < 0.2:
            s = (
                rng.choice(["\ufeff", "&quot;", "“", "ＡＢ"])
                + s
                + rng.choice(["", "!", "”", "&#8217;s", "ς"])
            )
        out.append(s)
    return out


def load_simple_tokenizer():
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install open_clip_torch (its tokenizer is the reference)")
    root = Path(spec.submodule_search_locations[0])
    mod_spec = importlib.util.spec_from_file_location("open_clip_tokenizer", root / "tokenizer.py")
    assert mod_spec and mod_spec.loader
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod.SimpleTokenizer(), root / "bpe_simple_vocab_16e6.txt.gz"


def main() -> int:
    tok, gz = load_simple_tokenizer()
    OUT.mkdir(parents=True, exist_ok=True)
    strings = hard_strings()
    ids = tok(strings, context_length=77).numpy().astype(np.int32)
    (OUT / "strings.json").write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(OUT / "reference_ids.npz", ids=ids)
    shutil.copy(gz, OUT / gz.name)
    print(f"{len(strings)} strings; wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
