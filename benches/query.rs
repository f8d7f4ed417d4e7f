//! One question end to end (normalise, tokenise, search, decide) and the
//! index build, on the localgovFAQ corpus (1,786 entries) when it is at
//! `../shared/eval/localgovfaq`, else on the demo content.
//!
//! Run: `cargo bench --bench query`

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use madoguchi::engine::{Engine, Policy};
use madoguchi::eval::localgovfaq::LocalGovFaq;
use madoguchi::index::{Document, FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn analyzer() -> Arc<Analyzer> {
    let lexicon = Lexicon::load(&root().join("dictionaries")).expect("dictionaries");
    Arc::new(Analyzer::new(&lexicon).expect("analyzer"))
}

/// The benchmark corpus and its queries, when present.
fn corpus() -> Option<(Vec<Document>, Vec<String>)> {
    let dir = root().join("../shared/eval/localgovfaq");
    let data = LocalGovFaq::load(&dir).ok()?;
    Some((
        data.documents,
        data.queries.into_iter().map(|q| q.text).collect(),
    ))
}

fn benchmarks(c: &mut Criterion) {
    let analyzer = analyzer();
    if let Some((documents, queries)) = corpus() {
        c.bench_function("index build, localgovFAQ 1786 entries", |b| {
            b.iter(|| {
                FaqIndex::build(analyzer.clone(), Weights::default(), &documents).expect("index")
            })
        });
        let index =
            FaqIndex::build(analyzer.clone(), Weights::default(), &documents).expect("index");
        let mut next = queries.iter().cycle();
        c.bench_function("search, localgovFAQ query (top 10)", |b| {
            b.iter(|| {
                index
                    .search(next.next().expect("cycle"), 10)
                    .expect("search")
            })
        });
    } else {
        eprintln!(
            "the localgovFAQ corpus is not at ../shared/eval/localgovfaq: benchmarking the demo content only"
        );
    }

    let (engine, _) = Engine::load(
        &root().join("faq"),
        &root().join("dictionaries"),
        Policy::default(),
        Weights::default(),
    )
    .expect("demo content");
    let questions = [
        "コンビニで住民票って取れる？",
        "マイナンバーカードをなくしてしまいました",
        "引っ越しの手続き",
        "要介護認定の申請方法を教えてください",
        "宇宙旅行の申し込み",
    ];
    let mut next = questions.iter().cycle();
    c.bench_function(
        "ask, demo content (normalise, tokenise, search, decide)",
        |b| b.iter(|| engine.ask(next.next().expect("cycle")).expect("ask")),
    );
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
