//! ECS state: instance types, container instances, task definitions, tasks
//! and the cluster that holds them, with their invariants.
//!
//! The model has no clock and no queue: callers pass the current time, and
//! only the engine decides what happens next. It must not depend on
//! `engine`, `scenario`, the policy modules or any output code.

pub mod attrs;
pub mod catalog;
pub mod cluster;
pub mod hash;
pub mod ids;
pub mod index;
pub mod instance;
pub mod reasons;
pub mod resources;
pub mod task;
pub mod taskdef;

pub use cluster::{
    Cluster, InstanceCounts, InstancePredicate, NewInstance, NewTask, TaskCounts, TaskReq,
};
pub use ids::{
    AttrId, GroupId, ImageId, InstanceGroupId, InstanceId, JobId, OperationId, PoolId, ProviderId,
    ServiceId, TaskDefId, TaskId, ValueId,
};
pub use instance::{ContainerInstance, InstanceState};
pub use reasons::{SpotNoticeCause, TerminationReason};
pub use resources::Resources;
pub use task::{StopReason, Task, TaskOwner, TaskState, Unfit};
pub use taskdef::{HostPort, NetworkMode, Protocol, TaskDef};
