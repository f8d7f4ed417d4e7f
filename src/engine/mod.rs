//! The decision engine: explicit rules first, then search, then the policy
//! that turns scores into an answer, choices or a fallback. It knows nothing
//! of channels or HTTP.

mod conversation;
mod decision;
mod dialogue;
mod languages;
mod rules;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use conversation::{Conversation, Conversations};
pub use decision::{
    Answer, Candidate, Choice, ChoiceValue, Confidence, Contact, Decision, Explanation, Link,
};
use rules::RuleMatcher;

use crate::diagnostic::Diagnostics;
use crate::faq::{Content, Date, Entry, RuleAction};
use crate::i18n::Lang;
use crate::index::{Document, FaqIndex, Hit, IndexError, Weights};
use crate::text::{Analyzer, Lexicon, TextError};

/// What is happening in the city, as it bears on answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Situation {
    /// Disaster mode is on: disaster entries and flows rank first.
    pub disaster: bool,
}

/// When to answer, offer choices or fall back. Coverage is the share of the
/// question's meaning found in an entry's questions and keywords (0–1).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Answer outright when the best entry covers at least this much…
    pub answer_coverage: f32,
    /// …and the runner-up either scores below this share of the best
    /// score…
    pub runner_up_ratio: f32,
    /// …or covers at least this much less of the question, or the message
    /// restates at least this share of one of the best entry's questions
    /// and of none of the runner-up's.
    pub runner_up_coverage_gap: f32,
    pub restated: f32,
    /// Entries covering less than this are never offered.
    pub choice_coverage: f32,
    /// Entries scoring below this share of the best are not offered.
    pub choice_score_ratio: f32,
    /// At most this many choices.
    pub max_choices: usize,
    /// Coverage from which an answer counts as high confidence.
    pub high_confidence: f32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            answer_coverage: 0.6,
            runner_up_ratio: 0.85,
            runner_up_coverage_gap: 0.2,
            restated: 0.95,
            choice_coverage: 0.3,
            choice_score_ratio: 0.6,
            max_choices: 4,
            high_confidence: 0.85,
        }
    }
}

/// Failures to build an engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the content has errors:\n{0}")]
    Content(Diagnostics),
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Answers messages from one version of the content. Immutable: build a new
/// engine to change content, and share it between threads.
pub struct Engine {
    content: Arc<Content>,
    index: FaqIndex,
    rules: RuleMatcher,
    policy: Policy,
    flow_triggers: Vec<dialogue::FlowTrigger>,
    /// How often each entry was answered lately, from the query log: a
    /// category lists its most asked entries first.
    asked: std::sync::RwLock<HashMap<String, u64>>,
    /// The phone numbers the content publishes (digits only), which the
    /// query log leaves unmasked.
    public_numbers: Arc<[String]>,
    /// The entries' phrasings in other languages.
    languages: languages::Languages,
}

impl Engine {
    /// Loads the FAQ and dictionaries directories and builds an engine; the
    /// content's warnings come with it.
    pub fn load(
        faq_dir: &Path,
        dictionaries_dir: &Path,
        policy: Policy,
        weights: Weights,
    ) -> Result<(Engine, Diagnostics), EngineError> {
        let lexicon = Lexicon::load(dictionaries_dir);
        let content = Content::load(faq_dir);
        let (lexicon, (content, warnings)) = match (lexicon, content) {
            (Ok(lexicon), Ok(content)) => (lexicon, content),
            (lexicon, content) => {
                let mut all = Diagnostics::default();
                if let Err(d) = lexicon {
                    all.extend(d);
                }
                match content {
                    Err(d) => all.extend(d),
                    Ok((_, warnings)) => all.extend(warnings),
                }
                return Err(EngineError::Content(all));
            }
        };
        let analyzer = Arc::new(Analyzer::new(&lexicon)?);
        Ok((Engine::new(content, analyzer, policy, weights)?, warnings))
    }

    /// Builds an engine over loaded content.
    pub fn new(
        content: Content,
        analyzer: Arc<Analyzer>,
        policy: Policy,
        weights: Weights,
    ) -> Result<Engine, EngineError> {
        let documents: Vec<Document> = content
            .entries
            .iter()
            .enumerate()
            .map(|(key, entry)| Document {
                key,
                questions: std::iter::once(&entry.question)
                    .chain(&entry.phrasings)
                    .cloned()
                    .collect(),
                keywords: entry.keywords.clone(),
                answer: entry.answer.clone(),
                // Entries written under a heading often leave it out
                // (「どんなことができますか？」 under 「LINE公式アカウント」).
                category: entry.category.clone(),
            })
            .collect();
        let rules = RuleMatcher::new(&content.rules.rules, |phrase| {
            analyzer.canonical_text(phrase)
        });
        let index = FaqIndex::build(analyzer, weights, &documents)?;
        let mut public_numbers: Vec<String> = content
            .departments
            .values()
            .map(|d| d.phone.as_str())
            .chain(content.entries.iter().map(|e| e.answer.as_str()))
            .flat_map(crate::text::mask::published_numbers)
            .collect();
        public_numbers.sort();
        public_numbers.dedup();
        let mut engine = Engine {
            content: Arc::new(content),
            index,
            rules,
            policy,
            flow_triggers: Vec::new(),
            asked: Default::default(),
            public_numbers: public_numbers.into(),
            languages: Default::default(),
        };
        engine.languages = languages::Languages::build(&engine.content);
        engine.flow_triggers = engine.flow_triggers();
        Ok(engine)
    }

    /// Tells, at `at`, that the decision's counter is closed and when it
    /// opens next (in `lang`), and puts the procedures done without the counter (online,
    /// at a convenience store) first: the resident can act now instead of
    /// waiting. Counters without opening hours in
    /// departments.yaml are left as they are.
    pub fn note_office_hours(&self, decision: &mut Decision, at: jiff::Timestamp, lang: Lang) {
        let Some((contact, links)) = decision.contact_and_links_mut() else {
            return;
        };
        let Some(weekly) = self
            .content
            .departments
            .get(&contact.department_id)
            .and_then(|d| d.opening.as_ref()?.weekly().ok())
        else {
            return;
        };
        if let crate::hours::Status::Closed(next) =
            crate::hours::status(&weekly, &self.content.calendar(), at)
        {
            contact.notice = Some(crate::hours::closed_notice(next, lang));
            links.sort_by_key(|link| link.counter);
        }
    }

    /// The phone numbers the content publishes, digits only.
    pub fn public_numbers(&self) -> Arc<[String]> {
        self.public_numbers.clone()
    }

    /// The search index, for evaluation.
    pub fn index(&self) -> &FaqIndex {
        &self.index
    }

    /// The content this engine answers from.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Decides how to reply to `message`, today.
    pub fn ask(&self, message: &str) -> Result<(Decision, Explanation), EngineError> {
        self.ask_in(message, Date::today_in_japan(), Situation::default())
    }

    /// Decides how to reply to `message` on a given day (entries outside
    /// their validity dates are left out).
    pub fn ask_on(
        &self,
        message: &str,
        today: Date,
    ) -> Result<(Decision, Explanation), EngineError> {
        self.ask_in(message, today, Situation::default())
    }

    /// Decides how to reply to `message` on a given day, in a situation.
    pub fn ask_in(
        &self,
        message: &str,
        today: Date,
        situation: Situation,
    ) -> Result<(Decision, Explanation), EngineError> {
        let analysis = self.index.analyzer().analyze(message);
        let mut explanation = Explanation {
            normalized: analysis.text.clone(),
            ..Explanation::default()
        };
        if let Some(rule) = self.rules.find(&analysis.text) {
            explanation.reason = format!("rule `{}` matched the message", rule.id);
            return Ok((self.rule_decision(rule), explanation));
        }
        explanation.words = analysis.words.clone();
        if let Some((flow, phrase)) = self.flow_for(&analysis.words, situation)
            && let Some(step) = flow.start_step()
        {
            explanation.reason = format!(
                "flow `{}`: its trigger 「{phrase}」 says everything the message says",
                flow.id
            );
            return Ok((self.flow_step(flow, step), explanation));
        }
        let mut hits: Vec<Hit> = self
            .index
            .search_analyzed(&analysis, 10)?
            .into_iter()
            .filter(|hit| self.content.entries[hit.key].is_valid_on(today))
            .collect();
        let disaster_first = situation.disaster && self.put_disaster_entries_first(&mut hits);
        explanation.candidates = hits
            .iter()
            .map(|hit| Candidate {
                id: self.content.entries[hit.key].id.clone(),
                score: hit.score,
                coverage: hit.coverage,
                restated: hit.restated,
                topic_closeness: hit.topic_closeness,
                question_closeness: hit.question_closeness,
                pretrained_closeness: hit.pretrained_closeness,
                pair_closeness: hit.pair_closeness,
                matched: hit.matched.clone(),
            })
            .collect();
        let (decision, reason) = self.decide(&hits);
        explanation.reason = if disaster_first {
            format!("disaster mode put disaster entries first; {reason}")
        } else {
            reason
        };
        Ok((decision, explanation))
    }

    /// Moves the disaster entries among the close candidates (those that
    /// would be offered as choices) ahead of the others; whether any moved.
    fn put_disaster_entries_first(&self, hits: &mut [Hit]) -> bool {
        let Some(best) = hits.first() else {
            return false;
        };
        let least_score = best.score * self.policy.choice_score_ratio;
        let first_before = best.key;
        hits.sort_by_key(|hit| {
            let close = hit.coverage >= self.policy.choice_coverage && hit.score >= least_score;
            !(close && self.content.entries[hit.key].disaster)
        });
        hits[0].key != first_before
    }

    /// The answer of one entry, as when the resident picks it from choices;
    /// `None` for an entry outside its validity dates.
    pub fn answer(&self, id: &str) -> Option<Decision> {
        self.live_entry(id)
            .map(|entry| Decision::Answer(self.render_answer(entry, Confidence::High)))
    }

    /// The entry with this id if residents may see it today: every path
    /// that offers, relates or answers an entry by id goes through here.
    pub fn live_entry(&self, id: &str) -> Option<&Entry> {
        self.content
            .entry(id)
            .filter(|entry| entry.is_valid_on(Date::today_in_japan()))
    }

    /// The entries residents may see today, in file order.
    fn live_entries(&self) -> impl Iterator<Item = &Entry> {
        let today = Date::today_in_japan();
        self.content
            .entries
            .iter()
            .filter(move |entry| entry.is_valid_on(today))
    }

    /// Sets how often each entry was answered lately (from the query log).
    pub fn set_asked_counts(&self, counts: HashMap<String, u64>) {
        *self.asked.write().unwrap_or_else(|p| p.into_inner()) = counts;
    }

    /// How often each entry was answered lately.
    pub fn asked_counts(&self) -> HashMap<String, u64> {
        self.asked.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The entries of a category as choices: the most asked first, then in
    /// file order, one page at a time.
    pub fn category(&self, name: &str) -> Option<Decision> {
        self.category_page(name, 0)
    }

    fn category_page(&self, name: &str, page: usize) -> Option<Decision> {
        let asked = self.asked.read().unwrap_or_else(|p| p.into_inner());
        let mut entries: Vec<&Entry> = self
            .live_entries()
            .filter(|e| e.category.as_deref() == Some(name))
            .collect();
        // A stable sort keeps the file order among equals.
        entries.sort_by_key(|e| std::cmp::Reverse(asked.get(&e.id).copied().unwrap_or(0)));
        let choices: Vec<Choice> = entries.into_iter().map(entry_choice).collect();
        let choices = paged(choices, name, page)?;
        Some(Decision::Choices {
            prompt: crate::i18n::fill(Lang::Ja.bot().category_prompt, &[("name", name)]),
            choices,
        })
    }

    /// The category menu.
    /// What answers a shared location (the content's `location_answer`),
    /// as the choice of its entry; `None` when the content names none or
    /// the entry is not live today.
    pub fn location_answer(&self) -> Option<ChoiceValue> {
        let id = self.content.rules.location_answer.as_deref()?;
        self.live_entry(id)
            .map(|entry| ChoiceValue::Entry(entry.id.clone()))
    }

    pub fn menu(&self) -> Decision {
        Decision::Choices {
            prompt: self.content.rules.menu_prompt.clone(),
            choices: self.category_choices(0),
        }
    }

    /// What a 「もっと見る」 choice leads to.
    fn more(&self, id: &str) -> Option<Decision> {
        let (page, name) = id.split_once(':')?;
        let page = page.parse().ok()?;
        if name.is_empty() {
            let choices = self.category_choices(page);
            return (!choices.is_empty()).then(|| Decision::Choices {
                prompt: self.content.rules.menu_prompt.clone(),
                choices,
            });
        }
        self.category_page(name, page)
    }

    fn decide(&self, hits: &[Hit]) -> (Decision, String) {
        let policy = &self.policy;
        // Entries that cover too little of the message are not candidates,
        // however high BM25 puts them (a shared rare word is not the topic).
        let hits: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.coverage >= policy.choice_coverage)
            .collect();
        let Some(&best) = hits.first() else {
            return (
                self.fallback(),
                format!(
                    "no entry covers {:.0}% of the question",
                    policy.choice_coverage * 100.0
                ),
            );
        };
        let offered: Vec<&Hit> = hits
            .iter()
            .copied()
            .filter(|h| h.score >= best.score * policy.choice_score_ratio)
            .take(policy.max_choices)
            .collect();
        // A message that restates one of the best entry's questions, when
        // the runner-up's are not restated, is that entry's question.
        let restates_only_best = best.restated >= policy.restated
            && offered
                .get(1)
                .is_none_or(|second| second.restated < policy.restated);
        let runner_up_close = !restates_only_best
            && offered.get(1).is_some_and(|second| {
                second.score >= best.score * policy.runner_up_ratio
                    && second.coverage > best.coverage - policy.runner_up_coverage_gap
            });
        if best.coverage >= policy.answer_coverage && !runner_up_close {
            let confidence = if best.coverage >= policy.high_confidence {
                Confidence::High
            } else {
                Confidence::Medium
            };
            let entry = &self.content.entries[best.key];
            return (
                Decision::Answer(self.render_answer(entry, confidence)),
                format!(
                    "`{}` covers {:.0}% of the question and leads the runner-up clearly",
                    entry.id,
                    best.coverage * 100.0
                ),
            );
        }
        let reason = if runner_up_close {
            "the best entries score within a close margin of each other".to_string()
        } else {
            format!(
                "the best entry covers only {:.0}% of the question",
                best.coverage * 100.0
            )
        };
        // A list of one is no choice: the one candidate is the answer, said
        // with low confidence.
        if let [only] = offered.as_slice() {
            let entry = &self.content.entries[only.key];
            return (
                Decision::Answer(self.render_answer(entry, Confidence::Low)),
                format!("{reason}, and `{}` is the only candidate", entry.id),
            );
        }
        let choices = offered
            .iter()
            .map(|hit| entry_choice(&self.content.entries[hit.key]))
            .collect();
        (
            Decision::Choices {
                prompt: self.content.rules.choices_prompt.clone(),
                choices,
            },
            reason,
        )
    }

    fn render_answer(&self, entry: &Entry, confidence: Confidence) -> Answer {
        Answer {
            id: entry.id.clone(),
            question: entry.question.clone(),
            text: entry.answer.trim_end().to_string(),
            easy: entry.easy.as_ref().map(|e| e.trim_end().to_string()),
            links: entry
                .procedures
                .iter()
                .filter_map(|id| self.content.procedures.get(id))
                .map(Link::from)
                .collect(),
            contact: self.content.department_of(entry).map(Contact::from),
            confidence,
            related: entry
                .related
                .iter()
                .filter_map(|id| self.live_entry(id))
                .map(entry_choice)
                .collect(),
        }
    }

    /// The apology with the contact and the inquiry form.
    pub fn fallback(&self) -> Decision {
        let (contact, links) = self.escalation();
        Decision::Fallback {
            text: self.content.rules.fallback.message.trim_end().to_string(),
            contact,
            links,
            choices: Vec::new(),
        }
    }

    fn escalation(&self) -> (Option<Contact>, Vec<Link>) {
        let fallback = &self.content.rules.fallback;
        (
            self.content
                .departments
                .get(&fallback.department)
                .map(Contact::from),
            self.content
                .procedures
                .get(&fallback.inquiry_form)
                .map(Link::from)
                .into_iter()
                .collect(),
        )
    }

    fn rule_decision(&self, rule: &crate::faq::Rule) -> Decision {
        let (choices, (contact, links)) = match rule.action {
            RuleAction::Reply => (Vec::new(), (None, Vec::new())),
            RuleAction::Escalate => (Vec::new(), self.escalation()),
            RuleAction::Menu => (self.category_choices(0), (None, Vec::new())),
        };
        Decision::Rule {
            rule: rule.id.clone(),
            text: rule.reply.trim_end().to_string(),
            choices,
            contact,
            links,
        }
    }

    /// One page of the categories that have an entry residents may see
    /// today.
    fn category_choices(&self, page: usize) -> Vec<Choice> {
        let live: std::collections::HashSet<&str> = self
            .live_entries()
            .filter_map(|e| e.category.as_deref())
            .collect();
        let all = self
            .content
            .categories
            .iter()
            .filter(|name| live.contains(name.as_str()))
            .map(|name| Choice {
                value: ChoiceValue::Category(name.clone()),
                label: name.clone(),
            })
            .collect();
        paged(all, "", page).unwrap_or_default()
    }
}

/// Choices shown at once in a list; longer lists end with 「もっと見る」, so
/// that a page and its button fit LINE's quick replies with room to spare.
pub const PAGE_SIZE: usize = 12;

/// Page `page` (from 0) of `choices`, with a 「もっと見る」 choice when more
/// follow; `None` past the end.
fn paged(choices: Vec<Choice>, list: &str, page: usize) -> Option<Vec<Choice>> {
    let start = page.checked_mul(PAGE_SIZE)?;
    if start >= choices.len() {
        return None;
    }
    let more = choices.len() > start + PAGE_SIZE;
    let mut shown: Vec<Choice> = choices.into_iter().skip(start).take(PAGE_SIZE).collect();
    if more {
        shown.push(Choice {
            value: ChoiceValue::More(format!("{}:{list}", page + 1)),
            label: Lang::Ja.bot().more.into(),
        });
    }
    Some(shown)
}

fn entry_choice(entry: &Entry) -> Choice {
    Choice {
        value: ChoiceValue::Entry(entry.id.clone()),
        label: entry.question.clone(),
    }
}

/// The engine in service: shared read-only by every request, and replaced
/// whole when the content changes.
pub struct SharedEngine {
    current: std::sync::RwLock<Arc<Engine>>,
}

impl SharedEngine {
    pub fn new(engine: Engine) -> SharedEngine {
        SharedEngine {
            current: std::sync::RwLock::new(Arc::new(engine)),
        }
    }

    /// The engine to answer the next message with.
    pub fn get(&self) -> Arc<Engine> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in a new engine; requests in flight finish with the old one.
    /// The counts of asked entries carry over.
    pub fn replace(&self, engine: Engine) {
        engine.set_asked_counts(self.get().asked_counts());
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(engine);
    }
}
