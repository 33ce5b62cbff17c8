//! The hold model: the engine's event queue against a bare binary heap.
//!
//! A hold operation pops the earliest pending event and schedules one new
//! event at `now + increment`, so the number of pending events stays constant.
//! Both queues see the same prefill times and the same increments (uniform
//! 1..=1000 ms from the fixed stream `RngStreams::new(1).stream("hold")`),
//! drawn before measuring so the generator's cost is not in the numbers.
//!
//! * `hold/event_queue/N`: `ecsim::sim::EventQueue<u64>` (a radix heap on
//!   the time, entries of time and a `u64` payload, FIFO among equal times;
//!   `schedule` checks the clock).
//! * `hold/binary_heap/N`: `BinaryHeap<Reverse<(time, seq)>>`, the floor.
//!
//! The README quotes the ratio event_queue / binary_heap (target: >= 0.5).
//!
//! Run: `cargo bench --bench event_loop`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use ecsim::sim::{EventQueue, RngStreams, SimTime};
use rand::Rng;

/// Pending-event counts compared.
const PENDING: [usize; 2] = [1_000, 100_000];
/// Hold operations per measured iteration.
const HOLDS: usize = 100_000;

/// Prefill times and hold increments, in ms, shared by both queues.
struct Workload {
    prefill: Vec<u64>,
    increments: Vec<u64>,
}

impl Workload {
    fn new(pending: usize) -> Workload {
        let mut rng = RngStreams::new(1).stream("hold");
        let prefill = (0..pending).map(|_| rng.gen_range(1..=1000)).collect();
        let increments = (0..HOLDS).map(|_| rng.gen_range(1..=1000)).collect();
        Workload {
            prefill,
            increments,
        }
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group
        // An iteration takes milliseconds: the same number of iterations
        // per sample keeps the run short.
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(HOLDS as u64));

    for pending in PENDING {
        let w = Workload::new(pending);

        group.bench_with_input(
            BenchmarkId::new("event_queue", pending),
            &w,
            |b, w: &Workload| {
                let mut q: EventQueue<u64> = EventQueue::new();
                for (i, &t) in w.prefill.iter().enumerate() {
                    q.schedule(SimTime(t), i as u64);
                }
                // The queue persists across iterations: every iteration
                // continues the same steady-state hold run.
                b.iter(|| {
                    for &inc in &w.increments {
                        let (t, e) = q.pop().expect("hold keeps the queue non-empty");
                        q.schedule(SimTime(t.0 + inc), e);
                    }
                    black_box(q.now())
                });
                assert_eq!(q.len(), pending);
            },
        );

        group.bench_with_input(
            BenchmarkId::new("binary_heap", pending),
            &w,
            |b, w: &Workload| {
                let mut heap: BinaryHeap<Reverse<(u64, u64)>> =
                    BinaryHeap::with_capacity(pending + 1);
                let mut seq = 0u64;
                for &t in &w.prefill {
                    heap.push(Reverse((t, seq)));
                    seq += 1;
                }
                let mut now = 0u64;
                b.iter(|| {
                    for &inc in &w.increments {
                        let Reverse((t, _)) = heap.pop().expect("hold keeps the heap non-empty");
                        now = t;
                        heap.push(Reverse((t + inc, seq)));
                        seq += 1;
                    }
                    black_box(now)
                });
                assert_eq!(heap.len(), pending);
            },
        );
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
