//! Draining, deployments and spot interruptions end to end (ECS-MODEL D1–D4,
//! S1–S6, T2), on small scenarios whose timing the rules fix.

use std::path::Path;

use ecsim::engine::{RunResult, Simulation};
use ecsim::model::{InstanceState, StopReason, TaskOwner, TaskState};
use ecsim::scenario;
use ecsim::sim::{SimDuration, SimTime};

use crate::common::load;

/// Loads a scenario written to a temporary folder next to `files`
/// (name, contents), so that relative paths in it resolve.
fn load_with_files(text: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, scenario::Scenario) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write fixture");
    }
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).expect("write scenario");
    let sc = scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    (dir, sc)
}

fn at(s: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(s)
}

/// A web service of 4 tasks bin-packed onto the single instance of group
/// `old`, with room for 4 more on group `spare`; `old` drains at 10 min.
/// Image pulls take 10 s, stop timeout is 30 s, health comes 40 s after
/// RUNNING (T2).
fn drain_scenario(min: u32, max: u32) -> String {
    format!(
        r#"
name = "drain"
seed = 1
duration = "1h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "old"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a"]
count = 1
[[instanceGroups]]
name = "spare"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1b"]
count = 1
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 512, memory = 1024 }}]
[[taskDefinitions]]
family = "batch"
containerDefinitions = [{{ name = "job", image = "batch:1", cpu = 256, memory = 256 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
placementStrategy = [{{ type = "binpack", field = "memory" }}]
deploymentConfiguration = {{ minimumHealthyPercent = {min}, maximumPercent = {max} }}
[[batchJobs]]
name = "report"
taskDefinition = "batch"
arrivals = {{ type = "every", interval = "10h" }}
duration = "40m"
placementStrategy = [{{ type = "binpack", field = "memory" }}]
[[maintenance]]
at = "10m"
instanceGroup = "old"
replace = false
terminateWhenDrained = false
"#
    )
}

/// (on the draining instance, elsewhere) counts of the web service's tasks by state.
fn web_tasks(sim: &Simulation) -> ([usize; 4], [usize; 4]) {
    let c = sim.cluster();
    let mut old = [0; 4];
    let mut new = [0; 4];
    for t in c.tasks() {
        if !matches!(t.owner, TaskOwner::Service(_)) {
            continue;
        }
        let slot = match t.state {
            TaskState::Pending => 0,
            TaskState::Running => 1,
            TaskState::Stopping => 2,
            _ => 3,
        };
        let on_old = t.instance.map(|i| i.index()) == Some(0);
        if on_old {
            old[slot] += 1;
        } else {
            new[slot] += 1;
        }
    }
    (old, new)
}

#[test]
fn draining_min_50_stops_two_before_replacements_start_d1() {
    // D1: desired 4, minimum 50% -> ceil(4 × 0.5) = 2 must stay healthy;
    // maximum 100% -> floor(4 × 1.0) = 4 may exist, so nothing starts until
    // the first two have STOPPED.
    let sc = load(&drain_scenario(50, 100));
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.run_until(at(600));
    let c = sim.cluster();
    assert_eq!(c.instances()[0].state, InstanceState::Draining);
    let (old, new) = web_tasks(&sim);
    // [pending, running, stopping, stopped]
    assert_eq!(old, [0, 2, 2, 0], "two stop at once");
    assert_eq!(new, [0, 0, 0, 0], "no room under maximumPercent yet");
    // 30 s stop timeout later they are STOPPED and two replacements start.
    sim.run_until(at(630));
    let (old, new) = web_tasks(&sim);
    assert_eq!((old, new), ([0, 2, 0, 2], [2, 0, 0, 0]));
    // Replacements RUNNING at 640 s, healthy at 680 s: the last two old ones stop.
    sim.run_until(at(680));
    let (old, new) = web_tasks(&sim);
    assert_eq!((old[1], old[2], new[1]), (0, 2, 2));
    sim.run_until(at(1200));
    let (old, new) = web_tasks(&sim);
    assert_eq!(
        (old[0] + old[1] + old[2], new[1]),
        (0, 4),
        "draining completes"
    );
}

#[test]
fn draining_max_200_starts_all_replacements_first_d1() {
    // D1: maximum 200% -> floor(4 × 2) = 8 may exist: four replacements
    // start at once; minimum 100% -> the old four stop only once the new
    // ones are healthy (RUNNING at 610 s + 40 s, T2).
    let sc = load(&drain_scenario(100, 200));
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.run_until(at(600));
    let (old, new) = web_tasks(&sim);
    assert_eq!((old, new), ([0, 4, 0, 0], [4, 0, 0, 0]));
    sim.run_until(at(649));
    assert_eq!(web_tasks(&sim).0, [0, 4, 0, 0], "not healthy yet");
    sim.run_until(at(650));
    let (old, new) = web_tasks(&sim);
    assert_eq!((old, new[1]), ([0, 0, 4, 0], 4));
    let r = sim_result(&drain_scenario(100, 200));
    let web = &r.summary.services[0];
    // Healthy capacity never dipped: RUNNING never fell below desired.
    assert_eq!(web.minutes_below_desired, 0.0);
    assert_eq!(web.tasks_stopped_gracefully, 4);
    let drained = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("InstanceDraining"))
        .count();
    assert_eq!(drained, 4);
}

#[test]
fn draining_with_both_limits_at_100_never_completes_d1() {
    // D1: minimum 100% and maximum 100%: nothing may stop, nothing may start.
    let r = sim_result(&drain_scenario(100, 100));
    let events: Vec<_> = r
        .events
        .iter()
        .filter(|e| e.event == "deployment-stalled")
        .collect();
    assert_eq!(events.len(), 1, "reported once");
    assert!(events[0]
        .message
        .contains("unable to stop or start tasks during a deployment because of the service deployment configuration"));
    let on_old = r
        .tasks
        .iter()
        .filter(|t| t.owner == "web" && t.state == TaskState::Running)
        .filter(|t| t.az.as_deref() == Some("us-east-1a"))
        .count();
    assert_eq!(on_old, 4, "all four still on the draining instance");
}

#[test]
fn draining_leaves_standalone_tasks_alone_d1() {
    // D1: the batch task arrives at time zero, lands on instance 0
    // (binpack), RUNNING at 10 s for 40 min, past the drain at 10 min:
    // draining does not touch it.
    let sc = load(&drain_scenario(50, 200));
    let mut sim = Simulation::new(&sc.spec, sc.seed);
    sim.run_until(at(1200));
    let job = sim
        .cluster()
        .tasks()
        .iter()
        .find(|t| matches!(t.owner, TaskOwner::Job(_)))
        .expect("a batch task");
    assert_eq!(job.instance.map(|i| i.index()), Some(0));
    assert_eq!(job.state, TaskState::Running);
    sim.run_until(at(10 + 2400 + 1));
    let job = sim
        .cluster()
        .tasks()
        .iter()
        .find(|t| matches!(t.owner, TaskOwner::Job(_)))
        .expect("a batch task");
    assert_eq!(job.state, TaskState::Stopped);
    assert_eq!(job.stop_reason, Some(StopReason::Completed));
}

fn sim_result(text: &str) -> RunResult {
    let sc = load(text);
    Simulation::new(&sc.spec, sc.seed).run()
}

/// One all-spot instance of m6i.xlarge in us-east-1a running a 4-task
/// service, plus an on-demand group with room for replacements; an
/// interruption is replayed at 1 h.
fn spot_scenario(draining: bool, min: u32, extra: &str) -> String {
    format!(
        r#"
name = "spot"
seed = 5
duration = "3h"
[cluster]
tieBreak = "lowest-id"
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1a"]
count = 1
instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 0, spotAllocationStrategy = "capacity-optimized" }}
agentConfig = {{ ECS_ENABLE_SPOT_INSTANCE_DRAINING = {draining} }}
launchLatency = "90s"
[[instanceGroups]]
name = "od"
instanceTypes = ["m6i.xlarge"]
availabilityZones = ["us-east-1b"]
count = 1
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 512, memory = 1024 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
placementStrategy = [{{ type = "binpack", field = "memory" }}]
deploymentConfiguration = {{ minimumHealthyPercent = {min}, maximumPercent = 200 }}
[spot]
interruptions = "replay.csv"
[[spot.pools]]
monthlyInterruptionRate = 0.0
{extra}
"#
    )
}

const REPLAY: &str = "time,instance_type,availability_zone,count\n1h,m6i.xlarge,us-east-1a,1\n";

#[test]
fn notice_then_termination_120_s_later_kills_what_is_left_s3() {
    // S3: notice at 3600 s, termination at exactly 3720 s; without the
    // agent flag (S4 default false) the tasks run until the instance dies
    // and are killed, not stopped gracefully.
    let (_d, sc) = load_with_files(&spot_scenario(false, 100, ""), &[("replay.csv", REPLAY)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let spot = &r.instances[0];
    assert_eq!(spot.purchase, "spot");
    assert_eq!(spot.draining, None, "no draining without the flag");
    assert_eq!(spot.terminated, Some(at(3720)));
    assert_eq!(
        spot.termination,
        Some(ecsim::model::TerminationReason::SpotInterruption)
    );
    let killed: Vec<_> = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("InstanceTerminated"))
        .collect();
    assert_eq!(killed.len(), 4);
    // Killed: no stop timeout, STOPPING and STOPPED at the same instant.
    assert!(killed
        .iter()
        .all(|t| t.stopped == Some(at(3720)) && t.stopping == t.stopped));
    let web = &r.summary.services[0];
    assert_eq!(web.tasks_killed, 4);
    // Replacements placed at 3720 s on the on-demand instance, RUNNING 10 s later.
    assert_eq!(web.recovery_after_interruption.count, 1);
    assert_eq!(web.recovery_after_interruption.max_s, 10.0);
    assert_eq!(r.summary.interruptions.notices, 1);
    assert_eq!(
        r.summary
            .interruptions
            .by_cause
            .get(&ecsim::model::SpotNoticeCause::Replay),
        Some(&1)
    );
    assert_eq!(
        r.summary.interruptions.by_pool.get("m6i.xlarge/us-east-1a"),
        Some(&1)
    );
    // The group replaces the instance when it terminates (launch latency 90 s).
    let replacement = &r.instances[2];
    assert_eq!(replacement.launched, at(3720));
    assert_eq!(replacement.registered, Some(at(3810)));
}

#[test]
fn spot_draining_within_a_second_replaces_tasks_gracefully_s4() {
    // S4: with ECS_ENABLE_SPOT_INSTANCE_DRAINING the instance is DRAINING
    // within 1 s of the notice; minimum 50% lets two tasks stop at once and
    // maximum 200% lets four replacements start: all four move before the
    // end of the notice (RUNNING +10 s, healthy +40 s, stopped +30 s).
    let (_d, sc) = load_with_files(&spot_scenario(true, 50, ""), &[("replay.csv", REPLAY)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let spot = &r.instances[0];
    let drained = spot.draining.expect("drained");
    assert!(drained > at(3600) && drained <= at(3601), "{drained:?}");
    assert_eq!(spot.terminated, Some(at(3720)));
    let web = &r.summary.services[0];
    assert_eq!(web.tasks_killed, 0);
    assert_eq!(web.tasks_stopped_gracefully, 4);
}

#[test]
fn capacity_provider_managed_draining_drains_on_the_notice_s4() {
    // S4: without the agent flag, an instance of a capacity provider with
    // managed draining (ENABLED by default) is drained on the spot notice
    // all the same; with managed draining DISABLED the tasks die with it.
    let cp = "[[capacityProviders]]\nname = \"spot-cp\"\ninstanceGroup = \"spot\"\n";
    let (_d, sc) = load_with_files(&spot_scenario(false, 50, cp), &[("replay.csv", REPLAY)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let drained = r.instances[0]
        .draining
        .expect("drained by managed draining");
    assert!(drained > at(3600) && drained <= at(3601), "{drained:?}");
    let web = &r.summary.services[0];
    assert_eq!(web.tasks_killed, 0);
    assert_eq!(web.tasks_stopped_gracefully, 4);
    let off = format!("{cp}managedDraining = \"DISABLED\"\n");
    let (_d, sc) = load_with_files(&spot_scenario(false, 50, &off), &[("replay.csv", REPLAY)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    assert_eq!(r.instances[0].draining, None);
    assert_eq!(r.summary.services[0].tasks_killed, 4);
}

#[test]
fn spot_draining_with_minimum_100_runs_out_of_time_s4() {
    // S4: with minimumHealthyPercent 100 the old tasks stop only once the
    // replacements are healthy (~3651 s); they then need their 30 s stop
    // timeout, which ends before 3720 s here — but a 90 s stop timeout does
    // not: the instance dies first and the tasks are killed mid-stop.
    let slow = spot_scenario(true, 100, "").replace(
        "cpu = 512, memory = 1024 }]",
        "cpu = 512, memory = 1024, stopTimeout = 90 }]",
    );
    let (_d, sc) = load_with_files(&slow, &[("replay.csv", REPLAY)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let web = &r.summary.services[0];
    assert_eq!(web.tasks_killed, 4, "{:?}", web);
    let mid_stop = r
        .tasks
        .iter()
        .filter(|t| {
            t.stop_reason.as_deref() == Some("InstanceDraining") && t.stopped == Some(at(3720))
        })
        .count();
    assert_eq!(mid_stop, 4);
}

#[test]
fn capacity_rebalancing_replaces_before_the_notice_s5() {
    // S5: rebalance recommendation 10 min before the notice; the group
    // launches the replacement at once and terminates the old instance
    // when the new one is ACTIVE (+90 s), long before the notice.
    let text = spot_scenario(false, 100, "")
        .replace(
            "interruptions = \"replay.csv\"",
            "interruptions = \"replay.csv\"\nrebalanceLeadTime = \"10m\"",
        )
        .replace(
            "launchLatency = \"90s\"",
            "launchLatency = \"90s\"\ncapacityRebalance = true",
        );
    // Replayed interruptions come with their recommendation; the lead time
    // applies to interruptions drawn from the hazard: λ = −ln(1e-6)/730 h ≈
    // 0.019 per hour, so one falls within 1,000 h (this seed: yes).
    let text = text
        .replace(
            "monthlyInterruptionRate = 0.0",
            "monthlyInterruptionRate = 0.999999",
        )
        .replace(
            "duration = \"3h\"\n[cluster]\n",
            "duration = \"1000h\"\n[cluster]\nsampleInterval = \"1h\"\n",
        );
    let (_d, sc) = load_with_files(
        &text,
        &[("replay.csv", "time,instance_type,availability_zone,count\n")],
    );
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let old = &r.instances[0];
    assert_eq!(
        old.termination,
        Some(ecsim::model::TerminationReason::CapacityRebalance)
    );
    let reco = r
        .events
        .iter()
        .find(|e| e.event == "rebalance-recommendation")
        .expect("recommendation");
    let replacement = r
        .instances
        .iter()
        .find(|i| i.launched.as_secs_f64() == reco.time_s && i.group == "spot")
        .expect("replacement launched at the recommendation");
    assert_eq!(old.terminated, replacement.registered);
    // Terminated 90 s after the recommendation, 8.5 min before its notice
    // was due: the instance was gone by then, so no notice arrives for it.
    let gone = old.terminated.expect("terminated").as_secs_f64();
    assert_eq!(gone - reco.time_s, 90.0);
    assert!(!r
        .events
        .iter()
        .any(|e| e.event == "spot-interruption-notice" && e.message.contains(&old.instance)));
    assert!(r.summary.interruptions.rebalanced >= 1);
}

#[test]
fn hazard_matches_the_advisor_bucket_s2() {
    // S2: f = 0.25 per month -> λ = −ln(0.75)/730 h. Over one month, each
    // of 2,000 independent instances is interrupted with probability
    // 1 − e^(−λ·(730 h − 120 s)) ≈ 0.24996. Tolerance 4σ with
    // σ = sqrt(0.25 × 0.75 / 2000) ≈ 0.0097.
    let text = r#"
name = "hazard"
seed = 11
duration = "730h"
[cluster]
sampleInterval = "24h"
[[instanceGroups]]
name = "spot"
instanceTypes = ["c6i.large"]
availabilityZones = ["us-east-1a"]
count = 2000
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }
[[spot.pools]]
monthlyInterruptionRate = 0.25
"#;
    let r = sim_result(text);
    let original = r
        .instances
        .iter()
        .filter(|i| i.launched == SimTime::ZERO)
        .collect::<Vec<_>>();
    assert_eq!(original.len(), 2000);
    let hit = original
        .iter()
        .filter(|i| i.termination == Some(ecsim::model::TerminationReason::SpotInterruption))
        .count() as f64
        / 2000.0;
    let sigma = (0.25f64 * 0.75 / 2000.0).sqrt();
    assert!(
        (hit - 0.25).abs() < 4.0 * sigma,
        "interrupted fraction {hit}"
    );
}

#[test]
fn allocation_strategies_choose_pools_through_the_engine_s6() {
    // S6 on the advisor's real prices: three types in two AZs.
    let base = |strategy: &str| {
        format!(
            r#"
name = "alloc"
seed = 2
duration = "1h"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m5.large", "m6i.large", "m6a.large"]
availabilityZones = ["us-east-1a", "us-east-1b"]
count = 12
instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 0, {strategy} }}
"#
        )
    };
    let pools = |text: &str| {
        let r = sim_result(text);
        let mut seen: Vec<(String, String)> = r
            .instances
            .iter()
            .map(|i| (i.instance_type.clone(), i.az.clone()))
            .collect();
        seen.sort();
        seen.dedup();
        (r, seen)
    };
    // diversified: 12 instances evenly over all 6 pools.
    let (r, seen) = pools(&base("spotAllocationStrategy = \"diversified\""));
    assert_eq!(seen.len(), 6);
    assert!(r.instances.iter().all(|i| i.purchase == "spot"));
    // lowest-price with 1 pool: only the cheapest type, in both AZs.
    let (r, seen) = pools(&base(
        "spotAllocationStrategy = \"lowest-price\", spotInstancePools = 1",
    ));
    assert_eq!(seen.len(), 2, "{seen:?}");
    let cheapest = r
        .instances
        .iter()
        .map(|i| i.price_usd_per_hour)
        .fold(f64::INFINITY, f64::min);
    assert!(r.instances.iter().all(|i| i.price_usd_per_hour == cheapest));
}

#[test]
fn reclaimed_pool_refuses_launches_until_restored_s2() {
    // S2: a reclaim takes every instance of the only pool and the pool has
    // no capacity for 30 min; the group's relaunches fail and are retried
    // every 60 s until the pool is back.
    let text = r#"
name = "reclaim"
seed = 4
duration = "6h"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.large"]
availabilityZones = ["us-east-1a"]
count = 3
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }
[spot]
interruptions = "replay.csv"
[[spot.pools]]
monthlyInterruptionRate = 0.0
"#;
    let replay = "time,instance_type,availability_zone,count,unavailable_for\n1h,m6i.large,us-east-1a,3,30m\n";
    let (_d, sc) = load_with_files(text, &[("replay.csv", replay)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    assert_eq!(r.summary.interruptions.notices, 3);
    let relaunched: Vec<_> = r
        .instances
        .iter()
        .filter(|i| i.launched > SimTime::ZERO)
        .collect();
    assert_eq!(relaunched.len(), 3);
    // Terminations at 3720 s; the pool is back at 3600 + 1800 = 5400 s.
    assert!(relaunched.iter().all(|i| i.launched == at(5400)));
    assert!(r.summary.interruptions.launch_failures >= 3);
}

#[test]
fn killed_batch_tasks_are_rerun_and_their_work_counted_s3() {
    let text = r#"
name = "batch"
seed = 9
duration = "4h"
[cluster]
imagePullTime = "10s"
cachedStartTime = "10s"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.large"]
availabilityZones = ["us-east-1a"]
count = 1
launchLatency = "60s"
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }
[[taskDefinitions]]
family = "crunch"
containerDefinitions = [{ name = "c", cpu = 1024, memory = 1024 }]
[[batchJobs]]
name = "crunch"
taskDefinition = "crunch"
arrivals = { type = "every", interval = "10h" }
duration = "2h"
[spot]
interruptions = "replay.csv"
[[spot.pools]]
monthlyInterruptionRate = 0.0
"#;
    // The task starts at 10 s; the instance dies at 3600 + 120 s: 3710 s lost.
    let replay = "time,instance_type,availability_zone,count\n1h,m6i.large,us-east-1a,1\n";
    let (_d, sc) = load_with_files(text, &[("replay.csv", replay)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    let job = &r.summary.jobs[0];
    assert_eq!((job.tasks_killed, job.tasks_rerun), (1, 1));
    assert_eq!(job.work_lost_task_s, 3710.0);
    // The re-run fails at once: the replacement instance is still booting (P9).
    assert_eq!(job.failed.values().sum::<u64>(), 1);
}

fn deploy_scenario(min: u32, max: u32, desired: u32, extra: &str) -> String {
    format!(
        r#"
name = "deploy"
seed = 3
duration = "3h"
[cluster]
imagePullTime = "20s"
cachedStartTime = "5s"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.2xlarge"]
count = 3
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "app", image = "web:1", cpu = 256, memory = 512 }}]
[[taskDefinitions]]
family = "web-v2"
containerDefinitions = [{{ name = "app", image = "web:2", cpu = 256, memory = 512 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = {desired}
deploymentConfiguration = {{ minimumHealthyPercent = {min}, maximumPercent = {max} {extra} }}
deployments = [{{ at = "1h", taskDefinition = "web-v2" }}]
"#
    )
}

#[test]
fn rolling_deployment_replaces_every_task_d3() {
    // D3 with the defaults (100/200): 6 new tasks start at once (room
    // floor(6 × 2) − 6 = 6), pull 20 s, healthy 40 s later, then the old
    // six stop: the deployment completes at 3600 + 20 + 40 = 3660 s.
    let r = sim_result(&deploy_scenario(100, 200, 6, ""));
    let web = &r.summary.services[0];
    assert_eq!(web.deployments.len(), 1);
    let d = &web.deployments[0];
    assert_eq!(
        (d.outcome.as_str(), d.duration_s),
        ("COMPLETED", Some(60.0))
    );
    let running_v2 = r
        .tasks
        .iter()
        .filter(|t| t.family == "web-v2" && t.state == TaskState::Running)
        .count();
    assert_eq!(running_v2, 6);
    assert_eq!(
        web.minutes_below_desired, 0.0,
        "100% minimum keeps capacity"
    );
    let replaced = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("DeploymentReplaced"))
        .count();
    assert_eq!(replaced, 6);
}

#[test]
fn deployment_with_no_room_stalls_d3() {
    // D3: desired 2, minimum 75% -> ceil(1.5) = 2 must stay healthy;
    // maximum 125% -> floor(2.5) = 2 may exist. Neither a start nor a stop
    // is allowed: the service reports it and the deployment stays stalled.
    let r = sim_result(&deploy_scenario(75, 125, 2, ""));
    let web = &r.summary.services[0];
    assert_eq!(web.deployments[0].outcome, "STALLED");
    assert!(r.events.iter().any(|e| e.event == "deployment-stalled"
        && e.message
            .contains("Update the minimumHealthyPercent or maximumPercent")));
    assert!(r.tasks.iter().all(|t| t.family == "web"));
}

#[test]
fn circuit_breaker_fails_and_rolls_back_d4() {
    // ECS-MODEL D4: threshold clamp(ceil(0.5 × 4), 3, 200) = 3 failed starts
    // (10 under the old minimum); then the deployment FAILS and rolls back to
    // the last completed revision. The four new tasks start together (room
    // floor(4 × 2) − 4 = 4): the third failure trips the breaker and the
    // fourth, still PENDING, is stopped by the rollback.
    let text = deploy_scenario(
        100,
        200,
        4,
        ", deploymentCircuitBreaker = { enable = true, rollback = true }",
    )
    .replace(
        "deployments = [{ at = \"1h\", taskDefinition = \"web-v2\" }]",
        "deployments = [{ at = \"1h\", taskDefinition = \"web-v2\", failsToStart = true }]",
    );
    let r = sim_result(&text);
    let web = &r.summary.services[0];
    assert_eq!(web.deployments.len(), 2, "{:?}", web.deployments);
    assert_eq!(web.deployments[0].outcome, "FAILED");
    assert_eq!(web.deployments[0].failed_tasks, 3);
    assert_eq!(web.deployments[1].trigger, "rollback");
    assert_eq!(web.deployments[1].outcome, "COMPLETED");
    // The old tasks never stopped (none of the new ones became healthy).
    assert_eq!(web.minutes_below_desired, 0.0);
    let failed = r
        .tasks
        .iter()
        .filter(|t| t.stop_reason.as_deref() == Some("TaskFailedToStart"))
        .count();
    assert_eq!(failed, 3);
}

#[test]
fn maintenance_drain_replaces_and_terminates_the_group() {
    // D1 for maintenance: the group launches replacements at once; each
    // drained instance terminates when its last task has stopped.
    let text = r#"
name = "maint"
seed = 8
duration = "2h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 3
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", cpu = 512, memory = 1024 }]
[[taskDefinitions]]
family = "agent"
containerDefinitions = [{ name = "a", cpu = 64, memory = 64 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
[[services]]
serviceName = "agent"
taskDefinition = "agent"
schedulingStrategy = "DAEMON"
[[maintenance]]
at = "30m"
instanceGroup = "g"
"#;
    let r = sim_result(text);
    let old: Vec<_> = r.instances.iter().take(3).collect();
    assert!(old
        .iter()
        .all(|i| i.termination == Some(ecsim::model::TerminationReason::Drained)));
    let new: Vec<_> = r.instances.iter().skip(3).collect();
    assert_eq!(new.len(), 3);
    assert!(new
        .iter()
        .all(|i| i.launched == at(1800) && i.terminated.is_none()));
    // Daemon tasks stopped last on each drained instance (P10): never before
    // the instance's last web task.
    for inst in &old {
        let on: Vec<_> = r
            .tasks
            .iter()
            .filter(|t| t.instance.as_deref() == Some(inst.instance.as_str()))
            .collect();
        let last_web = on
            .iter()
            .filter(|t| t.owner == "web")
            .filter_map(|t| t.stopped)
            .max();
        let daemon_stop = on
            .iter()
            .filter(|t| t.owner == "agent")
            .filter_map(|t| t.stopping)
            .min();
        assert!(daemon_stop >= last_web, "{last_web:?} {daemon_stop:?}");
    }
    assert_eq!(r.summary.services[0].running_at_end, 6);
}

#[test]
fn scenario_errors_for_purchase_options_and_operations() {
    let errs = |text: &str| match scenario::load_str(text, Path::new("bad.toml"), &[]) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.issues(),
    };
    let base = r#"
name = "bad"
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.large"]
count = 1
"#;
    let e = errs(&format!(
        "{base}instancesDistribution = {{ spotAllocationStrategy = \"cheapest\" }}\n"
    ));
    assert!(
        e.iter().any(|m| m
            .contains("instanceGroups[0].instancesDistribution.spotAllocationStrategy")
            && m.contains("price-capacity-optimized")),
        "{e:?}"
    );
    let e = errs(&format!(
        "{base}instancesDistribution = {{ spotAllocationStrategy = \"capacity-optimized\", spotInstancePools = 3 }}\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("spotInstancePools applies only to the lowest-price strategy")),
        "{e:?}"
    );
    let e = errs(&format!(
        "{base}instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 0 }}\n[[spot.pools]]\nreclaim = {{ eventsPerDay = 1, fraction = 0 }}\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("spot.pools[0].reclaim.fraction")),
        "{e:?}"
    );
    let e = errs(&format!(
        "{base}[[spot.pools]]\ninstanceType = \"c5.large\"\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("spot.pools[0]") && m.contains("matches no spot pool")),
        "{e:?}"
    );
    let e = errs(&format!(
        "{base}[[maintenance]]\nat = \"1m\"\ninstanceGroup = \"gg\"\n"
    ));
    assert!(e.iter().any(|m| m.contains("maintenance[0].instanceGroup") && m.contains("did you mean \"g\"")), "{e:?}");
    let e = errs(&format!(
        "{base}agentConfig = {{ ECS_ENABLE_SPOT_DRAINING = true }}\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("agentConfig.ECS_ENABLE_SPOT_DRAINING")),
        "{e:?}"
    );
    let e = errs(&format!(
        "{base}instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 0 }}\n[spot]\ninterruptions = \"missing.csv\"\n"
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("spot.interruptions") && m.contains("missing.csv")),
        "{e:?}"
    );
}

#[test]
fn spot_price_follows_a_price_history_s1() {
    // S1: a price history replaces the Advisor discount; a row holds until
    // the next row of its pool, and before the first row the first price holds.
    let text = r#"
name = "prices"
seed = 1
duration = "3h"
startTime = "2022-05-31T00:00:00Z"
[[instanceGroups]]
name = "spot"
instanceTypes = ["m6i.large"]
availabilityZones = ["us-east-1a"]
count = 1
instancesDistribution = { onDemandPercentageAboveBaseCapacity = 0 }
[spot]
priceHistory = "prices.csv"
zoneIds = { "use1-az4" = "us-east-1a" }
interruptions = "replay.csv"
[[spot.pools]]
monthlyInterruptionRate = 0.0
"#;
    let prices = "timestamp_utc,availability_zone_id,instance_type,product_description,spot_price_usd_per_hour\n\
                  2022-05-31T01:00:00Z,use1-az4,m6i.large,Linux/UNIX,0.0400\n\
                  2022-05-31T02:00:00Z,use1-az4,m6i.large,Linux/UNIX,0.0350\n";
    // Interrupt at 1h30m: the replacement launches at 1h32m, under the 01:00 price.
    let replay = "time,instance_type,availability_zone,count\n90m,m6i.large,us-east-1a,1\n";
    let (_d, sc) = load_with_files(text, &[("prices.csv", prices), ("replay.csv", replay)]);
    let r = Simulation::new(&sc.spec, sc.seed).run();
    assert_eq!(
        r.instances[0].price_usd_per_hour, 0.04,
        "first price before the first row"
    );
    assert_eq!(r.instances[1].launched, at(5520));
    assert_eq!(r.instances[1].price_usd_per_hour, 0.04);
    // An unmapped zone id is an error naming the line and the fix.
    let bad = text.replace("zoneIds = { \"use1-az4\" = \"us-east-1a\" }\n", "");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("prices.csv"), prices).expect("write");
    std::fs::write(dir.path().join("replay.csv"), replay).expect("write");
    std::fs::write(dir.path().join("s.toml"), &bad).expect("write");
    let err = match scenario::load(&dir.path().join("s.toml"), &[]) {
        Ok(_) => panic!("an unmapped zone id must be an error"),
        Err(e) => e.issues(),
    };
    assert!(
        err.iter().any(|m| m.contains("spot.priceHistory")
            && m.contains("line 2")
            && m.contains("spot.zoneIds")),
        "{err:?}"
    );
}

mod invariants {
    //! Random mixes of draining, deployments, reclaims and settings: at
    //! every check no instance is over-committed, reservations add up,
    //! terminated instances hold no task, and a service never has more than
    //! floor(desired × maximumPercent) tasks PENDING or RUNNING (D1; the
    //! largest desired count so far, since scale-in stops tasks at once).

    use super::*;
    use proptest::prelude::*;

    fn text(
        seed: u64,
        draining: bool,
        min: u32,
        max: u32,
        fraction: f64,
        maint_min: u32,
    ) -> String {
        format!(
            r#"
name = "mix"
seed = {seed}
duration = "12h"
[cluster]
sampleInterval = "10m"
[[instanceGroups]]
name = "app"
instanceTypes = ["m6i.large", "m5a.large"]
count = 6
instancesDistribution = {{ onDemandPercentageAboveBaseCapacity = 20, spotAllocationStrategy = "diversified" }}
agentConfig = {{ ECS_ENABLE_SPOT_INSTANCE_DRAINING = {draining} }}
[[instanceGroups]]
name = "base"
instanceTypes = ["m6i.large"]
count = 2
[[spot.pools]]
monthlyInterruptionRate = 0.5
reclaim = {{ eventsPerDay = 6, fraction = {fraction}, unavailableFor = "20m" }}
[[taskDefinitions]]
family = "web"
containerDefinitions = [{{ name = "a", image = "w:1", cpu = 256, memory = 512 }}]
[[taskDefinitions]]
family = "web2"
containerDefinitions = [{{ name = "a", image = "w:2", cpu = 384, memory = 512 }}]
[[taskDefinitions]]
family = "job"
containerDefinitions = [{{ name = "a", cpu = 512, memory = 1024 }}]
[[taskDefinitions]]
family = "agent"
containerDefinitions = [{{ name = "a", cpu = 32, memory = 64 }}]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 8
deploymentConfiguration = {{ minimumHealthyPercent = {min}, maximumPercent = {max} }}
deployments = [{{ at = "3h", taskDefinition = "web2" }}, {{ at = "7h" }}]
desiredCountSchedule = [{{ at = "5h", desiredCount = 12 }}, {{ at = "9h", desiredCount = 5 }}]
[[services]]
serviceName = "agent"
taskDefinition = "agent"
schedulingStrategy = "DAEMON"
[[batchJobs]]
name = "job"
taskDefinition = "job"
arrivals = {{ type = "poisson", perHour = 20 }}
duration = {{ distribution = "exponential", mean = "20m" }}
[[maintenance]]
at = "{maint_min}m"
instanceGroup = "base"
"#
        )
    }

    fn check(sim: &Simulation, max_pct: u32, desired: u32) -> Result<(), TestCaseError> {
        let c = sim.cluster();
        for i in c.instances() {
            if i.state == InstanceState::Terminated {
                prop_assert!(
                    i.tasks.is_empty(),
                    "terminated {} holds tasks",
                    i.ec2_instance_id
                );
                continue;
            }
            let mut sum = ecsim::model::Resources::default();
            for &t in &i.tasks {
                let task = c.task(t);
                prop_assert!(matches!(
                    task.state,
                    TaskState::Pending | TaskState::Running | TaskState::Stopping
                ));
                prop_assert_eq!(task.instance, Some(i.id));
                sum = ecsim::model::Resources::new(
                    sum.cpu + task.reservation.cpu,
                    sum.memory + task.reservation.memory,
                );
            }
            prop_assert_eq!(sum, i.reserved);
            prop_assert!(
                i.reserved.cpu <= i.registered.cpu && i.reserved.memory <= i.registered.memory
            );
        }
        let web = c
            .tasks()
            .iter()
            .filter(|t| matches!(t.owner, TaskOwner::Service(s) if s.index() == 0))
            .filter(|t| matches!(t.state, TaskState::Pending | TaskState::Running))
            .count() as u32;
        // A start needs PENDING + RUNNING + STOPPING below the maximum.
        prop_assert!(web <= desired * max_pct / 100, "web tasks {web}");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        #[test]
        fn lifecycle_invariants_hold(
            seed in 0u64..1000,
            draining in any::<bool>(),
            min in prop::sample::select(vec![0u32, 50, 100]),
            max in prop::sample::select(vec![100u32, 150, 200]),
            fraction in prop::sample::select(vec![0.3f64, 1.0]),
            maint in 30u32..600,
        ) {
            let sc = load(&text(seed, draining, min, max, fraction, maint));
            let mut sim = Simulation::new(&sc.spec, sc.seed);
            for k in 1..=72u64 {
                sim.run_until(at(k * 600));
                let desired = if k * 600 < 5 * 3600 { 8 } else { 12 };
                check(&sim, max, desired)?;
            }
        }
    }
}
