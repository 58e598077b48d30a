//! HTTP for the feedback backend, shared by every entry point: the routers of
//! each Lambda function, API-key auth, problem+json errors and request
//! parsing. The Lambda binaries serve one router each; the local server
//! serves them all on one port.

mod apidoc;
mod body;
mod client;
mod error;
mod gateway;
mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
mod messages;
pub mod middleware;
mod openapi;
pub mod pages;
pub mod ratelimit;
mod reports;
mod router;
pub mod routes;
pub mod sms_replies;
mod state;

pub use client::VIEWER_HEADER;
pub use error::ApiError;
pub use feedback_app::keys::{CONTEXT_KEY_ID, CONTEXT_SCOPES, Principal};
pub use messages::Composer;
pub use router::{COLLECT, MANAGE, SCORES, Served, router};
pub use routes::{Function, ROUTES, Route};
pub use state::{AppState, AuthMode, LAMBDA_DEADLINE, Tenant};

/// The OpenAPI 3.1 description of every route, served at `/v1/openapi.json`.
pub use openapi::DOCUMENT as OPENAPI;

/// The description generated from the code, which [`OPENAPI`] must equal.
pub use openapi::generate as generate_openapi;
