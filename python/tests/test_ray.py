"""ecsim.ray: a sweep through Ray writes the files `ecsim sweep` writes.

Uses the cluster at ECSIM_RAY_ADDRESS when set (CI's two-node cluster),
else a Ray started in-process with two CPUs.
"""

from __future__ import annotations

import json
import os

import pytest

ray = pytest.importorskip("ray")

import ecsim  # noqa: E402
import ecsim.ray  # noqa: E402
from conftest import assert_same_files, run_cli  # noqa: E402
from test_api import small_sweep  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    address = os.environ.get("ECSIM_RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_batches_cover_the_runs_in_order():
    b = ecsim.ray.batches(range(10), cpus=2)
    assert [i for x in b for i in x] == list(range(10))
    assert max(len(x) for x in b) == 2
    assert ecsim.ray.batches(range(10), cpus=2, batch_size=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert ecsim.ray.batches([], cpus=2) == []
    with pytest.raises(ValueError):
        ecsim.ray.batches(range(3), cpus=1, batch_size=0)


def test_a_ray_sweep_is_the_cli_sweep_byte_for_byte(tmp_path, cli, cluster):
    f = small_sweep(tmp_path)
    run_cli(cli, "sweep", str(f), "--out", str(tmp_path / "cli"))
    seen = []
    r = ecsim.ray.sweep(f, tmp_path / "ray", batch_size=3, on_batch=lambda d, n: seen.append((d, n)))
    assert_same_files(tmp_path / "cli", tmp_path / "ray")
    assert seen[-1] == (8, 8) and len(seen) == 3
    assert r.report["ran"] == 8
    assert list(r.aggregate.columns) == list(ecsim.sweep(f, tmp_path / "local").aggregate.columns)


def test_a_ray_sweep_resumes_what_is_missing(tmp_path, cli, cluster):
    f = small_sweep(tmp_path)
    run_cli(cli, "sweep", str(f), "--out", str(tmp_path / "cli"))
    out = tmp_path / "ray"
    ecsim.ray.sweep(f, out)
    # Lose three runs of the run log and the tables: a resumed sweep runs
    # exactly those.
    log = out / "runs" / "runs.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    lost = {1, 4, 7}
    log.write_text("".join(l for l in lines if json.loads(l)["run_index"] not in lost))
    (out / "runs.csv").unlink()
    r = ecsim.ray.sweep(f, out, resume=True)
    assert (r.report["ran"], r.report["skipped"]) == (3, 5)
    assert_same_files(tmp_path / "cli", out)


def test_a_folder_of_another_sweep_is_refused(tmp_path, cluster):
    f = small_sweep(tmp_path)
    out = tmp_path / "ray"
    ecsim.ray.sweep(f, out)
    f.write_text(f.read_text().replace("seed = 11", "seed = 12"))
    with pytest.raises(ecsim.EcsimError) as e:
        ecsim.ray.sweep(f, out)
    assert "another sweep" in str(e.value)


def test_a_worker_with_another_sweep_file_is_refused(tmp_path, cluster):
    f = small_sweep(tmp_path)
    sw = ecsim.load_sweep(f)
    with pytest.raises(ecsim.EcsimError, match="differs between nodes"):
        ecsim.ray.run_batch(str(f), "0" * 16, [0])
    assert ecsim.ray.run_batch(str(f), sw.fingerprint, [1]) == sw.records([1])
