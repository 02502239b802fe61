//! Beijing's sixteen districts with their GB/T 2260 codes.

/// A Beijing district (区), identified by its six-digit GB/T 2260 code.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct District {
    pub code: u32,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// Where the map writes the district's name (WGS-84 latitude, longitude).
    pub label_at: (f64, f64),
}

/// All sixteen districts, in the order of their codes.
pub const DISTRICTS: [District; 16] = [
    District { code: 110101, name_zh: "东城区", name_en: "Dongcheng", label_at: (39.928, 116.416) },
    District { code: 110102, name_zh: "西城区", name_en: "Xicheng", label_at: (39.912, 116.366) },
    District { code: 110105, name_zh: "朝阳区", name_en: "Chaoyang", label_at: (39.948, 116.486) },
    District { code: 110106, name_zh: "丰台区", name_en: "Fengtai", label_at: (39.858, 116.287) },
    District { code: 110107, name_zh: "石景山区", name_en: "Shijingshan", label_at: (39.906, 116.196) },
    District { code: 110108, name_zh: "海淀区", name_en: "Haidian", label_at: (39.960, 116.298) },
    District { code: 110109, name_zh: "门头沟区", name_en: "Mentougou", label_at: (39.940, 116.100) },
    District { code: 110111, name_zh: "房山区", name_en: "Fangshan", label_at: (39.735, 116.140) },
    District { code: 110112, name_zh: "通州区", name_en: "Tongzhou", label_at: (39.900, 116.660) },
    District { code: 110113, name_zh: "顺义区", name_en: "Shunyi", label_at: (40.130, 116.650) },
    District { code: 110114, name_zh: "昌平区", name_en: "Changping", label_at: (40.220, 116.230) },
    District { code: 110115, name_zh: "大兴区", name_en: "Daxing", label_at: (39.730, 116.340) },
    District { code: 110116, name_zh: "怀柔区", name_en: "Huairou", label_at: (40.320, 116.630) },
    District { code: 110117, name_zh: "平谷区", name_en: "Pinggu", label_at: (40.140, 117.120) },
    District { code: 110118, name_zh: "密云区", name_en: "Miyun", label_at: (40.380, 116.840) },
    District { code: 110119, name_zh: "延庆区", name_en: "Yanqing", label_at: (40.460, 115.980) },
];

impl District {
    /// Looks a district up by its code.
    pub fn by_code(code: u32) -> Option<&'static District> {
        DISTRICTS.iter().find(|d| d.code == code)
    }

    /// Parses a code as it appears in a URL or a file ("110106").
    pub fn parse(raw: &str) -> Option<&'static District> {
        if raw.len() != 6 {
            return None;
        }
        raw.parse::<u32>().ok().and_then(Self::by_code)
    }

    /// Position of the district in [`DISTRICTS`].
    pub fn index(&self) -> usize {
        DISTRICTS.iter().position(|d| d.code == self.code).unwrap_or(0)
    }

    /// The name in the given language ("zh" or anything else for English).
    pub fn name(&self, zh: bool) -> &'static str {
        if zh { self.name_zh } else { self.name_en }
    }
}

/// A street or town (街道/乡镇) below a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Street {
    pub code: String,
    pub district_code: u32,
    pub name: String,
}

impl Street {
    /// Checks the shape of a street code: nine digits starting with a district code.
    pub fn valid_code(raw: &str) -> bool {
        raw.len() == 9 && raw.bytes().all(|b| b.is_ascii_digit()) && District::parse(&raw[..6]).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_reject() {
        assert_eq!(District::parse("110106").map(|d| d.name_zh), Some("丰台区"));
        assert!(District::parse("110103").is_none(), "崇文 was merged in 2010");
        assert!(District::parse("11010").is_none());
        assert!(District::parse("abcdef").is_none());
        assert!(District::parse("+11010").is_none());
    }

    #[test]
    fn street_codes() {
        assert!(Street::valid_code("110106009"));
        assert!(!Street::valid_code("990106009"));
        assert!(!Street::valid_code("11010600"));
    }
}
