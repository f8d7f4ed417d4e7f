//! Retrieval accuracy on the public localgovFAQ benchmark (Amagasaki city),
//! read from `../shared/eval/localgovfaq` when it is there. Its data is not
//! part of this repository; without it the test says so and passes.

use std::path::PathBuf;
use std::sync::Arc;

use madoguchi::eval::{self, localgovfaq::LocalGovFaq};
use madoguchi::index::{FaqIndex, Weights};
use madoguchi::text::{Analyzer, Lexicon};

#[test]
fn localgovfaq_dev_meets_the_engine_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("MADOGUCHI_BENCHMARK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/eval/localgovfaq"));
    if !dir.join("corpus.json").exists() {
        println!(
            "skipped: the localgovFAQ benchmark is not at {}",
            dir.display()
        );
        return;
    }
    let data = LocalGovFaq::load(&dir).expect("benchmark loads");
    let lexicon = Lexicon::load(&root.join("dictionaries")).expect("dictionaries load");
    let analyzer = Arc::new(Analyzer::new(&lexicon).expect("analyzer"));
    let index = FaqIndex::build(analyzer, Weights::default(), &data.documents).expect("index");
    let (summary, _) = eval::run(&index, &data.doc_ids, &data.queries).expect("runs");
    println!(
        "localgovFAQ dev: Recall@10 {:.3} nDCG@10 {:.3} SR@1 {:.3} SR@5 {:.3} MRR {:.3}",
        summary.recall_at_10,
        summary.ndcg_at_10,
        summary.success_at_1,
        summary.success_at_5,
        summary.mrr
    );
    assert_eq!(summary.queries, data.queries.len());
    // The engine's target; Elasticsearch BM25 with Kuromoji reaches Recall@10
    // 0.600, nDCG@10 0.494, multilingual-e5-large 0.682, 0.571.
    assert!(
        summary.recall_at_10 >= 0.70,
        "Recall@10 {:.3}",
        summary.recall_at_10
    );
    assert!(
        summary.ndcg_at_10 >= 0.58,
        "nDCG@10 {:.3}",
        summary.ndcg_at_10
    );
}
