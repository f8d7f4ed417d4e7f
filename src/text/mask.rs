//! Personal data masked out of messages before they are written: email
//! addresses, マイナンバー (12 digits), phone numbers, postal codes and house
//! numbers. Dates, amounts, ages and counts are kept: staff need them to
//! understand the question.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use unicode_normalization::UnicodeNormalization;

/// Replaces an email address.
pub const EMAIL: &str = "［メール］";
/// Replaces a 12-digit individual number.
pub const MY_NUMBER: &str = "［個人番号］";
/// Replaces a phone number.
pub const PHONE: &str = "［電話番号］";
/// Replaces a postal code.
pub const POSTAL: &str = "［郵便番号］";
/// Replaces a house number.
pub const HOUSE: &str = "［番地］";

static EMAIL_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+").expect("valid")
});

/// Numbers written in kanji, as in 三丁目五番地.
const KANJI_DIGITS: &str = "〇一二三四五六七八九十百千";

/// After 丁目: the 番 (and 号) that follow, or a hyphenated 5-3.
static AFTER_CHOME: LazyLock<Regex> = LazyLock::new(|| {
    let n = format!("[0-9{KANJI_DIGITS}]+");
    Regex::new(&format!(
        r"丁目\s*{n}(?:\s*(?:番地?|-)\s*の?\s*(?:{n}\s*号?)?(?:-{n})?|\s*号)"
    ))
    .expect("valid")
});

/// A number before 番地 (with an optional の3 or -3 after it).
static BANCHI: LazyLock<Regex> = LazyLock::new(|| {
    let n = format!("[0-9{KANJI_DIGITS}]+");
    Regex::new(&format!(r"{n}\s*番地(?:\s*(?:の|-)\s*{n}(?:\s*号)?)?")).expect("valid")
});

/// Runs of digits, possibly split by hyphens, dots, spaces or brackets, as
/// numbers are written; with an optional 〒 or + before.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([〒+]?)\s*(\(?[0-9]+(?:[-.\s()]{1,2}[0-9]+)*)").expect("valid"));

/// `text` with personal data replaced by labels like ［電話番号］. The text is
/// NFKC-normalised first, so that full-width digits are recognised.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.nfkc().collect();
    // Dashes residents type between digits (090ー1234) read as hyphens.
    let text: String = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            match c {
                'ー' | '−' | '‐' | '―' | '–' | '—' if between_digits => '-',
                c => c,
            }
        })
        .collect();
    let text = EMAIL_PATTERN.replace_all(&text, EMAIL);
    let text = AFTER_CHOME.replace_all(&text, format!("丁目{HOUSE}"));
    let text = BANCHI.replace_all(&text, HOUSE);
    let text = DIGIT_RUN.replace_all(&text, |caps: &Captures| {
        let whole = &caps[0];
        let run = &caps[2];
        let groups: Vec<usize> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        let digits: usize = groups.iter().sum();
        let starts_with_zero = run.trim_start_matches('(').starts_with('0');
        let label = match (&caps[1], groups.as_slice()) {
            ("〒", _) => Some(POSTAL),
            ("+", _) if digits >= 9 => Some(PHONE),
            (_, [3, 4]) => Some(POSTAL),
            _ if digits == 12 && !starts_with_zero => Some(MY_NUMBER),
            _ if starts_with_zero && (10..=11).contains(&digits) => Some(PHONE),
            // A local number without the area code: 53-1111.
            (_, [2..=4, 4]) if !starts_with_zero => Some(PHONE),
            // An address written 1-2-3.
            (_, [a, b, c, ..]) if *a <= 3 && *b <= 4 && *c <= 4 => Some(HOUSE),
            _ => None,
        };
        match label {
            Some(label) => {
                // Keep the space or bracket that came before the number.
                let lead = &whole[..whole.len() - run.len() - caps[1].len()];
                let lead = if caps[1].is_empty() { lead } else { "" };
                format!("{lead}{label}")
            }
            None => whole.to_string(),
        }
    });
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (message, masked) — what a resident might write, and what is stored.
    const CASES: &[(&str, &str)] = &[
        // マイナンバー
        ("個人番号は123456789012です", "個人番号は［個人番号］です"),
        (
            "マイナンバー 1234 5678 9012 を入力",
            "マイナンバー ［個人番号］ を入力",
        ),
        ("番号は1234-5678-9012", "番号は［個人番号］"),
        ("１２３４５６７８９０１２のカード", "［個人番号］のカード"),
        // Phone numbers
        ("電話は090-1234-5678です", "電話は［電話番号］です"),
        (
            "０９０ー１２３４ー５６７８に折り返して",
            "［電話番号］に折り返して",
        ),
        ("自宅 0584-53-1111 まで", "自宅 ［電話番号］ まで"),
        ("連絡先(0584)53-1111", "連絡先［電話番号］"),
        ("09012345678に電話ください", "［電話番号］に電話ください"),
        ("+81-90-1234-5678", "［電話番号］"),
        ("53-1111にかけた", "［電話番号］にかけた"),
        ("0120-123-456は無料ですか", "［電話番号］は無料ですか"),
        // Email addresses
        ("taro.kaizu@example.co.jp に送って", "［メール］ に送って"),
        ("返信はHANAKO+test@mail.example.comへ", "返信は［メール］へ"),
        // Postal codes
        ("〒503-0695の市役所", "［郵便番号］の市役所"),
        ("郵便番号は503-0695", "郵便番号は［郵便番号］"),
        ("〒5030695", "［郵便番号］"),
        // House numbers
        (
            "海津町高須515番地に住んでいます",
            "海津町高須［番地］に住んでいます",
        ),
        ("高須町3丁目5番地の2", "高須町3丁目［番地］"),
        ("馬目1丁目2番3号です", "馬目1丁目［番地］です"),
        ("三丁目五番地", "三丁目［番地］"),
        (
            "平田町今尾1-2-3に引っ越した",
            "平田町今尾［番地］に引っ越した",
        ),
        ("南濃町津屋1234番地の5", "南濃町津屋［番地］"),
        // Kept as written
        ("令和6年4月1日から", "令和6年4月1日から"),
        ("2024-12-01に届けた", "2024-12-01に届けた"),
        ("子どもが3人います", "子どもが3人います"),
        ("手数料は300円ですか", "手数料は300円ですか"),
        ("75歳の母の介護", "75歳の母の介護"),
        ("3丁目の公園はどこ", "3丁目の公園はどこ"),
        ("8時30分から17時15分まで", "8時30分から17時15分まで"),
        ("住民票を2通ほしい", "住民票を2通ほしい"),
        ("第2子の児童手当", "第2子の児童手当"),
        ("12月25日は開いていますか", "12月25日は開いていますか"),
        ("LoGoフォームのURLを教えて", "LoGoフォームのURLを教えて"),
        ("ＡＢＣ＠のメール？", "ABC@のメール?"),
    ];

    #[test]
    fn personal_data_is_masked_and_the_rest_kept() {
        let mut failures = Vec::new();
        for (message, expected) in CASES {
            let masked = mask(message);
            if masked != *expected {
                failures.push(format!("{message:?} → {masked:?}, expected {expected:?}"));
            }
        }
        assert!(CASES.len() >= 30);
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }
}
