"""Fast (reduced-size JPEG decoding) vs exact preprocessing: embedding cosine and decode time.

    python benchmarks/bench_preprocess.py [--model PATH ...]

The real-photo set is scikit-image's bundled sample photographs (as JPEGs) plus camera-size
(4000×3000, quality 90) JPEGs made from them; see tests/photos.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photosearch.models.encoders import ModelRuntime
from tests.photos import make_photo_set


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", help="model package folder (repeatable)")
    ap.add_argument("--camera", type=int, default=8, help="how many camera-size JPEGs to add")
    args = ap.parse_args()
    models = [Path(m) for m in (args.model or ["tests/fixtures/shapes-model"])]
    with tempfile.TemporaryDirectory() as tmp:
        photos = make_photo_set(Path(tmp), camera_size=args.camera)
        print(f"real-photo set: {len(photos)} JPEGs ({args.camera} camera-size 4000×3000)")
        print(f"{'model':32} {'min cos':>9} {'mean cos':>9} {'exact ms/12MP':>14} {'fast ms/12MP':>13}")
        for m in models:
            rt = ModelRuntime.from_path(m)
            pre = rt.preprocessor
            exact = rt.image.encode_paths(photos, exact=True)
            fast = rt.image.encode_paths(photos, exact=False)
            cos = np.sum(exact * fast, axis=1)
            cams = [p for p in photos if p.name.startswith("camera_")]
            t0 = time.perf_counter()
            for p in cams:
                pre.exact(p)
            t1 = time.perf_counter()
            for p in cams:
                pre.fast(p)
            t2 = time.perf_counter()
            n = max(1, len(cams))
            print(
                f"{rt.id:32} {cos.min():9.5f} {cos.mean():9.5f} {1000 * (t1 - t0) / n:14.0f} "
                f"{1000 * (t2 - t1) / n:13.0f}"
            )
            worst = photos[int(np.argmin(cos))].name
            print(f"{'':32} worst: {worst}")


if __name__ == "__main__":
    main()
