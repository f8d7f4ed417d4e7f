//! Personal data masked out of messages before they are written: email
//! addresses, マイナンバー (12 digits), card numbers (16), 基礎年金番号 (4-6),
//! insurance numbers (8), phone numbers, postal codes, house numbers and
//! birthdates. Other dates, amounts, ages, times and counts are kept: staff
//! need them to understand the question. So are the numbers the city itself
//! publishes in its content (its phone numbers).

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
/// Replaces a payment card number.
pub const CARD: &str = "［カード番号］";
/// Replaces a 基礎年金番号.
pub const PENSION: &str = "［年金番号］";
/// Replaces an 8-digit insurance number (保険者番号, 被保険者番号).
pub const INSURANCE: &str = "［保険番号］";
/// Replaces any other number of eight digits or more: an id of some kind.
pub const NUMBER: &str = "［番号］";
/// Replaces a date of birth.
pub const BIRTHDATE: &str = "［生年月日］";

/// A written date: 昭和30年1月2日, 1955年1月2日, 1955/1/2, S30.1.2.
const DATE: &str = r"(?:(?:明治|大正|昭和|平成|令和)\s*(?:元|[0-9]{1,2})|[0-9]{4})\s*年\s*[0-9]{1,2}\s*月\s*[0-9]{1,2}\s*日|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[MTSHRmtshr]\s*[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{1,2}|[0-9]{8}";

/// A date said to be a birthday: after 生年月日 or 誕生日…
static BIRTHDATE_AFTER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?P<lead>(?:生年月日|誕生日)[^0-9明大昭平令MTSHRmtshr]{{0,4}})(?:{DATE})"
    ))
    .expect("valid")
});

/// …or before 生まれ.
static BIRTHDATE_BEFORE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?:{DATE})(?P<tail>\s*(?:生まれ|生))")).expect("valid"));

/// Phone numbers as the content writes them, to find the city's own.
static PUBLISHED_PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}").expect("valid"));

/// Units after a number that make `2-3` a range of them, not an address.
const RANGE_UNITS: &str = "年月日時分秒歳才円週人件回個枚通部冊台本%％kmgm";

/// The phone numbers in `text` (the content's answers and contacts), as
/// digits only, for [`mask_keeping`].
pub fn published_numbers(text: &str) -> impl Iterator<Item = String> + '_ {
    PUBLISHED_PHONE
        .find_iter(text)
        .map(|m| m.as_str().chars().filter(char::is_ascii_digit).collect())
}

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
    mask_keeping(text, &[])
}

/// [`mask`], leaving the numbers in `public` (digits only: the city's own
/// phone numbers) as they are.
pub fn mask_keeping(text: &str, public: &[String]) -> String {
    // Labels already in the text (masked before) stay as they are: NFKC
    // would turn their brackets into ASCII ones.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, label)) = LABELS
        .iter()
        .filter_map(|label| Some((rest.find(label)?, *label)))
        .min()
    {
        out.push_str(&mask_part(&rest[..at], public));
        out.push_str(label);
        rest = &rest[at + label.len()..];
    }
    out.push_str(&mask_part(rest, public));
    out
}

/// Every label masking writes.
const LABELS: [&str; 10] = [
    EMAIL, MY_NUMBER, PHONE, POSTAL, HOUSE, CARD, PENSION, INSURANCE, NUMBER, BIRTHDATE,
];

/// Masks text that holds no label.
fn mask_part(text: &str, public: &[String]) -> String {
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
    let text = BIRTHDATE_AFTER_WORD.replace_all(&text, format!("${{lead}}{BIRTHDATE}"));
    let text = BIRTHDATE_BEFORE_WORD.replace_all(&text, format!("{BIRTHDATE}${{tail}}"));
    let text = AFTER_CHOME.replace_all(&text, format!("丁目{HOUSE}"));
    let text = BANCHI.replace_all(&text, HOUSE);
    let whole_text: &str = &text;
    let text = DIGIT_RUN.replace_all(whole_text, |caps: &Captures| {
        let whole = &caps[0];
        let run = &caps[2];
        let span = caps.get(0).map_or(0..0, |m| m.range());
        let before = whole_text[..span.start].chars().next_back();
        let after = whole_text[span.end..].chars().next();
        let digits_only: String = run.chars().filter(char::is_ascii_digit).collect();
        let hyphenated = run.contains('-') && !run.contains(['.', ' ', '(', ')']);
        // An address number after a place name (高須515-1), or alone (2-15),
        // unless a unit makes it a range (3-4人).
        let house_like = hyphenated
            && !after.is_some_and(|c| RANGE_UNITS.contains(c))
            && (before.is_some_and(crate::text::normalize::is_kanji)
                || matches!(
                    run.split('-').map(str::len).collect::<Vec<_>>()[..],
                    [1..=2, 1..=3]
                ));
        let groups: Vec<usize> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .map(str::len)
            .collect();
        let digits: usize = groups.iter().sum();
        let starts_with_zero = run.trim_start_matches('(').starts_with('0');
        let label = match (&caps[1], groups.as_slice()) {
            _ if public.contains(&digits_only) => None,
            ("〒", _) => Some(POSTAL),
            ("+", _) if digits >= 9 => Some(PHONE),
            (_, [3, 4]) => Some(POSTAL),
            (_, [4, 4, 4, 4]) => Some(CARD),
            _ if digits == 16 => Some(CARD),
            (_, [4, 6]) => Some(PENSION),
            _ if digits == 12 && !starts_with_zero => Some(MY_NUMBER),
            _ if starts_with_zero && (10..=11).contains(&digits) => Some(PHONE),
            (_, [10]) => Some(PENSION),
            // A local number without the area code: 53-1111.
            (_, [2..=4, 4]) if !starts_with_zero => Some(PHONE),
            (_, [8]) => Some(INSURANCE),
            _ if groups.iter().any(|&g| g >= 8) => Some(NUMBER),
            // An address written 1-2-3.
            (_, [a, b, c, ..]) if *a <= 3 && *b <= 4 && *c <= 4 => Some(HOUSE),
            _ if house_like => Some(HOUSE),
            _ => None,
        };
        match label {
            Some(label) => {
                // Keep the space that came before a number without 〒 or +.
                let lead = if caps[1].is_empty() {
                    &whole[..whole.len() - run.len()]
                } else {
                    ""
                };
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
        // Card numbers
        (
            "カード番号は1234-5678-9012-3456です",
            "カード番号は［カード番号］です",
        ),
        ("4980123412341234で払った", "［カード番号］で払った"),
        ("1234 5678 9012 3456", "［カード番号］"),
        // 基礎年金番号 and insurance numbers
        ("年金番号は1234-567890です", "年金番号は［年金番号］です"),
        ("基礎年金番号1234567890", "基礎年金番号［年金番号］"),
        ("被保険者番号は12345678", "被保険者番号は［保険番号］"),
        // Addresses without 番地
        ("高須515-1に住んでいます", "高須［番地］に住んでいます"),
        ("住所は2-15です", "住所は［番地］です"),
        ("今尾12-3-4", "今尾［番地］"),
        // Birthdates
        ("生年月日は昭和30年1月2日です", "生年月日は［生年月日］です"),
        ("誕生日：1955/01/02", "誕生日:［生年月日］"),
        ("平成元年5月6日生まれです", "［生年月日］生まれです"),
        ("S30.1.2生", "［生年月日］生"),
        // Kept: amounts, hours, dates of rules, ranges
        ("手数料200円", "手数料200円"),
        ("平日8:30〜17:15", "平日8:30〜17:15"),
        ("令和6年4月1日から変わる制度", "令和6年4月1日から変わる制度"),
        ("3-4人で行きます", "3-4人で行きます"),
        ("1-2週間かかりますか", "1-2週間かかりますか"),
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
        assert!(CASES.len() >= 50);
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn the_citys_own_numbers_in_the_content_are_kept() {
        let public: Vec<String> =
            published_numbers("市民課 0584-53-1111（平日）、FAX 0584-53-2222").collect();
        assert_eq!(public, ["0584531111", "0584532222"]);
        assert_eq!(
            mask_keeping(
                "0584-53-1111に電話したが、090-1234-5678に折り返して",
                &public
            ),
            "0584-53-1111に電話したが、［電話番号］に折り返して"
        );
        assert_eq!(mask("0584-53-1111"), "［電話番号］");
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever is typed: no panic, and no run of 8 or more digits
            /// (a number that could name a person) survives.
            #[test]
            fn no_long_digit_run_survives(text in "[0-9０-９ー\\-() 年月日生あ高須〒+@a.]{0,60}") {
                let masked = mask(&text);
                let mut run = 0;
                for c in masked.chars() {
                    run = if c.is_ascii_digit() { run + 1 } else { 0 };
                    prop_assert!(run < 8, "{text:?} → {masked:?}");
                }
            }

            #[test]
            fn masking_is_stable(text in "[0-9ー\\- 年月日生高須〒あ]{0,40}") {
                let once = mask(&text);
                prop_assert_eq!(mask(&once), once.clone());
            }
        }
    }
}
