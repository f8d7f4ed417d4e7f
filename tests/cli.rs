//! The `madoguchi` command as an operator or staff member runs it.

mod common;

use std::process::{Command, Output};

fn madoguchi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .current_dir(common::root())
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ask_prints_the_answer_and_its_links() {
    let output = madoguchi(&["ask", "マイナンバーカードをなくしてしまいました"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("[mynumber-lost]"), "{text}");
    assert!(text.contains("0120-95-0178"), "{text}");
    assert!(text.contains("問い合わせ: 市民課"), "{text}");
}

#[test]
fn ask_json_carries_kind_id_links_and_scores() {
    let output = madoguchi(&["ask", "児童手当の申請をしたい", "--json", "--explain"]);
    assert!(output.status.success());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["decision"]["kind"], "answer");
    assert_eq!(value["decision"]["id"], "jidoteate-apply");
    assert_eq!(value["decision"]["links"][0]["kind"], "マイナポータル");
    let candidates = value["explanation"]["candidates"]
        .as_array()
        .expect("candidates");
    assert!(candidates[0]["score"].as_f64().unwrap() > 0.0);
    assert!(
        value["explanation"]["words"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == "児童手当")
    );
}

#[test]
fn ask_explain_shows_the_rule_that_decided() {
    let text = stdout(&madoguchi(&["ask", "引っ越したときの手続き", "--explain"]));
    assert!(
        text.contains("decided: the best entries score within a close margin"),
        "{text}"
    );
    assert!(text.contains("coverage"), "{text}");
    let flow = stdout(&madoguchi(&["ask", "引っ越しの手続き", "--explain"]));
    assert!(
        flow.contains("decided: flow `hikkoshi`: its trigger 「引っ越しの手続き」"),
        "{flow}"
    );
    assert!(
        flow.contains("2. 海津市から市外へ [hikkoshi/out]"),
        "{flow}"
    );
}

#[test]
fn eval_on_the_paraphrases_prints_the_metrics_and_misses() {
    let output = madoguchi(&[
        "eval",
        "--queries",
        "faq/tests/paraphrases.yaml",
        "--misses",
    ]);
    assert!(output.status.success());
    let text = stdout(&output);
    for metric in ["SR@1", "SR@3", "SR@5", "P@1", "MRR", "MAP"] {
        assert!(text.contains(metric), "{metric} missing: {text}");
    }
    let sr1: f64 = text
        .lines()
        .find(|l| l.starts_with("SR@1 "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("SR@1 value");
    assert!(sr1 > 0.8, "{sr1}");
    assert!(text.contains("misses"), "{text}");
}

#[test]
fn check_fails_on_a_missing_directory_with_advice() {
    let output = madoguchi(&["check", "no-such-dir"]);
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("no-such-dir: error: the FAQ directory does not exist"),
        "{text}"
    );
}

fn output_text(output: &Output) -> String {
    stdout(output) + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn import_reads_a_shift_jis_csv_and_an_excel_sheet_into_existing_content() {
    let dir = tempfile::tempdir().unwrap();
    let faq = common::FaqCopy::new();
    // As Excel saves a CSV in Japan: Shift_JIS, no BOM.
    let csv = dir.path().join("faq.csv");
    let table = "全国地方公共団体コード,ID,地方公共団体名,分類,質問,回答,URL\n\
         212334,101,海津市,図書館,図書館の開館時間は,9時から19時までです。,https://example.jp/lib\n\
         212334,102,海津市,図書館,本の返却ポストはどこ,正面玄関の横です。,\n";
    std::fs::write(&csv, encoding_rs::SHIFT_JIS.encode(table).0).unwrap();
    let output = madoguchi(&[
        "import",
        csv.to_str().unwrap(),
        "--into",
        faq.path().to_str().unwrap(),
        "--department",
        "somu",
    ]);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        stdout(&output).contains("2 entries in 「図書館」"),
        "{}",
        output_text(&output)
    );

    let xlsx = dir.path().join("faq.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, cells) in [
        ["ID", "分類", "質問", "回答"],
        [
            "201",
            "公園",
            "公園でバーベキューはできますか",
            "決められた広場でだけできます。",
        ],
    ]
    .iter()
    .enumerate()
    {
        for (column, cell) in cells.iter().enumerate() {
            sheet
                .write_string(row as u32, column as u16, *cell)
                .unwrap();
        }
    }
    workbook.save(&xlsx).unwrap();
    let from_excel = dir.path().join("excel");
    let output = madoguchi(&[
        "import",
        xlsx.to_str().unwrap(),
        "--into",
        faq.path().to_str().unwrap(),
        "--department",
        "kankyo",
    ]);
    assert!(
        !output.status.success(),
        "an earlier import's files are kept"
    );
    assert!(
        output_text(&output).contains("exists already"),
        "{}",
        output_text(&output)
    );
    let output = madoguchi(&[
        "import",
        xlsx.to_str().unwrap(),
        "--into",
        from_excel.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", output_text(&output));

    let check = madoguchi(&["check", faq.path().to_str().unwrap()]);
    assert!(check.status.success(), "{}", output_text(&check));
    let ask = madoguchi(&[
        "--faq",
        faq.path().to_str().unwrap(),
        "ask",
        "図書館は何時まで開いていますか",
    ]);
    assert!(stdout(&ask).contains("[imported-101]"), "{}", stdout(&ask));
    let ask = madoguchi(&[
        "--faq",
        from_excel.to_str().unwrap(),
        "ask",
        "公園でバーベキューをしたい",
    ]);
    assert!(
        stdout(&ask).contains("[imported-201]"),
        "{}",
        output_text(&ask)
    );

    let unknown = madoguchi(&[
        "import",
        csv.to_str().unwrap(),
        "--into",
        faq.path().to_str().unwrap(),
        "--department",
        "tosyo",
    ]);
    assert!(!unknown.status.success());
    assert!(
        output_text(&unknown).contains("no department `tosyo`; use one of:"),
        "{}",
        output_text(&unknown)
    );
}

#[test]
fn import_makes_a_new_directory_of_the_kosodate_layout_with_the_city_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("faq.json");
    std::fs::write(
        &json,
        r#"[
          {"faq_id": 7, "question": "○○市の育児相談の窓口は？", "answer": "（自治体の担当課等の名称）が（開庁時間）に受け付けます。\n◆お問い合わせ\n（電話番号）", "category1": "子育て・子ども家庭支援", "category2": "相談", "service_name": "null"},
          {"faq_id": 9, "question": "ベビーカーの貸し出しはありますか", "answer": "AAA保健相談所で貸し出しています。", "category1": "子育て・子ども家庭支援", "category2": "相談", "service_name": "null"}
        ]"#,
    )
    .unwrap();
    let city = dir.path().join("city.yaml");
    std::fs::write(
        &city,
        "name: 海津市\nprefecture: 岐阜県\nphone: 0584-53-1111\nhours: 平日 8:30〜17:15\ndepartment: こども未来課\n",
    )
    .unwrap();
    let faq = dir.path().join("new-faq");
    let output = madoguchi(&[
        "import",
        json.to_str().unwrap(),
        "--into",
        faq.to_str().unwrap(),
        "--city",
        city.to_str().unwrap(),
        "--department",
        "kosodate",
    ]);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        stdout(&output).contains("1 placeholders of the template are left"),
        "{}",
        stdout(&output)
    );
    let topic = std::fs::read_to_string(faq.join("kosodate-01.yaml")).unwrap();
    assert!(
        topic.starts_with("# 出典：子育てオープンデータ協議会"),
        "{topic}"
    );
    assert!(
        topic.contains("海津市の育児相談の窓口は？")
            && topic.contains("こども未来課が平日 8:30〜17:15に"),
        "{topic}"
    );

    let check = madoguchi(&["check", faq.to_str().unwrap()]);
    assert!(check.status.success(), "{}", output_text(&check));
    let line = std::fs::read_to_string(faq.join("kosodate-01.yaml"))
        .unwrap()
        .lines()
        .position(|l| l.contains("AAA保健相談所"))
        .unwrap()
        + 1;
    let warning = format!("kosodate-01.yaml:{line}:");
    assert!(
        output_text(&check)
            .lines()
            .any(|l| l.contains(&warning) && l.contains("「AAA保健相談所」 is a placeholder")),
        "{}",
        output_text(&check)
    );
    let ask = madoguchi(&[
        "--faq",
        faq.to_str().unwrap(),
        "ask",
        "ベビーカーの貸し出し",
    ]);
    assert!(
        stdout(&ask).contains("[kosodate-9]"),
        "{}",
        output_text(&ask)
    );
}

#[test]
fn several_questions_are_one_conversation() {
    let text = stdout(&madoguchi(&[
        "ask",
        "マイナンバーカードを申請したい",
        "それは休日でもできますか",
        "--explain",
    ]));
    assert!(text.contains("> それは休日でもできますか"), "{text}");
    assert!(text.contains("[mynumber-sunday]"), "{text}");
    assert!(
        text.contains("context: 「それ」 refers to the previous answer `mynumber-apply`"),
        "{text}"
    );
    let numbered = stdout(&madoguchi(&["ask", "引っ越しの手続き", "3"]));
    assert!(numbered.contains("[tenkyo]"), "{numbered}");
}
