//! Edits of a topic file that rewrite only what changed: the lines of one
//! field of one entry, an entry appended, or an entry removed. Comments,
//! order, blank lines and the formatting of everything else stay byte for
//! byte, so staff who edit the files in a text editor or git keep a tidy
//! history. Every edit is checked by parsing the result: the edited entry
//! must hold exactly the new value and every other entry must be unchanged,
//! or the edit is refused.

use serde_yaml::Value;

/// A field of an entry and its new value; `None` or an empty list removes
/// the field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(Option<String>),
    List(Vec<String>),
}

/// Why an edit could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the file does not parse as a topic file: {0}")]
    Unparsable(String),
    #[error("no entry `{0}` in this file")]
    NoEntry(String),
    #[error("the entry id `{0}` is already used in this file")]
    DuplicateId(String),
    #[error(
        "the edit of `{entry}` would not read back as written ({field}); the file is left as it was"
    )]
    NotFaithful { entry: String, field: String },
}

/// Fields written as a block literal (`answer: |`).
const BLOCK_TEXT_FIELDS: [&str; 2] = ["answer", "easy"];
/// Lists written one item a line; the others as `[a, b]`.
const BLOCK_LIST_FIELDS: [&str; 1] = ["phrasings"];
/// The order fields are written in when an entry gains one.
const FIELD_ORDER: [&str; 15] = [
    "id",
    "question",
    "phrasings",
    "keywords",
    "answer",
    "easy",
    "answers",
    "phrasings_by_language",
    "category",
    "department",
    "procedures",
    "related",
    "valid_from",
    "valid_until",
    "reviewed",
];

/// The text with `field` of entry `id` set to `value`. Unchanged text when
/// the entry already holds that value.
pub fn set_field(
    text: &str,
    id: &str,
    field: &str,
    value: &FieldValue,
) -> Result<String, EditError> {
    let before = parse(text)?;
    let current = entry_value(&before, id).ok_or_else(|| EditError::NoEntry(id.into()))?;
    let present = current.get(field).map(normalise);
    if present == wanted(value) {
        return Ok(text.to_string());
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let entry = EntryBlock::find(&lines, id).ok_or_else(|| EditError::NoEntry(id.into()))?;
    let flow = entry.style_of(&lines, field);
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (entry.field_span(&lines, field), present, value) {
        // Items added at the end of a list written one a line: only the
        // new lines, so comments on the others stay.
        (Some((_, end)), Some(Value::Sequence(old)), FieldValue::List(items))
            if flow == Some(false)
                && items.len() > old.len()
                && old.iter().zip(items).all(|(o, n)| o.as_str() == Some(n)) =>
        {
            let inner = " ".repeat(entry.field_indent + 2);
            let added = items[old.len()..]
                .iter()
                .map(|item| format!("{inner}- {}\n", scalar(item)));
            out.splice(end..end, added);
        }
        (Some((start, end)), ..) => {
            out.splice(
                start..end,
                render_field(field, value, entry.field_indent, flow),
            );
        }
        (None, ..) => {
            let at = entry.insertion_point(&lines, field);
            out.splice(at..at, render_field(field, value, entry.field_indent, None));
        }
    }
    let edited: String = out.concat();
    verify(&before, &edited, id, Some((field, value)))?;
    Ok(edited)
}

/// The text with a new entry (`fields` in the usual order) appended to the
/// file's entries.
pub fn append_entry(text: &str, fields: &[(&str, FieldValue)]) -> Result<String, EditError> {
    let before = parse(text)?;
    let id = fields
        .iter()
        .find_map(|(name, value)| match (*name, value) {
            ("id", FieldValue::Text(Some(id))) => Some(id.clone()),
            _ => None,
        })
        .ok_or_else(|| EditError::NoEntry(String::new()))?;
    if entry_value(&before, &id).is_some() {
        return Err(EditError::DuplicateId(id));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let (item_indent, list_present) = entries_indent(&lines);
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !list_present {
        out.push_str("entries:\n");
    } else if !out.ends_with("\n\n") && before_entries_nonempty(&before) {
        out.push('\n');
    }
    let field_indent = item_indent + 2;
    let mut ordered: Vec<&(&str, FieldValue)> = fields.iter().collect();
    ordered.sort_by_key(|(name, _)| FIELD_ORDER.iter().position(|f| f == name).unwrap_or(99));
    for (n, (name, value)) in ordered.into_iter().enumerate() {
        let mut rendered = render_field(name, value, field_indent, None);
        if n == 0
            && let Some(first) = rendered.first_mut()
        {
            first.replace_range(item_indent..item_indent + 2, "- ");
        }
        out.extend(rendered);
    }
    verify(&before, &out, &id, None)?;
    Ok(out)
}

/// The text without entry `id` (and the blank lines that separated it).
pub fn remove_entry(text: &str, id: &str) -> Result<String, EditError> {
    let before = parse(text)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let entry = EntryBlock::find(&lines, id).ok_or_else(|| EditError::NoEntry(id.into()))?;
    let mut end = entry.end;
    while end < lines.len() && lines[end].trim().is_empty() {
        end += 1;
    }
    let mut out: Vec<&str> = lines.clone();
    out.drain(entry.start..end);
    let edited = out.concat();
    let after = parse(&edited)?;
    let others = |doc: &Value| -> Vec<Value> {
        entries(doc)
            .into_iter()
            .filter(|e| e.get("id").and_then(Value::as_str) != Some(id))
            .cloned()
            .collect()
    };
    if entry_value(&after, id).is_some() || others(&before) != others(&after) {
        return Err(EditError::NotFaithful {
            entry: id.into(),
            field: "the whole entry".into(),
        });
    }
    Ok(edited)
}

fn parse(text: &str) -> Result<Value, EditError> {
    serde_yaml::from_str(text).map_err(|err| EditError::Unparsable(err.to_string()))
}

fn entries(doc: &Value) -> Vec<&Value> {
    doc.get("entries")
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

fn before_entries_nonempty(doc: &Value) -> bool {
    !entries(doc).is_empty()
}

fn entry_value<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    entries(doc)
        .into_iter()
        .find(|e| e.get("id").and_then(Value::as_str) == Some(id))
}

/// A field's value as the entry would hold it after the edit, for
/// comparison: `None` for an absent field.
fn wanted(value: &FieldValue) -> Option<Value> {
    match value {
        FieldValue::Text(None) => None,
        FieldValue::Text(Some(text)) => Some(Value::String(text.clone())),
        FieldValue::List(items) if items.is_empty() => None,
        FieldValue::List(items) => Some(Value::Sequence(
            items.iter().cloned().map(Value::String).collect(),
        )),
    }
    .as_ref()
    .map(normalise)
}

/// Values as compared: block literals end with one line break, which the
/// model trims anyway; dates and numbers as their text.
fn normalise(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.trim_end_matches('\n').to_string()),
        Value::Sequence(items) => Value::Sequence(items.iter().map(normalise).collect()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    }
}

/// Checks that `edited` parses, holds the edit, and changes nothing else.
fn verify(
    before: &Value,
    edited: &str,
    id: &str,
    edit: Option<(&str, &FieldValue)>,
) -> Result<(), EditError> {
    let not_faithful = |field: &str| EditError::NotFaithful {
        entry: id.into(),
        field: field.into(),
    };
    let after = parse(edited).map_err(|_| not_faithful(edit.map_or("new entry", |e| e.0)))?;
    let strip = |doc: &Value| -> Value {
        let mut doc = doc.clone();
        if let Some(Value::Sequence(items)) = doc.get_mut("entries") {
            items.retain(|e| e.get("id").and_then(Value::as_str) != Some(id));
        }
        doc
    };
    if strip(before) != strip(&after) {
        return Err(not_faithful("other entries"));
    }
    let new = entry_value(&after, id).ok_or_else(|| not_faithful("id"))?;
    if let Some((field, value)) = edit {
        let old = entry_value(before, id).ok_or_else(|| not_faithful("id"))?;
        if new.get(field).map(normalise) != wanted(value) {
            return Err(not_faithful(field));
        }
        let without = |entry: &Value| -> Value {
            let mut entry = entry.clone();
            if let Value::Mapping(map) = &mut entry {
                map.remove(field);
            }
            entry
        };
        if without(old) != without(new) {
            return Err(not_faithful("other fields"));
        }
    }
    Ok(())
}

/// Where one entry is written: from its `- id:` line to the line before
/// the next entry (or the end of the list), trailing blank lines excluded.
struct EntryBlock {
    start: usize,
    end: usize,
    field_indent: usize,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The key a line starts (`question` of `    question: …`).
fn key_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start().trim_start_matches("- ");
    let (key, _) = trimmed.split_once(':')?;
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(key)
}

fn scalar_of(line: &str) -> Option<&str> {
    let (_, value) = line.split_once(':')?;
    Some(value.trim().trim_matches(|c| c == '"' || c == '\''))
}

impl EntryBlock {
    fn find(lines: &[&str], id: &str) -> Option<EntryBlock> {
        let start = lines.iter().position(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with("- ")
                && key_of(line) == Some("id")
                && scalar_of(trimmed.trim_start_matches("- ")) == Some(id)
        })?;
        let item_indent = indent(lines[start]);
        let mut end = start + 1;
        while end < lines.len() {
            let line = lines[end];
            if !is_blank_or_comment(line) && indent(line) <= item_indent {
                break;
            }
            end += 1;
        }
        while end > start + 1 && is_blank_or_comment(lines[end - 1]) {
            end -= 1;
        }
        Some(EntryBlock {
            start,
            end,
            field_indent: item_indent + 2,
        })
    }

    /// The lines `[start, end)` of `field` within the entry.
    fn field_span(&self, lines: &[&str], field: &str) -> Option<(usize, usize)> {
        let start = (self.start..self.end).find(|&i| {
            let line = lines[i];
            key_of(line) == Some(field)
                && (indent(line) == self.field_indent || (i == self.start && field == "id"))
        })?;
        let mut end = start + 1;
        while end < self.end {
            let line = lines[end];
            let continues = line.trim().is_empty()
                || indent(line) > self.field_indent
                || (indent(line) == self.field_indent && line.trim_start().starts_with("- "));
            if !continues {
                break;
            }
            end += 1;
        }
        while end > start + 1 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        Some((start, end))
    }

    /// Whether the field is written as a flow list (`[a, b]`) now.
    fn style_of(&self, lines: &[&str], field: &str) -> Option<bool> {
        let (start, _) = self.field_span(lines, field)?;
        Some(
            lines[start]
                .split_once(':')
                .is_some_and(|(_, v)| v.trim_start().starts_with('[')),
        )
    }

    /// Where a field the entry lacks goes: after the last field that comes
    /// before it in the usual order.
    fn insertion_point(&self, lines: &[&str], field: &str) -> usize {
        let rank = FIELD_ORDER.iter().position(|f| *f == field).unwrap_or(99);
        FIELD_ORDER[..rank.min(FIELD_ORDER.len())]
            .iter()
            .filter_map(|earlier| self.field_span(lines, earlier).map(|(_, end)| end))
            .max()
            .unwrap_or(self.end)
    }
}

/// The indentation of the entries' `- ` and whether the file has an
/// `entries:` list at all.
fn entries_indent(lines: &[&str]) -> (usize, bool) {
    let Some(at) = lines.iter().position(|l| l.starts_with("entries:")) else {
        return (2, false);
    };
    let item = lines[at + 1..]
        .iter()
        .find(|l| l.trim_start().starts_with("- "))
        .map_or(2, |l| indent(l));
    (item, true)
}

/// A scalar as YAML reads it back, in a block or in a flow list: plain
/// when that is plainly safe, else double-quoted (JSON's escapes are
/// YAML's).
fn scalar(text: &str) -> String {
    let plain_safe = !text.is_empty()
        && !text.starts_with([
            ' ', '-', '?', ':', '!', '&', '*', '#', '|', '>', '\'', '"', '%', '@', '`', '[', ']',
            '{', '}', ',',
        ])
        && !text.ends_with(' ')
        && !text.contains(['\n', '\t', '[', ']', '{', '}', ',', ':', '#'])
        && serde_yaml::from_str::<Value>(text).ok() == Some(Value::String(text.to_string()));
    if plain_safe {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

/// The lines of `field: value` at `indent`. `flow` keeps a list's present
/// style; new lists take the field's usual one.
fn render_field(field: &str, value: &FieldValue, indent: usize, flow: Option<bool>) -> Vec<String> {
    let pad = " ".repeat(indent);
    match value {
        FieldValue::Text(None) => Vec::new(),
        FieldValue::List(items) if items.is_empty() => Vec::new(),
        FieldValue::Text(Some(text))
            if BLOCK_TEXT_FIELDS.contains(&field) || text.contains('\n') =>
        {
            let inner = " ".repeat(indent + 2);
            // A first line that starts with a space needs the indentation
            // said, or YAML would take the space for indentation.
            let leading_space = text
                .split('\n')
                .find(|l| !l.is_empty())
                .is_some_and(|l| l.starts_with(' '));
            let indicator = if leading_space { "|2" } else { "|" };
            let mut lines = vec![format!("{pad}{field}: {indicator}\n")];
            lines.extend(text.trim_end_matches('\n').split('\n').map(|line| {
                if line.is_empty() {
                    "\n".to_string()
                } else {
                    format!("{inner}{line}\n")
                }
            }));
            lines
        }
        FieldValue::Text(Some(text)) => vec![format!("{pad}{field}: {}\n", scalar(text))],
        FieldValue::List(items) => {
            let flow = flow.unwrap_or(!BLOCK_LIST_FIELDS.contains(&field));
            if flow {
                let items: Vec<String> = items.iter().map(|i| scalar(i)).collect();
                vec![format!("{pad}{field}: [{}]\n", items.join(", "))]
            } else {
                let inner = " ".repeat(indent + 2);
                std::iter::once(format!("{pad}{field}:\n"))
                    .chain(items.iter().map(|i| format!("{inner}- {}\n", scalar(i))))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "# 証明書の質問（市民課）\ncategory: 証明書\ndepartment: shimin\nentries:\n  - id: a\n    question: 住民票はどこで取れますか\n    phrasings:\n      - 住民票がほしい   # よくある言い方\n      - 住民票の取り方\n    keywords: [住民票, 写し]\n    answer: |\n      市民課の窓口で取れます。\n\n      コンビニでも取れます。\n    procedures: [conveni]\n\n  # 印鑑はこちら\n  - id: b\n    question: \"印鑑登録: どうする\"\n    answer: 印鑑を持って来てください。\n";

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(Some(s.into()))
    }

    fn list(items: &[&str]) -> FieldValue {
        FieldValue::List(items.iter().map(|s| s.to_string()).collect())
    }

    /// The lines that differ, as (old, new).
    fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let prefix = old_lines
            .iter()
            .zip(&new_lines)
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = old_lines[prefix..]
            .iter()
            .rev()
            .zip(new_lines[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        (
            old_lines[prefix..old_lines.len() - suffix]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            new_lines[prefix..new_lines.len() - suffix]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
    }

    #[test]
    fn saving_the_same_values_leaves_every_byte() {
        let answer = "市民課の窓口で取れます。\n\nコンビニでも取れます。";
        for (field, value) in [
            ("answer", text(answer)),
            ("question", text("住民票はどこで取れますか")),
            ("phrasings", list(&["住民票がほしい", "住民票の取り方"])),
            ("keywords", list(&["住民票", "写し"])),
            ("related", FieldValue::List(vec![])),
        ] {
            assert_eq!(
                set_field(TOPIC, "a", field, &value).unwrap(),
                TOPIC,
                "{field}"
            );
        }
        assert_eq!(
            set_field(TOPIC, "b", "question", &text("印鑑登録: どうする")).unwrap(),
            TOPIC
        );
    }

    #[test]
    fn changing_one_answer_touches_only_its_lines() {
        let edited = set_field(
            TOPIC,
            "a",
            "answer",
            &text("市民課の窓口（1階）で取れます。\nコンビニでも取れます。"),
        )
        .unwrap();
        let (old, new) = changed_lines(TOPIC, &edited);
        assert_eq!(old, ["      市民課の窓口で取れます。", ""]);
        assert_eq!(new, ["      市民課の窓口（1階）で取れます。"]);
        assert!(edited.contains("# よくある言い方") && edited.contains("# 印鑑はこちら"));
    }

    #[test]
    fn a_phrasing_added_is_one_line_and_comments_stay() {
        let edited = set_field(
            TOPIC,
            "a",
            "phrasings",
            &list(&["住民票がほしい", "住民票の取り方", "住民票: 急ぎ"]),
        )
        .unwrap();
        let (old, new) = changed_lines(TOPIC, &edited);
        assert!(old.is_empty(), "{old:?}");
        assert_eq!(new, ["      - \"住民票: 急ぎ\""]);
        let topic: crate::faq::model::TopicFile = serde_yaml::from_str(&edited).unwrap();
        assert_eq!(topic.entries[0].phrasings[2], "住民票: 急ぎ");
        // Any other change to the list rewrites the list, and only it.
        let reordered = set_field(TOPIC, "a", "phrasings", &list(&["住民票の取り方"])).unwrap();
        let (old, new) = changed_lines(TOPIC, &reordered);
        assert_eq!(old, ["      - 住民票がほしい   # よくある言い方"]);
        assert!(new.is_empty(), "{new:?}");
    }

    #[test]
    fn missing_fields_are_added_in_order_and_removed_fields_go() {
        let edited = set_field(TOPIC, "b", "keywords", &list(&["印鑑", "実印"])).unwrap();
        let (old, new) = changed_lines(TOPIC, &edited);
        assert!(old.is_empty());
        assert_eq!(new, ["    keywords: [印鑑, 実印]"]);
        assert!(edited.find("keywords: [印鑑").unwrap() < edited.find("answer: 印鑑を").unwrap());
        let valid = set_field(&edited, "b", "valid_until", &text("2027-03-31")).unwrap();
        assert!(
            valid
                .ends_with("    answer: 印鑑を持って来てください。\n    valid_until: 2027-03-31\n"),
            "{valid}"
        );
        let removed = set_field(&edited, "b", "keywords", &FieldValue::List(vec![])).unwrap();
        assert_eq!(removed, TOPIC);
    }

    #[test]
    fn entries_are_appended_and_removed_without_touching_the_others() {
        let added = append_entry(
            TOPIC,
            &[
                ("answer", text("1通300円です。")),
                ("id", text("c")),
                ("question", text("手数料はいくら")),
                ("phrasings", list(&["いくらかかる"])),
            ],
        )
        .unwrap();
        assert!(added.starts_with(TOPIC));
        assert!(added.ends_with("\n  - id: c\n    question: 手数料はいくら\n    phrasings:\n      - いくらかかる\n    answer: |\n      1通300円です。\n"), "{added}");
        assert_eq!(
            append_entry(
                TOPIC,
                &[
                    ("id", text("a")),
                    ("question", text("x")),
                    ("answer", text("y"))
                ]
            ),
            Err(EditError::DuplicateId("a".into()))
        );
        let removed = remove_entry(&added, "c").unwrap();
        assert_eq!(removed.trim_end(), TOPIC.trim_end());
        let without_a = remove_entry(TOPIC, "a").unwrap();
        assert!(without_a.contains("# 証明書の質問") && without_a.contains("- id: b"));
        assert!(!without_a.contains("住民票はどこ"));
    }

    #[test]
    fn unknown_entries_and_broken_files_are_errors() {
        assert_eq!(
            set_field(TOPIC, "z", "answer", &text("x")),
            Err(EditError::NoEntry("z".into()))
        );
        assert!(matches!(
            set_field("entries: [", "a", "answer", &text("x")),
            Err(EditError::Unparsable(_))
        ));
    }

    #[test]
    fn the_demo_files_round_trip_byte_for_byte() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
        let mut checked = 0;
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let Ok(original) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(topic) = serde_yaml::from_str::<crate::faq::model::TopicFile>(&original) else {
                continue;
            };
            for entry in &topic.entries {
                for (field, value) in [
                    ("question", text(&entry.question)),
                    ("answer", text(&entry.answer)),
                    ("phrasings", FieldValue::List(entry.phrasings.clone())),
                    ("keywords", FieldValue::List(entry.keywords.clone())),
                    ("procedures", FieldValue::List(entry.procedures.clone())),
                    ("related", FieldValue::List(entry.related.clone())),
                ] {
                    assert_eq!(
                        set_field(&original, &entry.id, field, &value).unwrap(),
                        original
                    );
                }
                // A changed answer reads back, and touches only its lines.
                let new_answer = format!("{}\n（更新）", entry.answer.trim_end());
                let edited = set_field(&original, &entry.id, "answer", &text(&new_answer)).unwrap();
                let (old, new) = changed_lines(&original, &edited);
                assert!(old.is_empty(), "{}: {old:?}", entry.id);
                assert_eq!(new, ["      （更新）"], "{}", entry.id);
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked} entries");
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        fn any_text() -> impl Strategy<Value = String> {
            "[ -~あ住：:#\\[\\]{},'\"|>\\-\n😀]{1,30}"
                .prop_filter("not blank", |t| !t.trim().is_empty())
        }

        proptest! {
            /// Whatever staff type, the edit reads back exactly, touches no
            /// other entry, and a second save changes nothing.
            #[test]
            fn any_value_reads_back(value in any_text(), items in proptest::collection::vec(any_text(), 1..4)) {
                let single: String = value.replace('\n', " ").trim().to_string();
                prop_assume!(!single.is_empty());
                for (field, new) in [
                    ("question", text(&single)),
                    ("answer", text(&value)),
                    ("phrasings", FieldValue::List(items.iter().map(|i| i.replace('\n', " ").trim().to_string()).filter(|i| !i.is_empty()).collect())),
                    ("keywords", FieldValue::List(items.iter().map(|i| i.replace('\n', " ").trim().to_string()).filter(|i| !i.is_empty()).collect())),
                ] {
                    let edited = set_field(TOPIC, "b", field, &new);
                    prop_assert!(edited.is_ok(), "{field} {new:?}: {edited:?}");
                    let edited = edited.unwrap();
                    prop_assert_eq!(set_field(&edited, "b", field, &new).unwrap(), edited.clone());
                }
            }
        }
    }
}
