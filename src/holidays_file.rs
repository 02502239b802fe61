//! Holiday calendar files: the CSV of `data/holidays.csv` and the JSON of the npm
//! package `chinese-days`, read into notice years.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::calendar::{CalendarDay, DayKind, check_notice};

/// How the `source` of a loaded year starts when a city administrator entered it on
/// `/admin/calendar` (then the username in brackets)…
pub const FROM_PAGE: &str = "/admin/calendar (";
/// …and when it was imported on the server (then the file's path).
pub const FROM_FILE: &str = "yizhan holidays import ";

/// The `source` of a year entered on `/admin/calendar` by `username`.
pub fn page_source(username: &str) -> String {
    format!("{FROM_PAGE}{username})")
}

/// The `source` of a year imported on the server from `path`.
pub fn file_source(path: &std::path::Path) -> String {
    format!("{FROM_FILE}{}", path.display())
}

/// Why a calendar file was refused; nothing of it is loaded then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
    #[error("not a calendar file: {0}")]
    Format(String),
    #[error("notice year {year}: {message}")]
    Year { year: i32, message: String },
}

/// Every notice year a file holds, checked, in year order.
pub fn parse(text: &str) -> Result<BTreeMap<i32, Vec<CalendarDay>>, FileError> {
    let text = text.trim_start_matches('\u{feff}');
    let days = if text.trim_start().starts_with('{') { from_chinese_days(text)? } else { from_csv(text)? };
    let mut years: BTreeMap<i32, Vec<CalendarDay>> = BTreeMap::new();
    for day in days {
        years.entry(day.notice_year).or_default().push(day);
    }
    if years.is_empty() {
        return Err(FileError::Format("no days".into()));
    }
    for (year, days) in &mut years {
        days.sort_by_key(|d| d.date);
        check_notice(*year, days).map_err(|e| FileError::Year { year: *year, message: e.to_string() })?;
    }
    Ok(years)
}

/// `date,kind,name` with an optional `notice_year` column (a December day of the next
/// year's notice; 元旦 in December is taken as the next year's without it).
fn from_csv(text: &str) -> Result<Vec<CalendarDay>, FileError> {
    #[derive(Deserialize)]
    struct Row {
        date: String,
        kind: String,
        name: String,
        #[serde(default)]
        notice_year: Option<i32>,
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut days = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        // Line 1 is the header.
        let line = i as u64 + 2;
        let bad = |message: String| FileError::Line { line, message };
        let row = row.map_err(|e| bad(e.to_string()))?;
        let date = NaiveDate::parse_from_str(&row.date, "%Y-%m-%d")
            .map_err(|_| bad(format!("{:?} is not a date (YYYY-MM-DD)", row.date)))?;
        let kind = DayKind::from_key(&row.kind, row.name.clone())
            .ok_or_else(|| bad(format!("kind {:?} is neither holiday nor workday", row.kind)))?;
        let mut day = CalendarDay::new(date, kind);
        if let Some(year) = row.notice_year {
            day.notice_year = year;
        }
        days.push(day);
    }
    Ok(days)
}

/// `dist/chinese-days.json`: `holidays` and `workdays` map dates to
/// "English,中文,days" (its `inLieuDays` are holidays already listed).
fn from_chinese_days(text: &str) -> Result<Vec<CalendarDay>, FileError> {
    #[derive(Deserialize)]
    struct File {
        holidays: BTreeMap<String, String>,
        workdays: BTreeMap<String, String>,
    }
    let file: File = serde_json::from_str(text).map_err(|e| FileError::Format(e.to_string()))?;
    let name = |raw: &str| {
        let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
        match parts.as_slice() {
            [_, zh, _] => zh.to_string(),
            _ => raw.trim().to_string(),
        }
    };
    let mut days = Vec::new();
    for (table, holiday) in [(&file.holidays, true), (&file.workdays, false)] {
        for (date, raw) in table {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| FileError::Format(format!("{date:?} is not a date")))?;
            let kind = if holiday { DayKind::Holiday(name(raw)) } else { DayKind::Workday(name(raw)) };
            days.push(CalendarDay::new(date, kind));
        }
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_by_notice_year() {
        let text = "date,kind,name\n2018-12-29,workday,元旦\n2018-12-30,holiday,元旦\n2018-12-31,holiday,元旦\n\
                    2019-01-01,holiday,元旦\n2019-02-02,workday,春节\n2019-02-04,holiday,春节\n";
        let years = parse(text).unwrap();
        assert_eq!(years.keys().copied().collect::<Vec<_>>(), vec![2019]);
        assert_eq!(years[&2019].len(), 6);
    }

    #[test]
    fn reads_the_chinese_days_json() {
        let text = r#"{"holidays": {"2027-01-01": "New Year's Day,元旦,1"},
                      "workdays": {"2027-01-03": "New Year's Day,元旦,1"},
                      "inLieuDays": {}}"#;
        let years = parse(text).unwrap();
        assert_eq!(years[&2027][0].kind, DayKind::Holiday("元旦".into()));
        assert_eq!(years[&2027][1].kind, DayKind::Workday("元旦".into()));
    }

    #[test]
    fn the_published_chinese_days_file_loads_every_year_it_holds() {
        // Trimmed from chinese-days 1.5.7's dist/chinese-days.json, 2015 included: its
        // one-off holiday has a name of 24 characters.
        let text = r#"{"holidays": {
            "2015-01-01": "New Year's Day,元旦,1",
            "2015-09-03": "70th Anniversary of the Victory of the Chinese People's War of Resistance against Japanese Aggression and the World Anti-Fascist War,中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日,1",
            "2015-09-04": "70th Anniversary of the Victory of the Chinese People's War of Resistance against Japanese Aggression and the World Anti-Fascist War,中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日,1",
            "2026-01-01": "New Year's Day,元旦,1"},
          "workdays": {"2015-09-06": "70th Anniversary of the Victory of the Chinese People's War of Resistance against Japanese Aggression and the World Anti-Fascist War,中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日,1"},
          "inLieuDays": {}}"#;
        let years = parse(text).unwrap();
        assert_eq!(years.keys().copied().collect::<Vec<_>>(), vec![2015, 2026]);
        let named = "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日";
        assert!(years[&2015].iter().any(|d| d.kind == DayKind::Holiday(named.into())), "{:?}", years[&2015]);
        assert!(years[&2015].iter().any(|d| d.kind == DayKind::Workday(named.into())));
    }

    #[test]
    fn refuses_bad_rows_with_their_line() {
        let e = parse("date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,元旦\n").unwrap_err();
        assert!(matches!(e, FileError::Line { line: 3, .. }), "{e}");
        let e = parse("date,kind,name\n2027-01-01,party,元旦\n").unwrap_err();
        assert!(matches!(e, FileError::Line { line: 2, .. }), "{e}");
        // Tuesday 5 January 2027 cannot be a make-up working day.
        let e = parse("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-05,workday,元旦\n").unwrap_err();
        assert!(matches!(e, FileError::Year { year: 2027, .. }), "{e}");
        assert!(parse("").is_err());
        assert!(parse("{\"holidays\": 3}").is_err());
    }
}
