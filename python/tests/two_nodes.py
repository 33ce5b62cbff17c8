"""A real two-node Ray cluster on this machine, as CI runs it.

    python python/tests/two_nodes.py --ecsim target/release/ecsim --out DIR

1. `ray start --head --num-cpus 1`, then a second node (`ray start --address
   ... --num-cpus 1 --block`, in a process group of its own);
2. the shipped placement study through `python -m ecsim.ray sweep FILE
   --address ...`: the same bytes as `ecsim sweep --jobs 2`; timed against it
   (cold: the cluster's first sweep; warm: its workers started);
3. the study again, with the second node killed (SIGKILL to its process
   group) as soon as the first batch is back: Ray retries the lost tasks on
   the head and the folder is still complete and byte-identical;
4. `ray stop` at the end, whatever happened.

Prints the timings (the README quotes them) and exits non-zero on any
difference.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "scenarios" / "sweeps" / "placement-strategy.toml"
PORT = "6390"
HEAD_IP = "127.0.0.1"
# The second node's address: another loopback address, so that no driver
# on this machine takes it for its own node.
SECOND_IP = "127.0.0.2"


def sh(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=True, **kw)


def same_folders(a: Path, b: Path) -> list:
    """Relative paths that differ between two folders (missing, extra or
    different bytes)."""
    names = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
    na, nb = names(a), names(b)
    diff = sorted(set(na) ^ set(nb))
    for n in set(na) & set(nb):
        if not filecmp.cmp(a / n, b / n, shallow=False):
            diff.append(n)
    return diff


def alive_nodes(ray) -> int:
    return sum(1 for n in ray.nodes() if n["Alive"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecsim", required=True, help="the ecsim binary")
    ap.add_argument("--out", required=True, help="scratch folder")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    ray_cli = str(bindir / "ray")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")

    second = None
    try:
        # The head on the machine's address (Ray registers a head started on
        # 127.0.0.1 under the machine's address anyway), the second node on
        # another loopback address of its own; the driver is pinned to the
        # head's address, so it sits on the head, never on the node killed
        # below.
        sh(ray_cli, "start", "--head", "--num-cpus", "1", "--port", PORT,
           "--include-dashboard", "false", "--disable-usage-stats", env=env,
           stdout=subprocess.DEVNULL)
        address = f"{HEAD_IP}:{PORT}"
        second = subprocess.Popen(
            [ray_cli, "start", "--address", address, "--num-cpus", "1",
             "--node-ip-address", SECOND_IP, "--block"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        import ray

        # The head's node address as Ray itself finds it for this machine.
        head_ip = ray.util.get_node_ip_address()
        ray.init(address=address, log_to_driver=False, _node_ip_address=head_ip)
        here = ray.get_runtime_context().get_node_id()
        driver_node = [n for n in ray.nodes() if n["NodeID"] == here]
        if not driver_node or driver_node[0]["NodeManagerAddress"] == SECOND_IP:
            raise SystemExit(f"error: the driver is not on the head node: {driver_node}")
        deadline = time.monotonic() + 120
        while alive_nodes(ray) < 2:
            if time.monotonic() > deadline:
                raise SystemExit("error: the second node did not join within 120 s")
            time.sleep(0.5)
        cpus = ray.cluster_resources().get("CPU")
        print(f"cluster: {alive_nodes(ray)} nodes, {cpus:g} CPUs")

        t = time.monotonic()
        sh(a.ecsim, "sweep", str(STUDY), "--jobs", "2", "--out", str(out / "cli"),
           stdout=subprocess.DEVNULL)
        cli_s = time.monotonic() - t

        import ecsim.ray

        # Through the command-line entry, as a user runs it (cold cluster).
        t = time.monotonic()
        sh(sys.executable, "-m", "ecsim.ray", "sweep", str(STUDY), "--address", address,
           "--out", str(out / "ray-cli"), "--quiet")
        entry_s = time.monotonic() - t
        bad = same_folders(out / "cli", out / "ray-cli")
        if bad:
            raise SystemExit(f"error: python -m ecsim.ray sweep differs from ecsim sweep: {bad[:10]}")

        # In-process: the first sweep of this driver starts its workers
        # (cold); the second finds them started (warm).
        t = time.monotonic()
        ecsim.ray.sweep(STUDY, out / "ray-cold")
        cold_s = time.monotonic() - t
        # Best of three, for the CLI as for Ray: the machine is shared.
        warm_s = float("inf")
        for i in range(3):
            t = time.monotonic()
            ecsim.ray.sweep(STUDY, out / ("ray-warm" if i == 0 else f"ray-warm-{i}"))
            warm_s = min(warm_s, time.monotonic() - t)
        for d in ("ray-cold", "ray-warm"):
            bad = same_folders(out / "cli", out / d)
            if bad:
                raise SystemExit(f"error: ecsim.ray.sweep ({d}) differs from ecsim sweep: {bad[:10]}")
        for i in range(2):
            t = time.monotonic()
            sh(a.ecsim, "sweep", str(STUDY), "--jobs", "2", "--out", str(out / f"cli-again-{i}"),
               stdout=subprocess.DEVNULL)
            cli_s = min(cli_s, time.monotonic() - t)

        # A node lost mid-sweep: small batches, the second node killed as
        # soon as the first batch is back.
        killed = {}

        def kill_second(done: int, total: int) -> None:
            if not killed:
                os.killpg(second.pid, signal.SIGKILL)
                killed["at"] = (done, total)

        t = time.monotonic()
        r = ecsim.ray.sweep(STUDY, out / "ray-lost", batch_size=2, on_batch=kill_second)
        lost_s = time.monotonic() - t
        second.wait(timeout=30)
        bad = same_folders(out / "cli", out / "ray-lost")
        if bad:
            raise SystemExit(f"error: the sweep that lost a node differs from ecsim sweep: {bad[:10]}")
        deadline = time.monotonic() + 60
        while alive_nodes(ray) > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        if alive_nodes(ray) != 1:
            raise SystemExit("error: the killed node is still alive")
        done, total = killed["at"]
        timings = {
            "ecsim_sweep_jobs2_best_of_3_s": round(cli_s, 2),
            "python_m_ecsim_ray_cold_s": round(entry_s, 2),
            "ecsim_ray_sweep_cold_s": round(cold_s, 2),
            "ecsim_ray_sweep_warm_best_of_3_s": round(warm_s, 2),
            "cold_ratio": round(cold_s / cli_s, 2),
            "warm_ratio": round(warm_s / cli_s, 2),
            "node_lost_after_runs": done,
            "node_lost_sweep_s": round(lost_s, 2),
        }
        print(json.dumps(timings))
        print(
            f"two nodes: {r.report['total_runs']} runs identical to `ecsim sweep`; "
            f"second node killed after {done} of {total} runs, sweep still complete and identical"
        )
        ray.shutdown()
        return 0
    except BaseException:
        # Printed here: Ray's driver excepthook reports to the cluster, which
        # the `ray stop` below takes away, and would swallow the traceback.
        traceback.print_exc()
        sys.stderr.flush()
        raise
    finally:
        if second is not None and second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
        subprocess.run([ray_cli, "stop", "--force"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
