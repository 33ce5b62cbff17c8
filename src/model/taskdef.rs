//! Task definitions: what a task reserves (ECS-MODEL R3, R4).

use super::resources::Resources;
use crate::sim::SimDuration;

/// Maximum containers in one task definition (R3).
pub const MAX_CONTAINERS: usize = 10;
/// Default stop timeout of a container (T1).
pub const DEFAULT_STOP_TIMEOUT: SimDuration = SimDuration::from_secs(30);

/// The Docker network mode of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkMode {
    /// Docker bridge: fixed host ports reserve the port; hostPort 0 is dynamic.
    Bridge,
    /// Host networking: every container port is a host port.
    Host,
    /// Each task gets its own ENI (R4).
    Awsvpc,
    /// No networking.
    None,
}

impl NetworkMode {
    /// The ECS spelling (`bridge`, `host`, `awsvpc`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::Awsvpc => "awsvpc",
            NetworkMode::None => "none",
        }
    }
}

/// Transport protocol of a port mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A host port a task reserves on its instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    /// Port number (1–65535).
    pub port: u16,
    /// Protocol; TCP and UDP ports are reserved independently.
    pub protocol: Protocol,
}

/// A container's port mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct PortMapping {
    /// Port inside the container.
    pub container_port: u16,
    /// Host port; 0 means dynamic (bridge mode) and reserves nothing (R4).
    pub host_port: u16,
    /// Protocol.
    pub protocol: Protocol,
}

/// One container of a task definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerDef {
    /// Container name.
    pub name: String,
    /// Image reference; tasks whose images are already on an instance start faster.
    pub image: String,
    /// CPU units reserved (container-level `cpu`, 0 if unset).
    pub cpu: u32,
    /// Hard memory limit in MiB (`memory`).
    pub memory: Option<u32>,
    /// Soft memory limit in MiB (`memoryReservation`), used for placement when set.
    pub memory_reservation: Option<u32>,
    /// Port mappings.
    pub port_mappings: Vec<PortMapping>,
    /// Time between SIGTERM and SIGKILL when the task stops.
    pub stop_timeout: Option<SimDuration>,
}

/// A task definition, reduced to what placement and the life cycle need.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskDef {
    /// Family name (the default task group of standalone tasks is `family:<family>`).
    pub family: String,
    /// Network mode.
    pub network_mode: NetworkMode,
    /// Task-level CPU units, if set.
    pub cpu: Option<u32>,
    /// Task-level memory in MiB, if set.
    pub memory: Option<u32>,
    /// Containers (1 to 10).
    pub containers: Vec<ContainerDef>,
}

impl TaskDef {
    /// R3: the task-level `cpu`/`memory` if set, else the sum over containers of
    /// `cpu` and of `memoryReservation` (else `memory`).
    pub fn reservation(&self) -> Resources {
        let cpu = self
            .cpu
            .unwrap_or_else(|| self.containers.iter().map(|c| c.cpu).sum());
        let memory = self.memory.unwrap_or_else(|| {
            self.containers
                .iter()
                .map(|c| c.memory_reservation.or(c.memory).unwrap_or(0))
                .sum()
        });
        Resources::new(cpu, memory)
    }

    /// R4: the fixed host ports the task reserves, sorted and deduplicated.
    /// Bridge mode: non-zero `hostPort`s. Host mode: every mapping's host port
    /// (which equals its container port). awsvpc and none: no host ports.
    pub fn host_ports(&self) -> Vec<HostPort> {
        let mut ports: Vec<HostPort> = match self.network_mode {
            NetworkMode::Bridge => self
                .containers
                .iter()
                .flat_map(|c| &c.port_mappings)
                .filter(|m| m.host_port != 0)
                .map(|m| HostPort {
                    port: m.host_port,
                    protocol: m.protocol,
                })
                .collect(),
            NetworkMode::Host => self
                .containers
                .iter()
                .flat_map(|c| &c.port_mappings)
                .map(|m| HostPort {
                    port: if m.host_port == 0 {
                        m.container_port
                    } else {
                        m.host_port
                    },
                    protocol: m.protocol,
                })
                .collect(),
            NetworkMode::Awsvpc | NetworkMode::None => Vec::new(),
        };
        ports.sort();
        ports.dedup();
        ports
    }

    /// R4: whether the task needs an ENI of its own.
    pub fn needs_eni(&self) -> bool {
        self.network_mode == NetworkMode::Awsvpc
    }

    /// The longest container stop timeout (the time STOPPING lasts at most).
    pub fn stop_timeout(&self) -> SimDuration {
        self.containers
            .iter()
            .map(|c| c.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT))
            .max()
            .unwrap_or(DEFAULT_STOP_TIMEOUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(cpu: u32, memory: Option<u32>, reservation: Option<u32>) -> ContainerDef {
        ContainerDef {
            name: "c".into(),
            image: "img".into(),
            cpu,
            memory,
            memory_reservation: reservation,
            port_mappings: vec![],
            stop_timeout: None,
        }
    }

    #[test]
    fn reservation_follows_r3() {
        // ECS-MODEL R3: no task-level values -> sums over containers, using
        // memoryReservation where set: cpu 256+128 = 384; memory 300 + 512 = 812.
        let mut td = TaskDef {
            family: "f".into(),
            network_mode: NetworkMode::Bridge,
            cpu: None,
            memory: None,
            containers: vec![
                container(256, Some(1024), Some(300)),
                container(128, Some(512), None),
            ],
        };
        assert_eq!(td.reservation(), Resources::new(384, 812));
        // Task-level values win.
        td.cpu = Some(1024);
        td.memory = Some(2048);
        assert_eq!(td.reservation(), Resources::new(1024, 2048));
    }

    #[test]
    fn host_ports_follow_r4() {
        let mut c = container(0, Some(64), None);
        c.port_mappings = vec![
            PortMapping {
                container_port: 80,
                host_port: 8080,
                protocol: Protocol::Tcp,
            },
            PortMapping {
                container_port: 81,
                host_port: 0,
                protocol: Protocol::Tcp,
            },
        ];
        let mut td = TaskDef {
            family: "f".into(),
            network_mode: NetworkMode::Bridge,
            cpu: None,
            memory: None,
            containers: vec![c],
        };
        // ECS-MODEL R4: bridge -> only the fixed 8080; dynamic 0 reserves nothing.
        assert_eq!(
            td.host_ports(),
            vec![HostPort {
                port: 8080,
                protocol: Protocol::Tcp
            }]
        );
        // Host mode: every mapping is a host port (81 maps to itself).
        td.network_mode = NetworkMode::Host;
        assert_eq!(td.host_ports().len(), 2);
        td.network_mode = NetworkMode::Awsvpc;
        assert!(td.host_ports().is_empty());
        assert!(td.needs_eni());
    }
}
