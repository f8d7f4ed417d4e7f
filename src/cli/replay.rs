//! `madoguchi replay`: what a draft of the content would change for the
//! questions residents actually asked, before it is published.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use madoguchi::authoring::replay::{Change, replay};
use madoguchi::config::{Overrides, Settings};
use madoguchi::engine::{Engine, EngineError};
use madoguchi::faq::Date;
use madoguchi::store::Store;

use super::Global;

/// Days replayed when no --since is given.
const DEFAULT_DAYS: i64 = 30;

#[derive(clap::Args)]
pub struct Args {
    /// The draft content directory, compared with the current one (--faq).
    draft: PathBuf,
    /// Where the server keeps its database (default: data_dir of the settings).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// First day of logged questions to replay (YYYY-MM-DD, Japanese time);
    /// default the last 30 days.
    #[arg(long)]
    since: Option<Date>,
    /// Print the changes as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(global: &Global, args: Args) -> Result<ExitCode> {
    let settings = Settings::load(&Overrides {
        data_dir: args.data_dir,
        ..global.overrides()
    })?;
    let store = Store::open_existing(&settings.data_dir, &settings.store)?;
    let current = global.engine(None)?;
    let draft = match Engine::load(
        &args.draft,
        &settings.dictionaries_dir,
        settings.policy,
        settings.weights,
    ) {
        Ok((engine, _)) => engine,
        Err(EngineError::Content(diagnostics)) => {
            eprint!("{diagnostics}");
            bail!(
                "the draft {} has errors: fix them (madoguchi check {}) before replaying",
                args.draft.display(),
                args.draft.display()
            );
        }
        Err(err) => return Err(err.into()),
    };
    let since = args.since.unwrap_or_else(|| {
        Date::from_days_since_epoch(Date::today_in_japan().days_since_epoch() - DEFAULT_DAYS)
    });
    let asked = store.asked_questions(since.start_in_japan())?;
    let changes = replay(&current, &draft, &asked)?;
    if args.json {
        let report = serde_json::json!({
            "since": since.to_string(),
            "questions": asked.len(),
            "asked": asked.iter().map(|a| a.count).sum::<u64>(),
            "changes": changes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&changes, asked.len(), since));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(changes: &[Change], questions: usize, since: Date) -> String {
    let mut out = format!(
        "{} of {questions} distinct questions asked since {since} change:\n",
        changes.len()
    );
    for change in changes {
        out.push_str(&format!(
            "\n{:>5}×  {}\n        before: {}\n        after:  {}\n",
            change.count, change.question, change.before, change.after
        ));
    }
    out
}
