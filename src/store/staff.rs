//! Staff accounts, their sessions and invites.

use sqlx::Row;

use super::accounts::{Claim, STAFF};
use super::{Store, StoreError};
use crate::domain::staff::{Role, Staff, token_hash};

/// What a login attempt found.
#[derive(Debug)]
pub enum LoginCheck<A = Staff> {
    /// The attempt was counted as a failure before the caller verifies the password
    /// against `password_hash` (a success clears the count). `locks` says this attempt
    /// used up the last try: the account is locked until `until` unless it succeeds.
    Account {
        account: A,
        password_hash: String,
        locks: bool,
        until: i64,
    },
    Locked {
        until: i64,
    },
    NoSuchUser,
}
/// An invite as stored.
#[derive(Debug, Clone)]
pub struct Invite {
    pub role: Role,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

fn staff_from_row(row: &sqlx::any::AnyRow) -> Result<Option<Staff>, sqlx::Error> {
    let role_key: String = row.try_get("role")?;
    let district: Option<String> = row.try_get("district_code")?;
    Ok(Role::from_parts(&role_key, district.as_deref()).map(|role| Staff {
        id: row.try_get("id").unwrap_or_default(),
        username: row.try_get("username").unwrap_or_default(),
        display_name: row.try_get("display_name").unwrap_or_default(),
        role,
    }))
}

/// Adds an account on `conn` (a pool connection or a transaction); `Ok(None)` when the
/// username is taken.
async fn insert_staff(
    conn: &mut sqlx::AnyConnection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "INSERT INTO staff (username, display_name, password_hash, role, district_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(role.key())
    .bind(role.district().map(|d| d.code.to_string()))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
}

const STAFF_COLUMNS: &str = "staff.id, staff.username, staff.display_name, staff.role, staff.district_code";

impl Store {
    /// Adds an account; `Ok(None)` when the username is taken.
    pub async fn create_staff(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let id = insert_staff(&mut tx, username, display_name, password_hash, role, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every account, for the city administrators' staff page.
    pub async fn all_staff(&self) -> Result<Vec<Staff>, StoreError> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY staff.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        Ok(rows.iter().filter_map(|r| staff_from_row(r).transpose()).collect::<Result<_, _>>()?)
    }

    /// Claims one login attempt for `username`: counted as a failure at once, in one
    /// statement, so that parallel guesses cannot all pass a check made before the
    /// (slow) password hash. At most `LOCK_AFTER_FAILURES` attempts are let through
    /// per lock period; the count starts again once a lock has run out.
    pub async fn login_attempt(&self, username: &str, now: i64) -> Result<LoginCheck, StoreError> {
        let columns = "id, username, display_name, role, district_code, password_hash";
        Ok(match self.claim_login(&STAFF, username, columns, now).await? {
            Claim::Row { row, locks, until } => match staff_from_row(&row)? {
                Some(account) => {
                    LoginCheck::Account { account, password_hash: row.try_get("password_hash")?, locks, until }
                }
                None => LoginCheck::NoSuchUser,
            },
            Claim::Locked { until } => LoginCheck::Locked { until },
            Claim::NoSuchUser => LoginCheck::NoSuchUser,
        })
    }

    /// A successful login: clears the failure count and opens a session for `token`.
    pub async fn open_session(&self, staff_id: i64, token: &str, now: i64, lasts: i64) -> Result<(), StoreError> {
        self.start_session(&STAFF, staff_id, token, now, lasts).await
    }

    /// The staff member a session token belongs to, if the session is live.
    pub async fn session_staff(&self, token: &str, now: i64) -> Result<Option<Staff>, StoreError> {
        let sql = format!(
            "SELECT {STAFF_COLUMNS} FROM staff_sessions JOIN staff ON staff.id = staff_sessions.staff_id \
             WHERE staff_sessions.token_hash = $1 AND staff_sessions.expires_at > $2"
        );
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash(token)).bind(now).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| staff_from_row(&r)).transpose()?.flatten())
    }

    pub async fn close_session(&self, token: &str) -> Result<(), StoreError> {
        self.end_session(&STAFF, token).await
    }

    /// The stored hash of a staff account's password.
    pub async fn password_hash(&self, staff_id: i64) -> Result<Option<String>, StoreError> {
        self.account_password(&STAFF, staff_id).await
    }

    /// Sets a new password and ends every other session of the account.
    pub async fn set_password(&self, staff_id: i64, hash: &str, keep_token: &str) -> Result<(), StoreError> {
        self.set_account_password(&STAFF, staff_id, hash, keep_token).await
    }

    pub async fn create_invite(
        &self,
        token: &str,
        role: Role,
        by: i64,
        now: i64,
        lasts: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO invites (token_hash, role, district_code, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(token))
        .bind(role.key())
        .bind(role.district().map(|d| d.code.to_string()))
        .bind(by)
        .bind(now)
        .bind(now + lasts)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn invite(&self, token: &str) -> Result<Option<Invite>, StoreError> {
        let row = sqlx::query("SELECT role, district_code, expires_at, used_at FROM invites WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let district: Option<String> = row.try_get(1)?;
        Ok(Role::from_parts(&row.try_get::<String, _>(0)?, district.as_deref()).map(|role| Invite {
            role,
            expires_at: row.try_get(2).unwrap_or_default(),
            used_at: row.try_get(3).ok().flatten(),
        }))
    }

    /// Uses an invite and creates its account in one transaction. `Ok(None)` when the
    /// invite was used meanwhile or the username is taken (nothing is written then).
    pub async fn accept_invite(
        &self,
        token: &str,
        username: &str,
        display_name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<Staff>, StoreError> {
        let mut tx = self.write().await?;
        let claimed = sqlx::query(
            "UPDATE invites SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING role, district_code",
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else { return Ok(None) };
        let district: Option<String> = claimed.try_get(1)?;
        let Some(role) = Role::from_parts(&claimed.try_get::<String, _>(0)?, district.as_deref()) else {
            return Ok(None);
        };
        let Some(id) = insert_staff(&mut tx, username, display_name, password_hash, role, now).await? else {
            return Ok(None);
        };
        sqlx::query("UPDATE invites SET used_by = $2 WHERE token_hash = $1")
            .bind(token_hash(token))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(Staff { id, username: username.into(), display_name: display_name.into(), role }))
    }

    /// Whether a username is taken.
    pub async fn username_taken(&self, username: &str) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) FROM staff WHERE username = $1").bind(username).fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// The cookie-signing key shared by every instance on this database: made once, kept in `meta`.
    pub async fn secret_key(&self) -> Result<String, StoreError> {
        if let Some(key) = self.meta("secret_key").await? {
            return Ok(key);
        }
        let fresh: String = (0..4).map(|_| crate::domain::staff::new_token()).collect();
        // Two instances starting at once: the first insert wins and both read it back.
        sqlx::query("INSERT INTO meta (key, value) VALUES ('secret_key', $1) ON CONFLICT (key) DO NOTHING")
            .bind(&fresh)
            .execute(&self.pool)
            .await?;
        Ok(self.meta("secret_key").await?.unwrap_or(fresh))
    }
}
