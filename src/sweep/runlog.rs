//! A sweep's finished runs on disk: the run log in `DIR/runs/`.
//!
//! ```text
//! DIR/runs/runs.jsonl       every run of the folder, in run order (written when a sweep finishes)
//! DIR/runs/part-0003.jsonl  the runs a sweep stored while it ran, in the order they ended
//! ```
//!
//! Each line is one finished run: its [`RunRecord`] as compact JSON. A
//! sweep appends its runs to a part of its own (created exclusively, never
//! appended to by anyone else, never reopened), a batch of lines per write
//! and one `fdatasync` per batch, so a run costs no file of its own: on runs
//! of a millisecond, creating, syncing and naming a file per run cost as
//! much as the run. When the sweep finishes, the folder's lines are written
//! again, the latest of each run, in run order, into `runs.jsonl` (one
//! sequential write, synced, renamed over the old one) and the parts are
//! removed: the folder holds the same bytes whatever the number of jobs.
//!
//! Reading a folder takes `runs.jsonl`, then the parts in number order; a
//! later line of a run replaces an earlier one. A last line without its
//! newline is a write cut short by a kill: it is not a run (the run is done
//! again). A complete line that is not a run record is an error naming the
//! file and the line. Run files of earlier versions (`runs/r0007.json`, one
//! pretty-printed record each) are read too, before everything else, and
//! their records go into `runs.jsonl` when the sweep finishes.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::SweepError;
use super::store::RunRecord;

/// The run log of a finished folder, in run order.
pub const RUNS_LOG: &str = "runs.jsonl";

/// Where one run's line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line {
    /// Index into the files of the [`Log`].
    file: usize,
    /// 1-based line number (0: a whole file of an earlier version).
    number: usize,
    /// Byte offset and length of the line, without its newline.
    offset: u64,
    len: usize,
}

/// The run log files of a folder, as read, and the latest line of each run.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// Log files in the order read: earlier versions' run files, then
    /// `runs.jsonl`, then the parts in number order.
    files: Vec<PathBuf>,
    /// Texts of earlier versions' run files, re-encoded as lines, by file.
    legacy: BTreeMap<usize, String>,
    /// The latest line of each run, by run index.
    runs: BTreeMap<usize, Line>,
    /// The number the next part takes.
    next_part: u32,
}

/// What a file of `runs/` is.
enum Entry {
    /// A run file of an earlier version.
    Legacy,
    /// `runs.jsonl`.
    Whole,
    /// `part-N.jsonl`.
    Part(u32),
}

fn entry(name: &str) -> Option<Entry> {
    if name == RUNS_LOG {
        return Some(Entry::Whole);
    }
    if let Some(n) = name
        .strip_prefix("part-")
        .and_then(|n| n.strip_suffix(".jsonl"))
    {
        return n.parse().ok().map(Entry::Part);
    }
    (!name.starts_with('.') && name.ends_with(".json")).then_some(Entry::Legacy)
}

/// Encodes `rec` as one line of the log (no newline).
pub(super) fn encode(rec: &RunRecord, path: &Path) -> Result<String, SweepError> {
    serde_json::to_string(rec).map_err(|e| SweepError::folder(path, format!("cannot encode: {e}")))
}

impl Log {
    /// Reads `runs_dir` (absent: an empty log), calling `each` with every
    /// record in the order read and the line it came from; `each` may
    /// refuse a record. With `tidy` (the caller holds the folder's lock) it
    /// also removes the temporary files a killed writer left; without, it
    /// only skips them (another process may be writing them).
    pub(super) fn read(
        runs_dir: &Path,
        tidy: bool,
        mut each: impl FnMut(&Log, Line, RunRecord) -> Result<(), SweepError>,
    ) -> Result<Log, SweepError> {
        let mut log = Log::default();
        if !runs_dir.is_dir() {
            return Ok(log);
        }
        let mut found: Vec<(u32, u32, PathBuf)> = Vec::new();
        for e in std::fs::read_dir(runs_dir).map_err(SweepError::io(runs_dir))? {
            let e = e.map_err(SweepError::io(runs_dir))?;
            let path = e.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if crate::output::folder::is_temp_file(name) || name.ends_with(".json.tmp") {
                if tidy {
                    std::fs::remove_file(&path).map_err(SweepError::io(&path))?;
                }
                continue;
            }
            let rank = match entry(name) {
                Some(Entry::Legacy) => (0, 0),
                Some(Entry::Whole) => (1, 0),
                Some(Entry::Part(n)) => {
                    log.next_part = log.next_part.max(n.saturating_add(1));
                    (2, n)
                }
                None => continue,
            };
            // Only plain files: never read through a link planted there.
            if e.file_type().is_ok_and(|t| t.is_file()) {
                found.push((rank.0, rank.1, path));
            }
        }
        found.sort();
        for (kind, _, path) in found {
            let file = log.files.len();
            log.files.push(path);
            let path = &log.files[file];
            let text = std::fs::read_to_string(path).map_err(SweepError::io(path))?;
            if kind == 0 {
                let rec: RunRecord = serde_json::from_str(&text).map_err(|e| {
                    SweepError::folder(path, format!("not a run file ({e}); remove it"))
                })?;
                let line = encode(&rec, path)?;
                let at = Line {
                    file,
                    number: 0,
                    offset: 0,
                    len: line.len(),
                };
                log.legacy.insert(file, line);
                let index = rec.run_index;
                each(&log, at, rec)?;
                log.runs.insert(index, at);
                continue;
            }
            let mut offset = 0;
            // A last line without its newline was cut short: not a run.
            for (k, line) in text.split_inclusive('\n').enumerate() {
                let Some(body) = line.strip_suffix('\n') else {
                    break;
                };
                let at = Line {
                    file,
                    number: k + 1,
                    offset: offset as u64,
                    len: body.len(),
                };
                offset += line.len();
                let rec: RunRecord = serde_json::from_str(body).map_err(|e| {
                    log.error(
                        at,
                        format!("not a run record ({e}); remove the line or the file"),
                    )
                })?;
                let index = rec.run_index;
                each(&log, at, rec)?;
                log.runs.insert(index, at);
            }
        }
        Ok(log)
    }

    /// An error about the record at `at`, naming its file and line.
    pub(super) fn error(&self, at: Line, message: impl Into<String>) -> SweepError {
        let message = message.into();
        let path = &self.files[at.file];
        if at.number == 0 {
            SweepError::folder(path, message)
        } else {
            SweepError::folder(path, format!("line {}: {message}", at.number))
        }
    }

    /// The runs found, by run index, with where the latest line of each is.
    pub(super) fn runs(&self) -> &BTreeMap<usize, Line> {
        &self.runs
    }

    /// The texts of the lines `ats`, read back, in the order given.
    pub(super) fn texts(&self, ats: &[Line]) -> Result<Vec<String>, SweepError> {
        let mut readers: HashMap<usize, Reader> = HashMap::new();
        let mut buf = Vec::new();
        ats.iter()
            .map(|&at| {
                if let Some(text) = self.legacy.get(&at.file) {
                    return Ok(text.clone());
                }
                let r = match readers.entry(at.file) {
                    std::collections::hash_map::Entry::Occupied(r) => r.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(Reader::open(&self.files[at.file])?)
                    }
                };
                r.read(at.offset, at.len, &mut buf)
                    .map_err(|e| self.error(at, e.to_string()))?;
                String::from_utf8(std::mem::take(&mut buf))
                    .map_err(|e| self.error(at, format!("not text: {e}")))
            })
            .collect()
    }
}

/// A sweep session's part of the log: created at its first batch, appended
/// to a batch at a time, each batch synced before it counts.
#[derive(Debug)]
pub(super) struct Appender {
    runs_dir: PathBuf,
    next_part: u32,
    file: Option<(File, PathBuf)>,
    len: u64,
    /// A write failed: the part may end in a cut line, so nothing more is
    /// appended to it.
    broken: bool,
    /// The lines appended, by run index, in the order appended (a run
    /// stored twice: the later line).
    lines: BTreeMap<usize, (u64, usize)>,
}

impl Appender {
    /// An appender for `runs_dir` whose part will be numbered from
    /// `log`'s next free number.
    pub(super) fn new(runs_dir: &Path, log: &Log) -> Appender {
        Appender {
            runs_dir: runs_dir.to_path_buf(),
            next_part: log.next_part,
            file: None,
            len: 0,
            broken: false,
            lines: BTreeMap::new(),
        }
    }

    /// The part's path, once created.
    pub(super) fn path(&self) -> Option<&Path> {
        self.file.as_ref().map(|(_, p)| p.as_path())
    }

    /// Creates the part: the next free number, created exclusively, its
    /// name made durable.
    fn create(&mut self) -> Result<(), SweepError> {
        loop {
            let path = self
                .runs_dir
                .join(format!("part-{:04}.jsonl", self.next_part));
            self.next_part = self.next_part.checked_add(1).ok_or_else(|| {
                SweepError::folder(
                    &self.runs_dir,
                    "no part number is free; finish the sweep (`--resume`) to write the run log whole",
                )
            })?;
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(f) => {
                    sync_dir(&self.runs_dir)?;
                    self.file = Some((f, path));
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(SweepError::io(&path)(e)),
            }
        }
    }

    /// Appends the `(run index, line)` pairs in one write and makes them
    /// durable; only then do they count (a run whose line was cut short is
    /// done again). After a failure, nothing more is appended.
    pub(super) fn append(&mut self, lines: &[(usize, &str)]) -> Result<(), SweepError> {
        if self.broken {
            return Err(SweepError::folder(
                &self.runs_dir,
                "an earlier write of the run log failed; nothing more is written to it",
            ));
        }
        if self.file.is_none() {
            self.create()?;
        }
        let mut bytes = Vec::with_capacity(lines.iter().map(|(_, l)| l.len() + 1).sum());
        let mut at = Vec::with_capacity(lines.len());
        for (index, line) in lines {
            at.push((*index, self.len + bytes.len() as u64, line.len()));
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        let Some((file, path)) = self.file.as_mut() else {
            unreachable!("created above")
        };
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_data()) {
            self.broken = true;
            return Err(SweepError::io(path.clone())(e));
        }
        self.len += bytes.len() as u64;
        for (index, offset, len) in at {
            self.lines.insert(index, (offset, len));
        }
        Ok(())
    }

    /// The runs appended, in run order.
    pub(super) fn runs(&self) -> impl Iterator<Item = usize> + '_ {
        self.lines.keys().copied()
    }
}

/// Makes the entries of `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), SweepError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(SweepError::io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Where a line of a log written whole comes from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Source<'a> {
    /// A line of a log read from a folder.
    Read(&'a Log, Line),
    /// The line of run `index` that an appender appended to its part.
    Appended(&'a Appender, usize),
}

/// Writes the lines of `sources`, in the order given, as the log `out`
/// (created exclusively, synced), copying each from where it is.
pub(super) fn write_whole<'a>(
    out: &Path,
    sources: impl IntoIterator<Item = Source<'a>>,
) -> Result<(), SweepError> {
    let io = |p: &Path| SweepError::io(p.to_path_buf());
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(out)
        .map_err(io(out))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let mut readers: HashMap<PathBuf, Reader> = HashMap::new();
    let mut buf = Vec::new();
    for source in sources {
        let (path, offset, len, at) = match source {
            Source::Read(log, at) => {
                if let Some(text) = log.legacy.get(&at.file) {
                    w.write_all(text.as_bytes())
                        .and_then(|()| w.write_all(b"\n"))
                        .map_err(io(out))?;
                    continue;
                }
                (&log.files[at.file], at.offset, at.len, Some((log, at)))
            }
            Source::Appended(a, index) => {
                let (Some(path), Some(&(offset, len))) = (a.file.as_ref(), a.lines.get(&index))
                else {
                    return Err(SweepError::folder(
                        &a.runs_dir,
                        format!("run {index} was not appended to the run log"),
                    ));
                };
                (&path.1, offset, len, None)
            }
        };
        let r = match readers.entry(path.clone()) {
            std::collections::hash_map::Entry::Occupied(r) => r.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(Reader::open(path)?),
        };
        r.read(offset, len, &mut buf).map_err(|e| match at {
            Some((log, at)) => log.error(at, e.to_string()),
            None => SweepError::io(path.clone())(e),
        })?;
        w.write_all(&buf)
            .and_then(|()| w.write_all(b"\n"))
            .map_err(io(out))?;
    }
    let file = w.into_inner().map_err(|e| io(out)(e.into_error()))?;
    file.sync_all().map_err(io(out))
}

/// Reads lines back from a log file by position.
struct Reader {
    file: File,
}

impl Reader {
    fn open(path: &Path) -> Result<Reader, SweepError> {
        Ok(Reader {
            file: File::open(path).map_err(SweepError::io(path))?,
        })
    }

    /// The `len` bytes at `offset`, into `buf`; checks that they are a
    /// line still (a newline follows).
    fn read(&mut self, offset: u64, len: usize, buf: &mut Vec<u8>) -> std::io::Result<()> {
        buf.resize(len + 1, 0);
        read_at(&mut self.file, offset, buf)?;
        if buf.pop() != Some(b'\n') || buf.first() != Some(&b'{') {
            return Err(std::io::Error::other(
                "was changed while the sweep ran (another process writing the same folder?): \
                 not a line where it was",
            ));
        }
        Ok(())
    }
}

#[cfg(unix)]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &mut File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// Replaces `runs_dir`'s log by the lines of `sources` in the order given
/// (the folder's runs in run order): written beside it under a temporary
/// name, synced, renamed to `runs.jsonl`; then the files read into it
/// (`log`'s and the appender's part) are removed. Killed at any point, the
/// folder holds every run once or twice over (the same line), never none.
pub(super) fn rewrite<'a>(
    runs_dir: &Path,
    sources: impl IntoIterator<Item = Source<'a>>,
    log: &Log,
    appender: Option<&Appender>,
) -> Result<(), SweepError> {
    let target = runs_dir.join(RUNS_LOG);
    let tmp = temp_path(runs_dir, RUNS_LOG);
    if let Err(e) = write_whole(&tmp, sources) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, &target) {
        let _ = std::fs::remove_file(&tmp);
        return Err(SweepError::io(&target)(e));
    }
    sync_dir(runs_dir)?;
    let part = appender.and_then(Appender::path);
    for path in log.files.iter().map(PathBuf::as_path).chain(part) {
        if path != target {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(SweepError::io(path)(e))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A fresh temporary name for `name` in `dir` (`.NAME.ecsim-tmp-PID-N`,
/// which the next reader of the folder removes as a leftover).
pub(super) fn temp_path(dir: &Path, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    dir.join(format!(
        ".{name}.ecsim-tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: usize, x: u32) -> RunRecord {
        RunRecord {
            sweep: "s".into(),
            run_id: format!("r{i:04}"),
            run_index: i,
            combination: 0,
            seed_index: i as u32,
            seed: 7,
            parameters: serde_json::Map::new(),
            summary: serde_json::json!({ "x": x }),
        }
    }

    fn line(i: usize, x: u32) -> String {
        encode(&rec(i, x), Path::new("")).unwrap()
    }

    fn names_in(d: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// Reads `dir`, returning the latest record of each run.
    fn latest(dir: &Path) -> (Log, BTreeMap<usize, u64>) {
        let mut seen: BTreeMap<Line, u64> = BTreeMap::new();
        let log = Log::read(dir, true, |_, at, r| {
            seen.insert(at, r.summary["x"].as_u64().unwrap());
            Ok(())
        })
        .unwrap();
        let runs = (log.runs().iter()).map(|(&i, at)| (i, seen[at])).collect();
        (log, runs)
    }

    impl PartialOrd for Line {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Line {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            (self.file, self.offset).cmp(&(other.file, other.offset))
        }
    }

    #[test]
    fn later_files_win_and_a_cut_last_line_is_not_a_run() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let w = |name: &str, text: String| std::fs::write(d.join(name), text).unwrap();
        // Earlier version's file < runs.jsonl < part 2 < part 10.
        w(
            "r0000.json",
            serde_json::to_string_pretty(&rec(0, 1)).unwrap(),
        );
        w(
            "r0003.json",
            serde_json::to_string_pretty(&rec(3, 1)).unwrap(),
        );
        w(RUNS_LOG, format!("{}\n{}\n", line(0, 2), line(1, 2)));
        w(
            "part-0010.jsonl",
            format!("{}\n{}", line(1, 4), &line(2, 4)[..10]),
        );
        w(
            "part-0002.jsonl",
            format!("{}\n{}\n", line(1, 3), line(2, 3)),
        );
        // Leftovers removed, files not the log's left alone.
        w(".r0004.json.ecsim-tmp-1-2", "{".into());
        w(".runs.jsonl.ecsim-tmp-1-3", "{".into());
        w("notes.txt", "mine".into());
        let (log, runs) = latest(d);
        assert_eq!(runs, BTreeMap::from([(0, 2), (1, 4), (2, 3), (3, 1)]));
        assert_eq!(log.next_part, 11);
        let mut names = names_in(d);
        assert_eq!(
            names,
            [
                "notes.txt",
                "part-0002.jsonl",
                "part-0010.jsonl",
                "r0000.json",
                "r0003.json",
                RUNS_LOG
            ]
        );

        // Written whole in run order: the latest line of each run, the
        // earlier version's record as a line; the files read removed.
        let sources: Vec<Source> = (log.runs().values())
            .map(|&at| Source::Read(&log, at))
            .collect();
        rewrite(d, sources, &log, None).unwrap();
        let want = [line(0, 2), line(1, 4), line(2, 3), line(3, 1)]
            .map(|l| l + "\n")
            .concat();
        assert_eq!(std::fs::read_to_string(d.join(RUNS_LOG)).unwrap(), want);
        names = names_in(d);
        assert_eq!(names, ["notes.txt", RUNS_LOG]);
    }

    /// A reader without the folder's lock (a merge reading a shard, the
    /// Python tables) skips temporary files but leaves them alone: their
    /// writer may be at work.
    #[test]
    fn only_the_lock_holder_removes_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join(RUNS_LOG), format!("{}\n", line(0, 1))).unwrap();
        let temp = d.join(".runs.jsonl.ecsim-tmp-1-0");
        std::fs::write(&temp, "{").unwrap();
        let log = Log::read(d, false, |_, _, _| Ok(())).unwrap();
        assert_eq!(log.runs().len(), 1);
        assert!(temp.exists());
        Log::read(d, true, |_, _, _| Ok(())).unwrap();
        assert!(!temp.exists());
    }

    #[test]
    fn a_bad_complete_line_is_named_by_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("part-0001.jsonl"),
            format!("{}\n{{\"run\n{}\n", line(0, 1), line(1, 1)),
        )
        .unwrap();
        let e = Log::read(tmp.path(), false, |_, _, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("part-0001.jsonl: line 2: not a run record"),
            "{e}"
        );
    }

    #[test]
    fn an_appender_takes_a_fresh_part_and_syncs_each_batch() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::write(d.join("part-0004.jsonl"), "").unwrap();
        let (log, _) = latest(d);
        // A name taken meanwhile is skipped, never appended to.
        std::fs::write(d.join("part-0005.jsonl"), "theirs").unwrap();
        let mut a = Appender::new(d, &log);
        assert!(a.path().is_none(), "no part before the first batch");
        a.append(&[(3, &line(3, 1)), (1, &line(1, 1))]).unwrap();
        a.append(&[(3, &line(3, 2))]).unwrap();
        assert_eq!(a.path(), Some(d.join("part-0006.jsonl").as_path()));
        assert_eq!(
            std::fs::read_to_string(d.join("part-0005.jsonl")).unwrap(),
            "theirs"
        );
        let text = std::fs::read_to_string(d.join("part-0006.jsonl")).unwrap();
        assert_eq!(
            text,
            format!("{}\n{}\n{}\n", line(3, 1), line(1, 1), line(3, 2))
        );
        assert_eq!(a.runs().collect::<Vec<_>>(), [1, 3]);
        // The whole log takes the later line of run 3 from the part.
        let out = d.join("whole.jsonl");
        write_whole(&out, [1, 3].map(|i| Source::Appended(&a, i))).unwrap();
        assert_eq!(
            std::fs::read_to_string(out).unwrap(),
            format!("{}\n{}\n", line(1, 1), line(3, 2))
        );
    }
}
