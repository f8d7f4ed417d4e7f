//! What the engine decides for one message, in terms every channel can
//! render.

use serde::Serialize;

use crate::faq::{Department, Procedure};

/// The engine's reply to one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// One entry answers the question.
    Answer(Answer),
    /// Several entries fit about equally: the resident picks one.
    Choices {
        prompt: String,
        choices: Vec<Choice>,
    },
    /// A rule fired before any search (greeting, thanks, escalation, menu).
    Rule {
        rule: String,
        text: String,
        /// Categories, when the rule shows the menu.
        choices: Vec<Choice>,
        /// The contact, when the rule escalates.
        contact: Option<Contact>,
        links: Vec<Link>,
    },
    /// A step of a guided flow: a question with buttons.
    Flow {
        flow: String,
        step: String,
        text: String,
        choices: Vec<Choice>,
    },
    /// Nothing matched: an apology, the contact and the inquiry form.
    Fallback {
        text: String,
        contact: Option<Contact>,
        links: Vec<Link>,
        /// Offered beside the contact (a person, when staff take handoffs).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        choices: Vec<Choice>,
    },
}

impl Decision {
    /// The short name of the decision's kind, as used in logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Answer(_) => "answer",
            Decision::Choices { .. } => "choices",
            Decision::Rule { .. } => "rule",
            Decision::Flow { .. } => "flow",
            Decision::Fallback { .. } => "fallback",
        }
    }

    /// The text to show: the answer, the prompt, the rule's reply or the
    /// apology.
    pub fn text(&self) -> &str {
        match self {
            Decision::Answer(answer) => &answer.text,
            Decision::Choices { prompt, .. } => prompt,
            Decision::Rule { text, .. }
            | Decision::Flow { text, .. }
            | Decision::Fallback { text, .. } => text,
        }
    }

    /// Who to contact, if the decision names someone.
    pub fn contact(&self) -> Option<&Contact> {
        match self {
            Decision::Answer(answer) => answer.contact.as_ref(),
            Decision::Choices { .. } | Decision::Flow { .. } => None,
            Decision::Rule { contact, .. } | Decision::Fallback { contact, .. } => contact.as_ref(),
        }
    }

    /// The contact and the procedures, each there is, to change.
    pub(super) fn contact_and_links(&mut self) -> (Option<&mut Contact>, &mut [Link]) {
        match self {
            Decision::Answer(answer) => (answer.contact.as_mut(), &mut answer.links),
            Decision::Choices { .. } | Decision::Flow { .. } => (None, &mut []),
            Decision::Rule { contact, links, .. } | Decision::Fallback { contact, links, .. } => {
                (contact.as_mut(), links)
            }
        }
    }

    /// The contact and the procedures, to change.
    pub(super) fn contact_and_links_mut(&mut self) -> Option<(&mut Contact, &mut Vec<Link>)> {
        match self {
            Decision::Answer(answer) => Some((answer.contact.as_mut()?, &mut answer.links)),
            Decision::Choices { .. } | Decision::Flow { .. } => None,
            Decision::Rule { contact, links, .. } | Decision::Fallback { contact, links, .. } => {
                Some((contact.as_mut()?, links))
            }
        }
    }

    /// The procedures to act on.
    pub fn links(&self) -> &[Link] {
        match self {
            Decision::Answer(answer) => &answer.links,
            Decision::Choices { .. } | Decision::Flow { .. } => &[],
            Decision::Rule { links, .. } | Decision::Fallback { links, .. } => links,
        }
    }

    /// The choices offered, if any.
    pub fn choices(&self) -> &[Choice] {
        match self {
            Decision::Choices { choices, .. }
            | Decision::Rule { choices, .. }
            | Decision::Flow { choices, .. }
            | Decision::Fallback { choices, .. } => choices,
            Decision::Answer(answer) => &answer.related,
        }
    }

    /// Says an answer in やさしい日本語 where staff wrote one; whether it did.
    pub fn use_easy(&mut self) -> bool {
        match self {
            Decision::Answer(answer) => match answer.easy.take() {
                Some(easy) => {
                    answer.text = easy;
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// Offers one more choice, after the others; answers offer their
    /// related questions only.
    pub fn offer(&mut self, choice: Choice) {
        match self {
            Decision::Choices { choices, .. }
            | Decision::Rule { choices, .. }
            | Decision::Flow { choices, .. }
            | Decision::Fallback { choices, .. } => choices.push(choice),
            Decision::Answer(_) => {}
        }
    }

    /// The answered entry's id, if this is an answer.
    pub fn answer_id(&self) -> Option<&str> {
        match self {
            Decision::Answer(answer) => Some(&answer.id),
            _ => None,
        }
    }
}

/// An entry's answer, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub id: String,
    pub question: String,
    pub text: String,
    /// The answer in やさしい日本語, where staff wrote one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub easy: Option<String>,
    pub links: Vec<Link>,
    pub contact: Option<Contact>,
    pub confidence: Confidence,
    /// Other entries offered under the answer (「関連する質問」).
    pub related: Vec<Choice>,
}

/// How sure the engine is of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Chosen by the resident, or matched nearly word for word.
    High,
    /// Most of the question's words matched.
    Medium,
    /// Only part of the question matched.
    Low,
}

impl Confidence {
    /// `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// Something the resident can pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Choice {
    /// What picking it means: an entry id, or a category name.
    pub value: ChoiceValue,
    pub label: String,
}

/// The target of a [`Choice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ChoiceValue {
    /// An entry's answer.
    Entry(String),
    /// A category's entries.
    Category(String),
    /// A step of a flow, as `flow/step`.
    Step(String),
    /// A procedure's link.
    Procedure(String),
    /// A department's contact.
    Contact(String),
    /// The next page of a long list, as `page:category` (pages from 1; an
    /// empty category is the menu of categories).
    More(String),
    /// A person of this department (handoff; the channels hand it over,
    /// the engine does not).
    Handoff(String),
}

impl ChoiceValue {
    /// The id the choice names.
    pub fn id(&self) -> &str {
        match self {
            ChoiceValue::Entry(id)
            | ChoiceValue::Category(id)
            | ChoiceValue::Step(id)
            | ChoiceValue::Procedure(id)
            | ChoiceValue::Contact(id)
            | ChoiceValue::More(id)
            | ChoiceValue::Handoff(id) => id,
        }
    }
}

/// A procedure to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub title: String,
    /// Absent for counter procedures without a page.
    pub url: Option<String>,
    /// マイナポータル, LoGoフォーム, コンビニ交付 or 窓口.
    pub kind: String,
    pub bring: Vec<String>,
    /// Done at the counter, in its hours (the others: online or at a
    /// convenience store, at other hours too).
    pub counter: bool,
    /// The procedure's id, to name it in another language.
    #[serde(skip)]
    pub procedure_id: String,
}

impl From<&Procedure> for Link {
    fn from(procedure: &Procedure) -> Link {
        Link {
            title: procedure.name.clone(),
            url: procedure.url.clone(),
            kind: procedure.kind.label().to_string(),
            bring: procedure.bring.clone(),
            counter: procedure.kind == crate::faq::ProcedureKind::Counter,
            procedure_id: procedure.id.clone(),
        }
    }
}

/// Who to call or visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub department: String,
    pub phone: String,
    pub hours: String,
    pub place: Option<String>,
    /// 「現在は閉庁時間です。次は…から」 when the counter is closed now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The department's id, to look its hours up.
    #[serde(skip)]
    pub department_id: String,
}

impl From<&Department> for Contact {
    fn from(department: &Department) -> Contact {
        Contact {
            department: department.name.clone(),
            phone: department.phone.clone(),
            hours: department.hours.clone(),
            place: department.place.clone(),
            notice: None,
            department_id: department.id.clone(),
        }
    }
}

/// Why the engine decided as it did, for `ask --explain` and the query log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// The message after normalisation and synonyms.
    pub normalized: String,
    /// The words searched for.
    pub words: Vec<String>,
    /// The best candidates, best first.
    pub candidates: Vec<Candidate>,
    /// The rule of the decision policy that applied, in words.
    pub reason: String,
}

/// One scored entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub score: f32,
    pub coverage: f32,
    /// How much of the entry's closest question the message restates.
    pub restated: f32,
    /// Closeness (cosine) of the message and the entry in the topic space,
    /// when the content is large enough for one.
    pub topic_closeness: Option<f32>,
    /// Closeness (cosine) of the message and the entry's questions by word
    /// vectors, when the content is large enough for them.
    pub question_closeness: Option<f32>,
    /// Closeness (cosine) of the message and the entry by the shipped word
    /// vectors, when the message has a word they know.
    pub pretrained_closeness: Option<f32>,
    /// Closeness (cosine) of the character pairs of the message and the
    /// entry's closest question.
    pub pair_closeness: f32,
    pub matched: Vec<String>,
}
