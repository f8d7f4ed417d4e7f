//! The demo content answers residents' everyday phrasings: every paraphrase
//! in `faq/tests/paraphrases.yaml`, and the questions of
//! `faq/tests/residents.yaml`, is asked, and the pass rates are printed and
//! held above a floor.

mod common;

use madoguchi::engine::{ChoiceValue, Decision, Engine};
use madoguchi::eval::{self, Judged, QueryOutcome, Summary};

fn evaluate(engine: &Engine, file: &str) -> (Vec<Judged>, Summary, Vec<QueryOutcome>) {
    eval::paraphrases::evaluate(engine, &common::root().join("faq/tests").join(file))
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Decision level: how many residents get the right answer, how many see
/// it among the choices offered, and how many are answered with another
/// entry (the worst outcome: a confident wrong answer).
#[derive(Default)]
struct Decided {
    answered: usize,
    offered: usize,
    misanswered: usize,
}

fn decide_all(engine: &Engine, queries: &[Judged]) -> Decided {
    let mut decided = Decided::default();
    for query in queries {
        let expected = query.judgements.keys().next().expect("one expected id");
        match engine.ask(&query.text).expect("ask").0 {
            Decision::Answer(answer) if &answer.id == expected => decided.answered += 1,
            Decision::Answer(_) => decided.misanswered += 1,
            Decision::Choices { choices, .. }
                if choices
                    .iter()
                    .any(|c| c.value == ChoiceValue::Entry(expected.clone())) =>
            {
                decided.offered += 1
            }
            _ => {}
        }
    }
    decided
}

#[test]
fn paraphrases_find_their_entries() {
    let engine = common::demo_engine();
    let (queries, summary, outcomes) = evaluate(&engine, "paraphrases.yaml");
    let ids = engine.content().entries.len();
    let Decided {
        answered,
        offered,
        misanswered,
    } = decide_all(&engine, &queries);
    let n = queries.len() as f64;
    println!(
        "paraphrases: {} | top-1 {:.1}% | top-3 {:.1}% | answered {:.1}% | answered or offered {:.1}% | answered with another entry {:.1}%",
        queries.len(),
        summary.success_at_1 * 100.0,
        summary.success_at_3 * 100.0,
        answered as f64 / n * 100.0,
        (answered + offered) as f64 / n * 100.0,
        misanswered as f64 / n * 100.0,
    );
    for o in outcomes
        .iter()
        .filter(|o| o.metrics.first_answer_rank.is_none_or(|r| r > 3))
    {
        println!(
            "  not in top 3: {} → {:?}",
            o.text,
            o.ranked.iter().take(3).collect::<Vec<_>>()
        );
    }

    assert!(
        queries.len() >= 3 * ids,
        "at least three paraphrases per entry"
    );
    assert!(
        summary.success_at_1 >= 0.88,
        "top-1 {:.3}",
        summary.success_at_1
    );
    assert!(
        summary.success_at_3 >= 0.95,
        "top-3 {:.3}",
        summary.success_at_3
    );
    assert!(
        (answered + offered) as f64 / n >= 0.90,
        "answered or offered {}",
        answered + offered
    );
}

#[test]
fn residents_questions_written_apart_from_the_paraphrases_are_answered_on_topic() {
    // Written to check the engine, never to tune it (see the file's head).
    let engine = common::demo_engine();
    let (queries, summary, _) = evaluate(&engine, "residents.yaml");
    let Decided {
        answered,
        offered,
        misanswered,
    } = decide_all(&engine, &queries);
    println!(
        "residents: {} | top-1 {:.1}% | answered {answered} | offered {offered} | answered with another entry {misanswered}",
        queries.len(),
        summary.success_at_1 * 100.0,
    );
    // The engine issue's bar: 18 of 20 on topic.
    assert!(
        (answered + offered) * 20 >= queries.len() * 18,
        "answered {answered}, offered {offered} of {}",
        queries.len()
    );
}

#[test]
fn every_entry_has_three_paraphrases() {
    let engine = common::demo_engine();
    let (queries, _, _) = evaluate(&engine, "paraphrases.yaml");
    let entries = &engine.content().entries;
    for entry in entries {
        let count = queries
            .iter()
            .filter(|q| q.judgements.contains_key(&entry.id))
            .count();
        assert!(count >= 3, "entry {} has {count} paraphrases", entry.id);
    }
    assert!(
        entries.len() >= 80,
        "the demo has {} entries",
        entries.len()
    );
}
