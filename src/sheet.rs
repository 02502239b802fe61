//! Spreadsheets exchanged with union offices, for the ledger import and export: the
//! bytes of an .xlsx, .xls or .csv file turned into rows of text cells, and rows of
//! text turned back into an .xlsx or a CSV that Excel opens as it should. It knows
//! nothing about stations: callers trim the cells, find their columns and check them.
//!
//! Reading is bounded: the file's size, its rows and cells, and for an .xlsx the sizes
//! its ZIP directory declares, checked before anything is inflated (the ZIP reader then
//! refuses to inflate an entry past its declared size). Formulas are never evaluated:
//! a workbook gives the values Excel cached when it saved the file. One soft spot is
//! left: calamine parses every sheet of an .xls into memory when it opens the file.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Dimensions, ExcelDateTime, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsx};
use encoding_rs::{EncoderResult, GB18030, GBK};
use rust_xlsxwriter::Workbook;

/// Largest file read, in bytes.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most data rows read, the header row not counted.
pub const MAX_ROWS: usize = 100_000;
/// Most cells held, the blank ones between filled cells counted: a small workbook with
/// far-apart cells would otherwise take gigabytes.
pub const MAX_CELLS: usize = 10_000_000;
/// Most bytes the entries of an .xlsx may declare once inflated, all together.
pub const MAX_UNZIPPED: u64 = 256 * 1024 * 1024;
/// Highest inflated-to-compressed ratio of an entry larger than [`RATIO_FROM`].
const MAX_RATIO: u64 = 100;
/// Entries that inflate to less than this are not held to [`MAX_RATIO`].
const RATIO_FROM: u64 = 10 * 1024 * 1024;
/// Most entries in an .xlsx (Excel writes a few dozen).
const MAX_ENTRIES: usize = 10_000;
/// Excel's number of columns; a cell beyond it means a damaged file.
const MAX_COLUMNS: usize = 16_384;
/// Widest column written, in characters.
const MAX_WIDTH: usize = 50;
/// How an OLE2 (Excel 97–2003) file starts.
const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// The stream name, in UTF-16LE, of an .xlsx encrypted with a password (then an OLE2 file).
const ENCRYPTED_PACKAGE: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

/// The kind of a file, told by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Excel 2007 and later: a ZIP of XML parts.
    Xlsx,
    /// Excel 97–2003 (BIFF8 in an OLE2 container).
    Xls,
    /// Comma-separated text.
    Csv,
}

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8; written with a BOM, without which Excel takes the file for GBK.
    Utf8,
    /// What Excel on Chinese Windows reads and writes: read as GB18030 (its superset),
    /// written as GBK.
    Gbk,
}

/// A table read from a file, every cell as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// The rows from the first one with text on. Blank rows (every cell empty or
    /// spaces) above it are skipped and blank rows at the end dropped; blank rows inside
    /// the table are kept (as rows of "" or empty rows) so that row numbers still match
    /// the file. Workbook rows are padded with "" to one width, column A at index 0, and
    /// a cell merged down over several rows gives its text to each of them; CSV rows are
    /// as long as in the file.
    pub rows: Vec<Vec<String>>,
    /// How many blank rows above the first row were skipped: `rows[i]` is row
    /// `skipped + i + 1` of the sheet as an office suite numbers it, for messages that
    /// point at a row (in a CSV, an empty line is a row too, a quoted line break is not).
    pub skipped: usize,
}

/// Why a file cannot be read or written; [`SheetError::key`] names its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// Over [`MAX_BYTES`]; refused before any parsing.
    #[error("the file is larger than {max_bytes} bytes")]
    TooLarge {
        /// The limit, [`MAX_BYTES`].
        max_bytes: usize,
    },
    /// Over [`MAX_ROWS`] data rows.
    #[error("more than {max} data rows")]
    TooManyRows {
        /// The limit, [`MAX_ROWS`].
        max: usize,
    },
    /// Over [`MAX_CELLS`] cells.
    #[error("more than {max} cells")]
    TooManyCells {
        /// The limit, [`MAX_CELLS`].
        max: usize,
    },
    /// An .xlsx whose parts would inflate to more than [`MAX_UNZIPPED`], or one part by
    /// more than 100 to 1: refused before anything is inflated.
    #[error("the workbook would inflate to too much data")]
    Bomb,
    /// Not an .xlsx, .xls or CSV by its content (or a damaged one).
    #[error("not a spreadsheet, or a damaged one")]
    NotASpreadsheet,
    /// A workbook protected by a password.
    #[error("the workbook is protected by a password")]
    Encrypted,
    /// A CSV neither in UTF-8 nor in GBK, or not in the encoding asked for.
    #[error("the CSV is neither UTF-8 nor GBK")]
    Encoding,
    /// No row with any text.
    #[error("the file has no rows")]
    Empty,
    /// The workbook could not be written (a cell over 32,767 characters, too many rows).
    #[error("the workbook could not be written: {0}")]
    Write(String),
}

impl SheetError {
    /// The key of its message in the locale files.
    pub fn key(&self) -> &'static str {
        match self {
            SheetError::TooLarge { .. } => "too_large",
            SheetError::TooManyRows { .. } => "too_many_rows",
            SheetError::TooManyCells { .. } => "too_many_cells",
            SheetError::Bomb => "bomb",
            SheetError::NotASpreadsheet => "not_a_spreadsheet",
            SheetError::Encrypted => "encrypted",
            SheetError::Encoding => "encoding",
            SheetError::Empty => "empty",
            SheetError::Write(_) => "write",
        }
    }
}

/// Recognised by content (ZIP "PK\x03\x04" → xlsx, OLE2 D0CF11E0 → xls, else CSV), the
/// file name only as a tie-break: bytes with neither signature named .xlsx or .xls are
/// taken for a damaged workbook, not for a CSV.
pub fn detect(bytes: &[u8], file_name: &str) -> Format {
    let name = file_name.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else if bytes.starts_with(OLE2) {
        Format::Xls
    } else if name.ends_with(".xlsx") || name.ends_with(".xlsm") {
        Format::Xlsx
    } else if name.ends_with(".xls") {
        Format::Xls
    } else {
        Format::Csv
    }
}

/// Reads the first worksheet (xlsx/xls) or the CSV. `encoding` overrides detection for
/// CSV. Gives the encoding found or used for a CSV, `None` for a workbook.
pub fn read(
    bytes: &[u8],
    file_name: &str,
    encoding: Option<Encoding>,
) -> Result<(Sheet, Option<Encoding>), SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge { max_bytes: MAX_BYTES });
    }
    match detect(bytes, file_name) {
        Format::Xlsx => Ok((guarded(|| read_xlsx(bytes))?, None)),
        Format::Xls => Ok((guarded(|| read_xls(bytes))?, None)),
        Format::Csv => {
            let (text, used) = decode(bytes, encoding)?;
            Ok((read_csv(&text)?, Some(used)))
        }
    }
}

/// Runs a workbook parser on untrusted bytes: calamine 0.38 can panic on a damaged file
/// (a slice index out of range in its OLE2 reader on a truncated .xls), taken as one.
fn guarded(parse: impl FnOnce() -> Result<Sheet, SheetError>) -> Result<Sheet, SheetError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).unwrap_or(Err(SheetError::NotASpreadsheet))
}

/// Rows gathered while reading, under the limits: blank rows above the header only
/// counted, blank rows after it held as a count until a row with text follows.
#[derive(Default)]
struct Rows {
    sheet: Sheet,
    blanks: usize,
    cells: usize,
}

impl Rows {
    /// Adds `n` blank rows.
    fn blank(&mut self, n: usize) {
        if self.sheet.rows.is_empty() {
            self.sheet.skipped = self.sheet.skipped.saturating_add(n);
        } else {
            self.blanks = self.blanks.saturating_add(n);
        }
    }

    /// Adds a row; an error as soon as a limit is passed.
    fn push(&mut self, row: Vec<String>) -> Result<(), SheetError> {
        if row.iter().all(|cell| cell.trim().is_empty()) {
            self.blank(1);
            return Ok(());
        }
        // The data rows there will be: every row held, blanks included, but the header.
        if self.sheet.rows.len().saturating_add(self.blanks) > MAX_ROWS {
            return Err(SheetError::TooManyRows { max: MAX_ROWS });
        }
        self.cells = self.cells.saturating_add(row.len());
        if self.cells > MAX_CELLS {
            return Err(SheetError::TooManyCells { max: MAX_CELLS });
        }
        self.sheet.rows.extend(std::iter::repeat_n(Vec::new(), self.blanks));
        self.blanks = 0;
        self.sheet.rows.push(row);
        Ok(())
    }

    /// The sheet, its rows padded to one width if `pad`.
    fn finish(mut self, pad: bool) -> Result<Sheet, SheetError> {
        if self.sheet.rows.is_empty() {
            return Err(SheetError::Empty);
        }
        if pad {
            let width = self.sheet.rows.iter().map(Vec::len).max().unwrap_or(0);
            if self.sheet.rows.len().saturating_mul(width) > MAX_CELLS {
                return Err(SheetError::TooManyCells { max: MAX_CELLS });
            }
            for row in &mut self.sheet.rows {
                row.resize(width, String::new());
            }
        }
        Ok(self.sheet)
    }
}

/// The text of a CSV, and the encoding it was read in.
fn decode(bytes: &[u8], asked: Option<Encoding>) -> Result<(Cow<'_, str>, Encoding), SheetError> {
    // A NUL is no text (an image or a PDF renamed, or UTF-16).
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(SheetError::NotASpreadsheet);
    }
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    let utf8 = std::str::from_utf8(without_bom.unwrap_or(bytes)).ok();
    match (asked, utf8) {
        (Some(Encoding::Gbk), _) if without_bom.is_some() => Err(SheetError::Encoding),
        (Some(Encoding::Gbk), _) => gb18030(bytes),
        (_, Some(text)) => Ok((Cow::Borrowed(text), Encoding::Utf8)),
        (Some(Encoding::Utf8), None) => Err(SheetError::Encoding),
        (None, None) if without_bom.is_some() => Err(SheetError::Encoding),
        (None, None) => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, true);
            // Told the file comes from .cn, chardetng answers GBK whenever GBK (or GB18030)
            // could be it, even on a few bytes; any other answer means it cannot be.
            let guess = detector.guess(Some(b"cn"), chardetng::Utf8Detection::Deny);
            if guess == GBK || guess == GB18030 { gb18030(bytes) } else { Err(SheetError::Encoding) }
        }
    }
}

/// `bytes` decoded as GB18030, refused if any sequence is invalid.
fn gb18030(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding), SheetError> {
    let text = GB18030.decode_without_bom_handling_and_without_replacement(bytes).ok_or(SheetError::Encoding)?;
    Ok((text, Encoding::Gbk))
}

/// The records of a CSV, kept as they are (rows of any length, nothing trimmed). The
/// CSV reader passes over empty lines; an office suite shows each as a row, so they are
/// counted as blank rows.
fn read_csv(text: &str) -> Result<Sheet, SheetError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Rows::default();
    let mut record = csv::StringRecord::new();
    // Where the reader stopped after the last record: each read takes the empty lines
    // before a record, the record and its line end.
    let mut at = 0;
    while reader.read_record(&mut record).map_err(|_| SheetError::NotASpreadsheet)? {
        let next = usize::try_from(reader.position().byte()).unwrap_or(text.len());
        let after_cr = at > 0 && text.as_bytes().get(at - 1) == Some(&b'\r');
        rows.blank(empty_lines(text.as_bytes().get(at..next).unwrap_or_default(), after_cr));
        rows.push(record.iter().map(str::to_owned).collect())?;
        at = next;
    }
    rows.finish(false)
}

/// The empty lines `bytes` starts with (CRLF, LF or a lone CR each end one). After a
/// CR, a first LF ends no line of its own: it completes the CRLF before.
fn empty_lines(bytes: &[u8], after_cr: bool) -> usize {
    let mut rest = match bytes {
        [b'\n', tail @ ..] if after_cr => tail,
        _ => bytes,
    };
    let mut n = 0;
    loop {
        rest = match rest {
            [b'\r', b'\n', tail @ ..] | [b'\r' | b'\n', tail @ ..] => tail,
            _ => return n,
        };
        n += 1;
    }
}

/// The first worksheet of an .xlsx, streamed cell by cell.
fn read_xlsx(bytes: &[u8]) -> Result<Sheet, SheetError> {
    check_zip(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::NotASpreadsheet)?;
    let name = first_sheet(book.sheets_metadata()).ok_or(SheetError::Empty)?;
    let mut cells = book.worksheet_cells_reader(&name).map_err(|_| SheetError::NotASpreadsheet)?;
    let (mut rows, mut row, mut at) = (Rows::default(), Vec::new(), 0u32);
    while let Some(cell) = cells.next_cell().map_err(|_| SheetError::NotASpreadsheet)? {
        let (r, c) = cell.get_position();
        if r < at {
            return Err(SheetError::NotASpreadsheet);
        }
        if r > at {
            rows.push(std::mem::take(&mut row))?;
            rows.blank((r - at - 1) as usize);
            at = r;
        }
        put(&mut row, c as usize, text(&Data::from(cell.get_value().clone())))?;
    }
    rows.push(row)?;
    drop(cells);
    let merged = book.merge_cells_by_sheet_name(&name).map_err(|_| SheetError::NotASpreadsheet)?;
    fill_down(rows.finish(true)?, &merged)
}

/// Gives each cell of a merged region the text of the region's top cell in its column,
/// as the merge shows it: a 所属区 merged down over three stations names the district
/// on each. Rows with no text of their own stay blank; a region reaching past the table
/// is cut to it. The cells looked at are counted against [`MAX_CELLS`], so that a
/// file of many large regions cannot take long.
fn fill_down(mut sheet: Sheet, merged: &[Dimensions]) -> Result<Sheet, SheetError> {
    let own_text: Vec<bool> = sheet.rows.iter().map(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
    let width = sheet.rows.first().map_or(0, Vec::len);
    let mut looked_at = 0usize;
    let mut count = |n: usize| {
        looked_at = looked_at.saturating_add(n);
        if looked_at > MAX_CELLS { Err(SheetError::TooManyCells { max: MAX_CELLS }) } else { Ok(()) }
    };
    for region in merged {
        count(1)?;
        let ((top, left), (bottom, right)) = (region.start, region.end);
        // Rows as indexes of `sheet.rows`; a top row in the blank rows skipped has no text.
        let Some(top) = (top as usize).checked_sub(sheet.skipped) else { continue };
        let bottom = (bottom as usize).saturating_sub(sheet.skipped).min(sheet.rows.len().saturating_sub(1));
        if top >= bottom {
            continue;
        }
        for col in (left as usize)..=(right as usize).min(width.saturating_sub(1)) {
            count(1)?;
            let value = sheet.rows[top].get(col).cloned().unwrap_or_default();
            if value.trim().is_empty() {
                continue;
            }
            count(bottom - top)?;
            let below = sheet.rows[top + 1..=bottom].iter_mut().zip(&own_text[top + 1..=bottom]);
            for (row, _) in below.filter(|(_, own)| **own) {
                if let Some(cell) = row.get_mut(col) {
                    cell.clone_from(&value);
                }
            }
        }
    }
    Ok(sheet)
}

/// Refuses an .xlsx whose ZIP directory declares too much inflated data, read with the
/// ZIP reader calamine itself uses, so both see the same entries.
fn check_zip(bytes: &[u8]) -> Result<(), SheetError> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::NotASpreadsheet)?;
    if zip.len() > MAX_ENTRIES {
        return Err(SheetError::Bomb);
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_data(i).map_err(|_| SheetError::NotASpreadsheet)?;
        let (size, packed) = (entry.size(), entry.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED || (size > RATIO_FROM && size / packed.max(1) > MAX_RATIO) {
            return Err(SheetError::Bomb);
        }
    }
    Ok(())
}

/// Puts a cell's text at its column, filling the gap before it with "".
fn put(row: &mut Vec<String>, col: usize, text: String) -> Result<(), SheetError> {
    if col >= MAX_COLUMNS {
        return Err(SheetError::NotASpreadsheet);
    }
    if !text.is_empty() {
        if col >= row.len() {
            row.resize(col + 1, String::new());
        }
        row[col] = text;
    }
    Ok(())
}

/// The first worksheet of an .xls (calamine has read them all already).
fn read_xls(bytes: &[u8]) -> Result<Sheet, SheetError> {
    let mut book = match Xls::new(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(XlsError::Password) => return Err(SheetError::Encrypted),
        Err(_) if bytes.windows(ENCRYPTED_PACKAGE.len()).any(|w| w == ENCRYPTED_PACKAGE) => {
            return Err(SheetError::Encrypted);
        }
        Err(_) => return Err(SheetError::NotASpreadsheet),
    };
    let name = first_sheet(book.sheets_metadata()).ok_or(SheetError::Empty)?;
    let range = book.worksheet_range(&name).map_err(|_| SheetError::NotASpreadsheet)?;
    let (top, left) = range.start().unwrap_or_default();
    let mut rows = Rows::default();
    rows.blank(top as usize);
    for cells in range.rows() {
        let mut row = vec![String::new(); left as usize];
        row.extend(cells.iter().map(text));
        rows.push(row)?;
    }
    let merged = book.merge_cells_by_sheet_name(&name).map_err(|_| SheetError::NotASpreadsheet)?;
    fill_down(rows.finish(true)?, &merged)
}

/// The name of the first visible worksheet, else of the first worksheet.
fn first_sheet(sheets: &[calamine::Sheet]) -> Option<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let sheet = worksheets().find(|s| s.visible == SheetVisible::Visible).or_else(|| worksheets().next())?;
    Some(sheet.name.clone())
}

/// A cell as text: numbers without a needless ".0", dates as "YYYY-MM-DD" (with
/// " HH:MM" when there is a time), errors as "".
fn text(value: &Data) -> String {
    match value {
        Data::String(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Display gives the shortest text that reads back the same, "3" for 3.0.
        Data::Float(f) if *f == 0.0 => "0".to_owned(),
        Data::Float(f) => f.to_string(),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(d) => excel_datetime(d),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// An Excel serial date as "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"; a time of day alone
/// (a serial under 1) as "HH:MM", a duration as "H:MM".
fn excel_datetime(d: &ExcelDateTime) -> String {
    if d.is_duration() {
        let minutes = (d.as_f64() * 1440.0).round() as i64;
        return format!("{}:{:02}", minutes / 60, (minutes % 60).abs());
    }
    let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
    if (0.0..1.0).contains(&d.as_f64()) {
        format!("{hour:02}:{minute:02}")
    } else if (hour, minute, second, milli) == (0, 0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    }
}

/// An ISO 8601 date, time or both ("2024-03-05T08:30:00") in the same shapes as
/// [`excel_datetime`].
fn iso_datetime(s: &str) -> String {
    let (date, time) = match s.split_once('T') {
        Some(parts) => parts,
        None if s.contains(':') => ("", s),
        None => (s, ""),
    };
    let hh_mm = time.get(..5).unwrap_or(time);
    let midnight = time.chars().all(|c| matches!(c, '0' | ':' | '.'));
    match (date.is_empty(), midnight) {
        (true, _) => hh_mm.to_owned(),
        (false, true) => date.to_owned(),
        (false, false) => format!("{date} {hh_mm}"),
    }
}

/// One sheet, every cell written as a string (so "0042" and phone numbers keep their
/// leading zeros and "=1+1" stays text), the header row bold and frozen, columns as wide
/// as their longest cell up to a cap. The sheet name is made valid for Excel.
pub fn write_xlsx(rows: &[Vec<String>], sheet_name: &str) -> Result<Vec<u8>, SheetError> {
    let write = |e: rust_xlsxwriter::XlsxError| SheetError::Write(e.to_string());
    let too_big = |_| SheetError::Write("more rows or columns than Excel has".to_owned());
    let mut book = Workbook::new();
    // Rows go to a temporary file as they are written: widths and the frozen header
    // are set first, then the rows in order.
    let sheet = book.add_worksheet_with_constant_memory().map_err(write)?;
    sheet.set_name(sheet_title(sheet_name)).map_err(write)?;
    for (c, width) in column_widths(rows).into_iter().enumerate() {
        let c = u16::try_from(c).map_err(too_big)?;
        sheet.set_column_width(c, width as f64).map_err(write)?;
    }
    if !rows.is_empty() {
        sheet.set_freeze_panes(1, 0).map_err(write)?;
    }
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).map_err(too_big)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(too_big)?;
            if r == 0 {
                sheet.write_string_with_format(r, c, cell, &bold).map_err(write)?;
            } else {
                sheet.write_string(r, c, cell).map_err(write)?;
            }
        }
    }
    book.save_to_buffer().map_err(write)
}

/// A valid Excel sheet name: at most 31 UTF-16 units, none of `[]:*?/\`, no apostrophe
/// at either end, not blank.
fn sheet_title(name: &str) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let mut title = String::new();
    for c in clean.trim_matches('\'').chars() {
        if title.encode_utf16().count() + c.len_utf16() > 31 {
            break;
        }
        title.push(c);
    }
    let title = title.trim_end_matches('\'');
    if title.trim().is_empty() { "Sheet1".to_owned() } else { title.to_owned() }
}

/// Each column's width in characters: its longest cell (a Chinese character counts two)
/// plus a margin, at least 8 and at most [`MAX_WIDTH`].
fn column_widths(rows: &[Vec<String>]) -> Vec<usize> {
    let mut widths = Vec::new();
    for row in rows {
        if widths.len() < row.len() {
            widths.resize(row.len(), 8);
        }
        for (width, cell) in widths.iter_mut().zip(row) {
            let cell_width: usize = cell.chars().map(|c| if c >= '\u{1100}' { 2 } else { 1 }).sum();
            *width = (*width).max(cell_width + 2).min(MAX_WIDTH);
        }
    }
    widths
}

/// A CSV that Excel opens as it should: UTF-8 with a BOM, or GBK without one (a
/// character GBK lacks becomes "?"); CRLF line ends; cells quoted where needed.
pub fn write_csv(rows: &[Vec<String>], encoding: Encoding) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().flexible(true).terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        // Writing to memory, with rows of any length allowed, cannot fail.
        writer
            .write_record(row.iter().map(|cell| formula_guarded(cell).into_owned()))
            .expect("a CSV record written to memory");
    }
    let utf8 = writer.into_inner().expect("a CSV flushed to memory");
    match encoding {
        Encoding::Utf8 => [b"\xEF\xBB\xBF".as_slice(), &utf8].concat(),
        Encoding::Gbk => to_gbk(&String::from_utf8_lossy(&utf8)),
    }
}

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or carriage
/// return first) with a leading `'`, as OWASP's CSV injection guidance says; the ledger
/// import takes it off again, so `-3` and `+86 138…` come back as they were.
pub fn formula_guarded(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}").into() } else { text.into() }
}

/// `text` in GBK, a character GBK lacks as "?" (as Windows does) rather than the
/// encoder's "&#NNNN;".
fn to_gbk(text: &str) -> Vec<u8> {
    let mut encoder = GBK.new_encoder();
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    loop {
        let needed = encoder.max_buffer_length_from_utf8_without_replacement(rest.len()).unwrap_or(rest.len() * 4);
        out.reserve(needed);
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = rest.get(read..).unwrap_or_default();
        match result {
            EncoderResult::InputEmpty => return out,
            EncoderResult::Unmappable(_) => out.push(b'?'),
            EncoderResult::OutputFull => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Formula;

    fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|row| row.iter().map(|s| s.to_string()).collect()).collect()
    }

    fn ledger() -> Vec<Vec<String>> {
        strings(&[
            &["名称", "编号", "电话", "公式", "备注"],
            &["东城区北新桥驿站", "0042", "01064001234", "=1+1", ""],
            &["西城区, \"什刹海\" 驿站", "", "13800138000", "", "两行\n备注"],
            &["", "", "", "", "末列"],
        ])
    }

    #[test]
    fn detects_by_content_then_by_name() {
        assert_eq!(detect(b"PK\x03\x04rest", "ledger.csv"), Format::Xlsx);
        assert_eq!(detect(OLE2, "ledger.csv"), Format::Xls);
        assert_eq!(detect(b"a,b\n", "ledger.CSV"), Format::Csv);
        assert_eq!(detect(b"a,b\n", "ledger.txt"), Format::Csv);
        assert_eq!(detect(b"junk", "Ledger.XLSX"), Format::Xlsx);
        assert_eq!(detect(b"junk", "ledger.xls"), Format::Xls);
    }

    #[test]
    fn xlsx_round_trip_keeps_text_as_text() {
        let rows = ledger();
        let bytes = write_xlsx(&rows, "台账").unwrap();
        let (sheet, encoding) = read(&bytes, "out.xlsx", None).unwrap();
        assert_eq!(encoding, None);
        assert_eq!(sheet, Sheet { rows, skipped: 0 });
    }

    #[test]
    fn xlsx_skips_blank_rows_at_the_top_and_keeps_them_inside() {
        let rows = strings(&[&["", ""], &["   ", ""], &["名称", "编号"], &["", ""], &["驿站", "7"], &["", ""]]);
        let (sheet, _) = read(&write_xlsx(&rows, "x").unwrap(), "x.xlsx", None).unwrap();
        assert_eq!(sheet.skipped, 2);
        assert_eq!(sheet.rows, strings(&[&["名称", "编号"], &["", ""], &["驿站", "7"]]));
    }

    #[test]
    fn xlsx_cells_give_cached_values_numbers_and_dates_as_text() {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        let fmt = |f: &str| rust_xlsxwriter::Format::new().set_num_format(f);
        ws.write_formula(0, 0, Formula::new("=1+1").set_result("2")).unwrap();
        ws.write_formula(0, 1, Formula::new("=\"a\"&\"b\"").set_result("ab")).unwrap();
        ws.write_number(0, 2, 12.0).unwrap();
        ws.write_number(0, 3, 0.25).unwrap();
        ws.write_number(0, 4, -3.0).unwrap();
        ws.write_boolean(0, 5, true).unwrap();
        ws.write_number_with_format(0, 6, 45356.0, &fmt("yyyy-mm-dd")).unwrap();
        ws.write_number_with_format(0, 7, 45356.5 + 1.0 / 48.0, &fmt("yyyy-mm-dd hh:mm")).unwrap();
        ws.write_number_with_format(0, 8, 8.5 / 24.0, &fmt("hh:mm")).unwrap();
        ws.write_number_with_format(0, 9, 1.5, &fmt("[h]:mm")).unwrap();
        ws.write_formula(0, 10, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
        ws.write_number(0, 11, 1e15).unwrap();
        let (sheet, _) = read(&book.save_to_buffer().unwrap(), "f.xlsx", None).unwrap();
        let want = [
            "2",
            "ab",
            "12",
            "0.25",
            "-3",
            "TRUE",
            "2024-03-05",
            "2024-03-05 12:30",
            "08:30",
            "36:00",
            "",
            "1000000000000000",
        ];
        assert_eq!(sheet.rows, vec![want.map(String::from).to_vec()]);
    }

    #[test]
    fn iso_dates_take_the_same_shapes() {
        assert_eq!(iso_datetime("2024-03-05"), "2024-03-05");
        assert_eq!(iso_datetime("2024-03-05T00:00:00"), "2024-03-05");
        assert_eq!(iso_datetime("2024-03-05T08:30:15.5"), "2024-03-05 08:30");
        assert_eq!(iso_datetime("08:30:00"), "08:30");
    }

    /// tests/fixtures/sheet.xls was written by Python's xlwt 1.3: a blank first row, these
    /// rows on sheet "台账" (dates as numbers with date formats), then a sheet "Other".
    #[test]
    fn xls_first_sheet_is_read() {
        let (sheet, encoding) = read(include_bytes!("../tests/fixtures/sheet.xls"), "old.xls", None).unwrap();
        assert_eq!(encoding, None);
        assert_eq!(sheet.skipped, 1);
        let want = strings(&[
            &["名称", "编号", "数量", "比例", "日期", "时间", "开放", "备注"],
            &["东城区驿站", "0042", "12", "0.25", "2024-03-05", "2024-03-05 08:30", "TRUE", ""],
            &["西城区驿站", "", "", "", "", "", "", "备注"],
        ]);
        assert_eq!(sheet.rows, want);
    }

    #[test]
    fn csv_round_trips_in_gbk_and_in_utf8() {
        let rows = ledger();
        // Read back as written: a formula-like cell with the `'` the ledger import takes off.
        let guarded: Vec<Vec<String>> =
            rows.iter().map(|r| r.iter().map(|c| formula_guarded(c).into_owned()).collect()).collect();
        assert_eq!(guarded[1][3], "'=1+1");
        let gbk = write_csv(&rows, Encoding::Gbk);
        let formulas =
            strings(&[&["=HYPERLINK(\"http://x\",\"点我\")", "=cmd|' /C calc'!A0", "@evil", "-3", "+86 138", "116.3"]]);
        let written = write_csv(&formulas, Encoding::Utf8);
        let text = String::from_utf8(written[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",'=cmd|' /C calc'!A0,'@evil,'-3,'+86 138,116.3\r\n"
        );
        assert!(std::str::from_utf8(&gbk).is_err());
        assert!(gbk.ends_with(b"\r\n") && !gbk.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(
            read(&gbk, "a.csv", None).unwrap(),
            (Sheet { rows: guarded.clone(), skipped: 0 }, Some(Encoding::Gbk))
        );
        assert_eq!(read(&gbk, "a.csv", Some(Encoding::Gbk)).unwrap().1, Some(Encoding::Gbk));

        let utf8 = write_csv(&rows, Encoding::Utf8);
        assert!(utf8.starts_with(b"\xEF\xBB\xBF\xE5\x90\x8D"));
        assert_eq!(read(&utf8, "a.csv", None).unwrap(), (Sheet { rows: guarded, skipped: 0 }, Some(Encoding::Utf8)));
    }

    #[test]
    fn short_gbk_csv_is_detected() {
        let (bytes, _, _) = GBK.encode("名称,编号\r\n驿站,1\r\n");
        let (sheet, encoding) = read(&bytes, "a.csv", None).unwrap();
        assert_eq!((sheet.rows, encoding), (strings(&[&["名称", "编号"], &["驿站", "1"]]), Some(Encoding::Gbk)));
    }

    #[test]
    fn gb18030_four_byte_characters_are_read() {
        let (bytes, _, _) = GB18030.encode("名称,表情\r\n驿站,😀\r\n");
        let (sheet, encoding) = read(&bytes, "a.csv", None).unwrap();
        assert_eq!((sheet.rows, encoding), (strings(&[&["名称", "表情"], &["驿站", "😀"]]), Some(Encoding::Gbk)));
    }

    #[test]
    fn gbk_lacks_a_character_so_it_becomes_a_question_mark() {
        assert_eq!(write_csv(&strings(&[&["驿站😀", "a"]]), Encoding::Gbk), b"\xE6\xE4\xD5\xBE?,a\r\n");
    }

    #[test]
    fn an_encoding_never_garbles() {
        let gbk = write_csv(&ledger(), Encoding::Gbk);
        assert_eq!(read(&gbk, "a.csv", Some(Encoding::Utf8)), Err(SheetError::Encoding));
        let utf8 = write_csv(&ledger(), Encoding::Utf8);
        assert_eq!(read(&utf8, "a.csv", Some(Encoding::Gbk)), Err(SheetError::Encoding));
        assert_eq!(read(b"\xEF\xBB\xBFa,\xFF\n", "a.csv", None), Err(SheetError::Encoding));
        assert_eq!(read(b"caf\xE9,bar\n", "a.csv", None), Err(SheetError::Encoding));
        assert_eq!(read(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a.csv", None), Err(SheetError::NotASpreadsheet));
    }

    #[test]
    fn csv_keeps_cells_as_they_are_and_skips_blank_rows_at_the_top() {
        let (sheet, _) = read(b",,\n \t,\n name , x,,\n\n,\n1\n,,\n", "a.csv", None).unwrap();
        assert_eq!(sheet.skipped, 2);
        // The empty line is a row too (an office suite shows it), so "1" stays on row 6.
        assert_eq!(sheet.rows, strings(&[&[" name ", " x", "", ""], &[], &[], &["1"]]));
    }

    #[test]
    fn csv_rows_are_numbered_as_an_office_suite_numbers_them() {
        // Empty lines (LF, CRLF, a lone CR) are rows; a line break inside quotes is not.
        let text = "\n\r\nname,x\r\n\r\na,1\n\"two\nlines\",2\n\n\nb,3\r\rc,4";
        let (sheet, _) = read(text.as_bytes(), "a.csv", None).unwrap();
        assert_eq!(sheet.skipped, 2);
        let want =
            strings(&[&["name", "x"], &[], &["a", "1"], &["two\nlines", "2"], &[], &[], &["b", "3"], &[], &["c", "4"]]);
        assert_eq!(sheet.rows, want);
        // So row 9 of the file, counted as LibreOffice does, is `rows[9 - skipped - 1]`.
        assert_eq!(sheet.rows[9 - sheet.skipped - 1], strings(&[&["b", "3"]])[0]);
    }

    /// The rows of tests/fixtures/merged.xls and of the workbook written below.
    fn merged_rows() -> Vec<Vec<String>> {
        strings(&[
            &["2026年东城区台账", "", "", ""],
            &["名称", "所属区", "街道", "地址"],
            &["甲", "东城区", "东华门街道", "甲路"],
            &["乙", "东城区", "东华门街道", "乙路"],
            &["丙", "东城区", "", "丙路"],
            &["", "", "", ""],
            &["丁", "西城区", "", "丁路"],
        ])
    }

    #[test]
    fn xlsx_cells_merged_down_are_filled_down() {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        let plain = rust_xlsxwriter::Format::new();
        ws.merge_range(0, 0, 0, 3, "2026年东城区台账", &plain).unwrap();
        for (c, h) in ["名称", "所属区", "街道", "地址"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        // 所属区 merged over three stations and the blank row after them, 街道 over two.
        ws.merge_range(2, 1, 5, 1, "东城区", &plain).unwrap();
        ws.merge_range(2, 2, 3, 2, "东华门街道", &plain).unwrap();
        for (r, (name, address)) in [("甲", "甲路"), ("乙", "乙路"), ("丙", "丙路")].iter().enumerate() {
            ws.write_string(2 + r as u32, 0, *name).unwrap();
            ws.write_string(2 + r as u32, 3, *address).unwrap();
        }
        ws.write_string(6, 0, "丁").unwrap();
        ws.write_string(6, 1, "西城区").unwrap();
        // A region reaching far past the table is cut to it.
        ws.merge_range(6, 3, 900, 3, "丁路", &plain).unwrap();
        let (sheet, _) = read(&book.save_to_buffer().unwrap(), "m.xlsx", None).unwrap();
        assert_eq!(sheet, Sheet { rows: merged_rows(), skipped: 0 });
    }

    /// tests/fixtures/merged.xls was made by LibreOffice 7.4 from tests/fixtures/merged.html
    /// (`soffice --headless --infilter="HTML (StarCalc)" --convert-to xls merged.html`):
    /// a title merged across, 所属区 merged down four rows (the last one blank), 街道 two.
    #[test]
    fn xls_cells_merged_down_are_filled_down() {
        let (sheet, _) = read(include_bytes!("../tests/fixtures/merged.xls"), "m.xls", None).unwrap();
        assert_eq!(sheet, Sheet { rows: merged_rows(), skipped: 0 });
    }

    #[test]
    fn merged_regions_below_blank_top_rows_are_counted_from_the_sheet() {
        // Two blank rows skipped: a region's rows are the file's, not the table's.
        let mut sheet = Sheet { rows: strings(&[&["h", "d"], &["a", "东城区"], &["b", ""]]), skipped: 2 };
        let region = |top, left, bottom, right| Dimensions { start: (top, left), end: (bottom, right) };
        sheet = fill_down(sheet, &[region(3, 1, 4, 1), region(0, 0, 1, 5)]).unwrap();
        assert_eq!(sheet.rows[2], strings(&[&["b", "东城区"]])[0]);
        // Regions that would take long are refused, not walked.
        let many = vec![region(0, 0, 1_000_000, 16_383); 2000];
        let width = Sheet { rows: vec![vec!["x".to_owned(); 16_384]; 3], skipped: 0 };
        assert_eq!(fill_down(width, &many).unwrap_err(), SheetError::TooManyCells { max: MAX_CELLS });
    }

    #[test]
    fn rows_are_counted_without_the_header() {
        let csv = |data_rows: usize| "h\n".to_owned() + &"1\n".repeat(data_rows);
        let (sheet, _) = read(csv(MAX_ROWS).as_bytes(), "a.csv", None).unwrap();
        assert_eq!(sheet.rows.len(), MAX_ROWS + 1);
        let with_blank_end = csv(MAX_ROWS) + ",\n\n,,\n";
        assert!(read(with_blank_end.as_bytes(), "a.csv", None).is_ok());
        assert_eq!(read(csv(MAX_ROWS + 1).as_bytes(), "a.csv", None), Err(SheetError::TooManyRows { max: MAX_ROWS }));
    }

    #[test]
    fn size_is_checked_before_anything() {
        let mut bytes = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(read(&bytes, "a.csv", None), Err(SheetError::TooLarge { max_bytes: MAX_BYTES }));
        bytes[..4].copy_from_slice(b"PK\x03\x04");
        assert_eq!(read(&bytes, "a.xlsx", None).unwrap_err().key(), "too_large");
    }

    #[test]
    fn nothing_to_read_is_empty() {
        assert_eq!(read(b"", "a.csv", None), Err(SheetError::Empty));
        assert_eq!(read(b"\xEF\xBB\xBF,,\r\n\r\n", "a.csv", None), Err(SheetError::Empty));
        assert_eq!(read(&write_xlsx(&[], "x").unwrap(), "a.xlsx", None), Err(SheetError::Empty));
    }

    #[test]
    fn far_apart_cells_are_refused_before_they_take_memory() {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        for r in 0..700 {
            ws.write_string(r, 16_000, "x").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 20_000);
        assert_eq!(read(&bytes, "a.xlsx", None), Err(SheetError::TooManyCells { max: MAX_CELLS }));
    }

    /// A ZIP written by hand: each entry deflated (method 8) with `data` as its
    /// compressed bytes and `declared` as its inflated size.
    fn zip_file(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let (mut out, mut directory) = (Vec::new(), Vec::new());
        for (name, data, declared) in entries {
            let offset = out.len() as u32;
            let mut common = Vec::new();
            for field in [20u16, 0, 8, 0, 0x21] {
                common.extend(field.to_le_bytes()); // version, flags, method, time, date
            }
            for field in [0u32, data.len() as u32, *declared] {
                common.extend(field.to_le_bytes()); // crc, compressed, inflated
            }
            common.extend((name.len() as u16).to_le_bytes());
            common.extend(0u16.to_le_bytes()); // extra field length
            out.extend(b"PK\x03\x04");
            out.extend(&common);
            out.extend(name.as_bytes());
            out.extend(*data);
            directory.extend(b"PK\x01\x02\x14\x00");
            directory.extend(&common);
            directory.extend([0u8; 10]); // comment length, disk, internal and external attributes
            directory.extend(offset.to_le_bytes());
            directory.extend(name.as_bytes());
        }
        let (start, count) = (out.len() as u32, entries.len() as u16);
        out.extend(&directory);
        out.extend(b"PK\x05\x06\0\0\0\0");
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend((directory.len() as u32).to_le_bytes());
        out.extend(start.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    #[test]
    fn zip_bombs_are_refused_before_inflating() {
        let small = vec![0u8; 1000];
        let ratio = zip_file(&[("xl/worksheets/sheet1.xml", &small, 200 * 1024 * 1024)]);
        assert_eq!(read(&ratio, "a.xlsx", None), Err(SheetError::Bomb));
        let big = vec![0u8; 1024 * 1024];
        let parts: Vec<_> =
            (0..3).map(|i| (["a.xml", "b.xml", "c.xml"][i], big.as_slice(), 90 * 1024 * 1024)).collect();
        assert_eq!(read(&zip_file(&parts), "a.xlsx", None), Err(SheetError::Bomb));
        // The same directory with honest sizes is read, and found to be no workbook.
        let fine = zip_file(&[("a.xml", &small, 5000)]);
        assert_eq!(read(&fine, "a.xlsx", None), Err(SheetError::NotASpreadsheet));
    }

    #[test]
    fn broken_files_are_refused_without_panic() {
        let good = write_xlsx(&ledger(), "x").unwrap();
        for bytes in [&b"random bytes, not a workbook"[..], b"PK\x03\x04", OLE2, b"", &good[..good.len() / 2]] {
            let result = read(bytes, "a.xlsx", None);
            assert!(matches!(result, Err(SheetError::NotASpreadsheet)), "{result:?}");
        }
        assert_eq!(read(b"\xD0\xCF\x11\xE0junk", "a.xls", None), Err(SheetError::NotASpreadsheet));
        // Any cut or flipped byte gives a result or an error, never a panic.
        let xls = include_bytes!("../tests/fixtures/sheet.xls");
        let merged = include_bytes!("../tests/fixtures/merged.xls");
        for file in [&good[..], &xls[..], &merged[..]] {
            for i in (0..file.len()).step_by(97) {
                let _ = read(&file[..i], "a.xlsx", None);
                let mut flipped = file.to_vec();
                flipped[i] ^= 0x5A;
                let _ = read(&flipped, "a.xlsx", None);
            }
        }
    }

    #[test]
    fn sheet_names_are_made_valid() {
        assert_eq!(sheet_title("台账 [2024/03]"), "台账 _2024_03_");
        assert_eq!(sheet_title("'x'"), "x");
        assert_eq!(sheet_title(" "), "Sheet1");
        assert_eq!(sheet_title(&"驿".repeat(40)).chars().count(), 31);
        assert!(write_xlsx(&ledger(), "a:b?c*'").is_ok());
    }

    #[test]
    fn error_keys_are_distinct_snake_case() {
        let all = [
            SheetError::TooLarge { max_bytes: 1 },
            SheetError::TooManyRows { max: 1 },
            SheetError::TooManyCells { max: 1 },
            SheetError::Bomb,
            SheetError::NotASpreadsheet,
            SheetError::Encrypted,
            SheetError::Encoding,
            SheetError::Empty,
            SheetError::Write(String::new()),
        ];
        let keys: std::collections::HashSet<_> = all.iter().map(SheetError::key).collect();
        assert_eq!(keys.len(), all.len());
        assert!(keys.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn a_ten_thousand_row_workbook_reads_quickly() {
        let mut rows = vec![(0..20).map(|c| format!("列{c}")).collect::<Vec<_>>()];
        rows.extend((0..10_000).map(|r| (0..20).map(|c| format!("驿站{r}-{c}")).collect()));
        let bytes = write_xlsx(&rows, "x").unwrap();
        let started = std::time::Instant::now();
        let (sheet, _) = read(&bytes, "a.xlsx", None).unwrap();
        eprintln!("read {} bytes, 10,000 rows × 20 cells, in {:?}", bytes.len(), started.elapsed());
        assert_eq!(sheet.rows, rows);
    }
}
