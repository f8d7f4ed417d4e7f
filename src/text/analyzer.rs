//! Turns a text into the terms the index matches on.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};
use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use rustc_hash::{FxHashMap, FxHashSet};

use super::TextError;
use super::dictionary::{system_dictionary, user_dictionary};
use super::lexicon::Lexicon;
use super::normalize::{fold_kana, is_kana, is_kanji, katakana_to_hiragana, normalize};

/// Spoken contractions that the dictionary does not know, and their
/// written forms (なくしちゃった → なくしてしまった).
const COLLOQUIAL: [(&str, &str); 5] = [
    ("ちゃった", "てしまった"),
    ("ちゃいました", "てしまいました"),
    ("ちゃう", "てしまう"),
    ("じゃった", "でしまった"),
    ("なきゃ", "なければ"),
];

/// The terms of one text, one list per kind of match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The text after normalisation and synonyms.
    pub text: String,
    /// Content words in their base form (取りたい → 取る).
    pub words: Vec<String>,
    /// The reading of each of `words` in hiragana, so that 引越し, 引っ越し
    /// and ひっこし match each other.
    pub readings: Vec<String>,
    /// Runs of adjacent nouns joined into one word (住民 + 票 → 住民票).
    pub compounds: Vec<String>,
    /// Character bigrams of the kana-folded text, so that unknown words and
    /// typos still match in part, and the single kanji of longer runs, so
    /// that compounds sharing a kanji match in part too (街灯, 街路灯).
    pub grams: Vec<String>,
}

/// The text pipeline: normalisation, synonyms, tokenising and filtering.
/// Cheap to share between threads; build one per content version.
pub struct Analyzer {
    segmenter: Segmenter,
    synonyms: SynonymTable,
    /// Each broad word with its narrower words, analysed once here rather
    /// than for every message that has it.
    broader: Vec<(String, Vec<Analysis>)>,
    stopwords: FxHashSet<String>,
    /// Each written form of a word and the form searched for instead.
    variants: FxHashMap<String, String>,
}

/// A piece of text, with its reading when it is written in kanji.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RubySegment {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<String>,
}

/// Splits the kana a word and its reading share at either end (送り仮名)
/// from the part the reading belongs to: 取れ/とれ → ("", 取, と, れ).
fn trim_okurigana(surface: &str, reading: &str) -> (String, String, String, String) {
    let surface: Vec<char> = surface.chars().collect();
    let reading: Vec<char> = reading.chars().collect();
    let hira = |c: char| katakana_to_hiragana(c);
    let (mut start, mut reading_start) = (0, 0);
    while start < surface.len()
        && reading_start < reading.len()
        && !is_kanji(surface[start])
        && hira(surface[start]) == reading[reading_start]
    {
        start += 1;
        reading_start += 1;
    }
    let (mut end, mut reading_end) = (surface.len(), reading.len());
    while end > start
        && reading_end > reading_start
        && !is_kanji(surface[end - 1])
        && hira(surface[end - 1]) == reading[reading_end - 1]
    {
        end -= 1;
        reading_end -= 1;
    }
    let text =
        |range: std::ops::Range<usize>, chars: &[char]| chars[range].iter().collect::<String>();
    (
        text(0..start, &surface),
        text(start..end, &surface),
        text(reading_start..reading_end, &reading),
        text(end..surface.len(), &surface),
    )
}

impl Analyzer {
    /// Builds the pipeline from the staff's lexicon.
    pub fn new(lexicon: &Lexicon) -> Result<Analyzer, TextError> {
        let dictionary = system_dictionary()?;
        let user_dictionary = user_dictionary(&dictionary, &lexicon.user_words)?;
        let segmenter = Segmenter::new(Mode::Normal, dictionary, user_dictionary);
        let mut analyzer = Analyzer {
            segmenter,
            synonyms: SynonymTable::new(&lexicon.synonyms.same),
            broader: Vec::new(),
            stopwords: lexicon.stopwords.iter().cloned().collect(),
            variants: variant_table(&lexicon.variants),
        };
        analyzer.broader = lexicon
            .synonyms
            .broader
            .iter()
            .map(|(word, narrower)| {
                let narrower = narrower.iter().map(|w| analyzer.analyze(w)).collect();
                (normalize(word), narrower)
            })
            .collect();
        Ok(analyzer)
    }

    /// Normalises `text`, expands colloquial contractions and replaces every
    /// synonym by its group's first word.
    pub fn canonical_text(&self, text: &str) -> String {
        let mut text = normalize(text);
        for (spoken, written) in COLLOQUIAL {
            if text.contains(spoken) {
                text = text.replace(spoken, written);
            }
        }
        self.synonyms.apply(&text)
    }

    /// Analyses a text into words, readings and character grams.
    pub fn analyze(&self, text: &str) -> Analysis {
        let text = self.canonical_text(text);
        let mut analysis = Analysis::default();
        let Ok(tokens) = self.segmenter.segment(Cow::Borrowed(text.as_str())) else {
            analysis.text = text;
            return analysis;
        };
        let mut compound = Compound::default();
        // Character grams are taken within runs of content words only, so
        // particles and endings (です, ます, して) add no noise.
        let mut content_run = String::new();
        for mut token in tokens {
            let surface = token.surface.to_string();
            let details = token.details();
            let class = WordClass::of(&details);
            let base = match details.get(6) {
                Some(&base) if base != "*" && !base.is_empty() => normalize(base),
                _ => surface.clone(),
            };
            let reading = match details.get(7) {
                Some(&reading) if reading != "*" && !reading.is_empty() => fold_kana(reading),
                _ => fold_kana(&surface),
            };
            compound.push_or_flush(
                class.joins_compounds().then_some(&surface),
                &mut analysis.compounds,
            );
            let meaningful = class.is_content() && !self.stopwords.contains(&base);
            if meaningful {
                content_run.push_str(&fold_kana(&surface));
            } else {
                analysis.grams.extend(char_grams(&content_run));
                content_run.clear();
            }
            if !meaningful || class == WordClass::Affix || is_noise(&base) {
                continue;
            }
            let doing = (class == WordClass::Noun)
                .then(|| self.verb_of_way(&surface))
                .flatten();
            analysis.words.push(self.usual_form(base));
            analysis.readings.push(reading);
            if let Some((verb, reading)) = doing {
                analysis.words.push(self.usual_form(verb));
                analysis.readings.push(reading);
            }
        }
        compound.push_or_flush(None, &mut analysis.compounds);
        for word in &mut analysis.compounds {
            *word = self.usual_form(std::mem::take(word));
        }
        analysis.grams.extend(char_grams(&content_run));
        analysis.text = text;
        analysis
    }

    /// The verb (base form and reading) of a noun that names the way of
    /// doing it, a verb's stem with 方 (作り方 → 作る, 出し方 → 出す): 「作り方
    /// を知りたい」 asks what 「作りたい」 asks.
    fn verb_of_way(&self, noun: &str) -> Option<(String, String)> {
        let stem = noun.strip_suffix('方')?;
        if !stem
            .chars()
            .last()
            .is_some_and(crate::text::normalize::is_kana)
        {
            return None;
        }
        // Read as 「作ります」: alone, a stem may read as a noun (作り).
        let polite = format!("{stem}ます");
        let tokens = self
            .segmenter
            .segment(Cow::Borrowed(polite.as_str()))
            .ok()?;
        let mut token = tokens.into_iter().next()?;
        if token.surface.as_ref() != stem {
            return None;
        }
        let details = token.details();
        if WordClass::of(&details) != WordClass::Verb {
            return None;
        }
        let base = details.get(6).filter(|b| **b != "*")?;
        let reading = details
            .get(7)
            .filter(|r| **r != "*")
            .map_or_else(|| fold_kana(stem), |reading| fold_kana(reading));
        Some((normalize(base), reading))
    }

    /// `text` as written, cut where kanji carry readings: each kanji run
    /// with its reading in hiragana (ふりがな), the rest as it is.
    pub fn ruby(&self, text: &str) -> Vec<RubySegment> {
        let mut segments: Vec<RubySegment> = Vec::new();
        let mut push = |text: &str, reading: Option<String>| {
            if text.is_empty() {
                return;
            }
            match (segments.last_mut(), &reading) {
                (Some(last), None) if last.reading.is_none() => last.text.push_str(text),
                _ => segments.push(RubySegment {
                    text: text.to_string(),
                    reading,
                }),
            }
        };
        let Ok(tokens) = self.segmenter.segment(Cow::Borrowed(text)) else {
            push(text, None);
            return segments;
        };
        // What the segmenter leaves out between tokens (line breaks,
        // spaces) is kept as it is.
        let mut written = 0;
        for mut token in tokens {
            if token.byte_start > written {
                push(&text[written..token.byte_start], None);
            }
            written = written.max(token.byte_end);
            let surface = token.surface.to_string();
            let reading = token
                .details()
                .get(7)
                .filter(|r| **r != "*" && !r.is_empty())
                .map(|r| r.chars().map(katakana_to_hiragana).collect::<String>());
            match reading.filter(|_| surface.chars().any(is_kanji)) {
                Some(reading) => {
                    let (before, core, core_reading, after) = trim_okurigana(&surface, &reading);
                    push(&before, None);
                    push(&core, Some(core_reading));
                    push(&after, None);
                }
                None => push(&surface, None),
            }
        }
        push(&text[written.min(text.len())..], None);
        segments
    }

    /// The form searched for of a word written in one of its other ways
    /// (障碍者 → 障害者).
    fn usual_form(&self, word: String) -> String {
        self.variants.get(&word).cloned().unwrap_or(word)
    }

    /// The narrower words, analysed, of a broad word (税金 → 住民税, …);
    /// none for other words.
    pub fn narrower_of(&self, word: &str) -> &[Analysis] {
        self.broader
            .iter()
            .find(|(broad, _)| broad == word)
            .map_or(&[], |(_, narrower)| narrower.as_slice())
    }

    /// The narrower words, analysed, that a text (as [`Analysis::text`])
    /// containing a broad word may mean (引っ越し → 転入, 転出, 転居), for a
    /// weaker second search.
    pub fn narrower_words(&self, canonical_text: &str) -> impl Iterator<Item = &Analysis> {
        self.broader
            .iter()
            .filter(move |(word, _)| canonical_text.contains(word.as_str()))
            .flat_map(|(_, narrower)| narrower)
    }
}

/// Collects runs of adjacent nouns and emits each run of two or more as one
/// compound word.
#[derive(Default)]
struct Compound {
    parts: Vec<String>,
}

impl Compound {
    fn push_or_flush(&mut self, part: Option<&String>, words: &mut Vec<String>) {
        match part {
            Some(part) => self.parts.push(part.clone()),
            None => {
                if self.parts.len() >= 2 {
                    words.push(self.parts.concat());
                }
                self.parts.clear();
            }
        }
    }
}

/// The part-of-speech classes the pipeline tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Noun,
    /// Prefixes and suffixes of nouns (再発行, 手数料): part of compounds.
    Affix,
    Verb,
    Adjective,
    /// Not in the dictionary: kept as written.
    Unknown,
    /// Particles, auxiliaries, symbols, pronouns, numbers, …
    Function,
}

impl WordClass {
    fn of(details: &[&str]) -> WordClass {
        let pos = details.first().copied().unwrap_or("*");
        let sub = details.get(1).copied().unwrap_or("*");
        match pos {
            "名詞" => match sub {
                "非自立" | "代名詞" | "数" | "特殊" => WordClass::Function,
                "接尾" => WordClass::Affix,
                _ => WordClass::Noun,
            },
            "接頭詞" if sub == "名詞接続" => WordClass::Affix,
            "動詞" if sub == "自立" => WordClass::Verb,
            "形容詞" if sub == "自立" => WordClass::Adjective,
            "UNK" => WordClass::Unknown,
            _ if details.len() < 7 => WordClass::Unknown,
            _ => WordClass::Function,
        }
    }

    fn is_content(self) -> bool {
        !matches!(self, WordClass::Function)
    }

    fn joins_compounds(self) -> bool {
        matches!(
            self,
            WordClass::Noun | WordClass::Affix | WordClass::Unknown
        )
    }
}

/// Single characters that carry no meaning alone (one kana, a symbol).
fn is_noise(word: &str) -> bool {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (None, _) => true,
        (Some(c), None) => !is_kanji(c) && !c.is_alphanumeric(),
        _ => !word.chars().any(|c| c.is_alphanumeric()),
    }
}

/// Overlapping character bigrams of each run of word characters, then the
/// run's kanji one by one (each kanji carries meaning of its own); a run of
/// one character yields that character.
fn char_grams(text: &str) -> Vec<String> {
    let mut grams = Vec::new();
    for run in text.split(|c: char| !(c.is_alphanumeric() || is_kana(c))) {
        let chars: Vec<char> = run.chars().collect();
        match chars.len() {
            0 => {}
            1 => grams.push(chars[0].to_string()),
            _ => {
                grams.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
                grams.extend(chars.iter().filter(|&&c| is_kanji(c)).map(char::to_string));
            }
        }
    }
    grams
}

/// Maps every written form of a word but the first to the first. A form
/// that comes first for some word stays as it is, and one listed for two
/// words goes to the first word's.
fn variant_table(words: &[Vec<String>]) -> FxHashMap<String, String> {
    let firsts: FxHashSet<&String> = words.iter().map(|forms| &forms[0]).collect();
    let mut table = FxHashMap::default();
    for forms in words {
        for form in forms[1..].iter().filter(|form| !firsts.contains(form)) {
            table
                .entry(form.clone())
                .or_insert_with(|| forms[0].clone());
        }
    }
    table
}

/// Replaces every form of a synonym group by the group's first word (its
/// head): at each place the longest form wins, head words included, so that
/// a head word (市役所) is never rewritten through a shorter form inside it
/// (役所).
struct SynonymTable {
    /// Heads and forms, matched leftmost-longest; `None` without synonyms.
    matcher: Option<AhoCorasick>,
    /// The head each pattern stands for.
    heads: Vec<String>,
}

/// Rewrites before a text stops changing; a head that forms a longer form
/// with the text after it needs a second one.
const SYNONYM_PASSES: usize = 4;

impl SynonymTable {
    fn new(groups: &[Vec<String>]) -> SynonymTable {
        let mut patterns: Vec<String> = Vec::new();
        let mut heads: Vec<String> = Vec::new();
        let mut add = |form: String, head: &String| {
            if !form.is_empty() && !patterns.contains(&form) {
                patterns.push(form);
                heads.push(head.clone());
            }
        };
        let normalised: Vec<Vec<String>> = groups
            .iter()
            .map(|group| group.iter().map(|w| normalize(w)).collect())
            .collect();
        // Heads first: a word that heads one group stays itself.
        for group in &normalised {
            if let Some(head) = group.first() {
                add(head.clone(), head);
            }
        }
        for group in &normalised {
            if let Some(head) = group.first() {
                for form in &group[1..] {
                    add(form.clone(), head);
                }
            }
        }
        let matcher = (!patterns.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .ok()
            })
            .flatten();
        SynonymTable { matcher, heads }
    }

    fn apply(&self, text: &str) -> String {
        let Some(matcher) = &self.matcher else {
            return text.to_string();
        };
        let mut text = text.to_string();
        for _ in 0..SYNONYM_PASSES {
            let next = matcher.replace_all(&text, &self.heads);
            if next == text {
                break;
            }
            text = next;
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::lexicon::{SynonymFile, UserWord};

    fn analyzer() -> Analyzer {
        let lexicon = Lexicon {
            user_words: vec![UserWord {
                surface: "コンビニ交付".into(),
                part_of_speech: "名詞".into(),
                reading: "コンビニコウフ".into(),
            }],
            synonyms: SynonymFile {
                same: vec![vec!["マイナンバーカード".into(), "マイナカード".into()]],
                broader: [("引っ越し".to_string(), vec!["転入".to_string()])].into(),
            },
            stopwords: vec!["教える".into()],
            variants: vec![
                vec!["障害者".into(), "障がい者".into(), "障碍者".into()],
                vec!["住民基本台帳".into(), "住基".into()],
                vec!["子供".into(), "子ども".into()],
            ],
        };
        Analyzer::new(&lexicon).expect("analyzer")
    }

    #[test]
    fn other_ways_of_writing_a_word_are_searched_as_its_usual_form() {
        // Words and compounds alike: 障碍 + 者 and 住 + 基 are compounds.
        let analysis = analyzer().analyze("障碍者の手帳と住基の手続き、子どもの医療");
        for usual in ["障害者", "住民基本台帳"] {
            assert!(
                analysis.compounds.contains(&usual.to_string()),
                "{analysis:?}"
            );
        }
        assert!(analysis.words.contains(&"子供".to_string()), "{analysis:?}");
        for other in ["障碍者", "住基", "子ども"] {
            assert!(
                !analysis
                    .words
                    .iter()
                    .chain(&analysis.compounds)
                    .any(|w| w == other),
                "{analysis:?}"
            );
        }
    }

    #[test]
    fn a_form_first_for_one_word_is_never_rewritten() {
        let table = variant_table(&[
            vec!["子供".into(), "子ども".into()],
            vec!["子ども".into(), "小人".into()],
        ]);
        assert_eq!(table.get("小人").map(String::as_str), Some("子ども"));
        assert!(!table.contains_key("子ども"));
    }

    #[test]
    fn verbs_are_reduced_to_their_base_form() {
        let analysis = analyzer().analyze("住民票を取りたい");
        assert!(analysis.words.contains(&"取る".to_string()), "{analysis:?}");
        assert!(analysis.words.contains(&"住民".to_string()), "{analysis:?}");
        assert!(!analysis.words.iter().any(|w| w == "を" || w == "たい"));
    }

    #[test]
    fn the_way_of_doing_something_is_the_verb_too() {
        let words = analyzer().analyze("書類の書き方と作り方").words;
        for word in ["書き方", "書く", "作り方", "作る"] {
            assert!(words.contains(&word.to_string()), "{word}: {words:?}");
        }
        // A noun that only ends in 方 is left alone.
        assert_eq!(analyzer().analyze("夕方").words, ["夕方"]);
    }

    #[test]
    fn stopwords_are_dropped() {
        let analysis = analyzer().analyze("住所変更を教えてください");
        assert!(
            !analysis.words.contains(&"教える".to_string()),
            "{analysis:?}"
        );
    }

    #[test]
    fn user_dictionary_keeps_municipal_terms_whole() {
        let analysis = analyzer().analyze("コンビニ交付はどこでできますか");
        assert!(
            analysis.words.contains(&"コンビニ交付".to_string()),
            "{analysis:?}"
        );
    }

    #[test]
    fn synonyms_map_to_the_first_word_of_their_group() {
        let a = analyzer();
        assert_eq!(
            a.canonical_text("マイナカードの更新"),
            "マイナンバーカードの更新"
        );
        assert_eq!(
            a.analyze("マイナカード").grams,
            a.analyze("マイナンバーカード").grams
        );
    }

    #[test]
    fn readings_match_across_spellings() {
        let a = analyzer();
        let one = a.analyze("引越し");
        let other = a.analyze("引っ越し");
        assert!(
            one.readings.iter().any(|r| other.readings.contains(r)),
            "{one:?} {other:?}"
        );
    }

    #[test]
    fn adjacent_nouns_form_compounds() {
        let analysis = analyzer().analyze("印鑑登録証明書");
        assert!(
            analysis.compounds.contains(&"印鑑登録証明書".to_string()),
            "{analysis:?}"
        );
    }

    #[test]
    fn colloquial_contractions_are_written_out() {
        let a = analyzer();
        assert_eq!(
            a.canonical_text("鍵をなくしちゃった"),
            "鍵をなくしてしまった"
        );
        assert_eq!(a.canonical_text("転んじゃった"), "転んでしまった");
    }

    #[test]
    fn broad_words_list_their_narrower_words() {
        let a = analyzer();
        let narrower: Vec<_> = a
            .narrower_words(&a.canonical_text("引っ越しの手続き"))
            .collect();
        assert_eq!(narrower.len(), 1);
        assert_eq!(narrower[0].text, "転入");
        assert_eq!(narrower[0].words, vec!["転入"]);
    }

    #[test]
    fn grams_split_at_punctuation() {
        assert_eq!(char_grams("あいう、え"), vec!["あい", "いう", "え"]);
    }

    #[test]
    fn grams_include_the_kanji_of_a_run() {
        assert_eq!(
            char_grams("街路灯が"),
            vec!["街路", "路灯", "灯が", "街", "路", "灯"]
        );
    }

    mod synonyms {
        use super::*;
        use proptest::prelude::*;

        /// The shipped synonym groups.
        fn shipped() -> Vec<Vec<String>> {
            Lexicon::load(std::path::Path::new("dictionaries"))
                .expect("the shipped word lists load")
                .synonyms
                .same
        }

        #[test]
        fn a_head_word_is_not_rewritten_through_a_shorter_form_inside_it() {
            let table = SynonymTable::new(&shipped());
            assert_eq!(table.apply("市役所の場所"), "市役所の場所");
            assert_eq!(table.apply("役場の場所"), "市役所の場所");
            assert_eq!(table.apply("住民票の写しがほしい"), "住民票がほしい");
        }

        proptest! {
            #[test]
            fn canonical_text_is_stable_and_keeps_heads(
                picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), "[あ-ん市町の]{0,2}"), 1..8)
            ) {
                let groups: Vec<Vec<String>> = shipped()
                    .into_iter()
                    .map(|g| g.iter().map(|w| normalize(w)).collect())
                    .collect();
                let table = SynonymTable::new(&groups);
                let mut glued = String::new();
                let mut spaced = Vec::new();
                let mut heads = Vec::new();
                for (group, form, filler) in &picks {
                    let group = group.get(&groups);
                    let word = form.get(group);
                    glued.push_str(word);
                    glued.push_str(filler);
                    spaced.push(group[0].clone());
                    heads.push(group[0].clone());
                }
                let once = table.apply(&glued);
                prop_assert_eq!(table.apply(&once), once.clone(), "canonicalising twice changes nothing");
                let spaced = spaced.join(" ");
                prop_assert_eq!(table.apply(&spaced), spaced, "no head word is rewritten");
            }
        }
    }
}
