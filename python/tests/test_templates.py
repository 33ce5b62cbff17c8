"""The job templates of deploy/ parse and agree with themselves."""

from __future__ import annotations

import json

import yaml

from conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_kubernetes_indexed_job_runs_one_shard_per_index():
    job = yaml.safe_load((DEPLOY / "kubernetes" / "sweep-job.yaml").read_text())
    spec = job["spec"]
    assert job["kind"] == "Job" and spec["completionMode"] == "Indexed"
    c = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert int(env["ECSIM_SHARDS"]) == spec["completions"]
    assert "--shard $((JOB_COMPLETION_INDEX + 1))/$ECSIM_SHARDS" in c["args"][0]
    assert (ROOT / env["ECSIM_SWEEP"]).is_file()


def test_aws_batch_job_runs_one_shard_per_array_child():
    d = json.loads((DEPLOY / "aws-batch" / "job-definition.json").read_text())
    cmd = d["containerProperties"]["command"][-1]
    env = {e["name"]: e["value"] for e in d["containerProperties"]["environment"]}
    assert "K=$((AWS_BATCH_JOB_ARRAY_INDEX + 1))" in cmd and "--shard $K/$N" in cmd
    assert "--resume" in cmd
    assert (ROOT / env["ECSIM_SWEEP"]).is_file()


def test_ray_cluster_config_installs_ecsim_and_starts_ray():
    c = yaml.safe_load((DEPLOY / "ray" / "aws-cluster.yaml").read_text())
    assert c["provider"]["type"] == "aws"
    assert c["head_node_type"] in c["available_node_types"]
    assert any("pip install" in s and "./python" in s for s in c["setup_commands"])
    assert any("ray start --head" in s for s in c["head_start_ray_commands"])
    assert any("ray start --address" in s for s in c["worker_start_ray_commands"])
