//! Residents who ask in another language: their questions are searched
//! against the entries' phrasings in that language (words lower-cased and
//! lightly stemmed; Chinese by characters), and every reply is given in
//! their language where the content has it, in Japanese with a note where
//! it does not.

use std::collections::HashMap;

use super::{Choice, ChoiceValue, Decision, Engine, entry_choice};
use crate::faq::Content;
use crate::i18n::Lang;

/// Share of a question's weight an entry's phrasing must match to answer.
const ANSWER_SHARE: f32 = 0.5;
/// Candidates within this share of the best are offered as choices.
const CLOSE_SHARE: f32 = 0.85;
/// Words that say nothing of the topic.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "i", "my", "me", "to", "of", "in", "on", "for", "is", "are", "do", "does",
    "can", "how", "what", "where", "when", "want", "please", "it", "and", "or", "o", "a", "as",
    "os", "de", "da", "do", "em", "para", "eu", "um", "uma", "como", "que", "quero", "ng", "sa",
    "ang", "ko", "paano", "tôi", "muốn", "làm", "thế", "nào", "ở", "đâu",
];

/// The phrasings of one language, as words.
#[derive(Default)]
struct LanguageIndex {
    /// Each phrasing: its entry's key and words.
    phrasings: Vec<(usize, Vec<String>)>,
    /// How rare each word is among the phrasings.
    idf: HashMap<String, f32>,
}

/// The content's phrasings by language.
#[derive(Default)]
pub(super) struct Languages {
    by_lang: HashMap<Lang, LanguageIndex>,
}

/// A question's words in `lang`.
fn words(lang: Lang, text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    let mut words = Vec::new();
    for piece in text.split(|c: char| !c.is_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        if lang == Lang::Zh {
            words.extend(piece.chars().filter(|c| !c.is_ascii()).map(String::from));
            let latin: String = piece.chars().filter(char::is_ascii).collect();
            if !latin.is_empty() {
                words.push(latin);
            }
            continue;
        }
        if STOPWORDS.contains(&piece) {
            continue;
        }
        words.push(stem(piece));
    }
    words
}

/// A light stem, so that forms of a word meet: plural and verb endings
/// and a final e off (certificates, certificate → certificat).
fn stem(word: &str) -> String {
    let length = word.chars().count();
    let mut stem = if let Some(base) = word.strip_suffix("ies").filter(|_| length > 4) {
        format!("{base}y")
    } else if let Some(base) = word.strip_suffix("ing").filter(|_| length > 5) {
        base.to_string()
    } else if let Some(base) = word.strip_suffix("ed").filter(|_| length > 4) {
        base.to_string()
    } else if let Some(base) = word
        .strip_suffix('s')
        .filter(|_| length > 3 && !word.ends_with("ss"))
    {
        base.to_string()
    } else {
        word.to_string()
    };
    if stem.chars().count() > 3 && stem.ends_with('e') {
        stem.pop();
    }
    stem
}

impl Languages {
    pub(super) fn build(content: &Content) -> Languages {
        let mut by_lang: HashMap<Lang, LanguageIndex> = HashMap::new();
        for (key, entry) in content.entries.iter().enumerate() {
            for (lang, phrasings) in &entry.phrasings_by_language {
                let index = by_lang.entry(*lang).or_default();
                for phrasing in phrasings {
                    index.phrasings.push((key, words(*lang, phrasing)));
                }
            }
        }
        for index in by_lang.values_mut() {
            let total = index.phrasings.len() as f32;
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, words) in &index.phrasings {
                let mut seen: Vec<&str> = words.iter().map(String::as_str).collect();
                seen.sort_unstable();
                seen.dedup();
                for word in seen {
                    *counts.entry(word).or_default() += 1;
                }
            }
            index.idf = counts
                .into_iter()
                .map(|(word, n)| (word.to_string(), (1.0 + total / n as f32).ln()))
                .collect();
        }
        Languages { by_lang }
    }

    /// Entries by the share of the question's weight their best phrasing
    /// matches, best first.
    fn search(&self, lang: Lang, question: &str) -> Vec<(usize, f32)> {
        let Some(index) = self.by_lang.get(&lang) else {
            return Vec::new();
        };
        let asked = words(lang, question);
        // A word no phrasing has weighs as much as the rarest.
        let unseen = index.idf.values().copied().fold(1.0, f32::max);
        let weight = |w: &String| index.idf.get(w).copied().unwrap_or(unseen);
        let total: f32 = asked.iter().map(weight).sum();
        if total == 0.0 {
            return Vec::new();
        }
        let mut best: HashMap<usize, f32> = HashMap::new();
        for (key, words) in &index.phrasings {
            let matched: f32 = asked.iter().filter(|w| words.contains(w)).map(weight).sum();
            let share = matched / total;
            let slot = best.entry(*key).or_default();
            *slot = slot.max(share);
        }
        let mut ranked: Vec<(usize, f32)> = best.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }
}

impl Engine {
    /// Decides how to reply to a question written in `lang`, answered in it.
    pub fn ask_in_language(&self, lang: Lang, question: &str) -> Decision {
        // The content's rules first (「hello」「thank you」「menu」), as for
        // Japanese.
        if let Some(rule) = self
            .rules
            .find(&self.index.analyzer().canonical_text(question))
        {
            return self.rule_decision(rule);
        }
        let ranked = self.languages.search(lang, question);
        let Some(&(best, share)) = ranked.first().filter(|(_, s)| *s >= ANSWER_SHARE) else {
            return self.fallback();
        };
        let close: Vec<usize> = ranked
            .iter()
            .take_while(|(_, s)| *s >= share * CLOSE_SHARE)
            .map(|(key, _)| *key)
            .take(self.policy.max_choices)
            .collect();
        if let [only] = close.as_slice()
            && let Some(decision) = self.answer(&self.content.entries[*only].id)
        {
            return decision;
        }
        let choices: Vec<Choice> = close
            .iter()
            .map(|key| entry_choice(&self.content.entries[*key]))
            .collect();
        if choices.is_empty() {
            return self
                .answer(&self.content.entries[best].id)
                .unwrap_or_else(|| self.fallback());
        }
        Decision::Choices {
            prompt: String::new(),
            choices,
        }
    }

    /// What the content's rule `id` replies, in `lang` where it is
    /// translated, else in Japanese.
    pub fn rule_reply(&self, id: &str, lang: Lang) -> Option<&str> {
        let rule = self.content.rules.rule(id)?;
        Some(rule.replies.get(&lang).unwrap_or(&rule.reply).trim_end())
    }

    /// A decision said in `lang`: answers in their translation (or in
    /// Japanese after a note), choices under their phrasing in `lang`, the
    /// fixed texts from the catalogue. Whether everything was translated.
    pub fn in_language(&self, decision: &mut Decision, lang: Lang) -> bool {
        if lang == Lang::Ja {
            return true;
        }
        let (ja, texts) = (Lang::Ja.bot(), lang.bot());
        let label = |choice: &mut Choice| match &choice.value {
            ChoiceValue::Entry(id) => {
                if let Some(said) = self
                    .content
                    .entry(id)
                    .and_then(|e| e.phrasings_by_language.get(&lang)?.first())
                {
                    choice.label = said.clone();
                }
            }
            ChoiceValue::More(_) => choice.label = texts.more.into(),
            ChoiceValue::Contact(_) if choice.label == ja.none_of_these => {
                choice.label = texts.none_of_these.into();
            }
            _ => {}
        };
        let (contact, links) = decision.contact_and_links();
        if let Some(contact) = contact
            && let Some(name) = self
                .content
                .departments
                .get(&contact.department_id)
                .and_then(|d| d.names.get(&lang))
        {
            contact.department = name.clone();
        }
        for link in links {
            if let Some(name) = self
                .content
                .procedures
                .get(&link.procedure_id)
                .and_then(|p| p.names.get(&lang))
            {
                link.title = name.clone();
            }
        }
        match decision {
            Decision::Answer(answer) => {
                let entry = self.content.entry(&answer.id);
                answer.related.iter_mut().for_each(label);
                if let Some(question) =
                    entry.and_then(|e| e.phrasings_by_language.get(&lang)?.first())
                {
                    answer.question = question.clone();
                }
                match entry.and_then(|e| e.answers.get(&lang)) {
                    Some(text) => {
                        answer.text = text.trim_end().to_string();
                        true
                    }
                    None => {
                        answer.text = format!("{}\n\n{}", texts.untranslated, answer.text);
                        false
                    }
                }
            }
            Decision::Choices { prompt, choices } => {
                *prompt = texts.choices_prompt.to_string();
                choices.iter_mut().for_each(label);
                true
            }
            Decision::Fallback { text, choices, .. } => {
                *text = texts.fallback.to_string();
                choices.iter_mut().for_each(label);
                true
            }
            Decision::Rule {
                rule,
                text,
                choices,
                ..
            } => {
                choices.iter_mut().for_each(label);
                match self
                    .content
                    .rules
                    .rule(rule)
                    .and_then(|r| r.replies.get(&lang))
                {
                    Some(reply) => {
                        *text = reply.trim_end().to_string();
                        true
                    }
                    None => {
                        *text = format!("{}\n\n{text}", texts.untranslated);
                        false
                    }
                }
            }
            Decision::Flow { text, .. } => {
                *text = format!("{}\n\n{text}", texts.untranslated);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowered_stemmed_and_chinese_goes_by_characters() {
        assert_eq!(
            words(Lang::En, "How do I get my Residence Certificates?"),
            words(Lang::En, "get residence certificate")
        );
        assert_eq!(words(Lang::En, "moving"), words(Lang::En, "move"));
        assert_eq!(words(Lang::Zh, "住民票"), ["住", "民", "票"]);
    }
}
