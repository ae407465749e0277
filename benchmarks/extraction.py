"""Extraction throughput: photos a second of the ``extract`` stage against the model's own
batched forward rate on the same machine.

    python benchmarks/extraction.py [--photos 128] [--batch 32]

Derives ``--photos`` photos from the shipped ones (``dataset.derive_photos``), as PNG and as
JPEG (quality 90: the format of ImageNet and of most photo datasets), builds the default model
once, then times for each format, side by side in one process: ``extract.extract`` on all of
them (what an extract job does after its imports: read, decode, fit to the model, one forward
pass a photo, write one ``activations.h5``), and the bare batched forward pass of the same
inputs (already decoded and fitted) at ``--batch`` photos a call, to the same layer. Each is
run three times and its fastest run kept. The stage's steady rate (past the model's build, which a
job pays once) is that of its photos past the first 8: (N - 8) / (time(N) - time(8)); the
ratio is that rate over the forward's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    from dataset import derive_photos

    from actgrid import extract, images
    from actgrid.devices import start_tensorflow
    from actgrid.models import from_config

    start_tensorflow(2)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    model_cfg, layer = config["model"], config["layers"][0]
    size, resize = model_cfg["input_size"], model_cfg["resize"]
    work = Path(tempfile.mkdtemp(prefix="actgrid-extraction-"))
    model = from_config(model_cfg, input_size=size)
    features = model.features(layer)
    for suffix in (".png", ".jpg"):
        paths = derive_photos(work / suffix[1:], args.photos, suffix=suffix)
        photos = {path.stem: str(path) for path in paths}

        def stage(n: int):
            return lambda: extract.extract(
                dict(list(photos.items())[:n]), work / "activations.h5", model, layer, resize
            )

        inputs = np.stack([images.model_input(path, size, resize) for path in paths]).astype(
            np.float32
        ) / np.float32(255)

        def batched() -> None:
            for i in range(0, len(inputs), args.batch):
                np.asarray(features(inputs[i : i + args.batch]))

        stage(8)()  # warm-up: the first calls build kernels
        batched()
        few, many = (min(_timed(stage(n)) for _ in range(3)) for n in (8, args.photos))
        forward = min(_timed(batched) for _ in range(3))
        steady = (args.photos - 8) / (many - few)  # past its fixed cost (the model's build)
        kb = np.mean([path.stat().st_size for path in paths]) / 1e3
        print(f"{suffix[1:].upper()} photos ({kb:.0f} kB on average)")
        print(
            f"  extract stage       {args.photos / many:6.1f} photos/s ({many:.2f} s, {args.photos})"
        )
        print(f"    past its fixed cost {steady:6.1f} photos/s ({few:.2f} s for 8 photos)")
        print(f"  batched forward     {args.photos / forward:6.1f} photos/s ({forward:.2f} s)")
        print(f"  ratio {steady * forward / args.photos:.2f} (target >= 0.6)")


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
