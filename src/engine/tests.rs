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
