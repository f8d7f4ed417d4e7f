//! The word lists in `dictionaries/`: municipal terms for the tokeniser
//! (`user_dict.csv`), synonyms (`synonyms.yaml`) and words that carry no
//! meaning in a question (`stopwords.txt`), which staff edit; and the ways of
//! writing one word (`variants/variants.tsv`: 障害者 = 障がい者 = 障碍者,
//! 住民基本台帳 = 住基), a general list derived from Sudachi's synonym
//! dictionary.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use super::normalize::normalize;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// File names inside the dictionaries directory.
pub const USER_DICT_FILE: &str = "user_dict.csv";
pub const SYNONYMS_FILE: &str = "synonyms.yaml";
pub const STOPWORDS_FILE: &str = "stopwords.txt";
pub const VARIANTS_FILE: &str = "variants/variants.tsv";

/// One word of the user dictionary: how it is written, its part of speech
/// and its reading in katakana.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWord {
    pub surface: String,
    pub part_of_speech: String,
    pub reading: String,
}

/// Synonyms as staff write them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymFile {
    /// Groups of words that mean the same; the first is the one kept.
    #[serde(default)]
    pub same: Vec<Vec<String>>,
    /// A broad word and the narrower words a question with it may mean.
    #[serde(default)]
    pub broader: BTreeMap<String, Vec<String>>,
}

/// Everything in the dictionaries directory but the system dictionary.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    pub user_words: Vec<UserWord>,
    pub synonyms: SynonymFile,
    pub stopwords: Vec<String>,
    /// Ways of writing one word, the one searched for first.
    pub variants: Vec<Vec<String>>,
}

impl Lexicon {
    /// Reads the lexicon from `dir`. Missing files count as empty; every
    /// problem found is returned with its file and line.
    pub fn load(dir: &Path) -> Result<Lexicon, Diagnostics> {
        let mut diagnostics = Diagnostics::default();
        let user_words = read_optional(&dir.join(USER_DICT_FILE), &mut diagnostics)
            .map(|(path, text)| parse_user_dict(&path, &text, &mut diagnostics))
            .unwrap_or_default();
        let synonyms = read_optional(&dir.join(SYNONYMS_FILE), &mut diagnostics)
            .map(|(path, text)| parse_synonyms(&path, &text, &mut diagnostics))
            .unwrap_or_default();
        let stopwords = read_optional(&dir.join(STOPWORDS_FILE), &mut diagnostics)
            .map(|(_, text)| parse_stopwords(&text))
            .unwrap_or_default();
        let variants = read_optional(&dir.join(VARIANTS_FILE), &mut diagnostics)
            .map(|(_, text)| parse_variants(&text))
            .unwrap_or_default();
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(Lexicon {
            user_words,
            synonyms,
            stopwords,
            variants,
        })
    }
}

fn read_optional(
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> Option<(std::path::PathBuf, String)> {
    match fs::read_to_string(path) {
        Ok(text) => Some((path.to_path_buf(), text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(path, 0, 0, format!("cannot read the file: {err}"))
                    .with_help("the file must be UTF-8 text"),
            );
            None
        }
    }
}

fn parse_user_dict(path: &Path, text: &str, diagnostics: &mut Diagnostics) -> Vec<UserWord> {
    let mut words = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [surface, part_of_speech, reading] = fields[..] else {
            diagnostics.push(
                Diagnostic::error(
                    path,
                    line_no,
                    1,
                    format!("expected 3 comma-separated fields, found {}", fields.len()),
                )
                .with_help("write one word per line as `表記,品詞,ヨミ`, e.g. `マイナポータル,名詞,マイナポータル`"),
            );
            continue;
        };
        if surface.is_empty() {
            diagnostics.push(Diagnostic::error(path, line_no, 1, "the word is empty"));
            continue;
        }
        if !reading
            .chars()
            .all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー')
        {
            let column = line
                .find(reading)
                .map_or(1, |i| line[..i].chars().count() + 1);
            diagnostics.push(
                Diagnostic::error(
                    path,
                    line_no,
                    column,
                    format!("the reading `{reading}` is not written in katakana"),
                )
                .with_help("write the reading in full-width katakana, e.g. `コンビニコウフ`"),
            );
            continue;
        }
        words.push(UserWord {
            surface: normalize(surface),
            part_of_speech: part_of_speech.to_string(),
            reading: reading.to_string(),
        });
    }
    words
}

fn parse_synonyms(path: &Path, text: &str, diagnostics: &mut Diagnostics) -> SynonymFile {
    match serde_yaml::from_str::<Option<SynonymFile>>(text) {
        Ok(file) => {
            let file = file.unwrap_or_default();
            for group in &file.same {
                if group.len() < 2 {
                    let line = find_line(text, group.first().map_or("", String::as_str));
                    diagnostics.push(
                        Diagnostic::error(path, line, 0, "a synonym group needs two words or more")
                            .with_help("list the words that mean the same, e.g. `- [マイナンバーカード, マイナカード]`"),
                    );
                }
            }
            file
        }
        Err(err) => {
            diagnostics.push(crate::diagnostic::yaml_error(path, &err));
            SynonymFile::default()
        }
    }
}

fn parse_stopwords(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(normalize)
        .collect()
}

/// One tab-separated line of written forms per word; `#` starts a comment.
fn parse_variants(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split('\t')
                .map(|form| normalize(form.trim()))
                .collect::<Vec<_>>()
        })
        .filter(|forms| forms.len() >= 2)
        .collect()
}

fn find_line(text: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_dict(text: &str) -> (Vec<UserWord>, Diagnostics) {
        let mut diagnostics = Diagnostics::default();
        let words = parse_user_dict(Path::new("user_dict.csv"), text, &mut diagnostics);
        (words, diagnostics)
    }

    #[test]
    fn user_dict_rows_are_normalised() {
        let (words, diagnostics) = user_dict("# comment\nLoGoフォーム,名詞,ロゴフォーム\n");
        assert!(diagnostics.is_empty());
        assert_eq!(words[0].surface, "logoフォーム");
    }

    #[test]
    fn user_dict_errors_name_line_and_column() {
        let (_, diagnostics) = user_dict(
            "コンビニ交付,名詞,コンビニコウフ\n児童手当,名詞\n書かない窓口,名詞,かかないまどぐち\n",
        );
        let errors: Vec<_> = diagnostics.errors().collect();
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].line, errors[0].column), (2, 1));
        assert_eq!((errors[1].line, errors[1].column), (3, 11));
        assert!(errors[1].message.contains("katakana"));
    }

    #[test]
    fn variant_lines_need_two_forms_and_skip_comments() {
        let variants =
            parse_variants("# 説明\n障害者\t障がい者\t障碍者\n単独\n\nＡＴＭ\tえーてぃーえむ\n");
        assert_eq!(
            variants,
            vec![
                vec!["障害者".to_string(), "障がい者".into(), "障碍者".into()],
                vec!["atm".to_string(), "えーてぃーえむ".into()],
            ]
        );
    }

    #[test]
    fn unknown_synonym_keys_are_errors() {
        let mut diagnostics = Diagnostics::default();
        parse_synonyms(
            Path::new("synonyms.yaml"),
            "same:\n  - [a, b]\nbroder:\n  x: [y]\n",
            &mut diagnostics,
        );
        let error = diagnostics.errors().next().expect("an error");
        assert_eq!(error.line, 3);
        assert!(error.message.contains("broder"), "{}", error.message);
    }
}
