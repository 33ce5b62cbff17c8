//! Interned attribute names and values (ECS-MODEL P3, P7).
//!
//! Container instances carry attributes such as `ecs.availability-zone`.
//! Spread counts and constraint checks look them up many times per
//! placement, so names and values are interned to small integers once.
//! Interning order is the order of first use, which is deterministic.

use std::collections::HashMap;

use super::ids::{AttrId, ValueId};

/// Built-in attribute: availability zone.
pub const AZ: &str = "ecs.availability-zone";
/// Built-in attribute: instance type.
pub const INSTANCE_TYPE: &str = "ecs.instance-type";
/// Built-in attribute: CPU architecture (`x86_64` or `arm64`).
pub const CPU_ARCH: &str = "ecs.cpu-architecture";
/// Built-in attribute: OS type (`linux`).
pub const OS_TYPE: &str = "ecs.os-type";
/// Built-in attribute: OS family (`LINUX`).
pub const OS_FAMILY: &str = "ecs.os-family";
/// Built-in attribute: AMI id.
pub const AMI_ID: &str = "ecs.ami-id";
/// Built-in attribute: subnet id.
pub const SUBNET_ID: &str = "ecs.subnet-id";
/// Built-in attribute: VPC id.
pub const VPC_ID: &str = "ecs.vpc-id";

/// Two-way map between strings and dense ids.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    /// The id of `s`, interning it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    /// The id of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }

    /// The string of id `i`.
    pub fn resolve(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    /// Number of interned strings.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Interned attribute names and values of one cluster.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    names: Interner,
    values: Interner,
}

impl Attributes {
    /// Interns an attribute name.
    pub fn name(&mut self, s: &str) -> AttrId {
        AttrId(self.names.intern(s))
    }
    /// Interns an attribute value.
    pub fn value(&mut self, s: &str) -> ValueId {
        ValueId(self.values.intern(s))
    }
    /// Looks up a name without interning.
    pub fn find_name(&self, s: &str) -> Option<AttrId> {
        self.names.get(s).map(AttrId)
    }
    /// The text of a name.
    pub fn name_str(&self, a: AttrId) -> &str {
        self.names.resolve(a.0)
    }
    /// The text of a value.
    pub fn value_str(&self, v: ValueId) -> &str {
        self.values.resolve(v.0)
    }
}
