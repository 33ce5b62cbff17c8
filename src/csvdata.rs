//! CSV tables read by column name — the embedded data files (EC2 catalogue,
//! Spot Advisor, Fargate sizes and prices) and their overrides: the header
//! row, then each record with its line number. Callers turn a
//! [`CsvProblem`] into their own error. Also [`CsvText`], with which every
//! CSV file the program writes is written. Knows nothing of ECS.

use csv::StringRecord;

/// A problem at a line of a CSV text (1 = the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    /// Line number (1-based; 0 when unknown).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A parsed CSV text: its header and its records, fields trimmed.
#[derive(Debug, Clone)]
pub struct CsvTable {
    headers: StringRecord,
    rows: Vec<(usize, StringRecord)>,
}

fn problem(e: &csv::Error) -> CsvProblem {
    CsvProblem {
        line: e
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(0),
        message: e.to_string(),
    }
}

impl CsvTable {
    /// Parses `text` (a header row, then records).
    pub fn parse(text: &str) -> Result<CsvTable, CsvProblem> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| problem(&e))?.clone();
        let mut rows = Vec::new();
        for result in reader.records() {
            let record = result.map_err(|e| problem(&e))?;
            let line = record
                .position()
                .and_then(|p| usize::try_from(p.line()).ok())
                .unwrap_or(0);
            rows.push((line, record));
        }
        Ok(CsvTable { headers, rows })
    }

    /// The header row.
    pub fn headers(&self) -> &StringRecord {
        &self.headers
    }

    /// The index of column `name`, or a problem on the header line.
    pub fn column(&self, name: &str) -> Result<usize, CsvProblem> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CsvProblem {
                line: 1,
                message: format!("missing column `{name}` in header"),
            })
    }

    /// Records with their line numbers, in file order.
    pub fn rows(&self) -> impl Iterator<Item = (usize, &StringRecord)> {
        self.rows.iter().map(|(l, r)| (*l, r))
    }
}

/// A CSV text built in memory with the `csv` crate, as every output file is
/// written: `\n` line ends, a field quoted only when it holds a comma, a
/// double quote (doubled inside), a CR or an LF.
pub struct CsvText {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvText {
    fn default() -> Self {
        CsvText::new()
    }
}

/// A CSV writer to `w` set up as every output file is written (see
/// [`CsvText`]); it buffers, so `w` can be a bare file.
pub fn csv_writer<W: std::io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_writer(w)
}

impl CsvText {
    /// An empty text.
    pub fn new() -> CsvText {
        CsvText {
            writer: csv_writer(Vec::new()),
        }
    }

    /// Appends a record.
    pub fn row<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        // Writing to memory cannot fail, and a flexible writer accepts any
        // number of fields, so the csv crate has no error to report.
        let written = self.writer.write_record(fields);
        debug_assert!(written.is_ok(), "{written:?}");
    }

    /// The text.
    pub fn finish(self) -> String {
        let bytes = match self.writer.into_inner() {
            Ok(b) => b,
            Err(e) => e.into_inner().into_inner().unwrap_or_default(),
        };
        // Every field was a `&str` or UTF-8 bytes from one.
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_by_name_and_line_numbers() {
        let t = CsvTable::parse("a, b\n1, 2\n3,4\n").expect("parses");
        assert_eq!(t.column("b"), Ok(1));
        assert_eq!(t.column("c").map_err(|p| p.line), Err(1));
        let lines: Vec<usize> = t.rows().map(|(l, _)| l).collect();
        assert_eq!(lines, vec![2, 3]);
        let bad = CsvTable::parse("a,b\n1,2,3\n").map_err(|p| p.line);
        assert_eq!(bad.err(), Some(2));
    }

    #[test]
    fn written_text_quotes_only_what_needs_it_and_reads_back() {
        let mut w = CsvText::new();
        w.row(["plain", "a,b", "say \"hi\"", "cr\rhere", "lf\nhere", ""]);
        w.row(["1.50", "x"]);
        let text = w.finish();
        assert_eq!(
            text,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"cr\rhere\",\"lf\nhere\",\n1.50,x\n"
        );
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let first = r.records().next().expect("a record").expect("valid");
        assert_eq!(&first[3], "cr\rhere");
        assert_eq!(&first[2], "say \"hi\"");
    }
}
