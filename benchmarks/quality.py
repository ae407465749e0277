"""Quality per second: every quality figure and the render time, over steps, objective and Adam.

    python benchmarks/quality.py [--steps 64 128 256 512 1024] [--images chelsea coffee astronaut]
                                 [--workdir DIR] [--no-naive] [--replot]

On the shipped photos at the default model, layer and tile size, renders the shared grid for each
step count × ``cossim_pow`` (0, 1) × Adam (dense, per_cell), and the two grids of
``configs/notebook.yaml`` (the reference), with the workflow's own stage code: ``extract``,
``factorize``, then one ``render.run_shard`` call for all photos together (a render job's work
after its imports) and ``assemble`` per photo. For each setting it prints, as means over the
photos: faithfulness, coherence, the seam ratio (lower is smoother; 1 = tiles in random places),
top-1 retrieval (a figure that does not reward cosine directly) and render seconds per photo.
Writes ``quality.json`` (every photo's figures), ``quality.md`` (the table) and ``quality.png``
(each figure against render seconds) beside this script.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
FIGURES = {  # name -> (where in metrics.json, higher is better)
    "faithfulness": (("faithfulness", "mean"), True),
    "coherence": (("coherence",), True),
    "seam": (("seam", "ratio"), False),
    "retrieval": (("retrieval", "mean"), True),
}


def defaults() -> tuple[dict, dict]:
    """The workflow's default config and configs/notebook.yaml's render settings over it."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    notebook = yaml.safe_load((REPO / "configs/notebook.yaml").read_text())
    return config, {**config["render"], **notebook["render"]}


def params(render_cfg: dict, method: str, **changes):
    """A render job's parameters for ``method``, from a ``render:`` config entry."""
    from actgrid.params import RenderParams

    return RenderParams.from_config({**render_cfg, **changes}, method)


def prepare(workdir: Path, names: list[str], config: dict):
    """Each photo's activations and NMF groups, as the workflow's first two stages make them."""
    from actgrid import extract, factorize, render
    from actgrid.models import from_config

    model_cfg = {"type": "embedded", **config["model"]}
    model = from_config(model_cfg)
    resize, layer = config["model"]["resize"], config["layers"][0]
    photos = []
    for name in names:
        acts, groups = workdir / f"{name}.activations.h5", workdir / f"{name}.groups.h5"
        if not acts.exists():
            extract.extract({name: REPO / f"data/default/{name}.png"}, acts, model, layer, resize)
        if not groups.exists():
            nmf = config["nmf"]
            factorize.run(acts, [name], groups, nmf["groups"], nmf["negative"], 0)
        photos.append(render.Subject(name, str(acts), str(groups)))
    return photos, model_cfg


def start(workdir: Path | None, names: list[str], prefix: str):
    """TensorFlow started as a render job starts it (on every core), the work folder (a new
    temporary one for None), the default and notebook configs, and the photos' activations and
    groups (``prepare``): what a benchmark of render settings measures with."""
    from actgrid.devices import start_tensorflow

    start_tensorflow(os.cpu_count(), True, None)
    workdir = workdir or Path(tempfile.mkdtemp(prefix=f"actgrid-{prefix}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    config, notebook_cfg = defaults()
    photos, model_cfg = prepare(workdir, names, config)
    return workdir, config, notebook_cfg, photos, model_cfg


def measure(workdir: Path, photos, model_cfg: dict, p, label: str) -> dict:
    """Render all photos with ``p`` in one render call, assemble each; their figures and time."""
    from actgrid import assemble, paths, render, viewer

    shard = workdir / f"{label}.h5"
    start = time.perf_counter()
    render.run_shard(photos, None, shard, p, 0, 1, model_cfg)
    seconds = (time.perf_counter() - start) / len(photos)
    per_photo = {}
    for photo in photos:
        folder = workdir / label / photo.name
        folder.mkdir(parents=True, exist_ok=True)
        out = SimpleNamespace(
            grid=str(folder / paths.GRID),
            side_by_side=str(folder / paths.SIDE_BY_SIDE),
            thumbnail=str(folder / paths.THUMBNAIL),
            metrics=str(folder / paths.METRICS),
            cells=str(folder / paths.CELLS),
        )
        report = assemble.assemble(
            photo.targets,
            [shard],
            photo.name,
            out,
            p.as_dict(),
            crop=2,
            coherence_side=8,
        )
        per_photo[photo.name] = {
            name: viewer.figure(report, keys, None) for name, (keys, _) in FIGURES.items()
        }
    row = {"label": label, "params": p.as_dict(), "seconds_per_photo": seconds, "photos": per_photo}
    row.update({name: float(np.mean([f[name] for f in per_photo.values()])) for name in FIGURES})
    return row


def settings(render_cfg: dict, notebook_cfg: dict, steps: list[int], naive: bool):
    """(label, params) of the notebook's grids and of the sweep."""
    out = [("notebook shared", params(notebook_cfg, "shared"))]
    if naive:
        out.append(("notebook naive", params(notebook_cfg, "naive")))
    for adam in ("dense", "per_cell"):
        for cossim_pow in (0, 1):
            for n in steps:
                p = params(render_cfg, "shared", steps=n, adam=adam, cossim_pow=cossim_pow)
                out.append((f"shared cos{cossim_pow} {adam} {n}", p))
    return out


def beats(row: dict, reference: dict) -> bool:
    """Whether ``row`` is at least as good as ``reference`` on every quality figure."""
    return all(
        (row[n] >= reference[n]) if higher else (row[n] <= reference[n])
        for n, (_, higher) in FIGURES.items()
    )


def table(rows: list[dict]) -> str:
    reference = rows[0]
    head = "| setting | steps | faithfulness | coherence | seam (lower: smoother) | top-1 retrieval | render s/photo | beats the notebook's shared grid |"
    lines = [head, "|" + "---|" * 8]
    for row in rows:
        verdict = "" if row is reference else ("**yes**" if beats(row, reference) else "no")
        lines.append(
            f"| {row['label']} | {row['params']['steps']} | {row['faithfulness']:.3f} | "
            f"{row['coherence']:.3f} | {row['seam']:.3f} | {row['retrieval']:.3f} | "
            f"{row['seconds_per_photo']:.1f} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(FIGURES), figsize=(4.2 * len(FIGURES), 3.8))
    series = {}
    for row in rows:
        if row["label"].startswith("shared "):
            series.setdefault(row["label"].rsplit(" ", 1)[0], []).append(row)
    for ax, (name, (_, higher)) in zip(axes, FIGURES.items()):
        for label, points in series.items():
            points.sort(key=lambda r: r["params"]["steps"])
            ax.plot(
                [r["seconds_per_photo"] for r in points],
                [r[name] for r in points],
                marker="o",
                label=label,
            )
        for row, marker in zip([r for r in rows if r["label"].startswith("notebook")], ("*", "X")):
            ax.scatter(
                row["seconds_per_photo"],
                row[name],
                marker=marker,
                s=160,
                c="k",
                label=row["label"],
                zorder=3,
            )
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("render seconds per photo (2 CPU cores)")
        ax.set_title(f"{name} ({'higher' if higher else 'lower'} is better)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--images", nargs="+", default=["chelsea", "coffee", "astronaut"])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--no-naive", action="store_true", help="skip the notebook's naive grid")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for quality.{json,md,png}")
    parser.add_argument("--replot", action="store_true", help="only redraw from quality.json")
    args = parser.parse_args()
    if args.replot:
        rows = json.loads((args.out / "quality.json").read_text())
        plot(rows, args.out / "quality.png")
        print(table(rows))
        return
    workdir, config, notebook_cfg, photos, model_cfg = start(args.workdir, args.images, "quality")
    rows = []
    for label, p in settings(config["render"], notebook_cfg, args.steps, not args.no_naive):
        rows.append(measure(workdir, photos, model_cfg, p, label.replace(" ", "_")))
        rows[-1]["label"] = label
        print(table(rows[:1] + rows[1:][-1:]).splitlines()[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quality.json").write_text(json.dumps(rows, indent=1) + "\n")
    (args.out / "quality.md").write_text(
        f"Photos: {', '.join(args.images)} (means); workdir {workdir}\n\n" + table(rows)
    )
    plot(rows, args.out / "quality.png")
    print(table(rows))


if __name__ == "__main__":
    main()
