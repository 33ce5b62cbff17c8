//! What a simulation is built from. `scenario` produces these from a file;
//! tests and sweeps may build them directly. Units are already converted:
//! durations in [`SimDuration`], CPU in units, memory in MiB.

use crate::model::{Resources, TaskDef, TaskDefId};
use crate::placement::{Constraint, Strategy, TieBreak};
use crate::sim::{SimDuration, SimTime};
use crate::workload::{Arrivals, Dist};

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
}

/// A task definition with its own placement constraints.
#[derive(Debug, Clone)]
pub struct TaskDefSpec {
    /// The definition.
    pub def: TaskDef,
    /// `placementConstraints` of the task definition (memberOf only).
    pub constraints: Vec<Constraint>,
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
    /// `ecs.ami-id` value.
    pub ami_id: String,
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
}
