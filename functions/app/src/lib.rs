//! The use cases: what the product does, in terms of the domain
//! (`feedback_core`) and the store's roles (`feedback_store`), with no HTTP
//! and no Lambda. An entry point (a route handler, the authorizer, the
//! local tools) parses its input, calls one use case, and renders the
//! result.
//!
//! Each module is one resource's use cases: API keys, invitations, a
//! customer's submit, releasing held-back answers, erasure, follow-ups and
//! the reports.

pub mod erasure;
pub mod follow_ups;
pub mod invitations;
pub mod keys;
pub mod reports;
pub mod responses;
pub mod sending;
pub mod submit;
