//! A CSV file a scenario points at (traces, price histories, replayed
//! interruptions), read whole with its header, so every reader reports
//! problems the same way: the file, the line and what was expected.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use csv::StringRecord;

/// A CSV file with a header row.
pub(crate) struct CsvFile {
    path: PathBuf,
    headers: StringRecord,
    rows: Vec<StringRecord>,
}

impl CsvFile {
    /// Reads `path`; fields are trimmed.
    pub fn read(path: &Path) -> Result<CsvFile, String> {
        let text = super::limits::read_text(path, super::limits::MAX_DATA_FILE_BYTES)?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            rows.push(rec.map_err(|e| format!("{}: line {}: {e}", path.display(), i + 2))?);
        }
        Ok(CsvFile {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// The index of column `name`, if present.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The index of column `name`, or an error naming the header line.
    pub fn need(&self, name: &str) -> Result<usize, String> {
        self.col(name)
            .ok_or_else(|| self.at(1, format!("missing column `{name}`")))
    }

    /// An error message for `line` (1 = the header).
    pub fn at(&self, line: usize, message: impl Display) -> String {
        format!("{}: line {line}: {message}", self.path.display())
    }

    /// Data rows with their line numbers (the first data row is line 2).
    pub fn rows(&self) -> impl Iterator<Item = (usize, &StringRecord)> {
        self.rows.iter().enumerate().map(|(i, r)| (i + 2, r))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
