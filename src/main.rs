//! The `madoguchi` command: one module per subcommand under `cli/`.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: many small allocations per request from many threads, where
/// the system allocator spends a tenth of the server's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "madoguchi",
    version,
    about = "Answers residents' questions from the city's FAQ"
)]
struct Cli {
    #[command(flatten)]
    global: cli::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the chat API, the widget and the demo page.
    Serve(cli::serve::Args),
    /// Print the settings in force and where each came from (default,
    /// file, env, flag), secrets redacted.
    Config,
    /// Check the Q&A files and word lists; exits non-zero on any error.
    Check {
        /// The FAQ directory (default: faq_dir of the settings).
        dir: Option<PathBuf>,
    },
    /// Ask the engine one question.
    Ask(cli::ask::Args),
    /// Measure retrieval: on our paraphrase tests (--queries) or on the
    /// localgovFAQ benchmark (--benchmark).
    Eval(cli::eval::Args),
    /// Turn FAQ data into topic files: the 子育てオープンデータ協議会 data
    /// set (JSON or CSV), a generic FAQ CSV (質問, 回答; optional ID, 分類,
    /// URL; UTF-8 or Shift_JIS) or an Excel .xlsx sheet.
    Import(cli::import::Args),
    /// Hash a password for the config file's [admin] users (reads it from
    /// standard input).
    HashPassword,
    /// List the logged questions whose decision or answer a draft of the
    /// content would change (exit status 0 when it ran).
    Replay(cli::replay::Args),
    /// Read the query log.
    Logs {
        #[command(subcommand)]
        command: cli::logs::Command,
    },
    /// Manage the LINE account: `line rich-menu apply` puts the menus of
    /// faq/line/rich-menus.yaml on LINE.
    Line {
        #[command(subcommand)]
        command: cli::line::Command,
    },
    /// Switch disaster mode on or off, for every running server, or say
    /// whether it is on.
    Disaster {
        #[command(subcommand)]
        command: cli::disaster::Command,
    },
    /// Sign a webhook body (see webhooks/) with the channel secret and post
    /// it to a running server, as LINE would.
    LineSend(cli::line_send::Args),
    /// Move a server's records (log, drafts, revisions, audit log, sessions,
    /// pending LINE events, pseudonym key) from SQLite into a new PostgreSQL
    /// database, verified by counts.
    MigrateStore(cli::migrate_store::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Cli { global, command } = Cli::parse();
    let result = match command {
        Command::Serve(args) => cli::serve::run(&global, args),
        Command::Config => cli::config::run(&global),
        Command::Check { dir } => cli::check::run(&global, dir),
        Command::Ask(args) => cli::ask::run(&global, args),
        Command::Eval(args) => cli::eval::run(&global, args),
        Command::Import(args) => cli::import::run(args),
        Command::HashPassword => cli::hash_password::run(),
        Command::Replay(args) => cli::replay::run(&global, args),
        Command::Logs { command } => cli::logs::run(&global, command),
        Command::LineSend(args) => cli::line_send::run(args),
        Command::Line { command } => cli::line::run(&global, command),
        Command::Disaster { command } => cli::disaster::run(&global, command),
        Command::MigrateStore(args) => cli::migrate_store::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
