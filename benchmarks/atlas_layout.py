"""Which 2-D layout for the atlas: speed and quality of UMAP, t-SNE and PCA on a real sample.

    python benchmarks/atlas_layout.py SAMPLES_H5 [--eval 3000] [--grid-size 20]

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
"""

from __future__ import annotations

import argparse
import os
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("samples")
    ap.add_argument("--eval", type=int, default=3000)
    ap.add_argument("--grid-size", type=int, default=20)
    args = ap.parse_args()
    vectors = files.read_samples(args.samples)["vectors"]
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
        v, c = vectors[subset], coords[subset]
        trust = trustworthiness(v, c, n_neighbors=10, metric="cosine")
        print(
            f"| {name} | {seconds:.1f} | {trust:.3f} | {knn_recall(v, c):.3f} | "
            f"{bin_cosine(vectors, coords, args.grid_size):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
