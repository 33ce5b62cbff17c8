//! CPU and memory amounts.

use std::fmt;

/// CPU and memory, as ECS accounts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Resources {
    /// CPU units; 1024 cpu units = 1 vCPU.
    pub cpu: u32,
    /// Memory in MiB.
    pub memory: u32,
}

impl Resources {
    /// `cpu` units and `memory` MiB.
    pub const fn new(cpu: u32, memory: u32) -> Self {
        Resources { cpu, memory }
    }

    /// Whether `other` fits inside `self` on both dimensions.
    pub fn covers(&self, other: &Resources) -> bool {
        self.cpu >= other.cpu && self.memory >= other.memory
    }

    /// Component-wise sum.
    pub fn plus(&self, other: &Resources) -> Resources {
        Resources::new(self.cpu + other.cpu, self.memory + other.memory)
    }

    /// Component-wise difference, saturating at zero.
    pub fn minus(&self, other: &Resources) -> Resources {
        Resources::new(
            self.cpu.saturating_sub(other.cpu),
            self.memory.saturating_sub(other.memory),
        )
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cpu units / {} MiB", self.cpu, self.memory)
    }
}
