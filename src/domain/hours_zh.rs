//! Opening hours written in Chinese, as union spreadsheets have them
//! ("周一至周五 9:00-17:30；节假日休息"), turned into OSM `opening_hours` for the import.
//!
//! It reads all-day words (24小时, 全天), clock times (8:00, 8点, 8点半, with 上午, 下午,
//! 晚上 and the like) joined by -, —, ~, 至 or 到, days of the week (周一至周五, 星期六、星期日,
//! 周六日, 周末, 每天, 工作日), days that are closed (周一闭馆) and what public holidays do
//! (节假日不休, 节假日休息). Full-width digits and punctuation count as their ASCII twins.
//! A text of which any part is not understood is refused with a reason, never guessed:
//! the import shows the original to a person instead.

use super::hours::Hours;

/// Why a text could not be read (the import quotes the original text beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZhHoursError {
    /// Nothing but whitespace.
    Empty,
    /// A word, number or order of parts that is not understood.
    Unreadable,
    /// Hours above 24, minutes above 59, or 24:00 as a start.
    BadTime,
    /// The text says both that public holidays are open and that they are closed.
    HolidayConflict,
}

impl ZhHoursError {
    /// A short key for the problem.
    pub fn key(&self) -> &'static str {
        match self {
            ZhHoursError::Empty => "empty",
            ZhHoursError::Unreadable => "unreadable",
            ZhHoursError::BadTime => "bad_time",
            ZhHoursError::HolidayConflict => "holiday_conflict",
        }
    }
}

/// What the holiday part of the text says, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayWord {
    /// 节假日不休, 节假日照常开放 …: no rule is written, the week covers holidays.
    Open,
    /// 节假日休息, 节假日闭站 …: `PH off` is written.
    Closed,
}

/// Hours read from a Chinese text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZhHours {
    /// OSM syntax accepted by [`Hours::parse`]; ends with `PH off` when holidays are closed.
    pub opening_hours: String,
    /// What the text says about public holidays; `None` when it says nothing.
    pub holidays: Option<HolidayWord>,
}

use ZhHoursError::{BadTime, Unreadable};

/// A run of weekdays, first and last (Monday 0); one day when they are equal.
type DayRun = (usize, usize);

/// OSM names of the days, Monday first.
const DAY_NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
/// Words before a day name (周一, 星期一, 礼拜一).
const DAY_PREFIXES: [&str; 3] = ["星期", "礼拜", "周"];
/// Words that name days without a day name, with those days (Monday 0).
const NAMED_DAYS: [(&[&str], &[DayRun]); 3] =
    [(&["每天", "每日", "天天"], &[(0, 6)]), (&["工作日"], &[(0, 4)]), (&["周末", "双休日"], &[(5, 5), (6, 6)])];
/// Words for a station open day and night.
const ALL_DAY: [&str; 4] = ["24小时", "全天候", "全天", "全日"];
/// Words after hours that only say they are open hours.
const OPEN: [&str; 2] = ["开放", "营业"];
/// Words after days that close them.
const CLOSED: [&str; 7] = ["不开放", "不营业", "休息", "闭站", "闭馆", "关闭", "休"];
/// Words that start the holiday part.
const HOLIDAY: [&str; 3] = ["法定节假日", "节假日", "节日"];
/// After a holiday word: what it says (除外 is "except").
const HOLIDAY_WORDS: [(HolidayWord, &[&str]); 2] = [
    (HolidayWord::Closed, &["不开放", "不营业", "休息", "闭站", "闭馆", "关闭", "除外", "休"]),
    (HolidayWord::Open, &["不休息", "不休", "无休", "照常开放", "正常开放", "照常营业", "照常", "开放"]),
];
/// Before an end time: the end is on the next day.
const NEXT_DAY: [&str; 2] = ["次日", "第二天"];
/// Full-width forms and their ASCII twins (digits are mapped apart).
const FULL_WIDTH: [(char, char); 8] =
    [('：', ':'), ('－', '-'), ('～', '~'), ('，', ','), ('；', ';'), ('（', '('), ('）', ')'), ('\u{3000}', ' ')];

/// A word before a time that names the part of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Dawn,
    Morning,
    Noon,
    Afternoon,
    Evening,
}

/// Period words, longer words before their prefixes.
const PERIODS: [(Period, &[&str]); 5] = [
    (Period::Dawn, &["凌晨"]),
    (Period::Morning, &["早上", "早晨", "上午", "早"]),
    (Period::Noon, &["中午"]),
    (Period::Afternoon, &["下午", "傍晚"]),
    (Period::Evening, &["晚上", "晚"]),
];

impl Period {
    /// The hour on the 24-hour clock (晚上12点 is 24), or `None` when the hour does not fit the word.
    fn hour(self, h: u32) -> Option<u32> {
        match (self, h) {
            (Period::Dawn, 0..=6) | (Period::Morning, 0..=12) | (Period::Noon, 11..=13) => Some(h),
            (Period::Noon, 1..=2) | (Period::Afternoon | Period::Evening, 1..=11) => Some(h + 12),
            (Period::Afternoon, 12..=23) | (Period::Evening, 13..=24) => Some(h),
            (Period::Evening, 12) => Some(24),
            _ => None,
        }
    }
}

/// A time as written: its period word, hour and minute.
#[derive(Debug, Clone, Copy)]
struct Point {
    period: Option<Period>,
    hour: u32,
    minute: u32,
}

/// What a rule says about the time of its days.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Times {
    /// Days were named, their hours not yet.
    Pending,
    AllDay,
    /// Periods in minutes from midnight; an end of 1440 is 24:00.
    Ranges(Vec<(u32, u32)>),
    Off,
}

/// Days (`None`: not named) and their times.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    days: Option<Vec<DayRun>>,
    times: Times,
}

/// Full-width digits and punctuation as ASCII, the ideographic space as a space.
fn normalise(raw: &str) -> Vec<char> {
    let ascii = |c: char| match c {
        '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0),
        _ => FULL_WIDTH.iter().find(|(wide, _)| *wide == c).map(|(_, narrow)| *narrow),
    };
    raw.chars().map(|c| ascii(c).unwrap_or(c)).collect()
}

/// Characters between parts of a text.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ';' | ',' | '、' | '。' | '(' | ')')
}

/// Dash-like characters between two times or two days.
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '—' | '–' | '―' | '~' | '〜')
}

/// The weekday index of a day character (一 … 六, 日 or 天).
fn day_index(c: char) -> Option<usize> {
    "一二三四五六日".chars().position(|d| d == c).or((c == '天').then_some(6))
}

/// A cursor over the normalised text.
struct Scanner {
    text: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos).copied()
    }

    /// Consumes `word` if the text continues with it.
    fn eat(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let hit = self.text.get(self.pos..self.pos + n).is_some_and(|s| s.iter().copied().eq(word.chars()));
        self.pos += if hit { n } else { 0 };
        hit
    }

    /// Consumes the first of `words` the text continues with.
    fn eat_any(&mut self, words: &[&str]) -> bool {
        words.iter().any(|w| self.eat(w))
    }

    fn skip_while(&mut self, keep: impl Fn(char) -> bool) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A range sign between two times or days, spaces around it: dashes, 至 or 到.
    fn eat_range_sign(&mut self) -> bool {
        self.skip_while(|c| c == ' ');
        let found = self.skip_while(is_dash) > 0 || self.eat_any(&["至", "到"]);
        self.skip_while(|c| c == ' ');
        found
    }

    /// ASCII digits as a number (too large reads as `u32::MAX`) and how many there were.
    fn number(&mut self) -> Option<(u32, usize)> {
        let start = self.pos;
        let count = self.skip_while(|c| c.is_ascii_digit());
        let digits: String = self.text[start..self.pos].iter().collect();
        (count > 0).then(|| (digits.parse().unwrap_or(u32::MAX), count))
    }

    /// One time: `8:00`, `8点`, `8点半`, `8点30分`, `8时`, with an optional period word before.
    fn point(&mut self) -> Result<Option<Point>, ZhHoursError> {
        let period = PERIODS.iter().find(|(_, words)| self.eat_any(words)).map(|(p, _)| *p);
        let Some((hour, _)) = self.number() else {
            return if period.is_some() { Err(Unreadable) } else { Ok(None) };
        };
        let minute = if self.eat(":") {
            self.number().filter(|&(_, count)| count == 2).ok_or(Unreadable)?.0
        } else if !self.eat_any(&["点", "时"]) {
            return Err(Unreadable);
        } else if self.eat("半") {
            30
        } else if let Some((m, _)) = self.number() {
            self.eat("分");
            m
        } else {
            0
        };
        if hour > 24 || minute > 59 || (hour == 24 && minute > 0) {
            return Err(BadTime);
        }
        Ok(Some(Point { period, hour, minute }))
    }

    /// A time range in minutes from midnight. An end without a period word of its own
    /// (and at most 12) is read with the start's one, and must then come after the start.
    fn range(&mut self) -> Result<Option<(u32, u32)>, ZhHoursError> {
        let Some(start) = self.point()? else { return Ok(None) };
        if !self.eat_range_sign() {
            return Err(Unreadable);
        }
        let next_day = self.eat_any(&NEXT_DAY);
        let end = self.point()?.ok_or(Unreadable)?;
        // Minutes from midnight of a point, its hour read with `period`.
        let minutes = |p: Point, period: Option<Period>| {
            period.map_or(Some(p.hour), |w| w.hour(p.hour)).map(|h| h * 60 + p.minute).ok_or(Unreadable)
        };
        let from = minutes(start, start.period)?;
        if from >= 1440 {
            return Err(BadTime);
        }
        let inherits = !next_day && end.period.is_none() && end.hour <= 12 && start.period.is_some();
        let to = match minutes(end, if inherits { start.period } else { end.period })? {
            0 => 1440,
            m if m > 1440 => m - 1440,
            m => m,
        };
        if to == from || (inherits && to < from) {
            return Err(Unreadable);
        }
        Ok(Some((from, to)))
    }

    /// A day character, with its prefix if `prefixed` (周一, 星期日).
    fn day(&mut self, prefixed: bool) -> Option<usize> {
        let save = self.pos;
        let day = if prefixed && !self.eat_any(&DAY_PREFIXES) { None } else { self.peek().and_then(day_index) };
        self.pos = if day.is_some() { self.pos + 1 } else { save };
        day
    }

    /// Named days: 每天, 工作日, 周末, or a list of days and day ranges
    /// (周一至周五, 周一至五, 周六、周日, 周六日).
    fn days(&mut self) -> Result<Option<Vec<DayRun>>, ZhHoursError> {
        if let Some((_, runs)) = NAMED_DAYS.iter().find(|(words, _)| self.eat_any(words)) {
            return Ok(Some(runs.to_vec()));
        }
        let Some(mut first) = self.day(true) else { return Ok(None) };
        let mut runs = Vec::new();
        loop {
            let last = if self.eat_range_sign() { self.day(true).or_else(|| self.day(false)) } else { Some(first) };
            runs.push((first, last.ok_or(Unreadable)?));
            let save = self.pos;
            self.eat_any(&["、", ",", "和", "及"]);
            match self.day(true).or_else(|| self.day(false)) {
                Some(day) => first = day,
                None => {
                    self.pos = save;
                    return Ok(Some(runs));
                }
            }
        }
    }

    /// 24小时, 全天, 全天24小时, 24小时开放 …
    fn all_day(&mut self) -> bool {
        let found = self.eat_any(&ALL_DAY);
        while found && (self.eat_any(&ALL_DAY) || self.eat_any(&OPEN)) {}
        found
    }

    /// 节假日 followed by what it does on them.
    fn holiday(&mut self) -> Result<Option<HolidayWord>, ZhHoursError> {
        if !self.eat_any(&HOLIDAY) {
            return Ok(None);
        }
        self.skip_while(|c| c == ' ' || c == ':');
        HOLIDAY_WORDS.iter().find(|(_, words)| self.eat_any(words)).map(|(word, _)| Some(*word)).ok_or(Unreadable)
    }
}

/// Adds `times` to the last rule if it names days still waiting for theirs,
/// otherwise starts a rule without days.
fn add_times(rules: &mut Vec<Rule>, times: Times) {
    match rules.last_mut() {
        Some(rule) if rule.times == Times::Pending => rule.times = times,
        _ => rules.push(Rule { days: None, times }),
    }
}

/// Reads the whole text into rules and the holiday word.
fn read(scanner: &mut Scanner) -> Result<(Vec<Rule>, Option<HolidayWord>), ZhHoursError> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut holidays = None;
    loop {
        scanner.skip_while(is_separator);
        if scanner.peek().is_none() {
            return Ok((rules, holidays));
        }
        let pending = rules.last().is_some_and(|r| r.times == Times::Pending);
        let timed = rules.last().is_some_and(|r| matches!(r.times, Times::AllDay | Times::Ranges(_)));
        if let Some(word) = scanner.holiday()? {
            if holidays.is_some_and(|h| h != word) {
                return Err(ZhHoursError::HolidayConflict);
            }
            holidays = Some(word);
        } else if let Some(days) = scanner.days()? {
            rules.push(Rule { days: Some(days), times: Times::Pending });
        } else if scanner.all_day() {
            add_times(&mut rules, Times::AllDay);
        } else if let Some(range) = scanner.range()? {
            match rules.last_mut() {
                Some(Rule { times: Times::Ranges(list), .. }) => list.push(range),
                _ => add_times(&mut rules, Times::Ranges(vec![range])),
            }
        } else if pending && scanner.eat_any(&CLOSED) {
            add_times(&mut rules, Times::Off);
        } else if timed && scanner.eat_any(&OPEN) {
            // "8:00-18:00开放": the word adds nothing.
        } else {
            return Err(Unreadable);
        }
    }
}

/// "Mo-Fr", "Sa,Su", "Mo-Fr,Su".
fn format_days(runs: &[DayRun]) -> String {
    let name = |d: usize| DAY_NAMES.get(d).copied().unwrap_or("Mo");
    let run = |&(a, b): &DayRun| if a == b { name(a).to_string() } else { format!("{}-{}", name(a), name(b)) };
    runs.iter().map(run).collect::<Vec<_>>().join(",")
}

/// One rule in OSM syntax; all day on every day is `24/7`.
fn format_rule(rule: &Rule) -> String {
    let times = match &rule.times {
        Times::AllDay if rule.days.as_deref().is_none_or(|d| d == [(0, 6)]) => return "24/7".to_string(),
        Times::AllDay => "00:00-24:00".to_string(),
        Times::Ranges(list) => {
            let range =
                |&(from, to): &(u32, u32)| format!("{:02}:{:02}-{:02}:{:02}", from / 60, from % 60, to / 60, to % 60);
            list.iter().map(range).collect::<Vec<_>>().join(",")
        }
        Times::Off | Times::Pending => "off".to_string(),
    };
    format!("{} {times}", rule.days.as_deref().map_or_else(|| "Mo-Su".to_string(), format_days))
}

/// The rules in OSM syntax. Refused: days without times, texts that only close, and
/// a rule without days that is not the first or is followed by open hours (which days
/// it means would be a guess; followed only by closed days, it means the other days).
fn render(rules: &[Rule]) -> Result<String, ZhHoursError> {
    if rules.iter().all(|r| r.times == Times::Off) || rules.iter().any(|r| r.times == Times::Pending) {
        return Err(Unreadable);
    }
    let daysless_beside_hours =
        rules.first().is_some_and(|r| r.days.is_none()) && rules.iter().skip(1).any(|r| r.times != Times::Off);
    if daysless_beside_hours || rules.iter().skip(1).any(|r| r.days.is_none()) {
        return Err(Unreadable);
    }
    Ok(rules.iter().map(format_rule).collect::<Vec<_>>().join("; "))
}

/// Reads opening hours written in Chinese. Whatever is not understood is refused.
pub fn parse_zh_hours(raw: &str) -> Result<ZhHours, ZhHoursError> {
    let text = normalise(raw);
    if text.iter().all(|c| c.is_whitespace()) {
        return Err(ZhHoursError::Empty);
    }
    let (rules, holidays) = read(&mut Scanner { text, pos: 0 })?;
    let mut opening_hours = render(&rules)?;
    if holidays == Some(HolidayWord::Closed) {
        opening_hours.push_str("; PH off");
    }
    // The project's own parser has the last word on what is valid.
    Hours::parse(&opening_hours).map_err(|_| Unreadable)?;
    Ok(ZhHours { opening_hours, holidays })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oh(raw: &str) -> String {
        match parse_zh_hours(raw) {
            Ok(out) => out.opening_hours,
            Err(e) => panic!("{raw:?} refused: {e:?}"),
        }
    }

    fn err(raw: &str) -> ZhHoursError {
        match parse_zh_hours(raw) {
            Ok(out) => panic!("{raw:?} read as {:?}", out.opening_hours),
            Err(e) => e,
        }
    }

    /// Every text this module accepts, with what it reads.
    const ACCEPTED: &[(&str, &str)] = &[
        ("24小时", "24/7"),
        ("24小时开放", "24/7"),
        ("全天", "24/7"),
        ("全天开放", "24/7"),
        ("全天24小时", "24/7"),
        ("每天24小时", "24/7"),
        ("周一至周五 24小时", "Mo-Fr 00:00-24:00"),
        ("8:00-18:00", "Mo-Su 08:00-18:00"),
        ("8:00—18:00", "Mo-Su 08:00-18:00"),
        ("8:00——18:00", "Mo-Su 08:00-18:00"),
        ("8:00~18:00", "Mo-Su 08:00-18:00"),
        ("8:00至18:00", "Mo-Su 08:00-18:00"),
        ("8:00到18:00", "Mo-Su 08:00-18:00"),
        ("8:00 - 18:00", "Mo-Su 08:00-18:00"),
        ("8点-18点", "Mo-Su 08:00-18:00"),
        ("8:30-17:30", "Mo-Su 08:30-17:30"),
        ("8点半-17点30分", "Mo-Su 08:30-17:30"),
        ("８：００－１８：００", "Mo-Su 08:00-18:00"),
        ("８：００～１８：００", "Mo-Su 08:00-18:00"),
        ("8:00-18:00开放", "Mo-Su 08:00-18:00"),
        ("周一至周五 9:00-17:30", "Mo-Fr 09:00-17:30"),
        ("星期一至星期五 9:00-17:30", "Mo-Fr 09:00-17:30"),
        ("周一到周五 9:00-17:30", "Mo-Fr 09:00-17:30"),
        ("周一-周五 9:00-17:30", "Mo-Fr 09:00-17:30"),
        ("周一至五9:00-17:30", "Mo-Fr 09:00-17:30"),
        ("周六、周日 9:00-12:00", "Sa,Su 09:00-12:00"),
        ("周六日 9:00-12:00", "Sa,Su 09:00-12:00"),
        ("周末 9:00-12:00", "Sa,Su 09:00-12:00"),
        ("周六至周日 9:00-12:00", "Sa-Su 09:00-12:00"),
        ("周一至周日 8:00-18:00", "Mo-Su 08:00-18:00"),
        ("每天 8:00-18:00", "Mo-Su 08:00-18:00"),
        ("每日8:00-18:00", "Mo-Su 08:00-18:00"),
        ("工作日 9:00-17:00", "Mo-Fr 09:00-17:00"),
        ("周日至周四 9:00-17:00", "Su-Th 09:00-17:00"),
        ("周一至周五、周日 9:00-17:00", "Mo-Fr,Su 09:00-17:00"),
        ("周一至周五 8:00-18:00；周六 9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
        ("周一至周五 8:00-18:00;周六 9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
        ("周一至周五 8:00-18:00，周六 9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
        ("周一至周五 8:00-18:00\n周六 9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
        ("周一至周五　8:00-18:00　周六　9:00-12:00", "Mo-Fr 08:00-18:00; Sa 09:00-12:00"),
        ("8:00-12:00,14:00-18:00", "Mo-Su 08:00-12:00,14:00-18:00"),
        ("8:00-12:00 14:00-18:00", "Mo-Su 08:00-12:00,14:00-18:00"),
        ("周一至周五 8:00-12:00，14:00-18:00", "Mo-Fr 08:00-12:00,14:00-18:00"),
        ("周一至周五 9:00-17:00，周末休息", "Mo-Fr 09:00-17:00; Sa,Su off"),
        ("每天 9:00-17:00，周一闭馆", "Mo-Su 09:00-17:00; Mo off"),
        ("8:00-18:00（周一闭馆）", "Mo-Su 08:00-18:00; Mo off"),
        ("全天开放，周一闭站", "24/7; Mo off"),
        ("上午8点到下午6点", "Mo-Su 08:00-18:00"),
        ("早8点至晚8点", "Mo-Su 08:00-20:00"),
        ("中午12点至晚上8点", "Mo-Su 12:00-20:00"),
        ("下午2点-5点", "Mo-Su 14:00-17:00"),
        ("上午9:00-12:00，下午14:00-17:00", "Mo-Su 09:00-12:00,14:00-17:00"),
        ("晚8点-12点", "Mo-Su 20:00-24:00"),
        ("8:00-24:00", "Mo-Su 08:00-24:00"),
        ("8:00-0:00", "Mo-Su 08:00-24:00"),
        ("20:00-8:00", "Mo-Su 20:00-08:00"),
        ("20:00至次日8:00", "Mo-Su 20:00-08:00"),
        ("晚8点至凌晨2点", "Mo-Su 20:00-02:00"),
        ("8:00-18:00 节假日不休", "Mo-Su 08:00-18:00"),
        ("8:00-18:00，节假日休息", "Mo-Su 08:00-18:00; PH off"),
        ("周一至周五 9:00-17:00（节假日除外）", "Mo-Fr 09:00-17:00; PH off"),
        ("24小时开放，节假日闭站", "24/7; PH off"),
    ];

    #[test]
    fn every_accepted_form_reads_as_expected() {
        for (raw, want) in ACCEPTED {
            assert_eq!(oh(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn every_output_is_accepted_by_the_project_parser() {
        for (raw, _) in ACCEPTED {
            let out = oh(raw);
            assert!(Hours::parse(&out).is_ok(), "{raw:?} → {out:?}");
        }
    }

    #[test]
    fn all_day_words() {
        for raw in ["24小时", "24小时开放", "全天", "全天开放", "全天24小时"] {
            assert_eq!(parse_zh_hours(raw), Ok(ZhHours { opening_hours: "24/7".into(), holidays: None }), "{raw}");
        }
    }

    #[test]
    fn plain_ranges_and_range_signs() {
        for raw in ["8:00-18:00", "8:00—18:00", "8:00~18:00", "8:00至18:00", "8:00到18:00", "8点-18点"] {
            assert_eq!(oh(raw), "Mo-Su 08:00-18:00", "{raw}");
        }
        assert_eq!(oh("8:30-17:30"), "Mo-Su 08:30-17:30");
    }

    #[test]
    fn days_of_the_week() {
        assert_eq!(oh("周一至周五 9:00-17:30"), "Mo-Fr 09:00-17:30");
        assert_eq!(oh("星期一至星期五 9:00-17:30"), "Mo-Fr 09:00-17:30");
        assert_eq!(oh("周一到周五 9:00-17:30"), "Mo-Fr 09:00-17:30");
        assert_eq!(oh("周一-周五 9:00-17:30"), "Mo-Fr 09:00-17:30");
        assert_eq!(oh("周六、周日 9:00-12:00"), "Sa,Su 09:00-12:00");
        assert_eq!(oh("周六日 9:00-12:00"), "Sa,Su 09:00-12:00");
        assert_eq!(oh("周末 9:00-12:00"), "Sa,Su 09:00-12:00");
        for raw in ["周一至周日 8:00-18:00", "每天 8:00-18:00", "每日 8:00-18:00"] {
            assert_eq!(oh(raw), "Mo-Su 08:00-18:00", "{raw}");
        }
    }

    #[test]
    fn several_parts_and_two_ranges_a_day() {
        assert_eq!(oh("周一至周五 8:00-18:00；周六 9:00-12:00"), "Mo-Fr 08:00-18:00; Sa 09:00-12:00");
        assert_eq!(oh("周一至周五 8:00-18:00\n周六 9:00-12:00"), "Mo-Fr 08:00-18:00; Sa 09:00-12:00");
        assert_eq!(oh("8:00-12:00,14:00-18:00"), "Mo-Su 08:00-12:00,14:00-18:00");
    }

    #[test]
    fn closed_days() {
        assert_eq!(oh("周一至周五 9:00-17:00，周末休息"), "Mo-Fr 09:00-17:00; Sa,Su off");
        assert_eq!(oh("8:00-18:00，周一闭馆"), "Mo-Su 08:00-18:00; Mo off");
        // Open hours without days beside other days: which days they mean is not said.
        assert_eq!(err("8:00-18:00；周六 9:00-12:00"), ZhHoursError::Unreadable);
    }

    #[test]
    fn working_days() {
        assert_eq!(oh("工作日 9:00-17:00"), "Mo-Fr 09:00-17:00");
    }

    #[test]
    fn holidays_open_add_no_rule() {
        for raw in ["8:00-18:00 节假日不休", "8:00-18:00，节假日照常开放", "8:00-18:00（节假日开放）"]
        {
            let out = parse_zh_hours(raw).unwrap();
            assert_eq!(out.opening_hours, "Mo-Su 08:00-18:00", "{raw}");
            assert_eq!(out.holidays, Some(HolidayWord::Open), "{raw}");
        }
        assert_eq!(parse_zh_hours("8:00-18:00").unwrap().holidays, None);
    }

    #[test]
    fn holidays_closed_add_ph_off() {
        for raw in ["工作日 9:00-17:00，节假日休息", "工作日 9:00-17:00 节假日不开放", "工作日 9:00-17:00；节假日闭站"]
        {
            let out = parse_zh_hours(raw).unwrap();
            assert_eq!(out.opening_hours, "Mo-Fr 09:00-17:00; PH off", "{raw}");
            assert_eq!(out.holidays, Some(HolidayWord::Closed), "{raw}");
        }
        assert_eq!(err("8:00-18:00，节假日开放，节假日休息"), ZhHoursError::HolidayConflict);
        assert_eq!(oh("8:00-18:00，节假日休息，节假日休息"), "Mo-Su 08:00-18:00; PH off");
    }

    #[test]
    fn full_width_forms_are_normalised() {
        assert_eq!(oh("８：００－１８：００"), "Mo-Su 08:00-18:00");
        assert_eq!(
            oh("周一至周五　９：００～１７：３０；周六　９：００－１２：００"),
            "Mo-Fr 09:00-17:30; Sa 09:00-12:00"
        );
        assert_eq!(oh("８：００－１８：００（节假日休息）"), "Mo-Su 08:00-18:00; PH off");
    }

    #[test]
    fn period_words() {
        assert_eq!(oh("上午8点到下午6点"), "Mo-Su 08:00-18:00");
        assert_eq!(oh("早8点至晚8点"), "Mo-Su 08:00-20:00");
        assert_eq!(oh("中午12点至下午5点"), "Mo-Su 12:00-17:00");
        assert_eq!(oh("8点半-下午5点半"), "Mo-Su 08:30-17:30");
        assert_eq!(oh("晚上11点-24:00"), "Mo-Su 23:00-24:00");
        // An end without its own word is read with the start's, and must then follow it.
        assert_eq!(oh("下午2点-5点"), "Mo-Su 14:00-17:00");
        assert_eq!(err("晚8点-2点"), ZhHoursError::Unreadable);
        assert_eq!(err("上午13点-18点"), ZhHoursError::Unreadable);
        assert_eq!(err("下午0点-5点"), ZhHoursError::Unreadable);
    }

    #[test]
    fn midnight_and_overnight() {
        assert_eq!(oh("8:00-24:00"), "Mo-Su 08:00-24:00");
        assert_eq!(oh("20:00-8:00"), "Mo-Su 20:00-08:00");
        assert_eq!(oh("晚8点至凌晨2点"), "Mo-Su 20:00-02:00");
        assert_eq!(err("24:00-8:00"), ZhHoursError::BadTime);
        assert_eq!(err("8:00-8:00"), ZhHoursError::Unreadable);
    }

    #[test]
    fn impossible_times() {
        for raw in ["8:00-25:00", "8:60-18:00", "24:30-18:00", "8点70分-18点", "8:00-24:01", "99999999999:00-18:00"]
        {
            assert_eq!(err(raw), ZhHoursError::BadTime, "{raw}");
        }
    }

    #[test]
    fn what_is_not_understood_is_refused() {
        for raw in [
            "看情况",
            "8:00-",
            "8:00",
            "周八 9:00-17:00",
            "周一至周八 9:00-17:00",
            "周一、周八 9:00-17:00",
            "9-17",
            "9:00-17",
            "暂停开放",
            "周一至周五",
            "节假日不休",
            "周末休息",
            "8:0-18:00",
            "八点-十八点",
            "上午-下午",
            "8:00-18:00；周六 9:00-12:00",
            "全天；周六 9:00-12:00",
            "周一闭馆，8:00-18:00",
            "开放时间：8:00-18:00",
            "8:00-18:00，周一闭馆，周六 9:00-12:00",
            "8:00-18:00 大约",
            "节假日看情况",
        ] {
            assert_eq!(err(raw), ZhHoursError::Unreadable, "{raw}");
        }
    }

    #[test]
    fn empty_text() {
        for raw in ["", "   ", "\n\t", "\u{3000}"] {
            assert_eq!(err(raw), ZhHoursError::Empty, "{raw:?}");
        }
    }

    #[test]
    fn error_keys() {
        assert_eq!(ZhHoursError::Empty.key(), "empty");
        assert_eq!(ZhHoursError::Unreadable.key(), "unreadable");
        assert_eq!(ZhHoursError::BadTime.key(), "bad_time");
        assert_eq!(ZhHoursError::HolidayConflict.key(), "holiday_conflict");
    }
}
