//! Problems found in files that staff edit (FAQ sets, dictionaries), each
//! pointing at a file, line and column and saying what to do about it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How serious a [`Diagnostic`] is: errors stop content from loading,
/// warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one place of a content file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    pub message: String,
    /// What to do to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `file:line:column`.
    pub fn error(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: None,
        }
    }

    /// A warning at `file:line:column`.
    pub fn warning(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, line, column, message)
        }
    }

    /// Adds advice on how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// The diagnostics of one load: content loads only when none is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// Turns a YAML parse or shape error into a diagnostic at its line and
/// column, with a suggestion when a key is misspelt.
pub fn yaml_error(file: &Path, err: &serde_yaml::Error) -> Diagnostic {
    let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
    let message = err.to_string();
    // serde_yaml appends " at line L column C"; the position is shown already.
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    let help = misspelt_key_help(&message).unwrap_or_else(|| {
        "check the indentation and that every `key: value` pair is on its own line".to_string()
    });
    Diagnostic::error(file, line, column, message).with_help(help)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" messages, names
/// the closest known key.
fn misspelt_key_help(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let unknown = rest.split('`').next()?;
    let expected: Vec<&str> = rest
        .split("expected ")
        .nth(1)?
        .split('`')
        .skip(1)
        .step_by(2)
        .collect();
    let closest = expected
        .iter()
        .min_by_key(|known| edit_distance(unknown, known))?;
    if edit_distance(unknown, closest) <= 2.max(unknown.len() / 3) {
        Some(format!("did you mean `{closest}`?"))
    } else {
        Some(format!(
            "the keys allowed here are: {}",
            expected.join(", ")
        ))
    }
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous_diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous_diagonal + usize::from(ca != *cb);
            previous_diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The 1-based line and column of a byte offset in `text`.
pub fn line_column(text: &str, byte_offset: usize) -> (usize, usize) {
    let before = &text[..byte_offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_column_and_help() {
        let d = Diagnostic::error(Path::new("faq/a.yaml"), 3, 5, "unknown key `anser`")
            .with_help("did you mean `answer`?");
        assert_eq!(
            d.to_string(),
            "faq/a.yaml:3:5: error: unknown key `anser`\n  help: did you mean `answer`?"
        );
    }

    #[test]
    fn misspelt_keys_get_a_suggestion() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Entry {
            id: String,
            answer: String,
        }
        let err = serde_yaml::from_str::<Entry>("id: a\nanwser: b\n").unwrap_err();
        let d = yaml_error(Path::new("x.yaml"), &err);
        assert_eq!((d.line, d.column), (2, 1));
        assert!(d.message.contains("anwser"), "{}", d.message);
        assert_eq!(d.help.as_deref(), Some("did you mean `answer`?"));
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("anwser", "answer"), 2);
        assert_eq!(edit_distance("住民票", "住民"), 1);
    }

    #[test]
    fn line_column_counts_characters_not_bytes() {
        let text = "a: 1\nあいう: x";
        assert_eq!(line_column(text, text.find('x').unwrap()), (2, 6));
    }
}
