//! A result table read by column name: the header row, then every record
//! with its line number, so a bad cell is reported as "file, line, column,
//! value". Columns are looked up by header name, never by position, and
//! columns nobody asks for are ignored, so the engine can add columns
//! without breaking the plots.
//!
//! Two shapes: [`Table`] keeps every cell as text (small files: a sweep's
//! aggregate, a comparison, the cost ledger); [`Columns`] reads, as the
//! file streams by, only the columns a chart draws, as numbers (a run's
//! time series: a month sampled each minute is 43,200 rows).
//!
//! Depends on nothing of the crate but the plot error type.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::values::{Builder, Values};
use super::PlotError;

/// A CSV file held as text cells.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    /// Header names, in file order.
    pub headers: Vec<String>,
    /// Records: 1-based line number in the file, and the cells.
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// Reads `path`: a header row and records of the same length.
    pub fn read(path: &Path) -> Result<Table, PlotError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Table::parse(path, &text)
    }

    /// Parses `text` as the contents of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Table, PlotError> {
        let csv_err = |e: csv::Error| csv_error(path, e);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers = header_row(path, &mut reader)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record.iter().map(str::to_string).collect()));
        }
        Ok(Table {
            path: path.to_path_buf(),
            headers,
            rows,
        })
    }

    /// Reads `path` as [`Table::read`] does, with the same errors, but
    /// hands each record to `f` (with the header and the record's line)
    /// instead of keeping its cells as strings; returns the header.
    pub fn scan(
        path: &Path,
        mut f: impl FnMut(&[String], u64, &csv::StringRecord),
    ) -> Result<Vec<String>, PlotError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let headers = header_row(path, &mut reader)?;
        let mut record = csv::StringRecord::new();
        while reader
            .read_record(&mut record)
            .map_err(|e| csv_error(path, e))?
        {
            let line = record.position().map_or(0, |p| p.line());
            f(&headers, line, &record);
        }
        Ok(headers)
    }

    /// Position of column `name`, if the table has it.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Position of column `name`, or an error listing the columns there are.
    pub fn column(&self, name: &str) -> Result<usize, PlotError> {
        self.find(name).ok_or_else(|| PlotError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            available: self.headers.join(", "),
        })
    }

    /// The cells of column `i`, in row order.
    pub fn strings(&self, i: usize) -> Vec<&str> {
        self.rows
            .iter()
            .map(|(_, cells)| cells.get(i).map_or("", String::as_str))
            .collect()
    }

    /// The cells of column `i` as numbers; an empty cell is `None`, any
    /// other cell that is not a number is an error naming the line.
    pub fn optional_numbers(&self, i: usize) -> Result<Vec<Option<f64>>, PlotError> {
        self.rows
            .iter()
            .map(|(line, cells)| {
                let cell = cells.get(i).map_or("", |s| s.trim());
                if cell.is_empty() {
                    return Ok(None);
                }
                cell.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .map(Some)
                    .ok_or_else(|| self.bad_number(*line, i, cell))
            })
            .collect()
    }

    /// The cells of column `i` as numbers; every cell must be a number.
    pub fn numbers(&self, i: usize) -> Result<Vec<f64>, PlotError> {
        let values = self.optional_numbers(i)?;
        values
            .into_iter()
            .zip(&self.rows)
            .map(|(v, (line, _))| v.ok_or_else(|| self.bad_number(*line, i, "")))
            .collect()
    }

    /// The cells of the column named `name` as numbers.
    pub fn numbers_of(&self, name: &str) -> Result<Vec<f64>, PlotError> {
        self.numbers(self.column(name)?)
    }

    fn bad_number(&self, line: u64, i: usize, cell: &str) -> PlotError {
        PlotError::Csv {
            path: self.path.clone(),
            line,
            message: format!(
                "column `{}`: `{cell}` is not a number",
                self.headers.get(i).map_or("?", String::as_str)
            ),
        }
    }
}

/// Turns a csv error on `path` into a plot error naming the line.
fn csv_error(path: &Path, e: csv::Error) -> PlotError {
    PlotError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields where the header has {expected_len}"),
            _ => e.to_string(),
        },
    }
}

/// Some numeric columns of a CSV file, read by header name: the header
/// row whole, and for the columns asked for, every cell as a number (an
/// empty cell or text is an error naming the file, line and column), held
/// as [`Values`] (runs of equal values where that is smaller). Columns not
/// asked for are skipped unparsed, so the file is read once, in a small
/// buffer, whatever its size.
///
/// Lines without quotes are split on commas and their numbers parsed
/// straight from the bytes (plain decimals exactly as `str::parse` reads
/// them, anything else by `str::parse`); from the first line with a quote
/// or a lone carriage return on, the CSV reader parses the rest.
#[derive(Debug, Clone)]
pub struct Columns {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    /// Header names, in file order.
    pub headers: Vec<String>,
    /// Per header, its values when it was asked for.
    values: Vec<Option<Values>>,
    /// Number of records.
    rows: usize,
}

impl Columns {
    /// Reads from `path` the columns whose header `want` accepts.
    pub fn read(path: &Path, want: impl Fn(&str) -> bool) -> Result<Columns, PlotError> {
        let file = std::fs::File::open(path).map_err(|source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Columns::from_reader(path, file, want)
    }

    /// Parses `text` as the contents of `path`.
    pub fn parse(
        path: &Path,
        text: &str,
        want: impl Fn(&str) -> bool,
    ) -> Result<Columns, PlotError> {
        Columns::from_reader(path, text.as_bytes(), want)
    }

    fn from_reader(
        path: &Path,
        input: impl Read,
        want: impl Fn(&str) -> bool,
    ) -> Result<Columns, PlotError> {
        let io = |source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut input = BufReader::with_capacity(1 << 16, input);
        let mut line: Vec<u8> = Vec::new();
        input.read_until(b'\n', &mut line).map_err(io)?;
        if line.contains(&b'"') {
            // A quoted header (it may span lines): the CSV reader reads all.
            let all = std::io::Cursor::new(std::mem::take(&mut line)).chain(input);
            return Columns::from_csv(path, all, want);
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(line.as_slice());
        let headers = header_row(path, &mut reader)?;
        let mut read = Reading::new(path, headers, want);
        let width = read.headers.len();
        // The previous plain line and the bounds of its fields: a cell with
        // the same bytes as the one above it has the same value, so it is
        // not parsed again (most columns are counts that stay put for
        // minutes on end).
        let mut prev: Vec<u8> = Vec::new();
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(width);
        let mut prev_bounds: Vec<(usize, usize)> = Vec::with_capacity(width);
        let mut line_no = 1;
        loop {
            std::mem::swap(&mut line, &mut prev);
            line.clear();
            if input.read_until(b'\n', &mut line).map_err(io)? == 0 {
                break;
            }
            line_no += 1;
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.contains(&b'"') || text.contains(&b'\r') {
                // The rest through the CSV reader, from this line on.
                let rest = std::io::Cursor::new(std::mem::take(&mut line)).chain(input);
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(rest);
                read.csv_records(&mut reader, line_no - 1)?;
                break;
            }
            if text.is_empty() {
                // Keep the last plain line as the one above.
                std::mem::swap(&mut line, &mut prev);
                continue;
            }
            bounds.clear();
            let mut start = 0;
            for (k, &b) in text.iter().enumerate() {
                if b == b',' {
                    bounds.push((start, k));
                    start = k + 1;
                }
            }
            bounds.push((start, text.len()));
            read.split_record(line_no, text, &bounds, &prev, &prev_bounds)?;
            std::mem::swap(&mut bounds, &mut prev_bounds);
        }
        Ok(read.finish())
    }

    /// Reads `input` whole with the CSV reader.
    fn from_csv(
        path: &Path,
        input: impl Read,
        want: impl Fn(&str) -> bool,
    ) -> Result<Columns, PlotError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(input);
        let headers = header_row(path, &mut reader)?;
        let mut read = Reading::new(path, headers, want);
        read.csv_records(&mut reader, 0)?;
        Ok(read.finish())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the file has no record.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Position of column `name`, if the file has it (read or not).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The values of the column named `name`: an error listing the columns
    /// there are when the file has no such column.
    pub fn numbers_of(&self, name: &str) -> Result<&Values, PlotError> {
        let i = self.find(name).ok_or_else(|| PlotError::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            available: self.headers.join(", "),
        })?;
        self.values[i].as_ref().ok_or_else(|| {
            PlotError::Invalid(format!(
                "{}: column `{name}` was not read (the plot asked for it too late)",
                self.path.display()
            ))
        })
    }
}

/// The columns being read.
struct Reading<'a> {
    path: &'a Path,
    headers: Vec<String>,
    /// The columns asked for: position and values so far.
    wanted: Vec<(usize, Builder)>,
    rows: usize,
}

impl<'a> Reading<'a> {
    fn new(path: &'a Path, headers: Vec<String>, want: impl Fn(&str) -> bool) -> Reading<'a> {
        let wanted = (0..headers.len())
            .filter(|&i| want(&headers[i]))
            .map(|i| (i, Builder::new()))
            .collect();
        Reading {
            path,
            headers,
            wanted,
            rows: 0,
        }
    }

    /// The error of a record on line `line` with `n` fields where the
    /// header has another number.
    fn unequal(&self, line: u64, n: usize) -> PlotError {
        PlotError::Csv {
            path: self.path.to_path_buf(),
            line,
            message: format!("{n} fields where the header has {}", self.headers.len()),
        }
    }

    /// Takes the record on line `line` of the file.
    fn record(&mut self, line: u64, fields: &[&[u8]]) -> Result<(), PlotError> {
        if fields.len() != self.headers.len() {
            return Err(self.unequal(line, fields.len()));
        }
        for (i, values) in &mut self.wanted {
            values.push(cell_number(self.path, &self.headers, line, *i, fields[*i])?);
        }
        self.rows += 1;
        Ok(())
    }

    /// Takes the record on line `line` of the file, whose fields are
    /// `text[a..b]` for each `(a, b)` of `bounds`; a cell with the same
    /// bytes as the same field of the record read before it (`prev`, split
    /// by `prev_bounds`; empty for none) repeats that record's value.
    fn split_record(
        &mut self,
        line: u64,
        text: &[u8],
        bounds: &[(usize, usize)],
        prev: &[u8],
        prev_bounds: &[(usize, usize)],
    ) -> Result<(), PlotError> {
        if bounds.len() != self.headers.len() {
            return Err(self.unequal(line, bounds.len()));
        }
        let above = prev_bounds.len() == bounds.len();
        for (i, values) in &mut self.wanted {
            let (a, b) = bounds[*i];
            let cell = &text[a..b];
            if above {
                let (c, d) = prev_bounds[*i];
                if same_bytes(cell, &prev[c..d]) {
                    values.repeat();
                    continue;
                }
            }
            values.push(cell_number(self.path, &self.headers, line, *i, cell)?);
        }
        self.rows += 1;
        Ok(())
    }

    /// Takes every record of `reader`, whose line 1 is line `offset + 1` of
    /// the file.
    fn csv_records<R: Read>(
        &mut self,
        reader: &mut csv::Reader<R>,
        offset: u64,
    ) -> Result<(), PlotError> {
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let mut e = csv_error(self.path, e);
                    if let PlotError::Csv { line, .. } = &mut e {
                        *line += offset;
                    }
                    return Err(e);
                }
            }
            let line = offset + record.position().map_or(0, |p| p.line());
            let fields: Vec<&[u8]> = record.iter().collect();
            self.record(line, &fields)?;
        }
    }

    fn finish(self) -> Columns {
        let mut values: Vec<Option<Values>> = vec![None; self.headers.len()];
        for (i, b) in self.wanted {
            values[i] = Some(b.finish());
        }
        Columns {
            path: self.path.to_path_buf(),
            headers: self.headers,
            values,
            rows: self.rows,
        }
    }
}

/// Whether two short cells have the same bytes (a loop: most cells are a
/// few digits, shorter than a call to `memcmp` is worth).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The number in `cell`, field `i` of line `line`: an error naming the
/// file, line and column when it is not one.
fn cell_number(
    path: &Path,
    headers: &[String],
    line: u64,
    i: usize,
    cell: &[u8],
) -> Result<f64, PlotError> {
    if let Some(x) = fast_number(cell) {
        return Ok(x);
    }
    std::str::from_utf8(cell)
        .unwrap_or("")
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| PlotError::Csv {
            path: path.to_path_buf(),
            line,
            message: format!(
                "column `{}`: `{}` is not a number",
                headers[i],
                String::from_utf8_lossy(cell).trim()
            ),
        })
}

/// Powers of ten that `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `cell` as a number when it is a plain decimal (`-`, digits, at most one
/// `.`) whose digits make an integer up to 2^53 with at most 22 of them
/// after the point: the integer and the power of ten are then exact in
/// `f64`, so one division rounds the decimal correctly, as `str::parse`
/// does. `None` for anything else (the caller parses it the slow way).
pub fn fast_number(cell: &[u8]) -> Option<f64> {
    let (negative, digits) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, cell),
    };
    let mut m: u64 = 0;
    let mut count = 0;
    let mut after_point: Option<usize> = None;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                if count == 19 {
                    return None;
                }
                m = m * 10 + u64::from(b - b'0');
                count += 1;
                if let Some(k) = &mut after_point {
                    *k += 1;
                }
            }
            b'.' if after_point.is_none() => after_point = Some(0),
            _ => return None,
        }
    }
    let k = after_point.unwrap_or(0);
    if count == 0 || m > 1 << 53 || k >= POW10.len() {
        return None;
    }
    let x = m as f64 / POW10[k];
    Some(if negative { -x } else { x })
}

/// The header row of the CSV file `path`; a file without one (or with an
/// empty one) is an error naming its first line.
fn header_row<R: Read>(path: &Path, reader: &mut csv::Reader<R>) -> Result<Vec<String>, PlotError> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(PlotError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: "no header row".into(),
        });
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Table, PlotError> {
        Table::parse(Path::new("t.csv"), text)
    }

    #[test]
    fn columns_by_name_whatever_their_order_and_extras() {
        let t = parse("b,extra,a\n1,x,2\n3,y,4\n").unwrap();
        assert_eq!(t.numbers_of("a").unwrap(), vec![2.0, 4.0]);
        assert_eq!(t.numbers_of("b").unwrap(), vec![1.0, 3.0]);
        assert_eq!(t.strings(t.column("extra").unwrap()), vec!["x", "y"]);
    }

    #[test]
    fn quoted_cells_keep_their_commas() {
        let t = parse("p,v\n\"[{type=\"\"random\"\"}, x]\",1\n").unwrap();
        assert_eq!(t.strings(0), vec![r#"[{type="random"}, x]"#]);
    }

    #[test]
    fn empty_cells_are_none_only_where_allowed() {
        let t = parse("a,b\n1,\n2,3\n").unwrap();
        assert_eq!(t.optional_numbers(1).unwrap(), vec![None, Some(3.0)]);
        let e = t.numbers(1).unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 2: column `b`: `` is not a number");
    }

    #[test]
    fn a_bad_number_names_file_line_and_column() {
        // Line 1 is the header, so the third record is on line 4.
        let t = parse("time_s,x\n0,1\n60,2\n120,oops\n").unwrap();
        let e = t.numbers_of("x").unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 4: column `x`: `oops` is not a number");
    }

    #[test]
    fn a_short_row_names_its_line() {
        let e = parse("a,b\n1,2\n3\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 3: 1 fields where the header has 2");
    }

    #[test]
    fn a_missing_column_lists_the_others() {
        let t = parse("a,b\n1,2\n").unwrap();
        let e = t.column("c").unwrap_err().to_string();
        assert_eq!(e, "t.csv: no column `c` (columns: a, b)");
    }

    #[test]
    fn an_empty_file_has_no_header() {
        assert!(parse("").is_err());
        assert!(Columns::parse(Path::new("t.csv"), "", |_| true).is_err());
    }

    fn columns(text: &str, want: &[&str]) -> Result<Columns, PlotError> {
        Columns::parse(Path::new("t.csv"), text, |h| want.contains(&h))
    }

    #[test]
    fn only_the_columns_asked_for_are_read_as_numbers() {
        // `label` is text and `b` has a hole: neither is asked for, so
        // neither is an error.
        let c = columns("b,label,a\n1,x,2\n,y,4\n", &["a"]).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.numbers_of("a").unwrap().to_vec(), [2.0, 4.0]);
        assert!(c.find("b").is_some());
        let e = c.numbers_of("b").unwrap_err().to_string();
        assert!(e.contains("`b` was not read"), "{e}");
        let e = c.numbers_of("c").unwrap_err().to_string();
        assert_eq!(e, "t.csv: no column `c` (columns: b, label, a)");
    }

    #[test]
    fn plain_decimals_read_exactly_as_str_parse_reads_them() {
        // Every cell the fast path takes gives the bits `str::parse` gives;
        // the others are left to it.
        let mut cells: Vec<String> = [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "450",
            "70.00",
            "43.59",
            "0.1",
            "0.3",
            ".5",
            "5.",
            "123456789.123456",
            "9007199254740992",
            "9007199254740993",
            "1e3",
            "+1",
            "-",
            ".",
            "",
            " 1",
            "1..2",
            "--1",
            "0.0000000000000000000001",
            "nan",
            "inf",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        // Pseudo-random decimals of up to 19 digits, up to 22 after the point.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 19 + 1) as usize;
            let text = format!("{:019}", x % 10_000_000_000_000_000_000);
            let text = &text[19 - digits..];
            let point = (x >> 40) as usize % (digits + 1);
            let sign = if x & 1 == 1 { "-" } else { "" };
            cells.push(format!("{sign}{}.{}", &text[..point], &text[point..]));
            cells.push(format!("{sign}{text}"));
        }
        let mut fast = 0;
        for c in &cells {
            let want = c.trim().parse::<f64>().ok();
            if let Some(got) = fast_number(c.as_bytes()) {
                fast += 1;
                assert_eq!(Some(got.to_bits()), want.map(f64::to_bits), "`{c}`");
            }
        }
        assert!(fast > 20_000, "the fast path took only {fast} cells");
        assert_eq!(fast_number(b"9007199254740993"), None);
        assert_eq!(fast_number(b"1e3"), None);
    }

    #[test]
    fn from_a_quote_or_a_lone_carriage_return_on_the_csv_reader_reads() {
        // Windows line ends read as plain lines; a quoted cell, then a
        // carriage return inside a line, hand the rest to the CSV reader,
        // and errors still name the line.
        let c = columns("a,b\r\n1,2\r\n\r\n3,4\r\n", &["a", "b"]).unwrap();
        assert_eq!(c.numbers_of("b").unwrap().to_vec(), [2.0, 4.0]);
        let text = "a,b\n1,2\n\"3\",\"x,y\"\n5,6\n7,oops\n";
        let c = columns(text, &["a"]).unwrap();
        assert_eq!(c.numbers_of("a").unwrap().to_vec(), [1.0, 3.0, 5.0, 7.0]);
        let e = columns(text, &["b"]).unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 3: column `b`: `x,y` is not a number");
        let e = columns(&text.replace("5,6", "5,6,7"), &["a"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 4: 3 fields where the header has 2");
        let e = columns(&text.replace("x,y", "8"), &["b"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 5: column `b`: `oops` is not a number");
        let e = columns(text, &["a", "b"]).unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 3: column `b`: `x,y` is not a number");
        let c = columns("a,b\n1,2\n\"3\",4\n5,6\n", &["a", "b"]).unwrap();
        assert_eq!(c.numbers_of("a").unwrap().to_vec(), [1.0, 3.0, 5.0]);
        assert_eq!(c.len(), 3);
        let e = columns("a,b\n1,2\n3,4\r5,6\n7\n", &["a"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 4: 1 fields where the header has 2");
        // A quoted header: the CSV reader reads the whole file.
        let c = columns("\"a\",b\n1,2\n", &["a"]).unwrap();
        assert_eq!(c.numbers_of("a").unwrap().to_vec(), [1.0]);
    }

    #[test]
    fn a_cell_like_the_one_above_reads_as_the_same_number() {
        // Cells repeated from the line above (across an empty line), the
        // same number written otherwise (`2.0`, `-0`), and a bad cell
        // repeated: reported where it first appears.
        let text = "a,b,c\n1,2,-0\n1,2.0,-0\n\n1,2.0,0\n3,2,0\n";
        let c = columns(text, &["a", "b", "c"]).unwrap();
        assert_eq!(c.numbers_of("a").unwrap().to_vec(), [1.0, 1.0, 1.0, 3.0]);
        assert_eq!(c.numbers_of("b").unwrap().to_vec(), [2.0; 4]);
        let bits: Vec<u64> = c
            .numbers_of("c")
            .unwrap()
            .iter()
            .map(f64::to_bits)
            .collect();
        let zero = 0f64.to_bits();
        assert_eq!(bits, [(-0f64).to_bits(), (-0f64).to_bits(), zero, zero]);
        let e = columns("a,b\n1,x\n1,x\n", &["b"]).unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 2: column `b`: `x` is not a number");
        // A long column of repeats reads as the values written.
        let mut long = String::from("t,n\n");
        let want: Vec<f64> = (0..5000).map(|i| f64::from(i / 3 % 5)).collect();
        for (i, n) in want.iter().enumerate() {
            long.push_str(&format!("{i},{n}\n"));
        }
        let c = columns(&long, &["t", "n"]).unwrap();
        assert_eq!(c.numbers_of("n").unwrap().to_vec(), want);
        assert_eq!(c.len(), 5000);
    }

    #[test]
    fn a_bad_or_missing_number_in_a_column_read_names_the_line() {
        let e = columns("time_s,x\n0,1\n60,2\n120,oops\n", &["x"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 4: column `x`: `oops` is not a number");
        let e = columns("a,b\n1,\n2,3\n", &["a", "b"])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.csv, line 2: column `b`: `` is not a number");
        let e = columns("a,b\n1,2\n3\n", &["a"]).unwrap_err().to_string();
        assert_eq!(e, "t.csv, line 3: 1 fields where the header has 2");
    }
}
