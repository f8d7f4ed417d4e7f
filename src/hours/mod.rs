//! When the city's counters are open: each department's weekly hours, and
//! the days the city is closed (weekends unless a department opens then,
//! national holidays from a shipped table, 年末年始 12/29–1/3, and the
//! city's own closed days). Japan time, UTC+9 all year.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::i18n::{Lang, fill};
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::Offset;
use jiff::{Timestamp, ToSpan};

/// The national holidays, from the Cabinet Office's table.
const HOLIDAYS: &str = include_str!("holidays.tsv");

/// Japan Standard Time: no daylight saving, so a fixed offset needs no
/// time zone database.
pub const JAPAN: Offset = Offset::constant(9);

static HOLIDAY_DATES: LazyLock<BTreeSet<Date>> = LazyLock::new(|| {
    HOLIDAYS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split('\t').next()?.parse().ok())
        .collect()
});

/// The instant office hours are judged at: the system's clock, or a fixed
/// instant (tests, and trying out the evening service during the day).
#[derive(Clone)]
pub struct Clock(std::sync::Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(std::sync::Arc::new(Timestamp::now))
    }

    /// Always `at`.
    pub fn fixed(at: Timestamp) -> Clock {
        Clock(std::sync::Arc::new(move || at))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The last day the holiday table covers; `check` warns before it ends.
pub fn holidays_known_until() -> Option<Date> {
    HOLIDAY_DATES
        .last()
        .map(|last| Date::new(last.year(), 12, 31).unwrap_or(*last))
}

/// A department's opening hours for each day of the week, Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Weekly {
    days: [Option<(Time, Time)>; 7],
}

/// The days of the week as written in `departments.yaml`.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekly {
    /// Reads `08:30-17:15` (or `closed`) for each named day; `weekdays`
    /// sets Monday to Friday at once, and a named day overrides it.
    pub fn parse(weekdays: Option<&str>, days: &[(&str, &str)]) -> Result<Weekly, String> {
        let mut weekly = Weekly::default();
        if let Some(spec) = weekdays {
            let hours = parse_range(spec)?;
            weekly.days[..5].fill(hours);
        }
        for (name, spec) in days {
            let index = DAY_NAMES
                .iter()
                .position(|d| d == name)
                .ok_or_else(|| format!("`{name}` is not a day: use {}", DAY_NAMES.join(", ")))?;
            weekly.days[index] = parse_range(spec)?;
        }
        Ok(weekly)
    }

    fn on(&self, weekday: Weekday) -> Option<(Time, Time)> {
        self.days[weekday.to_monday_zero_offset() as usize]
    }
}

/// `08:30-17:15` → the two times; `closed` → none.
fn parse_range(spec: &str) -> Result<Option<(Time, Time)>, String> {
    let spec = spec.trim();
    if spec == "closed" || spec == "休み" {
        return Ok(None);
    }
    let bad = || format!("`{spec}` is not opening hours: write them as 08:30-17:15, or closed");
    let (from, to) = spec.split_once(['-', '〜', '~']).ok_or_else(bad)?;
    let time = |t: &str| -> Result<Time, String> {
        let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
        let (h, m) = (
            h.parse::<i8>().map_err(|_| bad())?,
            m.parse::<i8>().map_err(|_| bad())?,
        );
        Time::new(h, m, 0, 0).map_err(|_| bad())
    };
    let (from, to) = (time(from)?, time(to)?);
    if from >= to {
        return Err(format!("`{spec}`: the counter must open before it closes"));
    }
    Ok(Some((from, to)))
}

/// The days the whole city is closed, besides weekends and holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// 年末年始 (12/29–1/3) closed, as most cities are.
    pub year_end: bool,
    /// Extra days, e.g. a closure for a system change.
    pub closed: BTreeSet<Date>,
}

impl Calendar {
    /// Whether the city is closed all day on `day` (weekends aside).
    pub fn closed_on(&self, day: Date) -> bool {
        let year_end =
            (day.month() == 12 && day.day() >= 29) || (day.month() == 1 && day.day() <= 3);
        (self.year_end && year_end) || HOLIDAY_DATES.contains(&day) || self.closed.contains(&day)
    }
}

/// Whether a counter is open at an instant, or when it opens next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    /// Closed; opens next at this time (Japan), if within two months.
    Closed(Option<DateTime>),
}

/// The status of a counter with `weekly` hours at `at`.
pub fn status(weekly: &Weekly, calendar: &Calendar, at: Timestamp) -> Status {
    let now = JAPAN.to_datetime(at);
    let mut day = now.date();
    for _ in 0..62 {
        if let Some((open, close)) = weekly
            .on(day.weekday())
            .filter(|_| !calendar.closed_on(day))
        {
            let (opens, closes) = (day.to_datetime(open), day.to_datetime(close));
            if day == now.date() && opens <= now && now < closes {
                return Status::Open;
            }
            if now < opens {
                return Status::Closed(Some(opens));
            }
        }
        day = match day.checked_add(1.day()) {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    Status::Closed(None)
}

/// 「現在は閉庁時間です。次は12月3日(木) 8:30 から」, in `lang`.
pub fn closed_notice(next: Option<DateTime>, lang: Lang) -> String {
    let texts = lang.bot();
    match next {
        Some(next) => fill(
            texts.closed_until,
            &[(
                "date",
                &lang.date(
                    next.month(),
                    next.day(),
                    next.weekday().to_monday_zero_offset() as usize,
                    next.hour(),
                    next.minute(),
                ),
            )],
        ),
        None => texts.closed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant given in Japan time.
    fn at(text: &str) -> Timestamp {
        JAPAN
            .to_timestamp(text.parse::<DateTime>().unwrap())
            .unwrap()
    }

    fn city_hall() -> Weekly {
        Weekly::parse(Some("08:30-17:15"), &[("wed", "08:30-19:00")]).unwrap()
    }

    fn calendar() -> Calendar {
        Calendar {
            year_end: true,
            closed: BTreeSet::new(),
        }
    }

    #[test]
    fn open_in_hours_and_closed_with_the_next_opening_otherwise() {
        let hall = city_hall();
        // 2026-12-02 is a Wednesday: open late.
        assert_eq!(
            status(&hall, &calendar(), at("2026-12-02T18:30")),
            Status::Open
        );
        let after = status(&hall, &calendar(), at("2026-12-02T19:05"));
        assert_eq!(
            after,
            Status::Closed(Some("2026-12-03T08:30".parse().unwrap()))
        );
        let Status::Closed(next) = after else {
            panic!()
        };
        assert_eq!(
            closed_notice(next, Lang::Ja),
            "現在は閉庁時間です。次は12月3日(木) 8:30 から"
        );
        assert_eq!(
            closed_notice(next, Lang::En),
            "The office is closed now. It opens Thu 3 Dec, 8:30."
        );
        // Early in the morning, the same day.
        assert_eq!(
            status(&hall, &calendar(), at("2026-12-03T07:00")),
            Status::Closed(Some("2026-12-03T08:30".parse().unwrap()))
        );
        // Friday evening: Monday.
        assert_eq!(
            status(&hall, &calendar(), at("2026-12-04T17:15")),
            Status::Closed(Some("2026-12-07T08:30".parse().unwrap()))
        );
    }

    #[test]
    fn holidays_year_end_and_extra_days_are_closed() {
        let hall = city_hall();
        // 2026-11-23 (Mon) 勤労感謝の日.
        assert_eq!(
            status(&hall, &calendar(), at("2026-11-23T10:00")),
            Status::Closed(Some("2026-11-24T08:30".parse().unwrap()))
        );
        // 年末年始: from 12/28 evening to 1/4 (Mon) 2027.
        let Status::Closed(next) = status(&hall, &calendar(), at("2026-12-28T18:00")) else {
            panic!("closed")
        };
        assert_eq!(
            closed_notice(next, Lang::Ja),
            "現在は閉庁時間です。次は1月4日(月) 8:30 から"
        );
        // Golden week 2027: 5/3–5/5, then Thursday.
        assert_eq!(
            status(&hall, &calendar(), at("2027-05-02T12:00")),
            Status::Closed(Some("2027-05-06T08:30".parse().unwrap()))
        );
        let mut extra = calendar();
        extra.closed.insert("2026-12-03".parse().unwrap());
        assert_eq!(
            status(&hall, &extra, at("2026-12-02T20:00")),
            Status::Closed(Some("2026-12-04T08:30".parse().unwrap()))
        );
    }

    #[test]
    fn weekend_counters_and_bad_hours() {
        let weekend = Weekly::parse(None, &[("sat", "09:00-12:00")]).unwrap();
        assert_eq!(
            status(&weekend, &calendar(), at("2026-12-02T10:00")),
            Status::Closed(Some("2026-12-05T09:00".parse().unwrap()))
        );
        assert_eq!(
            status(&Weekly::default(), &calendar(), at("2026-12-02T10:00")),
            Status::Closed(None)
        );
        assert!(
            Weekly::parse(Some("8:30"), &[])
                .unwrap_err()
                .contains("08:30-17:15")
        );
        assert!(Weekly::parse(Some("17:00-08:00"), &[]).is_err());
        assert!(
            Weekly::parse(None, &[("monday", "closed")])
                .unwrap_err()
                .contains("mon, tue")
        );
        assert!(holidays_known_until().unwrap() >= "2027-12-31".parse().unwrap());
    }
}
