//! The shapes of the YAML files staff write under `faq/`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A topic file: one category of questions and their answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicFile {
    /// Shown in menus, e.g. 「マイナンバーカード」.
    pub category: String,
    /// The department answering for every entry that names none itself.
    #[serde(default)]
    pub department: Option<String>,
    /// Every entry of the file is about disasters (see [`Entry::disaster`]).
    #[serde(default)]
    pub disaster: bool,
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// One question and its answer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable identifier, used in links, logs and tests; never reuse one.
    pub id: String,
    /// The question as a resident would ask it.
    pub question: String,
    /// Other ways residents ask the same thing.
    #[serde(default)]
    pub phrasings: Vec<String>,
    /// Words that should find this entry even if the question lacks them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The answer, short enough to read on a phone.
    pub answer: String,
    /// The answer in やさしい日本語 (short sentences, few kanji, plain
    /// forms), for residents who ask for it.
    #[serde(default)]
    pub easy: Option<String>,
    /// The answer in other languages (`en`, `pt`, `zh`, `vi`, `tl`).
    #[serde(default)]
    pub answers: std::collections::BTreeMap<crate::i18n::Lang, String>,
    /// How residents ask in other languages; the first is shown as the
    /// question.
    #[serde(default)]
    pub phrasings_by_language: std::collections::BTreeMap<crate::i18n::Lang, Vec<String>>,
    /// Overrides the file's category.
    #[serde(default)]
    pub category: Option<String>,
    /// Id from `departments.yaml`; overrides the file's department.
    #[serde(default)]
    pub department: Option<String>,
    /// Ids from `procedures.yaml`, shown as links under the answer.
    #[serde(default)]
    pub procedures: Vec<String>,
    /// Ids of other entries offered under the answer as 「関連する質問」.
    #[serde(default)]
    pub related: Vec<String>,
    /// First day the answer is shown (`2026-04-01`).
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// Last day the answer is shown.
    #[serde(default)]
    pub valid_until: Option<Date>,
    /// When the owning department last checked the answer is still right;
    /// it is due again `review_months` (rules.yaml) later.
    #[serde(default)]
    pub reviewed: Option<Date>,
    /// About disasters (shelters, damage certificates): ranked first among
    /// close candidates while disaster mode is on.
    #[serde(default)]
    pub disaster: bool,
    /// Where the entry is written, filled in when loading.
    #[serde(skip)]
    pub source: SourceLocation,
}

impl Entry {
    /// Whether the entry is to be shown on `today`.
    /// When the entry is due for review again, `months` after `reviewed:`.
    pub fn review_due(&self, months: u32) -> Option<Date> {
        self.reviewed
            .filter(|_| months > 0)
            .map(|reviewed| reviewed.plus_months(months))
    }

    pub fn is_valid_on(&self, today: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= today)
            && self.valid_until.is_none_or(|until| today <= until)
    }
}

/// A file and line in the content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: usize,
}

/// `procedures.yaml`: every procedure once, referred to by id.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureFile {
    #[serde(default)]
    pub procedures: Vec<Procedure>,
}

/// An online or counter procedure a resident can act on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub id: String,
    pub name: String,
    /// The name in other languages.
    #[serde(default)]
    pub names: std::collections::BTreeMap<crate::i18n::Lang, String>,
    pub kind: ProcedureKind,
    /// Where to apply online, or the page describing the counter.
    #[serde(default)]
    pub url: Option<String>,
    /// What to bring or have ready.
    #[serde(default)]
    pub bring: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Where a procedure is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum ProcedureKind {
    #[serde(rename = "マイナポータル")]
    Mynaportal,
    #[serde(rename = "LoGoフォーム")]
    LogoForm,
    #[serde(rename = "コンビニ交付")]
    ConvenienceStore,
    #[serde(rename = "窓口")]
    Counter,
}

impl ProcedureKind {
    /// Online kinds must have a URL.
    pub fn is_online(self) -> bool {
        matches!(self, ProcedureKind::Mynaportal | ProcedureKind::LogoForm)
    }

    pub fn label(self) -> &'static str {
        match self {
            ProcedureKind::Mynaportal => "マイナポータル",
            ProcedureKind::LogoForm => "LoGoフォーム",
            ProcedureKind::ConvenienceStore => "コンビニ交付",
            ProcedureKind::Counter => "窓口",
        }
    }
}

/// `departments.yaml`: who answers, and how to reach them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentFile {
    #[serde(default)]
    pub departments: Vec<Department>,
}

/// A department (担当課) and its contact details.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: String,
    pub name: String,
    /// The name in other languages.
    #[serde(default)]
    pub names: std::collections::BTreeMap<crate::i18n::Lang, String>,
    pub phone: String,
    /// Office hours, e.g. 「平日 8:30〜17:15」.
    pub hours: String,
    /// Where the counter is.
    #[serde(default)]
    pub place: Option<String>,
    /// When the counter is open, for 「現在は閉庁時間です…」; absent, the
    /// bot says nothing of it.
    #[serde(default)]
    pub opening: Option<Opening>,
}

impl Department {
    /// The department's name in `lang`, where the content gives one, else
    /// its Japanese name.
    pub fn name_in(&self, lang: crate::i18n::Lang) -> &str {
        self.names.get(&lang).unwrap_or(&self.name)
    }
}

/// A counter's weekly hours, as `08:30-17:15` or `closed`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// Monday to Friday at once.
    #[serde(default)]
    pub weekdays: Option<String>,
    #[serde(default)]
    pub mon: Option<String>,
    #[serde(default)]
    pub tue: Option<String>,
    #[serde(default)]
    pub wed: Option<String>,
    #[serde(default)]
    pub thu: Option<String>,
    #[serde(default)]
    pub fri: Option<String>,
    #[serde(default)]
    pub sat: Option<String>,
    #[serde(default)]
    pub sun: Option<String>,
}

impl Opening {
    /// The hours, checked.
    pub fn weekly(&self) -> Result<crate::hours::Weekly, String> {
        let days: Vec<(&str, &str)> = crate::hours::DAY_NAMES
            .iter()
            .zip([
                &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
            ])
            .filter_map(|(name, spec)| Some((*name, spec.as_deref()?)))
            .collect();
        crate::hours::Weekly::parse(self.weekdays.as_deref(), &days)
    }
}

/// `rules.yaml`: what the bot says outside the Q&A, and the rules that win
/// over search.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// Said when a question matches several entries equally well.
    pub choices_prompt: String,
    /// Said when a category menu is shown.
    pub menu_prompt: String,
    pub fallback: Fallback,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Words that point back to the previous answer (「それ」「その手続き」):
    /// a message with one is searched together with that answer's question.
    #[serde(default = "default_context_words")]
    pub context_words: Vec<String>,
    /// Said after 「役に立たなかった」, over the next candidates.
    #[serde(default = "default_unhelpful_prompt")]
    pub unhelpful_prompt: String,
    /// Months after an entry's `reviewed:` date when it is due for review
    /// again (the city's period; 0 turns review dates off).
    #[serde(default = "default_review_months")]
    pub review_months: u32,
    /// The city is closed 12/29–1/3 (年末年始).
    #[serde(default = "default_year_end_closure")]
    pub year_end_closure: bool,
    /// Other days the whole city is closed, besides weekends and national
    /// holidays.
    #[serde(default)]
    pub closed_days: Vec<Date>,
    /// The entry that answers a resident who shares a location (LINE's
    /// location message): where the shelters are, say.
    #[serde(default)]
    pub location_answer: Option<String>,
}

impl RulesFile {
    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

fn default_year_end_closure() -> bool {
    true
}

fn default_review_months() -> u32 {
    12
}

fn default_unhelpful_prompt() -> String {
    "お役に立てず申し訳ありません。こちらの中に知りたいことはありますか？".into()
}

fn default_context_words() -> Vec<String> {
    [
        "それ",
        "これ",
        "あれ",
        "その",
        "この",
        "そちら",
        "こちら",
        "そこ",
    ]
    .map(String::from)
    .to_vec()
}

/// What the bot does when no entry matches.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    pub message: String,
    /// The department residents are referred to.
    pub department: String,
    /// The city's inquiry form (a procedure id).
    pub inquiry_form: String,
}

/// A rule that answers certain messages before any search.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// Fires when the whole message is one of these (after normalisation,
    /// ignoring trailing punctuation).
    #[serde(default)]
    pub says: Vec<String>,
    /// Fires when the message contains one of these.
    #[serde(default)]
    pub contains: Vec<String>,
    pub reply: String,
    /// The reply in other languages.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub replies: std::collections::BTreeMap<crate::i18n::Lang, String>,
    #[serde(default)]
    pub action: RuleAction,
}

/// What a rule does besides replying.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// Only the reply.
    #[default]
    Reply,
    /// The reply plus the contact and inquiry form of the fallback.
    Escalate,
    /// The reply plus the categories as choices.
    Menu,
}

/// A calendar date, as staff write it: `2026-04-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The same day `months` later (the month's last day where it is
    /// shorter).
    pub fn plus_months(&self, months: u32) -> Date {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let (year, month) = (index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1);
        let next_month = if month == 12 {
            Date {
                year: year + 1,
                month: 1,
                day: 1,
            }
        } else {
            Date {
                year,
                month: month + 1,
                day: 1,
            }
        };
        let last_day = Date::from_days_since_epoch(next_month.days_since_epoch() - 1).day;
        Date {
            year,
            month,
            day: self.day.min(last_day),
        }
    }

    /// Today in Japan (UTC+9), where the city is.
    pub fn today_in_japan() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Date::from_days_since_epoch((seconds + 9 * 3600).div_euclid(86_400))
    }

    /// Days from 1970-01-01 to this date (the inverse of
    /// [`Date::from_days_since_epoch`]).
    pub fn days_since_epoch(&self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let yoe = year - era * 400;
        let month = i64::from(self.month);
        let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The Unix time at which this day starts in Japan.
    pub fn start_in_japan(&self) -> i64 {
        self.days_since_epoch() * 86_400 - 9 * 3600
    }

    /// The civil date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Date, String> {
        let invalid = || format!("`{s}` is not a date; write it as YYYY-MM-DD, e.g. 2026-04-01");
        let mut parts = s.trim().splitn(3, '-');
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
        let (Some(year), Some(month), Some(day)) = (next(), next(), next()) else {
            return Err(invalid());
        };
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return Err(invalid()),
        };
        if !(1..=days_in_month).contains(&day) || !(1900..=9999).contains(&year) {
            return Err(invalid());
        }
        Ok(Date {
            year: year as i32,
            month,
            day,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_order() {
        let a: Date = "2026-04-01".parse().unwrap();
        let b: Date = "2026-12-31".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "2026-04-01");
        assert!("2026-02-30".parse::<Date>().is_err());
        assert!("令和8年4月1日".parse::<Date>().is_err());
    }

    #[test]
    fn civil_dates_convert_to_days_and_back() {
        for days in [-1, 0, 59, 60, 10_956, 20_513, 2_932_896] {
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days, "{date}");
        }
        let new_year: Date = "2026-01-01".parse().unwrap();
        assert_eq!(new_year.start_in_japan(), 1_767_193_200);
    }

    #[test]
    fn days_since_epoch_convert_to_civil_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_513).to_string(),
            "2026-03-01"
        );
    }

    #[test]
    fn months_are_added_to_the_same_day_or_the_months_last() {
        let date = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(date("2026-01-31").plus_months(1), date("2026-02-28"));
        assert_eq!(date("2028-01-31").plus_months(1), date("2028-02-29"));
        assert_eq!(date("2026-12-02").plus_months(1), date("2027-01-02"));
        assert_eq!(date("2026-04-01").plus_months(12), date("2027-04-01"));
        assert_eq!(date("2026-04-01").plus_months(0), date("2026-04-01"));
    }
}
