//! The engine's decisions on the demo content, without any channel.

mod common;

use madoguchi::engine::{
    ChoiceValue, Confidence, Conversation, Decision, Engine, Policy, Situation,
};
use madoguchi::faq::Date;
use madoguchi::i18n::Lang;
use madoguchi::index::Weights;

#[test]
fn a_precise_question_is_answered_with_links_and_contact() {
    let engine = common::demo_engine();
    let (decision, explanation) = engine.ask("コンビニで住民票って取れる？").unwrap();
    let Decision::Answer(answer) = decision else {
        panic!("expected an answer, got {decision:?}");
    };
    assert_eq!(answer.id, "conveni-what");
    assert!(
        answer
            .links
            .iter()
            .any(|l| l.kind == "コンビニ交付" && l.url.is_some())
    );
    assert_eq!(
        answer.contact.as_ref().map(|c| c.department.as_str()),
        Some("市民課")
    );
    assert_ne!(answer.confidence, Confidence::Low);
    assert_eq!(explanation.candidates[0].id, "conveni-what");
    assert!(
        explanation.candidates[0]
            .matched
            .contains(&"住民票".to_string())
    );
    assert!(explanation.reason.contains("conveni-what"));
}

#[test]
fn an_ambiguous_question_offers_choices() {
    let engine = common::demo_engine();
    let (decision, explanation) = engine.ask("引っ越したときの手続き").unwrap();
    let Decision::Choices { choices, .. } = decision else {
        panic!("expected choices, got {decision:?}");
    };
    let ids: Vec<_> = choices
        .iter()
        .filter_map(|c| match &c.value {
            ChoiceValue::Entry(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert!((2..=4).contains(&ids.len()), "{ids:?}");
    for expected in ["tennyu", "tenshutsu", "tenkyo"] {
        assert!(ids.contains(&expected), "{ids:?}");
    }
    assert!(
        explanation.reason.contains("close margin"),
        "{}",
        explanation.reason
    );
}

#[test]
fn an_unrelated_question_falls_back_to_the_contact_and_form() {
    let engine = common::demo_engine();
    let (decision, _) = engine.ask("宇宙旅行の申し込みをしたい").unwrap();
    let Decision::Fallback { contact, links, .. } = decision else {
        panic!("expected a fallback, got {decision:?}");
    };
    assert_eq!(
        contact.map(|c| c.department),
        Some("総務課（総合案内）".to_string())
    );
    assert_eq!(links[0].kind, "LoGoフォーム");
}

#[test]
fn rules_win_over_search() {
    let engine = common::demo_engine();
    let rule_of = |message: &str| match engine.ask(message).unwrap().0 {
        Decision::Rule { rule, .. } => rule,
        other => panic!("{message}: expected a rule, got {other:?}"),
    };
    assert_eq!(rule_of("こんにちは"), "greeting");
    assert_eq!(rule_of("ありがとうございました！"), "thanks");
    assert_eq!(rule_of("住民票のことで職員と話したい"), "escalate");
    assert_eq!(rule_of("メニュー"), "menu");
    assert_eq!(rule_of(""), "menu");

    let Decision::Rule { contact, links, .. } = engine.ask("オペレーターにつないで").unwrap().0
    else {
        panic!("expected the escalation rule");
    };
    assert!(
        contact.is_some() && !links.is_empty(),
        "escalation carries the contact and the form"
    );

    let Decision::Rule { choices, .. } = engine.ask("メニュー").unwrap().0 else {
        panic!("expected the menu rule");
    };
    assert!(
        choices
            .iter()
            .any(|c| c.value == ChoiceValue::Category("マイナンバーカード".into()))
    );
}

#[test]
fn a_greeting_with_a_question_is_searched() {
    let engine = common::demo_engine();
    let (decision, _) = engine.ask("こんにちは、印鑑証明書がほしいです").unwrap();
    assert_ne!(decision.kind(), "rule", "{decision:?}");
}

#[test]
fn choices_and_categories_resolve() {
    let engine = common::demo_engine();
    assert_eq!(
        engine
            .answer("tenkyo")
            .and_then(|d| d.answer_id().map(String::from)),
        Some("tenkyo".into())
    );
    assert!(engine.answer("no-such-entry").is_none());
    let Some(Decision::Choices { choices, .. }) = engine.category("税金") else {
        panic!("the 税金 category lists its entries");
    };
    assert_eq!(choices[0].value, ChoiceValue::Entry("tax-payment".into()));
    assert!(engine.category("存在しない分類").is_none());
    let Decision::Choices { choices, .. } = engine.menu() else {
        panic!("menu is a choice of categories");
    };
    assert_eq!(choices.len(), engine.content().categories.len());
    assert!(choices.len() <= madoguchi::engine::PAGE_SIZE);
}

fn load(faq: &common::FaqCopy) -> Engine {
    Engine::load(
        faq.path(),
        &common::root().join("dictionaries"),
        Policy::default(),
        Weights::default(),
    )
    .unwrap()
    .0
}

#[test]
fn long_lists_are_paged_with_more() {
    let faq = common::FaqCopy::new();
    let mut topic = String::from("category: 施設\ndepartment: somu\nentries:\n");
    for n in 0..30 {
        topic.push_str(&format!(
            "  - id: facility-{n}\n    question: 施設{n}番の場所はどこですか\n    answer: 施設{n}番は市役所の近くです。\n"
        ));
    }
    faq.write("facilities.yaml", &topic);
    let engine = load(&faq);
    let mut shown = Vec::new();
    let mut page = engine.category("施設").unwrap();
    loop {
        let choices = page.choices().to_vec();
        assert!(choices.len() <= madoguchi::engine::PAGE_SIZE + 1);
        let (more, entries): (Vec<_>, Vec<_>) = choices
            .into_iter()
            .partition(|c| matches!(c.value, ChoiceValue::More(_)));
        shown.extend(entries.into_iter().map(|c| c.value.id().to_string()));
        let Some(more) = more.first() else { break };
        assert_eq!(more.label, "もっと見る");
        page = engine.choose(&more.value).expect("the next page");
    }
    let expected: Vec<String> = (0..30).map(|n| format!("facility-{n}")).collect();
    assert_eq!(shown, expected, "every entry once, in order");
    assert!(engine.choose(&ChoiceValue::More("9:施設".into())).is_none());
}

#[test]
fn an_entry_outside_its_dates_is_never_offered_related_or_answered() {
    let faq = common::FaqCopy::new();
    faq.write(
        "season.yaml",
        "category: 季節\ndepartment: somu\nentries:\n  - id: old-festival\n    question: 昔の夏祭りの花火大会\n    answer: 終わりました。\n    valid_until: 2001-08-31\n  - id: future-festival\n    question: 未来の夏祭りの花火大会\n    answer: まだです。\n    valid_from: 2999-07-01\n  - id: festival\n    question: 夏祭りはいつですか\n    answer: 8月です。\n    related: [old-festival, future-festival]\n  - id: gone-only\n    question: 終わった催しの一覧\n    answer: なし\n    category: 終わった催し\n    valid_until: 2001-01-01\n",
    );
    let engine = load(&faq);
    let hidden = ["old-festival", "future-festival"];
    for id in hidden {
        assert!(engine.answer(id).is_none(), "{id} answered by id");
        assert!(engine.choose(&ChoiceValue::Entry(id.into())).is_none());
    }
    let Some(Decision::Choices { choices, .. }) = engine.category("季節") else {
        panic!("the category lists its live entries");
    };
    let listed: Vec<&str> = choices.iter().map(|c| c.value.id()).collect();
    assert_eq!(listed, ["festival"]);
    let festival = engine.answer("festival").unwrap();
    let Decision::Answer(answer) = &festival else {
        panic!()
    };
    assert!(answer.related.is_empty(), "{:?}", answer.related);
    // A category whose entries are all out of date is not in the menu.
    assert!(engine.category("終わった催し").is_none());
    let menu: Vec<String> = engine
        .menu()
        .choices()
        .iter()
        .map(|c| c.label.clone())
        .collect();
    assert!(!menu.contains(&"終わった催し".to_string()), "{menu:?}");
    // Nor offered after 「役に立たなかった」.
    let mut conversation = madoguchi::engine::Conversation::default();
    let (decision, explanation) = engine.respond(&conversation, "夏祭りの花火大会").unwrap();
    conversation.record(&decision, Some(&explanation));
    conversation.candidates = vec![
        "festival".into(),
        "old-festival".into(),
        "future-festival".into(),
    ];
    let after = engine.after_unhelpful(&conversation, "festival");
    assert!(
        after
            .choices()
            .iter()
            .all(|c| !hidden.contains(&c.value.id())),
        "{after:?}"
    );
}

#[test]
fn rule_phrases_match_in_the_form_synonyms_give_messages() {
    let faq = common::FaqCopy::new();
    // 役場 is a way of saying 市役所 (dictionaries/synonyms.yaml): a rule
    // written with it still fires, and so does one written with 市役所.
    faq.edit(
        "rules.yaml",
        "contains: [職員と話したい,",
        "contains: [役場の人と話したい, 職員と話したい,",
    );
    let engine = load(&faq);
    for message in [
        "役場の人と話したい",
        "市役所の人と話したい",
        "役所の人と話したいです",
    ] {
        let (decision, explanation) = engine.ask(message).unwrap();
        assert_eq!(decision.kind(), "rule", "{message}: {}", explanation.reason);
    }
}

#[test]
fn entries_are_only_answered_within_their_validity_dates() {
    let faq = common::FaqCopy::new();
    faq.write(
        "season.yaml",
        "category: 季節\ndepartment: somu\nentries:\n  - id: natsu-matsuri\n    question: 夏祭りの花火大会はいつですか\n    answer: 8月の第1土曜日です。\n    valid_from: 2026-07-01\n    valid_until: 2026-08-31\n",
    );
    let (engine, _) = Engine::load(
        faq.path(),
        &common::root().join("dictionaries"),
        Policy::default(),
        Weights::default(),
    )
    .unwrap();
    let date = |s: &str| s.parse::<Date>().unwrap();
    let in_season = engine
        .ask_on("花火大会はいつ", date("2026-07-15"))
        .unwrap()
        .0;
    assert_eq!(in_season.answer_id(), Some("natsu-matsuri"));
    let out_of_season = engine
        .ask_on("花火大会はいつ", date("2026-11-24"))
        .unwrap()
        .0;
    assert_ne!(out_of_season.answer_id(), Some("natsu-matsuri"));
    assert_eq!(out_of_season.kind(), "fallback");
}

#[test]
fn odd_input_never_fails() {
    let engine = common::demo_engine();
    let long = "住民票".repeat(2000);
    for message in [
        "",
        " ",
        "？？？",
        "🙂🙂🙂",
        "a",
        "\u{0}\u{1}",
        "ｱｲｳｴｵ",
        long.as_str(),
        "<script>alert(1)</script>",
    ] {
        let (decision, _) = engine.ask(message).unwrap();
        assert!(!decision.kind().is_empty());
    }
}

#[test]
fn width_and_script_variants_get_the_same_answer() {
    let engine = common::demo_engine();
    let plain = engine
        .ask("マイナンバーカードの暗証番号を忘れた")
        .unwrap()
        .0;
    let half_width = engine.ask("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞの暗証番号を忘れた").unwrap().0;
    let synonym = engine.ask("マイナカードのパスワードを忘れた").unwrap().0;
    assert_eq!(plain.answer_id(), Some("mynumber-pin-forgot"));
    assert_eq!(half_width.answer_id(), plain.answer_id());
    assert_eq!(synonym.answer_id(), plain.answer_id());
}

#[test]
fn a_category_lists_its_most_asked_entries_first() {
    let engine = common::demo_engine();
    let category = "証明書（住民票・戸籍・印鑑）";
    let ids = |engine: &madoguchi::engine::Engine| -> Vec<String> {
        engine
            .category(category)
            .unwrap()
            .choices()
            .iter()
            .map(|c| c.value.id().to_string())
            .collect()
    };
    let file_order = ids(&engine);
    assert_eq!(file_order[0], "conveni-what");
    engine.set_asked_counts(
        [
            ("koseki".to_string(), 9),
            ("inkan-certificate".to_string(), 4),
        ]
        .into_iter()
        .collect(),
    );
    let ranked = ids(&engine);
    assert_eq!(
        &ranked[..3],
        ["koseki", "inkan-certificate", "conveni-what"]
    );
    assert_eq!(ranked.len(), file_order.len());
}

/// An instant given in Japan time.
fn japan(text: &str) -> jiff::Timestamp {
    madoguchi::hours::JAPAN
        .to_timestamp(text.parse().unwrap())
        .unwrap()
}

#[test]
fn outside_office_hours_the_contact_says_when_it_opens_and_online_comes_first() {
    let engine = common::demo_engine();
    let (answered, _) = engine.ask("コンビニで住民票って取れる？").unwrap();
    assert!(answered.contact().is_some_and(|c| c.notice.is_none()));

    // Wednesday 2026-12-02, 18:30: 市民課 is open until 19:00.
    let mut open = answered.clone();
    engine.note_office_hours(&mut open, japan("2026-12-02T18:30"), Lang::Ja);
    assert_eq!(open, answered);

    let mut closed = answered.clone();
    engine.note_office_hours(&mut closed, japan("2026-12-02T19:30"), Lang::Ja);
    assert_eq!(
        closed.contact().unwrap().notice.as_deref(),
        Some("現在は閉庁時間です。次は12月3日(木) 8:30 から")
    );
    let counters: Vec<bool> = closed.links().iter().map(|l| l.counter).collect();
    let mut sorted = counters.clone();
    sorted.sort();
    assert_eq!(counters, sorted, "the counter last");
    assert!(!counters[0], "{:?}", closed.links());

    // The year-end closure of 2026: open again on Monday 2027-01-04.
    let mut year_end = answered.clone();
    engine.note_office_hours(&mut year_end, japan("2026-12-30T10:00"), Lang::Ja);
    assert_eq!(
        year_end.contact().unwrap().notice.as_deref(),
        Some("現在は閉庁時間です。次は1月4日(月) 8:30 から")
    );
}

#[test]
fn a_single_candidate_is_answered_with_low_confidence_not_listed_alone() {
    let faq = common::FaqCopy::new();
    faq.write(
        "events.yaml",
        "category: 催し\ndepartment: somu\nentries:\n  - id: hanabi\n    question: 花火大会はいつ開かれますか\n    answer: 8月の第1土曜日です。\n",
    );
    let engine = load(&faq);
    // Only part of the message is about the one entry that matches at all.
    let (decision, explanation) = engine.ask("花火大会のボランティア募集").unwrap();
    let Decision::Answer(answer) = &decision else {
        panic!("{decision:?}: {}", explanation.reason)
    };
    assert_eq!(answer.id, "hanabi");
    assert_eq!(answer.confidence, Confidence::Low);
    assert!(
        explanation.reason.contains("only candidate"),
        "{}",
        explanation.reason
    );
}

#[test]
fn the_content_version_is_the_same_wherever_the_directory_is() {
    let (a, b) = (common::FaqCopy::new(), common::FaqCopy::new());
    let version = |dir: &std::path::Path| madoguchi::faq::Content::load(dir).unwrap().0.version;
    assert_ne!(a.path(), b.path());
    assert_eq!(version(a.path()), version(b.path()));
    b.edit("certificates.yaml", "住民票", "住民票 ");
    assert_ne!(
        version(a.path()),
        version(b.path()),
        "a change is a new version"
    );
}

#[test]
fn in_disaster_mode_disaster_entries_come_first_among_close_candidates() {
    let engine = common::demo_engine();
    let conversation = Conversation::default();
    let question = "市の情報を受け取りたい";
    let disaster = |id: &str| engine.content().entry(id).is_some_and(|e| e.disaster);
    let (normal, normal_explanation) = engine
        .respond_in(&conversation, question, Situation::default())
        .unwrap();
    let (during, explanation) = engine
        .respond_in(&conversation, question, Situation { disaster: true })
        .unwrap();
    let first = |decision: &Decision| decision.choices()[0].value.id().to_string();
    assert!(!disaster(&first(&normal)), "{normal:?}");
    assert!(disaster(&first(&during)), "{during:?}");
    assert!(
        normal_explanation
            .candidates
            .iter()
            .any(|c| c.id == first(&during)),
        "a candidate of the question before"
    );
    assert!(
        explanation
            .reason
            .starts_with("disaster mode put disaster entries first"),
        "{}",
        explanation.reason
    );
    // A question with a clear answer keeps it.
    let (clear, _) = engine
        .respond_in(
            &conversation,
            "児童手当の申請をしたい",
            Situation { disaster: true },
        )
        .unwrap();
    assert_eq!(clear.answer_id(), Some("jidoteate-apply"));
}

#[test]
fn furigana_reads_the_contents_words_and_the_citys_place_names() {
    let engine = common::demo_engine();
    let analyzer = engine.index().analyzer();
    let table = [
        ("住民票", "住民票(じゅうみんひょう)"),
        (
            "印鑑登録証明書",
            "印鑑登録証明書(いんかんとうろくしょうめいしょ)",
        ),
        ("戸籍謄本", "戸籍謄本(こせきとうほん)"),
        ("海津市", "海津(かいづ)市(し)"),
        ("高須", "高須(たかす)"),
        ("南濃町", "南濃町(なんのうちょう)"),
        ("平田町", "平田町(ひらたちょう)"),
        ("海津町", "海津町(かいづちょう)"),
        ("転入届", "転入(てんにゅう)届(とどけ)"),
        ("転出届", "転出(てんしゅつ)届(とどけ)"),
        ("児童手当", "児童手当(じどうてあて)"),
        ("申請書", "申請(しんせい)書(しょ)"),
        ("手数料", "手数料(てすうりょう)"),
        ("窓口", "窓口(まどぐち)"),
        ("市役所", "市役所(しやくしょ)"),
        ("確定申告", "確定(かくてい)申告(しんこく)"),
        ("国民健康保険", "国民健康保険(こくみんけんこうほけん)"),
        ("介護保険", "介護(かいご)保険(ほけん)"),
        ("要介護認定", "要介護認定(ようかいごにんてい)"),
        (
            "後期高齢者医療",
            "後期高齢者医療(こうきこうれいしゃいりょう)",
        ),
        ("罹災証明書", "罹災証明書(りさいしょうめいしょ)"),
        ("避難所", "避難所(ひなんじょ)"),
        ("防災", "防災(ぼうさい)"),
        ("粗大ごみ", "粗大(そだい)ごみ"),
        ("予防接種", "予防(よぼう)接種(せっしゅ)"),
        ("妊娠届", "妊娠(にんしん)届(とどけ)"),
        ("母子健康手帳", "母子健康手帳(ぼしけんこうてちょう)"),
        ("保育園", "保育園(ほいくえん)"),
        ("乳幼児健診", "乳幼児(にゅうようじ)健診(けんしん)"),
        ("一時預かり", "一時(いちじ)預(あず)かり"),
        ("運転免許証", "運転(うんてん)免許(めんきょ)証(しょう)"),
        ("委任状", "委任(いにん)状(じょう)"),
        ("代理人", "代理人(だいりにん)"),
        ("郵送", "郵送(ゆうそう)"),
        ("納付書", "納付(のうふ)書(しょ)"),
        ("口座振替", "口座(こうざ)振替(ふりかえ)"),
        ("固定資産税", "固定(こてい)資産(しさん)税(ぜい)"),
        ("軽自動車税", "軽自動車(けいじどうしゃ)税(ぜい)"),
        ("住民税", "住民(じゅうみん)税(ぜい)"),
        ("課税証明書", "課税(かぜい)証明(しょうめい)書(しょ)"),
        ("暗証番号", "暗証(あんしょう)番号(ばんごう)"),
        ("電子証明書", "電子証明書(でんししょうめいしょ)"),
        ("有効期限", "有効(ゆうこう)期限(きげん)"),
        ("再発行", "再(さい)発行(はっこう)"),
        ("取れます", "取(と)れます"),
        ("申し込み", "申し込(もうしこ)み"),
        ("開庁時間", "開庁(かいちょう)時間(じかん)"),
        ("閉庁", "閉庁(へいちょう)"),
        ("マイナンバーカード", "マイナンバーカード"),
        ("本庁舎1階", "本(ほん)庁舎(ちょうしゃ)1階(かい)"),
    ];
    assert_eq!(table.len(), 50);
    let wrong: Vec<String> = table
        .iter()
        .filter_map(|(word, expected)| {
            let read: String = analyzer
                .ruby(word)
                .iter()
                .map(|s| match &s.reading {
                    Some(reading) => format!("{}({reading})", s.text),
                    None => s.text.clone(),
                })
                .collect();
            (read != *expected).then(|| format!("{word}: {read}, not {expected}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
