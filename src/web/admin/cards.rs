//! Warning cards (黄牌 / 红牌) as staff see them: raised after a decision that
//! completes the count (an accepted failed inspection, a confirmed "closed" report),
//! turned red after the deadline, listed per district; a city administrator may lift
//! one or revoke the station.

use crate::web::context::{Page, StaffPage};
use crate::web::prelude::*;
use chrono::NaiveDate;

use super::AdminCtx;
use crate::domain::card::{CardLevel, CardReason};
use crate::domain::feedback::multi_line;
use crate::domain::filter::{ParamError, Problem};
use crate::domain::followup::MAX_COMMENT_CHARS;
use crate::domain::staff::Role;
use crate::store::{Card, Lifted};

/// The problem texts of the follow-up a card opens, by reason (failed inspections,
/// closed reports), in Chinese: the language of the union office that will act on it.
pub fn problem_texts() -> [std::borrow::Cow<'static, str>; 2] {
    [Lang::Zh.t("card.problem.failed_inspections"), Lang::Zh.t("card.problem.closed_reports")]
}

/// Turns the cards past their deadline red (the periodic chore does the same; a
/// page that lists cards does not wait for it).
pub async fn escalate(state: &AppState) -> Result<(), AppError> {
    state.store.escalate_cards(state.clock.today(), state.clock.now()).await?;
    Ok(())
}

/// "2 warning cards open, 1 red", when any are: for the staff home.
pub async fn open_line(state: &AppState, lang: Lang, role: Role) -> Result<Option<String>, AppError> {
    escalate(state).await?;
    let cards = state.store.cards_for(role, false).await?;
    let red = cards.iter().filter(|c| c.level == CardLevel::Red).count();
    Ok((!cards.is_empty())
        .then(|| lang.tf("admin.cards.banner", &[("n", &cards.len().to_string()), ("red", &red.to_string())])))
}

/// A card in words.
pub struct CardView {
    pub id: i64,
    pub level_key: &'static str,
    pub level: String,
    pub station_id: i64,
    pub station_name: String,
    pub reason: String,
    /// Links to the reports or feedback that gave it: (label, href).
    pub evidence: Vec<(String, String)>,
    pub deadline: String,
    pub past_deadline: bool,
    pub followup: Option<i64>,
    pub opened: String,
    /// For a closed card: how and when it ended, with the note.
    pub ended: Option<String>,
    pub note: String,
}

impl CardView {
    fn new(lang: Lang, c: &Card, today: NaiveDate) -> CardView {
        let evidence = c
            .evidence
            .iter()
            .map(|id| match c.reason {
                CardReason::FailedInspections => {
                    (lang.tf("followup.source.report", &[("id", &id.to_string())]), format!("/admin/reports/{id}"))
                }
                CardReason::ClosedReports => {
                    (lang.tf("followup.source.feedback", &[("id", &id.to_string())]), format!("/admin/feedback/{id}"))
                }
            })
            .collect();
        let ended = match (c.closed_how, c.closed_at) {
            (Some(how), Some(at)) => {
                Some(format!("{} · {}", lang.label("admin.cards.ended", how.key()), date_time(at)))
            }
            _ => None,
        };
        CardView {
            id: c.id,
            level_key: c.level.key(),
            level: lang.label("card.level", c.level.key()).into_owned(),
            station_id: c.station_id,
            station_name: c.station_name.clone(),
            reason: lang.label("card.reason", c.reason.key()).into_owned(),
            evidence,
            deadline: c.deadline.format("%Y-%m-%d").to_string(),
            past_deadline: c.closed_at.is_none() && today > c.deadline,
            followup: c.followup_id,
            opened: date_time(c.opened_at),
            ended,
            note: c.closed_note.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/cards.html")]
struct ListPage {
    ctx: PageCtx,
    admin: AdminCtx,
    closed: bool,
    rows: Vec<CardView>,
    error: Option<(i64, String)>,
}

pub async fn list(StaffPage { req, lang, state, signed, .. }: StaffPage) -> Result<impl Responder, AppError> {
    let pairs = query_pairs(&req)?;
    let closed = match param(&pairs, "show") {
        "" | "open" => false,
        "closed" => true,
        other => return Err(ParamError::new("show", other, Problem::BadValue).into()),
    };
    list_page(&req, lang, &state, &signed, closed, None).await
}

async fn list_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    signed: &SignedIn,
    closed: bool,
    error: Option<(i64, String)>,
) -> Result<actix_web::CustomizeResponder<ListPage>, AppError> {
    escalate(state).await?;
    let today = state.clock.today();
    let rows =
        state.store.cards_for(signed.staff.role, closed).await?.iter().map(|c| CardView::new(lang, c, today)).collect();
    let csrf = Csrf::for_request(req, state);
    let page = ListPage {
        ctx: PageCtx::new(req, lang, state),
        admin: AdminCtx::new(req, lang, state, signed, &csrf),
        closed,
        rows,
        error,
    };
    Ok(csrf.apply(page))
}

/// A city administrator lifts an open card, with a reason.
pub async fn lift(
    Page { req, lang, state, .. }: Page,
    admin: Admin,
    id: Id<crate::store::Card>,
    form: Posted,
) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let card = state.store.card_for(id, admin.0.staff.role).await?.ok_or(AppError::NotFound)?;
    let note = match multi_line(form.get("note"), MAX_COMMENT_CHARS) {
        Ok(note) => note,
        Err(_) => {
            let message = lang.tf("admin.cards.note_needed", &[("max", &MAX_COMMENT_CHARS.to_string())]);
            let page = list_page(&req, lang, &state, &admin.0, false, Some((id, message))).await?;
            let mut res = page.respond_to(&req).map_into_boxed_body();
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let done = match state.store.lift_card(&card, &note, &admin.0.staff, state.clock.now()).await? {
        Lifted::Done => {
            state.show_writes().await;
            "card_lifted"
        }
        Lifted::AlreadyClosed => "nothing",
    };
    Ok(see_other(&format!("/admin/cards?done={done}")))
}
