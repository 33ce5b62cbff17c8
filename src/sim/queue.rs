//! The event queue.
//!
//! # Contract
//!
//! * Events are popped in order of `(time, sequence)`: earliest time first,
//!   and among events scheduled for the same time, in the order they were
//!   scheduled (FIFO). The order is total and independent of the payload.
//! * The clock (`now`) is the time of the last popped event; it never goes
//!   back. Scheduling an event before `now` is a programming error and panics
//!   with the offending times.
//! * There is no cancellation. Callers cancel lazily: the payload carries
//!   enough to recognise a stale event (a generation counter, or a state check
//!   in the handler) and the handler ignores it.
//! * `pop_until(horizon)` never pops an event later than the horizon; such
//!   events stay queued, so a run can be continued.
//!
//! # Structure
//!
//! A simulation never schedules before its clock, so the queue is a
//! monotone priority queue: a *radix heap* on the time. `radix` is the time
//! of the last popped event; `current` holds the events at exactly that
//! time, and bucket `k` the events whose time first differs from `radix` at
//! bit `k` (its highest differing bit). When `current` is empty, the lowest
//! non-empty bucket holds the earliest events: its minimum (each bucket's
//! is kept as events arrive in it) becomes the new radix and its events
//! move down to `current` or lower buckets (the first of those at the new
//! radix is popped at once, not queued). An event moves at most 64 times
//! (in practice about log2 of how far ahead it was scheduled), each move a
//! push at the end of a vector and one comparison with its new bucket's
//! minimum: no sifting, and no sequence numbers either, because every
//! bucket keeps its events in the order they were scheduled. Events
//! of equal time always share a bucket (their bucket depends only on the
//! time and the radix), pushes append, and a bucket is emptied in order
//! into lower buckets that are empty; so FIFO among equal times holds.
//! See `benches/event_loop.rs` for how it compares with a binary heap.

use std::collections::VecDeque;

use super::time::SimTime;

/// Bucket of an event at `time` relative to the radix: the index of the
/// highest bit where they differ (`time != radix`).
#[inline]
fn bucket(time: u64, radix: u64) -> usize {
    63 - (time ^ radix).leading_zeros() as usize
}

/// A min-queue of events keyed by `(time, sequence)`; see the module docs.
pub struct EventQueue<E> {
    /// Events at `radix`, in the order they were scheduled.
    current: VecDeque<E>,
    /// Events later than `radix`, by the highest bit where their time
    /// differs from it; each in the order scheduled.
    buckets: Vec<Vec<(u64, E)>>,
    /// Per bucket, the least time it holds (`u64::MAX` when empty): kept
    /// as events are pushed, so that a refill need not read its bucket
    /// twice (once for the least time, once to move the events).
    least: [u64; 64],
    /// Bit `k` set when `buckets[k]` is not empty.
    occupied: u64,
    /// Time of the last popped event (zero before the first pop).
    radix: u64,
    len: usize,
    now: SimTime,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        EventQueue {
            current: VecDeque::new(),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            least: [u64::MAX; 64],
            occupied: 0,
            radix: 0,
            len: 0,
            now: SimTime::ZERO,
            popped: 0,
        }
    }

    /// The time of the last popped event (zero before the first pop).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of events popped so far.
    pub fn popped(&self) -> u64 {
        self.popped
    }

    /// Number of events waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Schedules `event` at `time`.
    ///
    /// # Panics
    /// If `time` is before [`now`](Self::now).
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: at {time} while the clock is at {}",
            self.now
        );
        // The radix is the time of the last pop, never after the clock.
        self.len += 1;
        if time.0 == self.radix {
            self.current.push_back(event);
        } else {
            let k = bucket(time.0, self.radix);
            self.buckets[k].push((time.0, event));
            self.least[k] = self.least[k].min(time.0);
            self.occupied |= 1 << k;
        }
    }

    /// Pops the earliest event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// Pops the earliest event if it is not later than `horizon`.
    #[inline]
    pub fn pop_until(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        // Every waiting event is at the radix or later.
        if self.radix > horizon.0 {
            return None;
        }
        let event = match self.current.pop_front() {
            Some(e) => e,
            None => self.refill(horizon)?,
        };
        self.len -= 1;
        self.now = SimTime(self.radix);
        self.popped += 1;
        Some((self.now, event))
    }

    /// With `current` empty: takes the earliest events, their time
    /// becoming the radix, returns the first scheduled of them and moves
    /// the others to `current`; unless there are none or they are later
    /// than `horizon` (then nothing changes, so that events may still be
    /// scheduled between the clock and them). Inlined into the pop: a run
    /// whose events fall at distinct times (a batch stream) refills at
    /// nearly every pop, and the call alone cost a fifth of it.
    #[inline(always)]
    fn refill(&mut self, horizon: SimTime) -> Option<E> {
        if self.occupied == 0 {
            return None;
        }
        let k = self.occupied.trailing_zeros() as usize;
        let first = self.least[k];
        debug_assert!(
            !self.buckets[k].is_empty(),
            "an occupied bucket holds events"
        );
        debug_assert_eq!(
            Some(first),
            self.buckets[k].iter().map(|&(t, _)| t).min(),
            "a bucket's least time is kept"
        );
        if first > horizon.0 {
            return None;
        }
        self.radix = first;
        self.occupied &= !(1 << k);
        self.least[k] = u64::MAX;
        // Every event of bucket k agrees with the new radix above bit k, so
        // each goes to `current` or to a bucket below k: all empty, since k
        // was the lowest occupied. Draining in order keeps FIFO order; the
        // bucket keeps its allocation for its next events.
        let (below, from_k) = self.buckets.split_at_mut(k);
        let mut out = None;
        for (t, e) in from_k[0].drain(..) {
            if t == first {
                if out.is_none() {
                    out = Some(e);
                } else {
                    self.current.push_back(e);
                }
            } else {
                let j = bucket(t, first);
                below[j].push((t, e));
                self.least[j] = self.least[j].min(t);
                self.occupied |= 1 << j;
            }
        }
        out
    }

    /// The event the next pop returns when it is due at the current time
    /// (scheduled for the time of the last popped event); None when the
    /// next event is later or the queue is empty. Nothing moves: a caller
    /// may look ahead to prepare for it (fetch what it will read) while it
    /// handles the event just popped.
    pub fn peek_now(&self) -> Option<&E> {
        self.current.front()
    }

    /// Moves the clock forward to `time` without popping (e.g. to the horizon
    /// at the end of a run). Does nothing if `time` is not later than `now`.
    pub fn advance_to(&mut self, time: SimTime) {
        if time > self.now {
            self.now = time;
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_order_then_fifo() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(20), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(20), "d");
        q.schedule(SimTime(10), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), SimTime(20));
        assert_eq!(q.popped(), 4);
    }

    /// `peek_now` shows the next pop only when it is due at the time of
    /// the last pop, and moves nothing.
    #[test]
    fn peek_now_shows_only_events_due_now() {
        let mut q = EventQueue::new();
        assert_eq!(q.peek_now(), None);
        q.schedule(SimTime(5), 1);
        q.schedule(SimTime(5), 2);
        q.schedule(SimTime(9), 3);
        assert_eq!(q.peek_now(), None, "nothing popped yet");
        assert_eq!(q.pop_until(SimTime(100)), Some((SimTime(5), 1)));
        assert_eq!(q.peek_now(), Some(&2));
        assert_eq!(q.peek_now(), Some(&2), "peeking moves nothing");
        assert_eq!(q.pop_until(SimTime(100)), Some((SimTime(5), 2)));
        assert_eq!(q.peek_now(), None, "the next event is later");
        q.schedule(SimTime(5), 4);
        assert_eq!(q.peek_now(), Some(&4), "scheduled for now");
        assert_eq!(q.pop_until(SimTime(100)), Some((SimTime(5), 4)));
        assert_eq!(q.pop_until(SimTime(100)), Some((SimTime(9), 3)));
        assert_eq!(q.len(), 0);
    }

    /// A horizon before the clock pops nothing, not even events due at
    /// the clock's time.
    #[test]
    fn a_horizon_before_the_clock_pops_nothing() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), 'a');
        q.schedule(SimTime(10), 'b');
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 'a')));
        assert_eq!(q.pop_until(SimTime(9)), None);
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 'b')));
    }

    #[test]
    fn pop_until_keeps_later_events() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), 1);
        q.schedule(SimTime(15), 2);
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(5), 1)));
        assert_eq!(q.pop_until(SimTime(10)), None);
        assert_eq!(q.len(), 1);
    }

    /// The radix queue against the contract's definition, a sort by
    /// `(time, sequence)`: random holds with many equal times, far and
    /// near increments, `pop_until` refusals and scheduling between the
    /// clock and a refused event.
    #[test]
    fn pops_in_time_then_fifo_order_like_a_reference_heap() {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;

        use crate::sim::RngStreams;
        use rand::Rng;

        for seed in 0..20 {
            let mut rng = RngStreams::new(seed).stream("queue");
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            let mut seq = 0u64;
            let mut schedule = |q: &mut EventQueue<u64>, r: &mut BinaryHeap<_>, t: u64| {
                q.schedule(SimTime(t), seq);
                r.push(Reverse((t, seq)));
                seq += 1;
            };
            for _ in 0..200 {
                let t = rng.gen_range(0..50);
                schedule(&mut q, &mut reference, t);
            }
            for _ in 0..20_000 {
                let now = q.now().0;
                match rng.gen_range(0..10) {
                    0..=3 => {
                        let ahead = match rng.gen_range(0..4) {
                            0 => 0,
                            1 => rng.gen_range(0..4),
                            2 => rng.gen_range(0..1_000),
                            _ => rng.gen_range(0..u64::from(u32::MAX)),
                        };
                        schedule(&mut q, &mut reference, now + ahead);
                    }
                    4 => {
                        let horizon = now + rng.gen_range(0..100);
                        let expect = match reference.peek() {
                            Some(&Reverse((t, _))) if t <= horizon => reference.pop(),
                            _ => None,
                        };
                        let got = q.pop_until(SimTime(horizon));
                        assert_eq!(got, expect.map(|Reverse((t, s))| (SimTime(t), s)));
                    }
                    _ => {
                        let expect = reference.pop().map(|Reverse((t, s))| (SimTime(t), s));
                        assert_eq!(q.pop(), expect);
                    }
                }
                assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse((t, s))) = reference.pop() {
                assert_eq!(q.pop(), Some((SimTime(t), s)));
            }
            assert!(q.is_empty());
            assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn a_refused_pop_leaves_room_before_the_refused_event() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(1), 'a');
        q.schedule(SimTime(1_000), 'c');
        assert_eq!(q.pop(), Some((SimTime(1), 'a')));
        assert_eq!(q.pop_until(SimTime(10)), None);
        // The clock is still at 1: an event between it and the refused one
        // comes first.
        q.schedule(SimTime(5), 'b');
        q.schedule(SimTime(1_000), 'd');
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [
                (SimTime(5), 'b'),
                (SimTime(1_000), 'c'),
                (SimTime(1_000), 'd')
            ]
        );
    }

    #[test]
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_in_the_past_panics() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(5), ());
    }
}
