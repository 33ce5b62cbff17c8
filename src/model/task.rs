//! Tasks and their life cycle (ECS-MODEL T1, T3).

use super::ids::{GroupId, InstanceId, JobId, ServiceId, TaskDefId, TaskId};
use super::resources::Resources;
use super::taskdef::HostPort;
use crate::sim::{MaybeTime, SimTime};

/// Task states modelled (T1). ACTIVATING/DEACTIVATING/DEPROVISIONING are
/// folded into their neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskState {
    /// Waiting for capacity (capacity-provider strategies only).
    Provisioning,
    /// Placed; pulling the image and starting containers.
    Pending,
    /// Running.
    Running,
    /// SIGTERM sent; resources still held until the containers exit.
    Stopping,
    /// Stopped; resources released.
    Stopped,
}

impl TaskState {
    /// The ECS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Provisioning => "PROVISIONING",
            TaskState::Pending => "PENDING",
            TaskState::Running => "RUNNING",
            TaskState::Stopping => "STOPPING",
            TaskState::Stopped => "STOPPED",
        }
    }
}

/// Why a task stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StopReason {
    /// Its essential container exited (a batch task finished its work).
    Completed,
    /// The service scheduler stopped it to lower the running count (P8).
    ScaledIn,
    /// RunTask could not place it (P9), with the failure reason.
    PlacementFailed(Unfit),
    /// Its instance was terminated under it: killed, not stopped gracefully (S3).
    InstanceTerminated,
    /// The service scheduler replaced it because its instance is DRAINING (D1).
    Drained,
    /// A deployment replaced it with a task of the new revision (D3).
    Replaced,
    /// It stopped before reaching RUNNING (D4 counts these).
    FailedToStart,
    /// Fargate Spot reclaimed its capacity: SIGTERM with two minutes' warning (F3).
    SpotInterrupted,
    /// It waited in PROVISIONING longer than the timeout (P9).
    ProvisioningTimedOut,
    /// The daemon scheduler stopped it (instance left ACTIVE).
    DaemonStopped,
    /// It failed its container or load-balancer health checks (D3).
    FailedHealthChecks,
    /// Its essential container exited while RUNNING, before its work was
    /// done: a crash (X4).
    Crashed,
    /// Every image pull attempt failed: it stopped before RUNNING (X4).
    CannotPullContainer,
}

impl StopReason {
    /// A short code for CSV output.
    pub fn code(self) -> String {
        match self {
            StopReason::Completed => "EssentialContainerExited".into(),
            StopReason::ScaledIn => "ServiceSchedulerInitiated".into(),
            StopReason::PlacementFailed(u) => u.failure_reason().into(),
            StopReason::InstanceTerminated => "InstanceTerminated".into(),
            StopReason::Drained => "InstanceDraining".into(),
            StopReason::Replaced => "DeploymentReplaced".into(),
            StopReason::FailedToStart => "TaskFailedToStart".into(),
            StopReason::SpotInterrupted => "TerminationNotice".into(),
            StopReason::ProvisioningTimedOut => "ProvisioningTimeout".into(),
            StopReason::DaemonStopped => "DaemonSchedulerInitiated".into(),
            StopReason::FailedHealthChecks => "TaskFailedHealthChecks".into(),
            StopReason::Crashed => "EssentialContainerCrashed".into(),
            StopReason::CannotPullContainer => "CannotPullContainerError".into(),
        }
    }
}

/// Why an instance cannot take a task (P1, P9). Ordered by how far an
/// instance got through the placement pipeline: a later variant is a closer match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unfit {
    /// There is no ACTIVE instance at all.
    NoInstances,
    /// Not enough CPU units.
    Cpu,
    /// Not enough memory.
    Memory,
    /// A fixed host port is taken, or the 100-port limit is reached.
    Ports,
    /// No ENI left for an awsvpc task.
    Eni,
    /// A placement constraint (memberOf or distinctInstance) excludes it.
    Attribute,
}

impl Unfit {
    /// The reason code as ECS service events name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unfit::NoInstances => "NO_INSTANCES",
            Unfit::Cpu => "CPU",
            Unfit::Memory => "MEMORY",
            Unfit::Ports => "PORTS",
            Unfit::Eni => "ENI",
            Unfit::Attribute => "ATTRIBUTE",
        }
    }

    /// The RunTask `failures[].reason` form (`RESOURCE:CPU`, ...).
    pub fn failure_reason(self) -> &'static str {
        match self {
            Unfit::NoInstances => "RESOURCE:NO_INSTANCES",
            Unfit::Cpu => "RESOURCE:CPU",
            Unfit::Memory => "RESOURCE:MEMORY",
            Unfit::Ports => "RESOURCE:PORTS",
            Unfit::Eni => "RESOURCE:ENI",
            Unfit::Attribute => "MissingAttribute",
        }
    }

    /// Every reason, in pipeline order.
    pub const ALL: [Unfit; 6] = [
        Unfit::NoInstances,
        Unfit::Cpu,
        Unfit::Memory,
        Unfit::Ports,
        Unfit::Eni,
        Unfit::Attribute,
    ];
}

/// Who started a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskOwner {
    /// A REPLICA service.
    Service(ServiceId),
    /// A DAEMON service.
    Daemon(ServiceId),
    /// A standalone task of a batch job stream.
    Job(JobId),
}

/// One task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Id.
    pub id: TaskId,
    /// Task definition.
    pub def: TaskDefId,
    /// Task group (spread and distinctInstance count within it).
    pub group: GroupId,
    /// Who started it.
    pub owner: TaskOwner,
    /// CPU and memory it reserves (R3).
    pub reservation: Resources,
    /// Fixed host ports it reserves (R4).
    pub ports: Box<[HostPort]>,
    /// Whether it takes an ENI (awsvpc).
    pub needs_eni: bool,
    /// State.
    pub state: TaskState,
    /// Where it is placed.
    pub instance: Option<InstanceId>,
    /// When it was requested.
    pub created_at: SimTime,
    /// When it was placed (entered PENDING).
    pub pending_at: MaybeTime,
    /// When it entered RUNNING.
    pub running_at: MaybeTime,
    /// When it entered STOPPING.
    pub stopping_at: MaybeTime,
    /// When it entered STOPPED.
    pub stopped_at: MaybeTime,
    /// Why it stopped.
    pub stop_reason: Option<StopReason>,
    /// For standalone tasks: how long it runs once RUNNING.
    pub work: Option<crate::sim::SimDuration>,
    /// The record is kept at least until then (see
    /// [`Cluster::hold_task`](super::Cluster::hold_task)).
    pub held_until: SimTime,
}

impl Task {
    /// Whether it counts toward its group on its instance (desired status RUNNING).
    pub fn is_live(&self) -> bool {
        matches!(self.state, TaskState::Pending | TaskState::Running)
    }
}
