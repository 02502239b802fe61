//! Photos in the database: the pictures themselves, and which station shows which.

use sqlx::Row;

use super::{AuditRecord, Store, StoreError};
use crate::domain::photo::Processed;

/// Door photos per station.
pub const DOOR_PHOTOS: usize = 1;
/// Inside photos per station.
pub const INSIDE_PHOTOS: usize = 5;

/// Where a station photo is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    /// How to find the entrance: on the first screen of the station page.
    Door,
    Inside,
}

impl PhotoKind {
    pub fn key(self) -> &'static str {
        match self {
            PhotoKind::Door => "door",
            PhotoKind::Inside => "inside",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoKind> {
        match s {
            "door" => Some(PhotoKind::Door),
            "inside" => Some(PhotoKind::Inside),
            _ => None,
        }
    }

    /// How many of this kind a station may have.
    pub fn limit(self) -> usize {
        match self {
            PhotoKind::Door => DOOR_PHOTOS,
            PhotoKind::Inside => INSIDE_PHOTOS,
        }
    }
}

/// A photo shown for a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationPhoto {
    pub station_id: i64,
    pub hash: String,
    pub kind: PhotoKind,
    pub width: u32,
    pub height: u32,
}

/// Where a station photo comes from.
#[derive(Debug, Clone, Copy)]
pub enum PhotoSource<'a> {
    /// Just uploaded and converted.
    Upload(&'a Processed),
    /// Already stored, by its hash (a photo of an accepted report).
    Stored(&'a str),
}

/// What adding a photo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoAdded {
    Added,
    /// The station already shows this picture.
    AlreadyThere,
    /// The station has as many of this kind as it may (for inside photos; a new
    /// door photo replaces the old one).
    Full,
}

/// The large or the small version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    Large,
    Small,
}

impl PhotoSize {
    /// Its column of `photos p` (a fixed name, never from a request).
    fn column(self) -> &'static str {
        match self {
            PhotoSize::Large => "p.large",
            PhotoSize::Small => "p.small",
        }
    }
}

impl Store {
    /// Stores a processed picture once (a second upload of the same is a no-op).
    async fn put_photo(&self, tx: &mut super::Tx, p: &Processed, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO photos (hash, large, small, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(p.hash.clone())
        .bind(p.large.clone())
        .bind(p.small.clone())
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Shows a photo on station `station_id` as `kind`, audited, and bumps the data
    /// version: a new upload, or a photo already stored (one of an accepted report).
    /// A door photo replaces the one before.
    pub async fn add_station_photo(
        &self,
        station_id: i64,
        source: PhotoSource<'_>,
        kind: PhotoKind,
        staff_id: i64,
        now: i64,
    ) -> Result<PhotoAdded, StoreError> {
        let hash = match source {
            PhotoSource::Upload(p) => p.hash.as_str(),
            PhotoSource::Stored(hash) => hash,
        };
        let mut tx = self.write().await?;
        let present: Vec<(String, String)> =
            sqlx::query("SELECT hash, kind FROM station_photos WHERE station_id = $1 ORDER BY added_at, hash")
                .bind(station_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
                .collect::<Result<_, sqlx::Error>>()?;
        if present.iter().any(|(h, _)| h == hash) {
            tx.rollback().await?;
            return Ok(PhotoAdded::AlreadyThere);
        }
        let same_kind: Vec<&String> = present.iter().filter(|(_, k)| k == kind.key()).map(|(h, _)| h).collect();
        let mut replaced = None;
        if same_kind.len() >= kind.limit() {
            if kind == PhotoKind::Inside {
                tx.rollback().await?;
                return Ok(PhotoAdded::Full);
            }
            for old in &same_kind {
                sqlx::query("DELETE FROM station_photos WHERE station_id = $1 AND hash = $2")
                    .bind(station_id)
                    .bind((*old).clone())
                    .execute(&mut *tx)
                    .await?;
            }
            replaced = same_kind.first().map(|h| (*h).clone());
        }
        if let PhotoSource::Upload(photo) = source {
            self.put_photo(&mut tx, photo, now).await?;
        }
        sqlx::query("INSERT INTO station_photos (station_id, hash, kind, added_at) VALUES ($1, $2, $3, $4)")
            .bind(station_id)
            .bind(hash.to_string())
            .bind(kind.key())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let before = serde_json::json!({ "photo": replaced });
        let after = serde_json::json!({ "photo": hash, "photo_kind": kind.key() });
        AuditRecord::station(station_id, "photo_add", Some(staff_id), now).write(&mut tx, &before, &after).await?;
        tx.bump(super::Change::Photos(station_id)).await?;
        tx.commit().await?;
        Ok(PhotoAdded::Added)
    }

    /// Stops showing `hash` on station `station_id`; false when it was not shown there.
    pub async fn remove_station_photo(
        &self,
        station_id: i64,
        hash: &str,
        staff_id: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let removed = sqlx::query("DELETE FROM station_photos WHERE station_id = $1 AND hash = $2 RETURNING kind")
            .bind(station_id)
            .bind(hash.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = removed else {
            tx.rollback().await?;
            return Ok(false);
        };
        let kind: String = row.try_get(0)?;
        let before = serde_json::json!({ "photo": hash, "photo_kind": kind });
        let after = serde_json::json!({ "photo": null });
        AuditRecord::station(station_id, "photo_remove", Some(staff_id), now).write(&mut tx, &before, &after).await?;
        tx.bump(super::Change::Photos(station_id)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every station photo (for the snapshot), by station, door first, then in the order added.
    pub async fn all_station_photos(&self) -> Result<Vec<StationPhoto>, StoreError> {
        self.station_photos_where("TRUE", None).await
    }

    /// One station's photos (for a snapshot patch), door first, then in the order added.
    pub async fn station_photos(&self, station_id: i64) -> Result<Vec<StationPhoto>, StoreError> {
        self.station_photos_where("sp.station_id = $1", Some(station_id)).await
    }

    async fn station_photos_where(
        &self,
        filter: &str,
        station_id: Option<i64>,
    ) -> Result<Vec<StationPhoto>, StoreError> {
        let sql = format!(
            "SELECT sp.station_id, sp.hash, sp.kind, p.width, p.height FROM station_photos sp \
             JOIN photos p ON p.hash = sp.hash WHERE {filter} ORDER BY sp.station_id, sp.kind, sp.added_at, sp.hash"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(id) = station_id {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(2)?;
                Ok(StationPhoto {
                    station_id: r.try_get(0)?,
                    hash: r.try_get(1)?,
                    kind: PhotoKind::parse(&kind)
                        .ok_or_else(|| StoreError::Data("station_photos.kind".into(), kind.clone()))?,
                    width: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                    height: u32::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// The JPEG of a photo shown on a public station page, or `None`.
    pub async fn public_photo(&self, hash: &str, size: PhotoSize) -> Result<Option<Vec<u8>>, StoreError> {
        // Only pictures a public, not revoked station shows.
        let sql = format!(
            "SELECT {} FROM photos p WHERE p.hash = $1 \
             AND EXISTS (SELECT 1 FROM station_photos sp JOIN stations s ON s.id = sp.station_id \
                         WHERE sp.hash = p.hash AND s.status <> 'revoked')",
            size.column()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash.to_string()).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
    }
}

/// Photos an inspection report may have.
pub const REPORT_PHOTOS: usize = 4;

/// A photo of a report: its name and the large version's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPhoto {
    pub hash: String,
    pub width: u32,
    pub height: u32,
}

fn report_photo(r: &sqlx::any::AnyRow) -> Result<ReportPhoto, sqlx::Error> {
    Ok(ReportPhoto {
        hash: r.try_get(0)?,
        width: u32::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
        height: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
    })
}

impl Store {
    /// Keeps `photo` under a report form's submission key; false when the form already
    /// has [`REPORT_PHOTOS`] (nothing written). The same picture twice is kept once.
    pub async fn add_report_photo(
        &self,
        submission: &str,
        supervisor_id: i64,
        photo: &Processed,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let held: Vec<String> =
            sqlx::query("SELECT hash FROM report_photos WHERE submission = $1 AND supervisor_id = $2")
                .bind(submission.to_string())
                .bind(supervisor_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
        if held.contains(&photo.hash) {
            tx.rollback().await?;
            return Ok(true);
        }
        if held.len() >= REPORT_PHOTOS {
            tx.rollback().await?;
            return Ok(false);
        }
        self.put_photo(&mut tx, photo, now).await?;
        sqlx::query("INSERT INTO report_photos (submission, supervisor_id, hash, added_at) VALUES ($1, $2, $3, $4)")
            .bind(submission.to_string())
            .bind(supervisor_id)
            .bind(photo.hash.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The photos kept under a form's submission key, in the order received.
    pub async fn form_photos(&self, submission: &str, supervisor_id: i64) -> Result<Vec<ReportPhoto>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.hash, p.width, p.height FROM report_photos rp JOIN photos p ON p.hash = rp.hash \
             WHERE rp.submission = $1 AND rp.supervisor_id = $2 ORDER BY rp.added_at, rp.hash",
        )
        .bind(submission.to_string())
        .bind(supervisor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(report_photo).collect::<Result<_, _>>()?)
    }

    /// The photos of report `report_id`.
    pub async fn report_photos(&self, report_id: i64) -> Result<Vec<ReportPhoto>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.hash, p.width, p.height FROM inspection_reports r \
             JOIN report_photos rp ON rp.submission = r.submission AND rp.supervisor_id = r.supervisor_id \
             JOIN photos p ON p.hash = rp.hash WHERE r.id = $1 ORDER BY rp.added_at, rp.hash",
        )
        .bind(report_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(report_photo).collect::<Result<_, _>>()?)
    }

    /// The JPEG of a picture `supervisor_id` took for one of their reports or forms.
    pub async fn supervisor_photo(
        &self,
        hash: &str,
        supervisor_id: i64,
        size: PhotoSize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = format!(
            "SELECT {} FROM photos p WHERE p.hash = $1 AND EXISTS \
             (SELECT 1 FROM report_photos rp WHERE rp.hash = p.hash AND rp.supervisor_id = $2)",
            size.column()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash.to_string())
            .bind(supervisor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
    }

    /// The JPEG of a photo of report `report_id` (the caller has checked who may see the report).
    pub async fn report_photo_bytes(
        &self,
        report_id: i64,
        hash: &str,
        size: PhotoSize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = format!(
            "SELECT {} FROM photos p JOIN report_photos rp ON rp.hash = p.hash \
             JOIN inspection_reports r ON r.submission = rp.submission AND r.supervisor_id = rp.supervisor_id \
             WHERE r.id = $1 AND p.hash = $2",
            size.column()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(report_id)
            .bind(hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
    }
}
