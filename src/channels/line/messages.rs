//! LINE message objects, and the engine's decisions rendered as them within
//! the Messaging API's limits.

use serde::Serialize;

use super::webhook::PostbackData;
use crate::engine::{Answer, Choice, ChoiceValue, Contact, Decision, Link};
use crate::faq::shelter::Shelter;
use crate::i18n::{BotTexts, Lang, fill};
use crate::store::disaster::DisasterNotice;

/// Most messages in one reply or push.
pub const MAX_MESSAGES: usize = 5;
/// Longest text message, in UTF-16 code units.
pub const MAX_TEXT: usize = 5000;
/// Most quick reply buttons on a message.
pub const MAX_QUICK_REPLIES: usize = 13;
/// Longest action label, in characters.
pub const MAX_LABEL: usize = 20;
/// Longest postback `data`, in bytes, and `displayText`, in characters.
pub const MAX_POSTBACK: usize = 300;
/// Longest URI of an action, in characters.
pub const MAX_URI: usize = 1000;
/// Most actions on a buttons template.
pub const MAX_BUTTONS: usize = 4;
/// Longest buttons template text (without title or image).
pub const MAX_BUTTONS_TEXT: usize = 160;
/// Longest alternative text of a template, in UTF-16 code units.
pub const MAX_ALT_TEXT: usize = 400;
/// Longest alternative text of a Flex Message, in characters.
pub const MAX_FLEX_ALT_TEXT: usize = 1500;
/// Largest bubble, as JSON (LINE allows 30 KB).
pub const MAX_BUBBLE_BYTES: usize = 30_000;
/// Longest answer shown inside the answer card; a longer one goes in text
/// messages before it, which LINE lets be far longer.
const CARD_TEXT_CHARS: usize = 1_000;
/// Procedures with a page shown as buttons on the answer card, at most.
const CARD_PROCEDURES: usize = 6;
/// Longest notification text of an answer card: its first sentence.
const CARD_ALT_TEXT_CHARS: usize = 100;
/// Most bubbles in a carousel.
pub const MAX_BUBBLES: usize = 12;
/// Largest carousel, as JSON (LINE allows 50 KB).
pub const MAX_CAROUSEL_BYTES: usize = 50_000;
/// Longest choice shown on a choice card.
const CARD_LABEL_CHARS: usize = 200;

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
    /// A Flex Message; `contents` is its container (a bubble).
    #[serde(rename_all = "camelCase")]
    Flex {
        alt_text: String,
        contents: serde_json::Value,
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

/// Shortens `text` to `max` UTF-16 code units (as LINE counts altText),
/// ending it with 「…」 when cut.
pub fn shorten_utf16(text: &str, max: usize) -> String {
    if text.encode_utf16().count() <= max {
        return text.to_string();
    }
    let mut short = String::new();
    let mut length = 0;
    for c in text.chars() {
        if length + c.len_utf16() > max - 1 {
            break;
        }
        short.push(c);
        length += c.len_utf16();
    }
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

/// The quick reply button that picks `choice`; `None` when what it names
/// is too long for postback data (the choice's number can still be typed).
fn choice_item(choice: &Choice) -> Option<QuickReplyItem> {
    let data = PostbackData::Choice(choice.value.clone()).encode();
    (data.len() <= MAX_POSTBACK).then(|| QuickReplyItem {
        action: Action::Postback {
            label: shorten(&choice.label, MAX_LABEL),
            data,
            display_text: shorten(&choice.label, MAX_POSTBACK),
        },
    })
}

/// The 「役に立ちましたか？」 buttons for a reply.
fn vote_items(reply_id: &str, texts: &BotTexts) -> Vec<QuickReplyItem> {
    [(true, texts.helpful), (false, texts.unhelpful)]
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

/// Contact lines under an answer, with the closed-counter notice.
fn contact_text(contact: &Contact, texts: &BotTexts) -> String {
    let mut text = contact_lines(contact, texts);
    if let Some(notice) = &contact.notice {
        text.push_str(&format!("\n{notice}"));
    }
    text
}

/// Who to call or visit, and when.
fn contact_lines(contact: &Contact, texts: &BotTexts) -> String {
    let mut text = format!(
        "{}{}\n{} {}（{}）",
        texts.contact_heading, contact.department, texts.phone, contact.phone, contact.hours
    );
    if let Some(place) = &contact.place {
        text.push_str(&format!("\n{} {place}", texts.place));
    }
    text
}

/// Counter procedures (no page to open) as lines of text.
fn counter_text(links: &[Link], texts: &BotTexts) -> Option<String> {
    let lines: Vec<String> = links
        .iter()
        .filter(|l| l.url.is_none())
        .map(|l| {
            if l.bring.is_empty() {
                format!("・{}（{}）", l.title, l.kind)
            } else {
                format!(
                    "・{}（{}）{}: {}",
                    l.title,
                    l.kind,
                    texts.bring,
                    l.bring.join("、")
                )
            }
        })
        .collect();
    (!lines.is_empty()).then(|| format!("{}\n{}", texts.procedures_heading, lines.join("\n")))
}

/// Procedure pages (and the contact's phone) as a buttons template.
fn link_buttons(links: &[Link], contact: Option<&Contact>, texts: &BotTexts) -> Option<Message> {
    let mut actions: Vec<Action> = links
        .iter()
        .filter_map(|l| {
            let url = l
                .url
                .as_ref()
                .filter(|url| url.chars().count() <= MAX_URI)?;
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
    if let Some(contact) = contact.filter(|_| actions.len() < MAX_BUTTONS)
        && let Some(tel) = tel_uri(contact)
    {
        actions.push(Action::Uri {
            label: texts.call.into(),
            uri: tel,
        });
        alt_lines.push(format!("{}: {}", texts.phone, contact.phone));
    }
    Some(Message {
        body: MessageBody::Template {
            alt_text: shorten_utf16(&alt_lines.join("\n"), MAX_ALT_TEXT),
            template: Buttons {
                text: shorten(texts.procedures_buttons, MAX_BUTTONS_TEXT),
                actions,
            },
        },
        quick_reply: None,
    })
}

/// `text` followed by the choices, numbered so that a resident may type a
/// number instead of tapping.
fn numbered(text: &str, choices: &[Choice], texts: &BotTexts) -> String {
    let mut out = text.trim_end().to_string();
    out.push('\n');
    for (i, choice) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, choice.label));
    }
    out.push_str("\n\n");
    out.push_str(texts.press_or_number);
    out
}

/// A decision as at most [`MAX_MESSAGES`] messages. Answers are cards (see
/// [`answer_card`]); `reply_id` goes into their feedback buttons. The
/// bot's own words are in `lang`.
pub fn render(decision: &Decision, reply_id: &str, lang: Lang) -> Vec<Message> {
    let texts = lang.bot();
    if let Decision::Answer(answer) = decision
        && let Some(messages) = answer_card(answer, reply_id, texts)
    {
        return messages;
    }
    render_as_text(decision, reply_id, texts)
}

/// An answer as a card (a Flex bubble): the question as its title, the
/// answer, the counter procedures, the related questions numbered (so a
/// resident may type one), the contact, a button per procedure page with
/// its kind above it, a `tel:` button, and 「役に立った」「役に立たなかった」.
/// Related questions are quick replies too. A long answer goes in text
/// messages before the card. The notification shows the answer's first
/// sentence. `None` if the card would be too large for LINE.
fn answer_card(answer: &Answer, reply_id: &str, texts: &BotTexts) -> Option<Vec<Message>> {
    let long = answer.text.chars().count() > CARD_TEXT_CHARS;
    let mut body = Vec::new();
    if !long {
        body.extend(text_component(&answer.text, "md", None));
    }
    if let Some(counters) = counter_text(&answer.links, texts) {
        body.extend(text_component(&counters, "sm", None));
    }
    if !answer.related.is_empty() {
        body.extend(text_component(
            &numbered_list(texts.related_heading, &answer.related),
            "sm",
            None,
        ));
    }
    if let Some(contact) = &answer.contact {
        body.extend(text_component(
            &contact_lines(contact, texts),
            "sm",
            Some("#555555"),
        ));
        if let Some(notice) = &contact.notice {
            body.extend(text_component(notice, "sm", Some("#C0392B")));
        }
    }
    if body.is_empty() {
        body.extend(text_component(texts.see_above, "sm", None));
    }
    let mut footer = Vec::new();
    for link in answer.links.iter().take(CARD_PROCEDURES) {
        let Some(url) = link.url.as_ref().filter(|u| u.chars().count() <= MAX_URI) else {
            continue;
        };
        footer.extend(text_component(&link.kind, "xs", Some("#888888")));
        footer.push(button(
            &Action::Uri {
                label: shorten(&link.title, MAX_LABEL),
                uri: url.clone(),
            },
            "primary",
        ));
    }
    if let Some(tel) = answer.contact.as_ref().and_then(tel_uri) {
        footer.push(button(
            &Action::Uri {
                label: texts.call.into(),
                uri: tel,
            },
            "secondary",
        ));
    }
    let votes: Vec<serde_json::Value> = vote_items(reply_id, texts)
        .iter()
        .map(|item| button(&item.action, "link"))
        .collect();
    footer.push(serde_json::json!({
        "type": "box", "layout": "horizontal", "spacing": "sm", "contents": votes
    }));
    let bubble = serde_json::json!({
        "type": "bubble",
        "header": {
            "type": "box", "layout": "vertical",
            "contents": [{
                "type": "text", "weight": "bold", "wrap": true, "size": "md",
                "text": if answer.question.trim().is_empty() {
                    texts.answer_alt.to_string()
                } else {
                    shorten(answer.question.trim(), 200)
                }
            }]
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    });
    if serde_json::to_vec(&bubble).map_or(usize::MAX, |json| json.len()) > MAX_BUBBLE_BYTES {
        return None;
    }
    let mut messages: Vec<Message> = if long {
        split_text(&answer.text, MAX_TEXT)
            .into_iter()
            .take(MAX_MESSAGES - 1)
            .map(Message::text)
            .collect()
    } else {
        Vec::new()
    };
    messages.push(Message {
        body: MessageBody::Flex {
            alt_text: {
                let sentence = first_sentence(&answer.text);
                if sentence.is_empty() {
                    texts.answer_sent_alt.to_string()
                } else {
                    shorten(&sentence, CARD_ALT_TEXT_CHARS)
                }
            },
            contents: bubble,
        },
        quick_reply: None,
    });
    let items: Vec<QuickReplyItem> = answer
        .related
        .iter()
        .filter_map(choice_item)
        .take(MAX_QUICK_REPLIES)
        .collect();
    if let (false, Some(last)) = (items.is_empty(), messages.last_mut()) {
        last.quick_reply = Some(QuickReply { items });
    }
    Some(messages)
}

/// A wrapping text component of a card; none for a blank text, which LINE
/// refuses.
fn text_component(text: &str, size: &str, color: Option<&str>) -> Option<serde_json::Value> {
    if text.trim().is_empty() {
        return None;
    }
    let mut component = serde_json::json!({
        "type": "text", "text": text, "wrap": true, "size": size
    });
    if let Some(color) = color {
        component["color"] = color.into();
    }
    Some(component)
}

/// A button component of a card.
fn button(action: &Action, style: &str) -> serde_json::Value {
    serde_json::json!({
        "type": "button", "style": style, "height": "sm", "action": action
    })
}

/// The answer's first sentence (up to 。, ！, ？ or a line break), for
/// notifications and the chat list.
fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | '！' | '？' | '\n'))
        .map_or(text.len(), |(i, c)| {
            i + if c == '\n' { 0 } else { c.len_utf8() }
        });
    text[..end].trim().to_string()
}

/// `heading` and the choices, numbered.
fn numbered_list(heading: &str, choices: &[Choice]) -> String {
    let mut out = heading.to_string();
    for (i, choice) in choices.iter().enumerate() {
        out.push_str(&format!("\n{}. {}", i + 1, choice.label));
    }
    out
}

/// The contact's phone as a `tel:` URI, if it has digits.
fn tel_uri(contact: &Contact) -> Option<String> {
    let digits: String = contact
        .phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    (!digits.is_empty()).then(|| format!("tel:{digits}"))
}

/// A decision as text messages, with procedure pages as a buttons template.
fn render_as_text(decision: &Decision, reply_id: &str, texts: &BotTexts) -> Vec<Message> {
    let choices = decision.choices();
    let text = match (choices.is_empty(), decision) {
        (true, _) => decision.text().to_string(),
        (false, Decision::Answer(_)) => numbered(
            &format!("{}\n\n{}", decision.text(), texts.related_heading),
            choices,
            texts,
        ),
        (false, _) => numbered(decision.text(), choices, texts),
    };
    let (contact, links) = (decision.contact(), decision.links());
    let ask_feedback = matches!(decision, Decision::Answer(_));
    let mut full = text;
    if let Some(counters) = counter_text(links, texts) {
        full.push_str("\n\n");
        full.push_str(&counters);
    }
    if let Some(contact) = contact {
        full.push_str("\n\n");
        full.push_str(&contact_text(contact, texts));
    }
    let buttons = link_buttons(links, contact, texts);
    let carousel = choice_cards(choices, texts);
    let room_for_text =
        MAX_MESSAGES - usize::from(buttons.is_some()) - usize::from(carousel.is_some());
    let mut messages: Vec<Message> = split_text(&full, MAX_TEXT)
        .into_iter()
        .take(room_for_text)
        .map(Message::text)
        .collect();
    messages.extend(buttons);
    messages.extend(carousel);
    let votes = if ask_feedback {
        vote_items(reply_id, texts)
    } else {
        Vec::new()
    };
    let mut items: Vec<QuickReplyItem> = choices
        .iter()
        .filter_map(choice_item)
        .take(MAX_QUICK_REPLIES - votes.len())
        .collect();
    items.extend(votes);
    if let (false, Some(last)) = (items.is_empty(), messages.last_mut()) {
        last.quick_reply = Some(QuickReply { items });
    }
    messages
}

/// Choices whose labels a quick reply would cut (over 20 characters) as a
/// carousel of cards, each with the whole label and a button to pick it
/// (「もっと見る」 stays a quick reply); `None` when every label fits a quick
/// reply, or for more choices than a carousel holds.
fn choice_cards(choices: &[Choice], texts: &BotTexts) -> Option<Message> {
    let shown: Vec<(usize, &Choice)> = choices
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.value, ChoiceValue::More(_)))
        .collect();
    if shown.is_empty()
        || shown.len() > MAX_BUBBLES
        || shown
            .iter()
            .all(|(_, c)| c.label.chars().count() <= MAX_LABEL)
    {
        return None;
    }
    let bubbles: Vec<serde_json::Value> = shown
        .into_iter()
        .filter_map(|(i, choice)| {
            let pick = choice_item(choice)?.action;
            let label = format!("{}. {}", i + 1, shorten(&choice.label, CARD_LABEL_CHARS));
            Some(serde_json::json!({
                "type": "bubble", "size": "micro",
                "body": {"type": "box", "layout": "vertical",
                         "contents": text_component(&label, "sm", None).into_iter().collect::<Vec<_>>()},
                "footer": {"type": "box", "layout": "vertical",
                           "contents": [button(&relabel(pick, texts.pick_this), "primary")]}
            }))
        })
        .collect();
    if bubbles.is_empty() {
        return None;
    }
    let contents = serde_json::json!({"type": "carousel", "contents": bubbles});
    if serde_json::to_vec(&contents).map_or(usize::MAX, |json| json.len()) > MAX_CAROUSEL_BYTES {
        return None;
    }
    Some(Message {
        body: MessageBody::Flex {
            alt_text: shorten(&numbered_list(texts.choose, choices), CARD_ALT_TEXT_CHARS),
            contents,
        },
        quick_reply: None,
    })
}

/// `action` with another label.
fn relabel(action: Action, label: &str) -> Action {
    match action {
        Action::Postback {
            data, display_text, ..
        } => Action::Postback {
            label: label.into(),
            data,
            display_text,
        },
        Action::Uri { uri, .. } => Action::Uri {
            label: label.into(),
            uri,
        },
    }
}

/// A text with choices as quick replies (greetings, prompts to type).
pub fn text_with_choices(text: &str, choices: &[Choice], lang: Lang) -> Vec<Message> {
    render(
        &Decision::Choices {
            prompt: text.to_string(),
            choices: choices.to_vec(),
        },
        "",
        lang,
    )
}

/// A plain text reply.
/// The reply with disaster mode's notice first: a message of its own, or,
/// when the reply has as many messages as LINE takes, merged into its first
/// text message (or in place of its first message).
pub fn with_notice(
    mut messages: Vec<Message>,
    notice: Option<&DisasterNotice>,
    lang: Lang,
) -> Vec<Message> {
    let Some(notice) = notice else {
        return messages;
    };
    let said = notice_text(notice, lang.bot());
    if messages.len() < MAX_MESSAGES {
        messages.insert(0, Message::text(said));
    } else if let Some(MessageBody::Text { text }) = messages.first_mut().map(|m| &mut m.body)
        && said.chars().count() + 2 + text.chars().count() <= MAX_TEXT
    {
        *text = format!("{said}\n\n{text}");
    } else {
        messages[0] = Message::text(said);
    }
    messages
}

/// `first` before the messages, when there is room for it.
pub fn with_first(mut messages: Vec<Message>, first: Option<Message>) -> Vec<Message> {
    if let Some(first) = first
        && messages.len() < MAX_MESSAGES
    {
        messages.insert(0, first);
    }
    messages
}

/// The nearest shelters as a carousel of cards: name, address, distance as
/// the crow flies, the disasters it takes people in for, and a button to
/// the place on 地理院地図 (the Geospatial Information Authority's map).
/// `None` when there are none.
pub fn shelters(nearest: &[(&Shelter, f64)], lang: Lang) -> Option<Message> {
    if nearest.is_empty() {
        return None;
    }
    let texts = lang.bot();
    let distance = |metres: f64| {
        let about = if lang == Lang::Ja { "約" } else { "" };
        if metres < 1_000.0 {
            format!("{about}{}m", (metres / 10.0).round() as u64 * 10)
        } else {
            format!("{about}{:.1}km", metres / 1_000.0)
        }
    };
    let bubbles: Vec<serde_json::Value> = nearest
        .iter()
        .take(MAX_BUBBLES)
        .map(|(shelter, metres)| {
            let body: Vec<serde_json::Value> = [
                text_component(&shelter.name, "md", None).map(|mut t| {
                    t["weight"] = "bold".into();
                    t
                }),
                text_component(&shelter.address, "sm", Some("#555555")),
                text_component(
                    &fill(
                        texts.distance_from_here,
                        &[("distance", &distance(*metres))],
                    ),
                    "sm",
                    None,
                ),
                text_component(&shelter.kinds.join("・"), "xs", Some("#888888")),
            ]
            .into_iter()
            .flatten()
            .collect();
            let map = format!(
                "https://maps.gsi.go.jp/#17/{:.6}/{:.6}/",
                shelter.latitude, shelter.longitude
            );
            serde_json::json!({
                "type": "bubble", "size": "kilo",
                "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
                "footer": {"type": "box", "layout": "vertical", "contents": [
                    button(&Action::Uri { label: texts.see_map.into(), uri: map }, "primary")
                ]}
            })
        })
        .collect();
    let alt_text = nearest
        .iter()
        .map(|(shelter, metres)| format!("{}（{}）", shelter.name, distance(*metres)))
        .collect::<Vec<_>>()
        .join("、");
    Some(Message {
        body: MessageBody::Flex {
            alt_text: shorten(
                &format!("{}{alt_text}", texts.nearest_shelters),
                MAX_ALT_TEXT,
            ),
            contents: serde_json::json!({"type": "carousel", "contents": bubbles}),
        },
        quick_reply: None,
    })
}

/// The notice as said in LINE: marked, with its link.
fn notice_text(notice: &DisasterNotice, texts: &BotTexts) -> String {
    match &notice.link {
        Some(link) => format!("{}{}\n{link}", texts.disaster, notice.notice),
        None => format!("{}{}", texts.disaster, notice.notice),
    }
}

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

    /// Rendered for a resident who reads Japanese.
    fn render(decision: &Decision, reply_id: &str) -> Vec<Message> {
        super::render(decision, reply_id, Lang::Ja)
    }

    fn text_with_choices(text: &str, choices: &[Choice]) -> Vec<Message> {
        super::text_with_choices(text, choices, Lang::Ja)
    }

    fn answer(text: &str, links: Vec<Link>) -> Decision {
        Decision::Answer(Answer {
            id: "juminhyo".into(),
            question: "住民票の写しを取りたい".into(),
            text: text.into(),
            easy: None,
            links,
            contact: Some(Contact {
                department: "市民課".into(),
                phone: "0566-53-1111".into(),
                hours: "平日 8:30〜17:15".into(),
                place: None,
                notice: None,
                department_id: "shimin".into(),
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
            counter: url.is_none(),
            procedure_id: String::new(),
        }
    }

    /// The card of a one-message answer, as JSON.
    fn card(messages: &[Message]) -> (String, serde_json::Value) {
        let MessageBody::Flex { alt_text, contents } = &messages.last().unwrap().body else {
            panic!("a card last: {messages:?}")
        };
        (alt_text.clone(), contents.clone())
    }

    #[test]
    fn an_answer_is_a_card_with_its_procedures_contact_and_votes() {
        let messages = render(
            &answer(
                "コンビニで取れます。マイナンバーカードが必要です。",
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
        assert_eq!(messages.len(), 1);
        assert_eq!(within_limits(&messages), Ok(()));
        let (alt_text, contents) = card(&messages);
        assert_eq!(alt_text, "コンビニで取れます。", "the first sentence");
        assert_eq!(
            contents["header"]["contents"][0]["text"],
            "住民票の写しを取りたい"
        );
        let texts = texts_in(&contents);
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("コンビニで取れます。マイナンバー"))
        );
        assert!(
            texts.iter().any(|t| t.contains("市民課の窓口で請求")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("0566-53-1111")),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"マイナポータル".to_string()),
            "the procedure's kind"
        );
        let actions = actions_in(&contents);
        assert!(actions.contains(&Action::Uri {
            label: shorten("マイナポータルで住民票の写しを請求する手続き", MAX_LABEL),
            uri: "https://example.jp/a".into()
        }));
        assert!(actions.contains(&Action::Uri {
            label: "電話する".into(),
            uri: "tel:0566-53-1111".into()
        }));
        let votes: Vec<&str> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Postback { label, .. } => Some(label.as_str()),
                Action::Uri { .. } => None,
            })
            .collect();
        assert_eq!(votes.len(), 2);
        assert!(votes.contains(&"役に立った") && votes.contains(&"役に立たなかった"));
        let json = serde_json::to_value(&messages[0]).unwrap();
        assert_eq!(json["type"], "flex");
        assert_eq!(json["altText"], "コンビニで取れます。");
        assert_eq!(json["contents"]["type"], "bubble");
    }

    #[test]
    fn long_answers_go_before_the_card_within_five_messages() {
        let line = "あ".repeat(999) + "\n";
        let long = line.repeat(40);
        let messages = render(&answer(&long, vec![]), "r");
        assert_eq!(messages.len(), MAX_MESSAGES);
        for message in &messages[..4] {
            let MessageBody::Text { text } = &message.body else {
                panic!("text")
            };
            assert!(text.encode_utf16().count() <= MAX_TEXT);
        }
        let (_, contents) = card(&messages);
        assert_eq!(actions_in(&contents).len(), 3, "the phone and the votes");
        assert_eq!(within_limits(&messages), Ok(()));
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
    fn choices_too_long_for_quick_replies_are_cards_too() {
        let choices: Vec<Choice> = (0..3)
            .map(|i| Choice {
                value: ChoiceValue::Entry(format!("entry-{i}")),
                label: format!("住民票の写しをコンビニエンスストアで取るには その{i}"),
            })
            .collect();
        let messages = render(
            &Decision::Choices {
                prompt: "どれですか？".into(),
                choices: choices.clone(),
            },
            "r",
        );
        assert_eq!(within_limits(&messages), Ok(()));
        assert_eq!(messages.len(), 2, "the numbered text, then the cards");
        let (alt_text, contents) = card(&messages);
        assert!(alt_text.starts_with("選んでください:"), "{alt_text}");
        assert_eq!(contents["type"], "carousel");
        assert_eq!(contents["contents"].as_array().unwrap().len(), 3);
        assert!(texts_in(&contents).contains(&format!("2. {}", choices[1].label)));
        let picks = actions_in(&contents);
        let expected = PostbackData::Choice(ChoiceValue::Entry("entry-0".into())).encode();
        assert!(picks.iter().any(|a| matches!(a,
            Action::Postback { label, data, .. } if label == "これを選ぶ" && *data == expected)));
        assert!(
            messages[1].quick_reply.is_some(),
            "quick replies stay, on the last"
        );

        let short = text_with_choices("分類を選んでください。", &choices[..0]);
        assert!(
            short
                .iter()
                .all(|m| !matches!(m.body, MessageBody::Flex { .. }))
        );
        let fits = vec![Choice {
            value: ChoiceValue::Category("税金".into()),
            label: "税金".into(),
        }];
        let fitting = text_with_choices("分類を選んでください。", &fits);
        assert_eq!(fitting.len(), 1, "labels that fit stay quick replies only");
    }

    #[test]
    fn text_splits_at_line_breaks_and_inside_long_lines() {
        assert_eq!(split_text("ab\ncd\nef", 5), vec!["ab", "cd\nef"]);
        assert_eq!(split_text("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(split_text("😀😀😀", 4), vec!["😀😀", "😀"]);
    }

    /// The actions of a Flex container's buttons, read back.
    fn actions_in(contents: &serde_json::Value) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut stack = vec![contents];
        while let Some(node) = stack.pop() {
            if let Some(action) = node.get("action") {
                actions.push(match action["type"].as_str() {
                    Some("uri") => Action::Uri {
                        label: action["label"].as_str().unwrap_or_default().into(),
                        uri: action["uri"].as_str().unwrap_or_default().into(),
                    },
                    _ => Action::Postback {
                        label: action["label"].as_str().unwrap_or_default().into(),
                        data: action["data"].as_str().unwrap_or_default().into(),
                        display_text: action["displayText"].as_str().unwrap_or_default().into(),
                    },
                });
            }
            match node {
                serde_json::Value::Object(map) => stack.extend(map.values()),
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        actions
    }

    /// The texts of a Flex container's text components.
    fn texts_in(contents: &serde_json::Value) -> Vec<String> {
        let mut texts = Vec::new();
        let mut stack = vec![contents];
        while let Some(node) = stack.pop() {
            if node["type"] == "text" {
                texts.push(node["text"].as_str().unwrap_or_default().to_string());
            }
            match node {
                serde_json::Value::Object(map) => stack.extend(map.values()),
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        texts
    }

    /// Every limit of the Messaging API that the bot's messages touch.
    fn within_limits(messages: &[Message]) -> Result<(), String> {
        if messages.is_empty() || messages.len() > MAX_MESSAGES {
            return Err(format!("{} messages", messages.len()));
        }
        let check_action = |action: &Action| -> Result<(), String> {
            match action {
                Action::Uri { label, uri } => {
                    if label.chars().count() > MAX_LABEL || uri.chars().count() > MAX_URI {
                        return Err(format!("uri action {label:?} {uri:?}"));
                    }
                }
                Action::Postback {
                    label,
                    data,
                    display_text,
                } => {
                    if label.chars().count() > MAX_LABEL
                        || data.len() > MAX_POSTBACK
                        || display_text.chars().count() > MAX_POSTBACK
                        || label.is_empty()
                    {
                        return Err(format!("postback {label:?} {data:?}"));
                    }
                }
            }
            Ok(())
        };
        for message in messages {
            match &message.body {
                MessageBody::Text { text } => {
                    if text.is_empty() || text.encode_utf16().count() > MAX_TEXT {
                        return Err(format!("text of {} units", text.encode_utf16().count()));
                    }
                }
                MessageBody::Template { alt_text, template } => {
                    if alt_text.encode_utf16().count() > MAX_ALT_TEXT
                        || template.text.chars().count() > MAX_BUTTONS_TEXT
                        || template.actions.is_empty()
                        || template.actions.len() > MAX_BUTTONS
                    {
                        return Err("buttons template".into());
                    }
                    template.actions.iter().try_for_each(check_action)?;
                }
                MessageBody::Flex { alt_text, contents } => {
                    if alt_text.is_empty() || alt_text.chars().count() > MAX_FLEX_ALT_TEXT {
                        return Err(format!("flex altText {alt_text:?}"));
                    }
                    let size = serde_json::to_vec(contents).unwrap().len();
                    let (limit, bubbles) = match contents["type"].as_str() {
                        Some("carousel") => (
                            MAX_CAROUSEL_BYTES,
                            contents["contents"].as_array().map_or(0, Vec::len),
                        ),
                        _ => (MAX_BUBBLE_BYTES, 1),
                    };
                    if size > limit || bubbles == 0 || bubbles > MAX_BUBBLES {
                        return Err(format!("a container of {bubbles} bubbles, {size} bytes"));
                    }
                    for action in actions_in(contents) {
                        check_action(&action)?;
                    }
                    if texts_in(contents).iter().any(|t| t.is_empty()) {
                        return Err("an empty text component".into());
                    }
                }
            }
            if let Some(quick) = &message.quick_reply {
                if quick.items.is_empty() || quick.items.len() > MAX_QUICK_REPLIES {
                    return Err(format!("{} quick replies", quick.items.len()));
                }
                quick
                    .items
                    .iter()
                    .try_for_each(|i| check_action(&i.action))?;
            }
        }
        Ok(())
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        fn any_text(max: usize) -> impl Strategy<Value = String> {
            prop_oneof![
                proptest::collection::vec(any::<char>(), 0..max)
                    .prop_map(|c| c.into_iter().collect::<String>()),
                proptest::collection::vec(
                    prop_oneof![Just('あ'), Just('😀'), Just('\n'), Just('a')],
                    0..max * 8
                )
                .prop_map(|c| c.into_iter().collect::<String>()),
            ]
        }

        fn any_choice() -> impl Strategy<Value = Choice> {
            (any_text(60), any_text(200), 0..6usize).prop_map(|(label, id, kind)| Choice {
                value: match kind {
                    0 => ChoiceValue::Entry(id),
                    1 => ChoiceValue::Category(id),
                    2 => ChoiceValue::Step(id),
                    3 => ChoiceValue::Procedure(id),
                    4 => ChoiceValue::Contact(id),
                    _ => ChoiceValue::More(id),
                },
                label: if label.is_empty() { "x".into() } else { label },
            })
        }

        fn any_link() -> impl Strategy<Value = Link> {
            (
                any_text(80),
                proptest::option::of(any_text(1200)),
                any_text(20),
            )
                .prop_map(|(title, url, kind)| Link {
                    title: if title.is_empty() { "x".into() } else { title },
                    url: url.map(|u| format!("https://example.jp/{u}")),
                    kind,
                    bring: vec![],
                    counter: false,
                    procedure_id: String::new(),
                })
        }

        fn any_decision() -> impl Strategy<Value = Decision> {
            let choices = proptest::collection::vec(any_choice(), 0..30);
            let links = proptest::collection::vec(any_link(), 0..8);
            (
                any_text(3000),
                any_text(100),
                choices,
                links,
                any::<bool>(),
                0..3usize,
            )
                .prop_map(|(text, question, choices, links, contact, kind)| {
                    let text = if text.trim().is_empty() {
                        "回答".to_string()
                    } else {
                        text
                    };
                    let contact = contact.then(|| Contact {
                        department: question.clone(),
                        phone: "0584-53-1111".into(),
                        hours: "平日".into(),
                        place: None,
                        notice: Some("現在は閉庁時間です。次は12月3日(木) 8:30 から".into()),
                        department_id: "shimin".into(),
                    });
                    match kind {
                        0 => Decision::Answer(Answer {
                            id: "e".into(),
                            question,
                            text,
                            easy: None,
                            links,
                            contact,
                            confidence: Confidence::High,
                            related: choices,
                        }),
                        1 => Decision::Choices {
                            prompt: text,
                            choices,
                        },
                        _ => Decision::Fallback {
                            text,
                            contact,
                            links,
                            choices,
                        },
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(300))]

            #[test]
            fn every_rendered_decision_is_within_lines_limits(decision in any_decision()) {
                let messages = render(&decision, "0190c0de0000700080000000000000aa");
                prop_assert_eq!(within_limits(&messages), Ok(()));
            }

            #[test]
            fn split_pieces_fit_and_keep_every_character(text in any_text(400), max in 2..50usize) {
                let pieces = split_text(&text, max);
                for piece in &pieces {
                    prop_assert!(piece.encode_utf16().count() <= max);
                }
                let kept: String = pieces.concat().chars().filter(|c| !c.is_whitespace()).collect();
                let all: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                prop_assert_eq!(kept, all);
            }

            #[test]
            fn shortened_alt_text_fits(text in any_text(900)) {
                prop_assert!(shorten_utf16(&text, MAX_ALT_TEXT).encode_utf16().count() <= MAX_ALT_TEXT);
            }
        }
    }

    #[test]
    fn an_answers_related_entries_are_numbered_on_the_card_and_quick_replies() {
        let mut decision = answer("回答です。", vec![]);
        if let Decision::Answer(a) = &mut decision {
            a.related = (0..14)
                .map(|i| Choice {
                    value: ChoiceValue::Entry(format!("entry-{i}")),
                    label: format!("関連{i}"),
                })
                .collect();
        }
        let messages = render(&decision, "r");
        assert_eq!(within_limits(&messages), Ok(()));
        let items = &messages.last().unwrap().quick_reply.as_ref().unwrap().items;
        assert_eq!(items.len(), MAX_QUICK_REPLIES);
        let (_, contents) = card(&messages);
        let texts = texts_in(&contents);
        assert!(
            texts.iter().any(|t| t.contains("\n14. 関連13")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_closed_counter_is_said_under_its_contact() {
        let mut decision = answer("コンビニで取れます。", vec![]);
        if let Decision::Answer(a) = &mut decision {
            a.contact.as_mut().unwrap().notice =
                Some("現在は閉庁時間です。次は12月3日(木) 8:30 から".into());
        }
        let (_, contents) = card(&render(&decision, "r"));
        let texts = texts_in(&contents);
        let contact = texts
            .iter()
            .position(|t| t.ends_with("電話 0566-53-1111（平日 8:30〜17:15）"))
            .expect("the contact");
        assert!(texts.contains(&"現在は閉庁時間です。次は12月3日(木) 8:30 から".to_string()));
        assert_eq!(
            contents["body"]["contents"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["text"],
            "現在は閉庁時間です。次は12月3日(木) 8:30 から",
            "right under the contact (text {contact})"
        );
    }

    #[test]
    fn a_fallback_keeps_its_contact_in_text() {
        let messages = render(
            &Decision::Fallback {
                text: "お答えできませんでした。".into(),
                contact: Some(Contact {
                    department: "市民課".into(),
                    phone: "0566-53-1111".into(),
                    hours: "平日".into(),
                    place: None,
                    notice: Some("現在は閉庁時間です。".into()),
                    department_id: "shimin".into(),
                }),
                links: vec![],
                choices: vec![],
            },
            "r",
        );
        let MessageBody::Text { text } = &messages[0].body else {
            panic!("text")
        };
        assert!(
            text.ends_with("電話 0566-53-1111（平日）\n現在は閉庁時間です。"),
            "{text}"
        );
    }
}
