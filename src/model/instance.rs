//! Container instances (ECS-MODEL R2, R4, R5).

use super::ids::{AttrId, ImageId, InstanceGroupId, InstanceId, TaskId, ValueId};
use super::resources::Resources;
use super::taskdef::{HostPort, Protocol};
use crate::sim::SimTime;

/// At most this many host ports may be reserved on one instance, the
/// agent's default reserved ports included (R4).
pub const MAX_RESERVED_PORTS: usize = 100;

/// Ports the ECS agent reserves on Linux by default (`ECS_RESERVED_PORTS`).
pub const DEFAULT_RESERVED_PORTS: [u16; 5] = [22, 2375, 2376, 51678, 51679];

/// Container instance states (R5). Only ACTIVE instances take new tasks;
/// reservation metrics count ACTIVE and DRAINING ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceState {
    /// Booting and starting the agent.
    Registering,
    /// Accepting tasks.
    Active,
    /// Taking no new tasks; service tasks are being moved off.
    Draining,
    /// Terminated and deregistered.
    Terminated,
}

impl InstanceState {
    /// The ECS spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceState::Registering => "REGISTERING",
            InstanceState::Active => "ACTIVE",
            InstanceState::Draining => "DRAINING",
            InstanceState::Terminated => "INACTIVE",
        }
    }
}

/// One EC2 container instance.
#[derive(Debug, Clone)]
pub struct ContainerInstance {
    /// Cluster-local id.
    pub id: InstanceId,
    /// The EC2 id (`i-` and 17 hex digits), derived from the id.
    pub ec2_instance_id: String,
    /// The instance group that launched it.
    pub group: InstanceGroupId,
    /// Instance type name, e.g. `m6i.xlarge`.
    pub instance_type: String,
    /// Availability zone name, e.g. `us-east-1a`.
    pub az: String,
    /// Life-cycle state.
    pub state: InstanceState,
    /// Registered CPU and memory (R2).
    pub registered: Resources,
    /// CPU and memory reserved by the tasks placed on it.
    pub reserved: Resources,
    /// How many awsvpc tasks it can hold (R4).
    pub eni_capacity: u32,
    /// awsvpc tasks placed on it.
    pub enis_used: u32,
    /// Reserved host ports (the agent's defaults and the tasks'), sorted.
    pub ports: Vec<HostPort>,
    /// Attributes (built-in and custom), sorted by name id.
    pub attributes: Vec<(AttrId, ValueId)>,
    /// Tasks holding a placement here (PENDING, RUNNING or STOPPING), in placement order.
    pub tasks: Vec<TaskId>,
    /// Tasks in RUNNING state here.
    pub running_tasks: u32,
    /// Tasks here that are not a daemon's (PENDING, RUNNING or STOPPING).
    pub non_daemon_tasks: u32,
    /// Position in the placement tie-break order (low 32 bits are the id).
    pub rank: u64,
    /// When the instance was launched (entered REGISTERING).
    pub launched_at: SimTime,
    /// When it became ACTIVE.
    pub registered_at: Option<SimTime>,
    /// When it terminated.
    pub terminated_at: Option<SimTime>,
    /// Images already pulled on this instance.
    pub images: Vec<ImageId>,
}

impl ContainerInstance {
    /// A new REGISTERING instance.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: InstanceId,
        group: InstanceGroupId,
        instance_type: &str,
        az: &str,
        registered: Resources,
        eni_capacity: u32,
        attributes: Vec<(AttrId, ValueId)>,
        rank: u64,
        now: SimTime,
    ) -> Self {
        let ports = DEFAULT_RESERVED_PORTS
            .iter()
            .map(|&port| HostPort {
                port,
                protocol: Protocol::Tcp,
            })
            .collect();
        ContainerInstance {
            id,
            ec2_instance_id: format!("i-0ec{:014x}", id.0),
            group,
            instance_type: instance_type.to_string(),
            az: az.to_string(),
            state: InstanceState::Registering,
            registered,
            reserved: Resources::default(),
            eni_capacity,
            enis_used: 0,
            ports,
            attributes,
            tasks: Vec::new(),
            running_tasks: 0,
            non_daemon_tasks: 0,
            rank,
            launched_at: now,
            registered_at: None,
            terminated_at: None,
            images: Vec::new(),
        }
    }

    /// CPU and memory not reserved by tasks.
    pub fn remaining(&self) -> Resources {
        self.registered.minus(&self.reserved)
    }

    /// The value of attribute `name`, if the instance has it.
    pub fn attribute(&self, name: AttrId) -> Option<ValueId> {
        self.attributes
            .binary_search_by_key(&name, |&(a, _)| a)
            .ok()
            .map(|i| self.attributes[i].1)
    }

    /// Whether every port in `ports` is free and the 100-port limit holds (R4).
    pub fn ports_free(&self, ports: &[HostPort]) -> bool {
        ports.is_empty()
            || (self.ports.len() + ports.len() <= MAX_RESERVED_PORTS
                && ports.iter().all(|p| self.ports.binary_search(p).is_err()))
    }

    /// Whether the instance takes new tasks.
    pub fn is_active(&self) -> bool {
        self.state == InstanceState::Active
    }
}
