//! Volunteer supervisors: accounts, the districts they cover, sessions and invites.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::accounts::{Claim, SUPERVISORS};
use super::audit::AuditRecord;
use super::{LoginCheck, Store, StoreError};
use crate::domain::district::District;
use crate::domain::staff::{Role, token_hash};
use crate::domain::supervisor::{Occupation, Supervisor, join_districts, parse_districts};

/// A supervisor invite as stored.
#[derive(Debug, Clone)]
pub struct SupervisorInvite {
    pub districts: Vec<&'static District>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// What a person typed when accepting an invite, checked.
#[derive(Debug, Clone)]
pub struct NewSupervisor {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub phone: String,
    pub occupation: Occupation,
}

const COLUMNS: &str = "s.id, s.username, s.display_name, s.phone, s.occupation, s.suspended_at";

/// A supervisor from a row of [`COLUMNS`] (districts filled in later).
fn from_row(row: &AnyRow) -> Result<Supervisor, sqlx::Error> {
    let occupation: String = row.try_get(4)?;
    Ok(Supervisor {
        id: row.try_get(0)?,
        username: row.try_get(1)?,
        display_name: row.try_get(2)?,
        phone: row.try_get(3)?,
        occupation: Occupation::parse(&occupation).unwrap_or(Occupation::Other),
        districts: Vec::new(),
        suspended: row.try_get::<Option<i64>, _>(5)?.is_some(),
    })
}

impl Store {
    /// Fills in the districts of `list` in one query.
    async fn with_districts(&self, mut list: Vec<Supervisor>) -> Result<Vec<Supervisor>, StoreError> {
        if list.is_empty() {
            return Ok(list);
        }
        let ids: Vec<String> = list.iter().map(|s| s.id.to_string()).collect();
        // Ids come from the database as integers: safe to write into the statement.
        let sql = format!(
            "SELECT supervisor_id, district_code FROM supervisor_districts WHERE supervisor_id IN ({}) \
             ORDER BY district_code",
            ids.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        for row in rows {
            let (id, code): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if let (Some(s), Some(d)) = (list.iter_mut().find(|s| s.id == id), District::parse(&code)) {
                s.districts.push(d);
            }
        }
        Ok(list)
    }

    /// One supervisor (suspended or not).
    pub async fn supervisor(&self, id: i64) -> Result<Option<Supervisor>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM supervisors s WHERE s.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.with_districts(vec![from_row(&row)?]).await?.pop())
    }

    /// The supervisors a member of staff looks after (one of their districts is the
    /// staff member's), by name.
    pub async fn supervisors_for(&self, role: Role) -> Result<Vec<Supervisor>, StoreError> {
        let (cond, district) = match role.district() {
            None => ("TRUE", None),
            Some(d) => (
                "s.id IN (SELECT supervisor_id FROM supervisor_districts WHERE district_code = $1)",
                Some(d.code.to_string()),
            ),
        };
        let sql = format!("SELECT {COLUMNS} FROM supervisors s WHERE {cond} ORDER BY s.display_name, s.id");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(d) = district {
            query = query.bind(d);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let list = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        self.with_districts(list).await
    }

    pub async fn create_supervisor_invite(
        &self,
        token: &str,
        districts: &[&District],
        by: i64,
        now: i64,
        lasts: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO supervisor_invites (token_hash, districts, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(token))
        .bind(join_districts(districts))
        .bind(by)
        .bind(now)
        .bind(now + lasts)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn supervisor_invite(&self, token: &str) -> Result<Option<SupervisorInvite>, StoreError> {
        let row = sqlx::query("SELECT districts, expires_at, used_at FROM supervisor_invites WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SupervisorInvite {
            districts: parse_districts(&row.try_get::<String, _>(0)?),
            expires_at: row.try_get(1)?,
            used_at: row.try_get(2)?,
        }))
    }

    /// Whether a supervisor's username is taken.
    pub async fn supervisor_username_taken(&self, username: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM supervisors WHERE username = $1")
            .bind(username)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Uses an invite and creates the supervisor with its districts in one transaction.
    /// `Ok(None)` when the invite was used meanwhile or the username is taken (nothing written).
    pub async fn accept_supervisor_invite(
        &self,
        token: &str,
        new: &NewSupervisor,
        now: i64,
    ) -> Result<Option<Supervisor>, StoreError> {
        let mut tx = self.write().await?;
        let claimed = sqlx::query(
            "UPDATE supervisor_invites SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING districts, created_by",
        )
        .bind(token_hash(token))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else { return Ok(None) };
        let districts = parse_districts(&claimed.try_get::<String, _>(0)?);
        let invited_by: i64 = claimed.try_get(1)?;
        if districts.is_empty() {
            return Ok(None);
        }
        let row = sqlx::query(
            "INSERT INTO supervisors (username, display_name, password_hash, phone, occupation, invited_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(&new.phone)
        .bind(new.occupation.key())
        .bind(invited_by)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get(0)?;
        for d in &districts {
            sqlx::query("INSERT INTO supervisor_districts (supervisor_id, district_code) VALUES ($1, $2)")
                .bind(id)
                .bind(d.code.to_string())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE supervisor_invites SET used_by = $2 WHERE token_hash = $1")
            .bind(token_hash(token))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(Supervisor {
            id,
            username: new.username.clone(),
            display_name: new.display_name.clone(),
            phone: new.phone.clone(),
            occupation: new.occupation,
            districts,
            suspended: false,
        }))
    }

    /// Claims one login attempt, as [`Store::login_attempt`] does for staff.
    pub async fn supervisor_login_attempt(
        &self,
        username: &str,
        now: i64,
    ) -> Result<LoginCheck<Supervisor>, StoreError> {
        let columns = "id, username, display_name, phone, occupation, suspended_at, password_hash";
        Ok(match self.claim_login(&SUPERVISORS, username, columns, now).await? {
            Claim::Row { row, locks, until } => {
                let password_hash: String = row.try_get(6)?;
                match self.with_districts(vec![from_row(&row)?]).await?.pop() {
                    Some(account) => LoginCheck::Account { account, password_hash, locks, until },
                    None => LoginCheck::NoSuchUser,
                }
            }
            Claim::Locked { until } => LoginCheck::Locked { until },
            Claim::NoSuchUser => LoginCheck::NoSuchUser,
        })
    }

    /// A successful login: clears the failure count and opens a session for `token`.
    pub async fn open_supervisor_session(&self, id: i64, token: &str, now: i64, lasts: i64) -> Result<(), StoreError> {
        self.start_session(&SUPERVISORS, id, token, now, lasts).await
    }

    /// The supervisor a session token belongs to, if the session is live and the
    /// account not suspended.
    pub async fn session_supervisor(&self, token: &str, now: i64) -> Result<Option<Supervisor>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM supervisor_sessions x JOIN supervisors s ON s.id = x.supervisor_id \
             WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.suspended_at IS NULL"
        );
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash(token)).bind(now).fetch_optional(&self.pool).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.with_districts(vec![from_row(&row)?]).await?.pop())
    }

    pub async fn close_supervisor_session(&self, token: &str) -> Result<(), StoreError> {
        self.end_session(&SUPERVISORS, token).await
    }

    /// The stored hash of a supervisor's password.
    pub async fn supervisor_password(&self, id: i64) -> Result<Option<String>, StoreError> {
        self.account_password(&SUPERVISORS, id).await
    }

    /// Sets a supervisor's new password and ends their other sessions.
    pub async fn set_supervisor_password(&self, id: i64, hash: &str, keep_token: &str) -> Result<(), StoreError> {
        self.set_account_password(&SUPERVISORS, id, hash, keep_token).await
    }

    /// Suspends a supervisor (every session ends at once) or lifts the suspension,
    /// with an audit row. `Ok(false)`: it already was so.
    pub async fn set_supervisor_suspended(
        &self,
        id: i64,
        suspend: bool,
        staff_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let query = if suspend {
            sqlx::query("UPDATE supervisors SET suspended_at = $2 WHERE id = $1 AND suspended_at IS NULL RETURNING id")
                .bind(id)
                .bind(now)
        } else {
            sqlx::query(
                "UPDATE supervisors SET suspended_at = NULL, failed_logins = 0, locked_until = 0 \
                 WHERE id = $1 AND suspended_at IS NOT NULL RETURNING id",
            )
            .bind(id)
        };
        let changed = query.fetch_optional(&mut *tx).await?.is_some();
        if !changed {
            tx.rollback().await?;
            return Ok(false);
        }
        if suspend {
            sqlx::query("DELETE FROM supervisor_sessions WHERE supervisor_id = $1").bind(id).execute(&mut *tx).await?;
        }
        let record = AuditRecord {
            entity: "supervisor",
            key: id.to_string(),
            station_id: None,
            action: if suspend { "supervisor_suspend" } else { "supervisor_reinstate" },
            staff_id: Some(staff_id),
            at: now,
        };
        record
            .write(&mut tx, &serde_json::json!({"suspended": !suspend}), &serde_json::json!({"suspended": suspend}))
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
