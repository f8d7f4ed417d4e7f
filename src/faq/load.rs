//! Reading and checking the whole `faq/` directory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::flow::{Flow, load_flows};
use super::model::{
    Date, Department, DepartmentFile, Entry, Procedure, ProcedureFile, RulesFile, SourceLocation,
    TopicFile,
};
use super::rich_menu::{MenuTargets, RichMenus, load_rich_menus};
use super::shelter::{SHELTERS_FILE, Shelter, load_shelters};
use super::source::{Known, SourceText, Unread};
use crate::diagnostic::{Diagnostic, Diagnostics, edit_distance, yaml_error};
use crate::text::normalize;

pub const PROCEDURES_FILE: &str = "procedures.yaml";
pub const DEPARTMENTS_FILE: &str = "departments.yaml";
pub const RULES_FILE: &str = "rules.yaml";
/// The city profile `madoguchi import` fills template placeholders from.
pub const CITY_FILE: &str = "city.yaml";
/// Subdirectories of `faq/` that hold no topic files.
const NOT_TOPICS: [&str; 3] = ["tests", "flows", "line"];

/// All FAQ content, checked and with every reference resolved.
#[derive(Debug, Clone)]
pub struct Content {
    /// Entries in file order, each with its category and department filled in.
    pub entries: Vec<Entry>,
    pub procedures: BTreeMap<String, Procedure>,
    pub departments: BTreeMap<String, Department>,
    pub rules: RulesFile,
    /// Guided conversations from `flows/`.
    pub flows: Vec<Flow>,
    /// Categories in the order their files are read.
    pub categories: Vec<String>,
    /// LINE's rich menus, when `line/rich-menus.yaml` describes them.
    pub rich_menus: Option<RichMenus>,
    /// Evacuation shelters with coordinates, from `shelters.yaml`.
    pub shelters: Vec<Shelter>,
    /// A short hash of every file read (its path within the directory and
    /// its text): tells content versions apart, the same wherever the
    /// directory is.
    pub version: String,
}

impl Content {
    /// Loads and checks the FAQ directory. On success the warnings come with
    /// the content; on failure every problem found is returned.
    pub fn load(dir: &Path) -> Result<(Content, Diagnostics), Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let mut hasher = Sha256::new();
        let mut read = |path: &Path, diagnostics: &mut Diagnostics| -> Option<String> {
            match fs::read_to_string(path) {
                Ok(text) => {
                    // Relative: the same content has the same version in
                    // every directory (on every replica).
                    let name = path.strip_prefix(dir).unwrap_or(path);
                    hasher.update(name.to_string_lossy().as_bytes());
                    hasher.update(text.as_bytes());
                    Some(text)
                }
                Err(err) => {
                    diagnostics.push(Diagnostic::error(path, 0, 0, format!("cannot read: {err}")));
                    None
                }
            }
        };

        if !dir.is_dir() {
            diagnostics.push(
                Diagnostic::error(dir, 0, 0, "the FAQ directory does not exist")
                    .with_help("pass the directory holding the Q&A YAML files, e.g. `faq/`"),
            );
            return Err(diagnostics);
        }

        let mut unread = Unread::default();
        let procedures_path = dir.join(PROCEDURES_FILE);
        let procedure_file: Option<ProcedureFile> =
            parse_required(&procedures_path, &mut read, &mut diagnostics);
        unread.procedures = procedure_file.is_none();
        let procedure_file = procedure_file.unwrap_or_default();
        let departments_path = dir.join(DEPARTMENTS_FILE);
        let department_file: Option<DepartmentFile> =
            parse_required(&departments_path, &mut read, &mut diagnostics);
        unread.departments = department_file.is_none();
        let department_file = department_file.unwrap_or_default();
        let rules_path = dir.join(RULES_FILE);
        let rules: Option<RulesFile> = parse_required(&rules_path, &mut read, &mut diagnostics);

        let procedures = index_by_id(
            &procedures_path,
            procedure_file.procedures,
            |p| &p.id,
            &mut diagnostics,
        );
        let departments = index_by_id(
            &departments_path,
            department_file.departments,
            |d| &d.id,
            &mut diagnostics,
        );
        check_procedure_urls(&procedures_path, &procedures, &mut diagnostics);

        let mut entries = Vec::new();
        let mut categories = Vec::new();
        for path in topic_files(dir, &mut diagnostics) {
            let Some(text) = read(&path, &mut diagnostics) else {
                continue;
            };
            let topic: TopicFile = match serde_yaml::from_str::<Option<TopicFile>>(&text) {
                Ok(Some(topic)) => topic,
                Ok(None) => continue,
                Err(err) => {
                    diagnostics.push(yaml_error(&path, &err));
                    unread.entry_ids.extend(SourceText::new(&path, &text).ids());
                    continue;
                }
            };
            let source = SourceText::new(&path, &text);
            warn_placeholders(&path, &text, &mut diagnostics);
            if !categories.contains(&topic.category) {
                categories.push(topic.category.clone());
            }
            for mut entry in topic.entries {
                entry.source = SourceLocation {
                    file: path.clone(),
                    line: source.entry_line(&entry.id),
                };
                entry.category.get_or_insert_with(|| topic.category.clone());
                if entry.department.is_none() {
                    entry.department = topic.department.clone();
                }
                entry.disaster |= topic.disaster;
                let known = Known {
                    entries: &[],
                    procedures: &procedures,
                    departments: &departments,
                    unread: &unread,
                };
                check_entry(&entry, &source, &known, &mut diagnostics);
                warn_hard_easy_answer(&entry, &source, &mut diagnostics);
                entries.push(entry);
            }
        }
        check_duplicate_ids(&entries, &mut diagnostics);
        let known = Known {
            entries: &entries,
            procedures: &procedures,
            departments: &departments,
            unread: &unread,
        };
        check_related(&known, &mut diagnostics);
        let flows = load_flows(dir, &mut read, &known, &mut diagnostics);
        let targets = MenuTargets {
            known: &known,
            categories: &categories,
            flows: &flows,
        };
        let rich_menus = load_rich_menus(dir, &mut read, &targets, &mut diagnostics);
        let shelters = load_shelters(dir, &mut read, &mut diagnostics);
        if let Some(rules) = &rules {
            check_rules(&rules_path, rules, &known, &mut diagnostics);
        }
        warn_near_duplicate_questions(&entries, &mut diagnostics);
        check_opening_hours(&departments_path, &departments, &mut diagnostics);
        warn_holidays_ending(&rules_path, Date::today_in_japan(), &mut diagnostics);
        if let Some(rules) = &rules {
            warn_overdue_reviews(
                &entries,
                rules.review_months,
                Date::today_in_japan(),
                &mut diagnostics,
            );
        }

        match rules {
            Some(rules) if !diagnostics.has_errors() => {
                let version = hasher.finalize()[..6]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                Ok((
                    Content {
                        entries,
                        procedures,
                        departments,
                        rules,
                        flows,
                        categories,
                        rich_menus,
                        shelters,
                        version,
                    },
                    diagnostics,
                ))
            }
            _ => Err(diagnostics),
        }
    }

    /// The flow with this id.
    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.id == id)
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The days the whole city is closed, from rules.yaml.
    pub fn calendar(&self) -> crate::hours::Calendar {
        crate::hours::Calendar {
            year_end: self.rules.year_end_closure,
            closed: self
                .rules
                .closed_days
                .iter()
                .filter_map(|d| {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                })
                .collect(),
        }
    }

    /// Entries due for review on `today`, the longest overdue first.
    pub fn overdue_reviews(&self, today: Date) -> Vec<(&Entry, Date)> {
        let mut overdue: Vec<(&Entry, Date)> = self
            .entries
            .iter()
            .filter_map(|e| Some((e, e.review_due(self.rules.review_months)?)))
            .filter(|(_, due)| *due < today)
            .collect();
        overdue.sort_by_key(|(_, due)| *due);
        overdue
    }

    /// The department answering for an entry.
    pub fn department_of(&self, entry: &Entry) -> Option<&Department> {
        entry
            .department
            .as_ref()
            .and_then(|id| self.departments.get(id))
    }
}

/// Sentences of an やさしい日本語 answer longer than this are hard to read.
const EASY_SENTENCE_CHARS: usize = 30;
/// Share of kanji above which an やさしい日本語 answer is hard to read.
const EASY_KANJI_SHARE: f64 = 0.3;
/// Double negatives and honorific forms that やさしい日本語 avoids.
const EASY_AVOIDED: [(&str, &str); 9] = [
    ("ないわけではない", "二重否定"),
    ("なくはない", "二重否定"),
    ("ないことはない", "二重否定"),
    (
        "なければならない",
        "二重否定（「〜してください」と書きます）",
    ),
    ("いたします", "敬語（「します」と書きます）"),
    ("させていただ", "敬語（「します」と書きます）"),
    ("ございます", "敬語（「あります」と書きます）"),
    ("申し上げ", "敬語"),
    ("お越しください", "敬語（「来てください」と書きます）"),
];

/// Warnings for an `easy:` answer that breaks the usual guidelines of
/// やさしい日本語: long sentences, many kanji, double negatives, honorifics.
fn warn_hard_easy_answer(entry: &Entry, source: &SourceText, diagnostics: &mut Diagnostics) {
    let Some(easy) = &entry.easy else {
        return;
    };
    let (line, _) = source.find_after(entry.source.line, "easy:");
    let mut warn = |message: String, help: &str| {
        diagnostics.push(Diagnostic::warning(source.path(), line, 0, message).with_help(help));
    };
    for sentence in easy.split(['。', '！', '？', '\n']).map(str::trim) {
        let length = sentence.chars().count();
        if length > EASY_SENTENCE_CHARS {
            warn(
                format!("the やさしい日本語 sentence 「{sentence}」 has {length} characters"),
                "keep each sentence to about 30 characters: one thing per sentence",
            );
        }
    }
    let letters: Vec<char> = easy.chars().filter(|c| c.is_alphanumeric()).collect();
    let kanji = letters
        .iter()
        .filter(|c| crate::text::normalize::is_kanji(**c))
        .count();
    if !letters.is_empty() && kanji as f64 / letters.len() as f64 > EASY_KANJI_SHARE {
        warn(
            format!(
                "{}% of the やさしい日本語 answer of `{}` is kanji",
                kanji * 100 / letters.len(),
                entry.id
            ),
            "write more words in hiragana (a third at most in kanji); ふりがな is added for residents",
        );
    }
    for (form, what) in EASY_AVOIDED {
        if easy.contains(form) {
            warn(
                format!(
                    "the やさしい日本語 answer of `{}` uses 「{form}」: {what}",
                    entry.id
                ),
                "use plain forms: 〜します, 〜してください",
            );
        }
    }
}

/// A warning for each placeholder of an imported template left in a topic
/// file (○○市, （電話番号）…), at its line: residents would read it.
fn warn_placeholders(path: &Path, text: &str, diagnostics: &mut Diagnostics) {
    for (offset, placeholder) in super::import::placeholders(text) {
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..offset].trim_start().starts_with('#') {
            continue;
        }
        let (line, column) = crate::diagnostic::line_column(text, offset);
        diagnostics.push(
            Diagnostic::warning(
                path,
                line,
                column,
                format!("「{placeholder}」 is a placeholder of the FAQ template"),
            )
            .with_help("write the city's own text here, or fill it from city.yaml with `madoguchi import` (see faq/README.md)"),
        );
    }
}

/// Every topic file below `dir`, sorted, leaving out the catalogues and the
/// directories that hold other kinds of file.
fn topic_files(dir: &Path, diagnostics: &mut Diagnostics) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let listing = match fs::read_dir(&current) {
            Ok(listing) => listing,
            Err(err) => {
                diagnostics.push(Diagnostic::error(
                    &current,
                    0,
                    0,
                    format!("cannot list: {err}"),
                ));
                continue;
            }
        };
        for item in listing.flatten() {
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                let excluded = name.starts_with('.')
                    || (current == dir && NOT_TOPICS.contains(&name.as_str()));
                if !excluded {
                    pending.push(path);
                }
            } else if (name.ends_with(".yaml") || name.ends_with(".yml"))
                && !(current == dir
                    && [
                        PROCEDURES_FILE,
                        DEPARTMENTS_FILE,
                        RULES_FILE,
                        SHELTERS_FILE,
                        CITY_FILE,
                    ]
                    .contains(&name.as_str()))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn parse_required<T: DeserializeOwned>(
    path: &Path,
    read: &mut impl FnMut(&Path, &mut Diagnostics) -> Option<String>,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    if !path.exists() {
        diagnostics.push(
            Diagnostic::error(path, 0, 0, "this file is missing")
                .with_help("every FAQ directory needs procedures.yaml, departments.yaml and rules.yaml; see faq/README.md"),
        );
        return None;
    }
    let text = read(path, diagnostics)?;
    serde_yaml::from_str(&text)
        .map_err(|err| diagnostics.push(yaml_error(path, &err)))
        .ok()
}

fn index_by_id<T>(
    path: &Path,
    items: Vec<T>,
    id: impl Fn(&T) -> &String,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, T> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, &text);
    let mut by_id = BTreeMap::new();
    for item in items {
        let key = id(&item).clone();
        if let Some(problem) = id_problem(&key) {
            diagnostics.push(
                Diagnostic::error(path, source.entry_line(&key), 0, problem.0).with_help(problem.1),
            );
        }
        if by_id.contains_key(&key) {
            diagnostics.push(
                Diagnostic::error(
                    path,
                    source.entry_line(&key),
                    0,
                    format!("the id `{key}` is used twice"),
                )
                .with_help("give each item its own id"),
            );
        }
        by_id.insert(key, item);
    }
    by_id
}

/// Ids appear in links and logs: ASCII letters, digits, `-` and `_` only.
/// What is wrong with an id, and what to do, if anything.
pub fn id_problem(id: &str) -> Option<(String, &'static str)> {
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    (!valid).then(|| {
        (
            format!("the id `{id}` may only use a-z, 0-9, `-` and `_`"),
            "write ids in lower-case ASCII, e.g. `juminhyo-conveni`",
        )
    })
}

fn check_procedure_urls(
    path: &Path,
    procedures: &BTreeMap<String, Procedure>,
    diagnostics: &mut Diagnostics,
) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, &text);
    for procedure in procedures.values() {
        let line = source.entry_line(&procedure.id);
        match &procedure.url {
            Some(url) => {
                let parsed = url::Url::parse(url);
                if !parsed
                    .as_ref()
                    .is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http")
                {
                    let (line, column) = source.find_after(line, url);
                    diagnostics.push(
                        Diagnostic::error(
                            path,
                            line,
                            column,
                            format!("`{url}` is not a web address"),
                        )
                        .with_help("write the full address, starting with https://"),
                    );
                }
            }
            None if procedure.kind.is_online() => diagnostics.push(
                Diagnostic::error(
                    path,
                    line,
                    0,
                    format!("the online procedure `{}` has no url", procedure.id),
                )
                .with_help("add `url: https://…` with the address where residents apply"),
            ),
            None => {}
        }
    }
}

fn check_entry(entry: &Entry, source: &SourceText, known: &Known, diagnostics: &mut Diagnostics) {
    let path = source.path();
    let line = entry.source.line;
    if let Some((message, help)) = id_problem(&entry.id) {
        diagnostics.push(Diagnostic::error(path, line, 0, message).with_help(help));
    }
    if entry.question.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                0,
                format!("entry `{}` has an empty question", entry.id),
            )
            .with_help("write the question as a resident would ask it"),
        );
    }
    if entry.answer.trim().is_empty() {
        let (line, column) = source.find_after(line, "answer:");
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!("entry `{}` has an empty answer", entry.id),
            )
            .with_help("write the answer under `answer: |`, indented"),
        );
    }
    for procedure in &entry.procedures {
        if !known.procedure(procedure) {
            let (line, column) = source.find_after(line, procedure);
            diagnostics.push(
                Diagnostic::error(
                    path,
                    line,
                    column,
                    format!("unknown procedure id `{procedure}`"),
                )
                .with_help(unknown_id_help(
                    procedure,
                    known.procedures.keys(),
                    PROCEDURES_FILE,
                )),
            );
        }
    }
    match &entry.department {
        Some(department) if !known.department(department) => {
            let (line, column) = source.find_after(line, department);
            diagnostics.push(
                Diagnostic::error(
                    path,
                    line,
                    column,
                    format!("unknown department id `{department}`"),
                )
                .with_help(unknown_id_help(
                    department,
                    known.departments.keys(),
                    DEPARTMENTS_FILE,
                )),
            );
        }
        Some(_) => {}
        None => diagnostics.push(
            Diagnostic::error(
                path,
                line,
                0,
                format!("entry `{}` has no department", entry.id),
            )
            .with_help("add `department: <id>` to the entry, or once at the top of the file"),
        ),
    }
    if let (Some(from), Some(until)) = (entry.valid_from, entry.valid_until)
        && from > until
    {
        let (line, column) = source.find_after(line, "valid_until");
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!("valid_until {until} is before valid_from {from}"),
            )
            .with_help("swap the dates or correct the year"),
        );
    }
}

fn unknown_id_help<'a>(id: &str, known: impl Iterator<Item = &'a String>, file: &str) -> String {
    let closest = known.min_by_key(|k| edit_distance(id, k));
    match closest {
        Some(closest) if edit_distance(id, closest) <= 3 => {
            format!("did you mean `{closest}`? (ids are listed in {file})")
        }
        _ => format!("add it to {file}, or correct the spelling"),
    }
}

/// Related entries must exist.
fn check_related(known: &Known, diagnostics: &mut Diagnostics) {
    let entries = known.entries;
    let ids: HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    for entry in entries {
        for related in entry
            .related
            .iter()
            .filter(|r| !ids.contains(r.as_str()) && !known.unread.entry_ids.contains(r.as_str()))
        {
            let text = fs::read_to_string(&entry.source.file).unwrap_or_default();
            let source = SourceText::new(&entry.source.file, &text);
            let (line, column) = source.find_after(entry.source.line, related);
            diagnostics.push(
                Diagnostic::error(
                    &entry.source.file,
                    line,
                    column,
                    format!("unknown entry id `{related}` in `related`"),
                )
                .with_help(unknown_id_help(
                    related,
                    entries.iter().map(|e| &e.id),
                    "the topic files",
                )),
            );
        }
    }
}

fn check_duplicate_ids(entries: &[Entry], diagnostics: &mut Diagnostics) {
    let mut first_seen: HashMap<&str, &Entry> = HashMap::new();
    for entry in entries {
        if let Some(first) = first_seen.get(entry.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    &entry.source.file,
                    entry.source.line,
                    0,
                    format!("the id `{}` is used twice", entry.id),
                )
                .with_help(format!(
                    "it is first used at {}:{}; give this entry a new id",
                    first.source.file.display(),
                    first.source.line
                )),
            );
        } else {
            first_seen.insert(&entry.id, entry);
        }
    }
}

fn check_rules(path: &Path, rules: &RulesFile, known: &Known, diagnostics: &mut Diagnostics) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, &text);
    if !known.department(&rules.fallback.department) {
        let (line, column) = source.find_after(1, &rules.fallback.department);
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!("unknown department id `{}`", rules.fallback.department),
            )
            .with_help(unknown_id_help(
                &rules.fallback.department,
                known.departments.keys(),
                DEPARTMENTS_FILE,
            )),
        );
    }
    if !known.procedure(&rules.fallback.inquiry_form) {
        let (line, column) = source.find_after(1, &rules.fallback.inquiry_form);
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!("unknown procedure id `{}`", rules.fallback.inquiry_form),
            )
            .with_help(unknown_id_help(
                &rules.fallback.inquiry_form,
                known.procedures.keys(),
                PROCEDURES_FILE,
            )),
        );
    }
    if let Some(entry) = rules.location_answer.as_ref().filter(|id| !known.entry(id)) {
        let (line, column) = source.find_after(1, entry);
        diagnostics.push(
            Diagnostic::error(
                path,
                line,
                column,
                format!("unknown entry id `{entry}` in `location_answer`"),
            )
            .with_help(unknown_id_help(
                entry,
                known.entries.iter().map(|e| &e.id),
                "the topic files",
            )),
        );
    }
    let mut seen = HashSet::new();
    for rule in &rules.rules {
        let line = source.entry_line(&rule.id);
        if !seen.insert(&rule.id) {
            diagnostics.push(Diagnostic::error(
                path,
                line,
                0,
                format!("the rule id `{}` is used twice", rule.id),
            ));
        }
        if rule.says.is_empty() && rule.contains.is_empty() {
            diagnostics.push(
                Diagnostic::error(path, line, 0, format!("rule `{}` never fires", rule.id))
                    .with_help("add `says:` (whole messages) or `contains:` (phrases) to the rule"),
            );
        }
    }
}

/// An entry's index, one of its questions, and that question's bigrams.
type QuestionBigrams = (usize, String, HashSet<(char, char)>);

/// Warns when two entries ask nearly the same question: residents would get
/// choices between them instead of an answer.
/// Each department's opening hours must read as hours.
fn check_opening_hours(
    path: &Path,
    departments: &BTreeMap<String, Department>,
    diagnostics: &mut Diagnostics,
) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let source = SourceText::new(path, &text);
    for department in departments.values() {
        if let Some(Err(problem)) = department.opening.as_ref().map(|o| o.weekly()) {
            let (line, column) = source.find_after(source.entry_line(&department.id), "opening");
            diagnostics.push(
                Diagnostic::error(
                    path,
                    line,
                    column,
                    format!("department `{}`: {problem}", department.id),
                )
                .with_help(
                    "write e.g. `opening: { weekdays: \"08:30-17:15\", wed: \"08:30-19:00\" }`",
                ),
            );
        }
    }
}

/// The national holidays are a table shipped with the program: say so
/// before it runs out.
fn warn_holidays_ending(rules_path: &Path, today: Date, diagnostics: &mut Diagnostics) {
    let Some(until) = crate::hours::holidays_known_until() else {
        return;
    };
    let ends = Date {
        year: until.year().into(),
        month: until.month() as u32,
        day: until.day() as u32,
    };
    if ends.days_since_epoch() - today.days_since_epoch() < 90 {
        diagnostics.push(
            Diagnostic::warning(rules_path, 0, 0, format!("the national holidays are known only until {ends}"))
                .with_help("update madoguchi: src/hours/holidays.tsv takes the Cabinet Office's next table (published each February)"),
        );
    }
}

/// Entries whose review is due: the department should check the answer.
fn warn_overdue_reviews(
    entries: &[Entry],
    months: u32,
    today: Date,
    diagnostics: &mut Diagnostics,
) {
    for entry in entries {
        if let Some(due) = entry.review_due(months).filter(|due| *due < today) {
            let reviewed = entry.reviewed.map(|d| d.to_string()).unwrap_or_default();
            diagnostics.push(
                Diagnostic::warning(
                    &entry.source.file,
                    entry.source.line,
                    0,
                    format!(
                        "entry `{}` was last reviewed on {reviewed}; its review was due on {due}",
                        entry.id
                    ),
                )
                .with_help(
                    "check the answer with its department, then set `reviewed:` to the day you did",
                ),
            );
        }
    }
}

/// Whether two questions differ in a content word: a changed run with a
/// kanji or katakana in it (「離婚したとき」 and 「転居したとき」), rather
/// than in kana endings and punctuation only (「取れますか」, 「取れる？」).
fn differ_in_content(a: &str, b: &str) -> bool {
    let content = |text: &str| {
        text.chars().any(|c| {
            matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{30A1}'..='\u{30FA}')
                || c.is_ascii_alphanumeric()
        })
    };
    let (a, b) = (normalize(a), normalize(b));
    similar::TextDiff::from_chars(a.as_str(), b.as_str())
        .ops()
        .iter()
        .any(|op| {
            let (old, new) = (op.old_range(), op.new_range());
            let changed_old: String = a.chars().skip(old.start).take(old.len()).collect();
            let changed_new: String = b.chars().skip(new.start).take(new.len()).collect();
            !matches!(op.tag(), similar::DiffTag::Equal)
                && (content(&changed_old) || content(&changed_new))
        })
}

fn warn_near_duplicate_questions(entries: &[Entry], diagnostics: &mut Diagnostics) {
    let questions: Vec<QuestionBigrams> = entries
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            std::iter::once(&e.question)
                .chain(&e.phrasings)
                .map(move |q| (i, q))
        })
        .map(|(i, q)| {
            let text: String = normalize(q)
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            let chars: Vec<char> = text.chars().collect();
            let pairs = chars.windows(2).map(|w| (w[0], w[1])).collect();
            (i, q.clone(), pairs)
        })
        .collect();
    let mut reported = HashSet::new();
    for (a, (ia, qa, pa)) in questions.iter().enumerate() {
        for (ib, qb, pb) in &questions[a + 1..] {
            if ia == ib || pa.is_empty() || reported.contains(&(*ia, *ib)) {
                continue;
            }
            let shared = pa.intersection(pb).count() as f64;
            let jaccard = shared / (pa.len() + pb.len()) as f64 * 2.0;
            if jaccard >= 0.9 && !differ_in_content(qa, qb) {
                reported.insert((*ia, *ib));
                let (first, second) = (&entries[*ia], &entries[*ib]);
                diagnostics.push(
                    Diagnostic::warning(
                        &second.source.file,
                        second.source.line,
                        0,
                        format!(
                            "「{qb}」 ({}) is nearly the same question as 「{qa}」 ({})",
                            second.id, first.id
                        ),
                    )
                    .with_help(format!(
                        "merge the two entries or make the questions distinct ({}:{})",
                        first.source.file.display(),
                        first.source.line
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_differing_in_a_content_word_are_not_near_duplicates() {
        assert!(differ_in_content(
            "離婚したときの手当の手続き",
            "転居したときの手当の手続き"
        ));
        assert!(differ_in_content(
            "住民票の写しを取りたい",
            "住民票の写しを郵送で取りたい"
        ));
        assert!(!differ_in_content(
            "住民票はどこで取れますか",
            "住民票はどこで取れるか"
        ));
        assert!(!differ_in_content("ごみの出し方は？", "ごみの出し方"));
    }
}
