//! What the engine remembers between one resident's messages: the choices
//! last offered, so that a resident may answer 「2」 or repeat a choice's
//! words instead of tapping it. Conversations are forgotten after an idle
//! time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Choice, ChoiceValue, Decision, Explanation};
use crate::text::normalize;

/// The state of one conversation.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// The choices offered by the last reply, in order.
    pub offered: Vec<Choice>,
    /// The entry last answered, for questions that refer back to it.
    pub last_answer: Option<String>,
    /// The candidates of the last question searched, best first: offered
    /// again when an answer did not help.
    pub candidates: Vec<String>,
}

impl Conversation {
    /// Takes in the reply just given (and its explanation, when the engine
    /// searched).
    pub fn record(&mut self, decision: &Decision, explanation: Option<&Explanation>) {
        self.offered = decision.choices().to_vec();
        match decision {
            Decision::Answer(answer) => self.last_answer = Some(answer.id.clone()),
            Decision::Fallback { .. } => self.last_answer = None,
            _ => {}
        }
        if let Some(explanation) = explanation.filter(|e| !e.candidates.is_empty()) {
            self.candidates = explanation
                .candidates
                .iter()
                .map(|c| c.id.clone())
                .collect();
        }
    }

    /// The choice a message picks: its number (「2」, 「２番」) or its label.
    pub fn pick(&self, message: &str) -> Option<ChoiceValue> {
        let message = normalize(message);
        let message = message.trim().trim_end_matches('番');
        if let Ok(number) = message.parse::<usize>() {
            return number
                .checked_sub(1)
                .and_then(|i| self.offered.get(i))
                .map(|c| c.value.clone());
        }
        self.offered
            .iter()
            .find(|c| normalize(&c.label) == message)
            .map(|c| c.value.clone())
    }
}

/// Conversations by a key each channel chooses (a pseudonymous user id).
pub struct Conversations {
    idle: Duration,
    inner: Mutex<HashMap<String, (Instant, Conversation)>>,
}

/// Prune expired conversations whenever the map has grown by this many.
const PRUNE_EVERY: usize = 1024;

impl Conversations {
    /// Conversations forgotten after `idle` without a message.
    pub fn new(idle: Duration) -> Conversations {
        Conversations {
            idle,
            inner: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Conversation)>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The conversation under `key`, if it has not expired.
    pub fn get(&self, key: &str) -> Option<Conversation> {
        let map = self.lock();
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.idle)
            .map(|(_, conversation)| conversation.clone())
    }

    /// Stores the conversation under `key`, restarting its idle time.
    pub fn put(&self, key: &str, conversation: Conversation) {
        let mut map = self.lock();
        map.insert(key.to_string(), (Instant::now(), conversation));
        if map.len().is_multiple_of(PRUNE_EVERY) {
            let idle = self.idle;
            map.retain(|_, (at, _)| at.elapsed() < idle);
        }
    }

    /// Forgets the conversation under `key`.
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered() -> Conversation {
        Conversation {
            last_answer: None,
            candidates: Vec::new(),
            offered: vec![
                Choice {
                    value: ChoiceValue::Entry("a".into()),
                    label: "住民票の写しを取りたい".into(),
                },
                Choice {
                    value: ChoiceValue::Category("税金".into()),
                    label: "税金".into(),
                },
            ],
        }
    }

    #[test]
    fn a_number_or_a_label_picks_a_choice() {
        let conversation = offered();
        assert_eq!(conversation.pick("1"), Some(ChoiceValue::Entry("a".into())));
        assert_eq!(
            conversation.pick("２番"),
            Some(ChoiceValue::Category("税金".into()))
        );
        assert_eq!(
            conversation.pick(" 税金 "),
            Some(ChoiceValue::Category("税金".into()))
        );
        assert_eq!(conversation.pick("3"), None);
        assert_eq!(conversation.pick("0"), None);
        assert_eq!(conversation.pick("税金の払い方"), None);
    }

    #[test]
    fn conversations_expire_and_can_be_forgotten() {
        let conversations = Conversations::new(Duration::from_millis(30));
        conversations.put("u1", offered());
        assert!(conversations.get("u1").is_some());
        conversations.forget("u1");
        assert!(conversations.get("u1").is_none());
        conversations.put("u2", offered());
        std::thread::sleep(Duration::from_millis(40));
        assert!(conversations.get("u2").is_none());
    }
}
