//! The closed set of events of a simulation.

use crate::model::{InstanceId, ServiceId, TaskId};

/// Something that happens at a point of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An instance finished booting and registers (REGISTERING -> ACTIVE).
    InstanceReady(InstanceId),
    /// A task's containers started (PENDING -> RUNNING).
    TaskStarted(TaskId),
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
        /// Job stream index.
        job: u32,
        /// Trace record index (0 for generated processes).
        seq: u32,
    },
    /// Record a time-series sample.
    Sample,
}
