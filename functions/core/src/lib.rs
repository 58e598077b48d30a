//! The feedback domain: what an invitation, a response and a rep are, which
//! inputs are valid, how scores are computed and how time is cut into buckets.
//!
//! Nothing here performs I/O or knows about HTTP, AWS or SQLite, so every rule
//! is unit-testable and shared by every entry point and both stores.

pub mod abuse;
pub mod auth;
pub mod code;
pub mod csv;
pub mod drivers;
pub mod error;
pub mod followup;
pub mod ids;
pub mod links;
pub mod metrics;
pub mod model;
pub mod rollup;
pub mod schema;
pub mod sending;
pub mod settings;
pub mod slice;
pub mod sms;
pub mod submission;
pub mod survey;
pub mod time;
pub mod webhook;

pub use auth::{ApiKey, Scope};
pub use code::Code;
pub use error::{FieldError, Rule};
pub use followup::{FollowUp, FollowUpRules};
pub use ids::{CustomerRef, Locale, LocationId, OrderId, RepId};
pub use links::{Link, Target};
pub use model::{
    Answerable, Answers, Attribution, Channel, Expectation, Invitation, NewInvitation, Rep,
    Response, Submission,
};
pub use rollup::{Rollup, RollupIncrement, ScoreStats};
pub use settings::Settings;
pub use slice::Slice;
pub use survey::{Band, SurveyKind};
