//! The `madoguchi` command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use madoguchi::eval::{self, localgovfaq::LocalGovFaq};
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

#[derive(Parser)]
#[command(name = "madoguchi", version, about = "Answers residents' questions from the city's FAQ")]
struct Cli {
    /// Directory of the word lists (user dictionary, synonyms, stopwords).
    #[arg(long, global = true, default_value = "dictionaries", env = "MADOGUCHI_DICTIONARIES_DIR")]
    dictionaries: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure retrieval on the localgovFAQ benchmark directory.
    Eval {
        /// Directory holding corpus.json, queries.json and qrels.json.
        #[arg(long)]
        benchmark: PathBuf,
        /// List the queries whose answer is not in the top 10.
        #[arg(long)]
        misses: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let lexicon = Lexicon::load(&cli.dictionaries).map_err(|d| anyhow::anyhow!("{d}"))?;
    let analyzer = Arc::new(Analyzer::new(&lexicon)?);
    match cli.command {
        Command::Eval { benchmark, misses } => {
            let data = LocalGovFaq::load(&benchmark)?;
            let started = std::time::Instant::now();
            let index = FaqIndex::build(analyzer, Weights::default(), &data.documents)
                .context("building the index")?;
            eprintln!("indexed {} documents in {:?}", data.documents.len(), started.elapsed());
            let (summary, outcomes) = eval::run(&index, &data.doc_ids, &data.queries)?;
            println!("{summary:#?}");
            if misses {
                for o in outcomes.iter().filter(|o| o.metrics.first_answer_rank.is_none_or(|r| r > 10)) {
                    println!("{}\t{}\t{:?}", o.id, o.text, o.ranked);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
