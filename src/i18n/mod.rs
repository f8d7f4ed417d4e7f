//! The languages residents may be answered in besides Japanese, and the
//! bot's fixed texts in each (Japanese is the source). A text missing in a
//! language does not compile: every language answers every key.

/// A language the bot speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ja,
    En,
    Pt,
    Zh,
    Vi,
    Tl,
}

/// The languages besides Japanese, as content names them.
pub const FOREIGN: [Lang; 5] = [Lang::En, Lang::Pt, Lang::Zh, Lang::Vi, Lang::Tl];

/// The bot's fixed texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// Nothing found.
    Fallback,
    /// Over a list of choices.
    ChoicesPrompt,
    /// Before a Japanese answer with no translation.
    Untranslated,
}

/// Every key, for the test that each language has each.
pub const TEXTS: [Text; 3] = [Text::Fallback, Text::ChoicesPrompt, Text::Untranslated];

impl Lang {
    /// The language of a BCP 47 tag (`en`, `pt-BR`, `zh-Hans`, `fil`);
    /// `None` for one the bot does not speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Some(match primary.as_str() {
            "ja" => Lang::Ja,
            "en" => Lang::En,
            "pt" => Lang::Pt,
            "zh" => Lang::Zh,
            "vi" => Lang::Vi,
            "tl" | "fil" => Lang::Tl,
            _ => return None,
        })
    }

    /// The first language of an `Accept-Language` header the bot speaks,
    /// by the header's order of preference.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((quality, position, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|(_, _, lang)| *lang)
    }

    /// The code content and the API use.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Pt => "pt",
            Lang::Zh => "zh",
            Lang::Vi => "vi",
            Lang::Tl => "tl",
        }
    }

    /// A fixed text in this language.
    pub fn text(self, text: Text) -> &'static str {
        use Text::*;
        match (self, text) {
            (Lang::Ja, Fallback) => {
                "申し訳ありません。ご質問にお答えできる情報が見つかりませんでした。"
            }
            (Lang::Ja, ChoicesPrompt) => "ご質問に近いものを選んでください。",
            (Lang::Ja, Untranslated) => "",
            (Lang::En, Fallback) => {
                "Sorry, we could not find an answer to your question. Please contact the office below."
            }
            (Lang::En, ChoicesPrompt) => "Please choose the question closest to yours.",
            (Lang::En, Untranslated) => "This answer is available in Japanese only.",
            (Lang::Pt, Fallback) => {
                "Desculpe, não encontramos uma resposta para a sua pergunta. Entre em contato com o setor abaixo."
            }
            (Lang::Pt, ChoicesPrompt) => "Escolha a pergunta mais parecida com a sua.",
            (Lang::Pt, Untranslated) => "Esta resposta está disponível apenas em japonês.",
            (Lang::Zh, Fallback) => "抱歉，没有找到您问题的答案。请联系下面的窗口。",
            (Lang::Zh, ChoicesPrompt) => "请选择与您的问题最接近的一项。",
            (Lang::Zh, Untranslated) => "此回答只有日语版本。",
            (Lang::Vi, Fallback) => {
                "Xin lỗi, chúng tôi không tìm thấy câu trả lời cho câu hỏi của bạn. Vui lòng liên hệ quầy bên dưới."
            }
            (Lang::Vi, ChoicesPrompt) => "Vui lòng chọn câu hỏi gần nhất với câu hỏi của bạn.",
            (Lang::Vi, Untranslated) => "Câu trả lời này chỉ có bằng tiếng Nhật.",
            (Lang::Tl, Fallback) => {
                "Paumanhin, wala kaming nakitang sagot sa inyong tanong. Makipag-ugnayan po sa opisina sa ibaba."
            }
            (Lang::Tl, ChoicesPrompt) => "Piliin ang tanong na pinakamalapit sa inyo.",
            (Lang::Tl, Untranslated) => "Ang sagot na ito ay nasa wikang Hapon lamang.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_foreign_language_has_every_text() {
        for lang in FOREIGN {
            for text in TEXTS {
                assert!(!lang.text(text).is_empty(), "{lang:?} {text:?}");
            }
        }
    }

    #[test]
    fn languages_come_from_tags_and_accept_language() {
        assert_eq!(Lang::parse("pt-BR"), Some(Lang::Pt));
        assert_eq!(Lang::parse("fil"), Some(Lang::Tl));
        assert_eq!(Lang::parse("ko"), None);
        assert_eq!(
            Lang::from_accept_language("ko-KR, pt;q=0.8, en;q=0.9"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("ja,en-US;q=0.9"), Some(Lang::Ja));
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
