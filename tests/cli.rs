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

#[test]
fn import_csv_writes_topic_files_that_pass_check() {
    let dir = tempfile::tempdir().unwrap();
    let faq = common::FaqCopy::new();
    let csv = dir.path().join("faq.csv");
    std::fs::write(
        &csv,
        "\u{feff}全国地方公共団体コード,ID,地方公共団体名,分類,質問,回答,URL\n\
         212334,101,海津市,図書館,図書館の開館時間は,9時から19時までです。,https://example.jp/lib\n\
         212334,102,海津市,図書館,本の返却ポストはどこ,正面玄関の横です。,\n",
    )
    .unwrap();
    let imported = faq.path().join("imported");
    let output = madoguchi(&[
        "import-csv",
        csv.to_str().unwrap(),
        "--out",
        imported.to_str().unwrap(),
        "--department",
        "somu",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout(&output).contains("2 entries in 「図書館」"));
    let check = madoguchi(&["check", faq.path().to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let ask = madoguchi(&[
        "--faq",
        faq.path().to_str().unwrap(),
        "ask",
        "図書館は何時まで開いていますか",
    ]);
    assert!(stdout(&ask).contains("[imported-101]"), "{}", stdout(&ask));
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
