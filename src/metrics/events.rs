//! The run's service and scheduler events (`events.csv`), kept compact.
//!
//! A month of target tracking at ECS scale logs hundreds of thousands of
//! scaling activities, each message a hundred bytes of its own. Here an
//! event is 32 bytes: its time, its source and kind as codes, and its
//! message either as a code of a shared text or, for a scaling activity,
//! the two counts and the code of its cause (a few thousand distinct
//! causes in a month), the message text made when it is read.
//! [`EventLog`] dereferences to a slice of [`EventRecord`]s, made on first
//! use only.

use std::sync::OnceLock;

use serde::Serialize;

use super::Name;
use crate::model::hash::IdMap;
use crate::sim::SimTime;

/// A service or scheduler event (`events.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// When, in seconds.
    pub time_s: f64,
    /// Service or job name.
    pub source: Name,
    /// Kind, e.g. `unable-to-place`.
    pub event: Name,
    /// Message in ECS wording.
    pub message: String,
}

/// One shared copy of each distinct text, numbered in order of first use.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    index: IdMap<Name, u32>,
    texts: Vec<Name>,
}

impl Texts {
    /// The code of `text`.
    pub fn code(&mut self, text: &str) -> u32 {
        if let Some(&c) = self.index.get(text) {
            return c;
        }
        let c = self.texts.len() as u32;
        let name = Name::from(text);
        self.index.insert(name.clone(), c);
        self.texts.push(name);
        c
    }

    /// The text of `code`.
    pub fn get(&self, code: u32) -> &Name {
        &self.texts[code as usize]
    }

    /// Number of texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// One event, compact (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    time_s: f64,
    source: u32,
    kind: u32,
    /// The message's code, or a scaling activity's cause's.
    text: u32,
    /// A scaling activity's desired count before and after.
    old: u32,
    desired: u32,
    scaling: bool,
}

/// The events of a run, in the order they happened (see the module doc).
/// Dereferences to `[EventRecord]`, made on first use.
#[derive(Default)]
pub struct EventLog {
    entries: Vec<Entry>,
    /// Sources and kinds.
    names: Texts,
    /// Messages and causes.
    texts: Texts,
    records: OnceLock<Vec<EventRecord>>,
}

impl EventLog {
    /// Logs an event with its message.
    pub fn push(&mut self, time: SimTime, source: &str, event: &str, message: &str) {
        let entry = Entry {
            time_s: time.as_secs_f64(),
            source: self.names.code(source),
            kind: self.names.code(event),
            text: self.texts.code(message),
            old: 0,
            desired: 0,
            scaling: false,
        };
        self.entries.push(entry);
    }

    /// Logs a change of service `source`'s desired count from `old` to
    /// `desired` for `cause`: the message `service {source} desired count
    /// {old} -> {desired}: {cause}`.
    pub fn push_scaling(
        &mut self,
        time: SimTime,
        source: &str,
        event: &str,
        (old, desired): (u32, u32),
        cause: &str,
    ) {
        let entry = Entry {
            time_s: time.as_secs_f64(),
            source: self.names.code(source),
            kind: self.names.code(event),
            text: self.texts.code(cause),
            old,
            desired,
            scaling: true,
        };
        self.entries.push(entry);
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Event `i`'s time, seconds.
    pub fn time_s(&self, i: usize) -> f64 {
        self.entries[i].time_s
    }

    /// Event `i`'s source.
    pub fn source(&self, i: usize) -> &str {
        self.names.get(self.entries[i].source)
    }

    /// Event `i`'s kind.
    pub fn kind(&self, i: usize) -> &str {
        self.names.get(self.entries[i].kind)
    }

    /// Appends event `i`'s message to `out`.
    pub fn push_message(&self, i: usize, out: &mut String) {
        let e = &self.entries[i];
        let text = self.texts.get(e.text);
        if !e.scaling {
            out.push_str(text);
            return;
        }
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "service {} desired count {} -> {}: {}",
            self.names.get(e.source),
            e.old,
            e.desired,
            text
        );
    }

    /// Event `i`'s message.
    pub fn message(&self, i: usize) -> String {
        let mut s = String::new();
        self.push_message(i, &mut s);
        s
    }

    /// The records, one per event in order (made on the first call).
    pub fn records(&self) -> &[EventRecord] {
        self.records.get_or_init(|| {
            (0..self.len())
                .map(|i| {
                    let e = &self.entries[i];
                    EventRecord {
                        time_s: e.time_s,
                        source: self.names.get(e.source).clone(),
                        event: self.names.get(e.kind).clone(),
                        message: self.message(i),
                    }
                })
                .collect()
        })
    }
}

impl std::ops::Deref for EventLog {
    type Target = [EventRecord];

    fn deref(&self) -> &[EventRecord] {
        self.records()
    }
}

impl<'a> IntoIterator for &'a EventLog {
    type Item = &'a EventRecord;
    type IntoIter = std::slice::Iter<'a, EventRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.records().iter()
    }
}

impl Clone for EventLog {
    fn clone(&self) -> EventLog {
        EventLog {
            entries: self.entries.clone(),
            names: self.names.clone(),
            texts: self.texts.clone(),
            records: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.records(), f)
    }
}

impl PartialEq for EventLog {
    fn eq(&self, other: &EventLog) -> bool {
        self.records() == other.records()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_they_were_logged() {
        let mut log = EventLog::default();
        log.push(
            SimTime(1_500),
            "web",
            "steady-state",
            "service web has reached a steady state.",
        );
        for (t, (old, new)) in [(60_000, (3, 4)), (120_000, (4, 5)), (180_000, (5, 2))] {
            let kind = if new > old { "scale-out" } else { "scale-in" };
            log.push_scaling(
                SimTime(t),
                "web",
                kind,
                (old, new),
                "target tracking cpu: 3 datapoints > 60 (last 61.5)",
            );
        }
        log.push(
            SimTime(181_000),
            "etl, nightly",
            "scale-in",
            "a \"quoted\" text",
        );
        assert_eq!(log.len(), 5);
        // One copy of each distinct text: four texts are two.
        assert_eq!(log.texts.len(), 3);
        assert_eq!(log.names.len(), 5);
        assert_eq!(
            log.message(2),
            "service web desired count 4 -> 5: target tracking cpu: 3 datapoints > 60 (last 61.5)"
        );
        assert_eq!(log.kind(3), "scale-in");
        assert_eq!(log.source(4), "etl, nightly");
        assert_eq!(log.time_s(0), 1.5);
        let records = log.records();
        assert_eq!(
            records[3].message,
            "service web desired count 5 -> 2: target tracking cpu: 3 datapoints > 60 (last 61.5)"
        );
        assert_eq!(records[0].event, "steady-state");
        assert_eq!(records[4].message, "a \"quoted\" text");
        assert_eq!((&log).into_iter().filter(|e| e.source == "web").count(), 4);
        assert_eq!(log.clone(), log);
        assert_eq!(format!("{log:?}"), format!("{records:?}"));
    }
}
