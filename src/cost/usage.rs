//! The on-demand usage a commitment may cover (ECS-MODEL B3), hour by hour,
//! as the [`Ledger`](crate::cost::ledger::Ledger) reports it: EC2 on-demand
//! instance time by instance type and AZ, and on-demand Fargate spend.
//!
//! Plain values: no clock, no state. Reserved Instances and Savings Plans
//! read these to decide what they cover; they must not depend on the
//! engine, scenario, metrics or output modules.

/// One hour's on-demand EC2 use of one instance type in one AZ: what Reserved Instances and Savings Plans may cover (ECS-MODEL B3).
#[derive(Debug, Clone, PartialEq)]
pub struct Ec2UsageHour {
    pub hour: u32,
    pub instance_type: String,
    pub az: String,
    pub instance_seconds: f64,
    pub on_demand_usd: f64,
}

/// One hour's on-demand Fargate spend (Compute Savings Plans cover it).
#[derive(Debug, Clone, PartialEq)]
pub struct FargateUsageHour {
    pub hour: u32,
    pub on_demand_usd: f64,
}
