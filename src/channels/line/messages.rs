//! LINE message objects, and the engine's decisions rendered as them within
//! the Messaging API's limits.

use serde::Serialize;

use super::webhook::PostbackData;
use crate::engine::{Choice, Contact, Decision, Link};

/// Most messages in one reply or push.
pub const MAX_MESSAGES: usize = 5;
/// Longest text message, in UTF-16 code units.
pub const MAX_TEXT: usize = 5000;
/// Most quick reply buttons on a message.
pub const MAX_QUICK_REPLIES: usize = 13;
/// Longest action label, in characters.
pub const MAX_LABEL: usize = 20;
/// Longest postback `data` and `displayText`.
pub const MAX_POSTBACK: usize = 300;
/// Most actions on a buttons template.
pub const MAX_BUTTONS: usize = 4;
/// Longest buttons template text (without title or image).
pub const MAX_BUTTONS_TEXT: usize = 160;
/// Longest alternative text of a template.
pub const MAX_ALT_TEXT: usize = 400;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(flatten)]
    pub body: MessageBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
}

/// The kinds of message the bot sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum MessageBody {
    Text {
        text: String,
    },
    #[serde(rename_all = "camelCase")]
    Template {
        alt_text: String,
        template: Buttons,
    },
}

/// A buttons template.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "buttons")]
pub struct Buttons {
    pub text: String,
    pub actions: Vec<Action>,
}

/// Quick reply buttons under a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuickReply {
    pub items: Vec<QuickReplyItem>,
}

/// One quick reply button.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "action")]
pub struct QuickReplyItem {
    pub action: Action,
}

/// What tapping a button does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Action {
    /// Opens a page (or dials, with `tel:`).
    Uri { label: String, uri: String },
    /// Sends `data` to the webhook and shows `display_text` as the user's
    /// message.
    #[serde(rename_all = "camelCase")]
    Postback {
        label: String,
        data: String,
        display_text: String,
    },
}

impl Message {
    fn text(text: String) -> Message {
        Message {
            body: MessageBody::Text { text },
            quick_reply: None,
        }
    }
}

/// Shortens `text` to `max` characters, ending it with 「…」 when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

/// Splits `text` into pieces of at most `max` UTF-16 code units, at line
/// breaks where possible.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for line in text.split_inclusive('\n') {
        let line_len = line.encode_utf16().count();
        if current_len + line_len > max && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
            current_len = 0;
        }
        if line_len > max {
            for c in line.chars() {
                if current_len + c.len_utf16() > max {
                    pieces.push(std::mem::take(&mut current));
                    current_len = 0;
                }
                current.push(c);
                current_len += c.len_utf16();
            }
        } else {
            current.push_str(line);
            current_len += line_len;
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current);
    }
    pieces
        .into_iter()
        .map(|p| p.trim_end().to_string())
        .collect()
}

/// The quick reply button that picks `choice`.
fn choice_item(choice: &Choice) -> QuickReplyItem {
    QuickReplyItem {
        action: Action::Postback {
            label: shorten(&choice.label, MAX_LABEL),
            data: PostbackData::Choice(choice.value.clone()).encode(),
            display_text: shorten(&choice.label, MAX_POSTBACK),
        },
    }
}

/// The 「役に立ちましたか？」 buttons for a reply.
fn vote_items(reply_id: &str) -> Vec<QuickReplyItem> {
    [(true, "役に立った"), (false, "役に立たなかった")]
        .into_iter()
        .map(|(helpful, label)| QuickReplyItem {
            action: Action::Postback {
                label: label.into(),
                data: PostbackData::Vote {
                    reply: reply_id.into(),
                    helpful,
                }
                .encode(),
                display_text: label.into(),
            },
        })
        .collect()
}

/// Contact lines under an answer.
fn contact_text(contact: &Contact) -> String {
    let mut text = format!(
        "【問い合わせ先】{}\n電話 {}（{}）",
        contact.department, contact.phone, contact.hours
    );
    if let Some(place) = &contact.place {
        text.push_str(&format!("\n場所 {place}"));
    }
    text
}

/// Counter procedures (no page to open) as lines of text.
fn counter_text(links: &[Link]) -> Option<String> {
    let lines: Vec<String> = links
        .iter()
        .filter(|l| l.url.is_none())
        .map(|l| {
            if l.bring.is_empty() {
                format!("・{}（{}）", l.title, l.kind)
            } else {
                format!("・{}（{}）持ち物: {}", l.title, l.kind, l.bring.join("、"))
            }
        })
        .collect();
    (!lines.is_empty()).then(|| format!("【手続き】\n{}", lines.join("\n")))
}

/// Procedure pages (and the contact's phone) as a buttons template.
fn link_buttons(links: &[Link], contact: Option<&Contact>) -> Option<Message> {
    let mut actions: Vec<Action> = links
        .iter()
        .filter_map(|l| {
            let url = l.url.as_ref()?;
            Some(Action::Uri {
                label: shorten(&l.title, MAX_LABEL),
                uri: url.clone(),
            })
        })
        .take(MAX_BUTTONS)
        .collect();
    if actions.is_empty() {
        return None;
    }
    let mut alt_lines: Vec<String> = links
        .iter()
        .filter_map(|l| Some(format!("{}: {}", l.title, l.url.as_ref()?)))
        .collect();
    if let Some(contact) = contact.filter(|_| actions.len() < MAX_BUTTONS) {
        let digits: String = contact
            .phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        if !digits.is_empty() {
            actions.push(Action::Uri {
                label: "電話する".into(),
                uri: format!("tel:{digits}"),
            });
            alt_lines.push(format!("電話: {}", contact.phone));
        }
    }
    Some(Message {
        body: MessageBody::Template {
            alt_text: shorten(&alt_lines.join("\n"), MAX_ALT_TEXT),
            template: Buttons {
                text: shorten(
                    "手続きはこちらからどうぞ。ボタンを押すとページが開きます。",
                    MAX_BUTTONS_TEXT,
                ),
                actions,
            },
        },
        quick_reply: None,
    })
}

/// `text` followed by the choices, numbered so that a resident may type a
/// number instead of tapping.
fn numbered(text: &str, choices: &[Choice]) -> String {
    let mut out = text.trim_end().to_string();
    out.push('\n');
    for (i, choice) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, choice.label));
    }
    out.push_str("\n\n下のボタンを押すか、番号を送ってください。");
    out
}

/// A decision as at most [`MAX_MESSAGES`] messages. `reply_id` goes into
/// the feedback buttons of answers.
pub fn render(decision: &Decision, reply_id: &str) -> Vec<Message> {
    let choices = decision.choices();
    let text = match (choices.is_empty(), decision) {
        (true, _) => decision.text().to_string(),
        (false, Decision::Answer(_)) => {
            numbered(&format!("{}\n\n【関連する質問】", decision.text()), choices)
        }
        (false, _) => numbered(decision.text(), choices),
    };
    let (contact, links) = (decision.contact(), decision.links());
    let ask_feedback = matches!(decision, Decision::Answer(_));
    let mut full = text;
    if let Some(counters) = counter_text(links) {
        full.push_str("\n\n");
        full.push_str(&counters);
    }
    if let Some(contact) = contact {
        full.push_str("\n\n");
        full.push_str(&contact_text(contact));
    }
    let buttons = link_buttons(links, contact);
    let room_for_text = MAX_MESSAGES - usize::from(buttons.is_some());
    let mut messages: Vec<Message> = split_text(&full, MAX_TEXT)
        .into_iter()
        .take(room_for_text)
        .map(Message::text)
        .collect();
    messages.extend(buttons);
    let mut items: Vec<QuickReplyItem> = choices
        .iter()
        .take(MAX_QUICK_REPLIES)
        .map(choice_item)
        .collect();
    if ask_feedback {
        items.extend(vote_items(reply_id));
    }
    if let (false, Some(last)) = (items.is_empty(), messages.last_mut()) {
        last.quick_reply = Some(QuickReply { items });
    }
    messages
}

/// A text with choices as quick replies (greetings, prompts to type).
pub fn text_with_choices(text: &str, choices: &[Choice]) -> Vec<Message> {
    render(
        &Decision::Choices {
            prompt: text.to_string(),
            choices: choices.to_vec(),
        },
        "",
    )
}

/// A plain text reply.
pub fn plain(text: &str) -> Vec<Message> {
    split_text(text, MAX_TEXT)
        .into_iter()
        .take(MAX_MESSAGES)
        .map(Message::text)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Answer, ChoiceValue, Confidence};

    fn answer(text: &str, links: Vec<Link>) -> Decision {
        Decision::Answer(Answer {
            id: "juminhyo".into(),
            question: "住民票の写しを取りたい".into(),
            text: text.into(),
            links,
            contact: Some(Contact {
                department: "市民課".into(),
                phone: "0566-53-1111".into(),
                hours: "平日 8:30〜17:15".into(),
                place: None,
            }),
            confidence: Confidence::High,
            related: vec![],
        })
    }

    fn link(title: &str, url: Option<&str>) -> Link {
        Link {
            title: title.into(),
            url: url.map(String::from),
            kind: "マイナポータル".into(),
            bring: vec![],
        }
    }

    #[test]
    fn an_answer_has_text_link_buttons_and_feedback() {
        let messages = render(
            &answer(
                "コンビニで取れます。",
                vec![
                    link(
                        "マイナポータルで住民票の写しを請求する手続き",
                        Some("https://example.jp/a"),
                    ),
                    link("市民課の窓口で請求", None),
                ],
            ),
            "r1",
        );
        assert_eq!(messages.len(), 2);
        let MessageBody::Text { text } = &messages[0].body else {
            panic!("text first")
        };
        assert!(text.contains("市民課の窓口で請求"), "{text}");
        assert!(text.contains("0566-53-1111"), "{text}");
        let MessageBody::Template { template, .. } = &messages[1].body else {
            panic!("buttons second")
        };
        assert_eq!(template.actions.len(), 2);
        let Action::Uri { label, uri } = &template.actions[0] else {
            panic!("uri action")
        };
        assert_eq!(label.chars().count(), MAX_LABEL);
        assert_eq!(uri, "https://example.jp/a");
        assert_eq!(
            template.actions[1],
            Action::Uri {
                label: "電話する".into(),
                uri: "tel:0566-53-1111".into()
            }
        );
        let items = &messages[1].quick_reply.as_ref().unwrap().items;
        assert_eq!(items.len(), 2);
        let json = serde_json::to_value(&messages[1]).unwrap();
        assert_eq!(json["type"], "template");
        assert_eq!(json["template"]["type"], "buttons");
        assert_eq!(json["quickReply"]["items"][0]["type"], "action");
        assert_eq!(json["quickReply"]["items"][0]["action"]["type"], "postback");
        assert!(json["quickReply"]["items"][0]["action"]["displayText"].is_string());
    }

    #[test]
    fn long_answers_are_split_and_capped_at_five_messages() {
        let line = "あ".repeat(999) + "\n";
        let long = line.repeat(40);
        let messages = render(&answer(&long, vec![]), "r");
        assert_eq!(messages.len(), MAX_MESSAGES);
        for message in &messages {
            let MessageBody::Text { text } = &message.body else {
                panic!("text")
            };
            assert!(text.encode_utf16().count() <= MAX_TEXT);
        }
        assert!(messages[4].quick_reply.is_some(), "feedback on the last");
    }

    #[test]
    fn choices_are_numbered_and_quick_replies_within_limits() {
        let choices: Vec<Choice> = (0..15)
            .map(|i| Choice {
                value: ChoiceValue::Entry(format!("entry-{i}")),
                label: format!("とても長い質問の文章がここに入ります その{i}"),
            })
            .collect();
        let messages = render(
            &Decision::Choices {
                prompt: "選んでください。".into(),
                choices,
            },
            "r",
        );
        let MessageBody::Text { text } = &messages[0].body else {
            panic!("text")
        };
        assert!(text.contains("\n15. とても長い"), "{text}");
        let items = &messages[0].quick_reply.as_ref().unwrap().items;
        assert_eq!(items.len(), MAX_QUICK_REPLIES);
        for item in items {
            let Action::Postback {
                label,
                data,
                display_text,
            } = &item.action
            else {
                panic!("postback")
            };
            assert!(label.chars().count() <= MAX_LABEL);
            assert!(data.chars().count() <= MAX_POSTBACK);
            assert!(display_text.starts_with("とても長い"));
        }
    }

    #[test]
    fn text_splits_at_line_breaks_and_inside_long_lines() {
        assert_eq!(split_text("ab\ncd\nef", 5), vec!["ab", "cd\nef"]);
        assert_eq!(split_text("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(split_text("😀😀😀", 4), vec!["😀😀", "😀"]);
    }
}
