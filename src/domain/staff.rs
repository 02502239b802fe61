//! Staff of the unions: roles, what each may touch, passwords and one-time tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use super::district::District;

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// City union (市总工会): every district, staff accounts and the audit log.
    CityAdmin,
    /// A district union (区总工会): that district's stations and feedback only.
    DistrictStaff(&'static District),
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::CityAdmin => "city_admin",
            Role::DistrictStaff(_) => "district_staff",
        }
    }

    /// From the stored role key and district code.
    pub fn from_parts(key: &str, district: Option<&str>) -> Option<Role> {
        match (key, district) {
            ("city_admin", None) => Some(Role::CityAdmin),
            ("district_staff", Some(code)) => District::parse(code).map(Role::DistrictStaff),
            _ => None,
        }
    }

    pub fn district(self) -> Option<&'static District> {
        match self {
            Role::CityAdmin => None,
            Role::DistrictStaff(d) => Some(d),
        }
    }

    pub fn is_admin(self) -> bool {
        self == Role::CityAdmin
    }

    /// Whether this role may see and change data of `district`.
    pub fn covers(self, district: &District) -> bool {
        match self {
            Role::CityAdmin => true,
            Role::DistrictStaff(d) => d.code == district.code,
        }
    }
}

/// What a signed-in person may see: the whole city (a city administrator) or some
/// districts (district staff: theirs; a supervisor: the ones named in their invite).
/// Every scoped store query builds its condition from it (`store::in_scope`), and the
/// snapshot lists a scope's stations (`Snapshot::entries_in`).
#[derive(Debug, Clone, PartialEq)]
pub enum StaffScope {
    City,
    Districts(Vec<&'static District>),
}

impl StaffScope {
    pub fn covers(&self, district: &District) -> bool {
        match self {
            StaffScope::City => true,
            StaffScope::Districts(ds) => ds.iter().any(|d| d.code == district.code),
        }
    }
}

impl From<Role> for StaffScope {
    fn from(role: Role) -> StaffScope {
        match role {
            Role::CityAdmin => StaffScope::City,
            Role::DistrictStaff(d) => StaffScope::Districts(vec![d]),
        }
    }
}

impl Role {
    /// The districts this role sees.
    pub fn scope(self) -> StaffScope {
        self.into()
    }
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 is slow on purpose: do not feed it megabytes).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Failed logins in a row that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long a locked account stays locked, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// How long an invite link is valid, in seconds.
pub const INVITE_SECONDS: i64 = 72 * 3600;
/// How long a staff session lasts, in seconds.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// Why a username or password was refused (a locale key suffix).
pub fn check_username(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim().to_ascii_lowercase();
    if !(3..=32).contains(&name.len()) {
        return Err("username_length");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("username_chars");
    }
    Ok(name)
}

pub fn check_password(raw: &str) -> Result<(), &'static str> {
    let n = raw.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err("password_short");
    }
    if n > MAX_PASSWORD_CHARS {
        return Err("password_long");
    }
    Ok(())
}

/// An argon2id hash (PHC string) with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string (false for a broken hash).
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A random token of 128 bits as 32 hex digits (session ids, invite links, form keys).
pub fn new_token() -> String {
    let bits: u128 = rand::random();
    format!("{bits:032x}")
}

/// What the database keeps of a token: its SHA-256, so a leaked table opens nothing.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a text has the shape of [`new_token`] (checked before touching the database).
pub fn is_token(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse battery!", &phc));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(phc, hash_password("correct horse battery").unwrap(), "salted");
        assert_eq!(check_password("short"), Err("password_short"));
        assert_eq!(check_password(&"p".repeat(129)), Err("password_long"));
    }

    #[test]
    fn roles_cover_their_districts() {
        let fengtai = District::parse("110106").unwrap();
        let chaoyang = District::parse("110105").unwrap();
        let staff = Role::DistrictStaff(fengtai);
        assert!(staff.covers(fengtai));
        assert!(!staff.covers(chaoyang));
        assert!(Role::CityAdmin.covers(chaoyang));
        assert_eq!(Role::from_parts("district_staff", Some("110106")), Some(staff));
        assert_eq!(Role::from_parts("district_staff", None), None);
        assert_eq!(Role::from_parts("city_admin", None), Some(Role::CityAdmin));
    }

    #[test]
    fn usernames_and_tokens() {
        assert_eq!(check_username(" Wang.Li "), Ok("wang.li".into()));
        assert_eq!(check_username("王丽"), Err("username_chars"));
        assert_eq!(check_username("ab"), Err("username_length"));
        let t = new_token();
        assert!(is_token(&t));
        assert!(!is_token("' OR 1=1 --"));
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(token_hash(&t), t);
    }
}
