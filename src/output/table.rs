//! Every table a run writes (`timeseries.csv`, `tasks.csv`, `events.csv`,
//! `instances.csv`, `cost.csv`) defined once, as named, typed columns.
//!
//! [`run_tables`] lists them in the order the files are written; the CSV
//! writer ([`write_csv`]) writes from them, and other readers of a run (the
//! Python bindings, a notebook) take the same columns with their types
//! instead of parsing text. A column's [`Values`] say both what the values
//! are and how the CSV spells them, so a value has one written form
//! wherever it is written.
//!
//! The payloads are shared slices (`Arc<[T]>`): a table built from columns
//! the run already holds points at them instead of copying them. Nothing
//! here touches files: [`write_csv`] writes to any `io::Write`.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;

use crate::engine::RunResult;
use crate::metrics::records::{LabelColumn, Optional};
use crate::metrics::{AlarmState, EventLog, Runs, SampleColumns, TaskRecords, Timeseries};
use crate::sim::SimTime;
use crate::text::{
    decimal_into, fixed_into, millis_into, push_fixed, push_millis, push_prefix, push_u64, STAGE,
};

/// A run output table: the CSV file `{name}.csv`, one [`Column`] per CSV
/// column in file order, every column with the same number of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File stem: `timeseries`, `tasks`, `events`, `instances`, `cost`.
    pub name: &'static str,
    /// Columns, in the CSV's order.
    pub columns: Vec<Column>,
}

/// One named column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The CSV header, e.g. `time_s`, `web.running`.
    pub name: String,
    /// The values, one per row.
    pub values: Values,
}

/// A column's values, typed, with how the CSV writes them.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Counts, written in decimal (`42`).
    U32(Arc<[u32]>),
    /// Ids, cumulative counters, hours, written in decimal.
    U64(Arc<[u64]>),
    /// Counts kept as runs of equal values (a time series' per-service
    /// counts), written in decimal as [`Values::U32`] is.
    Runs(Runs),
    /// Real numbers written with `decimals` digits after the point
    /// (Rust's `{:.N}`: `12.50`, `0.000123`).
    Fixed {
        /// Digits after the decimal point.
        decimals: u8,
        /// The values.
        values: Arc<[f64]>,
    },
    /// Real numbers written in the shortest form that reads back to the
    /// same `f64` (Rust's `Display`: `0.096`, `2`).
    Real(Arc<[f64]>),
    /// Times in whole milliseconds (a `SimTime`), written as seconds with
    /// three decimals (`90.250`).
    Millis(Arc<[u64]>),
    /// Text, one string per row.
    Text(Arc<[String]>),
    /// Text made for each row as it is read or written ([`RowText`]): a
    /// column too large to hold as one string per row (the events'
    /// messages).
    Made(MadeText),
    /// Text from a short list: row `i` is `labels[codes[i]]` (a categorical
    /// column; `labels` in order of first appearance).
    Labels {
        /// The distinct values.
        labels: Arc<[String]>,
        /// Per row, an index into `labels`.
        codes: Arc<[u32]>,
    },
    /// Values that may be absent (an empty CSV cell): row `i` is row `i` of
    /// `values` where `present[i]`; elsewhere `values` holds a placeholder
    /// (0, or the first label) that is not part of the data.
    Optional {
        /// Per row, whether it has a value.
        present: Arc<[bool]>,
        /// The values (never itself `Optional`).
        values: Box<Values>,
    },
}

/// Appends `text` as one CSV field, quoted where the `csv` crate's writer
/// quotes it (a comma, a quote or a line break inside; quotes doubled).
fn push_csv_text(out: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for (i, part) in text.split('"').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// The text of a column's rows, made on demand.
pub trait RowText: Send + Sync {
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Appends the text of row `row` to `out`.
    fn push_row(&self, row: usize, out: &mut String);
}

/// A shared [`RowText`] column. Two are equal when their rows' texts are.
#[derive(Clone)]
pub struct MadeText(pub Arc<dyn RowText>);

impl MadeText {
    /// The text of row `row`.
    pub fn row(&self, row: usize) -> String {
        let mut s = String::new();
        self.0.push_row(row, &mut s);
        s
    }
}

impl std::fmt::Debug for MadeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.0.rows()).map(|i| self.row(i)))
            .finish()
    }
}

impl PartialEq for MadeText {
    fn eq(&self, other: &MadeText) -> bool {
        self.0.rows() == other.0.rows() && (0..self.0.rows()).all(|i| self.row(i) == other.row(i))
    }
}

impl Values {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Values::U32(v) => v.len(),
            Values::Runs(v) => v.len(),
            Values::U64(v) | Values::Millis(v) => v.len(),
            Values::Fixed { values, .. } => values.len(),
            Values::Real(v) => v.len(),
            Values::Text(v) => v.len(),
            Values::Made(m) => m.0.rows(),
            Values::Labels { codes, .. } => codes.len(),
            Values::Optional { present, .. } => present.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `row` has a value (only an `Optional` column lacks some).
    pub fn is_present(&self, row: usize) -> bool {
        match self {
            Values::Optional { present, .. } => present[row],
            _ => true,
        }
    }

    /// Appends the CSV text of row `row` to `out` (before CSV quoting,
    /// which the writer adds where a field needs it). Panics if `row` is out
    /// of range.
    pub fn push_cell(&self, row: usize, out: &mut String) {
        let mut bytes = Vec::new();
        self.push_cell_bytes(row, &mut bytes);
        // Numbers are ASCII and texts are strings: always UTF-8.
        out.push_str(&String::from_utf8_lossy(&bytes));
    }

    /// [`Values::push_cell`] to bytes.
    fn push_cell_bytes(&self, row: usize, out: &mut Vec<u8>) {
        let _ = match self {
            Values::U32(v) => {
                push_u64(out, v[row].into());
                Ok(())
            }
            Values::U64(v) => {
                push_u64(out, v[row]);
                Ok(())
            }
            Values::Runs(v) => {
                push_u64(out, v[row].into());
                Ok(())
            }
            Values::Fixed { decimals, values } => {
                push_fixed(out, *decimals, values[row]);
                Ok(())
            }
            Values::Real(v) => write!(out, "{}", v[row]),
            Values::Millis(v) => {
                push_millis(out, v[row]);
                Ok(())
            }
            Values::Text(v) => {
                out.extend_from_slice(v[row].as_bytes());
                Ok(())
            }
            Values::Made(m) => {
                out.extend_from_slice(m.row(row).as_bytes());
                Ok(())
            }
            Values::Labels { labels, codes } => {
                out.extend_from_slice(labels[codes[row] as usize].as_bytes());
                Ok(())
            }
            Values::Optional { present, values } => {
                if present[row] {
                    values.push_cell_bytes(row, out);
                }
                Ok(())
            }
        };
    }

    /// Appends row `row` as a CSV field: [`Values::push_cell`], quoted
    /// where the text needs it (numbers never do).
    fn push_field(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            Values::Text(v) => push_csv_text(out, &v[row]),
            Values::Made(m) => push_csv_text(out, &m.row(row)),
            Values::Labels { labels, codes } => push_csv_text(out, &labels[codes[row] as usize]),
            Values::Optional { present, values } => {
                if present[row] {
                    values.push_field(row, out);
                }
            }
            _ => self.push_cell_bytes(row, out),
        }
    }

    /// The CSV text of row `row`.
    pub fn cell(&self, row: usize) -> String {
        let mut s = String::new();
        self.push_cell(row, &mut s);
        s
    }

    /// Counts.
    pub fn u32s(v: impl IntoIterator<Item = u32>) -> Values {
        Values::U32(v.into_iter().collect())
    }

    /// Ids, counters.
    pub fn u64s(v: impl IntoIterator<Item = u64>) -> Values {
        Values::U64(v.into_iter().collect())
    }

    /// Reals with `decimals` digits.
    pub fn fixed(decimals: u8, v: impl IntoIterator<Item = f64>) -> Values {
        Values::Fixed {
            decimals,
            values: v.into_iter().collect(),
        }
    }

    /// Times.
    pub fn times(v: impl IntoIterator<Item = SimTime>) -> Values {
        Values::Millis(v.into_iter().map(|t| t.0).collect())
    }

    /// Times that may be absent.
    pub fn opt_times(v: impl IntoIterator<Item = Option<SimTime>>) -> Values {
        let (present, ms): (Vec<bool>, Vec<u64>) = v
            .into_iter()
            .map(|t| (t.is_some(), t.map_or(0, |t| t.0)))
            .unzip();
        Values::Optional {
            present: present.into(),
            values: Box::new(Values::Millis(ms.into())),
        }
    }

    /// A categorical column of `v`.
    pub fn labels<'a>(v: impl IntoIterator<Item = &'a str>) -> Values {
        let mut l = LabelsBuilder::default();
        for s in v {
            l.push(s);
        }
        l.finish()
    }

    /// A categorical column whose values may be absent.
    pub fn opt_labels<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> Values {
        let mut l = LabelsBuilder::default();
        let mut present = Vec::new();
        for s in v {
            present.push(s.is_some());
            l.push(s.unwrap_or(""));
        }
        Values::Optional {
            present: present.into(),
            values: Box::new(l.finish()),
        }
    }
}

/// FNV-1a: a fast hash for the short labels of a column (no untrusted
/// keys to defend against; the map is never iterated).
#[derive(Debug, Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds a [`Values::Labels`] column, labels in order of first appearance.
#[derive(Debug, Default)]
struct LabelsBuilder {
    index: HashMap<String, u32, std::hash::BuildHasherDefault<Fnv>>,
    labels: Vec<String>,
    codes: Vec<u32>,
}

impl LabelsBuilder {
    fn push(&mut self, s: &str) {
        // A run of equal values (one owner's tasks, one status) skips the map.
        if let Some(&last) = self.codes.last() {
            if self.labels[last as usize] == s {
                self.codes.push(last);
                return;
            }
        }
        // The map only finds a label's code; labels keep their first-seen order.
        let code = match self.index.get(s) {
            Some(&c) => c,
            None => {
                let c = self.labels.len() as u32;
                self.index.insert(s.to_string(), c);
                self.labels.push(s.to_string());
                c
            }
        };
        self.codes.push(code);
    }

    fn finish(self) -> Values {
        Values::Labels {
            labels: self.labels.into(),
            codes: self.codes.into(),
        }
    }
}

impl Column {
    /// A column.
    pub fn new(name: impl Into<String>, values: Values) -> Column {
        Column {
            name: name.into(),
            values,
        }
    }
}

impl Table {
    /// The file name, `{name}.csv`.
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.name)
    }

    /// Number of rows (0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Writes `table` as CSV to `w`: the header row, then one record per row,
/// as every CSV file of the program is written (`\n` line ends, a field
/// quoted only when it holds a comma, a double quote, a CR or an LF).
pub fn write_csv<W: std::io::Write>(table: &Table, mut w: W) -> std::io::Result<()> {
    debug_assert!(
        table.columns.iter().all(|c| c.values.len() == table.rows()),
        "{}: columns of different lengths",
        table.name
    );
    // Rows are written field by field as the `csv` crate's writer would
    // write them (same quoting, `\n` after each record), without its
    // per-field state machine: most fields are numbers that never need
    // quotes. A record of one empty field is written `""`, as that writer
    // does, so that it reads back as a record. Rows gather in one buffer
    // handed to `w` in chunks of at least 64 KiB.
    const CHUNK: usize = 64 * 1024;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    let single = table.columns.len() == 1;
    let end_record = |buf: &mut Vec<u8>, start: usize| {
        if single && buf.len() == start {
            buf.extend_from_slice(b"\"\"");
        }
        buf.push(b'\n');
    };
    for (i, c) in table.columns.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_csv_text(&mut buf, &c.name);
    }
    end_record(&mut buf, 0);
    let mut fields: Vec<Field> = block_runs(
        (table.columns.iter().enumerate())
            .map(|(i, c)| Field::of(&c.values, i > 0))
            .collect(),
    );
    for row in 0..table.rows() {
        let start = buf.len();
        for f in fields.iter_mut() {
            f.push(row, &mut buf);
        }
        end_record(&mut buf, start);
        if buf.len() >= CHUNK {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    w.flush()
}

/// A field's text of at most [`SHORT`] bytes, its separator first, appended
/// with one copy of [`SHORT`] bytes whatever its length.
#[derive(Clone, Copy)]
struct Short {
    bytes: [u8; SHORT],
    len: u8,
}

/// The longest [`Short`] field, separator included.
const SHORT: usize = 32;

impl Short {
    /// The separator alone (nothing for the first column).
    fn separator(sep: bool) -> Short {
        Short {
            bytes: [b','; SHORT],
            len: u8::from(sep),
        }
    }

    /// `text` after the separator, or `None` if it does not fit.
    fn of(sep: bool, text: &[u8]) -> Option<Short> {
        let at = usize::from(sep);
        let mut bytes = [b','; SHORT];
        bytes.get_mut(at..at + text.len())?.copy_from_slice(text);
        Some(Short {
            bytes,
            len: (at + text.len()) as u8,
        })
    }

    #[inline]
    fn push(&self, out: &mut Vec<u8>) {
        push_prefix(out, &self.bytes, usize::from(self.len));
    }
}

/// Appends the separator of a field that is not its row's first.
fn push_separator(out: &mut Vec<u8>, sep: bool) {
    if sep {
        out.push(b',');
    }
}

/// A run-length column's place as rows go in order: its current run, the
/// row after it (so that most rows read nothing but this: a wide table's
/// columns, a few thousand arrays, would each cost a cache miss a row),
/// and that run's field, separator first.
struct RunCursor<'a> {
    sep: bool,
    runs: &'a Runs,
    at: usize,
    end: usize,
    text: Short,
}

impl RunCursor<'_> {
    /// Steps on to the run holding `row`, writing its field if it is new.
    #[inline(always)]
    fn seek(&mut self, row: usize) {
        if row >= self.end {
            let runs = self.runs;
            while runs.ends[self.at] as usize <= row {
                self.at += 1;
            }
            self.end = runs.ends[self.at] as usize;
            let value = runs.values[self.at].into();
            let len = decimal_into(&mut self.text.bytes, usize::from(self.sep), value);
            self.text.len = len as u8;
        }
    }
}

/// Run-length columns grouped into one [`Field::RunBlock`] at most.
const RUN_BLOCK: usize = 16;

/// `fields` with each stretch of neighbouring run-length columns written
/// as blocks of up to [`RUN_BLOCK`] (a lone one stays as it is).
fn block_runs(fields: Vec<Field<'_>>) -> Vec<Field<'_>> {
    fn flush<'a>(pending: &mut Vec<RunCursor<'a>>, out: &mut Vec<Field<'a>>) {
        match pending.len() {
            0 => {}
            1 => out.extend(pending.pop().map(Field::Runs)),
            _ => out.push(Field::RunBlock {
                cursors: std::mem::take(pending),
                text: Vec::new(),
                end: 0,
            }),
        }
    }
    let mut out = Vec::with_capacity(fields.len());
    let mut pending: Vec<RunCursor> = Vec::new();
    for f in fields {
        match f {
            Field::Runs(c) => {
                pending.push(c);
                if pending.len() == RUN_BLOCK {
                    flush(&mut pending, &mut out);
                }
            }
            other => {
                flush(&mut pending, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// A column on its way to the CSV text, with what its rows repeat made
/// once: the text of a run-length column's current run, each label's
/// field. Each field writes its separator (a comma before every column
/// but the first), most of them in the same copy as their text.
enum Field<'a> {
    /// Run-length counts: rows go in order, so each row's run is found by
    /// stepping on from the previous row's.
    Runs(RunCursor<'a>),
    /// Neighbouring run-length columns written together: their fields'
    /// text, kept until the first of them starts a new run (a time series'
    /// counts mostly stay from one sample to the next: on the ECS-max day
    /// about 30 of 800 change a row), so that most rows copy it whole.
    RunBlock {
        cursors: Vec<RunCursor<'a>>,
        /// The fields' text, and the row from which it is stale.
        text: Vec<u8>,
        end: usize,
    },
    /// Labels, each quoted once with its separator; rows without a value
    /// are the separator alone.
    Labels {
        present: Option<&'a [bool]>,
        codes: &'a [u32],
        fields: Vec<Short>,
        absent: Short,
    },
    /// Labels of which one is longer than a [`Short`] field.
    LongLabels {
        present: Option<&'a [bool]>,
        codes: &'a [u32],
        fields: Vec<Vec<u8>>,
        absent: Short,
    },
    /// Times, and whether each row has one; with the last time written
    /// and its field (a task table's rows mostly repeat the row before's
    /// creation and stop times: tasks are started and stopped together).
    Millis {
        sep: bool,
        present: Option<&'a [bool]>,
        ms: &'a [u64],
        last: Option<u64>,
        text: Short,
    },
    /// Counts.
    U32 { sep: bool, values: &'a [u32] },
    /// Reals with a fixed number of decimals.
    Fixed {
        sep: bool,
        decimals: u8,
        values: &'a [f64],
    },
    /// Text made per row, into one reused buffer.
    Made {
        sep: bool,
        text: &'a dyn RowText,
        row: String,
    },
    /// Anything else, row by row.
    Other { sep: bool, values: &'a Values },
}

impl<'a> Field<'a> {
    fn of(values: &'a Values, sep: bool) -> Field<'a> {
        let labels = |present, labels: &'a [String], codes: &'a [u32]| {
            let fields: Vec<Vec<u8>> = (labels.iter())
                .map(|l| {
                    let mut f = Vec::new();
                    push_separator(&mut f, sep);
                    push_csv_text(&mut f, l);
                    f
                })
                .collect();
            let absent = Short::separator(sep);
            let short: Option<Vec<Short>> = (fields.iter()).map(|f| Short::of(false, f)).collect();
            match short {
                Some(fields) => Field::Labels {
                    present,
                    codes,
                    fields,
                    absent,
                },
                None => Field::LongLabels {
                    present,
                    codes,
                    fields,
                    absent,
                },
            }
        };
        match values {
            Values::Runs(runs) => Field::Runs(RunCursor {
                sep,
                runs,
                at: 0,
                end: 0,
                text: Short::separator(sep),
            }),
            Values::Labels {
                labels: l,
                codes: c,
            } => labels(None, l, c),
            Values::Optional {
                present,
                values: inner,
            } => match inner.as_ref() {
                Values::Labels {
                    labels: l,
                    codes: c,
                } => labels(Some(present), l, c),
                Values::Millis(ms) => Field::Millis {
                    sep,
                    present: Some(present),
                    ms,
                    last: None,
                    text: Short::separator(sep),
                },
                _ => Field::Other { sep, values },
            },
            Values::Millis(ms) => Field::Millis {
                sep,
                present: None,
                ms,
                last: None,
                text: Short::separator(sep),
            },
            Values::U32(v) => Field::U32 { sep, values: v },
            Values::Made(m) => Field::Made {
                sep,
                text: m.0.as_ref(),
                row: String::new(),
            },
            Values::Fixed { decimals, values } => Field::Fixed {
                sep,
                decimals: *decimals,
                values,
            },
            other => Field::Other { sep, values: other },
        }
    }

    #[inline(always)]
    fn push(&mut self, row: usize, out: &mut Vec<u8>) {
        // A number's text is staged after its separator and appended in one
        // copy.
        match self {
            Field::Runs(c) => {
                c.seek(row);
                c.text.push(out);
            }
            Field::RunBlock { cursors, text, end } => {
                if row >= *end {
                    text.clear();
                    *end = usize::MAX;
                    for c in cursors.iter_mut() {
                        c.seek(row);
                        c.text.push(text);
                        *end = (*end).min(c.end);
                    }
                }
                out.extend_from_slice(text);
            }
            Field::Labels {
                present,
                codes,
                fields,
                absent,
            } => {
                if present.is_none_or(|p| p[row]) {
                    fields[codes[row] as usize].push(out);
                } else {
                    absent.push(out);
                }
            }
            Field::LongLabels {
                present,
                codes,
                fields,
                absent,
            } => {
                if present.is_none_or(|p| p[row]) {
                    out.extend_from_slice(&fields[codes[row] as usize]);
                } else {
                    absent.push(out);
                }
            }
            Field::Millis {
                sep,
                present,
                ms,
                last,
                text,
            } => {
                if present.is_none_or(|p| p[row]) {
                    let t = ms[row];
                    if *last != Some(t) {
                        *last = Some(t);
                        text.len = millis_into(&mut text.bytes, usize::from(*sep), t) as u8;
                    }
                    text.push(out);
                } else {
                    push_separator(out, *sep);
                }
            }
            Field::U32 { sep, values } => {
                let mut stage = [b','; STAGE];
                let len = decimal_into(&mut stage, usize::from(*sep), values[row].into());
                push_prefix(out, &stage, len);
            }
            Field::Fixed {
                sep,
                decimals,
                values,
            } => {
                let mut stage = [b','; STAGE];
                match fixed_into(&mut stage, usize::from(*sep), *decimals, values[row]) {
                    Some(len) => push_prefix(out, &stage, len),
                    None => {
                        push_separator(out, *sep);
                        push_fixed(out, *decimals, values[row]);
                    }
                }
            }
            Field::Made {
                sep,
                text,
                row: buf,
            } => {
                push_separator(out, *sep);
                buf.clear();
                text.push_row(row, buf);
                push_csv_text(out, buf);
            }
            Field::Other { sep, values } => {
                push_separator(out, *sep);
                values.push_field(row, out);
            }
        }
    }
}

/// `table` as CSV text.
pub fn csv_text(table: &Table) -> String {
    let mut bytes = Vec::new();
    // Writing to memory cannot fail.
    let written = write_csv(table, &mut bytes);
    debug_assert!(written.is_ok(), "{written:?}");
    // Every field is UTF-8 text.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Every CSV table a run writes, in the order its files are written:
/// `timeseries`, `tasks`, `events`, `instances`, `cost`.
pub fn run_tables(r: &RunResult) -> Vec<Table> {
    RUN_TABLES.iter().map(|build| build(r)).collect()
}

/// How each table of [`run_tables`] is built, in file order (to build and
/// write one at a time).
pub const RUN_TABLES: [fn(&RunResult) -> Table; 5] = [
    timeseries_table,
    tasks_table,
    events_table,
    instances_table,
    cost_table,
];

/// `timeseries.csv`: one row per sample. Per-entity columns are named
/// `{name}.{field}` after `RunResult::columns`. The columns share the run's
/// time-series columns (no copy), except the alarm states (as label codes).
pub fn timeseries_table(r: &RunResult) -> Table {
    timeseries_table_of(&r.columns, &r.timeseries)
}

/// [`timeseries_table`] of a run's time series `s` and whom its columns
/// are about (before the rest of the result is made).
pub fn timeseries_table_of(cols: &SampleColumns, s: &Timeseries) -> Table {
    let u32s = |v: &Arc<[u32]>| Values::U32(Arc::clone(v));
    let runs = |v: &Runs| Values::Runs(v.clone());
    let fixed = |decimals: u8, v: &Arc<[f64]>| Values::Fixed {
        decimals,
        values: Arc::clone(v),
    };
    let mut columns = vec![
        Column::new("time_s", Values::Millis(Arc::clone(&s.time_ms))),
        Column::new("instances_registering", u32s(&s.registering)),
        Column::new("instances_active", u32s(&s.active)),
        Column::new("instances_draining", u32s(&s.draining)),
        Column::new("instances_in_use", u32s(&s.in_use)),
        Column::new("instances_spot", u32s(&s.spot)),
        Column::new("interruptions", Values::U64(Arc::clone(&s.interruptions))),
        Column::new("cpu_reservation_pct", fixed(2, &s.cpu_reservation_pct)),
        Column::new(
            "memory_reservation_pct",
            fixed(2, &s.memory_reservation_pct),
        ),
    ];
    for (name, c) in cols.desired.iter().zip(&s.desired) {
        columns.push(Column::new(format!("{name}.desired"), runs(c)));
    }
    for (name, t) in cols.tasks.iter().zip(&s.tasks) {
        columns.push(Column::new(format!("{name}.pending"), runs(&t.pending)));
        columns.push(Column::new(format!("{name}.running"), runs(&t.running)));
        columns.push(Column::new(format!("{name}.stopping"), runs(&t.stopping)));
    }
    for (name, l) in cols.load.iter().zip(&s.load) {
        columns.push(Column::new(
            format!("{name}.demand_rps"),
            fixed(2, &l.demand_rps),
        ));
        columns.push(Column::new(
            format!("{name}.served_rps"),
            fixed(2, &l.served_rps),
        ));
        columns.push(Column::new(format!("{name}.cpu_pct"), fixed(2, &l.cpu_pct)));
    }
    for (name, c) in cols.provisioning.iter().zip(&s.provisioning) {
        columns.push(Column::new(format!("{name}.provisioning"), runs(c)));
    }
    for (name, c) in cols.alarms.iter().zip(&s.alarms) {
        columns.push(Column::new(
            format!("{name}.alarm"),
            alarm_values(c.iter().copied()),
        ));
    }
    for (name, p) in cols.providers.iter().zip(&s.providers) {
        columns.push(Column::new(
            format!("{name}.cpr"),
            fixed(1, &p.reservation_pct),
        ));
        columns.push(Column::new(format!("{name}.needed"), runs(&p.needed)));
        columns.push(Column::new(format!("{name}.running"), runs(&p.running)));
        columns.push(Column::new(
            format!("{name}.asg_desired"),
            runs(&p.asg_desired),
        ));
    }
    Table {
        name: "timeseries",
        columns,
    }
}

/// The labels of an alarm column, in the order of their codes.
pub const ALARM_LABELS: [&str; 3] = ["high", "low", "ok"];

/// An alarm-state column: labels `high`, `low`, `ok` (always these three,
/// in this order, so every alarm column has the same codes).
pub fn alarm_values(v: impl IntoIterator<Item = AlarmState>) -> Values {
    Values::Labels {
        labels: ALARM_LABELS.iter().map(|s| s.to_string()).collect(),
        codes: v
            .into_iter()
            .map(|a| match a {
                AlarmState::High => 0,
                AlarmState::Low => 1,
                AlarmState::Ok => 2,
            })
            .collect(),
    }
}

/// `tasks.csv`: one row per task, in task-id order. The columns are the
/// run's task records' own (no copy).
pub fn tasks_table(r: &RunResult) -> Table {
    tasks_table_of(&r.tasks)
}

/// [`tasks_table`] of a run's task records `t`.
pub fn tasks_table_of(t: &TaskRecords) -> Table {
    let labels = |c: &LabelColumn| Values::Labels {
        labels: Arc::clone(&c.labels),
        codes: Arc::clone(&c.codes),
    };
    let opt_labels = |c: &Optional<LabelColumn>| Values::Optional {
        present: Arc::clone(&c.present),
        values: Box::new(labels(&c.values)),
    };
    let opt_times = |c: &Optional<Arc<[u64]>>| Values::Optional {
        present: Arc::clone(&c.present),
        values: Box::new(Values::Millis(Arc::clone(&c.values))),
    };
    Table {
        name: "tasks",
        columns: vec![
            Column::new("task_id", Values::U32(Arc::clone(&t.id))),
            Column::new("group", labels(&t.group)),
            Column::new("owner", labels(&t.owner)),
            Column::new("family", labels(&t.family)),
            Column::new("capacity", labels(&t.capacity)),
            Column::new("instance_id", opt_labels(&t.instance)),
            Column::new("instance_type", opt_labels(&t.instance_type)),
            Column::new("az", opt_labels(&t.az)),
            Column::new("last_status", labels(&t.state)),
            Column::new("created_s", Values::Millis(Arc::clone(&t.created))),
            Column::new("pending_s", opt_times(&t.pending)),
            Column::new("running_s", opt_times(&t.running)),
            Column::new("stopping_s", opt_times(&t.stopping)),
            Column::new("stopped_s", opt_times(&t.stopped)),
            Column::new("stop_reason", opt_labels(&t.stop_reason)),
        ],
    }
}

/// `tasks.csv` built from one record per task, as the table was made
/// before the records were kept as columns (the oracle of the tests).
#[cfg(test)]
pub(crate) fn tasks_table_of_records(t: &[crate::metrics::TaskRecord]) -> Table {
    Table {
        name: "tasks",
        columns: vec![
            Column::new("task_id", Values::u32s(t.iter().map(|x| x.id.0))),
            Column::new("group", Values::labels(t.iter().map(|x| x.group.as_str()))),
            Column::new("owner", Values::labels(t.iter().map(|x| x.owner.as_str()))),
            Column::new(
                "family",
                Values::labels(t.iter().map(|x| x.family.as_str())),
            ),
            Column::new("capacity", Values::labels(t.iter().map(|x| x.capacity))),
            Column::new(
                "instance_id",
                Values::opt_labels(t.iter().map(|x| x.instance.as_deref())),
            ),
            Column::new(
                "instance_type",
                Values::opt_labels(t.iter().map(|x| x.instance_type.as_deref())),
            ),
            Column::new("az", Values::opt_labels(t.iter().map(|x| x.az.as_deref()))),
            Column::new(
                "last_status",
                Values::labels(t.iter().map(|x| x.state.as_str())),
            ),
            Column::new("created_s", Values::times(t.iter().map(|x| x.created))),
            Column::new("pending_s", Values::opt_times(t.iter().map(|x| x.pending))),
            Column::new("running_s", Values::opt_times(t.iter().map(|x| x.running))),
            Column::new(
                "stopping_s",
                Values::opt_times(t.iter().map(|x| x.stopping)),
            ),
            Column::new("stopped_s", Values::opt_times(t.iter().map(|x| x.stopped))),
            Column::new(
                "stop_reason",
                Values::opt_labels(t.iter().map(|x| x.stop_reason.as_deref())),
            ),
        ],
    }
}

/// `events.csv`: service and scheduler events, in the order they happened.
pub fn events_table(r: &RunResult) -> Table {
    events_table_of(&r.events)
}

/// [`events_table`] of a run's events `e`.
pub fn events_table_of(e: &Arc<EventLog>) -> Table {
    let rows = 0..e.len();
    Table {
        name: "events",
        columns: vec![
            Column::new(
                "time_s",
                Values::fixed(3, rows.clone().map(|i| e.time_s(i))),
            ),
            Column::new("source", Values::labels(rows.clone().map(|i| e.source(i)))),
            Column::new("event", Values::labels(rows.clone().map(|i| e.kind(i)))),
            Column::new(
                "message",
                Values::Made(MadeText(Arc::new(Messages(Arc::clone(e))))),
            ),
        ],
    }
}

/// The messages of a run's events, one row per event, made as they are
/// written: `events.csv`'s message column holds no string per event.
struct Messages(Arc<EventLog>);

impl RowText for Messages {
    fn rows(&self) -> usize {
        self.0.len()
    }

    fn push_row(&self, row: usize, out: &mut String) {
        self.0.push_message(row, out);
    }
}

/// `instances.csv`: one row per instance launched, in launch order.
pub fn instances_table(r: &RunResult) -> Table {
    let i = &r.instances;
    Table {
        name: "instances",
        columns: vec![
            Column::new(
                "instance_id",
                Values::Text(i.iter().map(|x| x.instance.clone()).collect()),
            ),
            Column::new("group", Values::labels(i.iter().map(|x| x.group.as_str()))),
            Column::new(
                "instance_type",
                Values::labels(i.iter().map(|x| x.instance_type.as_str())),
            ),
            Column::new("az", Values::labels(i.iter().map(|x| x.az.as_str()))),
            Column::new("purchase", Values::labels(i.iter().map(|x| x.purchase))),
            Column::new(
                "price_usd_per_hour",
                Values::Real(i.iter().map(|x| x.price_usd_per_hour).collect()),
            ),
            Column::new("launched_s", Values::times(i.iter().map(|x| x.launched))),
            Column::new(
                "registered_s",
                Values::opt_times(i.iter().map(|x| x.registered)),
            ),
            Column::new(
                "draining_s",
                Values::opt_times(i.iter().map(|x| x.draining)),
            ),
            Column::new(
                "terminated_s",
                Values::opt_times(i.iter().map(|x| x.terminated)),
            ),
            Column::new(
                "termination",
                Values::opt_labels(i.iter().map(|x| x.termination.map(|t| t.as_str()))),
            ),
        ],
    }
}

/// `cost.csv`: the ledger per hour, owner and capacity (B4). Its amounts
/// sum to the summary's total.
pub fn cost_table(r: &RunResult) -> Table {
    let c = &r.cost;
    Table {
        name: "cost",
        columns: vec![
            Column::new("hour", Values::u32s(c.iter().map(|x| x.hour))),
            Column::new("owner", Values::labels(c.iter().map(|x| x.owner.as_str()))),
            Column::new(
                "capacity",
                Values::labels(c.iter().map(|x| x.capacity.as_str())),
            ),
            Column::new(
                "compute_usd",
                Values::fixed(6, c.iter().map(|x| x.compute_usd)),
            ),
            Column::new("idle_usd", Values::fixed(6, c.iter().map(|x| x.idle_usd))),
            Column::new(
                "storage_usd",
                Values::fixed(6, c.iter().map(|x| x.storage_usd)),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: Vec<Column>) -> Table {
        Table { name: "t", columns }
    }

    #[test]
    fn each_kind_of_value_is_written_as_the_csv_spells_it() {
        let t = table(vec![
            Column::new("n", Values::u32s([0, 42])),
            Column::new("id", Values::u64s([7, u64::MAX])),
            Column::new("pct", Values::fixed(2, [12.5, 1.0 / 3.0])),
            Column::new("usd", Values::fixed(6, [0.0001234, 0.0])),
            Column::new("price", Values::Real([0.096, 2.0].into())),
            Column::new("t_s", Values::times([SimTime(90_250), SimTime(5)])),
            Column::new("opt_s", Values::opt_times([None, Some(SimTime(1_000_001))])),
            Column::new("who", Values::labels(["web", "a,b"])),
            Column::new("why", Values::opt_labels([Some("say \"hi\""), None])),
            Column::new(
                "text",
                Values::Text(["x".to_string(), String::new()].into()),
            ),
        ]);
        assert_eq!(t.rows(), 2);
        assert_eq!(
            csv_text(&t),
            "n,id,pct,usd,price,t_s,opt_s,who,why,text\n\
             0,7,12.50,0.000123,0.096,90.250,,web,\"say \"\"hi\"\"\",x\n\
             42,18446744073709551615,0.33,0.000000,2,0.005,1000.001,\"a,b\",,\n"
        );
    }

    /// A column made per row reads and writes as the same texts held as
    /// strings: quoting, cells, length, equality.
    #[test]
    fn a_made_column_is_its_texts() {
        struct Lines(Vec<&'static str>);
        impl RowText for Lines {
            fn rows(&self) -> usize {
                self.0.len()
            }
            fn push_row(&self, row: usize, out: &mut String) {
                out.push_str(self.0[row]);
            }
        }
        let texts = vec!["plain", "a,b", "say \"hi\"", "two\nlines", ""];
        let made = Values::Made(MadeText(Arc::new(Lines(texts.clone()))));
        let held = Values::Text(texts.iter().map(|t| t.to_string()).collect());
        assert_eq!(made.len(), 5);
        assert_eq!(made, Values::Made(MadeText(Arc::new(Lines(texts.clone())))));
        assert_ne!(made, Values::Made(MadeText(Arc::new(Lines(vec!["plain"])))));
        for row in 0..5 {
            assert_eq!(made.cell(row), held.cell(row));
        }
        let as_table = |v: Values| {
            csv_text(&table(vec![
                Column::new("m", v),
                Column::new("n", Values::u32s(0..5)),
            ]))
        };
        assert_eq!(as_table(made), as_table(held));
    }

    #[test]
    fn labels_keep_their_first_appearance_order_and_absent_cells_are_marked() {
        let v = Values::opt_labels([Some("b"), None, Some("a"), Some("b")]);
        let Values::Optional { present, values } = &v else {
            panic!("{v:?}")
        };
        assert_eq!(&present[..], [true, false, true, true]);
        let Values::Labels { labels, codes } = values.as_ref() else {
            panic!("{values:?}")
        };
        assert_eq!(&labels[..], ["b", "", "a"]);
        assert_eq!(&codes[..], [0, 1, 2, 0]);
        assert!(!v.is_present(1) && v.is_present(2));
        assert_eq!(v.cell(1), "");
        assert_eq!(v.cell(3), "b");
    }

    #[test]
    fn milliseconds_are_written_as_the_old_seconds_formatter_did() {
        for ms in [0, 1, 999, 1000, 90_250, 86_400_000, 2_592_000_123] {
            let old = format!("{}.{:03}", ms / 1000, ms % 1000);
            assert_eq!(Values::Millis([ms].into()).cell(0), old);
            // Same as the seconds as an f64 with three decimals.
            assert_eq!(old, format!("{:.3}", ms as f64 / 1000.0));
        }
    }

    #[test]
    fn a_run_length_column_writes_the_text_of_its_plain_values() {
        // A time series' count column: equal values in runs, a single
        // row, a change at the last row.
        let plain: Vec<u32> = vec![3, 3, 3, 0, 0, 7, 3, 3, 9];
        let runs: Runs = plain.iter().copied().collect();
        assert_eq!(
            (&runs.ends[..], &runs.values[..]),
            (&[3, 5, 6, 8, 9][..], &[3, 0, 7, 3, 9][..])
        );
        // Every width of number a run's text holds, up to ten digits.
        let wide: Vec<u32> = vec![u32::MAX, u32::MAX, 10, 1_000_000_000, 0, 99, 99, 4_294_967];
        let wide_runs: Runs = wide.iter().copied().collect();
        assert_eq!(
            csv_text(&table(vec![Column::new("n", Values::Runs(wide_runs))])),
            csv_text(&table(vec![Column::new(
                "n",
                Values::u32s(wide.iter().copied())
            )])),
        );
        assert_eq!(runs.len(), plain.len());
        assert_eq!(runs.to_vec(), plain);
        for (row, &v) in plain.iter().enumerate() {
            assert_eq!(runs[row], v, "row {row}");
        }
        let as_u32 = table(vec![
            Column::new("t", Values::u32s(0..9)),
            Column::new("n", Values::u32s(plain.iter().copied())),
        ]);
        let as_runs = table(vec![
            Column::new("t", Values::u32s(0..9)),
            Column::new("n", Values::Runs(runs.clone())),
        ]);
        assert_eq!(csv_text(&as_runs), csv_text(&as_u32));
        assert_eq!(Values::Runs(runs).cell(5), "7");
        let empty: Runs = std::iter::empty().collect();
        assert!(empty.is_empty() && empty.to_vec().is_empty());
    }

    #[test]
    fn the_tasks_table_shares_the_records_columns_and_reads_as_the_records_do() {
        // Scenarios with EC2 and Fargate tasks, stop reasons, spot
        // interruptions: the table the columns make is the table the
        // records made before (same labels in the same order, same codes).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (path, set) in [
            ("scenarios/quickstart.toml", "duration=\"2h\""),
            ("scenarios/cost/nightly-batch.toml", "duration=\"6h\""),
            ("scenarios/spot-what-if.toml", "duration=\"1d\""),
        ] {
            let sc = crate::scenario::load(&root.join(path), &[set.to_string()]).unwrap();
            let r = crate::engine::Simulation::new(&sc.spec, sc.seed).run();
            assert!(r.tasks.len() > 10, "{path}");
            let t = tasks_table(&r);
            assert_eq!(t, tasks_table_of_records(&r.tasks), "{path}");
            let Values::Labels { codes, .. } = &t.columns[2].values else {
                panic!("owner: {:?}", t.columns[2])
            };
            assert!(Arc::ptr_eq(codes, &r.tasks.owner.codes));
        }
    }

    #[test]
    fn a_table_of_many_chunks_is_written_row_by_row_as_its_cells_read() {
        // More than 64 KiB of rows: labels quoted once, absent cells empty,
        // run-length counts, whatever chunk a row ends in.
        let n = 20_000u32;
        let t = table(vec![
            Column::new("n", Values::Runs((0..n).map(|i| i / 7 % 5).collect())),
            Column::new(
                "who",
                Values::opt_labels((0..n).map(|i| match i % 4 {
                    0 => None,
                    1 => Some("a,b"),
                    2 => Some("web"),
                    _ => Some("say \"hi\""),
                })),
            ),
            Column::new(
                "t_s",
                Values::times((0..n).map(|i| SimTime(u64::from(i) * 1_001))),
            ),
            Column::new(
                "opt_s",
                Values::opt_times((0..n).map(|i| (i % 3 == 0).then_some(SimTime(u64::from(i))))),
            ),
        ]);
        let want = cell_by_cell(&t);
        assert!(want.len() > 4 * 64 * 1024);
        assert_eq!(csv_text(&t), want);
    }

    /// The CSV text of `t` made cell by cell from [`Values::cell`], quoted
    /// where a cell needs it: what [`write_csv`] must write.
    fn cell_by_cell(t: &Table) -> String {
        let header: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        let mut want = header.join(",") + "\n";
        for row in 0..t.rows() {
            let cells: Vec<String> = (t.columns.iter())
                .map(|c| {
                    let v = c.values.cell(row);
                    if v.contains(['"', ',']) {
                        format!("\"{}\"", v.replace('"', "\"\""))
                    } else {
                        v
                    }
                })
                .collect();
            if cells.len() == 1 && cells[0].is_empty() {
                want.push_str("\"\"");
            }
            want.push_str(&cells.join(","));
            want.push('\n');
        }
        want
    }

    #[test]
    fn every_kind_of_field_is_written_first_and_after_a_separator() {
        // Each field writes its own separator, most in one copy with their
        // text: each kind first in its row and after another column, with
        // labels longer than that copy, absent cells and reals the
        // formatter writes (too large, NaN, near a tie).
        let long = "a-service-name-longer-than-thirty-two-bytes";
        let kinds: Vec<(&str, Values)> = vec![
            (
                "runs",
                Values::Runs([0, 0, 7, u32::MAX].into_iter().collect()),
            ),
            ("n", Values::u32s([0, 9, 10, u32::MAX])),
            ("id", Values::u64s([0, 99, 100, u64::MAX])),
            (
                "x",
                Values::fixed(2, [1e12, f64::NAN, -0.125, 0.004_999_999_9]),
            ),
            ("z", Values::fixed(0, [0.4, -3.0, 1e9, 2.5])),
            ("t", Values::times([0, 999, 1_000, u64::MAX].map(SimTime))),
            (
                "opt_t",
                Values::opt_times([None, Some(SimTime(61_001)), None, Some(SimTime(1))]),
            ),
            ("who", Values::labels(["web", long, "a,b", "web"])),
            (
                "why",
                Values::opt_labels([None, Some(long), Some("say \"hi\""), None]),
            ),
            (
                "short_or_absent",
                Values::opt_labels([None, Some("x"), None, Some("")]),
            ),
            (
                "text",
                Values::Text(["x".to_string(), String::new(), "q\"".into(), "c,d".into()].into()),
            ),
        ];
        for (first, _) in &kinds {
            let mut columns: Vec<Column> = (kinds.iter())
                .filter(|(name, _)| name == first)
                .chain(kinds.iter().filter(|(name, _)| name != first))
                .map(|(name, v)| Column::new(*name, v.clone()))
                .collect();
            let all = table(columns.clone());
            assert_eq!(csv_text(&all), cell_by_cell(&all), "{first} first");
            columns.truncate(1);
            let alone = table(columns);
            assert_eq!(csv_text(&alone), cell_by_cell(&alone), "{first} alone");
        }
    }

    #[test]
    fn a_table_without_rows_is_its_header() {
        let t = table(vec![
            Column::new("a", Values::u32s([])),
            Column::new("b", Values::labels([])),
        ]);
        assert_eq!(csv_text(&t), "a,b\n");
    }
}

#[cfg(test)]
mod fast_text {
    use super::*;
    use proptest::prelude::*;

    fn fixed(d: u8, x: f64) -> String {
        let mut s = Vec::new();
        push_fixed(&mut s, d, x);
        String::from_utf8(s).unwrap()
    }

    #[test]
    fn fixed_matches_the_formatter_on_edges() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            0.125,
            0.375,
            1.005,
            2.675,
            0.045,
            1e-7,
            -1e-7,
            -0.001,
            0.0049999,
            999_999.995,
            1e8 + 0.5,
            1e9,
            1.5e9,
            123_456_789.123_456,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            1.0 / 3.0,
            2.0 / 3.0,
            12.5,
            0.000_123_4,
            86_400.000_5,
        ];
        for d in 0..=12u8 {
            for &x in &edges {
                assert_eq!(
                    fixed(d, x),
                    format!("{x:.*}", usize::from(d)),
                    "{x} with {d}"
                );
            }
        }
    }

    #[test]
    fn integers_and_times_match_the_formatter() {
        for n in [0u64, 7, 10, 99, 1000, 123_456_789, u64::MAX] {
            let mut s = Vec::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string().as_bytes());
            let mut t = Vec::new();
            push_millis(&mut t, n);
            assert_eq!(t, format!("{}.{:03}", n / 1000, n % 1000).as_bytes());
        }
    }

    proptest! {
        #[test]
        fn fixed_matches_the_formatter(x in -1e10f64..1e10, d in 0u8..10) {
            prop_assert_eq!(fixed(d, x), format!("{x:.*}", usize::from(d)));
        }

        #[test]
        fn fixed_matches_on_decimal_grids(n in -10_000_000i64..10_000_000, k in 0u32..7, d in 0u8..8) {
            // Values written with k decimals (costs, percentages), printed
            // with d: many sit exactly on or next to a tie.
            let x = n as f64 / 10f64.powi(k as i32);
            prop_assert_eq!(fixed(d, x), format!("{x:.*}", usize::from(d)));
        }

        #[test]
        fn neighbouring_run_columns_read_as_their_plain_values(
            cols in proptest::collection::vec(
                (proptest::collection::vec(0u32..4, 30), 0u8..4),
                1..40,
            ),
        ) {
            // Stretches of run-length columns longer than a block, shorter,
            // alone, first in the row, and between other kinds: written in
            // blocks, they read as their plain values do (few values, so
            // runs start and end at every kind of row).
            let mut as_runs = Vec::new();
            let mut as_u32 = Vec::new();
            for (i, (v, kind)) in cols.iter().enumerate() {
                let values = v.iter().map(|&x| if x == 3 { 1_000_000 + x } else { x });
                let plain = Values::u32s(values.clone());
                let name = format!("c{i}");
                if *kind == 0 {
                    as_runs.push(Column::new(name.clone(), plain.clone()));
                } else {
                    as_runs.push(Column::new(name.clone(), Values::Runs(values.collect())));
                }
                as_u32.push(Column::new(name, plain));
            }
            prop_assert_eq!(
                csv_text(&Table { name: "t", columns: as_runs }),
                csv_text(&Table { name: "t", columns: as_u32 })
            );
        }

        #[test]
        fn repeated_times_read_as_each_cell(
            times in proptest::collection::vec(proptest::option::of(0u64..3), 1..40),
        ) {
            // Times repeating the row before's, absent between, and the
            // largest time: each row's field is that row's cell.
            let times: Vec<Option<u64>> = (times.iter())
                .map(|t| t.map(|k| if k == 2 { u64::MAX } else { k * 1_500 }))
                .collect();
            for first in [true, false] {
                let mut columns = vec![Column::new("t", Values::opt_times(times.iter().map(|t| t.map(SimTime))))];
                if !first {
                    columns.insert(0, Column::new("n", Values::u32s(0..times.len() as u32)));
                }
                let table = Table { name: "t", columns };
                let text = csv_text(&table);
                let rows: Vec<&str> = text.lines().skip(1).collect();
                prop_assert_eq!(rows.len(), times.len());
                for (row, line) in rows.iter().enumerate() {
                    let cell = table.columns.last().map(|c| c.values.cell(row)).unwrap_or_default();
                    let field = line.rsplit(',').next().unwrap_or_default();
                    let want = if first && cell.is_empty() { "\"\"" } else { cell.as_str() };
                    prop_assert_eq!(field, want, "row {}", row);
                }
            }
        }

        #[test]
        fn rows_are_what_the_csv_writer_writes(
            texts in proptest::collection::vec("[a-z,\"\\n\\r ]{0,6}", 1..5),
            x in -1e4f64..1e4,
        ) {
            let mut columns: Vec<Column> = texts
                .iter()
                .enumerate()
                .map(|(i, t)| Column::new(format!("c{i}"), Values::Text(vec![t.clone(), String::new()].into())))
                .collect();
            let mine = csv_text(&Table { name: "t", columns: columns.clone() });
            let mut w = crate::csvdata::csv_writer(Vec::new());
            w.write_record(columns.iter().map(|c| c.name.as_bytes())).unwrap();
            for row in 0..2 {
                w.write_record(columns.iter().map(|c| c.values.cell(row))).unwrap();
            }
            let theirs = String::from_utf8(w.into_inner().unwrap()).unwrap();
            prop_assert_eq!(mine, theirs);
            columns.push(Column::new("x", Values::fixed(3, [x, -x])));
            let text = csv_text(&Table { name: "t", columns });
            prop_assert!(text.lines().count() >= 3);
        }
    }

    #[test]
    fn a_record_of_one_empty_field_is_quoted() {
        let t = Table {
            name: "t",
            columns: vec![Column::new(
                "only",
                Values::Text(vec![String::new()].into()),
            )],
        };
        assert_eq!(csv_text(&t), "only\n\"\"\n");
    }
}
