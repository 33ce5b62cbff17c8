//! The engine's random streams, one per purpose.

use crate::sim::{RngStreams, SimRng};

/// One independent random stream per purpose, each seeded from the run seed
/// and its stream name (`RngStreams::stream`), so that draws for one purpose
/// never shift the draws of another. The placement stream lives in the
/// placer, which owns its own draws.
pub(super) struct Streams {
    /// `"launch-latency"`: how long an EC2 instance takes to launch.
    pub launch: SimRng,
    /// `"placement-ties"`: the tie-break rank of each new instance when the
    /// scenario breaks placement ties at random.
    pub tie: SimRng,
    /// `"task-start"`: task start latency (cached start, image pull, Fargate
    /// start latency).
    pub start: SimRng,
    /// `"spot-interruptions"`: the time to interruption of each Spot
    /// instance.
    pub spot: SimRng,
    /// `"spot-reclaims"`: when a Spot pool reclaims, how many and which of
    /// its instances it takes.
    pub reclaim: SimRng,
    /// `"agent-poll"`: the delay before the container agent sees a Spot
    /// interruption notice and drains the instance.
    pub agent: SimRng,
    /// `"fargate-spot"`: whether Fargate Spot capacity is available for a
    /// task, and each Fargate Spot task's time to interruption.
    pub fargate: SimRng,
    /// `"health-checks"`: health-check failures of running service tasks
    /// (D3); drawn only when a scenario has them.
    pub health: SimRng,
    /// `"provisioning-timeout"`: how long a task waits in PROVISIONING for
    /// capacity provider capacity before it times out.
    pub provisioning: SimRng,
    /// `"az-outages"`: the AZ, start and duration of random outages (X1).
    pub outages: SimRng,
    /// `"instance-failures"`: each instance's time to a random failure (X4).
    pub failures: SimRng,
    /// `"failure-victims"`: which instances of a group a scripted failure
    /// takes (X4).
    pub victims: SimRng,
    /// `"az-rebalancing"`: ties among instances for a task started to
    /// rebalance a service over AZs, and its scale-in draws (X2).
    pub rebalance: SimRng,
}

impl Streams {
    /// The streams of a run, created in a fixed order.
    pub fn new(streams: &RngStreams) -> Self {
        Streams {
            launch: streams.stream("launch-latency"),
            tie: streams.stream("placement-ties"),
            start: streams.stream("task-start"),
            spot: streams.stream("spot-interruptions"),
            reclaim: streams.stream("spot-reclaims"),
            agent: streams.stream("agent-poll"),
            fargate: streams.stream("fargate-spot"),
            health: streams.stream("health-checks"),
            provisioning: streams.stream("provisioning-timeout"),
            outages: streams.stream("az-outages"),
            failures: streams.stream("instance-failures"),
            victims: streams.stream("failure-victims"),
            rebalance: streams.stream("az-rebalancing"),
        }
    }
}
