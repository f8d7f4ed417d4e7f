//! Conversation tests (`faq/tests/conversations/*.yaml`): a sequence of
//! turns — something said, a button picked, an answer found unhelpful — and
//! what the bot must reply to each, run against the engine's state machine
//! as both channels use it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::EvalError;
use crate::engine::{Conversation, Decision, Engine, Explanation};

/// One scripted conversation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub name: String,
    pub turns: Vec<Turn>,
}

/// What the resident does in one turn (exactly one of `say`, `pick`,
/// `unhelpful`), and what must come back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// Types a message.
    #[serde(default)]
    pub say: Option<String>,
    /// Taps the offered button with this label.
    #[serde(default)]
    pub pick: Option<String>,
    /// Answers 「役に立たなかった」 to the last answer.
    #[serde(default)]
    pub unhelpful: bool,
    pub expect: Expect,
}

/// What a reply must be; every field given is checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `answer`, `choices`, `rule`, `flow` or `fallback`.
    pub kind: Option<String>,
    /// The answered entry.
    pub id: Option<String>,
    /// The flow, for flow steps.
    pub flow: Option<String>,
    /// Labels that must be among the buttons.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Words the text must contain.
    pub text: Option<String>,
    /// Words the explanation's reason must contain (which rule fired).
    pub reason: Option<String>,
}

/// A turn that did not go as written.
#[derive(Debug, Clone)]
pub struct Failure {
    pub file: PathBuf,
    pub script: String,
    /// 1-based.
    pub turn: usize,
    pub problem: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: 「{}」 turn {}: {}",
            self.file.display(),
            self.script,
            self.turn,
            self.problem
        )
    }
}

/// Reads every script under `dir`.
pub fn load(dir: &Path) -> Result<Vec<(PathBuf, Vec<Script>)>, EvalError> {
    let listing = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Read(dir.display().to_string(), e.to_string()))?;
    let mut paths: Vec<PathBuf> = listing
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| EvalError::Read(path.display().to_string(), e.to_string()))?;
            let scripts: Vec<Script> = serde_yaml::from_str(&text)
                .map_err(|e| EvalError::Format(path.display().to_string(), e.to_string()))?;
            Ok((path, scripts))
        })
        .collect()
}

/// Plays one script; returns the first failure, if any.
pub fn play(engine: &Engine, script: &Script) -> Result<(), (usize, String)> {
    let mut conversation = Conversation::default();
    for (number, turn) in script.turns.iter().enumerate() {
        let fail = |problem: String| (number + 1, problem);
        let (decision, explanation): (Decision, Option<Explanation>) =
            match (&turn.say, &turn.pick, turn.unhelpful) {
                (Some(message), None, false) => {
                    let (d, e) = engine
                        .respond(&conversation, message)
                        .map_err(|e| fail(e.to_string()))?;
                    (d, Some(e))
                }
                (None, Some(label), false) => {
                    let choice = conversation
                        .offered
                        .iter()
                        .find(|c| &c.label == label)
                        .ok_or_else(|| {
                            let offered: Vec<&str> = conversation
                                .offered
                                .iter()
                                .map(|c| c.label.as_str())
                                .collect();
                            fail(format!("no button 「{label}」; offered: {offered:?}"))
                        })?;
                    let decision = engine
                        .choose(&choice.value)
                        .ok_or_else(|| fail(format!("「{label}」 leads nowhere")))?;
                    (decision, None)
                }
                (None, None, true) => {
                    let answered = conversation.last_answer.clone().unwrap_or_default();
                    (engine.after_unhelpful(&conversation, &answered), None)
                }
                _ => {
                    return Err(fail(
                        "a turn needs exactly one of say, pick or unhelpful".into(),
                    ));
                }
            };
        check(&turn.expect, &decision, explanation.as_ref()).map_err(fail)?;
        conversation.record(&decision, explanation.as_ref());
    }
    Ok(())
}

fn check(
    expect: &Expect,
    decision: &Decision,
    explanation: Option<&Explanation>,
) -> Result<(), String> {
    let got = || format!("got {} 「{}」", decision.kind(), decision.text());
    if let Some(kind) = &expect.kind
        && kind != decision.kind()
    {
        return Err(format!("expected {kind}, {}", got()));
    }
    if let Some(id) = &expect.id
        && decision.answer_id() != Some(id.as_str())
    {
        return Err(format!(
            "expected the answer `{id}`, {} ({:?})",
            got(),
            decision.answer_id()
        ));
    }
    if let Some(flow) = &expect.flow {
        match decision {
            Decision::Flow { flow: actual, .. } if actual == flow => {}
            _ => return Err(format!("expected flow `{flow}`, {}", got())),
        }
    }
    for label in &expect.choices {
        if !decision.choices().iter().any(|c| &c.label == label) {
            let offered: Vec<&str> = decision
                .choices()
                .iter()
                .map(|c| c.label.as_str())
                .collect();
            return Err(format!(
                "expected a button 「{label}」; offered: {offered:?}"
            ));
        }
    }
    if let Some(text) = &expect.text
        && !decision.text().contains(text.as_str())
    {
        return Err(format!(
            "expected the text to contain 「{text}」, {}",
            got()
        ));
    }
    if let Some(reason) = &expect.reason {
        let actual = explanation.map(|e| e.reason.as_str()).unwrap_or_default();
        if !actual.contains(reason.as_str()) {
            return Err(format!(
                "expected the reason to mention 「{reason}」, got 「{actual}」"
            ));
        }
    }
    Ok(())
}

/// Plays every script under `dir`: the number played and the failures.
pub fn run(engine: &Engine, dir: &Path) -> Result<(usize, Vec<Failure>), EvalError> {
    let mut played = 0;
    let mut failures = Vec::new();
    for (file, scripts) in load(dir)? {
        for script in scripts {
            played += 1;
            if let Err((turn, problem)) = play(engine, &script) {
                failures.push(Failure {
                    file: file.clone(),
                    script: script.name.clone(),
                    turn,
                    problem,
                });
            }
        }
    }
    Ok((played, failures))
}
