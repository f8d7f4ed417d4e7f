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
    fn every_language_gives_the_widget_words_of_its_own() {
        let ja = serde_json::to_value(Lang::Ja.widget_texts()).unwrap();
        for lang in FOREIGN {
            let texts = serde_json::to_value(lang.widget_texts()).unwrap();
            for (key, value) in texts.as_object().unwrap() {
                assert!(!value.as_str().unwrap().is_empty(), "{lang:?} {key}");
            }
            assert_ne!(texts["send"], ja["send"], "{lang:?} is translated");
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

/// The chat widget's own words in one language: every language must give
/// every one (a missing field does not compile). Served as JSON by
/// `GET /api/v1/texts`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct WidgetTexts {
    pub open: &'static str,
    pub close: &'static str,
    pub larger: &'static str,
    pub larger_label: &'static str,
    pub furigana: &'static str,
    pub furigana_label: &'static str,
    pub easy: &'static str,
    pub easy_label: &'static str,
    pub input_label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub thinking: &'static str,
    pub busy: &'static str,
    pub offline: &'static str,
    pub helpful_prompt: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub thanks: &'static str,
    pub contact: &'static str,
    pub staff: &'static str,
    pub staff_working: &'static str,
    pub staff_waiting: &'static str,
    pub sent_to_staff: &'static str,
    pub back_to_bot: &'static str,
    pub disaster: &'static str,
    pub more: &'static str,
}

const JA: WidgetTexts = WidgetTexts {
    open: "質問する",
    close: "閉じる",
    larger: "文字 大",
    larger_label: "文字を大きくする",
    furigana: "ふりがな",
    furigana_label: "漢字にふりがなをつける",
    easy: "やさしい",
    easy_label: "やさしい日本語でこたえる",
    input_label: "質問を入力",
    placeholder: "例：住民票をコンビニで取りたい",
    send: "送信",
    thinking: "回答を考えています…",
    busy: "ただいま混み合っています。少し待ってからもう一度お試しください。",
    offline: "通信できませんでした。時間をおいてもう一度お試しください。",
    helpful_prompt: "役に立ちましたか？",
    yes: "はい",
    no: "いいえ",
    thanks: "ご回答ありがとうございました。",
    contact: "問い合わせ：",
    staff: "職員",
    staff_working: "職員が対応しています",
    staff_waiting: "職員の対応をお待ちください",
    sent_to_staff: "職員に送りました",
    back_to_bot: "ボットに戻る",
    disaster: "【災害情報】",
    more: "詳しくはこちら",
};

const EN: WidgetTexts = WidgetTexts {
    open: "Ask",
    close: "Close",
    larger: "Larger",
    larger_label: "Larger text",
    furigana: "ふりがな",
    furigana_label: "Readings over kanji",
    easy: "やさしい",
    easy_label: "Answer in easy Japanese",
    input_label: "Your question",
    placeholder: "e.g. How do I get a residence certificate?",
    send: "Send",
    thinking: "Looking for an answer…",
    busy: "We are busy right now. Please wait a moment and try again.",
    offline: "Could not connect. Please try again later.",
    helpful_prompt: "Was this helpful?",
    yes: "Yes",
    no: "No",
    thanks: "Thank you for your feedback.",
    contact: "Contact: ",
    staff: "Staff",
    staff_working: "A staff member is with you",
    staff_waiting: "Please wait for a staff member",
    sent_to_staff: "Sent to the staff",
    back_to_bot: "Back to the bot",
    disaster: "[Disaster information] ",
    more: "More information",
};

const PT: WidgetTexts = WidgetTexts {
    open: "Perguntar",
    close: "Fechar",
    larger: "Maior",
    larger_label: "Letra maior",
    furigana: "ふりがな",
    furigana_label: "Leitura sobre os kanji",
    easy: "やさしい",
    easy_label: "Responder em japonês simples",
    input_label: "Sua pergunta",
    placeholder: "ex.: Como tirar o atestado de residência?",
    send: "Enviar",
    thinking: "Procurando a resposta…",
    busy: "Estamos ocupados agora. Espere um pouco e tente de novo.",
    offline: "Não foi possível conectar. Tente mais tarde.",
    helpful_prompt: "Isto ajudou?",
    yes: "Sim",
    no: "Não",
    thanks: "Obrigado pela sua resposta.",
    contact: "Contato: ",
    staff: "Atendente",
    staff_working: "Um atendente está com você",
    staff_waiting: "Aguarde um atendente",
    sent_to_staff: "Enviado ao atendente",
    back_to_bot: "Voltar ao bot",
    disaster: "[Informação de desastre] ",
    more: "Mais informações",
};

const ZH: WidgetTexts = WidgetTexts {
    open: "提问",
    close: "关闭",
    larger: "大字",
    larger_label: "放大文字",
    furigana: "ふりがな",
    furigana_label: "为汉字标注读音",
    easy: "やさしい",
    easy_label: "用简单日语回答",
    input_label: "您的问题",
    placeholder: "例：如何办理住民票？",
    send: "发送",
    thinking: "正在查找答案…",
    busy: "现在比较繁忙，请稍后再试。",
    offline: "无法连接，请稍后再试。",
    helpful_prompt: "这个回答有帮助吗？",
    yes: "有",
    no: "没有",
    thanks: "感谢您的反馈。",
    contact: "咨询：",
    staff: "工作人员",
    staff_working: "工作人员正在为您服务",
    staff_waiting: "请等待工作人员",
    sent_to_staff: "已发送给工作人员",
    back_to_bot: "返回机器人",
    disaster: "【灾害信息】",
    more: "详细信息",
};

const VI: WidgetTexts = WidgetTexts {
    open: "Hỏi",
    close: "Đóng",
    larger: "Chữ to",
    larger_label: "Phóng to chữ",
    furigana: "ふりがな",
    furigana_label: "Cách đọc trên chữ Hán",
    easy: "やさしい",
    easy_label: "Trả lời bằng tiếng Nhật dễ hiểu",
    input_label: "Câu hỏi của bạn",
    placeholder: "Ví dụ: Làm sao để lấy phiếu cư trú?",
    send: "Gửi",
    thinking: "Đang tìm câu trả lời…",
    busy: "Hiện đang đông người. Vui lòng đợi một chút rồi thử lại.",
    offline: "Không thể kết nối. Vui lòng thử lại sau.",
    helpful_prompt: "Câu trả lời có hữu ích không?",
    yes: "Có",
    no: "Không",
    thanks: "Cảm ơn ý kiến của bạn.",
    contact: "Liên hệ: ",
    staff: "Nhân viên",
    staff_working: "Nhân viên đang hỗ trợ bạn",
    staff_waiting: "Vui lòng chờ nhân viên",
    sent_to_staff: "Đã gửi cho nhân viên",
    back_to_bot: "Quay lại bot",
    disaster: "[Thông tin thiên tai] ",
    more: "Thêm thông tin",
};

const TL: WidgetTexts = WidgetTexts {
    open: "Magtanong",
    close: "Isara",
    larger: "Malaki",
    larger_label: "Palakihin ang titik",
    furigana: "ふりがな",
    furigana_label: "Basa sa ibabaw ng kanji",
    easy: "やさしい",
    easy_label: "Sumagot sa madaling Hapon",
    input_label: "Ang inyong tanong",
    placeholder: "hal. Paano kumuha ng residence certificate?",
    send: "Ipadala",
    thinking: "Hinahanap ang sagot…",
    busy: "Maraming gumagamit ngayon. Maghintay sandali at subukan muli.",
    offline: "Hindi makakonekta. Subukan muli mamaya.",
    helpful_prompt: "Nakatulong ba ito?",
    yes: "Oo",
    no: "Hindi",
    thanks: "Salamat sa inyong sagot.",
    contact: "Makipag-ugnayan: ",
    staff: "Kawani",
    staff_working: "May kawaning tumutulong sa inyo",
    staff_waiting: "Maghintay po ng kawani",
    sent_to_staff: "Naipadala sa kawani",
    back_to_bot: "Bumalik sa bot",
    disaster: "[Impormasyon sa sakuna] ",
    more: "Karagdagang impormasyon",
};

impl Lang {
    /// The chat widget's words in this language.
    pub fn widget_texts(self) -> &'static WidgetTexts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
            Lang::Pt => &PT,
            Lang::Zh => &ZH,
            Lang::Vi => &VI,
            Lang::Tl => &TL,
        }
    }
}
