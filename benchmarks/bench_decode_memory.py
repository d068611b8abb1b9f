"""Peak memory of ``photosearch index`` on hostile-sized photos (the per-decode memory budget).

    python benchmarks/bench_decode_memory.py [--jpegs 200]

Inputs (generated once under ``benchmarks/_inputs/decode-memory/``, never committed):

* ten 12000×12000 16-bit grey PNGs (~1 MB each on disk, 288 MB of pixels each);
* ten 20000×3000 8-bit RGB TIFFs (deflate; 180 MB of pixels each);
* ``--jpegs`` ordinary 12 MP (4000×3000) JPEGs.

Each set, then all of them together, is indexed by the real CLI (``python -m photosearch index``, default
decode workers) into a fresh data directory with the shapes test model (tiny: the figures are the
decoding's, a real ViT-B/32 adds its own ~0.3 GB); the child's peak RSS (``wait4``) is reported with the
counts indexed and skipped, and the skip reasons.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import INPUTS, ROOT, write_result

from tests.hostile import png_grey16
from tests.reliability._util import run_cli

WORK = INPUTS / "decode-memory"
SHAPES = ROOT / "tests" / "fixtures" / "shapes-model"
GOAL_MB = 1024


def build(jpegs: int) -> dict[str, Path]:
    sets = {"png16": WORK / "png16", "tiff": WORK / "tiff", "jpeg": WORK / f"jpeg{jpegs}"}
    rng = np.random.default_rng(0)
    if not (sets["png16"] / ".done").exists():
        sets["png16"].mkdir(parents=True, exist_ok=True)
        png = png_grey16(12000, 12000)
        for i in range(10):  # ten distinct files (a text chunk before IEND), the same dark frame
            (sets["png16"] / f"dark_{i:02d}.png").write_bytes(png[:-12] + _png_text(f"frame {i}") + png[-12:])
        (sets["png16"] / ".done").touch()
    if not (sets["tiff"] / ".done").exists():
        sets["tiff"].mkdir(parents=True, exist_ok=True)
        for i in range(10):
            ramp = np.linspace(i * 10, 255 - i * 10, 20000, dtype=np.float32).astype(np.uint8)
            arr = np.stack(
                [
                    np.tile(ramp, (3000, 1)),
                    np.tile(ramp[::-1], (3000, 1)),
                    np.full((3000, 20000), 20 * i, np.uint8),
                ],
                axis=-1,
            )
            Image.fromarray(arr).save(sets["tiff"] / f"pano_{i:02d}.tif", compression="tiff_deflate")
            del arr
        (sets["tiff"] / ".done").touch()
    if not (sets["jpeg"] / ".done").exists():
        sets["jpeg"].mkdir(parents=True, exist_ok=True)
        for i in range(jpegs):
            small = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
            img = np.asarray(small.resize((4000, 3000), Image.Resampling.BICUBIC), dtype=np.int16)
            img = np.clip(img + rng.integers(-12, 13, img.shape, dtype=np.int16), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(sets["jpeg"] / f"IMG_{i:04d}.jpg", quality=90)
        (sets["jpeg"] / ".done").touch()
    return sets


def _png_text(text: str) -> bytes:
    import struct
    import zlib

    body = b"Comment\x00" + text.encode()
    return (
        struct.pack(">I", len(body))
        + b"tEXt"
        + body
        + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    )


def index(folders: list[Path], model: Path = SHAPES) -> dict:
    data = Path(tempfile.mkdtemp(prefix="bench-decode-mem-"))
    try:
        # installed from another process: installing runs both towers once, and Linux keeps a process's peak
        # RSS across fork+exec, so a parent grown by it would inflate the child's figure (it did: 744 MB
        # for a run whose own peak is 288 MB)
        subprocess.run(
            [sys.executable, "-c", "import sys; from tests.reliability._util import install_model; "
             "from pathlib import Path; install_model(Path(sys.argv[1]), Path(sys.argv[2]))", str(data), str(model)],
            check=True, cwd=str(ROOT),
        )  # fmt: skip
        args = ["index", "--json", "-q"]
        for f in folders:
            args += ["--add", str(f)]
        t = time.perf_counter()
        r = run_cli(data, *args, timeout=3600)
        took = time.perf_counter() - t
        if r.returncode != 0:
            raise SystemExit(f"index failed: {r.stderr[-2000:]}")
        out = json.loads(r.stdout)
        status = json.loads(run_cli(data, "status", "--json").stdout)
        reasons = sorted({s["reason"] for s in status.get("skipped", [])})
        return {
            "peak_rss_mb": round(r.peak_rss_mb),
            "seconds": round(took, 1),
            "counts": out["counts"],
            "skip_reasons": reasons,
        }
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jpegs", type=int, default=200)
    ap.add_argument(
        "--model", type=Path, default=SHAPES, help="a model package (default: the shapes test model)"
    )
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.build_only:
        build(a.jpegs)
        return 0
    # the inputs are made in another process: Linux keeps a process's peak RSS across fork+exec, so a
    # parent grown by making them would inflate the children's figures
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--build-only", "--jpegs", str(a.jpegs)], check=True)
    sets = build(a.jpegs)  # already there: just the paths
    print(f"inputs ready ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    from _common import cpu_header

    print(cpu_header(), file=sys.stderr)
    res: dict = {"goal_mb": GOAL_MB, "model": a.model.name, "cpu": cpu_header()}
    for name, folder in sets.items():
        res[name] = index([folder], a.model)
        print(name, res[name], file=sys.stderr)
    res["all"] = index(list(sets.values()), a.model)
    print("all", res["all"], file=sys.stderr)
    print(json.dumps(res, indent=1))
    write_result("decode_memory", res)
    return 0 if all(v["peak_rss_mb"] <= GOAL_MB for k, v in res.items() if isinstance(v, dict)) else 1


if __name__ == "__main__":
    sys.exit(main())
