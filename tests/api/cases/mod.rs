//! The cases each kind of server runs (the `suite!` lists in `main.rs`),
//! one file per resource.

mod auth;
mod bad_input;
mod customer_pages;
mod erasure;
mod follow_ups;
mod insights;
mod invitations;
mod links;
mod responses;
mod sending;
mod shared_credit;
mod walkthrough;
mod webhooks;

pub use auth::*;
pub use bad_input::*;
pub use customer_pages::*;
pub use erasure::*;
pub use follow_ups::*;
pub use insights::*;
pub use invitations::*;
pub use links::*;
pub use responses::*;
pub use sending::*;
pub use shared_credit::*;
pub use walkthrough::*;
pub use webhooks::*;
