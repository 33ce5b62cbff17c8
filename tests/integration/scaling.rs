//! Demand, service auto scaling and capacity providers end to end
//! (ECS-MODEL W1, A1–A5, C1–C7).

use std::path::Path;

use ecsim::engine::{RunResult, Simulation};
use ecsim::scenario;

fn run(text: &str) -> RunResult {
    let sc = scenario::load_str(text, Path::new("tests/fixtures/scaling.toml"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(&sc.spec, sc.seed).run()
}

#[test]
fn demand_above_capacity_is_dropped_w1_a1() {
    // W1: 300 rps on 4 tasks of 50 rps each: 200 served, 100 dropped every
    // minute; CPU reads 150% without a task-level CPU limit (A1), and the
    // metric ticks from 60 s to 3600 s: 60 minutes × 60 s × 300 requests.
    let text = r#"
name = "demand"
seed = 1
duration = "1h"
[[instanceGroups]]
name = "g"
instanceTypes = ["m6i.xlarge"]
count = 2
[[taskDefinitions]]
family = "web"
containerDefinitions = [{ name = "a", image = "w:1", cpu = 256, memory = 256 }]
[[services]]
serviceName = "web"
taskDefinition = "web"
desiredCount = 4
demand = { type = "constant", rps = 300, taskCapacityRps = 50 }
"#;
    let r = run(text);
    let d = r.summary.services[0]
        .demand
        .as_ref()
        .expect("demand summary");
    assert_eq!(d.requests, 60.0 * 60.0 * 300.0);
    assert_eq!(d.dropped, 60.0 * 60.0 * 100.0);
    assert_eq!(d.overloaded_minutes, 60);
    assert!((d.dropped_pct - 33.3333).abs() < 1e-3);
    let last = r.samples.last().expect("samples");
    assert_eq!(last.load[0], [300.0, 200.0, 150.0]);
}
