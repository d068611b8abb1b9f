"""The real photographs within reach here: about 60 distinct ones that Debian packages and scikit-image ship
(see ../shared/reference/retrieval-facts.md), plus opencv-doc's six photos of text in the wild.

``ensure()`` downloads the packages with ``apt-get download`` (no root install) into a cache folder, unpacks them
with ``dpkg -x`` and returns the photographs' paths; nothing is committed. Drawn art that the same packages
ship (most KDE wallpapers, abstract MATE backgrounds) is left out by name. Used by the OCR benchmark and meant
for the relevance-line evaluation too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

CACHE = Path(__file__).resolve().parent / "_inputs" / "debian-photos"

PACKAGES = ["plasma-workspace-wallpapers", "mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
            "palapeli-data", "opencv-doc"]  # fmt: skip

PLASMA = ["BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey", "Kite",
          "OneStandsOut", "Path", "Volna", "summer_1am"]  # fmt: skip
LOMIRI = ["Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Kleiber_by_Lukas_Baubkus", "Picture_0B_by_freespace",
          "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi", "free_by_Peter_Nerlich",
          "friends_by_Aitzol_Berasategi", "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
          "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi"]  # fmt: skip
MATE = ["Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm", "TwoWings",
        "Wood", "YellowFlower"]  # fmt: skip
PALAPELI = [
    "cincinnati-bridge",
    "european-honey-bee",
    "panther-chameleon-female",
    "castle-maintenon",
    "citrus-fruits",
]
OPENCV = ["aero1", "aero3", "apple", "baboon", "building", "butterfly", "fruits", "home", "leuvenA", "leuvenB",
          "messi5", "orange", "squirrel_cls", "stuff"]  # fmt: skip
SKIMAGE = ["astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "hubble_deep_field"]


def _unpacked(cache: Path) -> Path:
    root = cache / "root"
    stamp = cache / "unpacked.stamp"
    if stamp.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", "-qq", *PACKAGES], cwd=cache, check=True)
    for deb in sorted(cache.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
        deb.unlink()
    stamp.write_text("ok\n")
    return root


def _largest(folder: Path) -> Path | None:
    files = [p for p in folder.glob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}]
    return max(files, key=lambda p: p.stat().st_size) if files else None


def ensure(cache: Path = CACHE, with_skimage: bool = True) -> list[Path]:
    """The photographs (one file each, the largest size a package has), downloading them once."""
    root = _unpacked(cache)
    out: list[Path] = []
    for name in PLASMA:
        p = _largest(root / "usr/share/wallpapers" / name / "contents/images")
        if p:
            out.append(p)
    out += [root / "usr/share/backgrounds" / f"{n}.jpg" for n in LOMIRI]
    out += [root / "usr/share/backgrounds/mate/nature" / f"{n}.jpg" for n in MATE]
    out += [root / "usr/share/palapeli/collection" / f"{n}.jpg" for n in PALAPELI]
    out += [root / "usr/share/doc/opencv-doc/examples/data" / f"{n}.jpg" for n in OPENCV]
    if with_skimage:
        out += _skimage(cache)
    missing = [p for p in out if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"expected photographs not found: {missing[:3]}")
    return out


def scene_text(cache: Path = CACHE) -> list[Path]:
    """opencv-doc's photos of real text in the wild (signs), with what they say."""
    root = _unpacked(cache)
    return sorted((root / "usr/share/doc/opencv-doc/examples/text").glob("scenetext0*.jpg"))


def _skimage(cache: Path) -> list[Path]:
    try:
        from skimage import data
    except ImportError:
        return []
    from PIL import Image

    folder = cache / "skimage"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in SKIMAGE:
        path = folder / f"{name}.png"
        if not path.exists():
            try:
                pixels = getattr(data, name)()
            except Exception:  # a sample that is fetched at run time: not available offline
                continue
            if isinstance(pixels, tuple):  # the stereo pair: its left photo
                pixels = pixels[0]
            Image.fromarray(pixels).convert("RGB").save(path)
        out.append(path)
    return out


def dictionary(cache: Path = CACHE) -> Path:
    """An English word list (Debian's wamerican), for text to render onto photos."""
    words = cache / "dict" / "usr/share/dict/words"
    if not words.exists():
        (cache / "dict").mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "-qq", "wamerican"], cwd=cache / "dict", check=True)
        for deb in (cache / "dict").glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(cache / "dict")], check=True)
            deb.unlink()
    return words


if __name__ == "__main__":
    photos = ensure()
    print(f"{len(photos)} photographs, {len(scene_text())} scene-text photos under {CACHE}")
