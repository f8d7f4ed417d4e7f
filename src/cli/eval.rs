//! `madoguchi eval`: retrieval measured on our paraphrase tests or on the
//! localgovFAQ benchmark.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use madoguchi::eval::{self, Benchmark, QueryOutcome, Summary};
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

use super::Global;

#[derive(clap::Args)]
pub struct Args {
    /// A paraphrase file (`- ask: … / expect: <entry id>`) for the --faq content.
    #[arg(long, conflicts_with = "benchmark")]
    queries: Option<PathBuf>,
    /// A benchmark's directory: localgovFAQ (corpus.json, queries.json,
    /// qrels.json) or the 子育て FAQ (corpus.json, queries-dev.tsv).
    #[arg(long)]
    benchmark: Option<PathBuf>,
    /// List the queries whose answer is not ranked first.
    #[arg(long)]
    misses: bool,
    /// Field weights as JSON, e.g. '{"answer_words": 0.5}'; unnamed
    /// fields keep their defaults.
    #[arg(long, value_parser = parse_weights)]
    weights: Option<Weights>,
}

pub fn run(global: &Global, args: Args) -> Result<ExitCode> {
    let (summary, outcomes) = match (args.queries, args.benchmark) {
        (_, Some(dir)) => {
            let settings = global.settings()?;
            let lexicon =
                Lexicon::load(&settings.dictionaries_dir).map_err(|d| anyhow::anyhow!("{d}"))?;
            let data = Benchmark::load(&dir)?;
            let index = FaqIndex::build(
                Arc::new(Analyzer::new(&lexicon)?),
                args.weights.unwrap_or(settings.weights),
                &data.documents,
            )
            .context("building the index")?;
            eval::run(&index, &data.doc_ids, &data.queries)?
        }
        (Some(file), None) => {
            let engine = global.engine(args.weights)?;
            let (_, summary, outcomes) = eval::paraphrases::evaluate(&engine, &file)?;
            (summary, outcomes)
        }
        (None, None) => bail!("name --queries FILE or --benchmark DIR"),
    };
    print!("{}", render_summary(&summary));
    if args.misses {
        print!("{}", render_misses(&outcomes));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_weights(json: &str) -> Result<Weights, String> {
    serde_json::from_str(json).map_err(|err| format!("not valid weights: {err}"))
}

fn render_summary(s: &Summary) -> String {
    format!(
        "queries     {}\nRecall@10   {:.3}\nnDCG@10     {:.3}\nP@10        {:.3}\nP@1         {:.3}\nSR@1        {:.3}\nSR@3        {:.3}\nSR@5        {:.3}\nSR@10       {:.3}\nMRR         {:.3}\nMAP         {:.3}\n",
        s.queries,
        s.recall_at_10,
        s.ndcg_at_10,
        s.precision_at_10,
        s.precision_at_1,
        s.success_at_1,
        s.success_at_3,
        s.success_at_5,
        s.success_at_10,
        s.mrr,
        s.map
    )
}

fn render_misses(outcomes: &[QueryOutcome]) -> String {
    let mut out = String::from("\nmisses (query id, rank of the first answer, query, top 3):\n");
    for o in outcomes
        .iter()
        .filter(|o| o.metrics.first_answer_rank != Some(1))
    {
        let rank = o
            .metrics
            .first_answer_rank
            .map_or("-".to_string(), |r| r.to_string());
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            o.id,
            rank,
            o.text,
            o.ranked
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    out
}
