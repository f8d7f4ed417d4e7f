//! The languages residents may be answered in besides Japanese, and the
//! fixed texts of the bot ([`BotTexts`]) and of the chat widget
//! ([`WidgetTexts`]) in each; Japanese is the source. A text missing in a
//! language does not compile: every language gives every field.

mod bot;
mod widget;

pub use bot::{BotTexts, fill};
pub use widget::WidgetTexts;

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

    /// This language's one of `per_language`, given in the order of
    /// [`Lang`]'s variants (Japanese first).
    fn pick<T: ?Sized>(self, per_language: [&'static T; 6]) -> &'static T {
        per_language[self as usize]
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
