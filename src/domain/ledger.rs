//! The station ledger as union offices keep it in spreadsheets: its columns with
//! Chinese headers, a header row matched by name in any order, a row read into a
//! station's fields (hours written in Chinese turned into OSM syntax, names of
//! facilities, districts and host types looked up), and a station written back as
//! a row in the same columns, so that export → edit → import changes nothing. A
//! row is matched with a station by the site's public code (站点代码, written by
//! exports), else by the union's ledger number (站点编号) within its district.

use super::coords::{Axis, DmsError, parse_dms};
use super::district::{DISTRICTS, District};
use super::facility::{Audience, Facility, HostType};
use super::hours::Hours;
use super::hours_zh::{HolidayWord, parse_zh_hours};
use super::station::{Station, Status};
use super::station_fields::StationFields;

/// One column of the ledger: its key, its header, and other headers it goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub aliases: &'static [&'static str],
}

const fn col(key: &'static str, header: &'static str, aliases: &'static [&'static str]) -> Column {
    Column { key, header, aliases }
}

/// The columns, in the order exports write them.
pub const COLUMNS: [Column; 20] = [
    col("code", "站点代码", &["代码"]),
    col("ledger_id", "站点编号", &["编号", "序号"]),
    col("name", "站点名称", &["名称", "驿站名称"]),
    col("district", "所属区", &["区", "所属区县", "行政区"]),
    col("street", "街道/乡镇", &["街道", "乡镇", "街乡"]),
    col("address", "详细地址", &["地址", "站点地址"]),
    col("lon", "经度", &[]),
    col("lat", "纬度", &[]),
    col("datum", "坐标系", &[]),
    col("hours", "开放时间", &["营业时间", "开放时段"]),
    col("holiday", "节假日开放", &["节假日是否开放"]),
    col("makeup", "跟随调休", &["调休上班"]),
    col("contact", "联系人", &[]),
    col("phone", "联系电话", &["电话", "联系方式"]),
    col("area", "面积", &["面积（平方米）", "面积(平方米)", "使用面积"]),
    col("facilities", "设施", &["服务设施", "配套设施"]),
    col("audiences", "服务对象", &[]),
    col("services", "服务项目", &["服务内容"]),
    col("host", "承建单位类型", &["建设单位类型", "承建单位"]),
    col("status", "状态", &["运行状态"]),
];

/// Columns a row cannot do without.
pub const REQUIRED: [&str; 3] = ["name", "district", "address"];

/// The site's words for facilities, audiences and host types (from the Chinese
/// locale), to read names in cells and to write them.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub facilities: Vec<(String, Facility)>,
    pub audiences: Vec<(String, Audience)>,
    pub hosts: Vec<(String, HostType)>,
}

impl Vocabulary {
    fn facility(&self, word: &str) -> Option<Facility> {
        self.facilities.iter().find(|(w, _)| w == word).map(|(_, f)| *f).or_else(|| Facility::parse(word))
    }

    fn audience(&self, word: &str) -> Option<Audience> {
        self.audiences.iter().find(|(w, _)| w == word).map(|(_, a)| *a).or_else(|| Audience::parse(word))
    }

    fn host(&self, word: &str) -> Option<HostType> {
        self.hosts.iter().find(|(w, _)| w == word).map(|(_, h)| *h).or_else(|| HostType::parse(word))
    }

    fn facility_word(&self, f: Facility) -> String {
        self.facilities.iter().find(|(_, x)| *x == f).map(|(w, _)| w.clone()).unwrap_or_else(|| f.key().into())
    }

    fn audience_word(&self, a: Audience) -> String {
        self.audiences.iter().find(|(_, x)| *x == a).map(|(w, _)| w.clone()).unwrap_or_else(|| a.key().into())
    }

    fn host_word(&self, h: HostType) -> String {
        self.hosts.iter().find(|(_, x)| *x == h).map(|(w, _)| w.clone()).unwrap_or_else(|| h.key().into())
    }
}

/// Where each column is in a file's header row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// Per column of [`COLUMNS`], its position in the file.
    positions: Vec<Option<usize>>,
    /// Headers the ledger does not know: reported, not fatal.
    pub unknown: Vec<String>,
    /// Required columns the file lacks (their headers).
    pub missing: Vec<&'static str>,
    /// Headers found twice (the first is used).
    pub repeated: Vec<String>,
}

fn normalise(header: &str) -> String {
    header.trim().trim_start_matches('\u{feff}').replace([' ', '\u{3000}', '*', '＊'], "")
}

impl Header {
    /// Matches a header row by name, in any order.
    pub fn read(row: &[String]) -> Header {
        let mut positions = vec![None; COLUMNS.len()];
        let (mut unknown, mut repeated) = (Vec::new(), Vec::new());
        for (i, raw) in row.iter().enumerate() {
            let name = normalise(raw);
            if name.is_empty() {
                continue;
            }
            match COLUMNS.iter().position(|c| c.header == name || c.aliases.contains(&name.as_str())) {
                Some(c) if positions[c].is_none() => positions[c] = Some(i),
                Some(_) => repeated.push(raw.trim().to_string()),
                None => unknown.push(raw.trim().to_string()),
            }
        }
        let missing = REQUIRED
            .iter()
            .filter_map(|k| COLUMNS.iter().position(|c| c.key == *k))
            .filter(|c| positions[*c].is_none())
            .map(|c| COLUMNS[c].header)
            .collect();
        Header { positions, unknown, missing, repeated }
    }

    /// The cell of column `key` in `row`, trimmed; "" when absent. A leading `'`
    /// that an export put before a formula-like text is taken off.
    pub fn cell<'a>(&self, row: &'a [String], key: &str) -> &'a str {
        let Some(c) = COLUMNS.iter().position(|c| c.key == key) else { return "" };
        let text = self.positions[c].and_then(|i| row.get(i)).map(|s| s.trim()).unwrap_or_default();
        match text.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => text,
        }
    }

    /// Whether the file has column `key`.
    pub fn has(&self, key: &str) -> bool {
        COLUMNS.iter().position(|c| c.key == key).is_some_and(|c| self.positions[c].is_some())
    }
}

/// How many rows at the top may hold the header: a title or two above it is common.
pub const HEADER_ROWS: usize = 10;

/// Finds the header row: the first of the first [`HEADER_ROWS`] rows that holds every
/// required column, with its index in `rows`. Without one, the row that came closest
/// (the first such), to name the columns it lacks.
pub fn find_header(rows: &[Vec<String>]) -> Result<(usize, Header), Header> {
    let mut closest: Option<Header> = None;
    for (i, row) in rows.iter().take(HEADER_ROWS).enumerate() {
        let header = Header::read(row);
        if header.missing.is_empty() {
            return Ok((i, header));
        }
        if closest.as_ref().is_none_or(|c| header.missing.len() < c.missing.len()) {
            closest = Some(header);
        }
    }
    Err(closest.unwrap_or_else(|| Header::read(&[])))
}

/// What a total row's cell starts with.
const TOTAL_WORDS: [&str; 3] = ["合计", "总计", "小计"];

/// Whether `row` is a total row ("合计：3个", "小计 5"): a cell that starts with 合计, 总计
/// or 小计 (spaces inside left out), and a required field empty; a station named 合计…
/// with its district and address is a station. Gives the text of the total cell.
pub fn total_row(header: &Header, row: &[String]) -> Option<String> {
    let is_total = |cell: &str| {
        let squeezed: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
        TOTAL_WORDS.iter().any(|w| squeezed.starts_with(w))
    };
    let total = row.iter().position(|c| is_total(c))?;
    let lacking = REQUIRED.iter().any(|key| {
        let c = COLUMNS.iter().position(|c| c.key == *key);
        match c.and_then(|c| header.positions[c]) {
            Some(i) => row.get(i).is_none_or(|cell| cell.trim().is_empty()),
            None => true,
        }
    });
    lacking.then(|| row[total].trim().to_string())
}

/// A cell that was refused: its column's header, the text as written, and why
/// (a locale key suffix: `ledger.problem.KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub column: &'static str,
    pub value: String,
    pub problem: &'static str,
}

fn header_of(key: &str) -> &'static str {
    COLUMNS.iter().find(|c| c.key == key).map(|c| c.header).unwrap_or("")
}

/// What the 状态 column asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWord {
    Open,
    TemporarilyClosed,
    Revoked,
}

/// A row read: the station's fields as text (checked by [`StationFields::parse`]
/// against the station it updates), its ledger number and status, or the cells
/// refused on the way.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub ledger_id: Option<String>,
    pub fields: StationFields,
    pub status: Option<StatusWord>,
}

/// Decimal degrees to seven places (about a centimetre), without trailing zeros.
fn decimal(value: f64) -> String {
    let text = format!("{value:.7}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn yes_no(raw: &str) -> Option<Option<bool>> {
    match raw {
        "" => Some(None),
        "是" | "开放" | "Y" | "y" | "yes" | "Yes" | "YES" | "1" | "TRUE" | "true" | "√" => Some(Some(true)),
        "否" | "不开放" | "N" | "n" | "no" | "No" | "NO" | "0" | "FALSE" | "false" | "×" => Some(Some(false)),
        _ => None,
    }
}

fn words(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(['、', ',', '，', ';', '；', '/', '\n']).map(str::trim).filter(|w| !w.is_empty())
}

/// A district by code ("110106"), full name (丰台区) or short name (丰台).
pub fn district_named(raw: &str) -> Option<&'static District> {
    let raw = raw.trim();
    District::parse(raw).or_else(|| {
        DISTRICTS.iter().find(|d| d.name_zh == raw || d.name_zh.trim_end_matches('区') == raw || d.name_en == raw)
    })
}

/// Reads one data row. `street_code` finds a street by name or code within a
/// district; `district_override` is the district every row must be in (the
/// `--district` of the command, or a district staff member's own).
pub fn read_row(
    header: &Header,
    row: &[String],
    vocabulary: &Vocabulary,
    street_code: &dyn Fn(u32, &str) -> Option<String>,
) -> Result<LedgerRow, Vec<CellProblem>> {
    let mut problems = Vec::new();
    let mut fail = |key: &str, value: &str, problem: &'static str| {
        problems.push(CellProblem { column: header_of(key), value: value.to_string(), problem });
    };
    let cell = |key: &str| header.cell(row, key);
    for key in REQUIRED {
        if cell(key).is_empty() {
            fail(key, "", "required");
        }
    }
    let district = match cell("district") {
        "" => None,
        raw => match district_named(raw) {
            Some(d) => Some(d),
            None => {
                fail("district", raw, "district");
                None
            }
        },
    };
    let street = match (cell("street"), district) {
        ("", _) | (_, None) => String::new(),
        (raw, Some(d)) => match street_code(d.code, raw) {
            Some(code) => code,
            None => {
                fail("street", raw, "street");
                String::new()
            }
        },
    };
    let mut degrees = |key: &str, axis: Axis| {
        let raw = cell(key);
        match parse_dms(raw, axis) {
            Ok(value) => decimal(value),
            // Decimal degrees, or text the station's fields refuse with their own words.
            Err(DmsError::NotDms) => raw.to_string(),
            Err(DmsError::Range) => {
                fail(key, raw, "dms_range");
                String::new()
            }
            Err(DmsError::Axis) => {
                fail(key, raw, "dms_axis");
                String::new()
            }
        }
    };
    let (lat, lon) = (degrees("lat", Axis::Lat), degrees("lon", Axis::Lon));
    let (lat, lon) = (lat.as_str(), lon.as_str());
    if cell("lat").is_empty() != cell("lon").is_empty() {
        fail(if cell("lat").is_empty() { "lat" } else { "lon" }, "", "half_position");
    }
    let datum = match cell("datum") {
        "" | "WGS-84" | "WGS84" | "wgs84" | "GPS" | "gps" => "wgs84",
        "GCJ-02" | "GCJ02" | "gcj02" | "高德" | "腾讯" | "国测局" => "gcj02",
        "BD-09" | "BD09" | "bd09" | "百度" => "bd09",
        raw => {
            fail("datum", raw, "datum");
            "wgs84"
        }
    };
    let holiday = match yes_no(cell("holiday")) {
        Some(h) => h,
        None => {
            fail("holiday", cell("holiday"), "yes_no");
            None
        }
    };
    let makeup = match yes_no(cell("makeup")) {
        Some(m) => m,
        None => {
            fail("makeup", cell("makeup"), "yes_no");
            None
        }
    };
    // OSM syntax as the site writes it, or Chinese as offices write it.
    let (hours, holiday_open) = match cell("hours") {
        "" => (String::new(), holiday.unwrap_or(false)),
        raw => match Hours::parse(raw) {
            // A `PH off` that the column contradicts is refused when the fields are checked.
            Ok(h) => (raw.to_string(), holiday.unwrap_or_else(|| h.opens_on_holidays())),
            Err(_) => match parse_zh_hours(raw) {
                Ok(zh) => {
                    let said = zh.holidays.map(|w| w == HolidayWord::Open);
                    match (said, holiday) {
                        (Some(a), Some(b)) if a != b => {
                            fail("holiday", cell("holiday"), "holiday_conflict");
                            (String::new(), b)
                        }
                        _ => {
                            let text = zh.opening_hours.replace("; PH off", "");
                            (text, holiday.or(said).unwrap_or(true))
                        }
                    }
                }
                Err(_) => {
                    fail("hours", raw, "hours");
                    (String::new(), false)
                }
            },
        },
    };
    let mut facilities = Vec::new();
    for word in words(cell("facilities")) {
        match vocabulary.facility(word) {
            Some(f) => facilities.push(f.key().to_string()),
            None => fail("facilities", word, "facility"),
        }
    }
    let mut audiences = Vec::new();
    for word in words(cell("audiences")) {
        match vocabulary.audience(word) {
            Some(a) => audiences.push(a.key().to_string()),
            None => fail("audiences", word, "audience"),
        }
    }
    let host = match cell("host") {
        "" => HostType::Other,
        raw => vocabulary.host(raw).unwrap_or_else(|| {
            fail("host", raw, "host");
            HostType::Other
        }),
    };
    let status = match cell("status") {
        "" => None,
        "开放" | "正常" | "运行" | "正常运行" | "在用" => Some(StatusWord::Open),
        "临时关闭" | "暂停" | "暂停开放" => Some(StatusWord::TemporarilyClosed),
        "撤销" | "已撤销" => Some(StatusWord::Revoked),
        raw => {
            fail("status", raw, "status");
            None
        }
    };
    let ledger_id = match cell("ledger_id") {
        "" => None,
        raw if raw.chars().count() > 40 => {
            fail("ledger_id", raw, "too_long");
            None
        }
        raw => Some(raw.to_string()),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let fields = StationFields {
        ledger_id: ledger_id.clone().unwrap_or_default(),
        name: cell("name").into(),
        district: district.map(|d| d.code.to_string()).unwrap_or_default(),
        street,
        address: cell("address").into(),
        lat: lat.into(),
        lon: lon.into(),
        datum: datum.into(),
        precision: "exact".into(),
        host: host.key().into(),
        hours,
        holiday_open,
        works_makeup_days: match makeup {
            Some(true) => "1",
            Some(false) => "0",
            None => "",
        }
        .into(),
        contact_name: cell("contact").into(),
        phone: cell("phone").into(),
        area: cell("area").into(),
        facilities,
        unavailable: Vec::new(),
        audiences,
        services: cell("services").into(),
        description: String::new(),
        updated_at: String::new(),
    };
    Ok(LedgerRow { ledger_id, fields, status })
}

/// The header row of an export.
pub fn header_row() -> Vec<String> {
    COLUMNS.iter().map(|c| c.header.to_string()).collect()
}

/// A station as a row of an export, in [`COLUMNS`] order. `street_name` gives a
/// street's name from its code.
pub fn station_row(s: &Station, vocabulary: &Vocabulary, street_name: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let yes_no = |b: bool| if b { "是" } else { "否" }.to_string();
    let street = s.street_code.as_deref().map(|c| street_name(c).unwrap_or_else(|| c.to_string())).unwrap_or_default();
    let list = |words: Vec<String>| words.join("、");
    let status = match s.status {
        Status::Open => "开放",
        Status::TemporarilyClosed { .. } => "临时关闭",
        Status::Revoked => "撤销",
    };
    vec![
        s.code.clone(),
        s.ledger_id.clone().unwrap_or_default(),
        s.name.clone(),
        s.district.name_zh.to_string(),
        street,
        s.address.clone(),
        s.position.map(|p| format!("{:.6}", p.lon)).unwrap_or_default(),
        s.position.map(|p| format!("{:.6}", p.lat)).unwrap_or_default(),
        if s.position.is_some() { "WGS-84" } else { "" }.into(),
        s.hours.as_ref().map(|h| h.raw().to_string()).unwrap_or_default(),
        yes_no(s.opens_on_holidays()),
        yes_no(s.works_makeup_days),
        s.contact_name.clone().unwrap_or_default(),
        s.phone.as_ref().map(|p| p.as_str().to_string()).unwrap_or_default(),
        s.area_m2.map(|a| format!("{a}")).unwrap_or_default(),
        list(s.facilities.iter().map(|f| vocabulary.facility_word(f)).collect()),
        list(s.audiences.iter().map(|a| vocabulary.audience_word(*a)).collect()),
        s.services.clone(),
        vocabulary.host_word(s.host),
        status.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            facilities: vec![("饮水".into(), Facility::Water), ("厕所".into(), Facility::Toilet)],
            audiences: vec![("快递员".into(), Audience::Courier)],
            hosts: vec![("加油站".into(), HostType::PetrolStation)],
        }
    }

    fn no_streets(_: u32, _: &str) -> Option<String> {
        None
    }

    #[test]
    fn headers_are_matched_by_name_in_any_order() {
        let h = Header::read(&strings(&["详细地址", " 站点名称 ", "备注", "所属区", "名称", "*联系电话"]));
        assert_eq!(h.unknown, vec!["备注"]);
        assert_eq!(h.repeated, vec!["名称"]);
        assert!(h.missing.is_empty());
        let row = strings(&["丰台区花乡路1号", "花乡驿站", "x", "丰台", "别的", "13800138000"]);
        assert_eq!(h.cell(&row, "name"), "花乡驿站");
        assert_eq!(h.cell(&row, "phone"), "13800138000");
        assert_eq!(h.cell(&row, "hours"), "");
        let h = Header::read(&strings(&["站点名称", "开放时间"]));
        assert_eq!(h.missing, vec!["所属区", "详细地址"]);
    }

    #[test]
    fn a_row_in_chinese_becomes_station_fields() {
        let h = Header::read(&strings(&[
            "站点编号",
            "站点名称",
            "所属区",
            "详细地址",
            "经度",
            "纬度",
            "坐标系",
            "开放时间",
            "节假日开放",
            "设施",
            "服务对象",
            "承建单位类型",
            "状态",
        ]));
        let row = strings(&[
            "FT-001",
            "花乡驿站",
            "丰台",
            "花乡路1号",
            "116.3",
            "39.8",
            "高德",
            "８：００－１８：００",
            "是",
            "饮水、厕所",
            "快递员",
            "加油站",
            "开放",
        ]);
        let r = read_row(&h, &row, &vocabulary(), &no_streets).expect("read");
        assert_eq!(r.ledger_id.as_deref(), Some("FT-001"));
        assert_eq!(r.fields.district, "110106");
        assert_eq!(r.fields.hours, "Mo-Su 08:00-18:00");
        assert!(r.fields.holiday_open);
        assert_eq!(r.fields.datum, "gcj02");
        assert_eq!(r.fields.facilities, vec!["water", "toilet"]);
        assert_eq!(r.fields.host, "petrol_station");
        assert_eq!(r.status, Some(StatusWord::Open));
    }

    #[test]
    fn refused_cells_are_named_with_their_text() {
        let h = Header::read(&strings(&["站点名称", "所属区", "详细地址", "经度", "开放时间", "设施", "节假日开放"]));
        let row = strings(&["", "火星区", "某路", "116.3", "看情况", "饮水、按摩椅", "节假日不休"]);
        let problems = read_row(&h, &row, &vocabulary(), &no_streets).expect_err("refused");
        let found: Vec<(&str, &str, &str)> = problems.iter().map(|p| (p.column, p.value.as_str(), p.problem)).collect();
        assert_eq!(
            found,
            vec![
                ("站点名称", "", "required"),
                ("所属区", "火星区", "district"),
                ("纬度", "", "half_position"),
                ("节假日开放", "节假日不休", "yes_no"),
                ("开放时间", "看情况", "hours"),
                ("设施", "按摩椅", "facility"),
            ]
        );
        // Hours that say holidays are off against a column that says open.
        let h = Header::read(&strings(&["站点名称", "所属区", "详细地址", "开放时间", "节假日开放"]));
        let row = strings(&["站", "丰台区", "路", "8:00-18:00，节假日休息", "是"]);
        let problems = read_row(&h, &row, &vocabulary(), &no_streets).expect_err("conflict");
        assert_eq!(problems[0].problem, "holiday_conflict");
    }

    #[test]
    fn the_header_is_the_first_of_ten_rows_with_the_required_columns() {
        let title = strings(&["2026年东城区工会户外劳动者服务站点台账", "", ""]);
        let header = strings(&["站点名称", "所属区", "详细地址"]);
        let rows = vec![title.clone(), Vec::new(), strings(&["填报单位：东城区总工会"]), header.clone()];
        let (at, found) = find_header(&rows).expect("found");
        assert_eq!((at, found.missing.len()), (3, 0));
        // Not within the first ten rows: refused, naming what the closest row lacks.
        let mut late = vec![title.clone(); 10];
        late.push(header);
        assert!(find_header(&late).is_err());
        late[4] = strings(&["站点名称", "所属区"]);
        assert_eq!(find_header(&late).unwrap_err().missing, vec!["详细地址"]);
        assert_eq!(find_header(&[title]).unwrap_err().missing, vec!["站点名称", "所属区", "详细地址"]);
    }

    #[test]
    fn total_rows_are_told_from_stations() {
        let h = Header::read(&strings(&["站点编号", "站点名称", "所属区", "详细地址", "面积"]));
        let total = |cells: &[&str]| total_row(&h, &strings(cells));
        assert_eq!(total(&["", "合计：3个", "", "", "120"]).as_deref(), Some("合计：3个"));
        assert_eq!(total(&["合  计", "", "", "", "120"]).as_deref(), Some("合  计"));
        assert_eq!(total(&["", "总计", "", "", ""]).as_deref(), Some("总计"));
        // A district subtotal still names its district.
        assert_eq!(total(&["小计", "", "东城区", "", "40"]).as_deref(), Some("小计"));
        // A station whose name starts so, with its district and address, is a station.
        assert_eq!(total(&["", "合计路口驿站", "东城区", "东城区合计路1号", ""]), None);
        assert_eq!(total(&["", "北新桥驿站", "东城区", "", ""]), None);
    }

    #[test]
    fn coordinates_in_degrees_minutes_seconds_are_read_into_decimal_degrees() {
        let h = Header::read(&strings(&["站点名称", "所属区", "详细地址", "经度", "纬度"]));
        let read = |lon: &str, lat: &str| {
            read_row(&h, &strings(&["站", "东城区", "路", lon, lat]), &vocabulary(), &no_streets)
        };
        let r = read("116°25'30\"", "北纬39度55分30秒").expect("read");
        assert_eq!((r.fields.lon.as_str(), r.fields.lat.as_str()), ("116.425", "39.925"));
        let r = read("116.4", "39度55分").expect("read");
        assert_eq!((r.fields.lon.as_str(), r.fields.lat.as_str()), ("116.4", "39.9166667"));
        let problems = read("116°61'00\"", "E39°55'").expect_err("refused");
        let found: Vec<(&str, &str, &str)> = problems.iter().map(|p| (p.column, p.value.as_str(), p.problem)).collect();
        assert_eq!(found, vec![("纬度", "E39°55'", "dms_axis"), ("经度", "116°61'00\"", "dms_range")]);
        // Text that is no coordinate at all goes on to be refused as before.
        assert_eq!(read("看地图", "39.9").expect("read by the row").fields.lon, "看地图");
    }

    #[test]
    fn the_export_guard_before_formula_like_text_is_taken_off() {
        let h = Header::read(&strings(&["站点名称", "服务项目"]));
        let row = strings(&["站", "'=热水"]);
        assert_eq!(h.cell(&row, "services"), "=热水");
        let row = strings(&["'站", "'普通"]);
        assert_eq!(h.cell(&row, "name"), "'站");
    }

    #[test]
    fn districts_go_by_code_full_or_short_name() {
        assert_eq!(district_named("110106").map(|d| d.code), Some(110106));
        assert_eq!(district_named("丰台区").map(|d| d.code), Some(110106));
        assert_eq!(district_named("丰台").map(|d| d.code), Some(110106));
        assert_eq!(district_named("丰"), None);
    }
}
