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
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conversation {
    /// The choices offered by the last reply, in order.
    pub offered: Vec<Choice>,
    /// The entry last answered, for questions that refer back to it.
    pub last_answer: Option<String>,
    /// The candidates of the last question searched, best first: offered
    /// again when an answer did not help.
    pub candidates: Vec<String>,
    /// How often the resident said 「役に立たなかった」.
    #[serde(default)]
    pub unhelpful: u32,
    /// The resident asked for やさしい日本語.
    #[serde(default)]
    pub easy: bool,
    /// The resident asked for ふりがな.
    #[serde(default)]
    pub furigana: bool,
    /// The language the resident is answered in, once known.
    #[serde(default)]
    pub lang: Option<crate::i18n::Lang>,
    /// The last turns (masked message, what the bot did), oldest first:
    /// what staff see when the conversation is handed to them.
    #[serde(default)]
    pub recent: Vec<(String, String)>,
}

/// Turns kept in [`Conversation::recent`].
const RECENT_TURNS: usize = 6;

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

    /// Remembers a turn for a handover: the message (masked by the caller)
    /// and what the bot did.
    pub fn remember_turn(&mut self, message: String, decision: &Decision) {
        let did = match decision.answer_id() {
            Some(id) => format!("{}: {id}", decision.kind()),
            None => decision.kind().to_string(),
        };
        self.recent.push((message, did));
        if self.recent.len() > RECENT_TURNS {
            self.recent.remove(0);
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

/// Conversations by a key each channel chooses (a pseudonymous user id),
/// spread over shards so that residents rarely wait for each other's lock.
/// Expired conversations are pruned at most once per [`PRUNE_INTERVAL`] per
/// shard; past the capacity, the least recently active are forgotten first,
/// so a flood of new sessions cannot grow memory without bound.
pub struct Conversations {
    idle: Duration,
    shard_capacity: usize,
    shards: Vec<Mutex<Shard>>,
}

/// Shards of the conversation map.
const SHARDS: usize = 16;
/// How often a shard is swept for expired conversations.
const PRUNE_INTERVAL: Duration = Duration::from_secs(1);

struct Shard {
    map: HashMap<String, (Instant, Conversation)>,
    next_prune: Instant,
}

impl Conversations {
    /// Conversations forgotten after `idle` without a message; at most
    /// about `capacity` kept at once.
    pub fn new(idle: Duration, capacity: usize) -> Conversations {
        Conversations {
            idle,
            shard_capacity: capacity.div_ceil(SHARDS).max(1),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        map: HashMap::new(),
                        next_prune: Instant::now() + PRUNE_INTERVAL,
                    })
                })
                .collect(),
        }
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, Shard> {
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let index = std::hash::Hasher::finish(&hasher) as usize % SHARDS;
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The conversation under `key`, if it has not expired.
    pub fn get(&self, key: &str) -> Option<Conversation> {
        let shard = self.shard(key);
        shard
            .map
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.idle)
            .map(|(_, conversation)| conversation.clone())
    }

    /// Stores the conversation under `key`, restarting its idle time.
    pub fn put(&self, key: &str, conversation: Conversation) {
        let mut shard = self.shard(key);
        let now = Instant::now();
        shard.map.insert(key.to_string(), (now, conversation));
        if now >= shard.next_prune || shard.map.len() > self.shard_capacity {
            shard.next_prune = now + PRUNE_INTERVAL;
            let idle = self.idle;
            shard
                .map
                .retain(|_, (at, _)| now.duration_since(*at) < idle);
            if shard.map.len() > self.shard_capacity {
                // Keep the most recently active nine tenths of the capacity,
                // so that eviction is not needed again at once.
                let keep = self.shard_capacity - self.shard_capacity / 10;
                let mut times: Vec<Instant> = shard.map.values().map(|(at, _)| *at).collect();
                let cut = times.len() - keep;
                let (_, &mut oldest_kept, _) = times.select_nth_unstable(cut);
                shard.map.retain(|_, (at, _)| *at >= oldest_kept);
            }
        }
    }

    /// Forgets the conversation under `key`.
    pub fn forget(&self, key: &str) {
        self.shard(key).map.remove(key);
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
            ..Conversation::default()
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
        let conversations = Conversations::new(Duration::from_millis(30), 100);
        conversations.put("u1", offered());
        assert!(conversations.get("u1").is_some());
        conversations.forget("u1");
        assert!(conversations.get("u1").is_none());
        conversations.put("u2", offered());
        std::thread::sleep(Duration::from_millis(40));
        assert!(conversations.get("u2").is_none());
    }

    #[test]
    fn past_the_capacity_the_least_recently_active_are_forgotten() {
        let conversations = Conversations::new(Duration::from_secs(3600), 160);
        conversations.put("first", offered());
        for i in 0..2_000 {
            conversations.put(&format!("user{i}"), offered());
        }
        let kept = (0..2_000)
            .filter(|i| conversations.get(&format!("user{i}")).is_some())
            .count();
        assert!((100..=160).contains(&kept), "{kept} kept");
        assert!(conversations.get("first").is_none());
        assert!(conversations.get("user1999").is_some());
    }
}
