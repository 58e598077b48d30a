//! The use cases: what the product does, in terms of the domain
//! (`feedback_core`) and the store's roles (`feedback_store`), with no HTTP
//! and no Lambda. An entry point (a route handler, the authorizer, the
//! local tools) parses its input, calls one use case, and renders the
//! result.
//!
//! Here so far: API keys, invitations, a customer's submit, releasing
//! held-back answers, erasure and follow-ups. The reports still live in
//! `feedback_http::reports`, which parses, computes and renders them in
//! one; they move here once their results have types of their own.

pub mod erasure;
pub mod follow_ups;
pub mod invitations;
pub mod keys;
pub mod responses;
pub mod submit;
