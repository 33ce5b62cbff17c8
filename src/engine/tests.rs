//! Each part of the engine state built on its own from a spec.

use super::instances::GroupState;
use super::jobs::JobState;
use super::providers::ProviderState;
use super::services::ServiceState;
use super::SimSpec;
use crate::model::Cluster;
use crate::placement::Strategy;
use crate::sim::RngStreams;
use rand::Rng;

/// A spec read from an inline scenario (tests only: the engine itself never
/// reads scenarios).
pub(super) fn spec(text: &str) -> SimSpec {
    crate::scenario::load_str(
        text,
        std::path::Path::new("tests/fixtures/inline.toml"),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .spec
}

const PARTS: &str = r#"
name = "parts"
seed = 1
duration = "1h"

[cluster]
availabilityZones = ["us-east-1a", "us-east-1b"]

[[instanceGroups]]
name = "od"
instanceTypes = ["m6i.xlarge", "c6i.xlarge"]
count = 3

[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "example/web:1", cpu = 256, memory = 512 }]

[[taskDefinitions]]
family = "web-v2"
containerDefinitions = [{ name = "app", image = "example/web:2", cpu = 256, memory = 512 }]

[[taskDefinitions]]
family = "agent"
containerDefinitions = [{ name = "agent", image = "example/agent:1", cpu = 64, memory = 64 }]

[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
deployments = [{ at = "30m", taskDefinition = "web-v2", failsToStart = true }]

[[services]]
serviceName = "agent"
taskDefinition = "agent"
schedulingStrategy = "DAEMON"

[[batchJobs]]
name = "etl"
taskDefinition = "web"
arrivals = { type = "poisson", perHour = 20 }
duration = "5m"
"#;

#[test]
fn service_state_from_spec_holds_every_revision() {
    let spec = spec(PARTS);
    let mut cluster = Cluster::new();
    let web = ServiceState::from_spec(&spec, &spec.services[0], &mut cluster);
    assert_eq!(cluster.group_name(web.group), "service:web");
    assert!(!web.daemon);
    assert_eq!(web.desired, 4);
    // The initial revision, then one per scheduled deployment (D3).
    assert_eq!(web.revisions.len(), 2);
    assert_eq!(web.revisions[0].task_def, spec.services[0].task_def);
    assert!(!web.revisions[0].fails);
    assert_eq!(
        web.revisions[1].task_def,
        spec.services[0].revisions[0].task_def
    );
    assert!(web.revisions[1].fails);
    // P6: a service without strategies spreads over AZs, then instances.
    assert_eq!(web.policy().strategies(), &Strategy::service_default()[..]);
    assert!(web.revisions[0].providers.is_empty());
    assert!(web.live.is_empty() && web.retiring.is_empty() && !web.deploying());

    let agent = ServiceState::from_spec(&spec, &spec.services[1], &mut cluster);
    assert_eq!(cluster.group_name(agent.group), "service:agent");
    // P10: a DAEMON has no desired count and no strategy.
    assert!(agent.daemon);
    assert_eq!(agent.desired, 0);
    assert!(agent.policy().strategies().is_empty());
}

#[test]
fn job_state_from_spec_draws_from_its_named_streams() {
    let spec = spec(PARTS);
    let mut cluster = Cluster::new();
    let streams = RngStreams::new(99);
    let mut job = JobState::from_spec(&spec, &spec.jobs[0], &mut cluster, &streams);
    // T3: the default task group of a standalone task is its family.
    assert_eq!(cluster.group_name(job.group), "family:web");
    assert_eq!(job.policy.strategies(), &Strategy::run_task_default()[..]);
    let mut arrivals = streams.stream("arrivals/etl");
    let mut durations = streams.stream("durations/etl");
    assert_eq!(job.arrivals.gen::<u64>(), arrivals.gen::<u64>());
    assert_eq!(job.durations.gen::<u64>(), durations.gen::<u64>());
    assert_eq!(job.submitted, 0);
}

#[test]
fn group_state_from_spec_starts_empty_at_its_count() {
    let spec = spec(PARTS);
    let g = GroupState::from_spec(&spec.instance_groups[0], &spec.spot.pools);
    assert_eq!(g.desired, 3);
    assert_eq!(g.counted, 0);
    assert_eq!(g.by_purchase, [0, 0]);
    assert_eq!(g.removing, 0);
    assert!(g.tracking.is_none());
}

#[test]
fn provider_state_from_spec_paces_its_steps() {
    let spec = spec(
        r#"
name = "cp"
seed = 1
duration = "1h"
[cluster]
availabilityZones = ["us-east-1a"]
[[instanceGroups]]
name = "asg"
instanceTypes = ["m6i.xlarge"]
count = 0
[[capacityProviders]]
name = "cp"
instanceGroup = "asg"
managedScaling = { targetCapacity = 100 }
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "example/web:1", cpu = 256, memory = 512 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 1
capacityProviderStrategy = [{ capacityProvider = "cp", weight = 1 }]
"#,
    );
    let p = ProviderState::from_spec(&spec.capacity_providers[0]);
    assert!(p.queue.is_empty());
    let mut cluster = Cluster::new();
    let web = ServiceState::from_spec(&spec, &spec.services[0], &mut cluster);
    // One policy per provider, kept on that provider's instances (C6).
    assert_eq!(web.revisions[0].providers.len(), 1);
}

/// Load-balanced services whose tasks start, turn healthy, fail health
/// checks, are replaced by deployments (one failing, rolled back), scaled by
/// demand and killed or drained with spot instances.
const CHURN: &str = r#"
name = "churn"
seed = 11
duration = "8h"

[cluster]
availabilityZones = ["us-east-1a", "us-east-1b"]
imagePullTime = { distribution = "uniform", min = "5s", max = "40s" }
cachedStartTime = "5s"

[[instanceGroups]]
name = "app"
instanceTypes = ["m6i.xlarge", "m5a.xlarge"]
count = 8
capacityRebalance = true
instancesDistribution = { onDemandBaseCapacity = 2, onDemandPercentageAboveBaseCapacity = 0, spotAllocationStrategy = "price-capacity-optimized" }
agentConfig = { ECS_ENABLE_SPOT_INSTANCE_DRAINING = true }

[spot]
region = "us-east-1"
rebalanceLeadTime = "2m"

[[spot.pools]]
reclaim = { eventsPerDay = 6, fraction = 0.5, unavailableFor = "20m" }

[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "app", image = "example/web:1", cpu = 256, memory = 512, portMappings = [{ containerPort = 8080, hostPort = 0 }] }]

[[taskDefinitions]]
family = "web-v2"
containerDefinitions = [{ name = "app", image = "example/web:2", cpu = 256, memory = 512, portMappings = [{ containerPort = 8080, hostPort = 0 }] }]

[[taskDefinitions]]
family = "web-bad"
containerDefinitions = [{ name = "app", image = "example/web:3", cpu = 256, memory = 512, portMappings = [{ containerPort = 8080, hostPort = 0 }] }]

[[taskDefinitions]]
family = "agent"
containerDefinitions = [{ name = "agent", image = "example/agent:1", cpu = 64, memory = 64 }]

[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 6
healthCheckGracePeriodSeconds = 45
deploymentConfiguration = { minimumHealthyPercent = 50, maximumPercent = 200, deploymentCircuitBreaker = { enable = true, rollback = true } }
deployments = [{ at = "2h", taskDefinition = "web-v2", failsToStart = false }, { at = "4h", taskDefinition = "web-bad", failsToStart = true }]
loadBalancers = [{ targetGroupArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", containerName = "app", containerPort = 8080 }]
demand = { type = "diurnal", troughRps = 100, peakRps = 900, peakHour = 4, taskCapacityRps = 60 }
autoScaling = { minCapacity = 3, maxCapacity = 40, targetTracking = [{ metric = "ECSServiceAverageCPUUtilization", targetValue = 60 }] }
healthCheckFailures = { perTaskHour = 0.5, replay = [{ at = "1h", tasks = 2 }] }

[[services]]
serviceName = "api"
taskDefinition = "web"
desiredCount = 4
demand = { type = "diurnal", troughRps = 50, peakRps = 200, peakHour = 6, taskCapacityRps = 60 }

[[services]]
serviceName = "agent"
taskDefinition = "agent"
schedulingStrategy = "DAEMON"
"#;

// ECS-MODEL A1, T2, D1: the in-service and healthy counts kept as task
// states change equal the walk over every live and retiring task, at
// every step of a run with starts, health-check failures, deployments,
// scaling and spot interruptions.
#[test]
fn in_service_counts_equal_the_walk() {
    let spec = spec(CHURN);
    let mut sim = super::Simulation::new(&spec, 11);
    let step = crate::sim::SimDuration::from_secs(7);
    let mut t = crate::sim::SimTime::ZERO;
    let mut checked = [0u32; 2];
    let mut below_grace = 0;
    while t < sim.horizon {
        t += step;
        sim.run_until(t);
        let now = sim.now();
        for s in crate::model::ServiceId::all(sim.services.len()) {
            for (k, after_grace) in [false, true].into_iter().enumerate() {
                let n = sim.in_service(s, now, after_grace);
                assert_eq!(
                    n,
                    sim.in_service_walk(s, now, after_grace),
                    "service {s} at {now:?}"
                );
                checked[k] += n;
            }
            if sim.in_service(s, now, true) < sim.in_service(s, now, false) {
                below_grace += 1;
            }
        }
    }
    // The run did exercise both counts, and tasks in their grace time.
    assert!(checked[0] > 0 && checked[1] > 0 && below_grace > 0);
    let r = sim.run();
    assert!(r.summary.interruptions.notices > 0, "no spot notice");
    assert!(r.events.iter().any(|e| e.event == "task-unhealthy"));
    assert!(r.events.iter().any(|e| e.event == "deployment-failed"));
}

// ECS-MODEL T2, X4: tasks that crash (or die with their instance) while
// still in their health-check grace time leave the count of tasks in
// their grace time (a long grace, frequent crashes, spot reclaims).
#[test]
fn in_service_counts_equal_the_walk_when_tasks_die_in_their_grace_time() {
    let text = CHURN.replace(
        "healthCheckGracePeriodSeconds = 45",
        "healthCheckGracePeriodSeconds = 1800\ntaskCrashes = { perTaskHour = 3 }",
    );
    let spec = spec(&text);
    let mut sim = super::Simulation::new(&spec, 5);
    let step = crate::sim::SimDuration::from_secs(11);
    let mut t = crate::sim::SimTime::ZERO;
    while t < sim.horizon {
        t += step;
        sim.run_until(t);
        let now = sim.now();
        for s in crate::model::ServiceId::all(sim.services.len()) {
            let n = sim.in_service(s, now, true);
            assert_eq!(n, sim.in_service_walk(s, now, true), "{s} at {now:?}");
        }
    }
    // Some tasks did leave RUNNING before their grace ended.
    let crashed = (sim.cluster().tasks().iter())
        .filter(|task| task.stop_reason == Some(crate::model::StopReason::Crashed))
        .filter(|task| {
            let grace = crate::sim::SimDuration::from_secs(1800);
            task.running_at
                .get()
                .zip(task.stopped_at.get())
                .is_some_and(|(r, s)| s < r + grace)
        })
        .count();
    assert!(crashed > 0, "no crash in the grace time");
}

// Leaving the task records out (`--outputs summary`, sweeps) changes
// nothing else: the summary's waits, provisioning times and task counts
// are computed from the cluster's tasks, not from the records.
#[test]
fn a_run_without_task_records_has_the_same_summary_and_tables() {
    for (text, seed) in [(PARTS, 3), (CHURN, 11)] {
        let spec = spec(text);
        let full = super::Simulation::new(&spec, seed).run();
        let mut sim = super::Simulation::new(&spec, seed);
        sim.without_task_records();
        let lean = sim.run();
        assert!(!full.tasks.is_empty(), "{}", spec.name);
        assert!(lean.tasks.is_empty(), "{}", spec.name);
        assert!(full.summary.services.iter().any(|s| s.wait.values[3] > 0.0));
        assert_eq!(lean.summary, full.summary, "{}", spec.name);
        assert_eq!(lean.timeseries, full.timeseries, "{}", spec.name);
        assert_eq!(lean.events, full.events, "{}", spec.name);
        assert_eq!(lean.instances, full.instances, "{}", spec.name);
        assert_eq!(lean.cost, full.cost, "{}", spec.name);
    }
}

// Retiring the records of finished tasks during a run (what `run` does,
// to bound memory) changes no output: the same run with every record kept
// (run to the horizon with `run_until` first, which retires nothing) gives
// the same summary, waits, task records and tables. Part of one run is
// retired mid-way, by hand, to check that retirement happened.
#[test]
fn retiring_finished_tasks_changes_no_output() {
    let cases: [(&str, &[&str]); 6] = [
        ("scenarios/spot-what-if.toml", &[]),
        ("scenarios/scale/plain-batch.toml", &["duration=90m"]),
        // Spot interruptions kill jobs' tasks before their work is done:
        // the events about their work outlive them.
        (
            "scenarios/scale/plain-batch.toml",
            &[
                "duration=3h",
                "instanceGroups.batch.count=60",
                r#"instanceGroups.batch.instancesDistribution={ onDemandPercentageAboveBaseCapacity = 0, spotAllocationStrategy = "price-capacity-optimized" }"#,
                r#"spot={ region = "us-east-1", pools = [{ reclaim = { eventsPerDay = 48, fraction = 0.5, unavailableFor = "10m" } }] }"#,
                "batchJobs.jobs.retryOnInterruption=true",
                "batchJobs.jobs.arrivals.perHour=2000",
            ],
        ),
        ("scenarios/cost/nightly-batch.toml", &[]),
        (
            "scenarios/cost/nightly-batch.toml",
            &[
                r#"capacityProviders=[{ name = "batch-cp", instanceGroup = "batch", managedScaling = { targetCapacity = 100, instanceWarmupPeriod = 300 }, managedTerminationProtection = "ENABLED" }]"#,
                r#"batchJobs.etl.capacityProviderStrategy=[{ capacityProvider = "batch-cp", weight = 1 }]"#,
                "instanceGroups.batch.count=1",
                "instanceGroups.batch.minSize=1",
                "instanceGroups.batch.maxSize=8",
            ],
        ),
        (
            "scenarios/cost/nightly-batch.toml",
            &["batchJobs.etl.launchType=FARGATE"],
        ),
    ];
    for (file, set) in cases {
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let spec = crate::scenario::load(&path, &set)
            .unwrap_or_else(|e| panic!("{e}"))
            .spec;
        let horizon = crate::sim::SimTime::ZERO + spec.horizon;
        let retiring = super::Simulation::new(&spec, 7).run();
        let mut sim = super::Simulation::new(&spec, 7);
        sim.run_until(horizon);
        let kept = sim.run();
        let mut sim = super::Simulation::new(&spec, 7);
        sim.run_until(crate::sim::SimTime(spec.horizon.as_millis() / 2));
        let created = sim.cluster().tasks_created() as usize;
        sim.retire_tasks();
        let retired = created - sim.cluster().tasks().len();
        let halfway = sim.run();
        for (name, other) in [("retiring", &retiring), ("retired halfway", &halfway)] {
            assert_eq!(other.summary, kept.summary, "{file} {set:?}: {name}");
            assert_eq!(
                crate::output::tasks_csv(other),
                crate::output::tasks_csv(&kept),
                "{file} {set:?}: {name}"
            );
            assert_eq!(other.timeseries, kept.timeseries, "{file} {set:?}: {name}");
            assert_eq!(other.events, kept.events, "{file} {set:?}: {name}");
            assert_eq!(other.cost, kept.cost, "{file} {set:?}: {name}");
        }
        // Only jobs' tasks on instances are retired, oldest first: the
        // services of the spot what-if, started first, hold the rest back.
        if file.contains("batch")
            && !set.iter().any(|s| {
                s.contains("Fargate") || s.contains("FARGATE") || s.contains("capacityProvider")
            })
        {
            assert!(retired > 0, "{file}: nothing retired halfway");
        }
        println!("{file} {set:?}: {retired} of {created} retired halfway");
    }
}
