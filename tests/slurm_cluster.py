"""A real single-node SLURM (Debian's slurm-wlm and munge), started by hand for tests.

    python tests/slurm_cluster.py DIR     # start, print the SLURM_CONF to export, wait for Ctrl-C

The node has a fake GPU (gres backed by /dev/null) so GPU requests are accepted. Every daemon
this starts is stopped by its pid; a munged that was already running is left alone.

The configuration goes to /etc/slurm (any files there are moved aside and restored on stop):
snakemake's SLURM job step drops SLURM_CONF before calling srun, so, as on a real cluster, the
configuration must be where every SLURM command looks by default.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SLURM_CONF = """\
ClusterName=actgrid
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MinJobAge=600
ReturnToService=2
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
GresTypes=gpu
NodeName={host} CPUs={cpus} RealMemory={mem_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
GRES_CONF = "NodeName={host} Name=gpu File=/dev/null\n"
MUNGE_DIRS = ["/run/munge", "/var/lib/munge", "/var/log/munge"]
CONF_DIR = Path("/etc/slurm")
CONF_FILES = ("slurm.conf", "gres.conf")


def available() -> bool:
    return all(shutil.which(cmd) for cmd in ("slurmctld", "slurmd", "munged", "sbatch"))


class SingleNodeSlurm:
    def __init__(self, folder: Path, cpus: int | None = None, mem_mb: int = 8000):
        self.dir = Path(folder)
        self.host = socket.gethostname()
        self.cpus = cpus or os.cpu_count()
        self.mem_mb = mem_mb
        self.conf = CONF_DIR / "slurm.conf"
        self.pids: list[int] = []
        self.moved: list[Path] = []

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def start(self, timeout: float = 60) -> None:
        for sub in ("state", "spool"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        values = dict(
            host=self.host,
            dir=self.dir,
            cpus=self.cpus,
            mem_mb=self.mem_mb,
            ctld_port=_free_port(),
            d_port=_free_port(),
        )
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        for name in CONF_FILES:
            if (CONF_DIR / name).exists():
                (CONF_DIR / name).rename(self.dir / f"{name}.saved")
                self.moved.append(CONF_DIR / name)
        self.conf.write_text(SLURM_CONF.format(**values))
        (CONF_DIR / "gres.conf").write_text(GRES_CONF.format(**values))
        self._start_munge()
        subprocess.run(["slurmctld", "-c", "-i"], env=self.env, check=True)
        self.pids.append(_read_pid(self.dir / "slurmctld.pid", timeout))
        subprocess.run(["slurmd", "-N", self.host], env=self.env, check=True)
        self.pids.append(_read_pid(self.dir / "slurmd.pid", timeout))
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = self.run("sinfo", "-h", "-o", "%T").stdout.strip()
            if state in ("idle", "mixed", "allocated"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"SLURM node did not come up (state {state!r}); see {self.dir}")

    def _start_munge(self) -> None:
        if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode == 0:
            return  # already running: not ours to stop
        for d in MUNGE_DIRS:
            Path(d).mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True)
        self.pids.append(_read_pid(Path("/run/munge/munged.pid"), 20))

    def run(self, *cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True)

    def stop(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        self.pids.clear()
        for name in CONF_FILES:
            (CONF_DIR / name).unlink(missing_ok=True)
        for path in self.moved:
            (self.dir / f"{path.name}.saved").rename(path)
        self.moved.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_pid(path: Path, timeout: float) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().split()[0])
        time.sleep(0.1)
    raise RuntimeError(f"no pid file {path}")


if __name__ == "__main__":
    cluster = SingleNodeSlurm(Path(sys.argv[1]).resolve())
    cluster.start()
    print(f"export SLURM_CONF={cluster.conf}", flush=True)
    try:
        signal.pause()
    finally:
        cluster.stop()
