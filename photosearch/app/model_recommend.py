"""The model to suggest on the first run (``recommend_model``), and a registry entry's published quality in
plain words (``quality_words``: the model list's and the recommendation's). Split from
``photosearch.app.models``, which re-exports ``Recommendation`` and ``recommend_model``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from photosearch.models.registry import Registry, RegistryEntry, load_registry


def quality_words(entry: RegistryEntry | None) -> tuple[str, str]:
    if entry is None:
        return "", ""
    q = entry.quality or {}
    im = q.get("immich_crossmodal3600") or {}
    coco = q.get("coco5k_t2i_recall_1_5_10") or []
    details = []
    if im.get("english") is not None:
        details.append(
            f"Crossmodal-3600 recall {im['english']} (English), {im.get('french')} (French), Immich's table"
        )
    if coco and coco[0] is not None:
        details.append(f"COCO R@1 {coco[0]}")
    # plain words from the published figures: Immich's Crossmodal-3600 English recall, else COCO-5k R@1
    en, coco1 = im.get("english"), (coco[0] if coco else None)
    if en is not None:
        plain = "very good" if en >= 71 else "good" if en >= 67 else "fair"
    elif coco1 is not None:
        plain = "very good" if coco1 >= 45 else "good" if coco1 >= 37 else "fair"
    else:
        plain = ""
    if plain and "multilingual" in entry.languages:
        plain += ", many languages"
    return plain, "; ".join(details)


@dataclass(frozen=True)
class Recommendation:
    entry: RegistryEntry
    reason: str  # plain words
    details: str  # the jargon, for a details line
    alternatives: tuple[str, ...] = field(default_factory=tuple)


def machine() -> tuple[int | None, int]:
    """(RAM in bytes or None, logical CPUs)."""
    ram = None
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = None
    return ram, os.cpu_count() or 1


def recommend_model(
    registry: Registry | None = None, ram_bytes: int | None = None, cpus: int | None = None
) -> Recommendation:
    """The model to suggest on first run: the registry's fast default on an ordinary computer; the better
    SigLIP ViT-B/16 only where there are CPUs and memory to spare."""
    registry = registry or load_registry()
    if ram_bytes is None and cpus is None:
        ram_bytes, cpus = machine()
    cpus = cpus or 1
    gb = (ram_bytes or 0) / 2**30
    default = registry.default_entry
    by_id = {e.id: e for e in registry.models}
    upgrade = by_id.get("siglip-vit-b-16")
    if upgrade is not None and cpus >= 8 and gb >= 16:
        return Recommendation(
            upgrade,
            f"the more accurate model. This computer has {cpus} processor cores and {gb:.0f} GB of memory, "
            "enough for it: it finds the right photos more often, and reading your photos takes about four "
            "times longer. Free for any use.",
            f"{upgrade.name}; {quality_words(upgrade)[1]}; {upgrade.licence}; ~{upgrade.approx_download_mb:,.0f} MB",
            (default.id,),
        )
    memory = f"{gb:.0f} GB of memory" if ram_bytes else "its memory"
    return Recommendation(
        default,
        f"the fast model. It suits this computer ({cpus} processor cores, {memory}): your photos are ready "
        "to search sooner, and its results are among the best of the fast models. Free for any use.",
        f"{default.name}; {quality_words(default)[1] or 'COCO R@1 39.9, Flickr30k R@1 64.9'}; {default.licence}; "
        f"~{default.approx_download_mb or 0:,.0f} MB download",
        tuple(e.id for e in (upgrade,) if e is not None),
    )
