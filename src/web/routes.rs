//! The route table. Each audience lists its pages in a [`Table`] through a section
//! that decides who may open them: [`Table::staff`] mounts under `/admin` behind the
//! staff sign-in, [`Table::supervisor`] under `/supervise` behind the supervisors';
//! [`Table::open`] refuses a path under either, except the pages that sign someone in.
//! A POST handler's last argument is its form, [`Posted`] (CSRF checked on the way
//! in), or, for an upload, the raw body that `read_upload` checks: the compiler holds
//! it. The table also answers what a path allows, for the 405 of a wrong method.
//!
//! [`Posted`]: super::forms::Posted

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{FromRequest, Handler, HttpMessage, HttpRequest, Responder, guard, web};

use super::auth::{SignedIn, Supervising};
use super::error::AppError;
use super::forms::Posted;

/// Who may open a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Open,
    /// Signed-in staff (city administrators are checked again by their pages).
    Staff,
    /// Signed-in volunteer supervisors.
    Supervisor,
}

/// What a route's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// A form read through [`Posted`].
    Post,
    /// A multipart upload read through `read_upload` or `read_files`.
    Upload,
}

/// One route as listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub path: String,
    pub method: Method,
    pub access: Access,
}

/// The pages under `/admin` and `/supervise` open to anyone: signing in.
pub const SIGN_IN: [&str; 3] = ["/admin/login", "/supervise/login", "/supervise/join/{token}"];

type Register = Box<dyn FnOnce(&mut web::ServiceConfig)>;

/// Every route of the site, in the order it is matched.
#[derive(Default)]
pub struct Table {
    listed: Vec<Listed>,
    register: Vec<Register>,
}

/// The argument lists whose last argument is a form read through [`Posted`].
pub trait EndsInForm {}
/// The argument lists whose last argument is an upload's raw body.
pub trait EndsInUpload {}

macro_rules! ends_in {
    ($($t:ident),*) => {
        impl<$($t,)*> EndsInForm for ($($t,)* Posted,) {}
        impl<$($t,)*> EndsInUpload for ($($t,)* web::Payload,) {}
    };
}
ends_in!();
ends_in!(A);
ends_in!(A, B);
ends_in!(A, B, C);
ends_in!(A, B, C, D);
ends_in!(A, B, C, D, E);
ends_in!(A, B, C, D, E, F);
ends_in!(A, B, C, D, E, F, G);

impl Table {
    /// Pages for anyone; a path under `/admin` or `/supervise` other than [`SIGN_IN`]
    /// is refused (a programming error, found by the table's unit test).
    pub fn open(&mut self) -> Section<'_> {
        Section { table: self, prefix: "", access: Access::Open }
    }

    /// Staff pages: `path` is below `/admin`.
    pub fn staff(&mut self) -> Section<'_> {
        Section { table: self, prefix: "/admin", access: Access::Staff }
    }

    /// Supervisor pages: `path` is below `/supervise`.
    pub fn supervisor(&mut self) -> Section<'_> {
        Section { table: self, prefix: "/supervise", access: Access::Supervisor }
    }

    /// Every route, in the order they are matched.
    pub fn listed(&self) -> &[Listed] {
        &self.listed
    }

    /// Mounts every route.
    pub fn register(self, cfg: &mut web::ServiceConfig) {
        for register in self.register {
            register(cfg);
        }
    }

    /// What a wrong method is told: the methods of every route whose pattern takes `path`.
    pub fn allowed(&self) -> Allowed {
        Allowed(self.listed.iter().map(|l| (ResourceDef::new(l.path.as_str()), l.method)).collect())
    }
}

/// A part of the table with one kind of access.
pub struct Section<'a> {
    table: &'a mut Table,
    prefix: &'static str,
    access: Access,
}

impl Section<'_> {
    fn add<F, Args>(&mut self, path: &str, method: Method, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let path = format!("{}{path}", self.prefix);
        let under = |p: &str| path == p || path.starts_with(&format!("{p}/"));
        assert!(
            self.access != Access::Open
                || !(under("/admin") || under("/supervise"))
                || SIGN_IN.contains(&path.as_str()),
            "{path} is a signed-in page: list it in the staff or supervisor section"
        );
        self.table.listed.push(Listed { path: path.clone(), method, access: self.access });
        let access = self.access;
        self.table.register.push(Box::new(move |cfg: &mut web::ServiceConfig| {
            let resource = web::resource(path);
            let resource = match method {
                Method::Get => resource.guard(guard::Get()),
                Method::Post | Method::Upload => resource.guard(guard::Post()),
            };
            match access {
                Access::Open => cfg.service(resource.to(handler)),
                Access::Staff => cfg.service(resource.wrap(from_fn(staff_only)).to(handler)),
                Access::Supervisor => cfg.service(resource.wrap(from_fn(supervisor_only)).to(handler)),
            };
        }));
        self
    }

    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(path, Method::Get, handler)
    }

    /// A form post: the handler's last argument is [`Posted`].
    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + EndsInForm + 'static,
        F::Output: Responder + 'static,
    {
        self.add(path, Method::Post, handler)
    }

    /// An upload: the handler's last argument is the body, for `read_upload`.
    pub fn upload<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + EndsInUpload + 'static,
        F::Output: Responder + 'static,
    {
        self.add(path, Method::Upload, handler)
    }
}

/// Middleware of every staff route: the session is checked before the handler runs,
/// and kept for its [`SignedIn`] argument. A refusal is answered here, as a page.
async fn staff_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    signed_in::<SignedIn>(req, next).await
}

/// Middleware of every supervisor route (see [`staff_only`]).
async fn supervisor_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    signed_in::<Supervising>(req, next).await
}

async fn signed_in<T: FromRequest<Error = AppError> + 'static>(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match req.extract::<T>().await {
        Ok(account) => {
            req.extensions_mut().insert(account);
            next.call(req).await.map(ServiceResponse::map_into_left_body)
        }
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

/// The route patterns and their methods, for the answer to a method no route takes.
pub struct Allowed(Vec<(ResourceDef, Method)>);

impl Allowed {
    /// The `Allow` value for `path`, or `None` when no route has this path.
    pub fn of(&self, path: &str) -> Option<&'static str> {
        let (mut get, mut post) = (false, false);
        for (def, method) in &self.0 {
            if def.is_match(path) {
                get |= *method == Method::Get;
                post |= *method != Method::Get;
            }
        }
        match (get, post) {
            (true, true) => Some("GET, HEAD, POST"),
            (true, false) => Some("GET, HEAD"),
            (false, true) => Some("POST"),
            (false, false) => None,
        }
    }
}

/// The default service: 405 with `Allow` when the path exists, else 404.
pub async fn unmatched(req: HttpRequest, allowed: web::Data<Allowed>) -> Result<actix_web::HttpResponse, AppError> {
    match allowed.of(req.path()) {
        Some(allow) => Err(AppError::MethodNotAllowed(allow)),
        None => Err(AppError::NotFound),
    }
}
