//! The integration test binary: one binary, one module per purpose.

mod aws_shapes;
mod common;
mod cost;
mod engine_rules;
mod failures;
mod fuzz;
mod golden;
mod health_checks;
mod hostile;
mod import;
mod lifecycle;
mod optimize;
mod output_text;
mod placement_table;
#[cfg(feature = "plot")]
mod plots;
mod properties;
mod rebalancing;
mod regions;
mod reliability;
mod report;
mod scaling;
mod scenarios;
mod seed_state;
mod service_rules;
mod slo;
mod sweep;
mod task_failures;
