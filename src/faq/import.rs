//! Importing FAQ data into topic files. Read: the 子育てオープンデータ協議会
//! FAQ data set (JSON, or CSV with its columns faq_id, question, answer,
//! category1, category2, service_name), generic FAQ tables (質問 and 回答
//! columns, optional ID, 分類 and URL) as CSV in UTF-8 or Shift_JIS/CP932
//! (as Excel saves it, detected), and Excel `.xlsx` sheets with the same
//! headers. (The 自治体標準オープンデータセット has no FAQ data set.)
//! Template placeholders (○○市, （電話番号）…) are filled from a small city
//! profile, `city.yaml`; `check` warns of those left.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Header names accepted for each column, as cities publish them (and as
/// the 子育てオープンデータ協議会 data set names them).
const ID_HEADERS: &[&str] = &["ID", "FAQ ID", "FAQID", "faq_id", "番号", "No"];
const CATEGORY_HEADERS: &[&str] = &[
    "分類",
    "カテゴリ",
    "カテゴリー",
    "分野",
    "大分類",
    "category1",
];
const QUESTION_HEADERS: &[&str] = &["質問", "質問内容", "Q", "問", "question"];
const ANSWER_HEADERS: &[&str] = &["回答", "回答内容", "A", "答", "answer"];
const URL_HEADERS: &[&str] = &["URL", "関連URL", "参考URL", "リンク"];
/// Columns naming what an entry is about, one per line: they become its
/// keywords (the 子育て data set's `service_name`: 児童手当, 保育所…).
const KEYWORD_HEADERS: &[&str] = &["service_name", "キーワード", "keywords"];

/// The attribution the 子育てオープンデータ協議会 data set asks for.
pub const KOSODATE_ATTRIBUTION: &str = "出典：子育てオープンデータ協議会「自治体におけるAIチャットボットの普及に向けたFAQデータセット」（CC BY 4.0）";

/// Template placeholders left to fill: ○○市, ●●県, （電話番号）,
/// （自治体…）, （…URL）, （開庁時間）, （○時○分から○時○分）, AAA保健相談所…
static PLACEHOLDER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"○○|●●|（[^（）\n]*(?:自治体|電話番号|開庁時間|URL|所在場所|担当課|○時)[^（）\n]*）|[A-Z]{3}保健相談所",
    )
    .expect("a valid pattern")
});

/// Problems with the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the table has no {0} column (looked for: {1})")]
    MissingColumn(&'static str, String),
    #[error("row {line}: {message}")]
    Row { line: u64, message: String },
    #[error("the CSV cannot be read: {0}")]
    Csv(#[from] csv::Error),
    #[error(
        "the JSON is not the 子育てオープンデータ協議会 FAQ layout (a list of objects with question and answer): {0}"
    )]
    Json(#[from] serde_json::Error),
    #[error("the Excel file cannot be read: {0}")]
    Excel(String),
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: only .json, .csv and .xlsx files are read")]
    Format(String),
}

/// One question and answer read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The source's id, made into an entry id.
    pub id: String,
    pub question: String,
    pub answer: String,
    pub category: Option<String>,
    pub keywords: Vec<String>,
}

/// What was read, and whether it is the 子育て data set (which carries an
/// attribution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub rows: Vec<Row>,
    pub kosodate: bool,
}

/// A topic file produced from the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTopic {
    pub category: String,
    /// The YAML text of the topic file.
    pub yaml: String,
    pub entries: usize,
}

/// What fills a template's placeholders: `city.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityProfile {
    /// 海津市: for ○○市 (and ○○ alone).
    pub name: Option<String>,
    /// 岐阜県: for ●●県.
    pub prefecture: Option<String>,
    /// For （電話番号）.
    pub phone: Option<String>,
    /// For （開庁時間） and （○時○分から○時○分）.
    pub hours: Option<String>,
    /// The city's site: for （自治体HP内関連ページのURL） and other URLs.
    pub url: Option<String>,
    /// The department residents are referred to: for （自治体の担当課等の名称）.
    pub department: Option<String>,
}

impl CityProfile {
    /// Reads `city.yaml`.
    pub fn load(path: &Path) -> Result<CityProfile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|err| format!("{}: {err}", path.display()))
    }

    /// `text` with the placeholders this profile knows filled in.
    pub fn fill(&self, text: &str) -> String {
        let mut text = text.to_string();
        let mut replace = |pattern: &str, value: &Option<String>| {
            if let Some(value) = value {
                text = text.replace(pattern, value);
            }
        };
        let short_name = self
            .name
            .as_ref()
            .map(|n| n.trim_end_matches(['市', '町', '村', '区']).to_string());
        replace("○○市", &self.name);
        replace("○○", &short_name);
        replace("●●県", &self.prefecture);
        replace("（電話番号）", &self.phone);
        replace("（開庁時間）", &self.hours);
        replace("（○時○分から○時○分）", &self.hours);
        replace("（自治体HP内関連ページのURL）", &self.url);
        replace("（自治体の担当課等の名称）", &self.department);
        text
    }
}

/// The placeholders left in `text`, with their byte offsets.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    PLACEHOLDER
        .find_iter(text)
        .map(|m| (m.start(), m.as_str()))
        .collect()
}

/// Reads a `.json`, `.csv` or `.xlsx` file of questions and answers.
pub fn read_file(path: &Path) -> Result<Read, ImportError> {
    let name = path.display().to_string();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "json" => {
            let bytes = std::fs::read(path).map_err(|err| ImportError::Io(name, err))?;
            read_kosodate_json(&bytes)
        }
        "csv" => {
            let bytes = std::fs::read(path).map_err(|err| ImportError::Io(name, err))?;
            read_csv(&bytes)
        }
        "xlsx" => read_xlsx(path),
        _ => Err(ImportError::Format(name)),
    }
}

/// The 子育てオープンデータ協議会 data set as JSON.
pub fn read_kosodate_json(bytes: &[u8]) -> Result<Read, ImportError> {
    #[derive(Deserialize)]
    struct Record {
        #[serde(default)]
        faq_id: serde_json::Value,
        question: String,
        answer: String,
        #[serde(default)]
        category1: Option<String>,
        #[serde(default)]
        service_name: Option<String>,
    }
    let records: Vec<Record> = serde_json::from_slice(bytes)?;
    let rows = records
        .into_iter()
        .enumerate()
        .map(|(number, r)| Row {
            id: match &r.faq_id {
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s.clone(),
                _ => (number + 1).to_string(),
            },
            question: r.question.trim().to_string(),
            answer: r.answer.trim().to_string(),
            category: r.category1.filter(|c| !c.trim().is_empty() && c != "null"),
            keywords: keywords_of(r.service_name.as_deref().unwrap_or("")),
        })
        .collect();
    Ok(Read {
        rows,
        kosodate: true,
    })
}

/// A CSV in UTF-8 (with or without BOM), or else Shift_JIS/CP932.
pub fn read_csv(bytes: &[u8]) -> Result<Read, ImportError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => encoding_rs::SHIFT_JIS.decode(bytes).0,
    };
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = csv.headers()?.iter().map(String::from).collect();
    let mut records = Vec::new();
    for (number, record) in csv.records().enumerate() {
        let record = record?;
        let line = record.position().map_or(number as u64 + 2, |p| p.line());
        records.push((line, record.iter().map(String::from).collect()));
    }
    read_table(headers, records)
}

/// The first sheet of an Excel workbook, its first row the headers.
pub fn read_xlsx(path: &Path) -> Result<Read, ImportError> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(path)
        .map_err(|err: calamine::XlsxError| ImportError::Excel(err.to_string()))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ImportError::Excel("the workbook has no sheet".into()))?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|err| ImportError::Excel(err.to_string()))?;
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let records = rows
        .enumerate()
        .map(|(number, r)| (number as u64 + 2, r.iter().map(|c| c.to_string()).collect()))
        .collect();
    read_table(headers, records)
}

/// Rows of a table whose first row names its columns.
fn read_table(headers: Vec<String>, records: Vec<(u64, Vec<String>)>) -> Result<Read, ImportError> {
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let require = |what: &'static str, names: &[&str]| {
        find(names).ok_or_else(|| ImportError::MissingColumn(what, names.join(", ")))
    };
    let question_column = require("question", QUESTION_HEADERS)?;
    let answer_column = require("answer", ANSWER_HEADERS)?;
    let (id_column, category_column, url_column, keyword_column) = (
        find(ID_HEADERS),
        find(CATEGORY_HEADERS),
        find(URL_HEADERS),
        find(KEYWORD_HEADERS),
    );
    let kosodate =
        headers.iter().any(|h| h == "faq_id") && headers.iter().any(|h| h == "category1");
    let mut rows = Vec::new();
    for (number, (line, record)) in records.into_iter().enumerate() {
        let field = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .map(|s| s.trim())
                .filter(|s| *s != "null")
                .unwrap_or("")
                .to_string()
        };
        let question = field(Some(question_column));
        let mut answer = field(Some(answer_column));
        if question.is_empty() && answer.is_empty() {
            continue;
        }
        if question.is_empty() || answer.is_empty() {
            return Err(ImportError::Row {
                line,
                message: "a row needs both a question and an answer".into(),
            });
        }
        let url = field(url_column);
        if !url.is_empty() {
            answer.push_str(&format!("\n詳しくは: {url}"));
        }
        let id = Some(field(id_column))
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| (number + 1).to_string());
        rows.push(Row {
            id,
            question,
            answer,
            category: Some(field(category_column)).filter(|c| !c.is_empty()),
            keywords: keywords_of(&field(keyword_column)),
        });
    }
    Ok(Read { rows, kosodate })
}

#[derive(Serialize)]
struct TopicOut {
    category: String,
    department: String,
    entries: Vec<EntryOut>,
}

#[derive(Serialize)]
struct EntryOut {
    id: String,
    question: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<String>,
    answer: String,
}

/// The keywords of a cell holding one per line ("null" is none).
fn keywords_of(cell: &str) -> Vec<String> {
    cell.lines()
        .map(str::trim)
        .filter(|k| !k.is_empty() && *k != "null")
        .map(String::from)
        .collect()
}

/// Groups rows by category into topic files answered by `department`,
/// placeholders filled from `city`. Rows without a category go to
/// `default_category`; entry ids are `<prefix>-<source id>`.
pub fn topics(
    read: &Read,
    department: &str,
    default_category: &str,
    city: &CityProfile,
) -> Result<Vec<ImportedTopic>, ImportError> {
    let prefix = if read.kosodate {
        "kosodate"
    } else {
        "imported"
    };
    let mut by_category: BTreeMap<String, Vec<EntryOut>> = BTreeMap::new();
    for row in &read.rows {
        let id_part: String = row
            .id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let category = row
            .category
            .clone()
            .unwrap_or_else(|| default_category.to_string());
        by_category.entry(category).or_default().push(EntryOut {
            id: format!("{prefix}-{id_part}"),
            question: city.fill(&row.question),
            keywords: row.keywords.clone(),
            answer: city.fill(&row.answer),
        });
    }
    by_category
        .into_iter()
        .map(|(category, entries)| {
            let count = entries.len();
            let topic = TopicOut {
                category: category.clone(),
                department: department.to_string(),
                entries,
            };
            let body = serde_yaml::to_string(&topic).map_err(|err| ImportError::Row {
                line: 0,
                message: err.to_string(),
            })?;
            let yaml = if read.kosodate {
                format!("# {KOSODATE_ATTRIBUTION}\n{body}")
            } else {
                body
            };
            Ok(ImportedTopic {
                category,
                yaml,
                entries: count,
            })
        })
        .collect()
}

/// The catalogues a new content directory needs besides its topic files:
/// one department (from the city profile where given), an inquiry page,
/// and the bot's wording. Then `check` and `serve` take the directory as
/// it is.
pub fn skeleton(department: &str, city: &CityProfile) -> Vec<(&'static str, String)> {
    let name = city.department.clone().unwrap_or_else(|| "担当課".into());
    let phone = city.phone.clone().unwrap_or_else(|| "（電話番号）".into());
    let hours = city
        .hours
        .clone()
        .unwrap_or_else(|| "平日 8:30〜17:15".into());
    let url = city
        .url
        .clone()
        .unwrap_or_else(|| "https://www.example.jp/".into());
    let quote = |text: &str| serde_json::to_string(text).expect("a string");
    vec![
        (
            super::DEPARTMENTS_FILE,
            format!(
                "# 担当課の一覧。取り込んだ回答の担当課です。名前・電話・受付時間を確かめてください。\ndepartments:\n  - id: {department}\n    name: {}\n    phone: {}\n    hours: {}\n",
                quote(&name),
                quote(&phone),
                quote(&hours)
            ),
        ),
        (
            super::PROCEDURES_FILE,
            format!(
                "# 手続きの一覧。\nprocedures:\n  - id: inquiry-form\n    name: お問い合わせ\n    kind: 窓口\n    url: {}\n",
                quote(&url)
            ),
        ),
        (
            super::RULES_FILE,
            format!(
                "# ボットの定型文です（faq/README.md を参照）。\nchoices_prompt: ご質問に近いものを選んでください。\nmenu_prompt: 知りたいことの分類を選んでください。\nfallback:\n  message: |\n    申し訳ありません。ご質問にお答えできる情報が見つかりませんでした。\n    ことばを変えてもう一度お試しいただくか、下の問い合わせ先へご連絡ください。\n  department: {department}\n  inquiry_form: inquiry-form\nrules:\n  - id: menu\n    says: [\"\", メニュー, 最初から]\n    reply: 分類を選ぶか、知りたいことを文章で入力してください。\n    action: menu\n"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::model::TopicFile;

    const CSV: &str = "\u{feff}全国地方公共団体コード,ID,地方公共団体名,分類,質問,回答,URL\n\
        212334,Q-001,海津市,証明,住民票はどこで取れますか,市民課で取れます。,https://example.jp/a\n\
        212334,Q-002,海津市,税,\"納付書を\nなくした\",\"再発行します。\",\n";

    #[test]
    fn rows_are_grouped_by_category_into_valid_topic_files() {
        let read = read_csv(CSV.as_bytes()).unwrap();
        let topics = topics(&read, "somu", "その他", &CityProfile::default()).unwrap();
        assert_eq!(topics.len(), 2);
        let first: TopicFile = serde_yaml::from_str(&topics[0].yaml).unwrap();
        assert_eq!(first.category, "税");
        assert_eq!(first.entries[0].id, "imported-q-002");
        assert_eq!(first.entries[0].question, "納付書を\nなくした");
        let second: TopicFile = serde_yaml::from_str(&topics[1].yaml).unwrap();
        assert!(
            second.entries[0]
                .answer
                .ends_with("詳しくは: https://example.jp/a")
        );
        assert_eq!(second.department.as_deref(), Some("somu"));
    }

    #[test]
    fn shift_jis_as_excel_saves_it_is_read() {
        let (bytes, _, unmappable) =
            encoding_rs::SHIFT_JIS.encode(CSV.trim_start_matches('\u{feff}'));
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        let read = read_csv(&bytes).unwrap();
        assert_eq!(read.rows[0].question, "住民票はどこで取れますか");
        assert!(!read.kosodate);
    }

    #[test]
    fn a_missing_answer_column_is_named() {
        let err = read_csv("ID,質問\n1,x\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("answer"), "{err}");
    }

    #[test]
    fn the_kosodate_layout_keeps_its_ids_categories_and_attribution() {
        let json = r#"[{"faq_id": 12, "question": "○○市の児童手当は？", "answer": "（電話番号）へ。\n▼詳しくはこちら\n（自治体HP内関連ページのURL）", "category1": "子どもの手当・助成", "category2": "手当", "service_name": "null"}]"#;
        let read = read_kosodate_json(json.as_bytes()).unwrap();
        let city = CityProfile {
            name: Some("海津市".into()),
            phone: Some("0584-53-1111".into()),
            ..CityProfile::default()
        };
        let topics = topics(&read, "kosodate", "その他", &city).unwrap();
        assert!(
            topics[0]
                .yaml
                .starts_with(&format!("# {KOSODATE_ATTRIBUTION}\n"))
        );
        let topic: TopicFile = serde_yaml::from_str(&topics[0].yaml).unwrap();
        assert_eq!(topic.category, "子どもの手当・助成");
        let entry = &topic.entries[0];
        assert_eq!(entry.id, "kosodate-12");
        assert_eq!(entry.question, "海津市の児童手当は？");
        assert!(entry.answer.starts_with("0584-53-1111へ。"));
        // The page URL was not in the profile: left, and found.
        let left: Vec<&str> = placeholders(&entry.answer)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        assert_eq!(left, ["（自治体HP内関連ページのURL）"]);
    }

    #[test]
    fn service_names_become_keywords() {
        let json = r#"[{"faq_id": 7, "question": "申請方法は？", "answer": "窓口へ。", "category1": "手当", "service_name": "児童手当\n特例給付"},
                       {"faq_id": 8, "question": "いつ届く？", "answer": "毎月。", "category1": "手当", "service_name": "null"}]"#;
        let read = read_kosodate_json(json.as_bytes()).unwrap();
        let topics = topics(&read, "kosodate", "その他", &CityProfile::default()).unwrap();
        let topic: TopicFile = serde_yaml::from_str(&topics[0].yaml).unwrap();
        assert_eq!(topic.entries[0].keywords, ["児童手当", "特例給付"]);
        assert!(topic.entries[1].keywords.is_empty());
        assert!(
            !topics[0].yaml.contains("keywords: []"),
            "{}",
            topics[0].yaml
        );

        let csv = "faq_id,question,answer,category1,service_name\n9,いつ？,毎月。,手当,\"保育所\n保育園\"\n";
        let read = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(read.rows[0].keywords, ["保育所", "保育園"]);
    }

    #[test]
    fn placeholders_are_the_templates_markers_only() {
        let found: Vec<&str> =
            placeholders("●●県と○○の（開庁時間）に、AAA保健相談所へ（簡易書留）で")
                .into_iter()
                .map(|(_, p)| p)
                .collect();
        assert_eq!(found, ["●●", "○○", "（開庁時間）", "AAA保健相談所"]);
    }
}
