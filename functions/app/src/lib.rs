//! The use cases: what the product does, in terms of the domain
//! (`feedback_core`) and the store's roles (`feedback_store`), with no HTTP
//! and no Lambda. An entry point (a route handler, the authorizer, the
//! local tools) parses its input, calls one use case, and renders the
//! result.
//!
//! API keys and invitations are here so far; the other use cases still
//! live in the HTTP handlers (`feedback_http::handlers`) and move here one
//! by one.

pub mod invitations;
pub mod keys;
