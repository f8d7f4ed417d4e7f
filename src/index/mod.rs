//! The search index over FAQ entries: tantivy with BM25 over several fields
//! (question words, their readings, character grams, keywords, answer), fed
//! by the text pipeline; candidates reranked by how closely the message
//! restates a question character by character; and, for content large
//! enough, spaces learnt from the content (topics, word vectors) that bring
//! up entries worded differently from the message.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use tantivy::columnar::Column;
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use crate::text::normalize::is_kanji;
use crate::text::{Analysis, Analyzer};

mod scoring;
mod semantic;
mod weights;
use scoring::{Bm25, WeightedTerm};
use semantic::{EntryWords, PretrainedSpace, TermCounts, TopicSpace, WordSpace};
pub use weights::Weights;

/// How many times a question's terms count against an answer's in the
/// topic space: questions say what an entry is about.
const QUESTION_EMPHASIS: f32 = 3.0;

/// The share of a word's weight counted when it is found in an entry's
/// answer but not in its questions.
const ANSWER_ONLY_CREDIT: f32 = 0.5;

/// Failures of the index itself.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0} segments where one was expected")]
    Segments(usize),
}

/// What gets indexed for one entry.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The caller's key for the entry (its position in the content).
    pub key: usize,
    /// The canonical question followed by its other phrasings.
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub answer: String,
    /// The heading the entry sits under (a topic file's category), searched
    /// like a keyword but in a field of its own, so that a long heading does
    /// not dilute the entry's own keywords.
    pub category: Option<String>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub key: usize,
    /// The BM25 score summed over the fields, with their weights.
    pub score: f32,
    /// Share (0–1) of the question's meaning, weighted by rarity, that this
    /// entry's questions and keywords contain (words found only in the answer
    /// count half).
    pub coverage: f32,
    /// Share (0–1) of the entry's closest question, weighted by rarity,
    /// that the message contains: 1 when the message restates it.
    pub restated: f32,
    /// Cosine (−1–1) of the message and the entry in the topic space;
    /// `None` when the content is too small for one or the message has no
    /// word it knows.
    pub topic_closeness: Option<f32>,
    /// Cosine (−1–1) of the message and the entry's questions by word
    /// vectors; `None` as for `topic_closeness`.
    pub question_closeness: Option<f32>,
    /// Cosine (−1–1) of the message and the entry by the shipped word
    /// vectors; `None` when the message has no word they know.
    pub pretrained_closeness: Option<f32>,
    /// Cosine (0–1) of the character pairs of the message and of the
    /// entry's closest question.
    pub pair_closeness: f32,
    /// The question's words found in this entry's questions or keywords.
    pub matched: Vec<String>,
}

struct Fields {
    key: Field,
    question_words: Field,
    question_readings: Field,
    question_grams: Field,
    keywords: Field,
    category: Field,
    answer_words: Field,
    answer_grams: Field,
    /// The questions' character pairs: not searched, only their document
    /// frequencies are read, for [`Hit::pair_closeness`].
    question_chars: Field,
}

impl Fields {
    /// The fields whose statistics the scorer reads.
    fn searched(&self) -> [Field; 8] {
        [
            self.question_words,
            self.question_readings,
            self.question_grams,
            self.keywords,
            self.category,
            self.answer_words,
            self.answer_grams,
            self.question_chars,
        ]
    }
}

/// The words of an entry, for coverage and explanations.
#[derive(Default)]
struct EntryTerms {
    /// Words and readings of the questions and keywords.
    question_words: FxHashSet<String>,
    question_readings: FxHashSet<String>,
    answer_words: FxHashSet<String>,
    /// Each question's words with their readings.
    questions: Vec<Vec<(String, String)>>,
    /// Each question's character pairs (ids, sorted), and the length of
    /// their idf vector.
    question_pairs: Vec<(Vec<u32>, f32)>,
}

/// An immutable, in-memory index of FAQ entries; build a new one when the
/// content changes.
pub struct FaqIndex {
    analyzer: Arc<Analyzer>,
    weights: Weights,
    fields: Fields,
    bm25: Bm25,
    /// Single kanji in more than [`Weights::common_kanji`] of the entries'
    /// answers.
    common_kanji: FxHashSet<String>,
    /// The questions' character pairs.
    pairs: CharPairs,
    /// Each document's entry key.
    keys: Column<u64>,
    entry_terms: FxHashMap<usize, EntryTerms>,
    /// Inverse document frequency of every word of the questions.
    question_idf: FxHashMap<String, f32>,
    topics: Option<TopicSpace>,
    words: Option<WordSpace>,
    pretrained: Option<PretrainedSpace>,
}

impl FaqIndex {
    /// Indexes `documents` with `analyzer`.
    pub fn build(
        analyzer: Arc<Analyzer>,
        weights: Weights,
        documents: &[Document],
    ) -> Result<FaqIndex, IndexError> {
        let analysed = analyse_all(&analyzer, documents);
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        let mut entry_terms =
            FxHashMap::with_capacity_and_hasher(documents.len(), Default::default());
        let entry_words = || -> Vec<EntryWords> {
            documents
                .iter()
                .zip(&analysed)
                .map(|(document, entry)| entry.words(document.key))
                .collect()
        };
        let (topics, words, pretrained) = std::thread::scope(|scope| {
            let topics = scope.spawn(|| {
                let counts: Vec<(usize, TermCounts)> = documents
                    .iter()
                    .zip(&analysed)
                    .map(|(document, entry)| (document.key, entry.topic_counts()))
                    .collect();
                TopicSpace::build(&counts, weights.topic_dimensions)
            });
            let words = scope.spawn(|| WordSpace::build(&entry_words(), weights.word_dimensions));
            let pretrained = scope.spawn(|| {
                (weights.pretrained_closeness > 0.0)
                    .then(|| PretrainedSpace::build(&entry_words()))
                    .flatten()
            });
            for (document, entry) in documents.iter().zip(&analysed) {
                writer.add_document(entry.document(&fields, document.key))?;
                entry_terms.insert(document.key, entry.terms());
            }
            commit_as_one_segment(&index, writer)?;
            Ok::<_, IndexError>((
                joined_space("topic space", topics.join()),
                joined_space("word vectors", words.join()),
                joined_space("shipped word vectors", pretrained.join()),
            ))
        })?;
        let searcher = index.reader()?.searcher();
        let (bm25, keys) = match searcher.segment_readers() {
            [] => (Bm25::default(), Column::build_empty_column(0)),
            [segment] => (
                Bm25::open(segment, &fields.searched())?,
                segment.fast_fields().u64("key")?,
            ),
            segments => return Err(IndexError::Segments(segments.len())),
        };
        let common_kanji = common_kanji(&bm25, fields.answer_grams, weights.common_kanji);
        let mut pairs = CharPairs::new(&bm25, fields.question_chars);
        for (document, entry) in documents.iter().zip(&analysed) {
            if let Some(terms) = entry_terms.get_mut(&document.key) {
                terms.question_pairs = entry
                    .questions
                    .iter()
                    .map(|question| pairs.of_question(&bm25, &question.text))
                    .collect();
            }
        }
        let mut question_idf = FxHashMap::default();
        for terms in entry_terms.values() {
            for (word, _) in terms.questions.iter().flatten() {
                if !question_idf.contains_key(word) {
                    let idf = bm25.idf(&Term::from_field_text(fields.question_words, word));
                    question_idf.insert(word.clone(), idf);
                }
            }
        }
        Ok(FaqIndex {
            analyzer,
            weights,
            fields,
            bm25,
            common_kanji,
            pairs,
            keys,
            entry_terms,
            question_idf,
            topics,
            words,
            pretrained,
        })
    }

    /// The analyzer the index was built with.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// How many entries are indexed.
    pub fn len(&self) -> usize {
        self.entry_terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entry_terms.is_empty()
    }

    /// The best `limit` entries for `question`, best first: BM25 finds the
    /// candidates, which are then reranked by how much of the question
    /// they cover.
    pub fn search(&self, question: &str, limit: usize) -> Result<Vec<Hit>, IndexError> {
        self.search_analyzed(&self.analyzer.analyze(question), limit)
    }

    /// [`FaqIndex::search`] for a question already analysed by this index's
    /// analyzer.
    pub fn search_analyzed(
        &self,
        analysis: &Analysis,
        limit: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let mut terms = Vec::new();
        self.add_terms(analysis, 1.0, &mut terms);
        for narrower in self.analyzer.narrower_words(&analysis.text) {
            self.add_terms(narrower, self.weights.narrower, &mut terms);
        }
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let pool = limit.max(self.weights.rerank_depth);
        let top = scoring::top(&self.bm25.score(&terms)?, pool);
        let words = self.message_words(analysis);
        let topic = self
            .topics
            .as_ref()
            .and_then(|space| Some((space, space.locate(topic_terms_of(analysis))?)));
        let wording = self
            .words
            .as_ref()
            .and_then(|space| Some((space, space.locate(&analysis.words)?)));
        let pairs = self.pairs.of_message(&analysis.text);
        let outside = self
            .pretrained
            .as_ref()
            .and_then(|space| Some((space, space.locate(&analysis.words)?)));
        let mut hits = Vec::with_capacity(top.len());
        for (score, doc) in top {
            let key = self.keys.first(doc).unwrap_or_default() as usize;
            let coverage = self.coverage(key, &words);
            let worded = self.pair_closeness(key, &pairs);
            hits.push(Hit {
                key,
                score: score * (1.0 + self.weights.coverage * coverage),
                coverage,
                restated: 0.0,
                topic_closeness: topic
                    .as_ref()
                    .map(|(space, position)| space.similarity(position, key)),
                question_closeness: wording
                    .as_ref()
                    .map(|(space, position)| space.similarity(position, key)),
                pretrained_closeness: outside
                    .as_ref()
                    .map(|(space, position)| space.similarity(position, key)),
                pair_closeness: worded,
                matched: Vec::new(),
            });
        }
        // Closeness counts in units of the best score, so it weighs the
        // same whatever the scale of the BM25 scores.
        let best = hits.iter().map(|hit| hit.score).fold(0.0, f32::max);
        for hit in &mut hits {
            hit.score += best
                * (self.weights.topic_closeness * hit.topic_closeness.unwrap_or(0.0)
                    + self.weights.question_closeness * hit.question_closeness.unwrap_or(0.0)
                    + self.weights.pretrained_closeness * hit.pretrained_closeness.unwrap_or(0.0)
                    + self.weights.pair_closeness * hit.pair_closeness);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        // What only the kept hits need.
        let said = MessageTerms::of(analysis);
        for hit in &mut hits {
            hit.restated = self.restated(hit.key, &said);
            hit.matched = self.matched(hit.key, &words);
        }
        Ok(hits)
    }

    /// Adds the terms `analysis` is searched by, their boosts scaled by
    /// `scale`.
    fn add_terms<'a>(&'a self, analysis: &Analysis, scale: f32, terms: &mut Vec<WeightedTerm<'a>>) {
        let w = &self.weights;
        let f = &self.fields;
        let words = unique(analysis.words.iter().chain(&analysis.compounds));
        for word in &words {
            self.push_term(terms, f.question_words, word, w.question_words * scale);
            self.push_term(terms, f.keywords, word, w.keywords * scale);
            self.push_term(terms, f.category, word, w.keywords * scale);
            self.push_term(terms, f.answer_words, word, w.answer_words * scale);
        }
        for reading in unique(&analysis.readings) {
            self.push_term(
                terms,
                f.question_readings,
                reading,
                w.question_readings * scale,
            );
        }
        for gram in unique(&analysis.grams) {
            if self.common_kanji.contains(gram) {
                continue;
            }
            self.push_term(terms, f.question_grams, gram, w.question_grams * scale);
            self.push_term(terms, f.answer_grams, gram, w.answer_grams * scale);
        }
    }

    /// Adds a search for `text` in `field`, unless no entry has it there.
    fn push_term<'a>(
        &'a self,
        terms: &mut Vec<WeightedTerm<'a>>,
        field: Field,
        text: &str,
        boost: f32,
    ) {
        if boost <= 0.0 {
            return;
        }
        if let Some(term) = self.bm25.weigh(&Term::from_field_text(field, text), boost) {
            terms.push(term);
        }
    }

    /// The message's distinct words, each with its reading and its inverse
    /// document frequency in the questions: worked out once per search, not
    /// once per candidate.
    fn message_words<'a>(&'a self, analysis: &'a Analysis) -> Vec<MessageWord<'a>> {
        let mut seen = FxHashSet::default();
        let mut words = Vec::new();
        for (word, reading) in analysis.words.iter().zip(&analysis.readings) {
            if seen.insert(word) {
                // Words of the questions are in the table built with the
                // index; only the others need a term of their own.
                let idf = self.question_idf.get(word).copied().unwrap_or_else(|| {
                    self.bm25
                        .idf(&Term::from_field_text(self.fields.question_words, word))
                });
                let narrower = self.analyzer.narrower_of(word);
                words.push(MessageWord {
                    word,
                    reading,
                    idf,
                    narrower,
                });
            }
        }
        words
    }

    /// Cosine (0–1) of the message's and the entry's closest question's
    /// character pairs, weighted by idf.
    fn pair_closeness(&self, key: usize, message: &MessagePairs) -> f32 {
        let Some(terms) = self.entry_terms.get(&key) else {
            return 0.0;
        };
        if message.length <= 0.0 {
            return 0.0;
        }
        terms
            .question_pairs
            .iter()
            .filter(|(_, length)| *length > 0.0)
            .map(|(question, length)| {
                let shared = self.pairs.shared_weight(&message.ids, question);
                shared / (message.length * length)
            })
            .fold(0.0, f32::max)
    }

    /// How much (0–1) of the entry's closest question, weighted by rarity,
    /// the message contains.
    fn restated(&self, key: usize, said: &MessageTerms) -> f32 {
        let Some(terms) = self.entry_terms.get(&key) else {
            return 0.0;
        };
        terms
            .questions
            .iter()
            .map(|question| {
                let (mut matched, mut total) = (0.0, 0.0);
                for (word, reading) in question {
                    let weight = self.question_idf.get(word).copied().unwrap_or(0.0);
                    total += weight;
                    if said.words.contains(word) || said.readings.contains(reading) {
                        matched += weight;
                    }
                }
                if total > 0.0 { matched / total } else { 0.0 }
            })
            .fold(0.0, f32::max)
    }

    /// Share (0–1) of the message's words, weighted by `idf`, found in the
    /// entry (see [`Hit::coverage`]).
    fn coverage(&self, key: usize, words: &[MessageWord]) -> f32 {
        let Some(terms) = self.entry_terms.get(&key) else {
            return 0.0;
        };
        let (mut matched, mut total) = (0.0, 0.0);
        for w in words {
            total += w.idf;
            matched += w.idf * self.credit(terms, w);
        }
        if total > 0.0 { matched / total } else { 0.0 }
    }

    /// How much a message word counts as found in an entry (see
    /// [`EntryTerms::credit`]); a broad word not found counts as found in
    /// part ([`Weights::narrower`]) where one of its narrower words is in
    /// the entry's questions or keywords.
    fn credit(&self, terms: &EntryTerms, word: &MessageWord) -> f32 {
        let credit = terms.credit(word.word, word.reading);
        if credit >= 1.0 || word.narrower.is_empty() {
            return credit;
        }
        let narrower_found = word
            .narrower
            .iter()
            .flat_map(|n| n.words.iter().zip(&n.readings))
            .any(|(w, r)| terms.credit(w, r) >= 1.0);
        if narrower_found {
            credit.max(self.weights.narrower)
        } else {
            credit
        }
    }

    /// The message's words found in the entry.
    fn matched(&self, key: usize, words: &[MessageWord]) -> Vec<String> {
        let Some(terms) = self.entry_terms.get(&key) else {
            return Vec::new();
        };
        words
            .iter()
            .filter(|w| self.credit(terms, w) > 0.0)
            .map(|w| w.word.clone())
            .collect()
    }
}

/// A message's words (with compounds) and readings, as sets: built once per
/// search for the hits kept.
struct MessageTerms<'a> {
    words: FxHashSet<&'a String>,
    readings: FxHashSet<&'a String>,
}

impl<'a> MessageTerms<'a> {
    fn of(analysis: &'a Analysis) -> MessageTerms<'a> {
        MessageTerms {
            words: words_of(analysis).collect(),
            readings: analysis.readings.iter().collect(),
        }
    }
}

/// One distinct word of a message.
struct MessageWord<'a> {
    word: &'a String,
    reading: &'a String,
    idf: f32,
    /// The word's narrower words, when it is a broad one.
    narrower: &'a [Analysis],
}

impl EntryTerms {
    /// How much a word of the message counts as found in the entry: fully
    /// in its questions or keywords, [`ANSWER_ONLY_CREDIT`] in its answer
    /// only, else nothing.
    fn credit(&self, word: &String, reading: &String) -> f32 {
        if self.question_words.contains(word) || self.question_readings.contains(reading) {
            1.0
        } else if self.answer_words.contains(word) {
            ANSWER_ONLY_CREDIT
        } else {
            0.0
        }
    }
}

/// One entry's texts, analysed.
struct AnalysedEntry {
    questions: Vec<Analysis>,
    /// Each keyword's analysis and its whole canonical text.
    keywords: Vec<(Analysis, String)>,
    /// The category's analysis and its whole canonical text.
    category: Option<(Analysis, String)>,
    answer: Analysis,
}

impl AnalysedEntry {
    fn new(analyzer: &Analyzer, document: &Document) -> AnalysedEntry {
        AnalysedEntry {
            questions: document
                .questions
                .iter()
                .map(|question| analyzer.analyze(question))
                .collect(),
            keywords: document
                .keywords
                .iter()
                .map(|keyword| (analyzer.analyze(keyword), analyzer.canonical_text(keyword)))
                .collect(),
            category: document.category.as_ref().map(|category| {
                (
                    analyzer.analyze(category),
                    analyzer.canonical_text(category),
                )
            }),
            answer: analyzer.analyze(&document.answer),
        }
    }

    /// The entry as a tantivy document.
    fn document(&self, fields: &Fields, key: usize) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.key, key as u64);
        for question in &self.questions {
            add_terms(&mut doc, fields.question_words, words_of(question));
            add_terms(&mut doc, fields.question_readings, &question.readings);
            add_terms(&mut doc, fields.question_grams, &question.grams);
            add_terms(&mut doc, fields.question_chars, &char_pairs(&question.text));
        }
        for (keyword, whole) in &self.keywords {
            add_terms(
                &mut doc,
                fields.keywords,
                words_of(keyword).chain(std::iter::once(whole)),
            );
        }
        if let Some((category, whole)) = &self.category {
            add_terms(
                &mut doc,
                fields.category,
                words_of(category).chain(std::iter::once(whole)),
            );
        }
        add_terms(&mut doc, fields.answer_words, words_of(&self.answer));
        add_terms(&mut doc, fields.answer_grams, &self.answer.grams);
        doc
    }

    /// The entry's words, for coverage and explanations.
    fn terms(&self) -> EntryTerms {
        let mut terms = EntryTerms::default();
        for question in &self.questions {
            terms.question_words.extend(words_of(question).cloned());
            terms
                .question_readings
                .extend(question.readings.iter().cloned());
            terms.questions.push(
                question
                    .words
                    .iter()
                    .cloned()
                    .zip(question.readings.iter().cloned())
                    .collect(),
            );
        }
        for (keyword, whole) in self.keywords.iter().chain(&self.category) {
            terms.question_words.extend(words_of(keyword).cloned());
            terms.question_words.insert(whole.clone());
            terms
                .question_readings
                .extend(keyword.readings.iter().cloned());
        }
        terms.answer_words.extend(words_of(&self.answer).cloned());
        terms
    }

    /// The entry's words in text order, for word vectors.
    fn words(&self, key: usize) -> EntryWords<'_> {
        EntryWords {
            key,
            questions: self.questions.iter().map(|q| q.words.as_slice()).collect(),
            answer: &self.answer.words,
        }
    }

    /// The entry's terms as the topic space counts them.
    fn topic_counts(&self) -> TermCounts {
        let mut counts = TermCounts::default();
        let mut count = |terms: &Analysis, weight: f32| {
            for term in topic_terms_of(terms) {
                match counts.get_mut(term) {
                    Some(count) => *count += weight,
                    None => {
                        counts.insert(term.clone(), weight);
                    }
                }
            }
        };
        for question in &self.questions {
            count(question, QUESTION_EMPHASIS);
        }
        for (keyword, _) in self.keywords.iter().chain(&self.category) {
            count(keyword, QUESTION_EMPHASIS);
        }
        count(&self.answer, 1.0);
        counts
    }
}

/// A space built on its own thread. The spaces only refine the ranking: if
/// one could not be built, search goes on without it.
fn joined_space<T>(name: &str, joined: std::thread::Result<Option<T>>) -> Option<T> {
    joined.unwrap_or_else(|_| {
        tracing::error!(space = name, "building failed; searching without it");
        None
    })
}

/// Analyses every document, spread over the machine's cores.
fn analyse_all(analyzer: &Analyzer, documents: &[Document]) -> Vec<AnalysedEntry> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = documents.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = documents
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|document| AnalysedEntry::new(analyzer, document))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("analysis panicked"))
            .collect()
    })
}

/// Commits `writer`'s documents into `index` as its one segment, so that a
/// search reads each term's postings once. (The writer makes a new segment
/// each time its memory budget fills, for content far larger than a city's.)
fn commit_as_one_segment(index: &Index, mut writer: IndexWriter) -> Result<(), IndexError> {
    writer.commit()?;
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;
    Ok(())
}

/// Words and compounds of an analysis.
fn words_of(analysis: &Analysis) -> impl Iterator<Item = &String> {
    analysis.words.iter().chain(&analysis.compounds)
}

/// The terms an analysis contributes to the topic space.
fn topic_terms_of(analysis: &Analysis) -> impl Iterator<Item = &String> {
    words_of(analysis).chain(&analysis.grams)
}

/// The character pairs of the entries' questions, numbered, with their
/// idf: a candidate's questions are compared with a message by merging
/// sorted ids, not by hashing strings.
struct CharPairs {
    /// The questions' pairs in the index, for their document frequencies.
    field: Field,
    ids: FxHashMap<String, u32>,
    /// By id.
    idf: Vec<f32>,
    /// The idf of a pair no question has.
    unseen_idf: f32,
}

/// A message's known character pairs (ids, sorted) and the length of its
/// whole idf vector, unknown pairs included.
struct MessagePairs {
    ids: Vec<u32>,
    length: f32,
}

impl CharPairs {
    fn new(bm25: &Bm25, field: Field) -> CharPairs {
        CharPairs {
            field,
            ids: FxHashMap::default(),
            idf: Vec::new(),
            unseen_idf: bm25.idf(&Term::from_field_text(field, "")),
        }
    }

    /// A question's pairs, numbered as they are met (sorted ids), and the
    /// length of their idf vector.
    fn of_question(&mut self, bm25: &Bm25, text: &str) -> (Vec<u32>, f32) {
        let mut ids: Vec<u32> = char_pairs(text)
            .into_iter()
            .map(|pair| match self.ids.get(&pair) {
                Some(&id) => id,
                None => {
                    let id = self.idf.len() as u32;
                    self.idf
                        .push(bm25.idf(&Term::from_field_text(self.field, &pair)));
                    self.ids.insert(pair, id);
                    id
                }
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let length = self.length(&ids, 0);
        (ids, length)
    }

    fn of_message(&self, text: &str) -> MessagePairs {
        let (mut ids, mut unseen) = (Vec::new(), Vec::new());
        for pair in char_pairs(text) {
            match self.ids.get(&pair) {
                Some(&id) => ids.push(id),
                None => unseen.push(pair),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        unseen.sort_unstable();
        unseen.dedup();
        let length = self.length(&ids, unseen.len());
        MessagePairs { ids, length }
    }

    /// Length of the idf vector of `ids` and `unseen` pairs no question has.
    fn length(&self, ids: &[u32], unseen: usize) -> f32 {
        let known: f32 = ids.iter().map(|&id| self.idf[id as usize].powi(2)).sum();
        (known + unseen as f32 * self.unseen_idf.powi(2)).sqrt()
    }

    /// The summed squared idf of the pairs two sorted id lists share.
    fn shared_weight(&self, a: &[u32], b: &[u32]) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.idf[a[i] as usize].powi(2);
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}

/// Every pair of adjacent characters of `text` within runs of letters,
/// kana and kanji, particles and endings included: what the words leave
/// out (「どんな時」, 「ごみの日」) still counts.
fn char_pairs(text: &str) -> Vec<String> {
    let mut pairs = Vec::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if let Some(p) = previous {
                pairs.push([p, c].iter().collect());
            }
            previous = Some(c);
        } else {
            previous = None;
        }
    }
    pairs
}

/// The single kanji in more than `share` of the entries' answers.
fn common_kanji(bm25: &Bm25, answer_grams: Field, share: f32) -> FxHashSet<String> {
    let common = (f64::from(share) * bm25.documents() as f64) as u64;
    bm25.frequencies()
        .filter(|&(term, count)| term.field() == answer_grams && count > common)
        .filter_map(|(term, _)| term.value().as_str().map(str::to_string))
        .filter(|text| text.chars().count() == 1 && text.chars().all(is_kanji))
        .collect()
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let terms = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: builder.add_u64_field("key", FAST | STORED),
        question_words: builder.add_text_field("question_words", terms.clone()),
        question_readings: builder.add_text_field("question_readings", terms.clone()),
        question_grams: builder.add_text_field("question_grams", terms.clone()),
        keywords: builder.add_text_field("keywords", terms.clone()),
        category: builder.add_text_field("category", terms.clone()),
        answer_words: builder.add_text_field("answer_words", terms.clone()),
        answer_grams: builder.add_text_field("answer_grams", terms.clone()),
        question_chars: builder.add_text_field("question_chars", terms),
    };
    (builder.build(), fields)
}

/// Adds terms to a field as one whitespace-separated value (terms never
/// contain whitespace: the analyzer splits on it).
fn add_terms<'a>(
    doc: &mut TantivyDocument,
    field: Field,
    terms: impl IntoIterator<Item = &'a String>,
) {
    let joined = terms
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if !joined.is_empty() {
        doc.add_text(field, joined);
    }
}

fn unique<'a>(terms: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    let mut seen = FxHashSet::default();
    terms.into_iter().filter(|t| seen.insert(*t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_committed_in_parts_end_in_one_segment() {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for key in 0..3 {
            let mut document = TantivyDocument::default();
            document.add_u64(fields.key, key);
            writer.add_document(document).unwrap();
            writer.commit().unwrap();
        }
        assert_eq!(index.searchable_segment_ids().unwrap().len(), 3);

        commit_as_one_segment(&index, writer).unwrap();

        assert_eq!(index.searchable_segment_ids().unwrap().len(), 1);
        assert_eq!(index.reader().unwrap().searcher().num_docs(), 3);
    }

    #[test]
    fn pairs_of_characters_keep_what_the_words_leave_out() {
        assert_eq!(char_pairs("いつ？ごみ"), ["いつ", "ごみ"]);
        let analyzer = Arc::new(Analyzer::new(&Default::default()).unwrap());
        let questions = ["粗大ごみはどこに出せますか", "粗大ごみはいつ出せますか"];
        let documents: Vec<Document> = questions
            .iter()
            .enumerate()
            .map(|(key, question)| Document {
                key,
                questions: vec![question.to_string()],
                answer: "粗大ごみは予約して出してください。".into(),
                ..Document::default()
            })
            .collect();
        let index = FaqIndex::build(analyzer, Weights::default(), &documents).unwrap();
        let hits = index.search("粗大ごみを出せるのはいつ", 2).unwrap();
        assert_eq!(hits[0].key, 1, "{hits:?}");
        assert!(hits[0].pair_closeness > hits[1].pair_closeness, "{hits:?}");
    }

    #[test]
    fn a_broad_word_counts_as_found_in_part_where_a_narrower_one_is() {
        let lexicon = crate::text::Lexicon {
            synonyms: crate::text::lexicon::SynonymFile {
                broader: [("税金".to_string(), vec!["納税".to_string()])].into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let analyzer = Arc::new(Analyzer::new(&lexicon).unwrap());
        let documents = [Document {
            key: 0,
            questions: vec!["納税証明書がほしい".into()],
            answer: "税務課で取れます。".into(),
            ..Document::default()
        }];
        let index = FaqIndex::build(analyzer, Weights::default(), &documents).unwrap();
        let hit = &index.search("税金の証明書", 1).unwrap()[0];
        assert!(hit.matched.contains(&"税金".to_string()), "{hit:?}");
        let without = &index.search("所得の証明書", 1).unwrap()[0];
        assert!(hit.coverage > without.coverage, "{hit:?} {without:?}");
    }

    #[test]
    fn content_without_entries_finds_nothing() {
        let analyzer = Arc::new(Analyzer::new(&Default::default()).unwrap());
        let index = FaqIndex::build(analyzer, Weights::default(), &[]).unwrap();
        assert!(index.is_empty());
        assert!(index.search("住民票", 5).unwrap().is_empty());
    }
}
