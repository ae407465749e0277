"""The jobs' software environments are truthful, and the workflow runs as a module of another
workflow: a Snakefile outside the checkout, run by an interpreter that holds only the
environment's packages (and Snakemake), with actgrid not installed."""

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from workflow_helpers import REPO, TINY, add_image

ENVS = {"cpu": REPO / "envs/actgrid.yaml", "cuda": REPO / "envs/actgrid-cuda.yaml"}
PROVIDED = {"actgrid", "snakemake"}  # the workflow folder; Snakemake (the job's preamble)


def env_requirements(path: Path) -> list[Requirement]:
    deps = yaml.safe_load(path.read_text())["dependencies"]
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict)]
    return [Requirement(r) for r in pip]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    """Top-level modules that actgrid/ and scripts/ import, besides the standard library."""
    found = set()
    for path in [*(REPO / "actgrid").rglob("*.py"), *(REPO / "scripts").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__"} - PROVIDED


def closure(requirements: list[Requirement]) -> set[str]:
    """The installed distributions ``requirements`` need, dependencies included (no extras)."""
    todo, seen = [r.name for r in requirements], set()
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:  # not for this platform or Python: not needed here
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_both_environments_list_the_same_packages_and_cover_every_import():
    cpu, cuda = (env_requirements(path) for path in ENVS.values())
    assert [str(r) for r in cpu] == [str(r).replace("[and-cuda]", "") for r in cuda]
    assert [r.extras for r in cuda if r.name == "tensorflow"] == [{"and-cuda"}]
    listed = {canonical(r.name) for r in cpu}
    providers = md.packages_distributions()
    for module in imported_modules():
        dists = {canonical(d) for d in providers.get(module, [])}
        assert dists & closure(cpu), f"{module} (from {dists}) is in no environment package"
    pyproject = {canonical(Requirement(r).name) for r in _pyproject_dependencies()}
    assert listed == pyproject - PROVIDED  # the same software as README's pip install


def _pyproject_dependencies() -> list[str]:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


def test_every_job_rule_names_an_environment_and_render_rules_the_cuda_one():
    for smk in (REPO / "rules").glob("*.smk"):
        text = smk.read_text()
        for rule, body in re.findall(r"^rule (\w+):\n((?:    .*\n|\n)*)", text, flags=re.M):
            if "script:" in body:
                env = "actgrid-cuda.yaml" if "gpu=1" in body else "actgrid.yaml"
                assert f'"../envs/{env}"' in body, (smk.name, rule)


def env_interpreter(path: Path, requirements: list[Requirement]) -> Path:
    """A virtual environment holding only the installed distributions ``requirements`` need
    (linked from this interpreter's site-packages, nothing downloaded); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(path)}))
    for name in sorted(closure(requirements)):
        dist = md.distribution(name)
        for top in {Path(f).parts[0] for f in dist.files or []}:
            source = Path(dist.locate_file(top))
            target = site / top
            if top == ".." or top.endswith(".pth") or target.exists() or not source.exists():
                continue
            target.symlink_to(source)
    return path / "bin/python"


MODULE_SNAKEFILE = """\
configfile: "config.yaml"


module actgrid:
    snakefile:
        "{repo}/Snakefile"
    config:
        config["actgrid"]


use rule * from actgrid as actgrid_*


rule all:
    default_target: True
    input:
        rules.actgrid_all.input,
"""


@pytest.mark.slow
def test_a_workflow_of_ones_own_runs_actgrid_as_a_module_with_only_the_environment(tmp_path):
    python = env_interpreter(
        tmp_path / "env", env_requirements(ENVS["cpu"]) + [Requirement("snakemake")]
    )
    bare = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    missing = subprocess.run(
        [python, "-c", "import actgrid"], capture_output=True, env=bare, cwd=tmp_path
    )
    assert b"No module named 'actgrid'" in missing.stderr  # not installed there
    work = tmp_path / "mine"
    (work / "images").mkdir(parents=True)
    add_image(work, "chelsea")
    (work / "Snakefile").write_text(MODULE_SNAKEFILE.format(repo=REPO))
    config = {**TINY, "results": "out/actgrid", "datasets": {"mine": {"images": "images"}}}
    (work / "config.yaml").write_text(yaml.safe_dump({"actgrid": config, "other": 1}))
    done = subprocess.run(
        [python, "-m", "snakemake", "--cores", "2"],
        cwd=work,
        capture_output=True,
        text=True,
        env=bare,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "actgrid_render_shard" in done.stdout + done.stderr  # the module's rules, prefixed
    (grid,) = (work / "out/actgrid/mine/batches").glob(
        "*/block10_dw_relu/*/nmf3/W24_*/grids/chelsea/grid.png"
    )
    assert (grid.parent / "viewer.html").is_file()
    assert (work / "out/actgrid/mine/index.html").is_file()
