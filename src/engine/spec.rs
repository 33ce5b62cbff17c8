//! What a simulation is built from. `scenario` produces these from a file;
//! tests and sweeps may build them directly. Units are already converted:
//! durations in [`SimDuration`], CPU in units, memory in MiB.

use crate::cost::{Commitment, FargateRates, HOURS_PER_MONTH};
use crate::market::{FargatePlatform, InstancesDistribution, SpotPrice};
use crate::model::{InstanceGroupId, JobId, PoolId, Resources, ServiceId, TaskDef, TaskDefId};
use crate::placement::provider_strategy::StrategyItem;
use crate::placement::{Constraint, Strategy, TieBreak};
use crate::scaling::{
    AsgTargetTracking, ManagedScaling, ScaleInPacing, ScheduledAction, ServiceScaler,
};
use crate::sim::{SimDuration, SimTime};
use crate::workload::{Arrivals, Demand, Dist};

/// A whole simulated cluster and its workload.
#[derive(Debug, Clone)]
pub struct SimSpec {
    /// Scenario name.
    pub name: String,
    /// How long to simulate.
    pub horizon: SimDuration,
    /// Wall-clock time of simulated time zero, seconds since the Unix epoch.
    pub start_epoch_s: i64,
    /// Tie-break order (P5).
    pub tie_break: TieBreak,
    /// Interval of service placement retries after "unable to place" (P9).
    pub placement_retry: SimDuration,
    /// Sampling interval of the time series.
    pub sample_interval: SimDuration,
    /// PENDING duration when an image must be pulled (T1).
    pub image_pull: Dist,
    /// PENDING duration when every image is already on the instance (T1).
    pub cached_start: Dist,
    /// Whether instances of the initial fleet are ACTIVE at time zero
    /// (the cluster already exists) instead of booting with their latency.
    pub warm_start: bool,
    /// Task definitions, indexed by [`TaskDefId`].
    pub task_definitions: Vec<TaskDefSpec>,
    /// Instance groups.
    pub instance_groups: Vec<InstanceGroupSpec>,
    /// Services (REPLICA and DAEMON).
    pub services: Vec<ServiceSpec>,
    /// Standalone task streams.
    pub jobs: Vec<JobSpec>,
    /// Timed operations on the cluster (maintenance drains, deployments).
    pub operations: Vec<Operation>,
    /// The spot market.
    pub spot: SpotSpec,
    /// Fargate capacity.
    pub fargate: FargateSpec,
    /// Prices for the cost ledger.
    pub pricing: PricingSpec,
    /// Auto Scaling group capacity providers (C1–C6).
    pub capacity_providers: Vec<CapacityProviderSpec>,
    /// Tasks waiting for capacity (P9).
    pub provisioning: ProvisioningSpec,
    /// The service throttle and launch rate (P9).
    pub throttle: ThrottleSpec,
    /// AZ outages and instance failures (X1, X4).
    pub failures: super::FailuresSpec,
    /// Service-level objectives and the availability share (`[slo]`).
    pub slo: SloSpec,
}

/// The `[slo]` section: objectives judged on every run, the share of the
/// desired count that partial availability asks for, and the confidence of
/// the intervals sweeps give over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SloSpec {
    /// Objectives, resolved against the summary's fields, in file order.
    pub objectives: Vec<crate::slo::Resolved>,
    /// Share of the desired count, 0–1 (`availabilityShare`, default 0.9).
    pub availability_share: f64,
    /// Two-sided confidence of the share of seeds meeting each objective
    /// (`confidence`, default 0.95).
    pub confidence: f64,
}

impl Default for SloSpec {
    fn default() -> Self {
        SloSpec {
            objectives: Vec::new(),
            availability_share: 0.9,
            confidence: 0.95,
        }
    }
}

/// The service throttle of tasks that fail to reach RUNNING, and the
/// per-service launch rate (P9).
///
/// AWS documents growing gaps capped at 27 minutes but no sequence; the
/// sequence is a model choice: after the k-th consecutive failed launch
/// attempt the next waits `min(first_delay × multiplier^(k−1), max_delay)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleSpec {
    /// Gap after the first failed attempt (model choice, default 1 min).
    pub first_delay: SimDuration,
    /// Growth of the gap per further failed attempt (model choice, default 2).
    pub multiplier: f64,
    /// Largest gap (27 min in the developer guide).
    pub max_delay: SimDuration,
    /// Tasks one service may launch in any minute (500).
    pub launches_per_minute: u32,
}

impl Default for ThrottleSpec {
    fn default() -> Self {
        ThrottleSpec {
            first_delay: SimDuration::from_mins(1),
            multiplier: 2.0,
            max_delay: SimDuration::from_mins(27),
            launches_per_minute: 500,
        }
    }
}

impl ThrottleSpec {
    /// The gap after the `attempt`-th consecutive failed attempt (1-based).
    pub fn delay(&self, attempt: u32) -> SimDuration {
        let first = self.first_delay.as_millis() as f64;
        let cap = self.max_delay.as_millis();
        let exp = attempt.saturating_sub(1).min(1000) as i32;
        let ms = first * self.multiplier.powi(exp);
        let ms = if ms.is_finite() && ms < cap as f64 {
            ms.round() as u64
        } else {
            cap
        };
        SimDuration::from_millis(ms.min(cap))
    }
}

/// An Auto Scaling group capacity provider (C1–C6).
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityProviderSpec {
    /// Name, as strategies give it.
    pub name: String,
    /// Its instance group (the ASG).
    pub group: InstanceGroupId,
    /// Managed scaling; `None` when disabled.
    pub managed_scaling: Option<ManagedScaling>,
    /// Managed termination protection (C5).
    pub termination_protection: bool,
    /// Managed draining of instances the ASG removes (C5, D1).
    pub managed_draining: bool,
    /// How fast a managed scale-in goes: step limit and removal latency (C4).
    pub pacing: ScaleInPacing,
}

/// D1: with capacity-provider managed draining, an instance stays DRAINING
/// at most this long, then terminates with whatever still runs on it.
pub const MANAGED_DRAINING_LIMIT: SimDuration = SimDuration::from_mins(48 * 60);

/// PROVISIONING limits (P9).
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisioningSpec {
    /// Tasks that may wait in PROVISIONING in the cluster.
    pub max_tasks: u32,
    /// How long a task waits before it is stopped.
    pub timeout: Dist,
}

impl Default for ProvisioningSpec {
    fn default() -> Self {
        ProvisioningSpec {
            max_tasks: 100,
            timeout: Dist::Uniform {
                min: SimDuration::from_mins(10),
                max: SimDuration::from_mins(30),
            },
        }
    }
}

/// Spot market settings (S1–S5).
#[derive(Debug, Clone, PartialEq)]
pub struct SpotSpec {
    /// Rebalance recommendation lead time before the two-minute notice (S3).
    pub rebalance_lead: SimDuration,
    /// Time between the notice and the termination (S3: two minutes).
    pub notice: SimDuration,
    /// Wait before a group tries again a launch that found no capacity.
    pub launch_retry: SimDuration,
    /// Pools, one per (instance type, AZ) where some group may buy spot.
    pub pools: Vec<PoolSpec>,
    /// Interruptions replayed from a file, sorted by time (S2).
    pub replay: Vec<ReplayedInterruption>,
}

impl Default for SpotSpec {
    fn default() -> Self {
        SpotSpec {
            rebalance_lead: SimDuration::ZERO,
            notice: SimDuration::from_secs(120),
            launch_retry: SimDuration::from_secs(60),
            pools: Vec::new(),
            replay: Vec::new(),
        }
    }
}

/// A spot capacity pool (S1).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// Instance type.
    pub instance_type: String,
    /// Availability Zone.
    pub az: String,
    /// Price over time.
    pub price: SpotPrice,
    /// Independent interruptions per instance-hour (S2).
    pub hazard_per_hour: f64,
    /// Correlated reclaims, if any (S2).
    pub reclaim: Option<ReclaimSpec>,
}

impl PoolSpec {
    /// `type/AZ`, as outputs name pools.
    pub fn label(&self) -> String {
        format!("{}/{}", self.instance_type, self.az)
    }
}

/// Pool-level reclaim events: at each one, a fraction of the pool's
/// instances get their notice at once and the pool refuses launches for a while.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReclaimSpec {
    /// Reclaim events per hour.
    pub rate_per_hour: f64,
    /// Probability that one event interrupts each instance of the pool (0–1]:
    /// the fraction of the pool an event takes, on average.
    pub fraction: f64,
    /// How long the pool refuses launches after an event.
    pub unavailable_for: SimDuration,
}

/// One replayed interruption record (S2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayedInterruption {
    /// When the notices are sent.
    pub at: SimTime,
    /// Its pool in `SpotSpec::pools`.
    pub pool: PoolId,
    /// Instances of the pool to interrupt.
    pub count: u32,
    /// How long the pool then refuses launches.
    pub unavailable_for: SimDuration,
}

/// A timed operation a scenario performs on the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// When.
    pub at: SimTime,
    /// What.
    pub kind: OperationKind,
}

/// What a timed operation does.
#[derive(Debug, Clone, PartialEq)]
pub enum OperationKind {
    /// Set every instance of a group to DRAINING (D1), as for maintenance.
    /// With `replace`, the group launches replacements at once to keep its
    /// size; with `terminate`, a drained instance is terminated once its
    /// last non-daemon task has stopped.
    DrainGroup {
        /// The group in `instance_groups`.
        group: InstanceGroupId,
        /// Launch replacements to keep the group's size.
        replace: bool,
        /// Terminate each instance when its draining completes.
        terminate: bool,
    },
    /// Deploy a new revision of a REPLICA service (D3).
    Deploy {
        /// The service.
        service: ServiceId,
        /// Index into the service's `revisions` (1 = the first deployment).
        revision: usize,
    },
}

/// A task definition with its own placement constraints.
#[derive(Debug, Clone)]
pub struct TaskDefSpec {
    /// The definition.
    pub def: TaskDef,
    /// `placementConstraints` of the task definition (memberOf only).
    pub constraints: Vec<Constraint>,
    /// Its Fargate size and platform, when some service or job runs it on Fargate.
    pub fargate: Option<FargateTask>,
}

/// What a task definition is on Fargate (F1, B2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FargateTask {
    /// Task CPU, units (a valid Fargate size).
    pub cpu: u32,
    /// Task memory, MiB.
    pub memory: u32,
    /// Operating system and architecture.
    pub platform: FargatePlatform,
    /// Ephemeral storage, GiB (20 included).
    pub ephemeral_gb: f64,
}

/// Where a service's or job's tasks run.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Capacity {
    /// EC2 launch type: the cluster's container instances.
    #[default]
    Ec2,
    /// Fargate capacity providers `FARGATE` and `FARGATE_SPOT`, split by
    /// base and weight (C6); `launchType = "FARGATE"` is `[FARGATE weight 1]`.
    Fargate(Vec<StrategyItem>),
    /// Auto Scaling group capacity providers (names in `capacity_providers`),
    /// split by base and weight (C6).
    Asg(Vec<StrategyItem>),
}

impl Capacity {
    /// Whether tasks run on Fargate.
    pub fn is_fargate(&self) -> bool {
        matches!(self, Capacity::Fargate(_))
    }
}

/// Fargate capacity (F2, F3).
#[derive(Debug, Clone, PartialEq)]
pub struct FargateSpec {
    /// PROVISIONING + PENDING: Fargate always pulls the image.
    pub start_latency: Dist,
    /// Launch-rate token bucket: burst.
    pub burst: u32,
    /// Launch-rate token bucket: tasks per second.
    pub launches_per_s: f64,
    /// Fargate Spot interruptions per task-hour.
    pub spot_hazard_per_hour: f64,
    /// Probability that a Fargate Spot launch finds capacity.
    pub spot_capacity: f64,
    /// The AZs Fargate tasks spread over.
    pub availability_zones: Vec<String>,
}

impl Default for FargateSpec {
    fn default() -> Self {
        FargateSpec {
            start_latency: Dist::Uniform {
                min: SimDuration::from_secs(30),
                max: SimDuration::from_secs(90),
            },
            burst: 100,
            launches_per_s: 20.0,
            // S2's formula on a 5%-a-month rate, the Advisor's lowest bucket
            // edge; a scenario sets its own.
            spot_hazard_per_hour: -(1.0f64 - 0.05).ln() / HOURS_PER_MONTH,
            spot_capacity: 1.0,
            availability_zones: vec![
                "us-east-1a".into(),
                "us-east-1b".into(),
                "us-east-1c".into(),
            ],
        }
    }
}

/// Prices the ledger bills with (B1–B4).
#[derive(Debug, Clone, PartialEq)]
pub struct PricingSpec {
    /// Fargate rates by platform, on-demand (`false`) and Spot (`true`).
    pub fargate: Vec<(FargatePlatform, bool, FargateRates)>,
    /// Free ephemeral storage per Fargate task, GB.
    pub free_ephemeral_gb: f64,
    /// EBS root volume per instance, GB (0: none billed).
    pub ebs_root_gb: f64,
    /// EBS price, USD per GB-month.
    pub ebs_usd_per_gb_month: f64,
    /// Savings Plan / RI what-if (B3).
    pub commitment: Option<Commitment>,
    /// Reserved Instances and Savings Plans (B3), settled hour by hour.
    pub commitments: Option<crate::cost::commitments::Commitments>,
}

impl PricingSpec {
    /// Rates for a platform and purchase option, if known.
    pub fn fargate_rates(&self, platform: FargatePlatform, spot: bool) -> Option<FargateRates> {
        self.fargate
            .iter()
            .find(|(p, s, _)| *p == platform && *s == spot)
            .map(|(_, _, r)| *r)
    }
}

/// An instance type as a group launches it.
#[derive(Debug, Clone)]
pub struct GroupInstanceType {
    /// Type name.
    pub name: String,
    /// Registered CPU/memory (R2).
    pub registered: Resources,
    /// awsvpc task capacity (R4).
    pub eni_capacity: u32,
    /// `ecs.cpu-architecture` value.
    pub arch: String,
    /// On-demand price, USD per hour (R1).
    pub on_demand_usd_per_hour: f64,
}

/// A fixed-size group of instances spread evenly over AZs.
#[derive(Debug, Clone)]
pub struct InstanceGroupSpec {
    /// Name.
    pub name: String,
    /// Types, launched in turn (instance k gets type k mod n).
    pub instance_types: Vec<GroupInstanceType>,
    /// AZs, filled in turn (instance k goes to AZ k mod m).
    pub availability_zones: Vec<String>,
    /// Instances at time zero.
    pub count: u32,
    /// Launch-to-ACTIVE latency (R5).
    pub launch_latency: Dist,
    /// Custom attributes.
    pub attributes: Vec<(String, String)>,
    /// Single instances of the group: entry k describes the k-th instance
    /// the group launches (its instances at time zero first).
    pub instances: Vec<InstanceSeed>,
    /// `ecs.ami-id` value.
    pub ami_id: String,
    /// Mixed-instances policy (S6). `None`: all on-demand, types launched in
    /// turn, AZs balanced.
    pub distribution: Option<InstancesDistribution>,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING` in the agent configuration (S4).
    pub spot_draining: bool,
    /// ASG Capacity Rebalancing (S5).
    pub capacity_rebalance: bool,
    /// ASG minimum size.
    pub min_size: u32,
    /// ASG maximum size.
    pub max_size: u32,
    /// The ASG's own target tracking on the group's CPU reservation (C7).
    pub target_tracking: Option<AsgTargetTracking>,
}

/// What one instance of a group has of its own (an imported cluster:
/// `PutAttributes` on some instances, the real EC2 id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceSeed {
    /// Its EC2 id, shown in outputs and matched by `ec2InstanceId`
    /// constraints; `None`: a generated one.
    pub ec2_instance_id: Option<String>,
    /// Custom attributes on top of the group's.
    pub attributes: Vec<(String, String)>,
    /// Its instance type (an index into the group's `instance_types`);
    /// `None`: the group's usual choice.
    pub instance_type: Option<usize>,
    /// Its AZ (an index into the group's `availability_zones`); `None`: the
    /// group's usual choice.
    pub availability_zone: Option<usize>,
    /// Service tasks already RUNNING on it at time zero (an imported
    /// cluster's placement); the instance is then ACTIVE at time zero.
    pub tasks: Vec<SeedTask>,
    /// DRAINING at time zero (an imported instance someone was draining):
    /// set DRAINING as soon as it is ACTIVE, its tasks replaced or stopped
    /// as D1 says; it stays registered (whoever drained it terminates it).
    pub draining: bool,
}

/// Whose tasks a seeded instance runs at time zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedOwner {
    /// A REPLICA service's: they count for its desired count.
    Service(ServiceId),
    /// A batch job stream's (RunTask): each has a fresh draw of the
    /// stream's duration left to run (model choice: how long it has
    /// already run is unknown).
    Job(JobId),
}

/// Tasks of one service and revision (or of one job stream) already
/// running on a seeded instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedTask {
    /// Whose they are.
    pub owner: SeedOwner,
    /// Their task definition (a revision of the service's family, or the
    /// job's).
    pub task_def: TaskDefId,
    /// How many.
    pub count: u32,
}

/// A change of a REPLICA service's desired count at a given time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DesiredChange {
    /// When.
    pub at: SimTime,
    /// New desired count.
    pub count: u32,
}

/// Service scheduler kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceKind {
    /// Keeps `desired` tasks, changed over time by `changes`.
    Replica {
        /// Desired count at time zero.
        desired: u32,
        /// Later changes, sorted by time.
        changes: Vec<DesiredChange>,
    },
    /// One task per ACTIVE instance meeting the constraints (P10).
    Daemon,
}

/// `deploymentConfiguration` (D1, D2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deployment {
    /// minimumHealthyPercent.
    pub minimum_healthy_percent: u32,
    /// maximumPercent.
    pub maximum_percent: u32,
}

/// A service.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Service name; its task group is `service:<name>`.
    pub name: String,
    /// REPLICA or DAEMON.
    pub kind: ServiceKind,
    /// Task definition.
    pub task_def: TaskDefId,
    /// Placement strategy chain (empty = the default of P6).
    pub strategies: Vec<Strategy>,
    /// Service placement constraints.
    pub constraints: Vec<Constraint>,
    /// Deployment limits.
    pub deployment: Deployment,
    /// Time from RUNNING until a task counts as healthy (T2).
    pub health_grace: SimDuration,
    /// Deployment circuit breaker (D4); `None` when disabled.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Revisions deployed later, in order (see [`OperationKind::Deploy`]).
    pub revisions: Vec<Revision>,
    /// Launch type or capacity provider strategy.
    pub capacity: Capacity,
    /// Request-rate curve (W1), if the service serves requests.
    pub demand: Option<Demand>,
    /// Behind a load balancer: tasks serve once healthy (T2).
    pub load_balanced: bool,
    /// Service auto scaling (A1–A5).
    pub scaling: Option<ServiceScaler>,
    /// Scheduled actions setting min/max (A5).
    pub scheduled: Vec<ScheduledAction>,
    /// Health-check failures of its RUNNING tasks (D3's unhealthy-task
    /// clause); `None` when the scenario has none.
    pub health_check_failures: Option<HealthCheckFailures>,
    /// Task crashes, start and image pull failures (X4, P9, D4); empty
    /// when the scenario has none.
    pub task_failures: super::TaskFailures,
    /// `availabilityZoneRebalancing` is ENABLED (X2). It acts only where X2
    /// applies (see `engine/rebalance.rs`).
    pub az_rebalancing: bool,
    /// Task scale-in protection settings (X3), in time order.
    pub scale_in_protection: Vec<ProtectionSetting>,
}

/// Default protection period of task scale-in protection (X3): 120 minutes.
pub const DEFAULT_PROTECTION_MINUTES: u32 = 120;
/// Longest protection period (X3): 2,880 minutes (48 hours).
pub const MAX_PROTECTION_MINUTES: u32 = 2_880;

/// Which of a service's tasks an `UpdateTaskProtection` call names (X3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectedTasks {
    /// This many tasks.
    Count(u32),
    /// This percentage of the service's RUNNING tasks, rounded up.
    Percent(u32),
}

/// One `UpdateTaskProtection` call on a service's tasks (X3), optionally
/// repeated: at `at`, the RUNNING tasks with the lowest ids (the oldest)
/// are protected for `expires` (or, with `enabled` false, unprotected).
/// Setting it again on a protected task renews its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtectionSetting {
    /// When.
    pub at: SimTime,
    /// Which tasks.
    pub tasks: ProtectedTasks,
    /// `protectionEnabled`.
    pub enabled: bool,
    /// `expiresInMinutes` (1–2,880 minutes, default 120).
    pub expires: SimDuration,
    /// Repeat the call this often (a task renewing its own protection).
    pub renew_every: Option<SimDuration>,
    /// The last repetition is no later than this (default: the run's end).
    pub until: Option<SimTime>,
}

/// Health-check failures of a service's healthy RUNNING tasks (D3): a task
/// that fails stops counting as healthy and is replaced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthCheckFailures {
    /// Poisson rate of failures per healthy RUNNING task per hour (0: none).
    pub per_task_hour: f64,
    /// Replayed failures, in time order.
    pub replay: Vec<HealthFailureReplay>,
}

/// At `at`, the `tasks` healthy tasks of the service with the lowest task
/// ids (the oldest) fail their health checks together.
pub type HealthFailureReplay = super::FailureReplay;

/// A task-definition revision a service can run.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Task definition.
    pub task_def: TaskDefId,
    /// Its tasks stop before reaching RUNNING (a broken image or command),
    /// to exercise the circuit breaker (D4).
    pub fails_to_start: bool,
}

/// `deploymentCircuitBreaker` (D4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreaker {
    /// Roll back to the last completed revision when the deployment fails.
    pub rollback: bool,
}

impl Deployment {
    /// D1: `(min_healthy, max_tasks)` for a desired count:
    /// `ceil(desired × minimumHealthyPercent / 100)` tasks must stay healthy and
    /// at most `floor(desired × maximumPercent / 100)` may be PENDING, RUNNING or STOPPING.
    pub fn limits(&self, desired: u32) -> (u32, u32) {
        let d = u64::from(desired);
        let min = (d * u64::from(self.minimum_healthy_percent)).div_ceil(100);
        let max = d * u64::from(self.maximum_percent) / 100;
        (min as u32, max as u32)
    }
}

/// D4: the circuit breaker's failure threshold, `clamp(ceil(0.5 × desired), 3, 200)`
/// (the current developer guide and API reference; older pages said a minimum of 10).
pub fn circuit_breaker_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

/// A stream of standalone tasks (RunTask).
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// Name (used in outputs).
    pub name: String,
    /// Task definition.
    pub task_def: TaskDefId,
    /// Task group (default `family:<family>`, T3).
    pub group: String,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Run time once RUNNING (traces may give their own).
    pub duration: Dist,
    /// Tasks started per arrival.
    pub tasks_per_arrival: u32,
    /// First arrival not before this time.
    pub start: SimTime,
    /// No arrival after this time (None = the horizon).
    pub end: Option<SimTime>,
    /// Strategies (empty = random, P6).
    pub strategies: Vec<Strategy>,
    /// Constraints.
    pub constraints: Vec<Constraint>,
    /// Re-submit a task killed by an instance termination (as a batch
    /// system's retry strategy does); its work starts again from zero.
    pub retry_on_interruption: bool,
    /// Launch type or capacity provider strategy.
    pub capacity: Capacity,
    /// Task crashes, start and image pull failures (X4); empty when the
    /// scenario has none.
    pub task_failures: super::TaskFailures,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_breaker_threshold_is_half_desired_between_3_and_200() {
        // ECS-MODEL D4: clamp(ceil(0.5 × desired), 3, 200).
        for (desired, want) in [
            (0, 3),     // ceil(0) = 0 -> 3
            (1, 3),     // ceil(0.5) = 1 -> 3
            (4, 3),     // 2 -> 3
            (6, 3),     // 3
            (7, 4),     // ceil(3.5) = 4
            (20, 10),   // 10: the old minimum, now reached only from 19 up
            (25, 13),   // ceil(12.5) = 13
            (400, 200), // 200
            (1000, 200),
        ] {
            assert_eq!(
                circuit_breaker_threshold(desired),
                want,
                "desired {desired}"
            );
        }
    }

    #[test]
    fn throttle_gaps_grow_to_27_minutes() {
        // ECS-MODEL P9: growing gaps capped at 27 min; the default sequence
        // (model choice) doubles from 1 min: 1, 2, 4, 8, 16, then 27 for ever.
        let t = ThrottleSpec::default();
        let mins: Vec<f64> = (1..=8).map(|k| t.delay(k).as_secs_f64() / 60.0).collect();
        assert_eq!(mins, [1.0, 2.0, 4.0, 8.0, 16.0, 27.0, 27.0, 27.0]);
        assert_eq!(t.delay(u32::MAX), SimDuration::from_mins(27));
        let flat = ThrottleSpec {
            multiplier: 1.0,
            ..ThrottleSpec::default()
        };
        assert_eq!(flat.delay(50), SimDuration::from_mins(1));
    }
}
