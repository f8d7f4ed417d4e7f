//! Webhook bodies as LINE sends them. Only the fields the bot reads are
//! declared; unknown fields and event types are accepted and passed over.

use serde::{Deserialize, Serialize};

use crate::engine::ChoiceValue;

/// A webhook request: zero or more events (zero when LINE verifies the
/// URL), each kept as it came, to be read as an [`Event`] and queued whole.
#[derive(Debug, Deserialize)]
pub struct WebhookBody {
    pub events: Vec<Box<serde_json::value::RawValue>>,
}

/// One webhook event.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    /// Unique per event, the same when LINE delivers it again.
    pub webhook_event_id: Option<String>,
    /// `standby` when another channel answers this chat.
    pub mode: Option<String>,
    pub source: Option<Source>,
    pub reply_token: Option<String>,
    pub message: Option<Message>,
    pub postback: Option<Postback>,
    /// What an `unsend` event takes back.
    pub unsend: Option<Unsend>,
}

/// The message an `unsend` event takes back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unsend {
    pub message_id: String,
}

/// Where an event comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `user`, `group` or `room`.
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub room_id: Option<String>,
}

impl Source {
    /// The chat to reply in: the user, group or room.
    pub fn chat_id(&self) -> Option<&str> {
        match self.kind.as_str() {
            "group" => self.group_id.as_deref(),
            "room" => self.room_id.as_deref(),
            _ => self.user_id.as_deref(),
        }
    }

    /// Whether this is a one-to-one chat with a user.
    pub fn is_user(&self) -> bool {
        self.kind == "user"
    }
}

/// A message event's message.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    /// `text`, `sticker`, `image`, `location`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The message's id, which an `unsend` event names.
    pub id: Option<String>,
    pub text: Option<String>,
    pub mention: Option<Mention>,
    /// Where a location message was sent from (degrees).
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Mentions in a text message.
#[derive(Debug, Clone, Deserialize)]
pub struct Mention {
    #[serde(default)]
    pub mentionees: Vec<Mentionee>,
}

/// One mention: where it is in the text, and whether it names this bot.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mentionee {
    pub index: usize,
    pub length: usize,
    #[serde(default)]
    pub is_self: bool,
}

impl Message {
    /// Whether the message mentions this bot.
    pub fn mentions_bot(&self) -> bool {
        self.mention
            .as_ref()
            .is_some_and(|m| m.mentionees.iter().any(|m| m.is_self))
    }

    /// The text without the mentions of this bot. LINE counts `index` and
    /// `length` in UTF-16 code units.
    pub fn text_without_self_mentions(&self) -> String {
        let text = self.text.as_deref().unwrap_or_default();
        let Some(mention) = &self.mention else {
            return text.to_string();
        };
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut keep = vec![true; units.len()];
        for mentionee in mention.mentionees.iter().filter(|m| m.is_self) {
            let end = (mentionee.index + mentionee.length).min(units.len());
            for unit in keep.iter_mut().take(end).skip(mentionee.index) {
                *unit = false;
            }
        }
        let kept: Vec<u16> = units
            .into_iter()
            .zip(keep)
            .filter_map(|(unit, keep)| keep.then_some(unit))
            .collect();
        String::from_utf16_lossy(&kept).trim().to_string()
    }
}

/// A postback event's payload.
#[derive(Debug, Clone, Deserialize)]
pub struct Postback {
    pub data: String,
}

/// What the bot puts in a postback action's `data` (at most 300
/// characters), and reads back when it is tapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostbackData {
    /// A choice was picked.
    Choice(ChoiceValue),
    /// 「役に立ちましたか？」 was answered for a reply.
    Vote { reply: String, helpful: bool },
    /// A rich menu tab switched to this menu (LINE switched it already).
    MenuSwitch(String),
}

impl PostbackData {
    /// The data string.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// Reads a data string; `None` if the bot did not write it.
    pub fn decode(data: &str) -> Option<PostbackData> {
        serde_json::from_str(data).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_event_types_parse() {
        let body: WebhookBody = serde_json::from_str(
            r#"{"destination":"Uxx","events":[
                {"type":"membersJoined","timestamp":1,"joined":{"members":[]},"newField":{"a":1}},
                {"type":"message","mode":"active","webhookEventId":"01H","deliveryContext":{"isRedelivery":true},
                 "source":{"type":"user","userId":"U1"},"replyToken":"t",
                 "message":{"type":"text","id":"1","quoteToken":"q","text":"住民票","emojis":[]}}]}"#,
        )
        .unwrap();
        assert_eq!(body.events.len(), 2);
        let events: Vec<Event> = body
            .events
            .iter()
            .map(|raw| serde_json::from_str(raw.get()).unwrap())
            .collect();
        assert_eq!(events[0].kind, "membersJoined");
        assert_eq!(
            events[1].message.as_ref().unwrap().text.as_deref(),
            Some("住民票")
        );
        assert!(
            body.events[0].get().contains("\"newField\""),
            "kept as it came"
        );
    }

    #[test]
    fn self_mentions_are_cut_from_the_text() {
        let message: Message = serde_json::from_str(
            r#"{"type":"text","text":"@海津市 😀住民票は？ @太郎",
                "mention":{"mentionees":[{"index":0,"length":4,"isSelf":true,"type":"user"},
                                         {"index":12,"length":3,"type":"user"}]}}"#,
        )
        .unwrap();
        assert!(message.mentions_bot());
        assert_eq!(message.text_without_self_mentions(), "😀住民票は？ @太郎");
    }

    #[test]
    fn postback_data_round_trips_and_rejects_strangers() {
        let vote = PostbackData::Vote {
            reply: "abc".into(),
            helpful: false,
        };
        assert_eq!(PostbackData::decode(&vote.encode()), Some(vote));
        let choice = PostbackData::Choice(ChoiceValue::Category("税金".into()));
        assert_eq!(PostbackData::decode(&choice.encode()), Some(choice));
        assert_eq!(PostbackData::decode("action=buy&itemid=111"), None);
    }
}
