//! Wall time of whole runs: the one-day quickstart scenario, a week of spot
//! interruptions and reclaims (`spot-what-if`), a large cluster (5,000
//! instances, 20,000 service tasks, batch arrivals) for a day, and the scale
//! scenarios of `scenarios/scale/`: a plain batch day (300 m5.large, 5.6
//! tasks/s), a cluster at ECS's limits (5,000 instances, 200 services,
//! ~100,000 tasks) for a day and for a month.
//!
//! `cargo bench --bench scenario -- scale` runs the scale group only; the
//! month takes about ten runs of several seconds each.
//!
//! `cargo bench --bench scenario -- optimize` times the shipped optimize
//! study (`scenarios/optimize/cheapest-black-friday.toml`: 360 candidates,
//! 2,460 two-day simulations by successive halving) end to end, with its
//! run files and tables written to a temporary folder, on all cores.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecsim::engine::Simulation;
use ecsim::scenario;

fn quickstart(c: &mut Criterion) {
    shipped(c, "scenarios/quickstart.toml", "quickstart_1d");
    shipped(c, "scenarios/spot-what-if.toml", "spot_what_if_7d");
}

fn shipped(c: &mut Criterion, path: &str, name: &str) {
    let sc = scenario::load(Path::new(path), &[]).expect("shipped scenario");
    let events = Simulation::new(&sc.spec, sc.seed)
        .run()
        .summary
        .events_processed;
    let mut g = c.benchmark_group("scenario");
    g.sample_size(20);
    g.throughput(Throughput::Elements(events));
    g.bench_function(name, |b| {
        b.iter(|| Simulation::new(&sc.spec, sc.seed).run())
    });
    g.finish();
}

fn large(c: &mut Criterion) {
    let overrides = [
        "instanceGroups.general.count=5000",
        "services.web.desiredCount=20000",
        "services.web.desiredCountSchedule=[{at=\"8h\",desiredCount=30000},{at=\"20h\",desiredCount=20000}]",
        "batchJobs.etl.arrivals={type=\"poisson\",perHour=20000}",
    ];
    let ov: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let sc = scenario::load(Path::new("scenarios/quickstart.toml"), &ov).expect("large");
    let events = Simulation::new(&sc.spec, sc.seed)
        .run()
        .summary
        .events_processed;
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("large_5000_instances_1d", |b| {
        b.iter(|| Simulation::new(&sc.spec, sc.seed).run())
    });
    g.finish();
}

fn scale(c: &mut Criterion) {
    for (path, name, samples) in [
        ("scenarios/scale/plain-batch.toml", "plain_batch_1d", 10),
        ("scenarios/scale/ecs-max-day.toml", "ecs_max_1d", 10),
        ("scenarios/scale/ecs-max-month.toml", "ecs_max_30d", 10),
    ] {
        let sc = scenario::load(Path::new(path), &[]).expect("shipped scale scenario");
        let events = Simulation::new(&sc.spec, sc.seed)
            .run()
            .summary
            .events_processed;
        let mut g = c.benchmark_group("scale");
        g.sample_size(samples);
        g.throughput(Throughput::Elements(events));
        g.bench_function(name, |b| {
            b.iter(|| Simulation::new(&sc.spec, sc.seed).run())
        });
        g.finish();
    }
}

fn optimize(c: &mut Criterion) {
    let file = Path::new("scenarios/optimize/cheapest-black-friday.toml");
    let study = ecsim::optimize::Study::load(file).expect("shipped optimize study");
    let opts = ecsim::optimize::Options {
        jobs: 0,
        resume: false,
        shard: None,
    };
    let mut g = c.benchmark_group("optimize");
    g.sample_size(10);
    g.bench_function("cheapest_black_friday", |b| {
        b.iter(|| {
            let dir =
                std::env::temp_dir().join(format!("ecsim-bench-optimize-{}", std::process::id()));
            let outcome = ecsim::optimize::run(&study, &dir, &opts, &|_| {}).expect("search");
            let _ = std::fs::remove_dir_all(&dir);
            outcome
        })
    });
    g.finish();
}

criterion_group!(benches, quickstart, large, scale, optimize);
criterion_main!(benches);
