//! One question end to end (normalise, tokenise, search, decide) on the
//! localgovFAQ corpus (1,786 entries, read from `../shared/eval/localgovfaq`
//! and turned into a FAQ directory with the CSV importer), the index build
//! for that corpus, and a question on the demo content.
//!
//! Run: `cargo bench --bench query`. Besides criterion's figures it prints
//! the median and 99th percentile of single questions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use madoguchi::engine::{Engine, Policy};
use madoguchi::eval::Benchmark;
use madoguchi::eval::localgovfaq::LocalGovFaq;
use madoguchi::faq::import::{CityProfile, read_csv, topics};
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

/// The allocator the `madoguchi` binary ships with, so that the figures are
/// those of the program residents and staff use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_engine(faq: &Path) -> Engine {
    Engine::load(
        faq,
        &root().join("dictionaries"),
        Policy::default(),
        Weights::default(),
    )
    .expect("content loads")
    .0
}

/// A FAQ directory holding the benchmark corpus, with the demo catalogues.
fn corpus_faq_dir(data: &Benchmark) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["departments.yaml", "procedures.yaml"] {
        std::fs::copy(root().join("faq").join(file), dir.path().join(file)).expect("copy");
    }
    // The demo's rules, without the demo entry they name for locations.
    let rules = std::fs::read_to_string(root().join("faq/rules.yaml")).expect("rules");
    let rules: Vec<&str> = rules
        .lines()
        .filter(|line| !line.starts_with("location_answer:"))
        .collect();
    std::fs::write(dir.path().join("rules.yaml"), rules.join("\n")).expect("rules");
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["ID", "質問", "回答"]).expect("csv");
    for (id, document) in data.doc_ids.iter().zip(&data.documents) {
        csv.write_record([id.as_str(), &document.questions[0], &document.answer])
            .expect("csv");
    }
    let csv = csv.into_inner().expect("csv");
    let read = read_csv(&csv).expect("import");
    for (number, topic) in topics(&read, "somu", "尼崎市", &CityProfile::default())
        .expect("import")
        .iter()
        .enumerate()
    {
        std::fs::write(
            dir.path().join(format!("corpus-{number}.yaml")),
            &topic.yaml,
        )
        .expect("write");
    }
    dir
}

fn print_percentiles(name: &str, engine: &Engine, questions: &[String]) {
    let mut samples: Vec<Duration> = Vec::with_capacity(questions.len() * 5);
    for _ in 0..5 {
        for question in questions {
            let started = Instant::now();
            let decision = engine.ask(question).expect("ask");
            samples.push(started.elapsed());
            std::hint::black_box(decision);
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name}: {} questions, median {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        samples.len(),
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        at(1.0).as_secs_f64() * 1e6
    );
}

fn benchmarks(c: &mut Criterion) {
    match LocalGovFaq::load(&root().join("../shared/eval/localgovfaq")) {
        Ok(data) => {
            let faq = corpus_faq_dir(&data);
            let engine = load_engine(faq.path());
            assert_eq!(engine.content().entries.len(), data.documents.len());
            let questions: Vec<String> = data.queries.iter().map(|q| q.text.clone()).collect();
            print_percentiles("ask, localgovFAQ corpus", &engine, &questions);
            let mut next = questions.iter().cycle();
            c.bench_function("ask, localgovFAQ corpus (1786 entries)", |b| {
                b.iter(|| engine.ask(next.next().expect("cycle")).expect("ask"))
            });

            let lexicon = Lexicon::load(&root().join("dictionaries")).expect("dictionaries");
            let analyzer = Arc::new(Analyzer::new(&lexicon).expect("analyzer"));
            let mut group = c.benchmark_group("index build");
            group.sample_size(10);
            group.bench_function("localgovFAQ corpus (1786 entries)", |b| {
                b.iter(|| {
                    FaqIndex::build(analyzer.clone(), Weights::default(), &data.documents)
                        .expect("index")
                })
            });
            group.finish();
        }
        Err(err) => eprintln!("the localgovFAQ corpus is not available ({err}): demo content only"),
    }

    let engine = load_engine(&root().join("faq"));
    let questions: Vec<String> = [
        "コンビニで住民票って取れる？",
        "マイナンバーカードをなくしてしまいました",
        "引っ越しの手続き",
        "要介護認定の申請方法を教えてください",
        "宇宙旅行の申し込み",
    ]
    .map(String::from)
    .to_vec();
    print_percentiles("ask, demo content", &engine, &questions);
    let mut next = questions.iter().cycle();
    c.bench_function("ask, demo content (89 entries)", |b| {
        b.iter(|| engine.ask(next.next().expect("cycle")).expect("ask"))
    });
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
