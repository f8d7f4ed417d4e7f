//! BM25 over the whole index, term by term.
//!
//! A resident's message is searched as a hundred terms or more, over a few
//! thousand entries at most. tantivy's boolean query builds a scorer for
//! each term (its own BM25 table, its own decoded block) and merges them
//! entry by entry; here each term's postings are read block by block and
//! its scores added into one score per entry (a localgovFAQ question,
//! median: about 96 µs against 152 µs). The scores are tantivy's BM25, as
//! a test checks.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::{InvertedIndexReader, SegmentReader};
use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, TantivyError, Term};

/// BM25's term-frequency saturation, as tantivy sets it.
const K1: f32 = 1.2;
/// BM25's length normalisation, as tantivy sets it.
const B: f32 = 0.75;

/// The postings, field lengths and statistics of an index's one segment,
/// read once when the index is built; the default has no entries.
#[derive(Default)]
pub(super) struct Bm25 {
    /// Entries are never deleted from the index, so document ids run from
    /// 0 to this.
    documents: DocId,
    fields: FxHashMap<Field, ScoredField>,
    terms: FxHashMap<Term, TermInfo>,
}

/// One searched field.
struct ScoredField {
    postings: Arc<InvertedIndexReader>,
    lengths: FieldNormReader,
    /// `k1 × (1 − b + b × length / average length)` for each of tantivy's
    /// encoded field lengths.
    length_factors: Box<[f32; 256]>,
}

/// A term of a search, found in the index, with its weight:
/// boost × idf × (1 + k1).
pub(super) struct WeightedTerm<'a> {
    field: &'a ScoredField,
    info: &'a TermInfo,
    weight: f32,
}

impl Bm25 {
    /// Reads `fields` of `segment`, the index's only segment.
    pub(super) fn open(segment: &SegmentReader, fields: &[Field]) -> Result<Bm25, TantivyError> {
        let documents = segment.max_doc();
        let mut scored = FxHashMap::default();
        let mut terms = FxHashMap::default();
        for &field in fields {
            let postings = segment.inverted_index(field)?;
            let average = postings.total_num_tokens() as f32 / documents.max(1) as f32;
            let mut stream = postings.terms().stream()?;
            while stream.advance() {
                if let Ok(text) = std::str::from_utf8(stream.key()) {
                    terms.insert(Term::from_field_text(field, text), stream.value().clone());
                }
            }
            let length_factors = Box::new(std::array::from_fn(|id| {
                let length = FieldNormReader::id_to_fieldnorm(id as u8) as f32;
                K1 * (1.0 - B + B * length / average)
            }));
            let lengths = segment.get_fieldnorms_reader(field)?;
            scored.insert(
                field,
                ScoredField {
                    postings,
                    lengths,
                    length_factors,
                },
            );
        }
        Ok(Bm25 {
            documents,
            fields: scored,
            terms,
        })
    }

    /// How many entries are indexed.
    pub(super) fn documents(&self) -> u64 {
        u64::from(self.documents)
    }

    /// How many entries have `term`.
    pub(super) fn frequency(&self, term: &Term) -> u64 {
        self.terms
            .get(term)
            .map_or(0, |info| u64::from(info.doc_freq))
    }

    /// Every indexed term with the number of entries that have it.
    pub(super) fn frequencies(&self) -> impl Iterator<Item = (&Term, u64)> {
        self.terms
            .iter()
            .map(|(term, info)| (term, u64::from(info.doc_freq)))
    }

    /// BM25's inverse document frequency of `term`.
    pub(super) fn idf(&self, term: &Term) -> f32 {
        idf(self.frequency(term), self.documents())
    }

    /// `term` weighted by `boost`; `None` when no entry has it.
    pub(super) fn weigh(&self, term: &Term, boost: f32) -> Option<WeightedTerm<'_>> {
        let info = self.terms.get(term)?;
        let idf = idf(u64::from(info.doc_freq), self.documents());
        Some(WeightedTerm {
            field: self.fields.get(&term.field())?,
            info,
            weight: idf * (1.0 + K1) * boost,
        })
    }

    /// Each entry's score (by document id) for `terms`: the sum of their
    /// weighted BM25 scores, 0 for an entry with none of them.
    pub(super) fn score(&self, terms: &[WeightedTerm]) -> Result<Vec<f32>, TantivyError> {
        let mut scores = vec![0.0; self.documents as usize];
        let mut block: Option<BlockSegmentPostings> = None;
        for term in terms {
            let field = term.field;
            let postings =
                match &mut block {
                    Some(postings) => {
                        field
                            .postings
                            .reset_block_postings_from_terminfo(term.info, postings)?;
                        postings
                    }
                    None => block.insert(field.postings.read_block_postings_from_terminfo(
                        term.info,
                        IndexRecordOption::WithFreqs,
                    )?),
                };
            while !postings.docs().is_empty() {
                for (&doc, &frequency) in postings.docs().iter().zip(postings.freqs()) {
                    let frequency = frequency as f32;
                    let length = field.length_factors[usize::from(field.lengths.fieldnorm_id(doc))];
                    scores[doc as usize] += term.weight * (frequency / (frequency + length));
                }
                postings.advance();
            }
        }
        Ok(scores)
    }
}

/// The `limit` best-scored documents with a score, best first; ties go to
/// the lower document id.
pub(super) fn top(scores: &[f32], limit: usize) -> Vec<(f32, DocId)> {
    let mut scored: Vec<(f32, DocId)> = scores
        .iter()
        .enumerate()
        .filter(|&(_, &score)| score > 0.0)
        .map(|(doc, &score)| (score, doc as DocId))
        .collect();
    let order = |a: &(f32, DocId), b: &(f32, DocId)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit, order);
        scored.truncate(limit);
    }
    scored.sort_unstable_by(order);
    scored
}

/// BM25's inverse document frequency, as tantivy works it out.
fn idf(frequency: u64, documents: u64) -> f32 {
    let x = (documents.saturating_sub(frequency) as f32 + 0.5) / (frequency as f32 + 0.5);
    (1.0 + x).ln()
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    /// Our scores are those tantivy gives the same search as a boolean
    /// query of boosted term queries, also for terms whose postings take
    /// several blocks (128 entries each).
    #[test]
    fn scores_are_tantivys_bm25() {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let texts = [
            (
                "juminhyo copy",
                "get a juminhyo copy at a convenience store store",
            ),
            ("moving", "moving in or out needs a juminhyo"),
            ("tax", "pay the tax at the convenience store"),
            ("garbage", "put out garbage on monday"),
            (
                "juminhyo juminhyo",
                "a long body about many things and a juminhyo",
            ),
        ];
        let filler: Vec<(String, String)> = (0..300)
            .map(|n| {
                let words = "store ".repeat(1 + n % 3) + &"open ".repeat(n % 11);
                (format!("notice {n}"), words)
            })
            .collect();
        let all = texts
            .iter()
            .map(|&(t, b)| (t, b))
            .chain(filler.iter().map(|(t, b)| (t.as_str(), b.as_str())));
        for (t, b) in all {
            let mut doc = TantivyDocument::default();
            doc.add_text(title, t);
            doc.add_text(body, b);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let bm25 = Bm25::open(searcher.segment_reader(0), &[title, body]).unwrap();
        let searched = [
            (Term::from_field_text(title, "juminhyo"), 3.0),
            (Term::from_field_text(body, "juminhyo"), 1.5),
            (Term::from_field_text(body, "store"), 2.0),
            (Term::from_field_text(body, "convenience"), 1.0),
            (Term::from_field_text(body, "absent"), 1.0),
        ];

        let terms: Vec<_> = searched
            .iter()
            .filter_map(|(term, boost)| bm25.weigh(term, *boost))
            .collect();
        assert_eq!(terms.len(), 4, "the absent term is left out");
        let ours = bm25.score(&terms).unwrap();

        let clauses: Vec<(Occur, Box<dyn Query>)> = searched
            .iter()
            .map(|(term, boost)| {
                let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                let boosted: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(query), *boost));
                (Occur::Should, boosted)
            })
            .collect();
        let theirs = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(1000).order_by_score(),
            )
            .unwrap();

        assert_eq!(ours[3], 0.0, "the garbage entry matches nothing");
        assert_eq!(theirs.len(), 304);
        assert_eq!(ours.iter().filter(|&&score| score > 0.0).count(), 304);
        for (their_score, address) in theirs {
            let our_score = ours[address.doc_id as usize];
            assert!(
                (our_score - their_score).abs() < 1e-5 * their_score,
                "doc {}: {our_score} against tantivy's {their_score}",
                address.doc_id
            );
        }
    }

    #[test]
    fn top_keeps_the_best_with_ties_to_the_lower_document() {
        let scores = [0.0, 2.0, 5.0, 2.0, 0.0, 7.0, 1.0];
        assert_eq!(top(&scores, 3), vec![(7.0, 5), (5.0, 2), (2.0, 1)]);
        assert_eq!(
            top(&scores, 10).len(),
            5,
            "entries scoring 0 matched nothing"
        );
        assert!(top(&scores, 0).is_empty());
    }
}
