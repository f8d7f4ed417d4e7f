//! Matching messages against the explicit rules of `rules.yaml`.

use crate::faq::Rule;

/// The rules, with their phrases put into the form messages are matched
/// in once.
pub(super) struct RuleMatcher {
    rules: Vec<(Rule, Vec<String>, Vec<String>)>,
}

impl RuleMatcher {
    /// `canonical` is the text pipeline's canonical form (normalised, with
    /// synonyms replaced), the form [`RuleMatcher::find`] is given messages
    /// in.
    pub(super) fn new(rules: &[Rule], canonical: impl Fn(&str) -> String) -> RuleMatcher {
        RuleMatcher {
            rules: rules
                .iter()
                .map(|rule| {
                    let says = rule.says.iter().map(|s| bare(&canonical(s))).collect();
                    let contains = rule.contains.iter().map(|s| canonical(s)).collect();
                    (rule.clone(), says, contains)
                })
                .collect(),
        }
    }

    /// The first rule matching a message in canonical form. An empty message
    /// matches a rule that says "" (the menu, usually).
    pub(super) fn find(&self, normalized: &str) -> Option<&Rule> {
        let message = bare(normalized);
        self.rules
            .iter()
            .find(|(_, says, contains)| {
                says.contains(&message)
                    || contains
                        .iter()
                        .any(|c| !c.is_empty() && normalized.contains(c.as_str()))
            })
            .map(|(rule, _, _)| rule)
    }
}

/// The message without spaces and trailing punctuation, so 「ありがとう！」
/// and 「ありがとう」 are the same.
fn bare(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_end_matches(|c: char| "。、.,!?！？〜ー~♪…".contains(c))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::RuleAction;
    use crate::text::normalize;

    fn rule(id: &str, says: &[&str], contains: &[&str]) -> Rule {
        Rule {
            id: id.into(),
            says: says.iter().map(|s| s.to_string()).collect(),
            contains: contains.iter().map(|s| s.to_string()).collect(),
            reply: "…".into(),
            replies: Default::default(),
            action: RuleAction::Reply,
        }
    }

    #[test]
    fn says_matches_the_whole_message_only() {
        let matcher = RuleMatcher::new(&[rule("thanks", &["ありがとう"], &[])], normalize);
        assert!(matcher.find(&normalize("ありがとう！")).is_some());
        assert!(
            matcher
                .find(&normalize("ありがとう、ところで住民票は"))
                .is_none()
        );
    }

    #[test]
    fn contains_matches_anywhere() {
        let matcher = RuleMatcher::new(&[rule("staff", &[], &["職員と話したい"])], normalize);
        assert_eq!(
            matcher
                .find(&normalize("すみません、職員と話したいです"))
                .map(|r| r.id.as_str()),
            Some("staff")
        );
    }

    #[test]
    fn empty_message_matches_an_empty_says() {
        let matcher = RuleMatcher::new(&[rule("menu", &["", "メニュー"], &[])], normalize);
        assert!(matcher.find("").is_some());
        assert!(matcher.find("めにゅー").is_none());
        assert!(matcher.find(&normalize("ﾒﾆｭｰ")).is_some());
    }
}
