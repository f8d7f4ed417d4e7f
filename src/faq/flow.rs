//! Guided conversations (`faq/flows/*.yaml`): a flow asks one or two short
//! questions with buttons and leads the resident to the right answer,
//! procedure or counter. Loading checks that every step is reachable, every
//! reference exists, no loop is without an exit and every label fits a LINE
//! button.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::source::{Known, SourceText};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Longest choice label: LINE buttons show at most 20 characters.
pub const MAX_LABEL_CHARS: usize = 20;
/// Choices per step.
pub const CHOICES_PER_STEP: std::ops::RangeInclusive<usize> = 2..=6;

/// One flow, one file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Stable identifier.
    pub id: String,
    /// What the flow is about, as shown in logs and menus.
    pub title: String,
    /// Messages that start the flow: it starts when a message says nothing
    /// that one of these does not (「引っ越しの手続きは？」 for 引っ越しの手続き).
    pub triggers: Vec<String>,
    /// The first step (default: the first in the list).
    #[serde(default)]
    pub start: Option<String>,
    /// About disasters: preferred among flows a message starts while
    /// disaster mode is on.
    #[serde(default)]
    pub disaster: bool,
    pub steps: Vec<Step>,
    #[serde(skip)]
    pub file: PathBuf,
}

/// One question of a flow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    /// The question shown with the buttons.
    pub prompt: String,
    pub choices: Vec<FlowChoice>,
}

/// A button of a step and where it leads: exactly one of `step`, `answer`,
/// `procedure` or `contact`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowChoice {
    pub label: String,
    /// Another step of the same flow.
    #[serde(default)]
    pub step: Option<String>,
    /// An entry's answer, by id.
    #[serde(default)]
    pub answer: Option<String>,
    /// A procedure from `procedures.yaml`, by id.
    #[serde(default)]
    pub procedure: Option<String>,
    /// A department from `departments.yaml`, by id.
    #[serde(default)]
    pub contact: Option<String>,
}

/// Where a choice leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    Step(&'a str),
    Answer(&'a str),
    Procedure(&'a str),
    Contact(&'a str),
}

impl FlowChoice {
    /// The choice's target; `None` unless exactly one is given.
    pub fn target(&self) -> Option<Target<'_>> {
        let targets: Vec<Target> = [
            self.step.as_deref().map(Target::Step),
            self.answer.as_deref().map(Target::Answer),
            self.procedure.as_deref().map(Target::Procedure),
            self.contact.as_deref().map(Target::Contact),
        ]
        .into_iter()
        .flatten()
        .collect();
        match targets.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }
}

impl Flow {
    /// The step the flow starts with.
    pub fn start_step(&self) -> Option<&Step> {
        match &self.start {
            Some(id) => self.step(id),
            None => self.steps.first(),
        }
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Reads `flows/*.yaml` under the FAQ directory and checks each flow.
pub(super) fn load_flows(
    dir: &Path,
    read: &mut impl FnMut(&Path, &mut Diagnostics) -> Option<String>,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Vec<Flow> {
    let flows_dir = dir.join("flows");
    let Ok(listing) = std::fs::read_dir(&flows_dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = listing
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    let mut flows: Vec<Flow> = Vec::new();
    for path in paths {
        let Some(text) = read(&path, diagnostics) else {
            continue;
        };
        let mut flow: Flow = match serde_yaml::from_str(&text) {
            Ok(flow) => flow,
            Err(err) => {
                diagnostics.push(crate::diagnostic::yaml_error(&path, &err));
                continue;
            }
        };
        flow.file = path.clone();
        let source = SourceText::new(&path, &text);
        if flows.iter().any(|f| f.id == flow.id) {
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    source.entry_line(&flow.id),
                    0,
                    format!("the flow id `{}` is used twice", flow.id),
                )
                .with_help("give each flow its own id"),
            );
        }
        check_flow(&flow, &source, known, diagnostics);
        flows.push(flow);
    }
    flows
}

fn check_flow(flow: &Flow, source: &SourceText, known: &Known, diagnostics: &mut Diagnostics) {
    let path = source.path();
    let error = |line: usize, column: usize, message: String, help: &str| {
        Diagnostic::error(path, line, column, message).with_help(help)
    };
    if flow.triggers.iter().all(|t| t.trim().is_empty()) {
        diagnostics.push(error(
            source.entry_line(&flow.id),
            0,
            format!("flow `{}` has no triggers", flow.id),
            "add `triggers:` with the messages that start it, e.g. [引っ越しの手続き]",
        ));
    }
    if flow.steps.is_empty() {
        diagnostics.push(error(
            1,
            0,
            format!("flow `{}` has no steps", flow.id),
            "add `steps:`",
        ));
        return;
    }
    let mut lines: HashMap<&str, usize> = HashMap::new();
    for step in &flow.steps {
        let line = source.entry_line(&step.id);
        if lines.insert(&step.id, line).is_some() {
            diagnostics.push(error(
                line,
                0,
                format!("the step id `{}` is used twice", step.id),
                "give each step its own id",
            ));
        }
    }
    let step_ids: Vec<&String> = flow.steps.iter().map(|s| &s.id).collect();
    let start = flow.start.as_deref().unwrap_or(&flow.steps[0].id);
    if flow.step(start).is_none() {
        let (line, column) = source.find_after(1, start);
        diagnostics.push(error(
            line,
            column,
            format!("the start step `{start}` does not exist"),
            "name one of the flow's steps",
        ));
    }
    for step in &flow.steps {
        let line = lines[step.id.as_str()];
        if step.prompt.trim().is_empty() {
            diagnostics.push(error(
                line,
                0,
                format!("step `{}` has an empty prompt", step.id),
                "write the question shown with the buttons",
            ));
        }
        if !CHOICES_PER_STEP.contains(&step.choices.len()) {
            diagnostics.push(error(
                line,
                0,
                format!("step `{}` has {} choices", step.id, step.choices.len()),
                "give each step 2 to 6 choices",
            ));
        }
        for choice in &step.choices {
            let (line, column) = source.find_after(line, &format!("label: {}", choice.label));
            let chars = choice.label.chars().count();
            if chars == 0 || chars > MAX_LABEL_CHARS {
                diagnostics.push(error(
                    line,
                    column,
                    format!("the label 「{}」 has {chars} characters", choice.label),
                    "LINE buttons show at most 20 characters; shorten the label",
                ));
            }
            let problem = match choice.target() {
                None => Some((
                    "the choice needs exactly one of `step`, `answer`, `procedure` or `contact`"
                        .to_string(),
                    "say where the button leads",
                )),
                Some(Target::Step(id)) if flow.step(id).is_none() => Some((
                    format!("unknown step `{id}`"),
                    "name one of this flow's steps",
                )),
                Some(Target::Answer(id)) if !known.entry(id) => Some((
                    format!("unknown entry id `{id}`"),
                    "name the id of an entry in the topic files",
                )),
                Some(Target::Procedure(id)) if !known.procedure(id) => Some((
                    format!("unknown procedure id `{id}`"),
                    "name an id from procedures.yaml",
                )),
                Some(Target::Contact(id)) if !known.department(id) => Some((
                    format!("unknown department id `{id}`"),
                    "name an id from departments.yaml",
                )),
                _ => None,
            };
            if let Some((message, help)) = problem {
                diagnostics.push(error(line, column, message, help));
            }
        }
    }
    // Steps the start cannot reach, and reachable steps from which no
    // answer, procedure or contact can be reached (loops without an exit).
    let next = |step: &Step| -> Vec<String> {
        step.choices
            .iter()
            .filter_map(|c| match c.target() {
                Some(Target::Step(id)) => Some(id.to_string()),
                _ => None,
            })
            .collect()
    };
    let mut reachable: HashSet<String> = HashSet::new();
    let mut pending = vec![start.to_string()];
    while let Some(id) = pending.pop() {
        if let Some(step) = flow.step(&id)
            && reachable.insert(id)
        {
            pending.extend(next(step));
        }
    }
    let mut exits: HashSet<&str> = flow
        .steps
        .iter()
        .filter(|s| {
            s.choices
                .iter()
                .any(|c| !matches!(c.target(), Some(Target::Step(_)) | None))
        })
        .map(|s| s.id.as_str())
        .collect();
    loop {
        let before = exits.len();
        for step in &flow.steps {
            if next(step).iter().any(|n| exits.contains(n.as_str())) {
                exits.insert(&step.id);
            }
        }
        if exits.len() == before {
            break;
        }
    }
    for id in step_ids {
        let line = lines[id.as_str()];
        if !reachable.contains(id.as_str()) {
            diagnostics.push(error(
                line,
                0,
                format!("step `{id}` cannot be reached from the start `{start}`"),
                "lead a choice to it with `step:`, or remove it",
            ));
        } else if !exits.contains(id.as_str()) {
            diagnostics.push(error(
                line,
                0,
                format!("step `{id}` only leads to steps that loop; it never reaches an answer"),
                "give one of the looping steps a choice with `answer:`, `procedure:` or `contact:`",
            ));
        }
    }
}
