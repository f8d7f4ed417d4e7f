//! Retrieval accuracy on the two public benchmarks, read from
//! `../shared/eval/` where they lie: localgovFAQ (Amagasaki city) and the
//! 子育てオープンデータ協議会 FAQ. Their data is not part of this repository;
//! without it the tests say so loudly and pass, except under CI, where the
//! data is always beside the clone and its absence is a failure.

use std::path::PathBuf;
use std::sync::Arc;

use madoguchi::eval::{self, Benchmark, Summary};
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

/// The benchmark in `../shared/eval/<name>` scored with the default
/// weights, or `None` (after saying so) when it is not there.
fn score(name: &str) -> Option<Summary> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("../shared/eval").join(name);
    if !dir.join("corpus.json").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the {name} benchmark must be at {} under CI",
            dir.display()
        );
        eprintln!("SKIPPED: the {name} benchmark is not at {}", dir.display());
        return None;
    }
    let data = Benchmark::load(&dir).expect("benchmark loads");
    let lexicon = Lexicon::load(&root.join("dictionaries")).expect("dictionaries load");
    let analyzer = Arc::new(Analyzer::new(&lexicon).expect("analyzer"));
    let index = FaqIndex::build(analyzer, Weights::default(), &data.documents).expect("index");
    let (summary, _) = eval::run(&index, &data.doc_ids, &data.queries).expect("runs");
    assert_eq!(summary.queries, data.queries.len());
    println!(
        "{name} dev: Recall@10 {:.3} nDCG@10 {:.3} SR@1 {:.3} SR@3 {:.3} SR@5 {:.3} MRR {:.3}",
        summary.recall_at_10,
        summary.ndcg_at_10,
        summary.success_at_1,
        summary.success_at_3,
        summary.success_at_5,
        summary.mrr
    );
    Some(summary)
}

#[test]
fn localgovfaq_dev_meets_the_retrieval_target() {
    let Some(summary) = score("localgovfaq") else {
        return;
    };
    // The retrieval issue's target (measured: 0.728, 0.620); Elasticsearch
    // BM25 with Kuromoji reaches Recall@10 0.600, nDCG@10 0.494,
    // multilingual-e5-large 0.682, 0.571.
    assert!(
        summary.recall_at_10 >= 0.72,
        "Recall@10 {:.3}",
        summary.recall_at_10
    );
    assert!(
        summary.ndcg_at_10 >= 0.60,
        "nDCG@10 {:.3}",
        summary.ndcg_at_10
    );
}

#[test]
fn kosodate_dev_meets_the_retrieval_target() {
    let Some(summary) = score("kosodate") else {
        return;
    };
    // The retrieval issue's target; measured: Hit@1 0.944, Hit@3 0.967 on
    // the 90 dev queries (docs/benchmarks.md).
    assert!(
        summary.success_at_1 >= 0.90,
        "Hit@1 {:.3}",
        summary.success_at_1
    );
    assert!(
        summary.success_at_3 >= 0.96,
        "Hit@3 {:.3}",
        summary.success_at_3
    );
}
