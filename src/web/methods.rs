//! HEAD on every GET route, and 405 with `Allow` for a method a path does not take.
//!
//! Routes are registered one handler per method (`#[get]`, `#[post]`), so the router
//! itself cannot tell "wrong method" from "no such page": [`ROUTES`] lists every path
//! and its methods for that, and `tests/api/hostile.rs` asks each of them.

use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};

use super::error::AppError;

/// Methods a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Get,
    Post,
    GetPost,
}

/// Every path pattern the site answers, with its methods (keep in step with `web::routes`).
pub const ROUTES: &[(&str, Takes)] = &[
    ("/", Takes::Get),
    ("/stations", Takes::Get),
    ("/stations/{id}", Takes::Get),
    ("/stations/{id}/feedback", Takes::Post),
    ("/feedback/mine", Takes::Get),
    ("/feedback/{receipt}", Takes::Get),
    ("/lang/{code}", Takes::Get),
    ("/map", Takes::Get),
    ("/near", Takes::Get),
    ("/open-data", Takes::Get),
    ("/api/map", Takes::Get),
    ("/api/stations", Takes::Get),
    ("/api/stations.geojson", Takes::Get),
    ("/api/stations.csv", Takes::Get),
    ("/api/stations/{id}/hours", Takes::Get),
    ("/healthz", Takes::Get),
    ("/readyz", Takes::Get),
    ("/static/{path:.*}", Takes::Get),
    ("/admin", Takes::Get),
    ("/admin/login", Takes::GetPost),
    ("/admin/logout", Takes::Post),
    ("/admin/password", Takes::GetPost),
    ("/invite/{token}", Takes::GetPost),
    ("/admin/feedback", Takes::Get),
    ("/admin/feedback/bulk", Takes::Post),
    ("/admin/feedback/{id}", Takes::GetPost),
    ("/admin/stations", Takes::Get),
    ("/admin/stations/{id}", Takes::GetPost),
    ("/admin/new-station", Takes::GetPost),
    ("/admin/stations/{id}/status", Takes::Post),
    ("/admin/stations/{id}/honours", Takes::Post),
    ("/admin/stations/{id}/story", Takes::Post),
    ("/admin/stations/{id}/photos", Takes::Post),
    ("/admin/stations/{id}/photos/{hash}/remove", Takes::Post),
    ("/photos/{hash}/{file}", Takes::Get),
    ("/admin/calendar", Takes::GetPost),
    ("/admin/figures", Takes::Get),
    ("/admin/figures.csv", Takes::Get),
    ("/admin/reports", Takes::Get),
    ("/admin/reports/{id}", Takes::GetPost),
    ("/admin/reports/{id}/photos/{hash}/{file}", Takes::Get),
    ("/admin/reports/{id}/photos/{hash}/use", Takes::Post),
    ("/supervise/photos/{hash}/{file}", Takes::Get),
    ("/supervise/password", Takes::GetPost),
    ("/s/{code}", Takes::Get),
    ("/stats", Takes::Get),
    ("/showcase", Takes::Get),
    ("/showcase/{id}", Takes::Get),
    ("/bulletin", Takes::Get),
    ("/bulletin/{month}", Takes::Get),
    ("/bulletin/{month}/{district}", Takes::Get),
    ("/admin/cards", Takes::Get),
    ("/admin/ledger", Takes::Get),
    ("/admin/proposals", Takes::Get),
    ("/admin/proposals/{id}/reject", Takes::Post),
    ("/supervise/propose", Takes::GetPost),
    ("/admin/ledger/import", Takes::Post),
    ("/admin/ledger/apply", Takes::Post),
    ("/admin/ledger/rejected", Takes::Get),
    ("/admin/ledger/export", Takes::Get),
    ("/admin/ledger/template", Takes::Get),
    ("/admin/cards/{id}/lift", Takes::Post),
    ("/admin/followups", Takes::Get),
    ("/admin/followups/new", Takes::GetPost),
    ("/admin/followups/{id}", Takes::GetPost),
    ("/admin/supervisors", Takes::Get),
    ("/admin/supervisors/invite", Takes::Post),
    ("/admin/supervisors/{id}/status", Takes::Post),
    ("/supervise", Takes::Get),
    ("/supervise/join/{token}", Takes::GetPost),
    ("/supervise/login", Takes::GetPost),
    ("/supervise/logout", Takes::Post),
    ("/supervise/reports/{id}", Takes::Get),
    ("/supervise/followups/{id}", Takes::GetPost),
    ("/supervise/suggestions/new", Takes::GetPost),
    ("/supervise/suggestions/{id}", Takes::Get),
    ("/admin/suggestions", Takes::Get),
    ("/admin/suggestions/{id}", Takes::GetPost),
    ("/suggestions", Takes::Get),
    ("/supervise/stations/{id}/report", Takes::GetPost),
    ("/admin/staff", Takes::Get),
    ("/admin/invites", Takes::Post),
    ("/admin/audit", Takes::Get),
    ("/print", Takes::Get),
    ("/stations/{id}/poster", Takes::Get),
    ("/stations/{id}/poster.svg", Takes::Get),
    ("/districts/{code}/poster", Takes::Get),
    ("/districts/{code}/poster.svg", Takes::Get),
];

static PATTERNS: LazyLock<Vec<(ResourceDef, Takes)>> =
    LazyLock::new(|| ROUTES.iter().map(|(p, t)| (ResourceDef::new(*p), *t)).collect());

/// The `Allow` value for `path`, or `None` when no route has this path.
pub fn allowed(path: &str) -> Option<&'static str> {
    let (mut get, mut post) = (false, false);
    for (def, takes) in PATTERNS.iter() {
        if def.is_match(path) {
            get |= matches!(takes, Takes::Get | Takes::GetPost);
            post |= matches!(takes, Takes::Post | Takes::GetPost);
        }
    }
    match (get, post) {
        (true, true) => Some("GET, HEAD, POST"),
        (true, false) => Some("GET, HEAD"),
        (false, true) => Some("POST"),
        (false, false) => None,
    }
}

/// Middleware: a HEAD request is answered as a GET. The connection already knows it
/// was HEAD and sends the headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// The default service: 405 with `Allow` when the path exists, else 404.
pub async fn unmatched(req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    match allowed(req.path()) {
        Some(allow) => Err(AppError::MethodNotAllowed(allow)),
        None => Err(AppError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each handler of the web layer: its method, path and the text from its attribute
    /// to the next attribute (signature and body).
    fn handlers() -> Vec<(&'static str, String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(&'static str, String, String)>) {
            for entry in std::fs::read_dir(dir).expect("read src/web") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read");
                    for (attr, method) in [("#[get(\"", "GET"), ("#[post(\"", "POST")] {
                        for piece in text.split(attr).skip(1) {
                            let route = piece.split('"').next().unwrap_or_default().to_string();
                            let code = piece.split("\n#[").next().unwrap_or_default().to_string();
                            out.push((method, route, code));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web"), &mut found);
        assert!(found.len() > 30, "{}", found.len());
        found.retain(|(_, route, _)| route.starts_with('/'));
        found
    }

    /// Every `#[get("…")]` and `#[post("…")]` of the web layer has its line in `ROUTES`,
    /// so a new route cannot answer 404 to a wrong method instead of 405.
    #[test]
    fn every_route_is_listed() {
        let missing: Vec<String> = handlers()
            .into_iter()
            .filter(|(method, path, _)| {
                let takes = ROUTES.iter().find(|(p, _)| p == path).map(|(_, t)| *t);
                !matches!(
                    (takes, *method),
                    (Some(Takes::Get | Takes::GetPost), "GET") | (Some(Takes::Post | Takes::GetPost), "POST")
                )
            })
            .map(|(method, path, _)| format!("{method} {path}"))
            .collect();
        assert!(missing.is_empty(), "not in ROUTES as they should be: {missing:?}");
    }

    /// A POST handler reads its form only through [`Posted`] (CSRF checked on the way in),
    /// or, for an upload, through `read_upload`, which checks it too; and every page under
    /// `/admin` or `/supervise` names its role guard in its arguments, except the pages
    /// that sign someone in.
    ///
    /// [`Posted`]: crate::web::forms::Posted
    #[test]
    fn every_form_and_every_signed_in_page_is_guarded() {
        const OPEN: [&str; 3] = ["/admin/login", "/supervise/login", "/supervise/join/{token}"];
        let mut unguarded = Vec::new();
        for (method, route, code) in handlers() {
            let signature = code.split(") -> ").next().unwrap_or_default();
            if method == "POST" {
                let upload = signature.contains("web::Payload")
                    && (code.contains("read_upload(") || code.contains("read_files("));
                if !signature.contains(": Posted") && !upload {
                    unguarded.push(format!("POST {route}: no Posted form"));
                }
                if signature.contains("web::Bytes") || signature.contains("web::Form<") {
                    unguarded.push(format!("POST {route}: reads a body around the CSRF check"));
                }
            }
            let guard = if route.starts_with("/admin") {
                Some(["SignedIn", "Admin"].as_slice())
            } else if route.starts_with("/supervise") {
                Some(["Supervising"].as_slice())
            } else {
                None
            };
            if let Some(guards) = guard
                && !OPEN.contains(&route.as_str())
                && !guards.iter().any(|g| signature.contains(&format!(": {g}")))
            {
                unguarded.push(format!("{method} {route}: no role guard"));
            }
        }
        assert!(unguarded.is_empty(), "{unguarded:#?}");
    }

    #[test]
    fn allow_lists_the_methods_of_a_path() {
        assert_eq!(allowed("/"), Some("GET, HEAD"));
        assert_eq!(allowed("/stations/12"), Some("GET, HEAD"));
        assert_eq!(allowed("/stations/12/feedback"), Some("POST"));
        assert_eq!(allowed("/admin/login"), Some("GET, HEAD, POST"));
        assert_eq!(allowed("/admin/feedback/bulk"), Some("GET, HEAD, POST"));
        assert_eq!(allowed("/static/app.css"), Some("GET, HEAD"));
        assert_eq!(allowed("/nothing/here"), None);
        assert_eq!(allowed("/stations/1/2/3"), None);
    }
}
