//! `madoguchi ask`: the engine's decision on one question, or on several
//! as one conversation, with its reasons on `--explain`.

use std::process::ExitCode;

use anyhow::Result;

use madoguchi::engine::{Contact, Conversation, Decision, Explanation, Link, Situation};

use super::Global;

#[derive(clap::Args)]
pub struct Args {
    /// One question, or several: then they are one conversation (a
    /// number picks an offered choice; 「それは…」 refers to the previous
    /// answer).
    #[arg(required = true)]
    questions: Vec<String>,
    /// Show the candidates, their scores and the rule that decided.
    #[arg(long)]
    explain: bool,
    /// Print the decision (and explanation) as JSON.
    #[arg(long)]
    json: bool,
    /// Answer as in disaster mode (disaster entries and flows first).
    #[arg(long)]
    disaster: bool,
}

pub fn run(global: &Global, args: Args) -> Result<ExitCode> {
    let engine = global.engine(None)?;
    let mut conversation = Conversation::default();
    for (turn, question) in args.questions.iter().enumerate() {
        let situation = Situation {
            disaster: args.disaster,
        };
        let (decision, explanation) = engine.respond_in(&conversation, question, situation)?;
        conversation.record(&decision, Some(&explanation));
        if args.json {
            let value = if args.explain {
                serde_json::json!({ "decision": decision, "explanation": explanation })
            } else {
                serde_json::to_value(&decision)?
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
        } else {
            if args.questions.len() > 1 {
                println!("{}> {question}", if turn > 0 { "\n" } else { "" });
            }
            print!("{}", render(&decision));
            if args.explain {
                print!("{}", render_explanation(&explanation));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The decision as plain text for the terminal.
fn render(decision: &Decision) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    if let Decision::Answer(answer) = decision {
        line(format!("[{}] {}", answer.id, answer.question));
    }
    line(decision.text().to_string());
    for (number, choice) in decision.choices().iter().enumerate() {
        line(format!(
            "  {}. {} [{}]",
            number + 1,
            choice.label,
            choice.value.id()
        ));
    }
    out.push_str(&render_contact(decision.links(), decision.contact()));
    out
}

fn render_contact(links: &[Link], contact: Option<&Contact>) -> String {
    let mut out = String::new();
    for link in links {
        out.push_str(&format!(
            "→ {}（{}）{}\n",
            link.title,
            link.kind,
            link.url.as_deref().unwrap_or("")
        ));
    }
    if let Some(contact) = contact {
        out.push_str(&format!(
            "問い合わせ: {} {}（{}）\n",
            contact.department, contact.phone, contact.hours
        ));
    }
    out
}

fn render_explanation(explanation: &Explanation) -> String {
    let mut out = format!(
        "\n--- explain\nnormalised: {}\nwords: {}\ndecided: {}\n",
        explanation.normalized,
        explanation.words.join(" "),
        explanation.reason
    );
    let closeness = |label: &str, value: Option<f32>| {
        value.map_or(String::new(), |v| format!("  {label} {v:>5.2}"))
    };
    for candidate in &explanation.candidates {
        let closeness = closeness("topic", candidate.topic_closeness)
            + &closeness("question", candidate.question_closeness)
            + &closeness("shipped", candidate.pretrained_closeness)
            + &closeness("pairs", Some(candidate.pair_closeness));
        out.push_str(&format!(
            "  {:>7.2}  coverage {:>3.0}%  restated {:>3.0}%{closeness}  {}  matched: {}\n",
            candidate.score,
            candidate.coverage * 100.0,
            candidate.restated * 100.0,
            candidate.id,
            candidate.matched.join(" ")
        ));
    }
    out
}
