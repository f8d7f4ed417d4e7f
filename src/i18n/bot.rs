//! The bot's own words to residents, per language: what the engine, LINE
//! and handoff say around the content. Staff write the content's texts;
//! these are the texts no content file carries. `{name}`-style slots are
//! filled with [`fill`].

use super::Lang;

/// The bot's fixed texts in one language: every language must give every
/// one (a missing field does not compile).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct BotTexts {
    /// Nothing found.
    pub fallback: &'static str,
    /// Over a list of choices.
    pub choices_prompt: &'static str,
    /// Before a Japanese answer with no translation (empty in Japanese).
    pub untranslated: &'static str,
    /// The last choice after an unhelpful answer.
    pub none_of_these: &'static str,
    /// A flow's step that opens a procedure: `{name}`.
    pub procedure_here: &'static str,
    /// A flow's step that ends at the counter.
    pub ask_counter: &'static str,
    /// Over a category's questions: `{name}`.
    pub category_prompt: &'static str,
    /// The choice that shows more questions.
    pub more: &'static str,
    /// A message went to staff.
    pub sent_to_staff: &'static str,
    /// The counter is closed: `{date}` it opens.
    pub closed_until: &'static str,
    /// The counter is closed with no opening ahead.
    pub closed: &'static str,
    /// When the counter opens: `{month}`, `{day}`, `{weekday}`, `{time}`.
    pub date: &'static str,
    pub months: [&'static str; 12],
    /// Monday first.
    pub weekdays: [&'static str; 7],
    /// Offer of a person while the counter is open: `{name}`.
    pub offer_staff: &'static str,
    /// Offer to leave a message while it is closed: `{name}`.
    pub offer_message: &'static str,
    /// A ticket opened while staff are in: `{name}`, `{back}`.
    pub connecting: &'static str,
    /// A ticket opened while staff are out: `{name}`, `{later}`.
    pub leave_message: &'static str,
    /// When staff will answer, in LINE.
    pub reply_later_line: &'static str,
    /// When staff will answer, on the website.
    pub reply_later_web: &'static str,
    /// What a resident sends to leave staff (Japanese works in every
    /// language too).
    pub back_to_bot: &'static str,
    /// Staff took the ticket.
    pub staff_working: &'static str,
    /// Staff closed the ticket.
    pub closed_by_staff: &'static str,
    /// The ticket timed out.
    pub timed_out: &'static str,
    /// LINE's feedback buttons.
    pub helpful: &'static str,
    pub unhelpful: &'static str,
    /// Said after 「役に立った」.
    pub thanks_helpful: &'static str,
    /// A carousel card's button.
    pub pick_this: &'static str,
    /// The phone button.
    pub call: &'static str,
    /// The contact block: its heading and the words before phone and place.
    pub contact_heading: &'static str,
    pub phone: &'static str,
    pub place: &'static str,
    /// The procedures block: its heading and the word before what to bring.
    pub procedures_heading: &'static str,
    pub bring: &'static str,
    /// Over the procedures' buttons.
    pub procedures_buttons: &'static str,
    /// Under a numbered list of choices.
    pub press_or_number: &'static str,
    /// Over related questions.
    pub related_heading: &'static str,
    /// Over a numbered list of choices (LINE's text for old clients).
    pub choose: &'static str,
    /// In a card after a long answer.
    pub see_above: &'static str,
    /// Alternative texts of answer cards.
    pub answer_alt: &'static str,
    pub answer_sent_alt: &'static str,
    /// A shelter's distance: `{distance}`.
    pub distance_from_here: &'static str,
    /// A shelter's map button.
    pub see_map: &'static str,
    /// The alternative text of the shelters' cards.
    pub nearest_shelters: &'static str,
    /// Before disaster mode's notice.
    pub disaster: &'static str,
    /// Said when a resident sends a sticker, photo…
    pub please_type: &'static str,
    /// Said first to a new friend of the LINE account.
    pub welcome: &'static str,
    /// Said when the bot joins a group.
    pub group_hint: &'static str,
    /// Said when a tapped choice no longer exists.
    pub choice_gone: &'static str,
}

/// `template` with each `{key}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

const JA: BotTexts = BotTexts {
    fallback: "申し訳ありません。ご質問にお答えできる情報が見つかりませんでした。",
    choices_prompt: "ご質問に近いものを選んでください。",
    untranslated: "",
    none_of_these: "どれでもない（問い合わせ先）",
    procedure_here: "「{name}」はこちらからどうぞ。",
    ask_counter: "担当の窓口へお問い合わせください。",
    category_prompt: "「{name}」のよくある質問です。",
    more: "もっと見る",
    sent_to_staff: "職員に送りました。",
    closed_until: "現在は閉庁時間です。次は{date} から",
    closed: "現在は閉庁しています。",
    date: "{month}{day}日({weekday}) {time}",
    months: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
    weekdays: ["月", "火", "水", "木", "金", "土", "日"],
    offer_staff: "職員に相談する（{name}）",
    offer_message: "メッセージを残す（{name}）",
    connecting: "{name}の職員におつなぎします。ご相談の内容を入力してください。（「{back}」と送るとボットに戻ります）",
    leave_message: "ただいま{name}は閉庁時間です。ご用件をメッセージで残してください。{later}",
    reply_later_line: "職員が開庁時間に、このトークでお返事します。",
    reply_later_web: "職員が開庁時間にお返事します。このチャットをあとで開いてご確認いただくか、お問い合わせフォームをご利用ください。",
    back_to_bot: "ボットに戻る",
    staff_working: "職員が対応しています。",
    closed_by_staff: "職員との相談を終了しました。ここからはボットがお答えします。",
    timed_out: "しばらくやりとりがなかったため、職員との相談を終了しました。ここからはボットがお答えします。",
    helpful: "役に立った",
    unhelpful: "役に立たなかった",
    thanks_helpful: "ご回答ありがとうございます。お役に立ててよかったです。",
    pick_this: "これを選ぶ",
    call: "電話する",
    contact_heading: "【問い合わせ先】",
    phone: "電話",
    place: "場所",
    procedures_heading: "【手続き】",
    bring: "持ち物",
    procedures_buttons: "手続きはこちらからどうぞ。ボタンを押すとページが開きます。",
    press_or_number: "下のボタンを押すか、番号を送ってください。",
    related_heading: "【関連する質問】",
    choose: "選んでください:",
    see_above: "回答は上のメッセージをご覧ください。",
    answer_alt: "ご質問への回答",
    answer_sent_alt: "回答をお送りしました",
    distance_from_here: "ここから{distance}（直線距離）",
    see_map: "地図で見る",
    nearest_shelters: "近くの避難所：",
    disaster: "【災害情報】",
    please_type: "申し訳ありません。文字のメッセージにだけお答えできます。知りたいことを文章で入力するか、分類を選んでください。",
    welcome: "友だち追加ありがとうございます。",
    group_hint: "このグループでは、わたしあてにメンション（@）して質問してください。個別のトークでも質問できます。",
    choice_gone: "その項目は見つかりませんでした。内容が更新された可能性があります。もう一度入力するか、分類を選んでください。",
};

const EN: BotTexts = BotTexts {
    fallback: "Sorry, we could not find an answer to your question. Please contact the office below.",
    choices_prompt: "Please choose the question closest to yours.",
    untranslated: "This answer is available in Japanese only.",
    none_of_these: "None of these (contact)",
    procedure_here: "You can do \"{name}\" here.",
    ask_counter: "Please ask at the counter in charge.",
    category_prompt: "Frequent questions about \"{name}\".",
    more: "More",
    sent_to_staff: "Sent to the staff.",
    closed_until: "The office is closed now. It opens {date}.",
    closed: "The office is closed now.",
    date: "{weekday} {day} {month}, {time}",
    months: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    offer_staff: "Talk to staff ({name})",
    offer_message: "Leave a message ({name})",
    connecting: "We are connecting you to the staff of {name}. Please type what you would like to ask. (Send \"{back}\" to return to the bot.)",
    leave_message: "{name} is closed now. Please leave a message. {later}",
    reply_later_line: "Staff will answer in this chat during office hours.",
    reply_later_web: "Staff will answer during office hours. Open this chat again later, or use the inquiry form.",
    back_to_bot: "Back to the bot",
    staff_working: "A staff member is with you.",
    closed_by_staff: "The conversation with staff has ended. The bot will answer from here.",
    timed_out: "The conversation with staff has ended because there were no messages for a while. The bot will answer from here.",
    helpful: "Helpful",
    unhelpful: "Not helpful",
    thanks_helpful: "Thank you for your feedback. We are glad it helped.",
    pick_this: "Choose this",
    call: "Call",
    contact_heading: "[Contact]",
    phone: "Phone",
    place: "Place",
    procedures_heading: "[Procedures]",
    bring: "bring",
    procedures_buttons: "Procedures: tap a button to open the page.",
    press_or_number: "Tap a button below or send the number.",
    related_heading: "[Related questions]",
    choose: "Please choose:",
    see_above: "See the answer in the message above.",
    answer_alt: "The answer to your question",
    answer_sent_alt: "We sent you the answer",
    distance_from_here: "{distance} from here (straight line)",
    see_map: "See the map",
    nearest_shelters: "Nearest shelters: ",
    disaster: "[Disaster information] ",
    please_type: "Sorry, we can only answer text messages. Please type what you want to know, or choose a category.",
    welcome: "Thank you for adding us as a friend.",
    group_hint: "In this group, mention me (@) to ask a question. You can also ask me in a one-to-one chat.",
    choice_gone: "That item was not found; the content may have been updated. Please type your question again or choose a category.",
};

const PT: BotTexts = BotTexts {
    fallback: "Desculpe, não encontramos uma resposta para a sua pergunta. Entre em contato com o setor abaixo.",
    choices_prompt: "Escolha a pergunta mais parecida com a sua.",
    untranslated: "Esta resposta está disponível apenas em japonês.",
    none_of_these: "Nenhuma destas (contato)",
    procedure_here: "Você pode fazer \"{name}\" aqui.",
    ask_counter: "Pergunte no balcão responsável.",
    category_prompt: "Perguntas frequentes sobre \"{name}\".",
    more: "Ver mais",
    sent_to_staff: "Enviado ao atendente.",
    closed_until: "A prefeitura está fechada agora. Abre {date}.",
    closed: "A prefeitura está fechada agora.",
    date: "{weekday}, {day} de {month}, às {time}",
    months: [
        "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
        "dez.",
    ],
    weekdays: ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
    offer_staff: "Falar com um atendente ({name})",
    offer_message: "Deixar uma mensagem ({name})",
    connecting: "Vamos passar você para um atendente de {name}. Escreva a sua dúvida. (Envie \"{back}\" para voltar ao bot.)",
    leave_message: "{name} está fechado agora. Deixe uma mensagem. {later}",
    reply_later_line: "Um atendente responderá neste chat no horário de atendimento.",
    reply_later_web: "Um atendente responderá no horário de atendimento. Abra este chat mais tarde ou use o formulário de contato.",
    back_to_bot: "Voltar ao bot",
    staff_working: "Um atendente está com você.",
    closed_by_staff: "O atendimento terminou. A partir de agora o bot responde.",
    timed_out: "O atendimento terminou por falta de mensagens. A partir de agora o bot responde.",
    helpful: "Ajudou",
    unhelpful: "Não ajudou",
    thanks_helpful: "Obrigado pela sua resposta. Que bom que ajudou.",
    pick_this: "Escolher",
    call: "Ligar",
    contact_heading: "[Contato]",
    phone: "Tel.",
    place: "Local",
    procedures_heading: "[Procedimentos]",
    bring: "levar",
    procedures_buttons: "Procedimentos: toque num botão para abrir a página.",
    press_or_number: "Toque num botão abaixo ou envie o número.",
    related_heading: "[Perguntas relacionadas]",
    choose: "Escolha:",
    see_above: "Veja a resposta na mensagem acima.",
    answer_alt: "A resposta à sua pergunta",
    answer_sent_alt: "Enviamos a resposta",
    distance_from_here: "{distance} daqui (em linha reta)",
    see_map: "Ver no mapa",
    nearest_shelters: "Abrigos mais próximos: ",
    disaster: "[Informação de desastre] ",
    please_type: "Desculpe, só respondemos mensagens de texto. Escreva o que deseja saber ou escolha uma categoria.",
    welcome: "Obrigado por nos adicionar como amigo.",
    group_hint: "Neste grupo, mencione-me (@) para perguntar. Você também pode perguntar numa conversa individual.",
    choice_gone: "Este item não foi encontrado; o conteúdo pode ter mudado. Escreva a pergunta de novo ou escolha uma categoria.",
};

const ZH: BotTexts = BotTexts {
    fallback: "抱歉，没有找到您问题的答案。请联系下面的窗口。",
    choices_prompt: "请选择与您的问题最接近的一项。",
    untranslated: "此回答只有日语版本。",
    none_of_these: "都不是（咨询窗口）",
    procedure_here: "可以在这里办理“{name}”。",
    ask_counter: "请向负责窗口咨询。",
    category_prompt: "关于“{name}”的常见问题。",
    more: "查看更多",
    sent_to_staff: "已发送给工作人员。",
    closed_until: "现在是非办公时间。下次办公：{date}",
    closed: "现在是非办公时间。",
    date: "{month}{day}日（{weekday}）{time}",
    months: [
        "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
    ],
    weekdays: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    offer_staff: "咨询工作人员（{name}）",
    offer_message: "留言（{name}）",
    connecting: "正在为您转接{name}的工作人员。请输入您要咨询的内容。（发送“{back}”可返回机器人。）",
    leave_message: "{name}现在是非办公时间。请留言。{later}",
    reply_later_line: "工作人员会在办公时间内在此对话中回复您。",
    reply_later_web: "工作人员会在办公时间内回复。请稍后再打开此对话，或使用咨询表格。",
    back_to_bot: "返回机器人",
    staff_working: "工作人员正在为您服务。",
    closed_by_staff: "与工作人员的咨询已结束。接下来由机器人回答。",
    timed_out: "由于一段时间没有消息，与工作人员的咨询已结束。接下来由机器人回答。",
    helpful: "有帮助",
    unhelpful: "没有帮助",
    thanks_helpful: "感谢您的反馈，很高兴能帮到您。",
    pick_this: "选择",
    call: "打电话",
    contact_heading: "【咨询窗口】",
    phone: "电话",
    place: "地点",
    procedures_heading: "【手续】",
    bring: "携带",
    procedures_buttons: "手续请点击下面的按钮打开页面。",
    press_or_number: "请点击下面的按钮或发送编号。",
    related_heading: "【相关问题】",
    choose: "请选择：",
    see_above: "回答请看上面的消息。",
    answer_alt: "您问题的回答",
    answer_sent_alt: "已发送回答",
    distance_from_here: "距此{distance}（直线距离）",
    see_map: "查看地图",
    nearest_shelters: "附近的避难所：",
    disaster: "【灾害信息】",
    please_type: "抱歉，只能回答文字消息。请输入您想了解的内容，或选择分类。",
    welcome: "感谢您添加好友。",
    group_hint: "在此群组中，请@我提问。也可以在一对一聊天中提问。",
    choice_gone: "没有找到该项目，内容可能已更新。请重新输入或选择分类。",
};

const VI: BotTexts = BotTexts {
    fallback: "Xin lỗi, chúng tôi không tìm thấy câu trả lời cho câu hỏi của bạn. Vui lòng liên hệ quầy bên dưới.",
    choices_prompt: "Vui lòng chọn câu hỏi gần nhất với câu hỏi của bạn.",
    untranslated: "Câu trả lời này chỉ có bằng tiếng Nhật.",
    none_of_these: "Không có câu nào (liên hệ)",
    procedure_here: "Bạn có thể làm \"{name}\" tại đây.",
    ask_counter: "Vui lòng hỏi quầy phụ trách.",
    category_prompt: "Câu hỏi thường gặp về \"{name}\".",
    more: "Xem thêm",
    sent_to_staff: "Đã gửi cho nhân viên.",
    closed_until: "Hiện đang ngoài giờ làm việc. Mở cửa lại: {date}.",
    closed: "Hiện đang ngoài giờ làm việc.",
    date: "{weekday}, {day} {month}, {time}",
    months: [
        "tháng 1",
        "tháng 2",
        "tháng 3",
        "tháng 4",
        "tháng 5",
        "tháng 6",
        "tháng 7",
        "tháng 8",
        "tháng 9",
        "tháng 10",
        "tháng 11",
        "tháng 12",
    ],
    weekdays: [
        "Thứ Hai",
        "Thứ Ba",
        "Thứ Tư",
        "Thứ Năm",
        "Thứ Sáu",
        "Thứ Bảy",
        "Chủ Nhật",
    ],
    offer_staff: "Nói chuyện với nhân viên ({name})",
    offer_message: "Để lại tin nhắn ({name})",
    connecting: "Chúng tôi đang kết nối bạn với nhân viên của {name}. Vui lòng nhập nội dung cần hỏi. (Gửi \"{back}\" để quay lại bot.)",
    leave_message: "{name} hiện đang ngoài giờ làm việc. Vui lòng để lại tin nhắn. {later}",
    reply_later_line: "Nhân viên sẽ trả lời trong cuộc trò chuyện này vào giờ làm việc.",
    reply_later_web: "Nhân viên sẽ trả lời vào giờ làm việc. Hãy mở lại cuộc trò chuyện này sau, hoặc dùng mẫu liên hệ.",
    back_to_bot: "Quay lại bot",
    staff_working: "Nhân viên đang hỗ trợ bạn.",
    closed_by_staff: "Cuộc trao đổi với nhân viên đã kết thúc. Từ đây bot sẽ trả lời.",
    timed_out: "Cuộc trao đổi với nhân viên đã kết thúc vì lâu không có tin nhắn. Từ đây bot sẽ trả lời.",
    helpful: "Hữu ích",
    unhelpful: "Không hữu ích",
    thanks_helpful: "Cảm ơn ý kiến của bạn. Rất vui vì đã giúp được bạn.",
    pick_this: "Chọn",
    call: "Gọi điện",
    contact_heading: "[Liên hệ]",
    phone: "Điện thoại",
    place: "Địa điểm",
    procedures_heading: "[Thủ tục]",
    bring: "mang theo",
    procedures_buttons: "Thủ tục: bấm nút để mở trang.",
    press_or_number: "Bấm nút bên dưới hoặc gửi số.",
    related_heading: "[Câu hỏi liên quan]",
    choose: "Vui lòng chọn:",
    see_above: "Xem câu trả lời ở tin nhắn phía trên.",
    answer_alt: "Câu trả lời cho câu hỏi của bạn",
    answer_sent_alt: "Đã gửi câu trả lời",
    distance_from_here: "Cách đây {distance} (đường chim bay)",
    see_map: "Xem bản đồ",
    nearest_shelters: "Nơi sơ tán gần nhất: ",
    disaster: "[Thông tin thiên tai] ",
    please_type: "Xin lỗi, chúng tôi chỉ trả lời tin nhắn chữ. Vui lòng nhập điều bạn muốn biết hoặc chọn một mục.",
    welcome: "Cảm ơn bạn đã kết bạn.",
    group_hint: "Trong nhóm này, hãy nhắc đến tôi (@) để hỏi. Bạn cũng có thể hỏi trong trò chuyện riêng.",
    choice_gone: "Không tìm thấy mục này; nội dung có thể đã được cập nhật. Vui lòng nhập lại câu hỏi hoặc chọn một mục.",
};

const TL: BotTexts = BotTexts {
    fallback: "Paumanhin, wala kaming nakitang sagot sa inyong tanong. Makipag-ugnayan po sa opisina sa ibaba.",
    choices_prompt: "Piliin ang tanong na pinakamalapit sa inyo.",
    untranslated: "Ang sagot na ito ay nasa wikang Hapon lamang.",
    none_of_these: "Wala rito (makipag-ugnayan)",
    procedure_here: "Magagawa ninyo rito ang \"{name}\".",
    ask_counter: "Magtanong po sa counter na namamahala.",
    category_prompt: "Mga madalas itanong tungkol sa \"{name}\".",
    more: "Higit pa",
    sent_to_staff: "Naipadala sa kawani.",
    closed_until: "Sarado po ang opisina ngayon. Bukas ito sa {date}.",
    closed: "Sarado po ang opisina ngayon.",
    date: "{weekday}, {month} {day}, {time}",
    months: [
        "Ene", "Peb", "Mar", "Abr", "May", "Hun", "Hul", "Ago", "Set", "Okt", "Nob", "Dis",
    ],
    weekdays: ["Lun", "Mar", "Miy", "Huw", "Biy", "Sab", "Lin"],
    offer_staff: "Makipag-usap sa kawani ({name})",
    offer_message: "Mag-iwan ng mensahe ({name})",
    connecting: "Ikinokonekta namin kayo sa kawani ng {name}. Isulat po ang inyong tanong. (Ipadala ang \"{back}\" para bumalik sa bot.)",
    leave_message: "Sarado po ngayon ang {name}. Mag-iwan po ng mensahe. {later}",
    reply_later_line: "Sasagot ang kawani sa chat na ito sa oras ng opisina.",
    reply_later_web: "Sasagot ang kawani sa oras ng opisina. Buksan muli ang chat na ito mamaya, o gamitin ang inquiry form.",
    back_to_bot: "Bumalik sa bot",
    staff_working: "May kawaning tumutulong sa inyo.",
    closed_by_staff: "Tapos na ang usapan ninyo ng kawani. Ang bot na ang sasagot mula rito.",
    timed_out: "Tapos na ang usapan ninyo ng kawani dahil matagal na walang mensahe. Ang bot na ang sasagot mula rito.",
    helpful: "Nakatulong",
    unhelpful: "Hindi nakatulong",
    thanks_helpful: "Salamat po sa inyong sagot. Natutuwa kaming nakatulong.",
    pick_this: "Piliin ito",
    call: "Tumawag",
    contact_heading: "[Makipag-ugnayan]",
    phone: "Telepono",
    place: "Lugar",
    procedures_heading: "[Mga proseso]",
    bring: "dalhin",
    procedures_buttons: "Mga proseso: pindutin ang button para buksan ang pahina.",
    press_or_number: "Pindutin ang button sa ibaba o ipadala ang numero.",
    related_heading: "[Mga kaugnay na tanong]",
    choose: "Pumili po:",
    see_above: "Tingnan ang sagot sa mensahe sa itaas.",
    answer_alt: "Ang sagot sa inyong tanong",
    answer_sent_alt: "Naipadala na ang sagot",
    distance_from_here: "{distance} mula rito (tuwid na layo)",
    see_map: "Tingnan ang mapa",
    nearest_shelters: "Pinakamalapit na evacuation center: ",
    disaster: "[Impormasyon sa sakuna] ",
    please_type: "Paumanhin, text lamang ang aming nasasagot. Isulat po ang gusto ninyong malaman, o pumili ng kategorya.",
    welcome: "Salamat sa pag-add sa amin bilang kaibigan.",
    group_hint: "Sa grupong ito, i-mention ako (@) para magtanong. Maaari rin kayong magtanong sa one-to-one chat.",
    choice_gone: "Hindi nakita ang item na iyon; maaaring nabago ang nilalaman. Isulat muli ang tanong o pumili ng kategorya.",
};

impl Lang {
    /// The bot's fixed texts in this language.
    pub fn bot(self) -> &'static BotTexts {
        self.pick([&JA, &EN, &PT, &ZH, &VI, &TL])
    }

    /// When the counter opens next, as this language writes a date.
    pub fn date(
        self,
        month: i8,
        day: i8,
        weekday_from_monday: usize,
        hour: i8,
        minute: i8,
    ) -> String {
        let texts = self.bot();
        fill(
            texts.date,
            &[
                (
                    "month",
                    texts.months[usize::from(month.clamp(1, 12) as u8) - 1],
                ),
                ("day", &day.to_string()),
                ("weekday", texts.weekdays[weekday_from_monday % 7]),
                ("time", &format!("{hour}:{minute:02}")),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::FOREIGN;

    /// Every text of a catalogue as (field, text), arrays included.
    fn texts(lang: Lang) -> Vec<(String, String)> {
        let value = serde_json::to_value(lang.bot()).unwrap();
        let mut found = Vec::new();
        for (key, value) in value.as_object().unwrap() {
            match value {
                serde_json::Value::Array(items) => found.extend(
                    items
                        .iter()
                        .map(|item| (key.clone(), item.as_str().unwrap().to_string())),
                ),
                other => found.push((key.clone(), other.as_str().unwrap().to_string())),
            }
        }
        found
    }

    #[test]
    fn every_language_says_every_text_in_its_own_words() {
        let ja = serde_json::to_value(Lang::Ja.bot()).unwrap();
        for lang in FOREIGN {
            for (key, text) in texts(lang) {
                assert!(!text.trim().is_empty(), "{lang:?} {key}");
            }
            let own = serde_json::to_value(lang.bot()).unwrap();
            for key in ["fallback", "helpful", "welcome", "closed_by_staff"] {
                assert_ne!(own[key], ja[key], "{lang:?} {key} is translated");
            }
        }
    }

    #[test]
    fn slots_are_the_same_in_every_language() {
        let slots = |text: &str| -> Vec<String> {
            let mut found: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| Some(rest.split_once('}')?.0.to_string()))
                .collect();
            found.sort();
            found
        };
        let ja: std::collections::BTreeMap<String, Vec<String>> = texts(Lang::Ja)
            .into_iter()
            .map(|(key, text)| (key, slots(&text)))
            .collect();
        for lang in FOREIGN {
            for (key, text) in texts(lang) {
                assert_eq!(slots(&text), ja[&key], "{lang:?} {key}: {text}");
            }
        }
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        assert_eq!(Lang::Ja.date(12, 3, 3, 8, 30), "12月3日(木) 8:30");
        assert_eq!(Lang::En.date(12, 3, 3, 8, 30), "Thu 3 Dec, 8:30");
        assert_eq!(Lang::Pt.date(1, 4, 0, 9, 0), "seg., 4 de jan., às 9:00");
        assert_eq!(
            fill(Lang::En.bot().offer_staff, &[("name", "Citizens Division")]),
            "Talk to staff (Citizens Division)"
        );
    }
}
