//! Workload: service request-rate curves (ECS-MODEL W1), duration
//! distributions and batch-job arrival processes (W2). Pure generators: they
//! draw from the stream they are given and know nothing of the cluster. Trace files are read by `scenario`; this
//! module receives their records.

pub mod arrivals;
pub mod demand;
pub mod dist;

pub use arrivals::{Arrivals, TraceRecord};
pub use demand::{Demand, DemandEvent, DemandShape};
pub use dist::Dist;
