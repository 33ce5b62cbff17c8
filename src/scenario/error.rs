//! Scenario errors: every problem names the file, the field path and what
//! was expected.

use std::fmt;
use std::path::PathBuf;

/// One problem in a scenario (or a file it refers to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Field path, e.g. `services[0].placementStrategy[1].field` (empty for
    /// whole-file problems such as syntax errors).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: {}: {}",
                self.file.display(),
                self.path,
                self.message
            )
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// A file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `--set` override is malformed or points nowhere.
    #[error("--set {assignment}: {message}")]
    Override {
        /// The assignment as given.
        assignment: String,
        /// What is wrong.
        message: String,
    },
    /// The scenario has one or more problems.
    #[error("{}", render(.0))]
    Invalid(Vec<Issue>),
}

/// Problems one per line, with a count when there are several.
pub fn render(issues: &[Issue]) -> String {
    let mut s = String::new();
    for (i, issue) in issues.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&issue.to_string());
    }
    if issues.len() > 1 {
        s.push_str(&format!("\n({} problems)", issues.len()));
    }
    s
}

impl ScenarioError {
    /// The individual problems (one for I/O and override errors).
    pub fn issues(&self) -> Vec<String> {
        match self {
            ScenarioError::Invalid(v) => v.iter().map(|i| i.to_string()).collect(),
            other => vec![other.to_string()],
        }
    }
}
