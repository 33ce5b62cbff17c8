//! Typed identifiers. Each is an index into the owning `Vec` of the cluster,
//! so ids are dense, ordered by creation, and never mixed up by the compiler.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as a `usize` index.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The ids of a collection of `n` elements, in order.
            pub fn all(n: usize) -> impl DoubleEndedIterator<Item = Self> + Clone {
                (0..n as u32).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// A container instance.
    InstanceId, "ci-"
);
id_type!(
    /// A task.
    TaskId, "task-"
);
id_type!(
    /// A service (REPLICA or DAEMON).
    ServiceId, "svc-"
);
id_type!(
    /// A task group (`service:<name>` or `family:<family>` or a custom group).
    GroupId, "group-"
);
id_type!(
    /// A registered task definition.
    TaskDefId, "td-"
);
id_type!(
    /// An instance group (a fixed-size set of instances; later an ASG).
    InstanceGroupId, "ig-"
);
id_type!(
    /// A stream of standalone tasks (a batch job of the scenario).
    JobId, "job-"
);
id_type!(
    /// A Spot capacity pool (an instance type in an AZ).
    PoolId, "pool-"
);
id_type!(
    /// An Auto Scaling group capacity provider.
    ProviderId, "cp-"
);
id_type!(
    /// A timed operation of the scenario (a maintenance drain, a deployment).
    OperationId, "op-"
);
id_type!(
    /// An interned attribute name.
    AttrId, "attr-"
);
id_type!(
    /// An interned attribute value.
    ValueId, "val-"
);
id_type!(
    /// An interned container image name.
    ImageId, "img-"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_a_collections_ids_in_order() {
        let ids: Vec<JobId> = JobId::all(3).collect();
        assert_eq!(ids, [JobId(0), JobId(1), JobId(2)]);
        assert_eq!(PoolId::all(0).count(), 0);
        assert_eq!(ids[2].index(), 2);
    }

    #[test]
    fn ids_print_with_their_prefix() {
        assert_eq!(JobId(4).to_string(), "job-4");
        assert_eq!(PoolId(1).to_string(), "pool-1");
        assert_eq!(ProviderId(0).to_string(), "cp-0");
        assert_eq!(OperationId(2).to_string(), "op-2");
    }
}
