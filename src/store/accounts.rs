//! What staff and supervisor accounts share, each kind in its own tables: a login
//! attempt counted as a failure before the password is checked (so that guesses in
//! flight cannot outrun the lock), and sessions stored as token hashes.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::domain::staff::{LOCK_AFTER_FAILURES, LOCK_SECONDS, token_hash};

/// The tables of one kind of account.
pub(super) struct AccountTables {
    pub accounts: &'static str,
    pub sessions: &'static str,
    /// The sessions' column naming the account.
    pub owner: &'static str,
}

pub(super) const STAFF: AccountTables =
    AccountTables { accounts: "staff", sessions: "staff_sessions", owner: "staff_id" };
pub(super) const SUPERVISORS: AccountTables =
    AccountTables { accounts: "supervisors", sessions: "supervisor_sessions", owner: "supervisor_id" };

/// What claiming a login attempt found.
pub(super) enum Claim {
    /// The account's row (the columns asked for, then `failed_logins`), the attempt
    /// already counted; `locks` when it used up the last try, locking until `until`.
    Row {
        row: AnyRow,
        locks: bool,
        until: i64,
    },
    Locked {
        until: i64,
    },
    NoSuchUser,
}

impl Store {
    /// The stored hash of an account's password.
    pub(super) async fn account_password(&self, t: &AccountTables, id: i64) -> Result<Option<String>, StoreError> {
        let sql = format!("SELECT password_hash FROM {} WHERE id = $1", t.accounts);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    /// Sets a new password and ends every other session of the account.
    pub(super) async fn set_account_password(
        &self,
        t: &AccountTables,
        id: i64,
        hash: &str,
        keep_token: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let update = format!("UPDATE {} SET password_hash = $2 WHERE id = $1", t.accounts);
        sqlx::query(sqlx::AssertSqlSafe(update)).bind(id).bind(hash).execute(&mut *tx).await?;
        let others = format!("DELETE FROM {} WHERE {} = $1 AND token_hash <> $2", t.sessions, t.owner);
        sqlx::query(sqlx::AssertSqlSafe(others)).bind(id).bind(token_hash(keep_token)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts one login attempt for `username` unless the account is locked.
    pub(super) async fn claim_login(
        &self,
        t: &AccountTables,
        username: &str,
        columns: &str,
        now: i64,
    ) -> Result<Claim, StoreError> {
        let next = "CASE WHEN failed_logins >= $2 THEN 1 ELSE failed_logins + 1 END";
        let sql = format!(
            "UPDATE {} SET failed_logins = {next}, \
             locked_until = CASE WHEN {next} >= $2 THEN $3 ELSE locked_until END \
             WHERE username = $1 AND locked_until <= $4 \
             RETURNING {columns}, failed_logins",
            t.accounts
        );
        // A write with RETURNING goes through a transaction: its COMMIT's error is seen.
        let mut tx = self.write().await?;
        let claimed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(username)
            .bind(LOCK_AFTER_FAILURES)
            .bind(now + LOCK_SECONDS)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(row) = claimed {
            let failures: i64 = row.try_get("failed_logins")?;
            return Ok(Claim::Row { row, locks: failures >= LOCK_AFTER_FAILURES, until: now + LOCK_SECONDS });
        }
        let sql = format!("SELECT locked_until FROM {} WHERE username = $1", t.accounts);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(row) => Claim::Locked { until: row.try_get(0)? },
            None => Claim::NoSuchUser,
        })
    }

    /// A successful login: clears the failure count and opens a session for `token`.
    pub(super) async fn start_session(
        &self,
        t: &AccountTables,
        id: i64,
        token: &str,
        now: i64,
        lasts: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let clear = format!("UPDATE {} SET failed_logins = 0, locked_until = 0 WHERE id = $1", t.accounts);
        sqlx::query(sqlx::AssertSqlSafe(clear)).bind(id).execute(&mut *tx).await?;
        let expired = format!("DELETE FROM {} WHERE expires_at < $1", t.sessions);
        sqlx::query(sqlx::AssertSqlSafe(expired)).bind(now).execute(&mut *tx).await?;
        let insert = format!(
            "INSERT INTO {} (token_hash, {}, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            t.sessions, t.owner
        );
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(token_hash(token))
            .bind(id)
            .bind(now)
            .bind(now + lasts)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the session of `token`.
    pub(super) async fn end_session(&self, t: &AccountTables, token: &str) -> Result<(), StoreError> {
        let sql = format!("DELETE FROM {} WHERE token_hash = $1", t.sessions);
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash(token)).execute(&self.pool).await?;
        Ok(())
    }
}
