"""Which 2-D layout for the atlas: speed and quality of UMAP, t-SNE and PCA on a real sample.

    python benchmarks/atlas_layout.py SAMPLES_H5 [--eval 3000] [--grid-size 20]
    python benchmarks/atlas_layout.py SAMPLES_H5 --sizes 10000 100000 1000000 [--pca 0 50]

SAMPLES_H5: an atlas's ``samples.h5`` (e.g. from ``python benchmarks/atlas.py``, under
``results/bench/atlas/<model>/<layer>/``). Each method lays out every vector; printed per method:
wall seconds, and on ``--eval`` random vectors (cosine distance in the layer, Euclidean in 2-D):

- trustworthiness (scikit-learn, 10 neighbours): 1 when a point's 2-D neighbours are all close
  in the layer too;
- kNN recall: the share of each point's 10 nearest vectors in the layer that are among its 10
  nearest in 2-D;
- bin cosine: binned as the atlas bins (``--grid-size``, bins of 3 or more), the mean cosine of
  each vector to its bin's mean: how alike the vectors a tile stands for are.

Methods: umap-learn as the workflow runs it (``atlas.embed``: seeded on one thread, or unseeded
on every core: ``atlas.reproducible_layout``), openTSNE and scikit-learn's t-SNE (cosine, where
installed), PCA.

With ``--sizes``: umap-learn alone, at each size (the first that many of a seeded shuffle of
the sample's vectors; e.g. ``python benchmarks/atlas_scale.py --photos 5120
--samples-per-photo 196 --until atlas_sample`` makes a sample of a million), seeded and on
every core, on the vectors themselves (``--pca 0``) or on their projection on that many axes
(``atlas.reduce``, the ``atlas.pca`` setting): seconds and peak memory (each in a process of
its own, GNU time; past a first call on 5,000 vectors that compiles what it uses), then the
figures above. ``--modes`` picks ``seeded`` and/or ``all cores``;
``--limit`` seconds stop a case (reported so).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from actgrid import atlas, files, metrics


def opentsne_layout(vectors):
    from openTSNE import TSNE

    return np.asarray(TSNE(metric="cosine", random_state=0, n_jobs=2).fit(vectors))


def sklearn_tsne_layout(vectors):
    from sklearn.manifold import TSNE

    return TSNE(metric="cosine", init="pca", random_state=0).fit_transform(vectors)


METHODS = {
    "umap-learn, seeded (reproducible_layout: true)": lambda v: atlas.embed(v, 15, 0.1, 0),
    "umap-learn, all cores (reproducible_layout: false)": lambda v: atlas.embed(
        v, 15, 0.1, 0, os.cpu_count()
    ),
    "openTSNE": opentsne_layout,
    "scikit-learn t-SNE": sklearn_tsne_layout,
    "PCA": lambda v: PCA(2, random_state=0).fit_transform(v),
}


def knn_recall(vectors, coords, k=10) -> float:
    high = NearestNeighbors(n_neighbors=k + 1, metric="cosine").fit(vectors)
    low = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    a = high.kneighbors(return_distance=False)[:, :k]
    b = low.kneighbors(return_distance=False)[:, :k]
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(a, b)]))


def bin_cosine(vectors, coords, n) -> float:
    bin_of = atlas.bin_places(coords, n)
    filled, targets, _ = atlas.bin_targets(vectors, bin_of, n, 3)
    mean_of = dict(zip(filled, metrics.unit_rows(targets)))
    keep = np.isin(bin_of, filled)
    unit = metrics.unit_rows(vectors[keep])
    return float(np.mean([u @ mean_of[b] for u, b in zip(unit, bin_of[keep])]))


def quality(vectors, coords, subset, grid_size) -> str:
    v, c = vectors[subset], coords[subset]
    trust = trustworthiness(v, c, n_neighbors=10, metric="cosine")
    return f"{trust:.3f} | {knn_recall(v, c):.3f} | {bin_cosine(vectors, coords, grid_size):.3f}"


def one_case(args) -> None:
    """A child process: one size, mode and PCA; its layout into ``--out``."""
    vectors = np.load(args.vectors, mmap_mode="r")[: args.one]
    threads = None if args.mode == "seeded" else os.cpu_count()
    # numba compiles the functions this mode uses (nearest neighbours by NN-descent past 4,096)
    atlas.embed(np.asarray(vectors[:5000]), 15, 0.1, 0, threads, args.pca[0])
    start = time.perf_counter()
    coords = atlas.embed(np.asarray(vectors), 15, 0.1, 0, threads, args.pca[0])
    print(f"seconds {time.perf_counter() - start:.1f}")
    np.save(args.out, coords)


def scaling(args, vectors) -> None:
    shuffled = vectors[np.random.default_rng(0).permutation(len(vectors))]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/v.npy", shuffled)
        print(f"{len(vectors)} vectors × {vectors.shape[1]} channels; quality on {args.eval}")
        print(
            "| vectors | mode | PCA | seconds | peak MB | trustworthiness | kNN recall | bin cosine |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for size in args.sizes:
            subset = np.random.default_rng(1).choice(size, min(args.eval, size), False)
            for mode in args.modes:
                for pca in args.pca:
                    cmd = [
                        "/usr/bin/time",
                        "-v",
                        sys.executable,
                        __file__,
                        "-",
                        "--one",
                        str(size),
                        "--mode",
                        mode,
                        "--pca",
                        str(pca),
                        "--vectors",
                        f"{tmp}/v.npy",
                        "--out",
                        f"{tmp}/c.npy",
                    ]
                    label = f"| {size} | {mode} | {pca or 'none'} |"
                    try:
                        done = subprocess.run(
                            cmd, capture_output=True, text=True, timeout=args.limit
                        )
                    except subprocess.TimeoutExpired:
                        print(f"{label} over {args.limit} s (stopped) | | | | |", flush=True)
                        continue
                    if done.returncode:
                        sys.exit(done.stderr[-3000:])
                    seconds = re.search(r"^seconds ([\d.]+)", done.stdout, re.M)[1]
                    peak = (
                        int(
                            re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)[
                                1
                            ]
                        )
                        / 1024
                    )
                    coords = np.load(f"{tmp}/c.npy")
                    figures = quality(shuffled[:size], coords, subset, args.grid_size)
                    print(f"{label} {seconds} | {peak:.0f} | {figures} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("samples")
    ap.add_argument("--eval", type=int, default=3000)
    ap.add_argument("--grid-size", type=int, default=20)
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--pca", type=int, nargs="+", default=[0, 50])
    ap.add_argument("--modes", nargs="+", default=["seeded", "all cores"])
    ap.add_argument("--limit", type=float, default=3600)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--vectors", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one_case(args)
    vectors = files.read_samples(args.samples)["vectors"]
    if args.sizes:
        return scaling(args, vectors)
    subset = np.random.default_rng(0).choice(len(vectors), min(args.eval, len(vectors)), False)
    start = time.perf_counter()
    atlas.embed(vectors[:300], 15, 0.1, 0)  # numba compiles UMAP's functions on first use
    print(f"{len(vectors)} vectors × {vectors.shape[1]} channels; quality on {len(subset)}")
    print(
        f"(UMAP's first call, 300 vectors, imports and compiling: {time.perf_counter() - start:.0f} s)\n"
    )
    print("| method | seconds | trustworthiness | kNN recall | bin cosine |\n|---|---|---|---|---|")
    for name, method in METHODS.items():
        start = time.perf_counter()
        try:
            coords = np.asarray(method(vectors), np.float32)
        except ImportError as e:
            print(f"| {name} | not installed ({e.name}) | | | |")
            continue
        seconds = time.perf_counter() - start
        print(
            f"| {name} | {seconds:.1f} | {quality(vectors, coords, subset, args.grid_size)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
