"""Only the decoders we mean to run: files whose content is EPS, PostScript, PDF, SVG, PSD … are skipped
with a plain reason whatever they are called, and no external program ever runs on photo content
(``strace -f`` sees no child process, even with a ``gs`` on the PATH that Pillow's EPS plugin would call).
MPO camera files and names ending in a space are indexed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.errors import UnreadableImage
from photosearch.library.imaging import open_image, photo_formats
from tests.reliability._util import REPO, cli_env, install_model, make_photos, run_cli

DISGUISED = {
    "eps.jpg": (
        "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n"
        "showpage\n%%EOF\n",
        "PostScript",
    ),
    "ps.jpg": (
        "%!PS\n/Helvetica findfont 12 scalefont setfont 72 72 moveto (hi) show showpage\n",
        "PostScript",
    ),
    "pdf.jpg": ("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n", "PDF"),
    "svg.jpg": (
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>\n',
        "SVG",
    ),
    "psd.jpg": ("8BPS\x00\x01" + "\x00" * 40, "Photoshop"),
    "fits.jpg": ("SIMPLE  =                    T" + " " * 50, "FITS"),
}


def _write_disguised(folder: Path) -> dict[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, (content, kind) in DISGUISED.items():
        p = folder / name
        p.write_bytes(content.encode("latin-1"))
        out[p] = kind
    return out


def _fake_gs(tmp_path: Path) -> Path:
    """A ``gs`` on the PATH (Pillow's EPS plugin looks for it): if it ever runs, it leaves a mark."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gs = bin_dir / "gs"
    mark = tmp_path / "gs-ran"
    gs.write_text(f"#!/bin/sh\necho ran >> {mark}\nexit 1\n")
    gs.chmod(0o755)
    return bin_dir


def test_only_photo_decoders_are_allowed() -> None:
    formats = photo_formats()
    assert {"JPEG", "PNG", "TIFF", "GIF", "BMP"} <= set(formats)
    assert not {"EPS", "PDF", "PSD", "FITS", "ICNS", "SVG"} & set(formats)


@pytest.mark.parametrize("name", sorted(DISGUISED))
def test_foreign_formats_disguised_as_jpeg_are_skipped_with_the_reason(tmp_path: Path, name: str) -> None:
    p = next(iter(k for k in _write_disguised(tmp_path) if k.name == name))
    with pytest.raises(UnreadableImage) as e:
        open_image(p)
    assert DISGUISED[name][1] in e.value.reason and "not a photo" in e.value.reason


def test_index_runs_no_external_program_on_disguised_files(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    """``photosearch index`` on EPS/PS/PDF/SVG named .jpg, with a ``gs`` on the PATH: all skipped with the
    reason, and ``strace -f -e execve`` shows no child process (the negative control shows the same
    detector catching Pillow's unrestricted open calling ``gs``)."""
    from tests.reliability import nettrace

    why = nettrace.strace_available()
    if why:
        pytest.skip(why)
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    kinds = _write_disguised(photos)
    make_photos(photos, 2)
    env = cli_env(data_dir, PATH=f"{_fake_gs(tmp_path)}{os.pathsep}{os.environ.get('PATH', '')}")
    t = nettrace.run_traced(
        [sys.executable, "-m", "photosearch", "index", "--json", "--add", str(photos)],
        env=env,
        cwd=str(REPO),
        unix_ok=lambda p: True,
        netns=[],
    )
    assert t.returncode == 0, t.stderr
    assert not t.children, t.children
    assert not (tmp_path / "gs-ran").exists()
    status = run_cli(data_dir, "status", "--json", env=env)
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(status.stdout)["skipped"]}
    for p, kind in kinds.items():
        assert kind in skipped.get(p.name, ""), (p.name, skipped)
    assert json.loads(t.stdout)["counts"]["indexed"] == 2

    # negative control: Pillow left to pick any decoder renders the EPS with the gs it finds
    control = (
        "import sys\nfrom PIL import Image\ntry:\n    Image.open(sys.argv[1]).load()\n"
        "except Exception as e:\n    print(type(e).__name__, e)\n"
    )
    c = nettrace.run_traced(
        [sys.executable, "-c", control, str(photos / "eps.jpg")],
        env=env,
        cwd=str(REPO),
        unix_ok=lambda p: True,
        netns=[],
    )
    assert any("gs" in line for line in c.children), c.children
    assert (tmp_path / "gs-ran").exists()


def test_mpo_and_names_ending_in_a_space_are_indexed(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(3)
    a = Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8))
    a.save(photos / "stereo.mpo", save_all=True, append_images=[a.rotate(5)], format="MPO")
    make_photos(photos / "sub", 1)
    src = next((photos / "sub").glob("*.jpg"))
    src.rename(photos / "trailing space.jpg ")
    r = run_cli(data_dir, "index", "--json", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["counts"]["indexed"] == 2 and out["counts"]["error"] == 0, out
    d = open_image(photos / "stereo.mpo", draft_short_side=16)
    assert d.format == "mpo" and (d.width, d.height) == (80, 60)


def test_cli_search_by_a_disguised_reference_says_why(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 2)
    assert run_cli(data_dir, "index", "-q", "--add", str(photos)).returncode == 0
    ref = _write_disguised(tmp_path / "refs")
    eps = next(p for p in ref if p.name == "eps.jpg")
    r = subprocess.run(
        [sys.executable, "-m", "photosearch", "search", "--image", str(eps)],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "PostScript" in r.stderr, r.stderr


# -- bounded memory per decode ---------------------------------------------------------------------------

MEMORY_PROBE = """
import sys
from photosearch.errors import UnreadableImage
from photosearch.library.imaging import open_image
try:
    d = open_image(sys.argv[1], draft_short_side=224)
    print("decoded", d.image.size, d.width, d.height)
except UnreadableImage as e:
    print("skipped:", e.reason)
# VmHWM: this process's own peak (ru_maxrss would include the parent's size at fork: Linux keeps it
# across exec, and the test runner is big)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print("peak_mb", int(hwm.split()[1]) / 1024)
"""


def _probe(path: Path) -> tuple[str, float]:
    r = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path)],
        env=cli_env(Path("/nonexistent")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    return lines[0], float(lines[-1].split()[1])


def test_a_16_bit_png_over_the_budget_is_refused_from_its_header(tmp_path: Path) -> None:
    """The issue's 1.1 MB 12000×12000 16-bit grey PNG (3.77 GB peak before): refused with the reason,
    never decoded — the process stays at its start-up size."""
    from tests.hostile import png_grey16

    p = tmp_path / "dark.png"
    p.write_bytes(png_grey16(12000, 12000))
    assert p.stat().st_size < 2_000_000
    what, peak = _probe(p)
    assert what.startswith("skipped:") and "memory limit" in what and "16-bit grey" in what, what
    assert peak < 250, peak


def test_big_images_under_the_budget_decode_shrunk(tmp_path: Path) -> None:
    """A 20000×3000 TIFF (180 MB of pixels) decodes, shrunk before conversion; a 16-bit grey PNG under the
    budget keeps its tones (no int64 copy of the whole image)."""
    from tests.hostile import png_grey16

    t = tmp_path / "pano.tif"
    ramp = np.linspace(0, 255, 20000, dtype=np.float32).astype(np.uint8)
    Image.fromarray(np.stack([np.tile(ramp, (3000, 1))] * 3, axis=-1)).save(t, compression="tiff_deflate")
    what, peak = _probe(t)
    assert what.startswith("decoded") and "20000 3000" in what, what
    assert peak < 600, peak
    g = tmp_path / "grey16.png"
    g.write_bytes(png_grey16(3000, 2000))
    d = open_image(g)
    assert d.image.mode == "RGB" and d.image.size == (3000, 2000)
    assert d.image.getpixel((5, 5)) == (0, 0, 0) or d.image.getpixel((5, 5))[0] == 0x40 * 255 // 65535


def test_the_budget_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.png"
    Image.new("RGB", (1000, 1000)).save(p)
    monkeypatch.setenv("PHOTOSEARCH_DECODE_BUDGET_MB", "1")
    with pytest.raises(UnreadableImage, match="memory limit"):
        open_image(p)
    monkeypatch.delenv("PHOTOSEARCH_DECODE_BUDGET_MB")
    assert open_image(p).image.size == (1000, 1000)
