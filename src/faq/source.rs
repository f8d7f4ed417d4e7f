//! Where things are written in the content's files, for diagnostics with
//! file:line, and what could not be read at all.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::model::{Department, Entry, Procedure};
use crate::diagnostic::line_column;

/// The text of one file, for finding where things are written in it.
pub(super) struct SourceText<'a> {
    path: &'a Path,
    text: &'a str,
}

impl<'a> SourceText<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Self {
        SourceText { path, text }
    }

    pub(super) fn path(&self) -> &Path {
        self.path
    }

    /// The line of `id: <id>`, or 0 if it cannot be found.
    pub(super) fn entry_line(&self, id: &str) -> usize {
        self.text
            .lines()
            .position(|line| {
                let line = line.trim_start().trim_start_matches('-').trim();
                line.strip_prefix("id:")
                    .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\''))
                    == Some(id)
            })
            .map_or(0, |i| i + 1)
    }

    /// Every `id:` value written in the text, as a file that does not parse
    /// still shows its ids.
    pub(super) fn ids(&self) -> impl Iterator<Item = String> + '_ {
        self.text.lines().filter_map(|line| {
            let line = line.trim_start().trim_start_matches('-').trim();
            let id = line.strip_prefix("id:")?.trim();
            let id = id.trim_matches(|c| c == '"' || c == '\'');
            (!id.is_empty()).then(|| id.to_string())
        })
    }

    /// The line and column of the first `needle` at or after `line`; falls
    /// back to `line` itself.
    pub(super) fn find_after(&self, line: usize, needle: &str) -> (usize, usize) {
        let start: usize = self
            .text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        match self.text[start..].find(needle) {
            Some(offset) => line_column(self.text, start + offset),
            None => (line, 0),
        }
    }
}

/// What files that failed to load would have defined: references into them
/// are not reported as unknown, so one mistake reads as one error.
#[derive(Debug, Default)]
pub(super) struct Unread {
    /// Ids written in topic files that do not parse.
    pub entry_ids: HashSet<String>,
    /// procedures.yaml did not load.
    pub procedures: bool,
    /// departments.yaml did not load.
    pub departments: bool,
}

/// What the content may refer to.
pub(super) struct Known<'a> {
    pub entries: &'a [Entry],
    pub procedures: &'a BTreeMap<String, Procedure>,
    pub departments: &'a BTreeMap<String, Department>,
    pub unread: &'a Unread,
}

impl Known<'_> {
    /// Whether `id` names an entry, or may be one in a file that failed.
    pub fn entry(&self, id: &str) -> bool {
        self.unread.entry_ids.contains(id) || self.entries.iter().any(|e| e.id == id)
    }

    /// Whether `id` names a procedure, or procedures.yaml failed.
    pub fn procedure(&self, id: &str) -> bool {
        self.unread.procedures || self.procedures.contains_key(id)
    }

    /// Whether `id` names a department, or departments.yaml failed.
    pub fn department(&self, id: &str) -> bool {
        self.unread.departments || self.departments.contains_key(id)
    }
}
