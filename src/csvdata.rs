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
        if let Some(table) = CsvTable::parse_plain(text) {
            return Ok(table);
        }
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

    /// The same table as the `csv` reader makes of `text`, for a text
    /// without quotes or carriage returns (every embedded data file), read
    /// by splitting lines at commas, which is several times faster; `None`
    /// for any other text, or when a record's length differs from the
    /// header's (the reader then reports the problem).
    fn parse_plain(text: &str) -> Option<CsvTable> {
        // Blank lines (which the reader skips, numbering lines its own way)
        // are left to the reader too.
        if text.contains(['"', '\r']) || text.contains("\n\n") || text.starts_with('\n') {
            return None;
        }
        let mut lines = text.split('\n').enumerate().filter(|(_, l)| !l.is_empty());
        let (_, head) = lines.next()?;
        let headers = plain_record(head, head.matches(',').count() + 1);
        let mut rows = Vec::with_capacity(text.len() / head.len().max(1));
        for (i, line) in lines {
            let r = plain_record(line, headers.len());
            if r.len() != headers.len() {
                return None;
            }
            rows.push((i + 1, r));
        }
        Some(CsvTable { headers, rows })
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

/// The fields of one line of a CSV text without quotes, trimmed, as the
/// `csv` reader (trimming) gives them for such a line; `fields` is the
/// expected count, to size the record (it is not grown field by field).
pub fn plain_record(line: &str, fields: usize) -> StringRecord {
    let mut r = StringRecord::with_capacity(line.len(), fields);
    for f in line.split(',') {
        r.push_field(f.trim());
    }
    r
}

/// The header of CSV `text` and its rows whose first field is `key`, as
/// CSV text. The rows are found by a binary search over the lines, so
/// `text` must have the column `column` first, unquoted, and its rows
/// sorted by it (as the embedded per-region files have, which their unit
/// tests check); for another header, the whole text (callers filter
/// the rows they read anyway).
pub fn rows_of(text: &str, column: &str, key: &str) -> String {
    let header_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let (header, body) = text.split_at(header_end);
    if header.split([',', '\n']).next() != Some(column) || !header.contains(',') {
        return text.to_string();
    }
    let mut out = String::from(header);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let from = first_line(body, |k| k < key);
    let to = first_line(body, |k| k <= key);
    out.push_str(&body[from..to]);
    out
}

/// The lines of CSV `text` after its header that start with `prefix`
/// (e.g. `"ap-northeast-2,m5.large,"`), found by a binary search: `text`'s
/// rows must be sorted as byte strings (as the embedded per-region files
/// are, which their unit tests check). Empty when no line starts so.
pub fn lines_starting<'t>(text: &'t str, prefix: &str) -> &'t str {
    let body = text.find('\n').map_or("", |i| &text[i + 1..]);
    let from = first_line_where(body, |l| l < prefix);
    let to = first_line_where(body, |l| l < prefix || l.starts_with(prefix));
    &body[from..to.max(from)]
}

/// The start of the first line of `body` (lines sorted by their first
/// field) whose first field does not satisfy `before`; `body.len()` if all do.
fn first_line(body: &str, before: impl Fn(&str) -> bool) -> usize {
    first_line_where(body, |l| before(l.split(',').next().unwrap_or("")))
}

/// The start of the first line of `body` (without its line end) that does
/// not satisfy `before`, which holds for a leading run of the lines only;
/// `body.len()` if all do.
fn first_line_where(body: &str, before: impl Fn(&str) -> bool) -> usize {
    let end_of_line = |start: usize| {
        body[start..]
            .find('\n')
            .map_or(body.len(), |i| start + i + 1)
    };
    let line = |start: usize| body[start..end_of_line(start)].trim_end_matches('\n');
    // `lo` is always a line start; the answer is in `lo..=hi`.
    let (mut lo, mut hi) = (0, body.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = body[..mid].rfind('\n').map_or(0, |i| i + 1).max(lo);
        if before(line(start)) {
            lo = end_of_line(start);
        } else {
            hi = start;
        }
    }
    lo
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

    /// A parsed table: header, then (line, fields) per record.
    type Parsed = (Vec<String>, Vec<(usize, Vec<String>)>);

    /// What the `csv` reader makes of `text`.
    fn by_reader(text: &str) -> Result<Parsed, usize> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let head = reader.headers().map_err(|e| problem(&e).line)?.clone();
        let mut rows = Vec::new();
        for r in reader.records() {
            let r = r.map_err(|e| problem(&e).line)?;
            let line = r.position().map_or(0, |p| p.line() as usize);
            rows.push((line, r.iter().map(String::from).collect()));
        }
        Ok((head.iter().map(String::from).collect(), rows))
    }

    fn as_parsed(t: &CsvTable) -> Parsed {
        (
            t.headers().iter().map(String::from).collect(),
            t.rows()
                .map(|(l, r)| (l, r.iter().map(String::from).collect()))
                .collect(),
        )
    }

    #[test]
    fn plain_texts_read_as_the_csv_reader_reads_them() {
        for text in [
            "a,b\n1,2\n",
            "a, b\n 1 ,2\n3,4",
            "a,b\n1,\n",
            "a\n",
            "a,b\n",
            "region,os\nus-east-1,Linux\neu-west-1,Windows\n",
        ] {
            let plain = CsvTable::parse_plain(text).expect(text);
            assert_eq!(Ok(as_parsed(&plain)), by_reader(text), "{text:?}");
        }
        // Texts the plain reading leaves to the reader, which parses or
        // reports them as before.
        for text in [
            "a,b\n\"1,5\",2\n",
            "a,b\r\n1,2\r\n",
            "a,b\n1,2,3\n",
            "",
            "a, b\n 1 ,2\n\n3,4",
            "\n\na,b\n\n1,\n",
        ] {
            assert!(CsvTable::parse_plain(text).is_none(), "{text:?}");
            let t = CsvTable::parse(text)
                .map(|t| as_parsed(&t))
                .map_err(|p| p.line);
            assert_eq!(t, by_reader(text), "{text:?}");
        }
        // Every embedded data file reads the same either way.
        for text in [
            include_str!("../data/ec2_instance_types_us_east_1.csv"),
            include_str!("../data/ecs_eni_trunking_task_limits.csv"),
            include_str!("../data/fargate_prices.csv"),
            include_str!("../data/fargate_task_sizes.csv"),
        ] {
            let plain = CsvTable::parse_plain(text).expect("plain");
            assert_eq!(Ok(as_parsed(&plain)), by_reader(text));
        }
    }

    #[test]
    fn lines_starting_a_prefix_are_found_by_binary_search() {
        let text = "region,type,usd\na,m5.large,1\na,m5.large2,2\nb,c5.large,3\nb,m5.large,4";
        assert_eq!(lines_starting(text, "a,m5.large,"), "a,m5.large,1\n");
        assert_eq!(
            lines_starting(text, "a,m5.large"),
            "a,m5.large,1\na,m5.large2,2\n"
        );
        assert_eq!(lines_starting(text, "b,"), "b,c5.large,3\nb,m5.large,4");
        assert_eq!(lines_starting(text, "b,m5.large,"), "b,m5.large,4");
        for absent in ["0", "a,c5", "a,m5.large3,", "c,", "b,m5.large,5"] {
            assert_eq!(lines_starting(text, absent), "", "{absent}");
        }
        assert_eq!(lines_starting("region,type,usd\n", "a,"), "");
        assert_eq!(lines_starting("", "a,"), "");
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
