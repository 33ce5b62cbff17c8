//! # ecsim — a discrete-event simulator of Amazon ECS clusters
//!
//! ecsim answers "what if" questions about ECS by simulating a cluster over
//! time: EC2 container instances of real types, tasks placed by ECS's rules
//! (binpack, spread, random, chained, with constraints), services keeping
//! their desired counts, batch jobs arriving and finishing.
//!
//! ## Concepts and data flow
//!
//! ```text
//! scenario file --scenario--> SimSpec --engine::Simulation--> RunResult --output--> files
//! ```
//!
//! * [`sim`] is the domain-free kernel: integer-millisecond time, an event
//!   queue ordered by (time, sequence), seeded random streams.
//! * [`model`] is ECS state: instance types, container instances, task
//!   definitions, tasks, the cluster and its indexes. No clock, no queue.
//! * [`placement`] decides where a task goes (and which task a scale-in
//!   stops). It only reads the model.
//! * [`workload`] generates arrivals and durations.
//! * [`market`] prices and interrupts spot pools and decides which purchase
//!   option and pool an Auto Scaling group launches next. It only reads its
//!   inputs (and the embedded Spot Advisor data).
//! * [`scaling`] decides how many tasks a service and how many instances an
//!   Auto Scaling group should have: service target tracking, step and
//!   scheduled scaling, capacity provider managed scaling and plain ASG
//!   target tracking. Pure deciders over the metrics and counts the engine
//!   passes in.
//! * [`cost`] is the billing model: Fargate prices per region (embedded),
//!   per-second billing with the one-minute minimum, Fargate and EC2 costs,
//!   commitment discounts, Reserved Instances and Savings Plans applied hour
//!   by hour. Pure arithmetic over its inputs.
//! * [`engine`] owns everything, runs the loop, applies decisions.
//! * [`scenario`] turns a TOML file into a validated [`engine::SimSpec`].
//! * [`import`] writes a scenario from a folder of AWS CLI JSON outputs
//!   (`ecsim import`), listing every field it could not map; above
//!   `scenario`, whose task-definition field lists it shares.
//! * [`metrics`] and [`output`] record and write the results.
//! * [`slo`] parses service-level objectives (`services.web.availability >=
//!   99.9`) and judges them against a run's flattened summary; sweeps and
//!   optimize count, over seeds, the share of runs that met each one.
//! * [`csvdata`] (CSV tables read by column name, with line numbers) and
//!   [`text`] (near-match hints) are domain-free helpers any layer may use.
//! * `plot` (feature `plot`, on by default) draws charts from the files a
//!   run or a sweep wrote; it reads those files only, never the engine.
//! * [`run`] and [`compare`] are what `ecsim run`, `explain` and `compare`
//!   do: load, run, write the result folder; the binary only parses
//!   arguments, prints and picks the exit status.
//! * [`sweep`] expands a sweep file (a grid of scenario overrides times
//!   seeds) into runs, runs them in parallel (rayon), persists each finished
//!   run at once, and writes `runs.csv` and `aggregate.csv`; it also runs
//!   one shard of a sweep and merges shards back.
//! * [`optimize`] searches decision variables (override paths) for the
//!   configuration that minimizes an objective while meeting SLOs on a
//!   required share of seeds, by successive halving over seeds, and writes
//!   the ranked candidates, the Pareto chart and the winner as `best.toml`;
//!   it runs scenarios as sweeps do and judges them with [`slo`].
//!
//! ```text
//! sweep file --sweep--> runs (overrides via scenario, seed per replication)
//!            --engine (rayon)--> runs/*.jsonl (run log) --> runs.csv, aggregate.csv
//! ```
//!
//! Dependencies point one way: `sweep, scenario, output -> engine ->
//! placement, scaling, market, cost, workload, metrics -> model -> sim` (the sweep
//! builds each run through `scenario` and writes through `output`; `cost`
//! also reads `market`'s Fargate platforms, never the other way round).
//! `plot` sits beside them and reads only the result files (it borrows
//! `output::write_atomic` to write its images), so any results folder can
//! be plotted without running anything again. [`report`] writes the
//! self-contained HTML report of result folders: it reads them like `plot`
//! and re-runs their scenario (checked against the folder) for the
//! placement narration.
//!
//! ## Determinism contract
//!
//! The same scenario and seed give byte-identical output files, on any
//! machine and thread count. All randomness comes from named ChaCha8 streams
//! derived from the seed ([`sim::rng`]); each purpose has its own stream, so
//! changing the placement strategy does not change the arrivals or durations
//! a workload draws. No decision or output depends on hash-map iteration
//! order. Wall-clock timings are kept out of the deterministic files.
//! A sweep's tables are byte-identical whatever the number of threads,
//! shards or interruptions: run seeds depend on the sweep seed and the
//! replication index only, and the tables and the run log are written in
//! run order once all runs are done.
//!
//! The behaviour modelled is specified rule by rule in ECS-MODEL (rule ids
//! such as P3 or R2 are cited in code and tests).

pub mod compare;
pub mod cost;
pub mod csvdata;
pub mod engine;
pub mod import;
pub mod market;
pub mod metrics;
pub mod model;
pub mod optimize;
pub mod output;
pub mod placement;
#[cfg(feature = "plot")]
pub mod plot;
pub mod report;
pub mod run;
pub mod scaling;
pub mod scenario;
pub mod sim;
pub mod slo;
pub mod sweep;
pub mod text;
pub mod workload;
