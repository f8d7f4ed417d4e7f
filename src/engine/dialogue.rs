//! The engine in a conversation: guided flows, choices picked by number or
//! words, questions that refer to the previous answer, and what to offer
//! after 「役に立たなかった」. Every turn says which rule decided.

use std::collections::BTreeSet;

use super::{
    Choice, ChoiceValue, Contact, Conversation, Decision, Engine, EngineError, Explanation, Link,
    Situation, entry_choice,
};
use crate::faq::Date;
use crate::faq::{Flow, Step, Target};
use crate::i18n::{Lang, fill};

/// A flow's trigger phrase and its words.
pub(super) struct FlowTrigger {
    pub flow: usize,
    pub phrase: String,
    pub words: BTreeSet<String>,
}

impl Engine {
    /// The triggers of every flow, analysed like messages.
    pub(super) fn flow_triggers(&self) -> Vec<FlowTrigger> {
        let analyzer = self.index.analyzer();
        self.content
            .flows
            .iter()
            .enumerate()
            .flat_map(|(flow, f)| f.triggers.iter().map(move |phrase| (flow, phrase.clone())))
            .map(|(flow, phrase)| FlowTrigger {
                flow,
                words: analyzer.analyze(&phrase).words.into_iter().collect(),
                phrase,
            })
            .filter(|t| !t.words.is_empty())
            .collect()
    }

    /// The flow a message asks for: one whose trigger says everything the
    /// message says, the trigger adding the fewest words winning.
    /// In disaster mode a disaster flow wins over the others, unless the
    /// message is another flow's trigger word for word.
    pub(super) fn flow_for(&self, words: &[String], situation: Situation) -> Option<(&Flow, &str)> {
        if words.is_empty() {
            return None;
        }
        let said: BTreeSet<&String> = words.iter().collect();
        self.flow_triggers
            .iter()
            .filter(|t| words.iter().all(|w| t.words.contains(w)))
            .min_by_key(|t| {
                let exact = t.words.len() == said.len();
                let preferred = situation.disaster && self.content.flows[t.flow].disaster;
                (!exact, !preferred, t.words.len())
            })
            .map(|t| (&self.content.flows[t.flow], t.phrase.as_str()))
    }

    /// A flow's step as a decision.
    pub(super) fn flow_step(&self, flow: &Flow, step: &Step) -> Decision {
        let choices = step
            .choices
            .iter()
            .filter_map(|choice| {
                let value = match choice.target()? {
                    Target::Step(id) => ChoiceValue::Step(format!("{}/{id}", flow.id)),
                    Target::Answer(id) => ChoiceValue::Entry(self.live_entry(id)?.id.clone()),
                    Target::Procedure(id) => ChoiceValue::Procedure(id.into()),
                    Target::Contact(id) => ChoiceValue::Contact(id.into()),
                };
                Some(Choice {
                    value,
                    label: choice.label.clone(),
                })
            })
            .collect();
        Decision::Flow {
            flow: flow.id.clone(),
            step: step.id.clone(),
            text: step.prompt.clone(),
            choices,
        }
    }

    /// What picking a choice leads to; `None` if what it names is gone (the
    /// content changed since it was offered).
    pub fn choose(&self, choice: &ChoiceValue) -> Option<Decision> {
        match choice {
            ChoiceValue::Entry(id) => self.answer(id),
            ChoiceValue::Category(name) => self.category(name),
            ChoiceValue::More(id) => self.more(id),
            ChoiceValue::Handoff(_) => None,
            ChoiceValue::Step(path) => {
                let (flow, step) = path.split_once('/')?;
                let flow = self.content.flow(flow)?;
                Some(self.flow_step(flow, flow.step(step)?))
            }
            ChoiceValue::Procedure(id) => {
                let procedure = self.content.procedures.get(id)?;
                Some(Decision::Rule {
                    rule: "procedure".into(),
                    text: fill(Lang::Ja.bot().procedure_here, &[("name", &procedure.name)]),
                    choices: Vec::new(),
                    contact: None,
                    links: vec![Link::from(procedure)],
                })
            }
            ChoiceValue::Contact(id) => {
                let department = self.content.departments.get(id)?;
                Some(Decision::Rule {
                    rule: "contact".into(),
                    text: Lang::Ja.bot().ask_counter.into(),
                    choices: Vec::new(),
                    contact: Some(Contact::from(department)),
                    links: Vec::new(),
                })
            }
        }
    }

    /// Decides how to reply to `message` within a conversation: a choice
    /// picked by its number or words, then a question about the previous
    /// answer (「それは…」), then a fresh question.
    pub fn respond(
        &self,
        conversation: &Conversation,
        message: &str,
    ) -> Result<(Decision, Explanation), EngineError> {
        self.respond_in(conversation, message, Situation::default())
    }

    /// [`Engine::respond`] in a situation (disaster mode).
    pub fn respond_in(
        &self,
        conversation: &Conversation,
        message: &str,
        situation: Situation,
    ) -> Result<(Decision, Explanation), EngineError> {
        let ask = |text: &str| self.ask_in(text, Date::today_in_japan(), situation);
        if let Some(choice) = conversation.pick(message)
            && let Some(decision) = self.choose(&choice)
        {
            let explanation = Explanation {
                reason: format!("the message picks the offered choice `{}`", choice.id()),
                ..Explanation::default()
            };
            return Ok((decision, explanation));
        }
        if let Some(previous) = conversation
            .last_answer
            .as_deref()
            .and_then(|id| self.live_entry(id))
            && let Some(word) = self
                .content
                .rules
                .context_words
                .iter()
                .find(|w| message.contains(w.as_str()))
        {
            let rest = message.replacen(word.as_str(), "", 1);
            let rest = rest.trim_start_matches(['は', 'も', 'を', 'っ', 'て']);
            let query = format!("{} {rest}", previous.question);
            let (decision, mut explanation) = ask(&query)?;
            // The previous answer again would not help: only another answer
            // resolves the reference.
            if decision.answer_id().is_some_and(|id| id != previous.id) {
                explanation.reason = format!(
                    "context: 「{word}」 refers to the previous answer `{}`, so 「{query}」 was searched; {}",
                    previous.id, explanation.reason
                );
                return Ok((decision, explanation));
            }
            let (alone, mut alone_explanation) = ask(rest)?;
            if alone.answer_id().is_some() || !matches!(decision, Decision::Choices { .. }) {
                alone_explanation.reason = format!(
                    "context: 「{word}」 did not single out an answer with the previous one `{}`; 「{rest}」 alone was searched; {}",
                    previous.id, alone_explanation.reason
                );
                return Ok((alone, alone_explanation));
            }
            explanation.reason = format!(
                "context: 「{word}」 refers to the previous answer `{}`, so 「{query}」 was searched; {}",
                previous.id, explanation.reason
            );
            return Ok((decision, explanation));
        }
        ask(message)
    }

    /// What to offer after a resident found the answer `entry_id`
    /// unhelpful: the other candidates of their question, then the contact.
    pub fn after_unhelpful(&self, conversation: &Conversation, entry_id: &str) -> Decision {
        let others: Vec<Choice> = conversation
            .candidates
            .iter()
            .filter(|id| id.as_str() != entry_id)
            .filter_map(|id| self.live_entry(id))
            .take(3)
            .map(entry_choice)
            .collect();
        let (contact, links) = self.escalation();
        if others.is_empty() {
            return Decision::Fallback {
                text: self.content.rules.fallback.message.trim_end().to_string(),
                contact,
                links,
                choices: Vec::new(),
            };
        }
        let mut choices = others;
        choices.push(Choice {
            value: ChoiceValue::Contact(self.content.rules.fallback.department.clone()),
            label: Lang::Ja.bot().none_of_these.into(),
        });
        Decision::Choices {
            prompt: self.content.rules.unhelpful_prompt.clone(),
            choices,
        }
    }
}
