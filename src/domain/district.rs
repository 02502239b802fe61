//! Beijing's sixteen districts with their GB/T 2260 codes.

/// A Beijing district (区), identified by its six-digit GB/T 2260 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct District {
    pub code: u32,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// All sixteen districts, in the order of their codes.
pub const DISTRICTS: [District; 16] = [
    District { code: 110101, name_zh: "东城区", name_en: "Dongcheng" },
    District { code: 110102, name_zh: "西城区", name_en: "Xicheng" },
    District { code: 110105, name_zh: "朝阳区", name_en: "Chaoyang" },
    District { code: 110106, name_zh: "丰台区", name_en: "Fengtai" },
    District { code: 110107, name_zh: "石景山区", name_en: "Shijingshan" },
    District { code: 110108, name_zh: "海淀区", name_en: "Haidian" },
    District { code: 110109, name_zh: "门头沟区", name_en: "Mentougou" },
    District { code: 110111, name_zh: "房山区", name_en: "Fangshan" },
    District { code: 110112, name_zh: "通州区", name_en: "Tongzhou" },
    District { code: 110113, name_zh: "顺义区", name_en: "Shunyi" },
    District { code: 110114, name_zh: "昌平区", name_en: "Changping" },
    District { code: 110115, name_zh: "大兴区", name_en: "Daxing" },
    District { code: 110116, name_zh: "怀柔区", name_en: "Huairou" },
    District { code: 110117, name_zh: "平谷区", name_en: "Pinggu" },
    District { code: 110118, name_zh: "密云区", name_en: "Miyun" },
    District { code: 110119, name_zh: "延庆区", name_en: "Yanqing" },
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
