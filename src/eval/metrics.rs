//! Ranking metrics, as the Elasticsearch ranking evaluation API defines them.

use std::collections::HashMap;

use serde::Serialize;

/// Graded relevance of documents for one query: 2 = contains the answer,
/// 1 = relevant.
pub type Judgements = HashMap<String, u8>;

/// The metrics of one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct QueryMetrics {
    pub recall_at_10: f64,
    pub precision_at_10: f64,
    pub ndcg_at_10: f64,
    /// Rank (1-based) of the first document with grade 2.
    pub first_answer_rank: Option<usize>,
    /// Rank of the first relevant document (grade ≥ 1).
    pub first_relevant_rank: Option<usize>,
    pub average_precision: f64,
}

impl QueryMetrics {
    /// Scores a ranked list of document ids against the judgements.
    pub fn score(ranked: &[String], judgements: &Judgements) -> QueryMetrics {
        let grade = |doc: &String| judgements.get(doc).copied().unwrap_or(0);
        let top10 = &ranked[..ranked.len().min(10)];
        let relevant_total = judgements.values().filter(|&&g| g >= 1).count();
        let relevant_in_top10 = top10.iter().filter(|d| grade(d) >= 1).count();

        let dcg: f64 = top10
            .iter()
            .enumerate()
            .map(|(i, d)| gain(grade(d)) / ((i + 2) as f64).log2())
            .sum();
        let mut ideal: Vec<u8> = judgements.values().copied().filter(|&g| g >= 1).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, &g)| gain(g) / ((i + 2) as f64).log2())
            .sum();

        let mut hits = 0;
        let mut precision_sum = 0.0;
        for (i, d) in ranked.iter().enumerate() {
            if grade(d) >= 1 {
                hits += 1;
                precision_sum += hits as f64 / (i + 1) as f64;
            }
        }

        QueryMetrics {
            recall_at_10: ratio(relevant_in_top10, relevant_total),
            precision_at_10: ratio(relevant_in_top10, top10.len()),
            ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
            first_answer_rank: ranked.iter().position(|d| grade(d) >= 2).map(|p| p + 1),
            first_relevant_rank: ranked.iter().position(|d| grade(d) >= 1).map(|p| p + 1),
            average_precision: ratio_f(precision_sum, relevant_total),
        }
    }
}

/// Elasticsearch's DCG gain: 2^grade − 1.
fn gain(grade: u8) -> f64 {
    f64::from((1u32 << grade) - 1)
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    ratio_f(numerator as f64, denominator)
}

fn ratio_f(numerator: f64, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator / denominator as f64
    }
}

/// Metrics averaged over a query set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub queries: usize,
    pub recall_at_10: f64,
    pub precision_at_10: f64,
    /// Share of queries whose first result is relevant.
    pub precision_at_1: f64,
    pub ndcg_at_10: f64,
    /// Share of queries with a grade-2 document within the top 1, 3, 5, 10.
    pub success_at_1: f64,
    pub success_at_3: f64,
    pub success_at_5: f64,
    pub success_at_10: f64,
    /// Mean reciprocal rank of the first grade-2 document.
    pub mrr: f64,
    /// Mean average precision over relevant documents.
    pub map: f64,
}

impl Summary {
    pub fn of(per_query: &[QueryMetrics]) -> Summary {
        let n = per_query.len();
        let mean = |f: &dyn Fn(&QueryMetrics) -> f64| {
            if n == 0 {
                0.0
            } else {
                per_query.iter().map(f).sum::<f64>() / n as f64
            }
        };
        let success =
            |k: usize| mean(&|m| f64::from(u8::from(m.first_answer_rank.is_some_and(|r| r <= k))));
        Summary {
            queries: n,
            recall_at_10: mean(&|m| m.recall_at_10),
            precision_at_10: mean(&|m| m.precision_at_10),
            precision_at_1: mean(&|m| f64::from(u8::from(m.first_relevant_rank == Some(1)))),
            ndcg_at_10: mean(&|m| m.ndcg_at_10),
            success_at_1: success(1),
            success_at_3: success(3),
            success_at_5: success(5),
            success_at_10: success(10),
            mrr: mean(&|m| m.first_answer_rank.map_or(0.0, |r| 1.0 / r as f64)),
            map: mean(&|m| m.average_precision),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgements(pairs: &[(&str, u8)]) -> Judgements {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_ranking_scores_one() {
        let j = judgements(&[("a", 2), ("b", 1)]);
        let m = QueryMetrics::score(&ranked(&["a", "b", "c"]), &j);
        assert_eq!(m.recall_at_10, 1.0);
        assert!((m.ndcg_at_10 - 1.0).abs() < 1e-12);
        assert_eq!(m.first_answer_rank, Some(1));
        assert_eq!(m.average_precision, 1.0);
        assert!((m.precision_at_10 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn swapped_grades_lower_ndcg_by_the_elasticsearch_formula() {
        let j = judgements(&[("a", 2), ("b", 1)]);
        let m = QueryMetrics::score(&ranked(&["b", "a"]), &j);
        let dcg = 1.0 / 2f64.log2() + 3.0 / 3f64.log2();
        let idcg = 3.0 / 2f64.log2() + 1.0 / 3f64.log2();
        assert!((m.ndcg_at_10 - dcg / idcg).abs() < 1e-12);
        assert_eq!(m.first_answer_rank, Some(2));
    }

    #[test]
    fn relevant_documents_past_ten_do_not_count_for_recall() {
        let j = judgements(&[("k", 2)]);
        let list: Vec<String> = (0..11)
            .map(|i| if i == 10 { "k".into() } else { i.to_string() })
            .collect();
        let m = QueryMetrics::score(&list, &j);
        assert_eq!(m.recall_at_10, 0.0);
        assert_eq!(m.first_answer_rank, Some(11));
    }

    #[test]
    fn summary_averages_success_rates() {
        let a = QueryMetrics {
            first_answer_rank: Some(1),
            ..Default::default()
        };
        let b = QueryMetrics {
            first_answer_rank: Some(4),
            ..Default::default()
        };
        let s = Summary::of(&[a, b]);
        assert_eq!(s.success_at_1, 0.5);
        assert_eq!(s.success_at_3, 0.5);
        assert_eq!(s.success_at_5, 1.0);
        assert!((s.mrr - (1.0 + 0.25) / 2.0).abs() < 1e-12);
    }
}
