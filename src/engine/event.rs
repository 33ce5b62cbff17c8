//! The closed set of events of a simulation.

use crate::model::{InstanceGroupId, InstanceId, JobId, OperationId, PoolId, ServiceId, TaskId};

/// Something that happens at a point of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An instance finished booting and registers (REGISTERING -> ACTIVE).
    InstanceReady(InstanceId),
    /// A task's containers started (PENDING -> RUNNING), or failed to.
    TaskStarted(TaskId),
    /// A service task has been RUNNING for its health grace time (T2).
    TaskHealthy(TaskId),
    /// A standalone task's essential container exited (RUNNING -> STOPPED).
    TaskWorkDone(TaskId),
    /// A stopping task's containers exited (STOPPING -> STOPPED).
    TaskStopped(TaskId),
    /// The service scheduler looks at a service (a placement retry, P9).
    ServiceCheck(ServiceId),
    /// A scheduled change of a service's desired count.
    DesiredCount {
        /// Service.
        service: ServiceId,
        /// New count.
        count: u32,
    },
    /// The next arrival of job stream `job` (for traces, record `seq`).
    JobArrival {
        /// Job stream.
        job: JobId,
        /// Trace record index (0 for generated processes).
        seq: u32,
    },
    /// A scenario operation (in `SimSpec::operations`).
    Operation(OperationId),
    /// An instance group tries again to launch what it is short of.
    GroupLaunch(InstanceGroupId),
    /// EC2 terminates an instance (spot reclaim at the end of the notice, or
    /// the ASG after capacity rebalancing).
    InstanceTerminate(InstanceId),
    /// A spot instance receives a rebalance recommendation (S3, S5).
    SpotRebalance(InstanceId),
    /// A spot instance receives its two-minute interruption notice (S3).
    SpotNotice(InstanceId),
    /// The ECS agent sees the notice and sets the instance DRAINING (S4).
    SpotDrain(InstanceId),
    /// A correlated reclaim hits a spot pool (S2).
    PoolReclaim(PoolId),
    /// A spot pool has capacity again after a reclaim.
    PoolRestored(PoolId),
    /// A replayed interruption record (index into the spot spec's replay list).
    ReplayInterruption(u32),
    /// A Fargate Spot task receives its two-minute warning (F3).
    FargateSpotNotice(TaskId),
    /// The one-minute metric tick: service load, and the alarms evaluate
    /// the datapoints of the minute that has just ended (A1, A2).
    MetricTick,
    /// Mid-minute: the metrics the alarms read are sampled (A2).
    MetricSample,
    /// A task has waited in PROVISIONING for its timeout (P9).
    ProvisioningTimeout(TaskId),
    /// A scheduled scaling action of a service (A5).
    ScheduledScaling {
        /// Service.
        service: ServiceId,
        /// Index into the service's scheduled actions.
        action: u32,
    },
    /// A healthy service task fails its health checks (D3).
    HealthCheckFailed(TaskId),
    /// A replayed health-check failure of a service's tasks (index into
    /// its `health_check_failures.replay`).
    HealthCheckReplay {
        /// Service.
        service: ServiceId,
        /// Replay record.
        index: u32,
    },
    /// A RUNNING task's essential container exits: a crash (X4).
    TaskCrashed(TaskId),
    /// A replayed task crash or start failure (index into the run's list
    /// of replayed task failures).
    TaskFailureReplay(u32),
    /// An AZ outage starts (index into the drawn outages, X1).
    AzOutageStart(u32),
    /// An AZ outage ends (X1).
    AzOutageEnd(u32),
    /// An instance fails at random (X4).
    InstanceFailure(InstanceId),
    /// A scripted instance failure (index into
    /// `SimSpec::failures.instance_failures`, X4).
    ScriptedInstanceFailure(u32),
    /// A failed instance's health-check grace period is over: its group
    /// launches the replacement (X4).
    FailureReplacement(InstanceGroupId),
    /// An `UpdateTaskProtection` call on a service's tasks (X3; index into
    /// its `scale_in_protection`).
    ScaleInProtection {
        /// Service.
        service: ServiceId,
        /// Setting.
        index: u32,
    },
    /// Some of a service's task scale-in protection has expired (X3): a
    /// scale-in that waited for it may go on.
    ProtectionExpired(ServiceId),
    /// Record a time-series sample.
    Sample,
}

impl Event {
    /// The task the event is about, for the events whose handler reads
    /// its record first.
    pub fn task(&self) -> Option<TaskId> {
        match *self {
            Event::TaskStarted(t)
            | Event::TaskHealthy(t)
            | Event::TaskWorkDone(t)
            | Event::TaskStopped(t)
            | Event::FargateSpotNotice(t)
            | Event::ProvisioningTimeout(t)
            | Event::HealthCheckFailed(t)
            | Event::TaskCrashed(t) => Some(t),
            _ => None,
        }
    }
}
