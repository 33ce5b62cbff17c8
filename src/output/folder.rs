//! Result folders written all-or-nothing, one writer at a time, and names
//! read back from files checked before they become paths.
//!
//! A command that writes a result folder `DIR` (a run, a comparison, a
//! sweep's tables, a merge):
//!
//! 1. takes `DIR`'s lock ([`Lock::acquire`]): the file `.NAME.ecsim-lock`
//!    beside `DIR`, held with an OS file lock for the whole command, so a
//!    second writer fails at once with a message instead of mixing its files
//!    with the first one's. A lock left by a killed process is free again
//!    (the OS drops the lock with the process) and is reused;
//! 2. writes every file into a fresh folder beside `DIR`,
//!    `.NAME.ecsim-tmp-PID-N`, made with `create_dir` (which fails if the name
//!    exists, and never follows a symbolic link planted there);
//! 3. renames it into place ([`Staging::commit`]): an existing `DIR` is first
//!    renamed aside to `.NAME.ecsim-old-PID-N`, the new folder renamed to
//!    `DIR`, and the old one removed.
//!
//! A sweep appends its finished runs to the run log in `DIR/runs/` as it
//! goes (each line whole once synced, see `sweep::runlog`), before its tables are staged: the staged
//! folder has no `runs/`, and the swap moves the old folder's `runs/` into
//! the new one (one rename, whatever the number of runs) before removing
//! the old folder. A result that has a `runs/` of its own (a merge) drops
//! the old one with the previous result.
//!
//! What the old folder held beyond a previous result is kept: entries this
//! kind of result does not write (a `compare/` folder inside a run folder,
//! a sweep's `shard-K-of-N/` folders, a user's notes) are moved into the new
//! folder; the old result's own files (see [`Kind`]), the charts ecsim
//! draws of it (`tasks.png`, `cost.svg`, ...: drawn again by `--plot`) and
//! `report.html` (drawn again by `--report`) are dropped with it, so no
//! file of the previous result survives beside the new ones.
//!
//! A failure or a kill at any point leaves the previous result whole (or
//! the new one whole, once renamed). The next writer of `DIR`, holding the
//! lock, finishes what a killed one left: it removes `.NAME.ecsim-tmp-*`
//! folders and files, and an `.NAME.ecsim-old-*` folder is renamed back to
//! `DIR` if `DIR` is missing (the kill came between the two renames) or has
//! its kept entries (and a `runs/` that `DIR` lacks) moved over and is
//! removed.
//!
//! Single files are written the same way ([`write_atomic`]): a temporary
//! file `.FILE.ecsim-tmp-PID-N` made with `create_new` (never an existing
//! name, never through a symbolic link), then renamed over `FILE`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::OutputError;

/// What a result folder holds: decides which entries of an old folder are
/// the previous result's (replaced) and which are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `ecsim run`: [`RUN_FILES`].
    Run,
    /// `ecsim compare`: `comparison.csv` and one run folder per variant.
    Compare,
    /// `ecsim sweep` and `ecsim merge`: `sweep.json`, `runs.csv`,
    /// `aggregate.csv` and `runs/`.
    Sweep,
}

/// The files `ecsim run` writes.
pub const RUN_FILES: [&str; 8] = [
    "summary.json",
    "timeseries.csv",
    "tasks.csv",
    "cost.csv",
    "commitments.csv",
    "instances.csv",
    "events.csv",
    "timing.json",
];

/// Folders of a result that a new result without one of that name takes
/// over from the old folder at the swap: a sweep's run log, written in
/// place while it runs (see the module docs).
const CARRIED: [&str; 1] = ["runs"];

/// The charts `ecsim plot` draws of a run folder (`*.png` or `*.svg`).
const RUN_CHARTS: [&str; 5] = ["tasks", "instances", "reservation", "demand", "cost"];

/// The charts `ecsim plot` draws of a compare folder.
const COMPARE_CHARTS: [&str; 2] = ["cost", "utilization"];

impl Kind {
    /// Whether the entry `name` of an old folder of this kind belongs to
    /// the previous result (and is replaced with it).
    fn owns(self, name: &str, path: &Path) -> bool {
        // Temporary files of an interrupted writer (this one's, or the
        // `FILE.tmp` of earlier versions) go with the result they were for.
        if is_temp_file(name) {
            return true;
        }
        if let Some(stem) = name.strip_suffix(".tmp") {
            return self.owns(stem, Path::new(stem));
        }
        // Charts and the HTML report are drawn from the result's files, so
        // they go with it (`--plot` and `--report` draw them again); a
        // picture of the user's own, under another name, is kept.
        let stem = name
            .strip_suffix(".png")
            .or_else(|| name.strip_suffix(".svg"));
        let chart = |names: &[&str]| stem.is_some_and(|s| names.contains(&s));
        let image = name == "report.html"
            || match self {
                Kind::Run => chart(&RUN_CHARTS),
                Kind::Compare => chart(&COMPARE_CHARTS),
                // `METRIC_by_PARAMETER`, one chart per metric and parameter.
                Kind::Sweep => stem.is_some_and(|s| s.contains("_by_")),
            };
        match self {
            Kind::Run => image || RUN_FILES.contains(&name),
            Kind::Compare => {
                image
                    || name == "comparison.csv"
                    || (path.is_dir() && path.join("summary.json").is_file())
            }
            Kind::Sweep => {
                image || matches!(name, "sweep.json" | "runs.csv" | "aggregate.csv" | "runs")
            }
        }
    }
}

/// Checks that a name read from a file or given for a folder (a sweep's or
/// scenario's `name`, a variant) is a plain name: not empty, no `/` or `\`,
/// not `.` or `..` nor starting with a dot, no control character. Returns
/// what is wrong.
pub fn plain_name(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.contains(['/', '\\']) {
        "contains a path separator"
    } else if name.starts_with('.') {
        "starts with a dot"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else if name.contains(':') && cfg!(windows) {
        "contains a colon"
    } else {
        return Ok(());
    };
    Err(format!(
        "`{}` {problem}: expected a plain name (letters, digits, `-`, `_`, no folders)",
        name.escape_debug()
    ))
}

/// `results/<name>`, the default output folder of a scenario (`what`:
/// `scenario`) named `name`, if that is a plain name; otherwise what is
/// wrong, asking for `--out`.
pub fn default_dir(name: &str, what: &str) -> Result<PathBuf, String> {
    match plain_name(name) {
        Ok(()) => Ok(Path::new("results").join(name)),
        Err(m) => Err(format!(
            "the {what} name {m}; it names the default output folder: rename it or give --out"
        )),
    }
}

/// Refuses a result folder path that cannot be written as one: an existing
/// file or symbolic link (not a folder), or a path ending in `.`, `..` or a
/// root. Call it before the work, so a long simulation is not lost to it.
pub fn check_target(dir: &Path) -> Result<(), OutputError> {
    let refuse = |message: &str| OutputError::Refused {
        path: dir.to_path_buf(),
        message: message.to_string(),
    };
    match dir.components().next_back() {
        Some(Component::Normal(_)) => {}
        _ => {
            return Err(refuse(
                "is not a folder name that can be replaced; give a subfolder, e.g. out/",
            ))
        }
    }
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(refuse(
            "is a symbolic link; give the folder it points to, or another --out",
        )),
        Ok(m) if !m.is_dir() => Err(refuse(
            "exists and is a file, not a folder; remove it or choose another --out",
        )),
        Ok(_) => Ok(()),
        Err(_) => {
            // The nearest existing folder above must be a folder.
            let above = dir
                .ancestors()
                .skip(1)
                .filter(|a| !a.as_os_str().is_empty())
                .find(|a| std::fs::metadata(a).is_ok());
            match above {
                Some(a) if !a.is_dir() => Err(refuse(&format!(
                    "cannot be made: {} is a file, not a folder",
                    a.display()
                ))),
                _ => Ok(()),
            }
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A unique suffix for this process: `PID-N`.
fn unique() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether `entry` is `.{name}.ecsim-{what}-PID-N` (a temporary or old
/// folder or file of ours for `name`).
fn is_ours(entry: &str, name: &str, what: &str) -> bool {
    let Some(rest) = entry
        .strip_prefix('.')
        .and_then(|e| e.strip_prefix(name))
        .and_then(|e| e.strip_prefix(".ecsim-"))
        .and_then(|e| e.strip_prefix(what))
        .and_then(|e| e.strip_prefix('-'))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    rest.split_once('-')
        .is_some_and(|(pid, n)| digits(pid) && digits(n))
}

/// Whether `entry` is a temporary file [`write_atomic`] makes, for any file.
pub fn is_temp_file(entry: &str) -> bool {
    entry.starts_with('.')
        && entry
            .rsplit_once(".ecsim-tmp-")
            .is_some_and(|(head, _)| is_ours(entry, &head[1..], "tmp"))
}

/// Writes `bytes` to `path` atomically: a fresh temporary file beside it
/// (unique name, created exclusively, never through a symbolic link), then
/// a rename over `path`. A failure removes the temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| OutputError::Refused {
            path: path.to_path_buf(),
            message: "not a file name".into(),
        })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.ecsim-tmp-{}", unique()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(path)(e)),
        }
    };
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| {
            drop(f);
            std::fs::rename(&tmp, path)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path)(e));
    }
    Ok(())
}

/// Writes a new file `path` inside a [`Staging`] folder: created
/// exclusively (never through a planted link) and synced to disk before the
/// folder is renamed into place.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_new_with(path, |w| w.write_all(bytes))
}

/// Like [`write_new`], streaming: `write` writes the file's bytes through
/// a buffered writer (so a large file is never held in memory whole), then
/// the file is flushed and synced to disk.
pub fn write_new_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, f);
    write(&mut w)
        .and_then(|()| w.into_inner().map_err(|e| e.into_error()))
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

/// The lock of a result folder: `.NAME.ecsim-lock` beside it, held until
/// dropped (then removed).
#[derive(Debug)]
pub struct Lock {
    target: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

fn split(target: &Path) -> Result<(PathBuf, String), OutputError> {
    check_target(target)?;
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| OutputError::Refused {
            path: target.to_path_buf(),
            message: "is not a UTF-8 folder name".into(),
        })?
        .to_string();
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

fn open_lock(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW).mode(0o644);
    }
    o.open(path)
}

/// Whether `file` is still the file at `path` (not removed and replaced
/// by another writer between our open and our lock).
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

impl Lock {
    /// Takes the lock of result folder `target` (creating its parent
    /// folders), or fails if another process holds it; then finishes what
    /// a killed writer left (see the module docs).
    pub fn acquire(target: &Path) -> Result<Lock, OutputError> {
        let (parent, name) = split(target)?;
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let path = parent.join(format!(".{name}.ecsim-lock"));
        for _ in 0..10 {
            let mut file = open_lock(&path).map_err(io(&path))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let by = if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (process {holder})")
                    };
                    return Err(OutputError::Refused {
                        path: target.to_path_buf(),
                        message: format!(
                            "another ecsim is writing this folder{by}; wait for it to finish or choose another --out"
                        ),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
            if !same_file(&file, &path) {
                continue;
            }
            let _ = file
                .set_len(0)
                .and_then(|()| writeln!(file, "{}", std::process::id()));
            let lock = Lock {
                target: target.to_path_buf(),
                path,
                file: Some(file),
            };
            lock.recover(&parent, &name)?;
            return Ok(lock);
        }
        Err(OutputError::Refused {
            path: target.to_path_buf(),
            message: "its lock file keeps changing (other writers?); try again".into(),
        })
    }

    /// The result folder.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Removes temporary folders and files a killed writer of this target
    /// left, and finishes or undoes an interrupted [`Staging::commit`].
    fn recover(&self, parent: &Path, name: &str) -> Result<(), OutputError> {
        let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(parent)
            .map_err(io(parent))?
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .collect();
        entries.sort();
        for (entry, path) in entries {
            if is_ours(&entry, name, "tmp") {
                remove_any(&path)?;
            } else if is_ours(&entry, name, "old") {
                if std::fs::symlink_metadata(&self.target).is_err() {
                    std::fs::rename(&path, &self.target).map_err(io(&path))?;
                } else {
                    finish_swap(&path, &self.target, None)?;
                }
            }
        }
        Ok(())
    }

    /// Starts writing a new result of `kind`: a fresh temporary folder
    /// beside the target.
    pub fn stage(&self, kind: Kind) -> Result<Staging<'_>, OutputError> {
        let (parent, name) = split(&self.target)?;
        loop {
            let tmp = parent.join(format!(".{name}.ecsim-tmp-{}", unique()));
            match std::fs::create_dir(&tmp) {
                Ok(()) => {
                    return Ok(Staging {
                        lock: self,
                        tmp,
                        kind,
                        done: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&tmp)(e)),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still held, so a process that opened it and gets
        // the lock after us sees another file at the path and retries.
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

fn remove_any(path: &Path) -> Result<(), OutputError> {
    let m = std::fs::symlink_metadata(path).map_err(io(path))?;
    if m.is_dir() {
        std::fs::remove_dir_all(path).map_err(io(path))
    } else {
        std::fs::remove_file(path).map_err(io(path))
    }
}

/// Moves the entries of the old folder `old` that its result did not own
/// (by `kind`, or any kind when not known) and the [`CARRIED`] folders into
/// `target`, unless `target` has one of that name, then removes `old`.
fn finish_swap(old: &Path, target: &Path, kind: Option<Kind>) -> Result<(), OutputError> {
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(old)
        .map_err(io(old))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    entries.sort();
    // Recovering with the kind unknown: an entry is the old result's if
    // some kind of result would write it.
    let kinds = match kind {
        Some(k) => vec![k],
        None => vec![Kind::Run, Kind::Compare, Kind::Sweep],
    };
    for (entry, path) in entries {
        let carried = CARRIED.contains(&entry.as_str())
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if !carried && kinds.iter().any(|k| k.owns(&entry, &path)) {
            continue;
        }
        let to = target.join(&entry);
        if std::fs::symlink_metadata(&to).is_err() {
            std::fs::rename(&path, &to).map_err(io(&path))?;
        }
    }
    std::fs::remove_dir_all(old).map_err(io(old))
}

/// A result being written: a temporary folder renamed into place by
/// [`Staging::commit`], removed if dropped before.
#[derive(Debug)]
pub struct Staging<'a> {
    lock: &'a Lock,
    tmp: PathBuf,
    kind: Kind,
    done: bool,
}

impl Staging<'_> {
    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// `e` (from writing into the temporary folder) told about the file of
    /// the result it was for, and that the previous result is unchanged.
    pub fn explain(&self, e: OutputError) -> OutputError {
        let target = &self.lock.target;
        let moved = |p: PathBuf| match p.strip_prefix(&self.tmp) {
            Ok(rest) => target.join(rest),
            Err(_) => p,
        };
        let kept = format!("{} is left as it was", target.display());
        match e {
            OutputError::Io { path, source } => OutputError::Refused {
                path: moved(path),
                message: format!("{source}; {kept}"),
            },
            OutputError::Encode { path, message } | OutputError::Refused { path, message } => {
                OutputError::Refused {
                    path: moved(path),
                    message: format!("{message}; {kept}"),
                }
            }
        }
    }

    /// Puts the new result in place of the target (see the module docs).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let target = self.lock.target.clone();
        let (parent, name) = split(&target)?;
        match std::fs::symlink_metadata(&target) {
            Err(_) => {
                std::fs::rename(&self.tmp, &target).map_err(io(&target))?;
            }
            Ok(m) if m.is_dir() => {
                let old = parent.join(format!(".{name}.ecsim-old-{}", unique()));
                std::fs::rename(&target, &old).map_err(io(&target))?;
                if let Err(e) = std::fs::rename(&self.tmp, &target) {
                    let _ = std::fs::rename(&old, &target);
                    return Err(io(&target)(e));
                }
                self.done = true;
                finish_swap(&old, &target, Some(self.kind))?;
            }
            Ok(_) => {
                return Err(OutputError::Refused {
                    path: target,
                    message: "exists and is not a folder; remove it or choose another --out".into(),
                })
            }
        }
        self.done = true;
        Ok(target)
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        for ok in ["ec2", "fargate-spot", "a.b", "x_1", "black friday"] {
            assert!(plain_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "..", "../x", "a/b", "/abs", "a\\b", ".hidden", "a\nb",
        ] {
            assert!(plain_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn temp_names_are_recognised_exactly() {
        assert!(is_ours(".out.ecsim-tmp-12-0", "out", "tmp"));
        assert!(is_ours(".out.ecsim-old-12-3", "out", "old"));
        assert!(!is_ours(".out.ecsim-tmp-12-0", "ou", "tmp"));
        assert!(!is_ours(".out.ecsim-tmp-1.ecsim-tmp-2-0", "out", "tmp"));
        assert!(!is_ours(".out.ecsim-tmp-12", "out", "tmp"));
        assert!(!is_ours("out.ecsim-tmp-12-0", "out", "tmp"));
        assert!(is_temp_file(".r0001.json.ecsim-tmp-77-5"));
        assert!(!is_temp_file("r0001.json"));
        assert!(!is_temp_file(".r0001.json.ecsim-tmp-77"));
    }

    #[test]
    fn targets_that_are_not_folders_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let e = check_target(&file).unwrap_err().to_string();
        assert!(e.contains("is a file, not a folder"), "{e}");
        assert!(check_target(Path::new("..")).is_err());
        assert!(check_target(Path::new("/")).is_err());
        assert!(check_target(&tmp.path().join("new")).is_ok());
    }

    #[test]
    fn a_commit_replaces_the_result_and_keeps_other_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(dir.join("compare")).unwrap();
        std::fs::write(dir.join("tasks.csv"), "old").unwrap();
        std::fs::write(dir.join("tasks.png"), "old").unwrap();
        std::fs::write(dir.join("report.html"), "old").unwrap();
        std::fs::write(dir.join("notes.md"), "mine").unwrap();
        std::fs::write(dir.join("diagram.png"), "mine").unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        let st = lock.stage(Kind::Run).unwrap();
        std::fs::write(st.path().join("summary.json"), "new").unwrap();
        st.commit().unwrap();
        drop(lock);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["compare", "diagram.png", "notes.md", "summary.json"]
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the folder is left beside it");
    }

    #[test]
    fn a_dropped_staging_leaves_the_old_result() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tasks.csv"), "old").unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        let st = lock.stage(Kind::Run).unwrap();
        std::fs::write(st.path().join("tasks.csv"), "new").unwrap();
        drop(st);
        drop(lock);
        assert_eq!(
            std::fs::read_to_string(dir.join("tasks.csv")).unwrap(),
            "old"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_kill_between_the_renames_is_undone_by_the_next_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        // The old result renamed aside, the new one not yet in place.
        let old = tmp.path().join(".out.ecsim-old-999999-0");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("tasks.csv"), "old").unwrap();
        let half = tmp.path().join(".out.ecsim-tmp-999999-1");
        std::fs::create_dir_all(&half).unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("tasks.csv")).unwrap(),
            "old"
        );
        assert!(!old.exists() && !half.exists());
        drop(lock);
    }

    /// A sweep's staged folder holds its tables only; the swap takes the
    /// run log over with the `runs/` folder it was written into.
    #[test]
    fn a_sweep_swap_carries_the_runs_folder_over() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(dir.join("runs")).unwrap();
        std::fs::write(dir.join("sweep.json"), "old").unwrap();
        std::fs::write(dir.join("runs.csv"), "old").unwrap();
        std::fs::write(dir.join("runs/r0.json"), "run 0").unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        let st = lock.stage(Kind::Sweep).unwrap();
        std::fs::write(st.path().join("sweep.json"), "new").unwrap();
        st.commit().unwrap();
        drop(lock);
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        assert_eq!(read("sweep.json"), "new");
        assert_eq!(read("runs/r0.json"), "run 0");
        assert!(!dir.join("runs.csv").exists(), "the old table goes");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    /// A result with a `runs/` of its own (a merge) replaces the old one.
    #[test]
    fn a_new_runs_folder_replaces_the_old_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(dir.join("runs")).unwrap();
        std::fs::write(dir.join("runs/r0.json"), "old run").unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        let st = lock.stage(Kind::Sweep).unwrap();
        std::fs::create_dir(st.path().join("runs")).unwrap();
        std::fs::write(st.path().join("runs/r1.json"), "new run").unwrap();
        st.commit().unwrap();
        drop(lock);
        let names: Vec<_> = std::fs::read_dir(dir.join("runs"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r1.json"]);
    }

    /// Killed after the new folder was renamed into place but before the
    /// old `runs/` moved over: the next writer moves it, losing no run.
    #[test]
    fn a_kill_before_the_runs_folder_moved_is_finished_by_the_next_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sweep.json"), "new").unwrap();
        let old = tmp.path().join(".out.ecsim-old-999999-0");
        std::fs::create_dir_all(old.join("runs")).unwrap();
        std::fs::write(old.join("sweep.json"), "old").unwrap();
        std::fs::write(old.join("runs/r0.json"), "run 0").unwrap();
        let lock = Lock::acquire(&dir).unwrap();
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        assert_eq!(read("sweep.json"), "new");
        assert_eq!(read("runs/r0.json"), "run 0");
        assert!(!old.exists());
        drop(lock);
    }

    #[test]
    fn a_streamed_file_is_its_writes_and_never_overwrites() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.csv");
        write_new_with(&path, |w| {
            for i in 0..100_000 {
                writeln!(w, "{i}")?;
            }
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 100_000);
        assert!(text.ends_with("99999\n"));
        // A second write to the same name fails and leaves the file.
        let e = write_new_with(&path, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            e.to_string().starts_with(&path.display().to_string()),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A writer's error is reported with the file's path.
        let other = tmp.path().join("u.csv");
        let e = write_new_with(&other, |_| Err(std::io::Error::other("disk full")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.csv") && e.contains("disk full"), "{e}");
    }

    #[test]
    fn a_held_lock_refuses_a_second_writer() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let lock = Lock::acquire(&dir).unwrap();
        let e = Lock::acquire(&dir).unwrap_err().to_string();
        assert!(e.contains("another ecsim is writing this folder"), "{e}");
        drop(lock);
        assert!(Lock::acquire(&dir).is_ok());
    }
}
