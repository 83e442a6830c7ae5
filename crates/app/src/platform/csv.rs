//! The one CSV writer for exports (audit log, analytics): RFC 4180 quoting,
//! and cells a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, tab or carriage return) prefixed with a quote (OWASP's CSV
//! injection advice). Documents start with a UTF-8 byte order mark so that
//! spreadsheet apps read Chinese correctly.

/// A CSV document being written row by row.
#[derive(Debug)]
pub struct Csv(String);

impl Default for Csv {
    fn default() -> Self {
        Csv("\u{feff}".to_string())
    }
}

impl Csv {
    pub fn new() -> Csv {
        Csv::default()
    }

    /// Appends one row of cells written as they are (numbers the writer
    /// formatted itself: a negative number is not a formula).
    pub fn raw_row<I, S>(&mut self, cells: I) -> &mut Csv
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<S> = cells.into_iter().collect();
        self.0.push_str(&cells.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(","));
        self.0.push('\n');
        self
    }

    /// Appends one row of text cells (quoted and guarded).
    pub fn row<I, S>(&mut self, cells: I) -> &mut Csv
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.raw_row(cells.into_iter().map(|c| cell(c.as_ref())))
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// One cell: guarded against formulas, quoted when it holds a comma, quote or line break.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_guards_formulas() {
        let mut c = Csv::new();
        c.row(["a", "b,c", "say \"hi\""]).row(["=1+1", "-2", "@x", "\tt", "line\nbreak"]);
        assert_eq!(c.finish(), "\u{feff}a,\"b,c\",\"say \"\"hi\"\"\"\n'=1+1,'-2,'@x,'\tt,\"line\nbreak\"\n");
    }
}
