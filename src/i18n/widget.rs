//! The chat widget's own words, per language.

use super::Lang;

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
        self.pick([&JA, &EN, &PT, &ZH, &VI, &TL])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::FOREIGN;

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
}
