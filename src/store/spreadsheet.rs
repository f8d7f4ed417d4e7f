//! CSV for staff who open it in Excel: UTF-8 with a BOM, and no cell that
//! Excel would run as a formula.

use std::borrow::Cow;
use std::io::Write;

use super::StoreError;

/// Marks the file as UTF-8 for Excel.
pub const BOM: &str = "\u{feff}";

/// Characters that make Excel read a cell as a formula (or, tab and
/// carriage return, that some versions strip before reading one).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as text Excel shows as it is: a leading `'` before a cell that
/// would otherwise start a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes rows of neutralised cells after a BOM.
pub struct SpreadsheetWriter<'a> {
    writer: csv::Writer<&'a mut dyn Write>,
}

fn export_error(err: impl std::fmt::Display) -> StoreError {
    StoreError::Export(err.to_string())
}

impl<'a> SpreadsheetWriter<'a> {
    /// Writes the BOM and the header row.
    pub fn new(out: &'a mut dyn Write, header: &[&str]) -> Result<Self, StoreError> {
        out.write_all(BOM.as_bytes()).map_err(export_error)?;
        let mut writer = SpreadsheetWriter {
            writer: csv::Writer::from_writer(out),
        };
        writer.row(header.iter().copied())?;
        Ok(writer)
    }

    /// Writes one row.
    pub fn row<S: AsRef<str>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
    ) -> Result<(), StoreError> {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| neutralise(cell.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells).map_err(export_error)
    }

    /// Flushes what is written.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.writer.flush().map_err(export_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_kept() {
        for cell in ["=1+1", "+81", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["住民票", "1+1", "a=b", "", "'quoted"] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
