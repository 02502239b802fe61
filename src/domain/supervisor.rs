//! Volunteer supervisors (义务监督员): workers who check stations for the district
//! unions. They are not staff: they see their own districts' stations and their own
//! reports, nothing else.

use super::district::District;
use super::staff::{Role, StaffScope};

/// What a supervisor does for a living (they are outdoor workers themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupation {
    Courier,
    Rider,
    RideHail,
    Truck,
    Sanitation,
    Other,
}

impl Occupation {
    pub const ALL: [Occupation; 6] = [
        Occupation::Courier,
        Occupation::Rider,
        Occupation::RideHail,
        Occupation::Truck,
        Occupation::Sanitation,
        Occupation::Other,
    ];

    /// The stable key stored and posted.
    pub fn key(self) -> &'static str {
        match self {
            Occupation::Courier => "courier",
            Occupation::Rider => "rider",
            Occupation::RideHail => "ride_hail",
            Occupation::Truck => "truck",
            Occupation::Sanitation => "sanitation",
            Occupation::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Occupation> {
        Occupation::ALL.into_iter().find(|o| o.key() == raw)
    }
}

/// A supervisor's account.
#[derive(Debug, Clone)]
pub struct Supervisor {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: String,
    pub occupation: Occupation,
    /// The districts staff assigned; never empty for an account made from an invite.
    pub districts: Vec<&'static District>,
    /// Suspended by staff: cannot sign in, and open sessions ended.
    pub suspended: bool,
}

impl Supervisor {
    /// The districts this supervisor inspects.
    pub fn scope(&self) -> StaffScope {
        StaffScope::Districts(self.districts.clone())
    }

    /// Whether this supervisor may inspect stations of `district`.
    pub fn covers(&self, district: &District) -> bool {
        self.districts.iter().any(|d| d.code == district.code)
    }

    /// Whether a member of staff with `role` looks after this supervisor (one of
    /// their districts is the staff member's).
    pub fn managed_by(&self, role: Role) -> bool {
        self.districts.iter().any(|d| role.covers(d))
    }
}

/// District codes as stored ("110106,110105"), unknown codes dropped.
pub fn parse_districts(raw: &str) -> Vec<&'static District> {
    let mut out: Vec<&'static District> = raw.split(',').filter_map(|c| District::parse(c.trim())).collect();
    out.sort_by_key(|d| d.code);
    out.dedup_by_key(|d| d.code);
    out
}

/// District codes for storing.
pub fn join_districts(districts: &[&District]) -> String {
    districts.iter().map(|d| d.code.to_string()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupations_round_trip() {
        for o in Occupation::ALL {
            assert_eq!(Occupation::parse(o.key()), Some(o));
        }
        assert_eq!(Occupation::parse("pilot"), None);
    }

    #[test]
    fn districts_and_scope() {
        let ds = parse_districts("110106,110105,bogus,110106");
        assert_eq!(join_districts(&ds), "110105,110106");
        let s = Supervisor {
            id: 1,
            username: "zhang".into(),
            display_name: "张三".into(),
            phone: "13800138000".into(),
            occupation: Occupation::Rider,
            districts: ds,
            suspended: false,
        };
        let fengtai = District::parse("110106").unwrap();
        let daxing = District::parse("110115").unwrap();
        assert!(s.covers(fengtai) && !s.covers(daxing));
        assert!(s.managed_by(Role::DistrictStaff(fengtai)));
        assert!(!s.managed_by(Role::DistrictStaff(daxing)));
        assert!(s.managed_by(Role::CityAdmin));
    }
}
