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
    /// An interned attribute name.
    AttrId, "attr-"
);
id_type!(
    /// An interned attribute value.
    ValueId, "val-"
);
