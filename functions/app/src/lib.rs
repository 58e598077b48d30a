//! The use cases: what the product does, in terms of the domain
//! (`feedback_core`) and the store's roles (`feedback_store`), with no HTTP
//! and no Lambda. An entry point (a route handler, the authorizer, the
//! local tools) parses its input, calls one use case, and renders the
//! result.
//!
//! Here so far: API keys, invitations, a customer's submit, erasure and
//! follow-ups. Releases and the reports still live in the HTTP handlers
//! (`feedback_http::handlers`, `feedback_http::reports`) and move here one
//! by one.

pub mod erasure;
pub mod follow_ups;
pub mod invitations;
pub mod keys;
pub mod submit;
