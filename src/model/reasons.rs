//! Why an instance left or was interrupted: closed sets, kept as enums from
//! the engine that decides them to the outputs that write their names.

use serde::Serialize;
use std::fmt;

/// What sent a Spot instance its two-minute interruption notice (S2, S3).
/// The variants are in the alphabetical order of their names, so maps keyed
/// by it keep the order string keys had (`summary.json`'s `by_cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpotNoticeCause {
    /// The instance's own interruption, independent of the others (S2).
    Hazard,
    /// A correlated reclaim of the instance's pool (S2).
    Reclaim,
    /// A replayed interruption record.
    Replay,
}

impl SpotNoticeCause {
    /// The name written in `summary.json`, `events.csv` and the run summary.
    pub fn as_str(self) -> &'static str {
        match self {
            SpotNoticeCause::Hazard => "hazard",
            SpotNoticeCause::Reclaim => "reclaim",
            SpotNoticeCause::Replay => "replay",
        }
    }
}

/// Why an instance terminated (`instances.csv`'s `termination`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TerminationReason {
    /// Its Availability Zone went down (X1).
    AzOutage,
    /// Replaced when its group rebalanced across AZs after an outage (X1).
    AzRebalance,
    /// The ASG terminated it once its capacity-rebalancing replacement was
    /// in service (S5).
    CapacityRebalance,
    /// Drained for maintenance, then terminated.
    Drained,
    /// It failed and the ASG terminated it as unhealthy (X4).
    InstanceFailure,
    /// A scale-in victim of its group (C4, C5).
    ScaleIn,
    /// Reclaimed by EC2 at the end of its Spot notice (S3).
    SpotInterruption,
    /// Any other termination.
    Terminated,
}

impl TerminationReason {
    /// The name written in `instances.csv` and `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::AzOutage => "az-outage",
            TerminationReason::AzRebalance => "az-rebalance",
            TerminationReason::InstanceFailure => "instance-failure",
            TerminationReason::CapacityRebalance => "capacity-rebalance",
            TerminationReason::Drained => "drained",
            TerminationReason::ScaleIn => "scale-in",
            TerminationReason::SpotInterruption => "spot-interruption",
            TerminationReason::Terminated => "terminated",
        }
    }
}

macro_rules! named {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

named!(SpotNoticeCause);
named!(TerminationReason);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_causes_order_as_their_names() {
        // Maps keyed by the enum must list causes as string keys did.
        let all = [
            SpotNoticeCause::Hazard,
            SpotNoticeCause::Reclaim,
            SpotNoticeCause::Replay,
        ];
        let mut names: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        let by_enum: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, by_enum);
    }

    #[test]
    fn names_are_the_output_bytes() {
        let json = serde_json::to_string(&std::collections::BTreeMap::from([
            (SpotNoticeCause::Replay, 2),
            (SpotNoticeCause::Hazard, 1),
        ]))
        .unwrap();
        assert_eq!(json, r#"{"hazard":1,"replay":2}"#);
        assert_eq!(
            serde_json::to_string(&Some(TerminationReason::CapacityRebalance)).unwrap(),
            r#""capacity-rebalance""#
        );
        assert_eq!(TerminationReason::ScaleIn.to_string(), "scale-in");
        assert_eq!(
            TerminationReason::SpotInterruption.as_str(),
            "spot-interruption"
        );
        assert_eq!(TerminationReason::Drained.as_str(), "drained");
        assert_eq!(TerminationReason::Terminated.as_str(), "terminated");
    }
}
