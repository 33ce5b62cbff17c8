//! Sweep errors: a sweep file problem names the file, the field and what
//! was expected; an output-folder problem names the folder or file and says
//! what to do about it.

use std::path::PathBuf;

use crate::output::OutputError;
use crate::scenario::error::render;
use crate::scenario::Issue;

/// Why a sweep could not be loaded, run or merged.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A file or folder could not be read or listed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The sweep file, or some of the scenarios it expands to, are invalid.
    /// Every problem found is listed; nothing has been run.
    #[error("{}", render(.0))]
    Invalid(Vec<Issue>),
    /// A `--shard` value is not `K/N` with `1 <= K <= N`.
    #[error("--shard {given}: {message}")]
    Shard {
        /// The value as given.
        given: String,
        /// What is wrong.
        message: String,
    },
    /// An output folder holds runs of another sweep, or a run record is
    /// unreadable, or shards do not add up to one sweep.
    #[error("{path}: {message}")]
    Folder {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Writing results failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The sweep's name cannot name its default output folder.
    #[error("{}: name: {message}; it names the default output folder: rename it or give --out", file.display())]
    Name {
        /// The sweep file.
        file: PathBuf,
        /// What is wrong with the name.
        message: String,
    },
}

impl SweepError {
    /// Whether the input (the sweep file, its scenarios, `--shard`, the
    /// name) is at fault, rather than the file system or a folder's
    /// contents: nothing has been run or written.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            SweepError::Invalid(_) | SweepError::Shard { .. } | SweepError::Name { .. }
        )
    }

    /// The individual problems, one line each.
    pub fn issues(&self) -> Vec<String> {
        match self {
            SweepError::Invalid(v) => v.iter().map(|i| i.to_string()).collect(),
            other => vec![other.to_string()],
        }
    }

    pub(crate) fn folder(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        SweepError::Folder {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| SweepError::Io { path, source }
    }
}
