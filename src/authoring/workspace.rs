//! The content directory as staff change it: its files read whole, a draft
//! laid over them and loaded into an engine (in a directory of its own, so
//! the running content is untouched), the draft's diff and tests, and the
//! writing of a published version.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::engine::{Engine, EngineError, Policy};
use crate::index::Weights;
use crate::store::content::Files;

/// A changed file: its new text, or `None` when it is deleted.
pub type Changes = BTreeMap<String, Option<String>>;

/// Failures of the workspace.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("`{0}` is not a content file: name a .yaml file inside the content directory")]
    Path(String),
}

/// How a version of the content fares: its errors (it cannot be published
/// with any), warnings, and the results of `tests/`.
#[derive(Default)]
pub struct Checked {
    /// The engine over it, when it loads.
    pub engine: Option<Engine>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Paraphrases answered first, of all, when `tests/paraphrases.yaml` is there.
    pub paraphrases: Option<(usize, usize)>,
    /// Conversation scripts played, and the failures as text.
    pub conversations: Option<(usize, Vec<String>)>,
}

/// The content directory and what engines over it are built with.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub faq_dir: PathBuf,
    pub dictionaries_dir: PathBuf,
    pub policy: Policy,
    pub weights: Weights,
}

/// Whether `path` can name a content file: relative, inside the directory,
/// a YAML file.
pub fn valid_path(path: &str) -> bool {
    let path = Path::new(path);
    !path.as_os_str().is_empty()
        && path.components().all(|c| matches!(c, Component::Normal(_)))
        && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

impl Workspace {
    /// Every YAML file of the content, by path relative to the directory.
    pub fn files(&self) -> Result<Files, WorkspaceError> {
        let mut files = Files::new();
        collect(&self.faq_dir, &self.faq_dir, &mut files)?;
        Ok(files)
    }

    /// `files` with `changes` applied.
    pub fn apply(files: &Files, changes: &Changes) -> Files {
        let mut out = files.clone();
        for (path, text) in changes {
            match text {
                Some(text) => {
                    out.insert(path.clone(), text.clone());
                }
                None => {
                    out.remove(path);
                }
            }
        }
        out
    }

    /// The changes that turn `from` into `to`.
    pub fn changes(from: &Files, to: &Files) -> Changes {
        let mut changes = Changes::new();
        for (path, text) in to {
            if from.get(path) != Some(text) {
                changes.insert(path.clone(), Some(text.clone()));
            }
        }
        for path in from.keys().filter(|p| !to.contains_key(*p)) {
            changes.insert(path.clone(), None);
        }
        changes
    }

    /// Loads `files` as content, runs its tests, and says how it fares.
    /// Diagnostics name files as `faq/…` paths, wherever they were loaded.
    pub fn check(&self, files: &Files) -> Result<Checked, WorkspaceError> {
        let dir = tempfile::tempdir()
            .map_err(|e| WorkspaceError::Io("a temporary directory".into(), e))?;
        write_all(dir.path(), files)?;
        copy_menu_images(&self.faq_dir, dir.path())?;
        let shown = |diagnostics: &Diagnostics, errors: bool| -> Vec<String> {
            let items: Vec<String> = if errors {
                diagnostics.errors().map(|d| d.to_string()).collect()
            } else {
                diagnostics.warnings().map(|d| d.to_string()).collect()
            };
            let prefix = format!("{}/", dir.path().display());
            items
                .into_iter()
                .map(|d| d.replace(&prefix, "faq/"))
                .collect()
        };
        let mut checked = Checked::default();
        match Engine::load(
            dir.path(),
            &self.dictionaries_dir,
            self.policy,
            self.weights,
        ) {
            Ok((engine, warnings)) => {
                checked.warnings = shown(&warnings, false);
                let paraphrases = dir.path().join("tests/paraphrases.yaml");
                if paraphrases.exists() {
                    checked.paraphrases =
                        match crate::eval::paraphrases::evaluate(&engine, &paraphrases) {
                            Ok((queries, summary, _)) => Some((
                                (summary.success_at_1 * queries.len() as f64).round() as usize,
                                queries.len(),
                            )),
                            Err(err) => {
                                checked
                                    .errors
                                    .push(format!("faq/tests/paraphrases.yaml: {err}"));
                                None
                            }
                        };
                }
                let scripts = dir.path().join("tests/conversations");
                if scripts.is_dir() {
                    match crate::eval::conversations::run(&engine, &scripts) {
                        Ok((played, failures)) => {
                            let failures = failures
                                .iter()
                                .map(|f| {
                                    f.to_string()
                                        .replace(&format!("{}/", dir.path().display()), "faq/")
                                })
                                .collect();
                            checked.conversations = Some((played, failures));
                        }
                        Err(err) => checked
                            .errors
                            .push(format!("faq/tests/conversations: {err}")),
                    }
                }
                checked.engine = Some(engine);
            }
            Err(EngineError::Content(diagnostics)) => {
                checked.errors = shown(&diagnostics, true);
                checked.warnings = shown(&diagnostics, false);
            }
            Err(other) => checked.errors.push(other.to_string()),
        }
        Ok(checked)
    }

    /// Writes `changes` into the content directory: each file through a
    /// temporary file renamed over it, so that a reader never sees half.
    pub fn write(&self, changes: &Changes) -> Result<(), WorkspaceError> {
        for (path, text) in changes {
            if !valid_path(path) {
                return Err(WorkspaceError::Path(path.clone()));
            }
            let target = self.faq_dir.join(path);
            let io = |e| WorkspaceError::Io(target.display().to_string(), e);
            match text {
                Some(text) => {
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent).map_err(io)?;
                    }
                    let temporary = target.with_extension("yaml.publishing");
                    std::fs::write(&temporary, text).map_err(io)?;
                    std::fs::rename(&temporary, &target).map_err(io)?;
                }
                None => match std::fs::remove_file(&target) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                    _ => {}
                },
            }
        }
        Ok(())
    }
}

/// A unified diff of two versions, file by file.
pub fn diff(from: &Files, to: &Files) -> String {
    let mut out = String::new();
    for (path, text) in Workspace::changes(from, to) {
        let old = from.get(&path).map_or("", String::as_str);
        let new = text.as_deref().unwrap_or("");
        let unified = similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(2)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        out.push_str(&unified);
    }
    out
}

fn collect(root: &Path, dir: &Path, files: &mut Files) -> Result<(), WorkspaceError> {
    let io = |e| WorkspaceError::Io(dir.display().to_string(), e);
    let mut listing: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    listing.sort();
    for path in listing {
        if path.is_dir() {
            collect(root, &path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let relative = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| WorkspaceError::Io(path.display().to_string(), e))?;
            files.insert(relative, text);
        }
    }
    Ok(())
}

/// The rich menus' images, which drafts do not carry (staff change text,
/// the operator the images): a draft is checked with those in service.
fn copy_menu_images(faq_dir: &Path, dir: &Path) -> Result<(), WorkspaceError> {
    let images = faq_dir.join("line");
    let Ok(listing) = std::fs::read_dir(&images) else {
        return Ok(());
    };
    let target = dir.join("line");
    for path in listing.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_file() && !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let io = |e| WorkspaceError::Io(path.display().to_string(), e);
            std::fs::create_dir_all(&target).map_err(io)?;
            std::fs::copy(&path, target.join(path.file_name().unwrap_or_default())).map_err(io)?;
        }
    }
    Ok(())
}

fn write_all(dir: &Path, files: &Files) -> Result<(), WorkspaceError> {
    for (path, text) in files {
        let target = dir.join(path);
        let io = |e| WorkspaceError::Io(target.display().to_string(), e);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&target, text).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(dir: &Path) -> Workspace {
        Workspace {
            faq_dir: dir.to_path_buf(),
            dictionaries_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries"),
            policy: Policy::default(),
            weights: Weights::default(),
        }
    }

    #[test]
    fn paths_stay_inside_the_content_directory() {
        assert!(valid_path("certificates.yaml") && valid_path("flows/hikkoshi.yaml"));
        for bad in [
            "../etc/passwd.yaml",
            "/tmp/x.yaml",
            "a/../../b.yaml",
            "notes.txt",
            "",
        ] {
            assert!(!valid_path(bad), "{bad}");
        }
    }

    #[test]
    fn a_draft_is_checked_and_tested_apart_and_written_whole() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let files = workspace(&demo).files().unwrap();
        assert!(
            files.contains_key("certificates.yaml") && files.contains_key("tests/paraphrases.yaml")
        );
        let checked = workspace(&demo).check(&files).unwrap();
        assert!(checked.errors.is_empty(), "{:?}", checked.errors);
        let (first, all) = checked.paraphrases.unwrap();
        assert!(all > 100 && first * 10 > all * 8, "{first} of {all}");
        assert!(checked.conversations.unwrap().1.is_empty());

        let mut broken = files.clone();
        broken.insert("certificates.yaml".into(), "entries: [".into());
        let checked = workspace(&demo).check(&broken).unwrap();
        assert!(checked.engine.is_none());
        assert!(
            checked
                .errors
                .iter()
                .any(|e| e.starts_with("faq/certificates.yaml:")),
            "{:?}",
            checked.errors
        );

        let dir = tempfile::tempdir().unwrap();
        let ours = workspace(dir.path());
        let changes = Workspace::changes(&Files::new(), &files);
        ours.write(&changes).unwrap();
        assert_eq!(ours.files().unwrap(), files);
        let mut fewer = files.clone();
        fewer.remove("certificates.yaml");
        ours.write(&Workspace::changes(&files, &fewer)).unwrap();
        assert_eq!(ours.files().unwrap(), fewer);
        let shown = diff(&files, &fewer);
        assert!(
            shown.starts_with("--- a/certificates.yaml\n+++ b/certificates.yaml\n"),
            "{shown}"
        );
        assert!(
            ours.write(&Changes::from([(
                "../x.yaml".to_string(),
                Some(String::new())
            )]))
            .is_err()
        );
    }
}
