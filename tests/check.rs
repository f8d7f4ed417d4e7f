//! `madoguchi check` on broken content: each error names the file, line and
//! column, says what to do, and the exit status is non-zero.

mod common;

use std::process::Command;

use common::FaqCopy;
use madoguchi::faq::Content;

fn check(faq: &std::path::Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args([
            "--dictionaries",
            common::root().join("dictionaries").to_str().unwrap(),
        ])
        .arg("check")
        .arg(faq)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn the_demo_content_passes() {
    let (ok, text) = check(&common::root().join("faq"));
    assert!(ok, "{text}");
    assert!(
        text.contains("89 entries") || text.contains("entries in"),
        "{text}"
    );
}

#[test]
fn a_misspelt_key_is_named_with_its_position_and_a_suggestion() {
    let faq = FaqCopy::new();
    faq.edit(
        "zei.yaml",
        "    answer: |\n      市税は",
        "    anwser: |\n      市税は",
    );
    let line = faq.line_of("zei.yaml", "anwser:");
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains(&format!("zei.yaml:{line}:5: error: ")),
        "{text}"
    );
    assert!(text.contains("unknown field `anwser`"), "{text}");
    assert!(text.contains("did you mean `answer`?"), "{text}");
}

#[test]
fn an_unknown_procedure_points_at_the_reference() {
    let faq = FaqCopy::new();
    faq.edit(
        "zei.yaml",
        "procedures: [tax-transfer-form]",
        "procedures: [tax-transfer-from]",
    );
    let line = faq.line_of("zei.yaml", "tax-transfer-from");
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains(&format!(
            "zei.yaml:{line}:18: error: unknown procedure id `tax-transfer-from`"
        )),
        "{text}"
    );
    assert!(text.contains("did you mean `tax-transfer-form`?"), "{text}");
}

#[test]
fn duplicate_ids_name_both_places() {
    let faq = FaqCopy::new();
    faq.edit("zei.yaml", "id: tax-slip-lost", "id: tax-payment");
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains("the id `tax-payment` is used twice"),
        "{text}"
    );
    assert!(text.contains("it is first used at"), "{text}");
}

#[test]
fn bad_urls_empty_answers_and_unknown_departments_are_errors() {
    let faq = FaqCopy::new();
    faq.edit(
        "procedures.yaml",
        "url: https://logoform.jp/form/kaizu/sodaigomi",
        "url: logoform/sodaigomi",
    );
    faq.edit("kurashi.yaml", "department: kankyo", "department: kankyou");
    faq.write(
        "extra.yaml",
        "category: テスト\ndepartment: somu\nentries:\n  - id: empty-answer\n    question: 空の回答\n    answer: \"\"\n",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains("`logoform/sodaigomi` is not a web address"),
        "{text}"
    );
    assert!(text.contains("unknown department id `kankyou`"), "{text}");
    assert!(text.contains("did you mean `kankyo`?"), "{text}");
    assert!(
        text.contains("extra.yaml:4:0: error: entry `empty-answer` has an empty answer")
            || text.contains("entry `empty-answer` has an empty answer"),
        "{text}"
    );
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let faq = FaqCopy::new();
    faq.write(
        "broken.yaml",
        "category: 壊れた\nentries:\n  - id: a\n    question: [unclosed\n",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(text.contains("broken.yaml:"), "{text}");
    let diagnostics = Content::load(faq.path()).unwrap_err();
    let error = diagnostics
        .errors()
        .find(|d| d.file.ends_with("broken.yaml"))
        .expect("an error in broken.yaml");
    assert!(error.line >= 4, "{error}");
}

#[test]
fn near_duplicate_questions_are_warnings_only() {
    let faq = FaqCopy::new();
    faq.write(
        "dup.yaml",
        "category: 重複\ndepartment: somu\nentries:\n  - id: dup-parking\n    question: 市役所に駐車場はありますか\n    answer: あります。\n",
    );
    let (ok, text) = check(faq.path());
    assert!(ok, "{text}");
    let warning = text
        .lines()
        .find(|l| l.contains("warning:"))
        .expect("a warning");
    assert!(
        warning.contains("(dup-parking)") && warning.contains("(parking)"),
        "{text}"
    );
    assert!(warning.contains("is nearly the same question"), "{text}");
}

#[test]
fn an_inverted_validity_period_is_an_error() {
    let faq = FaqCopy::new();
    faq.write(
        "season.yaml",
        "category: 季節\ndepartment: somu\nentries:\n  - id: season\n    question: 夏祭り\n    answer: 8月です。\n    valid_from: 2026-08-31\n    valid_until: 2026-08-01\n",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains(
            "season.yaml:8:5: error: valid_until 2026-08-01 is before valid_from 2026-08-31"
        ),
        "{text}"
    );
}

#[test]
fn errors_in_the_word_lists_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("user_dict.csv"),
        "コンビニ交付,名詞,コンビニコウフ\n児童手当,名詞\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["--dictionaries", dir.path().to_str().unwrap(), "check"])
        .arg(common::root().join("faq"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        text.contains("user_dict.csv:2:1: error: expected 3 comma-separated fields, found 2"),
        "{text}"
    );
}

#[test]
fn broken_flows_are_reported_with_file_and_line() {
    let faq = FaqCopy::new();
    faq.write(
        "flows/broken.yaml",
        "id: broken
title: 壊れた案内
triggers: [壊れた案内]
steps:
  - id: first
    prompt: どれですか？
    choices:
      - label: ループへ
        step: loop-a
      - label: とても長いラベルで二十文字をこえてしまうボタン
        answer: tennyu
      - label: ない回答
        answer: no-such-entry
  - id: loop-a
    prompt: Aです
    choices:
      - label: Bへ
        step: loop-b
      - label: 行き先なし
        step: nowhere
  - id: loop-b
    prompt: Bです
    choices:
      - label: Aへ
        step: loop-a
      - label: またAへ
        step: loop-a
  - id: orphan
    prompt: だれも来ない
    choices:
      - label: 転入
        answer: tennyu
      - label: 転出
        answer: tenshutsu
",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok, "{text}");
    let file = "flows/broken.yaml";
    let at = |needle: &str| format!("{file}:{}:", faq.line_of(file, needle));
    for (needle, message) in [
        ("label: とても長い", "characters"),
        ("label: ない回答", "unknown entry id `no-such-entry`"),
        ("label: 行き先なし", "unknown step `nowhere`"),
        ("id: loop-a", "step `loop-a` only leads to steps that loop"),
        ("id: loop-b", "step `loop-b` only leads to steps that loop"),
        ("id: orphan", "cannot be reached from the start"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(message))
            .unwrap_or_else(|| panic!("no `{message}` in:\n{text}"));
        assert!(line.contains(&at(needle)), "{line}\n{text}");
    }
    assert!(
        text.contains("LINE buttons show at most 20 characters"),
        "{text}"
    );
}

#[test]
fn a_topic_file_that_does_not_parse_is_one_error_not_a_dozen() {
    let faq = FaqCopy::new();
    // A flow and a related list point at entries of certificates.yaml.
    let text = std::fs::read_to_string(faq.path().join("certificates.yaml")).unwrap();
    assert!(text.contains("id: conveni-what"));
    faq.edit(
        "certificates.yaml",
        "    question:",
        "    question: [unclosed",
    );
    let (ok, out) = check(faq.path());
    assert!(!ok);
    assert!(out.contains("certificates.yaml:"), "{out}");
    assert!(!out.contains("unknown entry id"), "{out}");
    let errors = out.lines().filter(|l| l.contains(": error:")).count();
    assert_eq!(errors, 1, "{out}");
}

#[test]
fn broken_catalogues_do_not_make_every_reference_unknown() {
    let faq = FaqCopy::new();
    faq.edit("procedures.yaml", "\nprocedures:", "\nprocedures: [");
    faq.edit("departments.yaml", "departments:", "departments: {");
    let (ok, out) = check(faq.path());
    assert!(!ok);
    assert!(!out.contains("unknown procedure id"), "{out}");
    assert!(!out.contains("unknown department id"), "{out}");
    let errors = out.lines().filter(|l| l.contains(": error:")).count();
    assert_eq!(errors, 2, "{out}");
}

mod arbitrary_yaml {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// A topic file cut short or with bytes changed loads or gives
        /// diagnostics; it never panics.
        #[test]
        fn any_topic_file_loads_or_is_diagnosed(cut in 0usize..4000, flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..6)) {
            let faq = FaqCopy::new();
            let path = faq.path().join("certificates.yaml");
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.truncate(cut.min(bytes.len()));
            for (at, byte) in flips {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = byte;
                }
            }
            std::fs::write(&path, &bytes).unwrap();
            match Content::load(faq.path()) {
                Ok((content, _)) => prop_assert!(!content.entries.is_empty()),
                Err(diagnostics) => prop_assert!(diagnostics.errors().count() > 0),
            }
        }
    }
}

#[test]
fn an_entry_past_its_review_date_is_a_warning_with_its_line() {
    let faq = FaqCopy::new();
    faq.edit(
        "certificates.yaml",
        "    procedures: [conveni]\n",
        "    procedures: [conveni]\n    reviewed: 2020-01-15\n",
    );
    let (ok, out) = check(faq.path());
    assert!(ok, "a warning, not an error: {out}");
    let line = faq.line_of("certificates.yaml", "id: conveni-what");
    assert!(
        out.contains(&format!("certificates.yaml:{line}:"))
            && out.contains("its review was due on 2021-01-15"),
        "{out}"
    );
}

#[test]
fn opening_hours_that_do_not_read_are_errors_with_their_line() {
    let faq = FaqCopy::new();
    faq.edit(
        "departments.yaml",
        "opening: { weekdays: \"08:30-17:15\" }",
        "opening: { weekdays: \"8時半から\" }",
    );
    let (ok, out) = check(faq.path());
    assert!(!ok);
    let line = faq.line_of("departments.yaml", "8時半から");
    assert!(out.contains(&format!("departments.yaml:{line}:")), "{out}");
    assert!(out.contains("08:30-17:15"), "says how to write them: {out}");
}

#[test]
fn an_unknown_location_answer_is_named_with_a_suggestion() {
    let faq = FaqCopy::new();
    faq.edit(
        "rules.yaml",
        "location_answer: hinanjo",
        "location_answer: hinanzyo",
    );
    let line = faq.line_of("rules.yaml", "location_answer: hinanzyo");
    let (ok, text) = check(faq.path());
    assert!(!ok);
    assert!(
        text.contains(&format!(
            "rules.yaml:{line}:18: error: unknown entry id `hinanzyo` in `location_answer`"
        )),
        "{text}"
    );
    assert!(text.contains("did you mean `hinanjo`?"), "{text}");
}

#[test]
fn rich_menus_are_checked_against_line_limits_and_the_content() {
    let faq = FaqCopy::new();
    let menus = "line/rich-menus.yaml";
    faq.edit(
        menus,
        "bounds: [1667, 0, 833, 843]\n        category: 子育て",
        "bounds: [1667, 0, 900, 843]\n        category: 子育てA",
    );
    faq.edit(
        menus,
        "label: 防災メール",
        "label: 防災メールを受け取る登録をしたい方はこちら",
    );
    faq.edit(
        menus,
        "flow: saigai",
        "flow: saigai\n        uri: https://example.org/",
    );
    faq.edit(menus, "menu: normal", "menu: nomal");
    faq.edit(
        menus,
        "chat_bar: 災害メニュー",
        "chat_bar: 災害のときにつかうメニューです",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok, "{text}");
    let file = faq.path().join(menus);
    let at = |needle: &str| format!("{}:{}:", file.display(), faq.line_of(menus, needle));
    for (needle, message) in [
        ("label: 子育て", "reaches outside the 2500×1686 image"),
        ("label: 子育て", "the unknown category 「子育てA」"),
        ("label: 防災メール", "must be 1 to 20 characters"),
        ("label: 罹災証明", "has 2 actions; it needs exactly one"),
        ("menu: nomal", "switches to the unknown menu `nomal`"),
        ("chat_bar: 災害の", "`chat_bar` must be 1 to 14 characters"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&at(needle)) && l.contains(message)),
            "no `{message}` at {needle}:\n{text}"
        );
    }
}

#[test]
fn rich_menu_images_must_be_png_or_jpeg_of_a_menu_size() {
    let faq = FaqCopy::new();
    std::fs::write(faq.path().join("line/normal.png"), b"not an image").unwrap();
    // A real PNG, of a screenshot's size.
    std::fs::copy(
        common::root().join("docs/images/staff-draft-replay.png"),
        faq.path().join("line/disaster.png"),
    )
    .unwrap();
    let (ok, text) = check(faq.path());
    assert!(!ok, "{text}");
    assert!(text.contains("normal.png is not an image"), "{text}");
    assert!(
        text.contains("disaster.png is ") && text.contains("a rich menu is 2500×1686 or 2500×843"),
        "{text}"
    );
}

#[test]
fn shelters_need_a_place_on_earth_and_a_name_of_their_own() {
    let faq = FaqCopy::new();
    faq.edit("shelters.yaml", "latitude: 35.2158", "latitude: 135.2158");
    faq.edit(
        "shelters.yaml",
        "name: 東中学校（デモ）",
        "name: 市民会館（デモ）",
    );
    let (ok, text) = check(faq.path());
    assert!(!ok, "{text}");
    let file = faq.path().join("shelters.yaml");
    let at = |needle: &str| {
        format!(
            "{}:{}:",
            file.display(),
            faq.line_of("shelters.yaml", needle)
        )
    };
    assert!(
        text.lines()
            .any(|l| l.starts_with(&at("name: 中央小学校")) && l.contains("has no place on Earth")),
        "{text}"
    );
    assert!(
        text.contains("the shelter 「市民会館（デモ）」 is listed twice"),
        "{text}"
    );
}

#[test]
fn a_hard_easy_japanese_answer_is_warned_of_at_its_line() {
    let faq = FaqCopy::new();
    faq.edit(
        "kurashi.yaml",
        "      ごみは、もえるごみ、もえないごみ、しげんごみに分けます。\n",
        "      燃焼可能廃棄物及び不燃廃棄物を分別の上、所定の曜日に排出いたします。\n      分別しないわけではないが、なくはない。\n",
    );
    let (ok, text) = check(faq.path());
    assert!(ok, "warnings only: {text}");
    let file = faq.path().join("kurashi.yaml");
    let line = faq.line_of("kurashi.yaml", "easy: |");
    let at = format!("{}:{line}: warning: ", file.display());
    for expected in [
        "is kanji",
        "uses 「いたします」",
        "uses 「ないわけではない」",
        "sentence 「燃焼可能廃棄物及び不燃廃棄物を分別の上、所定の曜日に排出いたします」 has",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&at) && l.contains(expected)),
            "no `{expected}` at {at}:\n{text}"
        );
    }
}
