"""People coming from rclip or Immich type the model names they know: Immich's (``ViT-B-32__laion2b_s34b_b79k``,
``ViT-B-32__openai``), the hub repository's (``immich-app/…``, ``Xenova/…``, ``openai/clip-vit-base-patch32``),
rclip's model folder or just ``rclip``. Each leads to the registry entry of those weights (and says which), a
typo to the nearest id, and an Immich model the registry lacks to a message on importing its folder. Before,
every one of them was 'unknown model', with the list of ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from photosearch.errors import ManifestError
from photosearch.models.registry import load_registry
from tests.hub_server import real_hub
from tests.unit.test_hub_install import served

IMMICH_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "layouts" / "immich-clip"

KNOWN_AS = {
    "ViT-B-32__laion2b_s34b_b79k": "openclip-vit-b-32-laion2b",  # Immich's model name
    "immich-app/ViT-B-32__laion2b-s34b-b79k": "openclip-vit-b-32-laion2b",  # its hub repository
    "ViT-B-32__openai": "openai-clip-vit-b-32",  # Immich's name for the OpenAI weights
    "openai/clip-vit-base-patch32": "openai-clip-vit-b-32",
    "Xenova/clip-vit-base-patch32": "openai-clip-vit-b-32",
    "XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k": "xlm-roberta-base-vit-b-32",
    "nllb-clip-base-siglip__v1": "nllb-clip-base-siglip",
    "ViT-B-16-SigLIP__webli": "siglip-vit-b-16",
    "https://huggingface.co/immich-app/ViT-B-32-SigLIP2-256__webli": "siglip2-vit-b-32-256",
    "rclip": "openclip-vit-b-32-256-datacomp",  # what rclip downloads on its first run
    "ViT-B-32-256-datacomp_s34b_b86k": "openclip-vit-b-32-256-datacomp",  # rclip's model folder
}


@pytest.mark.parametrize("name", sorted(KNOWN_AS))
def test_a_name_known_elsewhere_leads_to_its_entry_and_says_so(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.cli import main

    monkeypatch.setenv("PHOTOSEARCH_HUB_URL", "https://huggingface.co")  # a dry run requests nothing
    assert main(["models", "install", name, "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == KNOWN_AS[name]
    assert main(["models", "install", name, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert out.err.startswith(f"note: '{name}' is ") and f"'{KNOWN_AS[name]}'" in out.err, out.err
    assert out.out.startswith(f"# {KNOWN_AS[name]}: ")


def test_installing_by_immichs_name_installs_the_entry_from_the_local_hub(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.cli import main

    entry = served(load_registry().get("openclip-vit-b-32-laion2b"))
    reg = {"format": "photosearch-registry/1", "default": entry.id, "models": [entry.to_json()]}
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setenv("PHOTOSEARCH_REGISTRY", str(tmp_path / "registry.json"))
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    with real_hub() as (base, _hub):
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        assert main(["models", "install", "ViT-B-32__laion2b_s34b_b79k", "-q"]) == 0
    out = capsys.readouterr()
    assert "is 'openclip-vit-b-32-laion2b' here" in out.err
    assert out.out.startswith("installed model openclip-vit-b-32-laion2b")
    assert main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in listing["installed"]] == ["openclip-vit-b-32-laion2b"]
    assert listing["active"] == "openclip-vit-b-32-laion2b"


def test_a_typo_gets_the_nearest_id() -> None:
    reg = load_registry()
    with pytest.raises(ManifestError, match="did you mean 'openclip-vit-b-32-laion2b'"):
        reg.get("openclip-vit-b-32-laion")
    with pytest.raises(ManifestError, match="did you mean 'siglip-vit-b-16'"):
        reg.get("siglip-vit-b16")


def test_an_immich_model_the_registry_lacks_says_how_to_import_its_folder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from photosearch.cli import main

    assert main(["models", "install", "ViT-B-16-SigLIP2__webli"]) == ManifestError.exit_code
    err = capsys.readouterr().err
    assert err.startswith("photosearch: unknown model 'ViT-B-16-SigLIP2__webli'")
    assert "photosearch models import FOLDER" in err and "…/clip/ViT-B-16-SigLIP2__webli" in err
    assert "did you mean" not in err  # another model, not a typo of one the registry has


def test_an_immich_model_folder_of_a_registry_model_is_imported_as_that_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Immich keeps each model in a folder named by the model (…/clip/ViT-B-32__laion2b_s34b_b79k). Before,
    importing it made a model 'vit-b-32__laion2b_s34b_b79k' of licence 'unknown', while 'models list' still
    offered the same weights for download; an NLLB folder lost the language prefix its text tower needs."""
    from photosearch.cli import main

    folder = tmp_path / "clip" / "ViT-B-32__laion2b_s34b_b79k"
    shutil.copytree(IMMICH_FIXTURE, folder)
    assert main(["models", "import", str(folder)]) == 0
    assert capsys.readouterr().out.startswith("installed model openclip-vit-b-32-laion2b (immich layout)")
    assert main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    (row,) = listing["installed"]
    assert (row["id"], row["licence"], row["commercial_use"]) == ("openclip-vit-b-32-laion2b", "MIT", True)
    assert "openclip-vit-b-32-laion2b" not in [r["id"] for r in listing["available"]]
    assert listing["active"] == "openclip-vit-b-32-laion2b"
    # a folder name the registry does not know stays as it was
    other = tmp_path / "clip" / "my-own-export"
    shutil.copytree(IMMICH_FIXTURE, other)
    assert main(["models", "import", str(other)]) == 0
    assert capsys.readouterr().out.startswith("installed model my-own-export (immich layout)")
