//! The cases both stores run (the `for_each_store!` list in `main.rs`),
//! one file per aggregate.

mod erasure;
mod follow_ups;
mod invitations;
mod links;
mod responses;
mod rollups;
mod sends;
mod tenant;
mod webhooks;

pub use erasure::*;
pub use follow_ups::*;
pub use invitations::*;
pub use links::*;
pub use responses::*;
pub use rollups::*;
pub use sends::*;
pub use tenant::*;
pub use webhooks::*;
