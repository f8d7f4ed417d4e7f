//! Character-level normalisation, applied before tokenising both the FAQ
//! content and residents' questions, so that the many ways of typing the same
//! word on a phone end up as one form.

use unicode_normalization::UnicodeNormalization;

/// Normalises text for matching: Unicode NFKC (全角英数 → 半角, 半角カナ →
/// 全角), lower case, one long-vowel mark, and no control characters.
/// Whitespace runs become one ASCII space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_was_space = true;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        let c = match c {
            // Dashes and waves typed in place of the long-vowel mark after kana.
            '－' | '‐' | '―' | '─' | '━' | 'ｰ' | '〜' | '～' => {
                if out.chars().next_back().is_some_and(is_kana) {
                    'ー'
                } else {
                    c
                }
            }
            '-' if out.chars().next_back().is_some_and(is_kana) => 'ー',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_was_space {
                out.push(' ');
            }
            last_was_space = true;
        } else {
            out.push(c);
            last_was_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Folds kana for comparison: katakana to hiragana, small kana to their full
/// size (ぁ → あ, っ → つ), so ヒッコシ, ひっこし and ひつこし compare equal.
/// Other characters pass through.
pub fn fold_kana(text: &str) -> String {
    text.chars()
        .map(|c| enlarge_small_kana(katakana_to_hiragana(c)))
        .collect()
}

/// True for hiragana, katakana and the long-vowel mark.
pub fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}')
}

/// True for kanji (CJK unified ideographs and the iteration mark 々).
pub fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | '〆' | 'ヶ')
}

/// ア → あ; other characters as they are.
pub fn katakana_to_hiragana(c: char) -> char {
    match c {
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

fn enlarge_small_kana(c: char) -> char {
    match c {
        'ぁ' => 'あ',
        'ぃ' => 'い',
        'ぅ' => 'う',
        'ぇ' => 'え',
        'ぉ' => 'お',
        'っ' => 'つ',
        'ゃ' => 'や',
        'ゅ' => 'ゆ',
        'ょ' => 'よ',
        'ゎ' => 'わ',
        'ゕ' => 'か',
        'ゖ' => 'け',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_folds_width_and_case() {
        assert_eq!(normalize("ＬｏＧｏフォーム"), "logoフォーム");
        assert_eq!(normalize("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ"), "マイナンバーカード");
        assert_eq!(normalize("１２３４"), "1234");
    }

    #[test]
    fn dashes_after_kana_become_long_vowel_marks() {
        assert_eq!(normalize("マイナンバ－カ－ド"), "マイナンバーカード");
        assert_eq!(normalize("コンビニ-交付"), "コンビニー交付");
        assert_eq!(normalize("0584-53-1111"), "0584-53-1111");
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(normalize("  住民票　の\n\t取り方  "), "住民票 の 取り方");
    }

    #[test]
    fn kana_folding_ignores_script_size_and_long_vowels() {
        assert_eq!(fold_kana("ヒッコシ"), fold_kana("ひっこし"));
        assert_eq!(fold_kana("ひつこし"), fold_kana("ひっこし"));
        assert_eq!(fold_kana("コンビニ"), "こんびに");
        assert_eq!(fold_kana("カード"), "かーど");
        assert_eq!(fold_kana("住民票"), "住民票");
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// What a phone keyboard can type: normalising twice changes
            /// nothing, and no control character or double space is left.
            #[test]
            fn normalising_is_stable_and_clean(text in "[ -~ぁ-んァ-ンｦ-ﾟ０-９Ａ-Ｚー－〜～\u{3000}\t\n住民票市役所]{0,40}") {
                let once = normalize(&text);
                prop_assert_eq!(normalize(&once), once.clone());
                prop_assert!(!once.chars().any(char::is_control), "{:?}", once);
                prop_assert!(!once.contains("  ") && !once.starts_with(' ') && !once.ends_with(' '));
            }

            #[test]
            fn any_text_normalises_without_panicking(text in any::<String>()) {
                let _ = normalize(&text);
                let _ = fold_kana(&text);
            }
        }
    }
}
