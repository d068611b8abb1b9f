"""Text conventions per family, each on a small model of that family (tests/fixtures/families):

* NLLB-CLIP: the query is prefixed with the FLORES-200 code of its language (Immich sends ``eng_Latn``); the
  code follows the query-language setting (CLI ``--lang``, the GUI's setting), else the locale.
* XLM-R B/32 (OpenCLIP, Immich's export): ONE ``text`` int32 input — no attention mask — imports, and gives
  the same vectors as the same weights fed input_ids + attention_mask.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photosearch.models import tokenize
from photosearch.models.install import install_package_dir
from photosearch.models.manifest import file_entries, load_package
from photosearch.models.tokenize import TextTokenizer, flores_code, set_query_language

XLMR = Path(__file__).resolve().parents[1] / "fixtures" / "families" / "xlmr" / "model"
CODES = ("eng_Latn", "fra_Latn", "deu_Latn")


@pytest.fixture(autouse=True)
def _reset_language() -> None:
    yield
    set_query_language(None)


def nllb_package(dest: Path) -> Path:
    """The tiny XLM-R-family model with NLLB's convention: FLORES-200 codes as special tokens of its
    SentencePiece vocabulary (three rarely used pieces renamed, so the ids stay inside the embedding table),
    and ``text.query_prefix: flores200`` in its manifest."""
    shutil.copytree(XLMR, dest)
    tok = json.loads((dest / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    for code, i in zip(CODES, range(len(vocab) - 3, len(vocab)), strict=True):
        vocab[i][0] = code
        tok["added_tokens"].append(
            {
                "id": i,
                "content": code,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
        )
    (dest / "tokenizer.json").write_text(json.dumps(tok), encoding="utf-8")
    m = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    m["id"], m["name"] = "tiny-nllb", "Tiny NLLB-style text tower (random weights)"
    m["text"]["query_prefix"] = "flores200"
    m["files"] = file_entries(dest, list(m["files"]))
    (dest / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return dest


def test_flores_codes_from_settings_and_locales() -> None:
    assert flores_code(None) == "eng_Latn" and flores_code("de_DE.UTF-8") == "deu_Latn"
    assert (
        flores_code("fr") == "fra_Latn"
        and flores_code("zh-TW") == "zho_Hant"
        and flores_code("pt_BR") == "por_Latn"
    )
    assert flores_code("ukr_Cyrl") == "ukr_Cyrl" and flores_code("xx") == "eng_Latn"


def test_nllb_query_carries_the_language_code_and_follows_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings

    pkg = install_package_dir(nllb_package(tmp_path / "src"), tmp_path / "models")
    spec = pkg.manifest.text
    tok = TextTokenizer(spec, pkg.tokenizer_path)
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(pkg.tokenizer_path))
    code_id = {c: raw.token_to_id(c) for c in CODES}

    monkeypatch.setattr(tokenize, "locale_language", lambda: "de_DE")  # the locale gives the default
    assert tok.ids("zwei Hunde am Strand")[:2] == [spec.bos_id, code_id["deu_Latn"]]
    set_query_language("fr")  # the setting wins over the locale
    ids_fr = tok.ids("deux chiens sur la plage")
    assert ids_fr[:2] == [spec.bos_id, code_id["fra_Latn"]] and ids_fr[-1] == spec.eos_id
    set_query_language("eng_Latn")
    assert tok.ids("two dogs on a beach")[1] == code_id["eng_Latn"]
    assert (
        tok.ids("two dogs on a beach")[2:]
        == TextTokenizer(_no_prefix(spec), pkg.tokenizer_path).ids("two dogs on a beach")[1:]
    )  # the rest of the query is tokenized as before

    # through the model: the code is part of what the text tower sees
    rt = ModelRuntime(load_package(pkg.root, verify="sha256"), RuntimeSettings(intra_op_threads=2))
    set_query_language("en")
    en = rt.text.encode(["a dog"])
    set_query_language("de")
    de = rt.text.encode(["a dog"])
    assert en.shape == de.shape and float(np.abs(en - de).max()) > 1e-4


def _no_prefix(spec):
    import dataclasses

    return dataclasses.replace(spec, query_prefix="")


def test_other_families_get_no_prefix(tmp_path: Path) -> None:
    pkg = load_package(XLMR)
    set_query_language("fr")
    ids = TextTokenizer(pkg.manifest.text, pkg.tokenizer_path).ids("a dog")
    assert all(i < 283 for i in ids)


def _single_text_input(src: Path, dst: Path, pad_id: int) -> None:
    """Immich's OpenCLIP XLM-R export: ONE int32 ``text`` input; the mask is computed inside the graph."""
    import onnx
    from onnx import TensorProto, helper

    m = onnx.load(str(src))
    keep = [i for i in m.graph.input if i.name not in ("input_ids", "attention_mask")]
    del m.graph.input[:]
    m.graph.input.extend([helper.make_tensor_value_info("text", TensorProto.INT32, ["batch", 77]), *keep])
    m.graph.initializer.append(helper.make_tensor("pad_id", TensorProto.INT64, [], [pad_id]))
    m.graph.node.insert(0, helper.make_node("Cast", ["text"], ["input_ids"], to=TensorProto.INT64))
    m.graph.node.insert(1, helper.make_node("Equal", ["input_ids", "pad_id"], ["is_pad"]))
    m.graph.node.insert(2, helper.make_node("Not", ["is_pad"], ["not_pad"]))
    m.graph.node.insert(3, helper.make_node("Cast", ["not_pad"], ["attention_mask"], to=TensorProto.INT64))
    onnx.save(m, str(dst))


def test_xlmr_openclip_export_has_one_text_input_and_imports(tmp_path: Path) -> None:
    from photosearch.models.adapters import adapt_folder, graph_io
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings

    ref = load_package(XLMR)
    folder = tmp_path / "XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k"
    (folder / "visual").mkdir(parents=True)
    (folder / "textual").mkdir()
    shutil.copyfile(XLMR / "visual.onnx", folder / "visual" / "model.onnx")
    shutil.copyfile(XLMR / "tokenizer.json", folder / "textual" / "tokenizer.json")
    _single_text_input(XLMR / "textual.onnx", folder / "textual" / "model.onnx", ref.manifest.text.pad_id)
    v = ref.manifest.vision
    (folder / "config.json").write_text(
        json.dumps(
            {
                "embed_dim": ref.manifest.embedding_dim,
                "vision_cfg": {"image_size": v.image_size},
                "text_cfg": {"hf_tokenizer_name": "xlm-roberta-base", "context_length": 77},
            }
        )
    )
    (folder / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [v.image_size, v.image_size],
                "mode": "RGB",
                "mean": list(v.mean),
                "std": list(v.std),
                "interpolation": "bicubic",
                "resize_mode": "shortest",
                "fill_color": 0,
            }
        )
    )
    ins, _ = graph_io(folder / "textual" / "model.onnx")
    assert [(i.name, i.dtype) for i in ins] == [("text", "int32")]

    pkg = load_package(adapt_folder(folder, tmp_path / "pkg", model_id="xlmr-openclip"), verify="sha256")
    t = pkg.manifest.text
    assert pkg.manifest.family == "xlmr-clip" and t.attention_mask is None
    assert (t.input_ids.name, t.input_ids.dtype) == ("text", "int32") and t.query_prefix == ""
    texts = ["a dog on a beach", "zwei Katzen", "城市夜景", "x"]
    ours = ModelRuntime(pkg, RuntimeSettings(intra_op_threads=2)).text
    theirs = ModelRuntime(ref, RuntimeSettings(intra_op_threads=2)).text
    assert [ours.tokenizer.ids(s) for s in texts] == [theirs.tokenizer.ids(s) for s in texts]
    a, b = ours.encode(texts), theirs.encode(texts)
    assert float(np.abs(a - b).max()) < 1e-4
