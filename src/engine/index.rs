//! The engine's per-entity collections indexed by their ids: a service's
//! spec and state are `spec.services[s]` and `services[s]` for a
//! [`ServiceId`] `s`, never a bare `usize`, and likewise for jobs, instance
//! groups, spot pools and capacity providers.

use std::ops::{Index, IndexMut};

use super::instances::{GroupState, PoolState};
use super::jobs::JobState;
use super::providers::ProviderState;
use super::services::ServiceState;
use super::{CapacityProviderSpec, InstanceGroupSpec, JobSpec, PoolSpec, ServiceSpec};
use crate::model::{InstanceGroupId, JobId, PoolId, ProviderId, ServiceId};

macro_rules! indexed_by {
    ($id:ty => $($t:ty),+) => {$(
        impl Index<$id> for Vec<$t> {
            type Output = $t;
            fn index(&self, id: $id) -> &$t {
                &self[id.index()]
            }
        }

        impl IndexMut<$id> for Vec<$t> {
            fn index_mut(&mut self, id: $id) -> &mut $t {
                &mut self[id.index()]
            }
        }
    )+};
}

indexed_by!(ServiceId => ServiceSpec, ServiceState);
indexed_by!(JobId => JobSpec, JobState);
indexed_by!(InstanceGroupId => InstanceGroupSpec, GroupState);
indexed_by!(PoolId => PoolSpec, PoolState);
indexed_by!(ProviderId => CapacityProviderSpec, ProviderState);
