//! Station photos for staff: add a door or an inside photo (an upload, or a photo of
//! an accepted inspection report), remove one.

use super::stations::station_for;
use crate::domain::inspection::ReportState;
use crate::domain::photo::{PhotoError, is_hash};
use crate::domain::station::Station;
use crate::store::{PhotoAdded, PhotoKind, PhotoSource};
use crate::web::photos::{read_upload, refused};
use crate::web::prelude::*;

/// What adding a photo did, as the flash key of the page sent to; a photo shown
/// anew appears on the public pages at once.
async fn answer(state: &AppState, added: PhotoAdded) -> Result<&'static str, AppError> {
    if added == PhotoAdded::Added {
        state.show_writes().await;
    }
    Ok(match added {
        PhotoAdded::Added => "photo_added",
        PhotoAdded::AlreadyThere => "photo_already",
        PhotoAdded::Full => "photo_full",
    })
}

/// `POST /admin/stations/{id}/photos` (multipart): `kind` (door or inside) and `photo`.
pub async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<Station>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    // Scope first: another district's station is "not found" before anything is read.
    let station = station_for(&state, &signed.staff, id.get()).await?;
    let _place = state.photos.admit()?;
    let upload = read_upload(&req, &state, payload, 1).await?;
    let kind =
        PhotoKind::parse(upload.form.get("kind")).ok_or(AppError::Page(StatusCode::BAD_REQUEST, "photo_kind"))?;
    let photo = upload.photos.into_iter().next().ok_or(refused(PhotoError::Empty))?;
    let processed = state.photos.convert(photo).await?;
    let added = state
        .store
        .add_station_photo(station.id, PhotoSource::Upload(&processed), kind, signed.staff.id, state.clock.now())
        .await?;
    Ok(see_other(&format!("/admin/stations/{}?done={}#photos", station.id, answer(&state, added).await?)))
}

/// `POST /admin/reports/{id}/photos/{hash}/use`: a photo of an accepted report is
/// shown on its station as `kind` (door or inside).
pub async fn from_report(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<crate::store::Report>,
    path: web::Path<(String, String)>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let (_, hash) = path.into_inner();
    let id = id.get();
    // Another district's report, or a photo not of this report, is "not found".
    let report = state.store.report_for(id, signed.staff.role).await?.ok_or(AppError::NotFound)?;
    if !is_hash(&hash) || !state.store.report_photos(id).await?.iter().any(|p| p.hash == hash) {
        return Err(AppError::NotFound);
    }
    if report.state != ReportState::Accepted {
        return Err(AppError::Page(StatusCode::CONFLICT, "photo_not_accepted"));
    }
    let kind = PhotoKind::parse(form.get("kind")).ok_or(AppError::Page(StatusCode::BAD_REQUEST, "photo_kind"))?;
    let station = station_for(&state, &signed.staff, report.station_id).await?;
    let added = state
        .store
        .add_station_photo(station.id, PhotoSource::Stored(&hash), kind, signed.staff.id, state.clock.now())
        .await?;
    Ok(see_other(&format!("/admin/reports/{id}?done={}", answer(&state, added).await?)))
}

/// `POST /admin/stations/{id}/photos/{hash}/remove`: the station stops showing it.
pub async fn remove(
    state: web::Data<AppState>,
    signed: SignedIn,
    id: Id<Station>,
    path: web::Path<(String, String)>,
    _form: Posted,
) -> Result<HttpResponse, AppError> {
    let (_, hash) = path.into_inner();
    let station = station_for(&state, &signed.staff, id.get()).await?;
    if !is_hash(&hash) {
        return Err(AppError::NotFound);
    }
    if !state.store.remove_station_photo(station.id, &hash, signed.staff.id, state.clock.now()).await? {
        return Err(AppError::NotFound);
    }
    state.show_writes().await;
    Ok(see_other(&format!("/admin/stations/{}?done=photo_removed#photos", station.id)))
}
