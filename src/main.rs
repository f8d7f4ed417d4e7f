//! The `madoguchi` command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use madoguchi::config::{Overrides, Settings};
use madoguchi::engine::{Contact, Decision, Engine, EngineError, Explanation, Link, Policy};
use madoguchi::eval::{self, QueryOutcome, Summary, localgovfaq::LocalGovFaq};
use madoguchi::faq::Content;
use madoguchi::faq::import::import_csv;
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::server::Application;
use madoguchi::text::{Analyzer, Lexicon};

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
    /// Directory of the Q&A files.
    #[arg(long, global = true, default_value = "faq", env = "MADOGUCHI_FAQ_DIR")]
    faq: PathBuf,
    /// Directory of the word lists (user dictionary, synonyms, stopwords).
    #[arg(
        long,
        global = true,
        default_value = "dictionaries",
        env = "MADOGUCHI_DICTIONARIES_DIR"
    )]
    dictionaries: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the chat API, the widget and the demo page.
    Serve {
        /// Config file (default: madoguchi.toml when present).
        #[arg(long, env = "MADOGUCHI_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "MADOGUCHI_BIND")]
        bind: Option<std::net::SocketAddr>,
        /// Where the database is kept (default ./data).
        #[arg(long, env = "MADOGUCHI_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Check the Q&A files and word lists; exits non-zero on any error.
    Check {
        /// The FAQ directory (default: --faq).
        dir: Option<PathBuf>,
    },
    /// Ask the engine one question.
    Ask {
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
    },
    /// Measure retrieval: on our paraphrase tests (--queries) or on the
    /// localgovFAQ benchmark (--benchmark).
    Eval {
        /// A paraphrase file (`- ask: … / expect: <entry id>`) for the --faq content.
        #[arg(long, conflicts_with = "benchmark")]
        queries: Option<PathBuf>,
        /// Directory holding the benchmark's corpus.json, queries.json and qrels.json.
        #[arg(long)]
        benchmark: Option<PathBuf>,
        /// List the queries whose answer is not ranked first.
        #[arg(long)]
        misses: bool,
        /// Field weights as JSON, e.g. '{"answer_words": 0.5}'; unnamed
        /// fields keep their defaults.
        #[arg(long, value_parser = parse_weights)]
        weights: Option<Weights>,
    },
    /// Convert an FAQ CSV (自治体標準オープンデータセット layout) into topic files.
    ImportCsv {
        csv: PathBuf,
        /// Where to write the topic files (one per category).
        #[arg(long)]
        out: PathBuf,
        /// Department id answering the imported entries.
        #[arg(long)]
        department: String,
        /// Category for rows without one.
        #[arg(long, default_value = "その他")]
        category: String,
    },
    /// Hash a password for the config file's [admin] users (reads it from
    /// standard input).
    HashPassword,
    /// Read the query log.
    Logs {
        #[command(subcommand)]
        command: LogsCommand,
    },
    /// Sign a webhook body (see webhooks/) with the channel secret and post
    /// it to a running server, as LINE would.
    LineSend {
        /// The JSON body to send.
        file: PathBuf,
        /// The channel secret the server was started with.
        #[arg(long, env = "MADOGUCHI_LINE_CHANNEL_SECRET", hide_env_values = true)]
        secret: String,
        /// The server's webhook URL.
        #[arg(long, default_value = "http://127.0.0.1:8080/webhooks/line")]
        url: String,
    },
}

#[derive(Subcommand)]
enum LogsCommand {
    /// Print the query log as CSV (UTF-8 with BOM, for Excel).
    Export {
        /// Where the database is kept.
        #[arg(long, env = "MADOGUCHI_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// First day to include (YYYY-MM-DD, Japanese time); default all.
        #[arg(long)]
        since: Option<madoguchi::faq::Date>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            config,
            bind,
            data_dir,
        } => {
            let settings = Settings::load(&Overrides {
                config,
                bind,
                data_dir,
                faq_dir: Some(cli.faq),
                dictionaries_dir: Some(cli.dictionaries),
            })?;
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings)?;
                println!("serving on http://{}/", app.address());
                app.run_until_stopped().await?;
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => check(dir.as_deref().unwrap_or(&cli.faq), &cli.dictionaries),
        Command::Ask {
            questions,
            explain,
            json,
        } => {
            let engine = load_engine(&cli.faq, &cli.dictionaries, Weights::default())?;
            let mut conversation = madoguchi::engine::Conversation::default();
            for (turn, question) in questions.iter().enumerate() {
                let (decision, explanation) = engine.respond(&conversation, question)?;
                conversation.record(&decision, Some(&explanation));
                if json {
                    let value = if explain {
                        serde_json::json!({ "decision": decision, "explanation": explanation })
                    } else {
                        serde_json::to_value(&decision)?
                    };
                    println!("{}", serde_json::to_string_pretty(&value)?);
                } else {
                    if questions.len() > 1 {
                        println!("{}> {question}", if turn > 0 { "\n" } else { "" });
                    }
                    print!("{}", render(&decision));
                    if explain {
                        print!("{}", render_explanation(&explanation));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            queries,
            benchmark,
            misses,
            weights,
        } => {
            let weights = weights.unwrap_or_default();
            let (summary, outcomes) = match (queries, benchmark) {
                (_, Some(dir)) => {
                    let lexicon =
                        Lexicon::load(&cli.dictionaries).map_err(|d| anyhow::anyhow!("{d}"))?;
                    let data = LocalGovFaq::load(&dir)?;
                    let index = FaqIndex::build(
                        Arc::new(Analyzer::new(&lexicon)?),
                        weights,
                        &data.documents,
                    )
                    .context("building the index")?;
                    eval::run(&index, &data.doc_ids, &data.queries)?
                }
                (Some(file), None) => {
                    let engine = load_engine(&cli.faq, &cli.dictionaries, weights)?;
                    let (_, summary, outcomes) = eval::paraphrases::evaluate(&engine, &file)?;
                    (summary, outcomes)
                }
                (None, None) => bail!("name --queries FILE or --benchmark DIR"),
            };
            print!("{}", render_summary(&summary));
            if misses {
                print!("{}", render_misses(&outcomes));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::LineSend { file, secret, url } => line_send(&file, &secret, &url),
        Command::HashPassword => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                eprint!("password: ");
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                bail!("use a password of at least 8 characters");
            }
            println!(
                "{}",
                madoguchi::admin::auth::hash_password(password).map_err(anyhow::Error::msg)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Logs {
            command: LogsCommand::Export { data_dir, since },
        } => {
            if !data_dir.join(madoguchi::store::DATABASE_FILE).exists() {
                bail!(
                    "no query log in {}: name the server's --data-dir",
                    data_dir.display()
                );
            }
            let store = madoguchi::store::Store::open(&data_dir)?;
            let since = since.map_or(0, |date| date.start_in_japan());
            let mut out = std::io::stdout().lock();
            let rows = store.export_csv(since, &mut out)?;
            eprintln!("{rows} queries");
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportCsv {
            csv,
            out,
            department,
            category,
        } => {
            let file =
                std::fs::File::open(&csv).with_context(|| format!("opening {}", csv.display()))?;
            let topics = import_csv(file, &department, &category)?;
            std::fs::create_dir_all(&out)?;
            for (number, topic) in topics.iter().enumerate() {
                let path = out.join(format!("imported-{:02}.yaml", number + 1));
                std::fs::write(&path, &topic.yaml)?;
                println!(
                    "{}: {} entries in 「{}」",
                    path.display(),
                    topic.entries,
                    topic.category
                );
            }
            println!("check the result with: madoguchi check {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(faq: &Path, dictionaries: &Path) -> Result<ExitCode> {
    let mut failed = false;
    match Lexicon::load(dictionaries) {
        Ok(_) => {}
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            failed = true;
        }
    }
    match Content::load(faq) {
        Ok((content, warnings)) => {
            eprint!("{warnings}");
            println!(
                "{}: {} entries in {} categories, {} flows, {} procedures, {} departments; {} warnings",
                faq.display(),
                content.entries.len(),
                content.categories.len(),
                content.flows.len(),
                content.procedures.len(),
                content.departments.len(),
                warnings.warnings().count()
            );
        }
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            eprintln!("{} errors", diagnostics.errors().count());
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn line_send(file: &Path, secret: &str, url: &str) -> Result<ExitCode> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let signature = madoguchi::channels::line::signature::sign(secret, &body);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (status, text) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .header("x-line-signature", signature)
            .body(body)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        let status = response.status();
        anyhow::Ok((status, response.text().await.unwrap_or_default()))
    })?;
    println!("{status} {text}");
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn load_engine(faq: &Path, dictionaries: &Path, weights: Weights) -> Result<Engine> {
    match Engine::load(faq, dictionaries, Policy::default(), weights) {
        Ok((engine, _warnings)) => Ok(engine),
        Err(EngineError::Content(diagnostics)) => {
            bail!("the content has errors (run `madoguchi check`):\n{diagnostics}")
        }
        Err(err) => Err(err.into()),
    }
}

fn parse_weights(json: &str) -> Result<Weights, String> {
    serde_json::from_str(json).map_err(|err| format!("not valid weights: {err}"))
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
            + &closeness("question", candidate.question_closeness);
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
