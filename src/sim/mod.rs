//! The domain-free simulation kernel: simulated time, the event queue,
//! seeded random-number streams and a memory prefetch hint.
//!
//! Nothing in this module knows about ECS. It must not import any other
//! module of the crate; everything ECS-specific is built on top of it by
//! `model`, the policy modules and `engine`.

pub mod calendar;
pub mod prefetch;
pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use rng::{RngStreams, SimRng};
pub use time::{MaybeTime, SimDuration, SimTime};
